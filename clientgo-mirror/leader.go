package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// errLostLease ends the process: another replica may be mirroring already,
// and a fresh start is the simplest way back to being a clean standby.
var errLostLease = errors.New("lost the leader Lease")

// lead runs the controller while this replica holds the Lease. When ctx
// ends, the workers stop first and the Lease is released after, so that
// the next leader starts at once rather than when the Lease expires, and
// never while this one still writes.
func (a *app) lead(ctx context.Context) error {
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, a.cfg.leaseNS, a.cfg.leaseName,
		a.client.CoreV1(), a.client.CoordinationV1(),
		resourcelock.ResourceLockConfig{Identity: a.cfg.identity, EventRecorder: a.recorder})
	if err != nil {
		return fmt.Errorf("leader lock: %w", err)
	}
	// The election has its own context: cancelling it releases the Lease,
	// which must wait for the workers.
	election, release := context.WithCancel(context.WithoutCancel(ctx))
	defer release()
	var leading atomic.Bool
	ran := make(chan error, 1)
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   a.cfg.leaseDuration,
		RenewDeadline:   a.cfg.renewDeadline,
		RetryPeriod:     a.cfg.retryPeriod,
		ReleaseOnCancel: true,
		Name:            a.cfg.leaseName,
		WatchDog:        a.leaderCheck,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(held context.Context) {
				leading.Store(true)
				a.log.Info("leading", "identity", a.cfg.identity)
				work, stop := context.WithCancel(held)
				defer stop()
				defer context.AfterFunc(ctx, stop)()
				ran <- a.ctrl.Run(work)
				release()
			},
			OnStoppedLeading: func() { a.log.Info("stopped leading", "identity", a.cfg.identity) },
			OnNewLeader: func(id string) {
				if id != a.cfg.identity {
					a.log.Info("following", "leader", id)
				}
			},
		},
	})
	if err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	// A replica still waiting for the Lease simply stops waiting.
	defer context.AfterFunc(ctx, func() {
		if !leading.Load() {
			release()
		}
	})()
	elector.Run(election)
	if !leading.Load() {
		return nil
	}
	err = <-ran
	if err == nil && ctx.Err() == nil {
		return errLostLease
	}
	return err
}
