package main

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/hookops/hookops/test/reference"
)

// Every hook path the controller manifests call is served, and the route
// table serves no hook that no manifest calls.
func TestRouteTableServesManifestHooks(t *testing.T) {
	called := manifestHookPaths(t)
	if len(called) == 0 {
		t.Fatal("no hook paths in manifests/controllers")
	}
	var served []string
	for _, rt := range routeTable(controllers(testConfig(t), nil, prometheus.NewRegistry()), newMetrics(), &atomic.Bool{}) {
		if rt.caller == hookCall {
			served = append(served, rt.path)
		}
	}
	for _, p := range called {
		if !slices.Contains(served, p) {
			t.Errorf("manifests call %s, which the route table does not serve", p)
		}
	}
	for _, p := range served {
		if !slices.Contains(called, p) {
			t.Errorf("the route table serves %s, which no manifest calls", p)
		}
	}

	// And the router routes each to its hook: an empty body reaches the
	// hook's decoder, which refuses it.
	h := testRouter(t, testConfig(t), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	for _, p := range called {
		req := httptest.NewRequest(http.MethodPost, p, nil)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "empty") {
			t.Errorf("POST %s: status %d: %s", p, rec.Code, rec.Body)
		}
	}
}

// manifestHookPaths returns spec.hooks.<hook>.webhook.path of every
// CompositeController and DecoratorController in manifests/controllers.
func manifestHookPaths(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(reference.RepoRoot(), "manifests", "controllers", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		for _, obj := range readObjects(t, f) {
			if kind := obj.GetKind(); kind != "CompositeController" && kind != "DecoratorController" {
				continue
			}
			hooks, _, err := unstructured.NestedMap(obj.Object, "spec", "hooks")
			if err != nil {
				t.Fatalf("%s: %s: %v", f, obj.GetName(), err)
			}
			for hook := range hooks {
				p, found, err := unstructured.NestedString(obj.Object, "spec", "hooks", hook, "webhook", "path")
				if err != nil || !found {
					t.Fatalf("%s: %s: hook %s has no webhook.path (%v)", f, obj.GetName(), hook, err)
				}
				paths = append(paths, p)
			}
		}
	}
	return paths
}

func readObjects(t *testing.T, file string) []unstructured.Unstructured {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var objs []unstructured.Unstructured
	for {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("read %s: %v", file, err)
		}
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			t.Fatalf("parse %s: %v", file, err)
		}
		if obj != nil {
			objs = append(objs, unstructured.Unstructured{Object: obj})
		}
	}
}
