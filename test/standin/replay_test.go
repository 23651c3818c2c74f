package standin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hookops/hookops/test/controlplane"
	"github.com/hookops/hookops/test/reference"
	"github.com/hookops/hookops/test/standin"
	"github.com/hookops/hookops/test/testkit"
)

// The URL the captured controllers' webhooks point at.
const capturedHookBase = "http://127.0.0.1:18080"

var githubRepos = schema.GroupVersionResource{Group: "github.hookops.dev", Version: "v1", Resource: "githubrepos"}

// recorder is a hook server that records every request and answers each
// path with a fixed body.
type recorder struct {
	*httptest.Server
	mu      sync.Mutex
	answers map[string]string
	reqs    []recorded
}

type recorded struct {
	method, path, contentType string
	body                      map[string]any
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{answers: map[string]string{}}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("%s: request body: %v", r.URL.Path, err)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.reqs = append(rec.reqs, recorded{r.Method, r.URL.Path, r.Header.Get("Content-Type"), body})
		ans, ok := rec.answers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, ans)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) reset() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.reqs = nil
}

func (rec *recorder) answer(path, body string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.answers[path] = body
}

// find returns the requests to path whose root object (parent or object) is
// named name, oldest first.
func (rec *recorder) find(path, name string) []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []recorded
	for _, r := range rec.reqs {
		root, _ := r.body["parent"].(map[string]any)
		if root == nil {
			root, _ = r.body["object"].(map[string]any)
		}
		if r.path == path && field(root, "metadata", "name") == name {
			out = append(out, r)
		}
	}
	return out
}

// The stand-in builds the same requests as Metacontroller v4.17.2 did for
// the same controllers and objects, for hook versions v1 and v2.
func TestReplayCapturedRequests(t *testing.T) {
	t.Parallel()
	e := startCluster(t)
	rec := newRecorder(t)
	opts := standin.Options{
		RewriteURL: func(u string) string { return strings.Replace(u, capturedHookBase, rec.URL, 1) },
		Logger:     testLogger(t),
	}
	fixture := func(elem ...string) string {
		return reference.Path(t, append([]string{"fixtures", "metacontroller-v4.17.2"}, elem...)...)
	}
	for _, v := range []string{"v1", "v2"} {
		t.Run(v, func(t *testing.T) {
			rec.reset()
			// Applying the objects again recreates the GitHubRepo the previous
			// version finalized away.
			err := controlplane.Apply(testkit.Context(t), e.cfg, reference.Path(t, "metacontroller", "crds-v4.17.2.yaml"),
				fixture("controllers-"+v+".yaml"), fixture("objects.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			captured := func(name string) capture { return readCapture(t, fixture(v, name)) }
			t.Run("composite", func(t *testing.T) { replayComposite(t, e, rec, opts, v, captured) })
			t.Run("decorator", func(t *testing.T) { replayDecorator(t, e, rec, opts, v, captured) })
		})
	}
}

func replayComposite(t *testing.T, e env, rec *recorder, opts standin.Options, v string, captured func(string) capture) {
	// The answers that lead to the captured state: the Secret the GitHubRepo
	// names is related; with v2 the sync answer also has a child, which is
	// why v2's captured sync (the second one) and finalize show one.
	children := `[]`
	if v == "v2" {
		children = `[{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "demo-github"}, "data": {"cloneURL": "https://example.invalid/x.git"}}]`
	}
	rec.answer("/customize/githubrepo", `{"relatedResources": [{"apiVersion": "v1", "resource": "secrets", "namespace": "team-a", "names": ["gh-token"]}]}`)
	rec.answer("/sync/githubrepo", `{"status": {"phase": "synced"}, "children": `+children+`}`)
	rec.answer("/finalize/githubrepo", `{"status": {"phase": "synced"}, "children": [], "finalized": true}`)

	c := fromCluster(t, e, opts).Controller("githubrepo")
	syncs := map[string]int{"v1": 1, "v2": 2}[v]
	for range syncs {
		if _, err := c.SyncOnce(testkit.Context(t), "team-a", "demo"); err != nil {
			t.Fatal(err)
		}
	}
	compare(t, captured("composite-customize.json"), rec.find("/customize/githubrepo", "demo")[0])
	compare(t, captured("composite-sync.json"), rec.find("/sync/githubrepo", "demo")[syncs-1])

	if err := e.dyn.Resource(githubRepos).Namespace("team-a").Delete(testkit.Context(t), "demo", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := c.SyncOnce(testkit.Context(t), "team-a", "demo")
	if err != nil {
		t.Fatal(err)
	}
	if res.Hook != "finalize" {
		t.Fatalf("hook after deletion = %q, want finalize", res.Hook)
	}
	finals := rec.find("/finalize/githubrepo", "demo")
	compare(t, captured("composite-finalize.json"), finals[len(finals)-1])
	testkit.Eventually(t, 10*time.Second, "the finalized GitHubRepo to go", func() (bool, string) { return e.gone(t, githubRepos, "team-a", "demo"), "" })
}

func replayDecorator(t *testing.T, e env, rec *recorder, opts standin.Options, v string, captured func(string) capture) {
	const enabled = `{"relatedResources": [{"apiVersion": "v1", "resource": "configmaps", "labelSelector": {"matchLabels": {"mirror.hookops.dev/enabled": "true"}}}]}`
	const mirror = `{"attachments": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "defaults", "namespace": "team-a", "labels": {"mirror.hookops.dev/mirror-of": "shared-config.defaults"}}, "data": {"color": "blue"}}]}`

	// First sync, no attachment yet. The captured v1 run's customize answer
	// selected no ConfigMap at that point (related is empty but typed), so
	// v1 answers with a selector nothing matches.
	first := enabled
	if v == "v1" {
		first = strings.Replace(enabled, `"true"`, `"not-yet"`, 1)
	}
	rec.answer("/customize/mirror", first)
	rec.answer("/decorator/mirror", `{"attachments": []}`)
	syncTeamA(t, fromCluster(t, e, opts), 1)
	syncs := rec.find("/decorator/mirror", "team-a")
	compare(t, captured("decorator-sync-empty.json"), syncs[len(syncs)-1])

	// A fresh stand-in (Metacontroller's customize cache restarts with the
	// controller): the attachment is made, and the next sync sees it.
	rec.answer("/customize/mirror", enabled)
	rec.answer("/decorator/mirror", mirror)
	s := fromCluster(t, e, opts)
	syncTeamA(t, s, 2)
	syncs = rec.find("/decorator/mirror", "team-a")
	compare(t, captured("decorator-sync.json"), syncs[len(syncs)-1])
	rec.answer("/decorator/mirror", `{"attachments": []}`)
	syncTeamA(t, s, 1)
	if !e.gone(t, configMaps, "team-a", "defaults") {
		t.Error("the attachment outlived an answer without it")
	}

	// Metacontroller also calls customize for Namespaces it does not
	// decorate, when a related object changes: v2's capture is such a call.
	// The watch loop reproduces it.
	want := captured("decorator-customize.json")
	parent := field(want.Body, "parent", "metadata", "name").(string)
	if len(rec.find("/customize/mirror", parent)) == 0 {
		ctx, cancel := context.WithCancel(testkit.Context(t))
		done := make(chan error, 1)
		go func() { done <- fromCluster(t, e, opts).Run(ctx) }()
		testkit.Eventually(t, 20*time.Second, "customize for "+parent, func() (bool, string) { return len(rec.find("/customize/mirror", parent)) > 0, "" })
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	compare(t, want, rec.find("/customize/mirror", parent)[0])
}

func fromCluster(t *testing.T, e env, opts standin.Options) *standin.Standin {
	t.Helper()
	s, err := standin.FromCluster(testkit.Context(t), e.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func syncTeamA(t *testing.T, s *standin.Standin, n int) {
	t.Helper()
	for range n {
		if _, err := s.Controller("mirror").SyncOnce(testkit.Context(t), "", "team-a"); err != nil {
			t.Fatal(err)
		}
	}
}

// capture is one request recorded from the real Metacontroller.
type capture struct {
	Request struct {
		Method  string            `json:"method"`
		Path    string            `json:"path"`
		Headers map[string]string `json:"headers"`
	} `json:"request"`
	Body map[string]any `json:"body"`
	file string
}

func readCapture(t *testing.T, path string) capture {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c capture
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c.file = path
	return c
}

// compare checks a request the stand-in sent against the captured one,
// field by field, after normalize.
func compare(t *testing.T, want capture, got recorded) {
	t.Helper()
	if got.method != want.Request.Method || got.path != want.Request.Path || got.contentType != want.Request.Headers["Content-Type"] {
		t.Errorf("%s: request %s %s (%s), want %s %s (%s)", want.file, got.method, got.path, got.contentType,
			want.Request.Method, want.Request.Path, want.Request.Headers["Content-Type"])
	}
	var diffs []string
	diff("", normalize(want.Body), normalize(got.body), &diffs)
	for _, d := range diffs {
		t.Errorf("%s: %s", want.file, d)
	}
}

// Fields that differ between any two runs and say nothing about how the
// request was built.
var volatileMeta = []string{"uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "deletionTimestamp", "selfLink"}

// Annotations that record how an object was written rather than what it is:
// kubectl's client-side apply (the capture used kubectl, the test applies
// server-side) and Metacontroller's default dynamic-apply strategy (the
// stand-in applies children server-side, as Metacontroller's
// server-side-apply strategy does, which keeps no such annotation).
var writerAnnotations = []string{"kubectl.kubernetes.io/last-applied-configuration", "metacontroller.k8s.io/last-applied-configuration"}

// normalize returns a copy of a request body without volatile fields, with
// every UID replaced by the identity of its object so that owner
// references and controller-uid labels still compare, and without the
// controller's metadata (a different object in each run).
func normalize(body map[string]any) map[string]any {
	b := deepCopy(body).(map[string]any)
	if ctl, ok := b["controller"].(map[string]any); ok {
		delete(ctl, "metadata")
	}
	uids := map[string]string{}
	walk(b, func(m map[string]any) {
		meta, ok := m["metadata"].(map[string]any)
		if uid, _ := meta["uid"].(string); ok && uid != "" {
			uids[uid] = fmt.Sprintf("<uid of %v %v/%v>", m["kind"], meta["namespace"], meta["name"])
		}
	})
	walk(b, func(m map[string]any) {
		for k, v := range m {
			if s, ok := v.(string); ok && uids[s] != "" {
				m[k] = uids[s]
			}
		}
		meta, ok := m["metadata"].(map[string]any)
		if !ok {
			return
		}
		for _, f := range volatileMeta {
			delete(meta, f)
		}
		if ann, ok := meta["annotations"].(map[string]any); ok {
			for _, a := range writerAnnotations {
				delete(ann, a)
			}
			if len(ann) == 0 {
				delete(meta, "annotations")
			}
		}
	})
	return b
}

// walk calls fn on every JSON object in v, parents before children.
func walk(v any, fn func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(v)
		for _, x := range v {
			walk(x, fn)
		}
	case []any:
		for _, x := range v {
			walk(x, fn)
		}
	}
}

func deepCopy(v any) any {
	raw, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

// diff records every path where got differs from want.
func diff(path string, want, got any, out *[]string) {
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if wok && gok {
		keys := map[string]bool{}
		for k := range wm {
			keys[k] = true
		}
		for k := range gm {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		slices.Sort(sorted)
		for _, k := range sorted {
			w, inW := wm[k]
			g, inG := gm[k]
			switch {
			case !inG:
				*out = append(*out, fmt.Sprintf("%s.%s: missing, want %s", path, k, compact(w)))
			case !inW:
				*out = append(*out, fmt.Sprintf("%s.%s: unexpected %s", path, k, compact(g)))
			default:
				diff(path+"."+k, w, g, out)
			}
		}
		return
	}
	wl, wok := want.([]any)
	gl, gok := got.([]any)
	if wok && gok && len(wl) == len(gl) {
		for i := range wl {
			diff(fmt.Sprintf("%s[%d]", path, i), wl[i], gl[i], out)
		}
		return
	}
	if !reflect.DeepEqual(want, got) {
		*out = append(*out, fmt.Sprintf("%s: got %s, want %s", path, compact(got), compact(want)))
	}
}

func compact(v any) string {
	raw, _ := json.Marshal(v)
	if len(raw) > 300 {
		return string(raw[:300]) + "..."
	}
	return string(raw)
}
