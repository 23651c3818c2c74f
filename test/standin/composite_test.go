package standin_test

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hookops/hookops/test/standin"
	"github.com/hookops/hookops/test/testkit"
)

var configMaps = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

// compositeController is a CompositeController for test.hookops.dev kind
// resource, with hooks at url and the given extra spec lines.
func compositeController(t *testing.T, name, resource, url, extra string) *unstructured.Unstructured {
	return object(t, `
apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: %s}
spec:
  generateSelector: true
  parentResource: {apiVersion: test.hookops.dev/v1, resource: %s}
  childResources:
  - {apiVersion: v1, resource: configmaps, updateStrategy: {method: InPlace}}
  hooks:
    sync: {webhook: {url: "%s/sync"}}
%s`, name, resource, url, extra)
}

func widget(t *testing.T, namespace, name string, spec string) *unstructured.Unstructured {
	return object(t, `
apiVersion: test.hookops.dev/v1
kind: %s
metadata: {name: %s, namespace: %s}
spec: %s
`, "Widget", name, namespace, spec)
}

// A CompositeController driven step by step: a child is created with an
// owner reference, status gets observedGeneration, a child no longer
// returned is deleted, and the finalizer holds the parent until finalize
// answers finalized.
func TestCompositeSyncOnce(t *testing.T) {
	t.Parallel()
	e := startCluster(t)
	widgets := e.parentKind(t, "Widget")
	const ns = "composite-once"
	e.namespace(t, ns, nil)

	var mu sync.Mutex
	var last map[string]any
	var allowFinalize atomic.Bool
	srv := hookServer(t, func(path string, req map[string]any, _ http.Header) (int, any) {
		mu.Lock()
		last = req
		mu.Unlock()
		parent := req["parent"].(map[string]any)
		name := field(parent, "metadata", "name").(string)
		if path == "/finalize" {
			return 200, map[string]any{"status": map[string]any{"phase": "finalizing"}, "children": []any{}, "finalized": allowFinalize.Load()}
		}
		var children []any
		if field(parent, "spec", "child") == true {
			children = append(children, map[string]any{
				"apiVersion": "v1", "kind": "ConfigMap",
				"metadata": map[string]any{"name": name + "-child"},
				"data":     map[string]any{"value": field(parent, "spec", "value")},
			})
		}
		return 200, map[string]any{"status": map[string]any{"phase": "synced"}, "children": children}
	})
	cc := compositeController(t, "widgets", "widgets", srv.URL, `    finalize: {webhook: {url: "`+srv.URL+`/finalize"}}`)
	s, err := standin.New(e.cfg, []*unstructured.Unstructured{cc}, standin.Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Controller("widgets")
	lastRequest := func() map[string]any {
		mu.Lock()
		defer mu.Unlock()
		return last
	}

	created := e.create(t, widgets, widget(t, ns, "w1", `{value: a, child: true}`))
	res, err := c.SyncOnce(testkit.Context(t), ns, "w1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Hook != "sync" || res.Composite == nil || len(res.Composite.Children) != 1 {
		t.Fatalf("result = %+v", res)
	}

	parent := e.get(t, widgets, ns, "w1")
	if got := parent.GetFinalizers(); len(got) != 1 || got[0] != "metacontroller.io/compositecontroller-widgets" {
		t.Errorf("finalizers = %v", got)
	}
	checkStatus(t, parent, "synced", 1)
	child := e.get(t, configMaps, ns, "w1-child")
	if got := field(child.Object, "data", "value"); got != "a" {
		t.Errorf("child data.value = %v", got)
	}
	if got := child.GetLabels()["controller-uid"]; got != string(created.GetUID()) {
		t.Errorf("child controller-uid label = %q, want the parent's uid", got)
	}
	ref := metav1.GetControllerOf(child)
	if ref == nil || ref.UID != created.GetUID() || ref.Kind != "Widget" || ref.APIVersion != "test.hookops.dev/v1" ||
		ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Errorf("child controller ref = %+v", ref)
	}
	if m := child.GetManagedFields(); len(m) == 0 || m[0].Manager != "metacontroller" || m[0].Operation != metav1.ManagedFieldsOperationApply {
		t.Errorf("child managedFields = %+v, want a server-side apply by metacontroller", m)
	}

	// The next sync sees the child, keyed by name (hook version v1).
	if _, err := c.SyncOnce(testkit.Context(t), ns, "w1"); err != nil {
		t.Fatal(err)
	}
	if _, ok := field(lastRequest(), "children", "ConfigMap.v1", "w1-child").(map[string]any); !ok {
		t.Errorf("children = %v, want ConfigMap.v1 w1-child", field(lastRequest(), "children"))
	}

	// A child the hook stops returning is deleted.
	parent.Object["spec"] = map[string]any{"value": "b", "child": false}
	if _, err := e.dyn.Resource(widgets).Namespace(ns).Update(testkit.Context(t), parent, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SyncOnce(testkit.Context(t), ns, "w1"); err != nil {
		t.Fatal(err)
	}
	if !e.gone(t, configMaps, ns, "w1-child") {
		t.Error("child still exists after the hook stopped returning it")
	}
	checkStatus(t, e.get(t, widgets, ns, "w1"), "synced", 2)

	// Deletion: finalize is called, and the finalizer stays until it answers finalized.
	if err := e.dyn.Resource(widgets).Namespace(ns).Delete(testkit.Context(t), "w1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err = c.SyncOnce(testkit.Context(t), ns, "w1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Hook != "finalize" || lastRequest()["finalizing"] != true {
		t.Fatalf("hook = %q, finalizing = %v", res.Hook, lastRequest()["finalizing"])
	}
	parent = e.get(t, widgets, ns, "w1")
	if len(parent.GetFinalizers()) != 1 {
		t.Errorf("finalizers = %v before finalized", parent.GetFinalizers())
	}
	checkStatus(t, parent, "finalizing", parent.GetGeneration())

	allowFinalize.Store(true)
	if _, err := c.SyncOnce(testkit.Context(t), ns, "w1"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, "the parent to be deleted", func() (bool, string) { return e.gone(t, widgets, ns, "w1"), "" })
	if _, err := c.SyncOnce(testkit.Context(t), ns, "w1"); err == nil {
		t.Error("SyncOnce of a deleted parent succeeded")
	}
}

func checkStatus(t *testing.T, parent *unstructured.Unstructured, phase string, generation int64) {
	t.Helper()
	status, _ := parent.Object["status"].(map[string]any)
	if status["phase"] != phase || status["observedGeneration"] != generation {
		t.Errorf("status = %v, want phase %s and observedGeneration %d", status, phase, generation)
	}
}

// runWidgets starts a stand-in in watch mode for a fresh parent kind whose
// sync hook is handle, and creates one parent.
func runWidgets(t *testing.T, kind, extra string, opts standin.Options, handle func(n int, req map[string]any, h http.Header) (int, any)) (*standin.Standin, env, schema.GroupVersionResource) {
	e := startCluster(t)
	gvr := e.parentKind(t, kind)
	var n atomic.Int32
	srv := hookServer(t, func(_ string, req map[string]any, h http.Header) (int, any) { return handle(int(n.Add(1)), req, h) })
	opts.Logger = testLogger(t)
	s, err := standin.New(e.cfg, []*unstructured.Unstructured{compositeController(t, gvr.Resource, gvr.Resource, srv.URL, extra)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	ns := gvr.Resource
	e.namespace(t, ns, nil)
	run(t, s)
	e.create(t, gvr, object(t, "{apiVersion: test.hookops.dev/v1, kind: %s, metadata: {name: p, namespace: %s}, spec: {}}", kind, ns))
	return s, e, gvr
}

// waitCalls waits for n sync calls and returns them.
func waitCalls(t *testing.T, s *standin.Standin, n int, timeout time.Duration) []standin.Call {
	t.Helper()
	testkit.Eventually(t, timeout, fmt.Sprintf("%d sync calls", n), func() (bool, string) { return len(calls(s, "sync")) >= n, "" })
	return calls(s, "sync")[:n]
}

func within(t *testing.T, what string, got, lo, hi time.Duration) {
	t.Helper()
	if got < lo || got >= hi {
		t.Errorf("%s = %s, want [%s, %s)", what, got.Round(time.Millisecond), lo, hi)
	}
}

// A failing hook changes nothing and is retried with exponential backoff.
func TestCompositeBackoff(t *testing.T) {
	t.Parallel()
	const failures = 4
	var violations atomic.Int32
	s, e, gvr := runWidgets(t, "Backoff", "", standin.Options{BackoffBase: 250 * time.Millisecond, BackoffMax: 4 * time.Second},
		func(n int, req map[string]any, _ http.Header) (int, any) {
			if n <= failures+1 && field(req, "parent", "status") != nil {
				violations.Add(1) // a status was written although every call so far failed
			}
			if n <= failures {
				never := map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "never"}}
				return http.StatusInternalServerError, map[string]any{"status": map[string]any{"phase": "failed"}, "children": []any{never}}
			}
			return 200, map[string]any{"status": map[string]any{"phase": "ok"}, "children": []any{}}
		})
	got := waitCalls(t, s, failures+1, 20*time.Second)
	for i, c := range got {
		if want := map[bool]int{true: 500, false: 200}[i < failures]; c.StatusCode != want {
			t.Errorf("call %d answered %d, want %d", i+1, c.StatusCode, want)
		}
	}
	if v := violations.Load(); v != 0 {
		t.Errorf("%d hook calls saw a status written after failures", v)
	}
	want := 250 * time.Millisecond
	for i, g := range gaps(got) {
		within(t, fmt.Sprintf("gap after failure %d", i+1), g, want*9/10, want*3/2+300*time.Millisecond)
		want *= 2
	}
	testkit.Eventually(t, 10*time.Second, "the status of the successful call", func() (bool, string) {
		return field(e.get(t, gvr, gvr.Resource, "p").Object, "status", "phase") == "ok", ""
	})
	// The children of the failed answers were never applied.
	if !e.gone(t, configMaps, gvr.Resource, "never") {
		t.Error("a child from a non-200 answer was created")
	}
}

// 429 is retried after Retry-After (at once without one) and does not
// count as a failure: the failure after it backs off like a second one.
func TestCompositeTooManyRequests(t *testing.T) {
	t.Parallel()
	s, _, _ := runWidgets(t, "Throttle", "", standin.Options{BackoffBase: 400 * time.Millisecond, BackoffMax: 10 * time.Second},
		func(n int, req map[string]any, h http.Header) (int, any) {
			switch n {
			case 1, 3:
				return http.StatusServiceUnavailable, map[string]any{}
			case 2:
				h.Set("Retry-After", "1")
				return http.StatusTooManyRequests, map[string]any{}
			case 4:
				return http.StatusTooManyRequests, map[string]any{}
			}
			return 200, map[string]any{"status": map[string]any{}}
		})
	g := gaps(waitCalls(t, s, 5, 20*time.Second))
	within(t, "gap after the first failure", g[0], 360*time.Millisecond, 900*time.Millisecond)
	within(t, "gap after 429 with Retry-After: 1", g[1], 950*time.Millisecond, 1600*time.Millisecond)
	within(t, "gap after the second failure", g[2], 720*time.Millisecond, 1400*time.Millisecond)
	within(t, "gap after 429 without Retry-After", g[3], 0, 300*time.Millisecond)
}

// resyncAfterSeconds from the hook schedules the next sync; the parent's
// own resync period (300s here) is later, so the hook's wins.
func TestCompositeResyncAfter(t *testing.T) {
	t.Parallel()
	s, _, _ := runWidgets(t, "Resync", "  resyncPeriodSeconds: 300\n", standin.Options{},
		func(int, map[string]any, http.Header) (int, any) {
			return 200, map[string]any{"status": map[string]any{"phase": "ok"}, "resyncAfterSeconds": 0.5}
		})
	for i, g := range settled(t, waitCalls(t, s, 7, 20*time.Second), 300*time.Millisecond) {
		within(t, fmt.Sprintf("settled gap %d", i+1), g, 450*time.Millisecond, 900*time.Millisecond)
	}
}

// resyncPeriodSeconds resyncs every parent; here it is sooner than the
// hook's resyncAfterSeconds, so it wins.
func TestCompositeResyncPeriod(t *testing.T) {
	t.Parallel()
	s, _, _ := runWidgets(t, "Period", "  resyncPeriodSeconds: 1\n", standin.Options{},
		func(int, map[string]any, http.Header) (int, any) {
			return 200, map[string]any{"status": map[string]any{"phase": "ok"}, "resyncAfterSeconds": 5}
		})
	for i, g := range settled(t, waitCalls(t, s, 7, 20*time.Second), 500*time.Millisecond) {
		within(t, fmt.Sprintf("settled gap %d", i+1), g, 800*time.Millisecond, 1700*time.Millisecond)
	}
}

// settled returns the gaps between calls once the start-up burst is over.
// Creating a parent and writing its status cause a burst of event-driven
// syncs whose length depends on how the watch events interleave; the burst
// ends at the first gap of at least quiet. That gap is dropped too: it runs
// from the burst's last call to the first timed one, and a resync period
// counts from the informer's start, not from the burst.
func settled(t *testing.T, cs []standin.Call, quiet time.Duration) []time.Duration {
	t.Helper()
	gs := gaps(cs)
	for i, g := range gs {
		if g >= quiet {
			rest := gs[i+1:]
			if len(rest) < 2 {
				t.Fatalf("only %d timed gaps after the start-up burst: %v", len(rest), gs)
			}
			return rest
		}
	}
	t.Fatalf("the start-up burst never ended: %v", gs)
	return nil
}
