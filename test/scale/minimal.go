package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hookops/hookops/test/process"
	"github.com/hookops/hookops/test/reference"
)

var compositeControllerGVR = schema.GroupVersionResource{Group: "metacontroller.k8s.io", Version: "v1alpha1", Resource: "compositecontrollers"}

// startMinimalHook builds and runs test/floorhook, the least a sync hook
// can do (decode, one conditional GET, encode), against the benchmark's
// fake GitHub, and returns its sync URL and how to stop it.
func (b *bench) startMinimalHook(ctx context.Context) (url string, stop func(), err error) {
	bin := filepath.Join(b.st.Dir, "floorhook")
	if err := process.Build(ctx, reference.RepoRoot(), "./test/floorhook", bin); err != nil {
		return "", nil, err
	}
	ports, err := process.FreePorts(1)
	if err != nil {
		return "", nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	p, err := process.Start(b.st.Dir, "floorhook", nil, bin, "--addr", addr, "--github-url", b.gh.url)
	if err != nil {
		return "", nil, err
	}
	stop = func() { p.Stop(5 * time.Second) }
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.WaitReady(ctx, process.HTTPOK(nil, "http://"+addr+"/readyz")); err != nil {
		stop()
		return "", nil, fmt.Errorf("floorhook: %w\n%s", err, p.LogTail())
	}
	return "http://" + addr + "/sync", stop, nil
}

// syncRequest is the sync request Metacontroller sends for the first
// GitHubRepo, built from the cluster as Metacontroller builds it: the
// CompositeController, the GitHubRepo, its ConfigMap as a child and its
// credentials Secret as a related object (hook version v1, so both keyed
// by bare name).
func (b *bench) syncRequest(ctx context.Context) ([]byte, error) {
	ns, name := namespaceName(0), repoName(0)
	get := func(gvr schema.GroupVersionResource, namespace, name string) (map[string]any, error) {
		o, err := b.dyn.Resource(gvr).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("the sync request: %w", err)
		}
		return o.Object, nil
	}
	controller, err := get(compositeControllerGVR, "", "githubrepo")
	if err != nil {
		return nil, err
	}
	parent, err := get(ghrGVR, ns, name)
	if err != nil {
		return nil, err
	}
	child, err := get(configMapGVR, ns, name+"-github")
	if err != nil {
		return nil, err
	}
	secret, err := get(secretGVR, ns, "gh-token")
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"controller": controller,
		"parent":     parent,
		"children":   map[string]any{"ConfigMap.v1": map[string]any{name + "-github": child}},
		"related":    map[string]any{"Secret.v1": map[string]any{"gh-token": secret}},
		"finalizing": false,
	})
}
