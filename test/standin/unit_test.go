package standin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/yaml"

	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/test/reference"
)

// offline is a config for a server that is never contacted.
var offline = &rest.Config{Host: "http://127.0.0.1:1"}

func mustObject(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(y), &m); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

func TestShippedControllerFromFiles(t *testing.T) {
	opts := Options{ServiceURL: func(ns, name string, port int32) string {
		return fmt.Sprintf("http://127.0.0.1:8080/%s.%s.%d", name, ns, port)
	}}
	s, err := FromFiles(offline, opts, filepath.Join(reference.RepoRoot(), "manifests", "controllers", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Controller("githubrepo")
	if c == nil {
		t.Fatalf("no githubrepo controller among %d", len(s.Controllers()))
	}
	if got, want := c.HookURL("sync"), "http://127.0.0.1:8080/hookops.hookops-system.80/hooks/githubrepo/sync"; got != want {
		t.Errorf("sync URL = %q, want %q", got, want)
	}
	if got, want := c.Finalizer(), "metacontroller.io/compositecontroller-githubrepo"; got != want {
		t.Errorf("finalizer = %q, want %q", got, want)
	}
	h := c.hooks["finalize"]
	if h.timeout != 10*time.Second || h.version != metacontroller.V1 || h.strict {
		t.Errorf("finalize hook = %+v, want 10s, v1, loose", h)
	}
	// No resync period: each sync's resyncAfterSeconds spreads them.
	if c.resync != 0 || !c.generateSelector || c.children[0].method != methodInPlace {
		t.Errorf("resync %s, generateSelector %v, children %+v", c.resync, c.generateSelector, c.children)
	}
}

func TestControllerRejects(t *testing.T) {
	base := `
apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: x}
spec:
  parentResource: {apiVersion: v1, resource: configmaps}
  hooks:
    sync: {webhook: %s}
`
	cases := map[string]string{
		"service without ServiceURL": `{service: {name: a, namespace: b}, path: /sync}`,
		"no url nor service":         `{timeout: 5s}`,
		"etag":                       `{url: "http://x/sync", etag: {enabled: true}}`,
		"basicAuth":                  `{url: "http://x/sync", basicAuth: {secretRef: {name: s, namespace: n}}}`,
		"clientTLS":                  `{url: "http://x/sync", clientTLS: {secretRef: {name: s, namespace: n}}}`,
	}
	for name, webhook := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := New(offline, []*unstructured.Unstructured{mustObject(t, fmt.Sprintf(base, webhook))}, Options{})
			if err == nil {
				t.Fatal("New accepted the controller")
			}
		})
	}
	t.Run("recreate strategy", func(t *testing.T) {
		y := strings.Replace(fmt.Sprintf(base, `{url: "http://x"}`), "  hooks:", "  childResources: [{apiVersion: v1, resource: secrets, updateStrategy: {method: Recreate}}]\n  hooks:", 1)
		if _, err := New(offline, []*unstructured.Unstructured{mustObject(t, y)}, Options{}); err == nil {
			t.Fatal("New accepted a Recreate update strategy")
		}
	})
}

func TestAsSentAddsEmptyStructs(t *testing.T) {
	obj := mustObject(t, `
apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: x}
spec:
  childResources: [{apiVersion: v1, resource: configmaps, updateStrategy: {method: InPlace}}]
  hooks: {sync: {webhook: {url: "http://x"}}}
`)
	got := asSent(obj)
	if !reflect.DeepEqual(got["status"], map[string]any{}) {
		t.Errorf("status = %v, want {}", got["status"])
	}
	us, _, _ := unstructured.NestedMap(got["spec"].(map[string]any)["childResources"].([]any)[0].(map[string]any), "updateStrategy")
	if !reflect.DeepEqual(us, map[string]any{"method": "InPlace", "statusChecks": map[string]any{}}) {
		t.Errorf("updateStrategy = %v", us)
	}
	if v, _, _ := unstructured.NestedString(got, "spec", "hooks", "sync", "version"); v != "v1" {
		t.Errorf("sync hook version = %q, want the CRD default v1", v)
	}
	if _, ok := obj.Object["status"]; ok {
		t.Error("asSent changed the original")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := map[string]time.Duration{
		"3":    3 * time.Second,
		"":     0,
		"-4":   0,
		"soon": 0,
		now.Add(2500 * time.Millisecond).Format(time.RFC1123): 2 * time.Second, // RFC1123 has whole seconds
		now.Add(-time.Minute).Format(time.RFC1123):            0,
	}
	for in, want := range cases {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

// testController is a controller whose hooks all point at url.
func testController(t *testing.T, url, extra string) *Controller {
	t.Helper()
	s, err := New(offline, []*unstructured.Unstructured{mustObject(t, fmt.Sprintf(`
apiVersion: metacontroller.k8s.io/v1alpha1
kind: CompositeController
metadata: {name: test}
spec:
  parentResource: {apiVersion: v1, resource: configmaps}
  hooks:
    sync: {webhook: {url: "%s", timeout: 300ms}%s}
`, url, extra))}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s.Controllers()[0]
}

func TestCall(t *testing.T) {
	var gotType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/ok":
			gotType = r.Header.Get("Content-Type")
			fmt.Fprint(w, `{"status": {"n": 1}, "children": [], "extra": true}`)
		case "/fail":
			http.Error(w, "boom", http.StatusBadGateway)
		case "/busy":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/slow":
			select {
			case <-time.After(10 * time.Second):
			case <-r.Context().Done():
			}
		case "/echo":
			w.Write(body)
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	t.Run("ok, loose v1 ignores unknown fields", func(t *testing.T) {
		c := testController(t, srv.URL+"/ok", "")
		var ans compositeAnswer
		if err := c.call(ctx, c.hooks["sync"], "ns/a", map[string]any{}, &ans); err != nil {
			t.Fatal(err)
		}
		if gotType != "application/json" {
			t.Errorf("Content-Type = %q", gotType)
		}
		if ans.Status["n"] != int64(1) {
			t.Errorf("status = %#v, want n: int64(1)", ans.Status)
		}
		calls := c.s.Calls()
		if len(calls) != 1 || calls[0].StatusCode != 200 || calls[0].Hook != "sync" || calls[0].Parent != "ns/a" || calls[0].Err != "" {
			t.Errorf("calls = %+v", calls)
		}
	})
	t.Run("strict v2 rejects unknown fields", func(t *testing.T) {
		c := testController(t, srv.URL+"/ok", ", version: v2")
		var ans compositeAnswer
		err := c.call(ctx, c.hooks["sync"], "ns/a", map[string]any{}, &ans)
		var he *HookError
		if !errors.As(err, &he) || !strings.Contains(err.Error(), "extra") {
			t.Fatalf("err = %v, want a HookError naming the unknown field", err)
		}
	})
	t.Run("non-200", func(t *testing.T) {
		c := testController(t, srv.URL+"/fail", "")
		err := c.call(ctx, c.hooks["sync"], "a", map[string]any{}, &compositeAnswer{})
		var he *HookError
		if !errors.As(err, &he) || he.StatusCode != http.StatusBadGateway || !strings.Contains(he.Body, "boom") {
			t.Fatalf("err = %#v", err)
		}
		if got := c.s.Calls()[0]; got.StatusCode != http.StatusBadGateway || got.Err == "" {
			t.Errorf("call = %+v", got)
		}
	})
	t.Run("429", func(t *testing.T) {
		c := testController(t, srv.URL+"/busy", "")
		err := c.call(ctx, c.hooks["sync"], "a", map[string]any{}, &compositeAnswer{})
		var tm *TooManyRequestsError
		if !errors.As(err, &tm) || tm.RetryAfter != 7*time.Second {
			t.Fatalf("err = %#v, want TooManyRequestsError after 7s", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		c := testController(t, srv.URL+"/slow", "")
		start := time.Now()
		err := c.call(ctx, c.hooks["sync"], "a", map[string]any{}, &compositeAnswer{})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want a deadline", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("call took %s with a 300ms timeout", d)
		}
	})
	t.Run("request encoding keeps empty maps", func(t *testing.T) {
		c := testController(t, srv.URL+"/echo", "")
		children, err := objectSet{}.forHook(newEncodings(), "v1", "ns")
		if err != nil {
			t.Fatal(err)
		}
		req := compositeRequest{Parent: metacontroller.Object{"a": "b"}, Children: children, Related: metacontroller.RawObjectMap{}}
		var back map[string]any
		if err := c.call(ctx, c.hooks["sync"], "a", &req, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back["children"], map[string]any{}) || !reflect.DeepEqual(back["related"], map[string]any{}) {
			t.Errorf("children %v, related %v; want {} for both", back["children"], back["related"])
		}
	})
}

func obj(apiVersion, kind, namespace, name string, lbls map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(namespace)
	u.SetName(name)
	u.SetLabels(lbls)
	return u
}

func TestObjectSetKeys(t *testing.T) {
	set := objectSet{}
	set.init("Secret.v1")
	set.add(obj("v1", "ConfigMap", "team-a", "same", nil))
	set.add(obj("v1", "ConfigMap", "team-b", "other", nil))
	set.add(obj("v1", "Namespace", "", "team-a", nil))
	keys := func(m metacontroller.RawObjectMap) map[string][]string {
		out := map[string][]string{}
		for gk, byKey := range m {
			out[gk] = []string{}
			for k := range byKey {
				out[gk] = append(out[gk], k)
			}
		}
		return out
	}
	cases := []struct {
		name     string
		v        metacontroller.Version
		parentNS string
		want     map[string][]string
	}{
		{"v1 namespaced parent sees its namespace only", metacontroller.V1, "team-a",
			map[string][]string{"Secret.v1": {}, "ConfigMap.v1": {"same"}, "Namespace.v1": {}}},
		{"v1 cluster parent", metacontroller.V1, "",
			map[string][]string{"Secret.v1": {}, "ConfigMap.v1": {"team-a/same", "team-b/other"}, "Namespace.v1": {"team-a"}}},
		{"v2 namespaced parent", metacontroller.V2, "team-a",
			map[string][]string{"Secret.v1": {}, "ConfigMap.v1": {"team-a/same", "team-b/other"}, "Namespace.v1": {"team-a"}}},
	}
	for _, c := range cases {
		m, err := set.forHook(newEncodings(), c.v, c.parentNS)
		if err != nil {
			t.Fatal(err)
		}
		got := keys(m)
		for gk := range got {
			slices.Sort(got[gk])
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: keys = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestSelects(t *testing.T) {
	secrets := apiResource{apiVersion: "v1", kind: "Secret", namespaced: true}
	nsParent := apiResource{namespaced: true}
	clusterParent := apiResource{}
	parentA := obj("x/v1", "P", "team-a", "p", nil)
	ns := obj("v1", "Namespace", "", "team-a", nil)
	inA := obj("v1", "Secret", "team-a", "tok", map[string]string{"k": "v"})
	inB := obj("v1", "Secret", "team-b", "tok", map[string]string{"k": "v"})
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"k": "v"}}
	cases := []struct {
		name    string
		v       metacontroller.Version
		rule    relatedRule
		parent  *unstructured.Unstructured
		pres    apiResource
		obj     *unstructured.Unstructured
		want    bool
		wantErr bool
	}{
		{"v1 names, own namespace", "v1", relatedRule{Names: []string{"tok"}}, parentA, nsParent, inA, true, false},
		{"v1 names, other namespace", "v1", relatedRule{Names: []string{"tok"}}, parentA, nsParent, inB, false, false},
		{"v1 labels, other namespace", "v1", relatedRule{LabelSelector: sel}, parentA, nsParent, inB, false, false},
		{"v1 rule names another namespace", "v1", relatedRule{Namespace: "team-b", Names: []string{"tok"}}, parentA, nsParent, inB, false, true},
		{"v2 names, other namespace", "v2", relatedRule{Names: []string{"tok"}}, parentA, nsParent, inB, true, false},
		{"v2 namespace restricts", "v2", relatedRule{Namespace: "team-a"}, parentA, nsParent, inB, false, false},
		{"v1 cluster parent, labels anywhere", "v1", relatedRule{LabelSelector: sel}, ns, clusterParent, inB, true, false},
		{"v1 cluster parent, namespace + labels", "v1", relatedRule{Namespace: "team-a", LabelSelector: sel}, ns, clusterParent, inB, false, false},
		{"names with labels", "v2", relatedRule{Names: []string{"tok"}, LabelSelector: sel}, parentA, nsParent, inA, false, true},
		{"namespaceSelector", "v2", relatedRule{NamespaceSelector: sel}, parentA, nsParent, inA, false, true},
		{"wrong name", "v2", relatedRule{Names: []string{"other"}}, parentA, nsParent, inA, false, false},
		{"other labels", "v2", relatedRule{LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"k": "w"}}}, parentA, nsParent, inA, false, false},
		{"other kind", "v2", relatedRule{}, parentA, nsParent, obj("v1", "ConfigMap", "team-a", "tok", nil), false, false},
	}
	for _, c := range cases {
		c.rule.APIVersion, c.rule.Resource = "v1", "secrets"
		got, err := selects(c.v, c.rule, c.parent, c.pres, identify(c.obj), secrets)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("%s: selects = %v, %v; want %v, error %v", c.name, got, err, c.want, c.wantErr)
		}
	}
}

func TestMergeStrings(t *testing.T) {
	v := func(s string) *string { return &s }
	dst := map[string]string{"keep": "1", "drop": "2", "same": "3"}
	if !mergeStrings(dst, map[string]*string{"drop": nil, "same": v("3"), "new": v("4"), "absent": nil}) {
		t.Error("no change reported")
	}
	if want := map[string]string{"keep": "1", "same": "3", "new": "4"}; !reflect.DeepEqual(dst, want) {
		t.Errorf("got %v, want %v", dst, want)
	}
	if mergeStrings(dst, map[string]*string{"same": v("3"), "absent": nil}) {
		t.Error("change reported for a no-op")
	}
}

// What discovery said is kept for Metacontroller's discovery interval and
// asked again after it; a miss is never kept, since a CRD may appear any
// moment.
func TestResourceCacheRemembersForTheDiscoveryInterval(t *testing.T) {
	now := time.Unix(1000, 0)
	rc := &resourceCache{now: func() time.Time { return now }, found: map[resourceQuery]foundResource{}}
	lookups, fail := 0, false
	lookup := func() (apiResource, error) {
		lookups++
		if fail {
			return apiResource{}, errors.New("no such resource")
		}
		return apiResource{kind: "Widget"}, nil
	}
	q := resourceQuery{"example.com/v1", "widgets"}
	steps := []struct {
		advance     time.Duration
		fail        bool
		wantLookups int
		wantErr     bool
	}{
		{0, false, 1, false}, // first question: asked
		{discoveryInterval - time.Second, false, 1, false}, // within the interval: remembered
		{time.Second, true, 2, true},                       // the interval is over: asked again, and it fails
		{0, false, 3, false},                               // the miss was not kept
		{0, false, 3, false},                               // the new answer is
	}
	for i, s := range steps {
		now, fail = now.Add(s.advance), s.fail
		r, err := rc.remembered(q, lookup)
		if lookups != s.wantLookups || (err != nil) != s.wantErr || (err == nil && r.kind != "Widget") {
			t.Errorf("step %d: %d lookups, err %v, %+v; want %d lookups, error %v", i, lookups, err, r, s.wantLookups, s.wantErr)
		}
	}
}

func TestFromStoreNarrowsByLabelKey(t *testing.T) {
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{
		cache.NamespaceIndex: cache.MetaNamespaceIndexFunc, labelKeyIndex: labelKeys,
	})
	for _, o := range []*unstructured.Unstructured{
		obj("v1", "ConfigMap", "a", "source", map[string]string{"src": "true", "tier": "1"}),
		obj("v1", "ConfigMap", "b", "source", map[string]string{"src": "false"}),
		obj("v1", "ConfigMap", "a", "copy", map[string]string{"copy": "true", "tier": "2"}),
		obj("v1", "ConfigMap", "b", "plain", nil),
	} {
		if err := idx.Add(o); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		namespace, selector string
		want                []string
	}{
		{"", "src=true", []string{"a/source"}},
		{"", "src", []string{"a/source", "b/source"}},
		{"", "src in (true,false),tier", []string{"a/source"}},
		{"", "tier>1", []string{"a/copy"}},
		{"b", "src", []string{"b/source"}},
		{"a", "", []string{"a/copy", "a/source"}},
		// Operators that do not require the key read every object.
		{"", "src!=true", []string{"a/copy", "b/plain", "b/source"}},
		{"", "!src", []string{"a/copy", "b/plain"}},
		{"", "src notin (true)", []string{"a/copy", "b/plain", "b/source"}},
		{"", "", []string{"a/copy", "a/source", "b/plain", "b/source"}},
	}
	for _, c := range cases {
		sel, err := labels.Parse(c.selector)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := fromStore(idx, c.namespace, sel)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range objs {
			got = append(got, objectKey(o.GetNamespace(), o.GetName()))
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("namespace %q, selector %q: got %v, want %v", c.namespace, c.selector, got, c.want)
		}
	}
	// Only the objects with the key are read, not the whole store.
	read, err := candidates(idx, "", labels.SelectorFromSet(labels.Set{"src": "true"}))
	if err != nil || len(read) != 2 {
		t.Errorf("candidates for src=true: %d objects, %v; want the 2 with the key", len(read), err)
	}
}

func TestEncodingsKeepEachVersionOnce(t *testing.T) {
	enc := newEncodings()
	o := obj("v1", "ConfigMap", "a", "ca", nil)
	o.SetUID("u1")
	o.SetResourceVersion("1")
	first, err := enc.encode(o)
	if err != nil {
		t.Fatal(err)
	}
	// The store's objects never change under one resourceVersion, so the
	// same version is answered from memory, even when it is a new copy.
	again, _ := enc.encode(o.DeepCopy())
	if &again[0] != &first[0] {
		t.Error("the same uid and resourceVersion was encoded again")
	}
	o.SetLabels(map[string]string{"k": "v"})
	o.SetResourceVersion("2")
	if b, _ := enc.encode(o); !strings.Contains(string(b), `"k":"v"`) {
		t.Errorf("a new resourceVersion gave the old bytes: %s", b)
	}
	// Without a resourceVersion nothing tells versions apart: not kept.
	bare := obj("v1", "ConfigMap", "a", "bare", nil)
	bare.SetUID("u2")
	enc.encode(bare)
	bare.SetLabels(map[string]string{"x": "y"})
	if b, _ := enc.encode(bare); !strings.Contains(string(b), `"x":"y"`) {
		t.Errorf("an object without a resourceVersion came from memory: %s", b)
	}
	// The cache is bounded: the least recently used version goes first,
	// and the most recent stays.
	var last *unstructured.Unstructured
	var lastBytes json.RawMessage
	for i := range maxEncodings {
		last = obj("v1", "ConfigMap", "a", "fill", nil)
		last.SetUID(types.UID(fmt.Sprint("fill-", i)))
		last.SetResourceVersion("1")
		lastBytes, _ = enc.encode(last)
	}
	if n := enc.cache.Len(); n > maxEncodings {
		t.Errorf("%d entries kept, more than %d", n, maxEncodings)
	}
	o.SetLabels(map[string]string{"k": "changed"})
	if b, _ := enc.encode(o); !strings.Contains(string(b), `"k":"changed"`) {
		t.Errorf("the least recently used version was kept: %s", b)
	}
	if b, _ := enc.encode(last.DeepCopy()); &b[0] != &lastBytes[0] {
		t.Error("the most recently used version was dropped")
	}
}

// A request writes itself byte for byte as json.Marshal writes it.
func TestRequestsEncodeAsJSONMarshal(t *testing.T) {
	enc := newEncodings()
	set := objectSet{}
	set.init("Secret.v1")
	for i, name := range []string{"b", "a", "c<&>"} {
		o := obj("v1", "ConfigMap", "team-a", name, map[string]string{"note": "ünïcode <tag> & \u2028"})
		o.SetUID(types.UID(fmt.Sprint("uid-", i)))
		o.SetResourceVersion("7")
		set.add(o)
	}
	controller := metacontroller.Object{"kind": "DecoratorController", "metadata": map[string]any{"name": "m"}}
	parent := metacontroller.Object{"kind": "Namespace", "metadata": map[string]any{"name": "team-a"}}
	for _, v := range []metacontroller.Version{metacontroller.V1, metacontroller.V2} {
		m, err := set.forHook(enc, v, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, req := range []jsonAppender{
			&decoratorRequest{Controller: controller, Object: parent, Attachments: m, Related: metacontroller.RawObjectMap{}, Finalizing: true},
			&compositeRequest{Controller: controller, Parent: parent, Children: metacontroller.RawObjectMap{}, Related: m},
		} {
			got, err := req.appendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s %T:\n got %s\nwant %s", v, req, got, want)
			}
		}
	}
}
