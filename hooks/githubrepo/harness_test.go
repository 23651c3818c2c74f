package githubrepo_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/hooks/githubrepo"
	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/test/fakegithub/fake"
)

const token = "fake-token"

// harness plays Metacontroller for one GitHubRepo against a fake GitHub:
// each sync sends the parent as it stands and writes back the status and
// children the hook returned, as Metacontroller does.
type harness struct {
	t      testing.TB
	gh     *fake.Server
	base   string
	hooks  *githubrepo.Hooks
	logs   *syncBuffer
	parent metacontroller.Object
	secret metacontroller.Object
	kids   metacontroller.ObjectMap
	last   *metacontroller.CompositeResponse
	now    time.Time // the hooks' clock; see later
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newHarness(t testing.TB, spec map[string]any, opts ...fake.Option) *harness {
	t.Helper()
	gh, base := fake.Start(t, opts...)
	logs := &syncBuffer{}
	hooks := githubrepo.New(nil)
	hooks.Budget = nil
	hooks.Jitter = func() float64 { return 0.5 }
	hooks.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := &harness{t: t, gh: gh, base: base, hooks: hooks, logs: logs, kids: metacontroller.ObjectMap{}, now: time.Now()}
	hooks.Now = func() time.Time { return h.now }
	if _, ok := spec["credentialsSecretRef"]; !ok {
		spec["credentialsSecretRef"] = map[string]any{"name": "gh-token"}
	}
	h.parent = metacontroller.Object{
		"apiVersion": v1.APIVersion, "kind": v1.Kind,
		"metadata": map[string]any{"name": "widgets", "namespace": "team-a", "uid": "u-1", "generation": json.Number("1")},
		"spec":     spec,
	}
	h.secret = h.makeSecret(map[string]string{"token": token, "baseURL": base})
	return h
}

func (h *harness) makeSecret(data map[string]string) metacontroller.Object {
	enc := map[string]any{}
	for k, v := range data {
		enc[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	return metacontroller.Object{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": map[string]any{"name": "gh-token", "namespace": "team-a"}, "data": enc}
}

func (h *harness) request(finalizing bool) *metacontroller.CompositeRequest {
	related := metacontroller.ObjectMap{"Secret.v1": {}}
	if h.secret != nil {
		related["Secret.v1"]["gh-token"] = h.secret
	}
	return &metacontroller.CompositeRequest{Parent: deepCopy(h.t, h.parent), Children: h.kids, Related: related, Finalizing: finalizing}
}

// sync calls the sync hook and applies its answer.
func (h *harness) sync() *metacontroller.CompositeResponse {
	h.t.Helper()
	return h.apply(h.hooks.Sync(context.Background(), h.request(false)))
}

func (h *harness) finalize() *metacontroller.CompositeResponse {
	h.t.Helper()
	md := h.parent["metadata"].(map[string]any)
	md["deletionTimestamp"] = "2026-11-24T00:00:00Z"
	return h.apply(h.hooks.Finalize(context.Background(), h.request(true)))
}

func (h *harness) apply(resp *metacontroller.CompositeResponse, err error) *metacontroller.CompositeResponse {
	h.t.Helper()
	if err != nil {
		h.t.Fatalf("hook error: %v", err)
	}
	var st map[string]any
	roundTrip(h.t, resp.Status, &st)
	h.parent["status"] = st
	h.kids = metacontroller.ObjectMap{"ConfigMap.v1": {}}
	for _, c := range resp.Children {
		h.kids["ConfigMap.v1"][c.Name()] = deepCopy(h.t, c)
	}
	h.last = resp
	return resp
}

// later moves the hooks' clock forward, as time passing between syncs.
func (h *harness) later(d time.Duration) { h.now = h.now.Add(d) }

// edit changes the spec as a user would, bumping the generation.
func (h *harness) edit(change func(spec map[string]any)) {
	change(h.parent["spec"].(map[string]any))
	md := h.parent["metadata"].(map[string]any)
	g, _ := md["generation"].(json.Number).Int64()
	md["generation"] = json.Number(strconv.FormatInt(g+1, 10))
}

func (h *harness) status() v1.GitHubRepoStatus {
	h.t.Helper()
	var st v1.GitHubRepoStatus
	roundTrip(h.t, h.parent["status"], &st)
	return st
}

// condition returns "Status/Reason" of one condition.
func (h *harness) condition(typ string) string {
	st := h.status()
	c := meta.FindStatusCondition(st.Conditions, typ)
	if c == nil {
		return "<none>"
	}
	return string(c.Status) + "/" + c.Reason
}

func (h *harness) message(typ string) string {
	st := h.status()
	if c := meta.FindStatusCondition(st.Conditions, typ); c != nil {
		return c.Message
	}
	return ""
}

func (h *harness) expect(typ, want string) {
	h.t.Helper()
	if got := h.condition(typ); got != want {
		h.t.Fatalf("%s = %s, want %s (message: %s)", typ, got, want, h.message(typ))
	}
}

// writes counts the mutating requests the fake has seen.
func (h *harness) writes() int {
	n := 0
	for _, r := range h.gh.Requests(fake.RequestFilter{}) {
		if r.Method != "GET" {
			n++
		}
	}
	return n
}

func (h *harness) requests(method, path string) int {
	return len(h.gh.Requests(fake.RequestFilter{Method: method, Path: path}))
}

func (h *harness) repo(owner, name string) fake.Repo {
	h.t.Helper()
	r, ok := h.gh.Repo(owner, name)
	if !ok {
		h.t.Fatalf("fake GitHub has no %s/%s; it has %v", owner, name, names(h.gh.Repos()))
	}
	return r
}

func names(repos []fake.Repo) []string {
	var out []string
	for _, r := range repos {
		out = append(out, r.FullName())
	}
	return out
}

func roundTrip(t testing.TB, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		t.Fatal(err)
	}
}

func deepCopy(t testing.TB, o metacontroller.Object) metacontroller.Object {
	var out metacontroller.Object
	roundTrip(t, o, &out)
	return out
}

// twin is a second GitHubRepo, in namespace ns with its own uid, talking to
// the same fake GitHub through its own Hooks (as another replica, or
// another cluster's hookops, would).
func (h *harness) twin(ns, uid string, spec map[string]any) *harness {
	h.t.Helper()
	t := *h
	t.hooks = githubrepo.New(nil)
	t.hooks.Budget, t.hooks.Jitter, t.hooks.Log, t.hooks.Guard = h.hooks.Budget, h.hooks.Jitter, h.hooks.Log, h.hooks.Guard
	tw := &t
	tw.hooks.Now = func() time.Time { return tw.now }
	tw.kids = metacontroller.ObjectMap{}
	if _, ok := spec["credentialsSecretRef"]; !ok {
		spec["credentialsSecretRef"] = map[string]any{"name": "gh-token"}
	}
	tw.parent = metacontroller.Object{
		"apiVersion": v1.APIVersion, "kind": v1.Kind,
		"metadata": map[string]any{"name": "widgets", "namespace": ns, "uid": uid, "generation": json.Number("1")},
		"spec":     spec,
	}
	tw.secret = deepCopy(h.t, h.secret)
	tw.secret["metadata"].(map[string]any)["namespace"] = ns
	return tw
}

// pointAt makes the credentials Secret name another GitHub.
func (h *harness) pointAt(base string) {
	h.secret = h.makeSecret(map[string]string{"token": token, "baseURL": base})
}

// untilRetry moves the clock past the backoff of the last failure.
func (h *harness) untilRetry() {
	if rt := h.status().RetryTime; rt != nil {
		h.now = rt.Add(time.Second)
	}
}
