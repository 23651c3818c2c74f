package main

import (
	"context"
	"encoding/json"
	"fmt"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

var (
	ghrGVR       = schema.GroupVersionResource{Group: "github.hookops.dev", Version: "v1", Resource: "githubrepos"}
	namespaceGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	secretGVR    = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	configMapGVR = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
)

// fieldManager is the benchmark's server-side apply identity.
const fieldManager = "hookops-scale"

func namespaceName(i int) string { return fmt.Sprintf("scale-%02d", i) }

// repoName is the GitHubRepo's name and, prefixed, its repository's:
// unique across namespaces because they all create in acme.
func repoName(i int) string { return fmt.Sprintf("repo-%05d", i) }

func namespace(i int) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": namespaceName(i)},
	}}
}

// secret is namespace i's token, labelled as manifests/samples labels it so
// that the credentials controller holds it, as in a real installation.
func secret(i int) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{
			"name": "gh-token", "namespace": namespaceName(i),
			"labels": map[string]any{"github.hookops.dev/credentials": "true"},
		},
		"stringData": map[string]any{"token": tokenFor(i)},
	}}
}

// githubRepo i lives in namespace i mod namespaces. Its spec is the
// sample's, without init (create-only): description, topics and features
// are all managed, so an idle sync compares every kind of field.
func githubRepo(i, namespaces int) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "github.hookops.dev/v1", "kind": "GitHubRepo",
		"metadata": map[string]any{"name": repoName(i), "namespace": namespaceName(i % namespaces)},
		"spec": map[string]any{
			"owner":                "acme",
			"name":                 "scale-" + repoName(i),
			"visibility":           "private",
			"description":          fmt.Sprintf("Scale benchmark repository %d", i),
			"topics":               []any{"scale", "benchmark"},
			"features":             map[string]any{"issues": true, "wiki": false},
			"credentialsSecretRef": map[string]any{"name": "gh-token"},
		},
	}}
}

// applier server-side applies objects, many at once.
type applier struct {
	dyn     dynamic.Interface
	workers int
}

func (a applier) apply(ctx context.Context, gvr schema.GroupVersionResource, objs []*unstructured.Unstructured) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(a.workers)
	for _, obj := range objs {
		g.Go(func() error { return a.applyOne(ctx, gvr, obj) })
	}
	return g.Wait()
}

func (a applier) applyOne(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) error {
	var client dynamic.ResourceInterface = a.dyn.Resource(gvr)
	if ns := obj.GetNamespace(); ns != "" {
		client = a.dyn.Resource(gvr).Namespace(ns)
	}
	_, err := client.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: fieldManager, Force: true})
	if err != nil {
		return fmt.Errorf("apply %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// setUp applies the namespaces and their token Secrets.
func (a applier) setUp(ctx context.Context, namespaces int) error {
	var nss, secrets []*unstructured.Unstructured
	for i := range namespaces {
		nss, secrets = append(nss, namespace(i)), append(secrets, secret(i))
	}
	if err := a.apply(ctx, namespaceGVR, nss); err != nil {
		return err
	}
	return a.apply(ctx, secretGVR, secrets)
}

// applyRepos applies every GitHubRepo, batch objects at a time: a batch is
// what one `kubectl apply -f dir/` of that many files sends.
func (a applier) applyRepos(ctx context.Context, repos, namespaces, batch int) error {
	for start := 0; start < repos; start += batch {
		objs := make([]*unstructured.Unstructured, 0, batch)
		for i := start; i < min(start+batch, repos); i++ {
			objs = append(objs, githubRepo(i, namespaces))
		}
		if err := a.apply(ctx, ghrGVR, objs); err != nil {
			return err
		}
	}
	return nil
}

// sizes are what the credentials controller's hook calls carry: every
// GitHubRepo of the Secret's namespace, as related objects.
type sizes struct {
	GitHubRepoBytes int `json:"githubrepo_bytes"` // mean JSON size of an idle GitHubRepo
	// PerNamespace is the most GitHubRepos in one namespace.
	PerNamespace int `json:"max_githubrepos_per_namespace"`
	// CredentialsSyncBytes is PerNamespace × GitHubRepoBytes: about the
	// body of one credentials hook call for that namespace.
	CredentialsSyncBytes int `json:"credentials_sync_bytes"`
}

func measureSizes(ctx context.Context, dyn dynamic.Interface) (sizes, error) {
	l, err := dyn.Resource(ghrGVR).List(ctx, metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return sizes{}, fmt.Errorf("list GitHubRepos: %w", err)
	}
	var s sizes
	total, perNS := 0, map[string]int{}
	for _, item := range l.Items {
		data, err := json.Marshal(item.Object)
		if err != nil {
			return sizes{}, fmt.Errorf("encode %s: %w", item.GetName(), err)
		}
		total += len(data)
		perNS[item.GetNamespace()]++
		s.PerNamespace = max(s.PerNamespace, perNS[item.GetNamespace()])
	}
	if len(l.Items) > 0 {
		s.GitHubRepoBytes = total / len(l.Items)
	}
	s.CredentialsSyncBytes = s.PerNamespace * s.GitHubRepoBytes
	return s, nil
}
