package standin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/hookops/hookops/test/controlplane"
	"github.com/hookops/hookops/test/standin"
	"github.com/hookops/hookops/test/testkit"
)

// One control plane serves every test in the package: each test uses its
// own parent kind, namespaces and labels so that they cannot see each other.
var cluster struct {
	once sync.Once
	cp   *controlplane.ControlPlane
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cluster.cp != nil {
		if err := cluster.cp.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop control plane:", err)
		}
	}
	os.Exit(code)
}

// env is what a control-plane test works with.
type env struct {
	cfg *rest.Config
	dyn dynamic.Interface
	cs  kubernetes.Interface
}

func startCluster(t *testing.T) env {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: needs a kube-apiserver control plane (not run with -short)")
	}
	cluster.once.Do(func() {
		start := time.Now()
		cluster.cp, cluster.err = controlplane.Start(context.Background(), controlplane.Options{})
		t.Logf("control plane up in %s", time.Since(start).Round(time.Millisecond))
	})
	if cluster.err != nil {
		t.Fatalf("start control plane: %v", cluster.err)
	}
	cfg := cluster.cp.Config
	return env{cfg: cfg, dyn: dynamic.NewForConfigOrDie(cfg), cs: kubernetes.NewForConfigOrDie(cfg)}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// object parses YAML into an unstructured object.
func object(t *testing.T, format string, args ...any) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(fmt.Sprintf(format, args...)), &m); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

// parentKind installs a namespaced custom resource kind with a status
// subresource in group test.hookops.dev and returns its resource.
func (e env) parentKind(t *testing.T, kind string) schema.GroupVersionResource {
	t.Helper()
	plural := strings.ToLower(kind) + "s"
	crd := object(t, `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: %[1]s.test.hookops.dev}
spec:
  group: test.hookops.dev
  scope: Namespaced
  names: {plural: %[1]s, singular: %[2]s, kind: %[3]s}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
`, plural, strings.ToLower(kind), kind)
	if err := controlplane.ApplyObjects(testkit.Context(t), e.cfg, crd); err != nil {
		t.Fatal(err)
	}
	return schema.GroupVersionResource{Group: "test.hookops.dev", Version: "v1", Resource: plural}
}

func (e env) namespace(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := e.cs.CoreV1().Namespaces().Create(testkit.Context(t), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (e env) create(t *testing.T, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	out, err := e.dyn.Resource(gvr).Namespace(obj.GetNamespace()).Create(testkit.Context(t), obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e env) get(t *testing.T, gvr schema.GroupVersionResource, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	obj, err := e.dyn.Resource(gvr).Namespace(namespace).Get(testkit.Context(t), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

func (e env) gone(t *testing.T, gvr schema.GroupVersionResource, namespace, name string) bool {
	t.Helper()
	_, err := e.dyn.Resource(gvr).Namespace(namespace).Get(testkit.Context(t), name, metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return apierrors.IsNotFound(err)
}

// run runs s until the test ends.
func run(t *testing.T, s *standin.Standin) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(testkit.APITimeout):
			t.Errorf("Run did not return within %s", testkit.APITimeout)
		}
	})
}

// calls returns the recorded calls of one hook, oldest first.
func calls(s *standin.Standin, hook string) []standin.Call {
	var out []standin.Call
	for _, c := range s.Calls() {
		if c.Hook == hook {
			out = append(out, c)
		}
	}
	return out
}

func gaps(cs []standin.Call) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(cs); i++ {
		out = append(out, cs[i].Time.Sub(cs[i-1].Time))
	}
	return out
}

// hookServer serves hooks with handle, which gets the decoded request body
// and may set response headers.
func hookServer(t *testing.T, handle func(path string, req map[string]any, h http.Header) (int, any)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		var req map[string]any
		if err == nil {
			err = json.Unmarshal(body, &req)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		code, ans := handle(r.URL.Path, req, w.Header())
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(ans)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// field reads a nested field of a generic JSON object.
func field(obj map[string]any, path ...string) any {
	var v any = obj
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}
