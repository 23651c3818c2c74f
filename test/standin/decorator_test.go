package standin_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/hookops/hookops/test/standin"
	"github.com/hookops/hookops/test/testkit"
)

var namespaces = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// decoratorController decorates Namespaces labelled <label>/accept: "true"
// with ConfigMap attachments; hooks are at url.
func decoratorController(t *testing.T, name, label, url string) *unstructured.Unstructured {
	return object(t, `
apiVersion: metacontroller.k8s.io/v1alpha1
kind: DecoratorController
metadata: {name: %s}
spec:
  resources:
  - apiVersion: v1
    resource: namespaces
    labelSelector: {matchLabels: {%s/accept: "true"}}
  attachments:
  - {apiVersion: v1, resource: configmaps, updateStrategy: {method: InPlace}}
  hooks:
    customize: {webhook: {url: "%[3]s/customize"}}
    sync: {webhook: {url: "%[3]s/sync"}}
    finalize: {webhook: {url: "%[3]s/finalize"}}
`, name, label, url)
}

// decoratorHooks labels and annotates each target and gives it one
// ConfigMap, "note", whose data copies the related ConfigMaps labelled
// <label>/source; finalize takes all of that back.
func decoratorHooks(t *testing.T, label string) (*httptest.Server, func() []map[string]any) {
	var mu sync.Mutex
	var reqs []map[string]any
	srv := hookServer(t, func(path string, req map[string]any, _ http.Header) (int, any) {
		mu.Lock()
		reqs = append(reqs, req)
		mu.Unlock()
		switch path {
		case "/customize":
			return 200, map[string]any{"relatedResources": []any{map[string]any{
				"apiVersion": "v1", "resource": "configmaps",
				"labelSelector": map[string]any{"matchLabels": map[string]any{label + "/source": "true"}},
			}}}
		case "/finalize":
			return 200, map[string]any{"labels": map[string]any{label + "/decorated": nil}, "attachments": []any{}, "finalized": true}
		}
		data := map[string]any{}
		for _, src := range field(req, "related", "ConfigMap.v1").(map[string]any) {
			for k, v := range field(src.(map[string]any), "data").(map[string]any) {
				data[k] = v
			}
		}
		return 200, map[string]any{
			"labels":      map[string]any{label + "/decorated": "yes", label + "/remove-me": nil},
			"annotations": map[string]any{label + "/note": "hello"},
			"attachments": []any{map[string]any{
				"apiVersion": "v1", "kind": "ConfigMap",
				"metadata": map[string]any{"name": "note", "namespace": field(req, "object", "metadata", "name")},
				"data":     data,
			}},
		}
	})
	return srv, func() []map[string]any {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(reqs)
	}
}

// A DecoratorController driven step by step: labels, annotations and an
// attachment go on a selected Namespace, and come off again through
// finalize once the Namespace stops matching the selector.
func TestDecoratorSyncOnce(t *testing.T) {
	t.Parallel()
	e := startCluster(t)
	const label, target = "once.test.hookops.dev", "deco-once"
	srv, requests := decoratorHooks(t, label)
	s, err := standin.New(e.cfg, []*unstructured.Unstructured{decoratorController(t, "deco-once", label, srv.URL)}, standin.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Controller("deco-once")
	e.namespace(t, "deco-once-src", nil)
	e.create(t, configMaps, object(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: src, namespace: deco-once-src, labels: {%s/source: "true"}}, data: {color: blue}}`, label))
	e.namespace(t, target, map[string]string{label + "/accept": "true", label + "/remove-me": "x"})

	res, err := c.SyncOnce(testkit.Context(t), "", target)
	if err != nil {
		t.Fatal(err)
	}
	if res.Hook != "sync" || res.Decorator == nil || len(res.Decorator.Attachments) != 1 {
		t.Fatalf("result = %+v", res)
	}
	ns := e.get(t, namespaces, "", target)
	if got := ns.GetFinalizers(); !slices.Equal(got, []string{"metacontroller.io/decoratorcontroller-deco-once"}) {
		t.Errorf("finalizers = %v", got)
	}
	lbls := ns.GetLabels()
	if lbls[label+"/decorated"] != "yes" || lbls[label+"/remove-me"] != "" {
		t.Errorf("labels = %v, want decorated=yes and no remove-me", lbls)
	}
	if got := ns.GetAnnotations()[label+"/note"]; got != "hello" {
		t.Errorf("annotation = %q", got)
	}
	note := e.get(t, configMaps, target, "note")
	if got := field(note.Object, "data", "color"); got != "blue" {
		t.Errorf("attachment data = %v", note.Object["data"])
	}
	if got := note.GetAnnotations()["metacontroller.k8s.io/decorator-controller"]; got != "deco-once" {
		t.Errorf("attachment decorator annotation = %q", got)
	}
	if ref := metav1.GetControllerOf(note); ref == nil || ref.Kind != "Namespace" || ref.UID != ns.GetUID() {
		t.Errorf("attachment controller ref = %+v", ref)
	}

	// The next sync sees the attachment under namespace/name: the target is
	// cluster-scoped. Related objects are keyed the same way.
	if _, err := c.SyncOnce(testkit.Context(t), "", target); err != nil {
		t.Fatal(err)
	}
	last := requests()[len(requests())-1]
	if _, ok := field(last, "attachments", "ConfigMap.v1", target+"/note").(map[string]any); !ok {
		t.Errorf("attachments = %v", last["attachments"])
	}
	if _, ok := field(last, "related", "ConfigMap.v1", "deco-once-src/src").(map[string]any); !ok {
		t.Errorf("related = %v", last["related"])
	}

	// Unlabelled, the Namespace is finalized: everything comes off.
	delete(lbls, label+"/accept")
	ns.SetLabels(lbls)
	if _, err := e.dyn.Resource(namespaces).Update(testkit.Context(t), ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err = c.SyncOnce(testkit.Context(t), "", target)
	if err != nil {
		t.Fatal(err)
	}
	if res.Hook != "finalize" || requests()[len(requests())-1]["finalizing"] != true {
		t.Fatalf("hook = %q", res.Hook)
	}
	ns = e.get(t, namespaces, "", target)
	if len(ns.GetFinalizers()) != 0 || ns.GetLabels()[label+"/decorated"] != "" {
		t.Errorf("after finalize: finalizers %v, labels %v", ns.GetFinalizers(), ns.GetLabels())
	}
	if !e.gone(t, configMaps, target, "note") {
		t.Error("attachment still exists after finalize")
	}
	// Neither selected nor holding the finalizer: left alone.
	if res, err := c.SyncOnce(testkit.Context(t), "", target); err != nil || res.Hook != "" {
		t.Errorf("SyncOnce of an unselected target = %+v, %v", res, err)
	}
}

// An attachment the hooks return unchanged is not sent again, as in
// Metacontroller (its lastUpdatedCache in manage_children.go), unless
// someone else has changed it since or the hooks want something else.
func TestUnchangedAttachmentIsNotSent(t *testing.T) {
	t.Parallel()
	e := startCluster(t)
	const label, target = "noop.test.hookops.dev", "deco-noop"
	srv, _ := decoratorHooks(t, label)
	cfg, patches := counting(e.cfg, func(r *http.Request) bool {
		return r.Method == http.MethodPatch && strings.Contains(r.URL.Path, "/configmaps/")
	})
	s, err := standin.New(cfg, []*unstructured.Unstructured{decoratorController(t, "deco-noop", label, srv.URL)}, standin.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Controller("deco-noop")
	e.namespace(t, "deco-noop-src", nil)
	src := e.create(t, configMaps, object(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: src, namespace: deco-noop-src, labels: {%s/source: "true"}}, data: {color: blue}}`, label))
	e.namespace(t, target, map[string]string{label + "/accept": "true"})
	syncOnce := func(want int64, color string) {
		t.Helper()
		before := patches.Load()
		if _, err := c.SyncOnce(testkit.Context(t), "", target); err != nil {
			t.Fatal(err)
		}
		if got := patches.Load() - before; got != want {
			t.Errorf("attachment patches = %d, want %d", got, want)
		}
		if got := field(e.get(t, configMaps, target, "note").Object, "data", "color"); got != color {
			t.Errorf("attachment color = %v, want %s", got, color)
		}
	}
	syncOnce(1, "blue")
	syncOnce(0, "blue")

	note := e.get(t, configMaps, target, "note")
	note.Object["data"] = map[string]any{"color": "red"}
	if _, err := e.dyn.Resource(configMaps).Namespace(target).Update(testkit.Context(t), note, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	syncOnce(1, "blue") // a hand edit is put back
	syncOnce(0, "blue")

	src.Object["data"] = map[string]any{"color": "green"}
	if _, err := e.dyn.Resource(configMaps).Namespace("deco-noop-src").Update(testkit.Context(t), src, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	syncOnce(1, "green")
}

// counting returns a copy of cfg whose client counts the requests that
// match.
func counting(cfg *rest.Config, match func(*http.Request) bool) (*rest.Config, *atomic.Int64) {
	var n atomic.Int64
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if match(r) {
				n.Add(1)
			}
			return rt.RoundTrip(r)
		})
	})
	return cfg, &n
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The watch loop decorates a Namespace as soon as it is labelled, and
// follows a change of a related object without any resync period, reading
// from its informers.
func TestDecoratorRun(t *testing.T) {
	t.Parallel()
	e := startCluster(t)
	const label, target = "run.test.hookops.dev", "deco-run"
	srv, _ := decoratorHooks(t, label)
	cfg, lists := counting(e.cfg, func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/configmaps") && r.URL.Query().Get("watch") != "true"
	})
	s, err := standin.New(cfg, []*unstructured.Unstructured{decoratorController(t, "deco-run", label, srv.URL)}, standin.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	e.namespace(t, "deco-run-src", nil)
	src := e.create(t, configMaps, object(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: src, namespace: deco-run-src, labels: {%s/source: "true"}}, data: {v: "1"}}`, label))
	run(t, s)
	e.namespace(t, target, map[string]string{label + "/accept": "true"})

	noteHas := func(v string) func() (bool, string) {
		return func() (bool, string) {
			return !e.gone(t, configMaps, target, "note") && field(e.get(t, configMaps, target, "note").Object, "data", "v") == v, ""
		}
	}
	testkit.Eventually(t, 10*time.Second, "the attachment", noteHas("1"))
	listed := lists.Load()
	src.Object["data"] = map[string]any{"v": "2"}
	if _, err := e.dyn.Resource(configMaps).Namespace("deco-run-src").Update(testkit.Context(t), src, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "the attachment to follow the related ConfigMap", noteHas("2"))
	// Like Metacontroller, syncs read attachments and related objects
	// from the informers (one for ConfigMaps, shared by both), not with
	// a LIST each.
	if n := lists.Load() - listed; n != 0 {
		t.Errorf("%d ConfigMap LISTs after the caches filled, want 0", n)
	}

	// As in Metacontroller, a related object's change asks customize of
	// every Namespace, selected or not.
	var customized []string
	for _, c := range calls(s, "customize") {
		customized = append(customized, c.Parent)
	}
	if !slices.Contains(customized, "deco-run-src") {
		t.Errorf("customize was called for %s, want the unselected deco-run-src among them", strings.Join(customized, ", "))
	}
}
