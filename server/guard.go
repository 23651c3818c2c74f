package main

import (
	"fmt"
	"time"

	"k8s.io/client-go/dynamic"

	"github.com/hookops/hookops/deletionguard"
	"github.com/hookops/hookops/kubeconfig"
)

// deletionGuard connects the guard to its ledger in the Kubernetes API;
// nil when the guard is off. A guard that cannot keep its count would
// hold nothing, so without the API the server does not start.
func deletionGuard(cfg *config) (*deletionguard.Guard, error) {
	if cfg.GuardWindow == 0 {
		return nil, nil
	}
	rc, err := kubeconfig.Load(cfg.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("the deletion guard keeps its count in a ConfigMap, but %w: give --kubeconfig, run in a cluster, or turn the guard off with --deletion-guard-window=0", err)
	}
	client, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("deletion guard: %w", err)
	}
	return &deletionguard.Guard{
		Store: &deletionguard.ConfigMapStore{Client: client, Namespace: cfg.GuardNamespace},
		Limit: cfg.GuardLimit, Window: cfg.GuardWindow, Now: time.Now,
	}, nil
}
