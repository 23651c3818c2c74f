package controlplane

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/hookops/hookops/test/testkit"
)

// FieldManager is the server-side apply field manager Apply uses.
const FieldManager = "hookops-test"

// apiTimeout bounds waiting for a CRD to be established and for its kind to
// appear in discovery.
const apiTimeout = time.Minute

// kustomizeGroup is the API group of kustomization.yaml files.
const kustomizeGroup = "kustomize.config.k8s.io"

var (
	crdKind       = schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}
	namespaceKind = schema.GroupKind{Kind: "Namespace"}
)

// Apply server-side applies every object in the multi-document YAML files,
// like kubectl apply --server-side --force-conflicts. CRDs and Namespaces go
// first, and each CRD is Established before anything else is applied, so a
// file may hold a CRD together with objects of its kind.
func Apply(ctx context.Context, cfg *rest.Config, yamlFiles ...string) error {
	var objs []*unstructured.Unstructured
	for _, path := range yamlFiles {
		fileObjs, err := ReadObjects(path)
		if err != nil {
			return err
		}
		objs = append(objs, fileObjs...)
	}
	return ApplyObjects(ctx, cfg, objs...)
}

// ReadObjects decodes a multi-document YAML (or JSON) file, skipping empty
// documents and kustomizations (which never go to a cluster), so that every
// file of a manifests directory can be given.
func ReadObjects(path string) ([]*unstructured.Unstructured, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read objects: %w", err)
	}
	defer f.Close()
	dec := yaml.NewYAMLOrJSONDecoder(f, 4096)
	var objs []*unstructured.Unstructured
	for doc := 1; ; doc++ {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, fmt.Errorf("decode %s (document %d): %w", path, doc, err)
		}
		if len(m) == 0 {
			continue
		}
		obj := &unstructured.Unstructured{Object: m}
		if obj.GroupVersionKind().Group == kustomizeGroup {
			continue
		}
		if obj.GetKind() == "" || obj.GetAPIVersion() == "" || obj.GetName() == "" {
			return nil, fmt.Errorf("decode %s: document %d lacks apiVersion, kind or metadata.name", path, doc)
		}
		objs = append(objs, obj)
	}
}

// ApplyObjects is Apply for objects already in memory.
func ApplyObjects(ctx context.Context, cfg *rest.Config, objs ...*unstructured.Unstructured) error {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("apply: dynamic client: %w", err)
	}
	mapper, err := NewRESTMapperForConfig(cfg)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	objs = slices.Clone(objs)
	slices.SortStableFunc(objs, func(a, b *unstructured.Unstructured) int { return cmp.Compare(applyRank(a), applyRank(b)) })
	for _, obj := range objs {
		if err := applyObject(ctx, dyn, mapper, obj); err != nil {
			return err
		}
	}
	return nil
}

func applyRank(obj *unstructured.Unstructured) int {
	switch obj.GroupVersionKind().GroupKind() {
	case crdKind, namespaceKind:
		return 0
	default:
		return 1
	}
}

func applyObject(ctx context.Context, dyn dynamic.Interface, mapper *RESTMapper, obj *unstructured.Unstructured) error {
	gvk := obj.GroupVersionKind()
	what := fmt.Sprintf("%s %s", gvk.Kind, obj.GetName())
	if ns := obj.GetNamespace(); ns != "" {
		what = fmt.Sprintf("%s %s/%s", gvk.Kind, ns, obj.GetName())
	}
	mapping, err := restMapping(ctx, mapper, gvk)
	if err != nil {
		return fmt.Errorf("apply %s: %w", what, err)
	}
	var client dynamic.ResourceInterface = dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		client = dyn.Resource(mapping.Resource).Namespace(ns)
	}
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
	if _, err := client.Apply(ctx, obj.GetName(), obj, opts); err != nil {
		return fmt.Errorf("apply %s: %w", what, err)
	}
	if gvk.GroupKind() != crdKind {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	if err := testkit.WaitEstablished(wctx, dyn, obj.GetName()); err != nil {
		return fmt.Errorf("apply %s: %w", what, err)
	}
	mapper.Reset() // the new kind is not in the cached discovery
	return nil
}

// restMapping waits for gvk to be served, because a CRD's kind reaches
// discovery shortly after the CRD is Established.
func restMapping(ctx context.Context, mapper *RESTMapper, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	var mapping *meta.RESTMapping
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, apiTimeout, true, func(context.Context) (bool, error) {
		var err error
		mapping, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			mapper.Reset()
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return nil, fmt.Errorf("find resource for %s: %w", gvk, err)
	}
	return mapping, nil
}
