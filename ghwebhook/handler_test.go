package ghwebhook

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
)

const testSecret = "webhook-secret"

// fakeIndex knows repository 1001 on api.github.com (two GitHubRepos) and
// 1002 (one), and nothing else.
type fakeIndex struct{}

func (fakeIndex) match(repo repository, _ string) ([]target, []target, error) {
	switch {
	case repo.host == "api.github.com" && repo.id == 1001:
		return []target{{Namespace: "team-a", Name: "widgets", By: byRepo}, {Namespace: "team-b", Name: "widgets", By: byRepo}}, nil, nil
	case repo.host == "api.github.com" && repo.id == 1002:
		return []target{{Namespace: "team-a", Name: "broken", By: byRepo}}, nil, nil
	case repo.id == 666:
		return nil, nil, errors.New("index broken")
	}
	return nil, nil, nil
}

// recordingTrigger records what it triggered; names in fail fail.
type recordingTrigger struct {
	mu   sync.Mutex
	fail map[string]bool
	got  []string
}

func (r *recordingTrigger) trigger(_ context.Context, t target, delivery string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail[t.Namespace+"/"+t.Name] {
		return errors.New("apiserver says no")
	}
	r.got = append(r.got, t.Namespace+"/"+t.Name+"@"+delivery)
	return nil
}

func (r *recordingTrigger) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

type fixture struct {
	h       *handler
	trigger *recordingTrigger
	ready   bool
	secrets [][]byte
	secErr  error
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{trigger: &recordingTrigger{fail: map[string]bool{"team-a/broken": true}}, ready: true, secrets: [][]byte{[]byte(testSecret)}}
	seen := newDeliveries(100, time.Hour)
	f.h = &handler{
		secrets: func() ([][]byte, error) { return f.secrets, f.secErr },
		seen:    seen, index: fakeIndex{}, trigger: f.trigger,
		ready:   func() bool { return f.ready },
		maxBody: 4096, timeout: time.Second,
		metrics: newMetrics(func() float64 { return float64(seen.len()) }),
		log:     slog.New(slog.DiscardHandler),
	}
	return f
}

// request is a delivery as GitHub sends it, signed with testSecret unless
// the test changes the headers.
type request struct {
	method  string
	headers map[string]string // "" deletes a header
	body    string
}

func repositoryEvent(action string, id int64) string {
	b, _ := json.Marshal(map[string]any{
		"action": action,
		"repository": map[string]any{"id": id, "node_id": "R_x", "full_name": "acme/widgets",
			"url": "https://api.github.com/repos/acme/widgets"},
		"sender": map[string]any{"login": "octocat"},
	})
	return string(b)
}

func signature(secret, body string) string {
	return "sha256=" + hex.EncodeToString(sign([]byte(secret), []byte(body)))
}

func (f *fixture) send(t *testing.T, req request) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	method := req.method
	if method == "" {
		method = http.MethodPost
	}
	r := httptest.NewRequest(method, Path, strings.NewReader(req.body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-GitHub-Event", "repository")
	r.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	r.Header.Set("X-Hub-Signature-256", signature(testSecret, req.body))
	r.Header.Set("User-Agent", "GitHub-Hookshot/044aadd")
	for k, v := range req.headers {
		if v == "" {
			r.Header.Del(k)
			continue
		}
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("answer %d is not JSON: %q", w.Code, w.Body.String())
	}
	return w, body
}

func TestHandlerAnswers(t *testing.T) {
	edited := repositoryEvent("edited", 1001)
	tests := []struct {
		name      string
		setup     func(*fixture)
		req       request
		status    int
		key, text string // the answer has key, containing text
		triggered []string
		outcome   string
	}{
		{name: "edited: both GitHubRepos triggered", req: request{body: edited}, status: 200, key: "status", text: "triggered",
			triggered: []string{"team-a/widgets@72d3162e-cc78-11e3-81ab-4c9367dc0958", "team-b/widgets@72d3162e-cc78-11e3-81ab-4c9367dc0958"}, outcome: outcomeTriggered},
		{name: "every action of the repository event triggers", req: request{body: repositoryEvent("transferred", 1001)}, status: 200, key: "status", text: "triggered",
			triggered: []string{"team-a/widgets@72d3162e-cc78-11e3-81ab-4c9367dc0958", "team-b/widgets@72d3162e-cc78-11e3-81ab-4c9367dc0958"}, outcome: outcomeTriggered},
		{name: "signed with the second secret of a rotation", setup: func(f *fixture) { f.secrets = [][]byte{[]byte("new-secret"), []byte(testSecret)} },
			req: request{body: edited}, status: 200, key: "status", text: "triggered",
			triggered: []string{"team-a/widgets@72d3162e-cc78-11e3-81ab-4c9367dc0958", "team-b/widgets@72d3162e-cc78-11e3-81ab-4c9367dc0958"}, outcome: outcomeTriggered},
		{name: "no GitHubRepo manages it", req: request{body: repositoryEvent("edited", 5)}, status: 200, key: "status", text: "unmatched", outcome: outcomeUnmatched},
		{name: "missing signature", req: request{body: edited, headers: map[string]string{"X-Hub-Signature-256": ""}}, status: 401, key: "error", text: "X-Hub-Signature-256", outcome: outcomeUnauthorized},
		{name: "bad signature", req: request{body: edited, headers: map[string]string{"X-Hub-Signature-256": signature("guess", edited)}}, status: 401, key: "error", text: "X-Hub-Signature-256", outcome: outcomeUnauthorized},
		{name: "only the legacy SHA-1 signature", req: request{body: edited, headers: map[string]string{"X-Hub-Signature-256": "", "X-Hub-Signature": "sha1=7d38cdd689735b008b3c702edd92eea23791c5f6"}}, status: 401, key: "error", text: "X-Hub-Signature-256", outcome: outcomeUnauthorized},
		{name: "signature of another body", req: request{body: edited, headers: map[string]string{"X-Hub-Signature-256": signature(testSecret, repositoryEvent("edited", 5))}}, status: 401, key: "error", text: "invalid", outcome: outcomeUnauthorized},
		{name: "ping", req: request{body: `{"zen":"Keep it logically awesome.","hook_id":1}`, headers: map[string]string{"X-GitHub-Event": "ping"}}, status: 200, key: "status", text: "pong", outcome: outcomePong},
		{name: "another event", req: request{body: `{"action":"created"}`, headers: map[string]string{"X-GitHub-Event": "star"}}, status: 202, key: "status", text: "ignored", outcome: outcomeIgnored},
		{name: "an action that needs no sync", req: request{body: repositoryEvent("some_new_action", 1001)}, status: 202, key: "status", text: "ignored", outcome: outcomeIgnored},
		{name: "GET", req: request{method: http.MethodGet}, status: 405, key: "error", text: "POST", outcome: outcomeBadRequest},
		{name: "form-encoded", req: request{body: "payload=%7B%7D", headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, status: 415, key: "error", text: "application/json", outcome: outcomeUnsupported},
		{name: "too large", req: request{body: `{"action":"edited","pad":"` + strings.Repeat("x", 5000) + `"}`}, status: 413, key: "error", text: "larger than 4096", outcome: outcomeTooLarge},
		{name: "no delivery GUID", req: request{body: edited, headers: map[string]string{"X-GitHub-Delivery": ""}}, status: 400, key: "error", text: "X-GitHub-Delivery", outcome: outcomeBadRequest},
		{name: "not JSON", req: request{body: `{"action":`}, status: 400, key: "error", text: "not a repository event", outcome: outcomeBadRequest},
		{name: "no repository", req: request{body: `{"action":"edited"}`}, status: 400, key: "error", text: "no repository", outcome: outcomeBadRequest},
		{name: "index not filled yet", setup: func(f *fixture) { f.ready = false }, req: request{body: edited}, status: 503, key: "error", text: "not read the GitHubRepos", outcome: outcomeUnavailable},
		{name: "no secret", setup: func(f *fixture) { f.secErr = errNoSecret }, req: request{body: edited}, status: 503, key: "error", text: "secret", outcome: outcomeUnavailable},
		{name: "the one GitHubRepo cannot be annotated", req: request{body: repositoryEvent("edited", 1002)}, status: 503, key: "error", text: "could be annotated", outcome: outcomeFailed},
		{name: "index fails", req: request{body: repositoryEvent("edited", 666)}, status: 500, key: "error", text: "looked up", outcome: outcomeFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			w, body := f.send(t, tt.req)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d: %s", w.Code, tt.status, w.Body)
			}
			if got, _ := body[tt.key].(string); !strings.Contains(got, tt.text) {
				t.Errorf("answer %s, want %q containing %q", w.Body, tt.key, tt.text)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if got := f.trigger.calls(); !slices.Equal(got, tt.triggered) {
				t.Errorf("triggered %q, want %q", got, tt.triggered)
			}
			byOutcome, total := outcomes(t, f.h.metrics)
			if byOutcome[tt.outcome] != 1 {
				t.Errorf("deliveries counted by outcome %v, want one %s", byOutcome, tt.outcome)
			}
			if total != 1 {
				t.Errorf("%v deliveries counted, want 1", total)
			}
		})
	}
}

// A replayed delivery (same GUID) triggers nothing, also when its
// signature is good; another GUID does.
func TestHandlerIgnoresReplays(t *testing.T) {
	f := newFixture(t)
	body := repositoryEvent("edited", 1001)
	for i, want := range []string{"triggered", "duplicate", "duplicate"} {
		w, answer := f.send(t, request{body: body})
		if w.Code != http.StatusOK || answer["status"] != want {
			t.Fatalf("delivery %d: %d %s, want 200 %s", i, w.Code, w.Body, want)
		}
	}
	if n := len(f.trigger.calls()); n != 2 {
		t.Fatalf("%d GitHubRepos triggered by three copies of one delivery, want 2", n)
	}
	if _, answer := f.send(t, request{body: body, headers: map[string]string{"X-GitHub-Delivery": "another"}}); answer["status"] != "triggered" {
		t.Fatalf("a new delivery: %v", answer)
	}
	if got := testutil.ToFloat64(f.h.metrics.deliveries.WithLabelValues("repository", "edited", outcomeDuplicate)); got != 2 {
		t.Errorf("duplicates counted %v, want 2", got)
	}
	if got := testutil.ToFloat64(f.h.metrics.triggered); got != 4 {
		t.Errorf("triggered counted %v, want 4", got)
	}
}

// A delivery that triggered nothing is not remembered: when GitHub's
// "Redeliver" sends it again (same GUID), it is handled.
func TestHandlerForgetsFailedDeliveries(t *testing.T) {
	f := newFixture(t)
	body := repositoryEvent("edited", 1002)
	if w, _ := f.send(t, request{body: body}); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("first delivery: %d %s", w.Code, w.Body)
	}
	f.trigger.fail = nil
	if w, answer := f.send(t, request{body: body}); w.Code != http.StatusOK || answer["status"] != "triggered" {
		t.Fatalf("redelivery: %d %s, want it handled", w.Code, w.Body)
	}
	// The GitHubRepos not read yet: the delivery is not taken, so its
	// redelivery counts.
	f.ready = false
	other := map[string]string{"X-GitHub-Delivery": "early"}
	if w, _ := f.send(t, request{body: body, headers: other}); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("before the index is filled: %d %s", w.Code, w.Body)
	}
	f.ready = true
	if _, answer := f.send(t, request{body: body, headers: other}); answer["status"] != "triggered" {
		t.Fatalf("redelivery once ready: %v", answer)
	}
}

// One GitHubRepo that cannot be annotated does not fail the others.
func TestHandlerPartialFailure(t *testing.T) {
	f := newFixture(t)
	f.trigger.fail["team-a/widgets"] = true
	w, answer := f.send(t, request{body: repositoryEvent("edited", 1001)})
	if w.Code != http.StatusOK || answer["triggered"] != 1.0 {
		t.Fatalf("%d %s, want 200 with one triggered", w.Code, w.Body)
	}
	if got := testutil.ToFloat64(f.h.metrics.failures); got != 1 {
		t.Errorf("failures counted %v, want 1", got)
	}
}

// Label values never come from an unchecked request.
func TestHandlerMetricLabelsAreBounded(t *testing.T) {
	f := newFixture(t)
	f.send(t, request{body: "{}", headers: map[string]string{"X-GitHub-Event": "made-up-by-a-stranger", "X-Hub-Signature-256": "sha256=00"}})
	f.send(t, request{body: `{}`, headers: map[string]string{"X-GitHub-Event": "made-up-too"}})
	out, err := testutil.CollectAndFormat(f.h.metrics.deliveries, expfmt.TypeTextPlain, "hookops_github_webhook_deliveries_total")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "made-up") {
		t.Errorf("a label value comes from the request:\n%s", out)
	}
}

// outcomes sums hookops_github_webhook_deliveries_total by outcome.
func outcomes(t *testing.T, m *metrics) (map[string]float64, float64) {
	t.Helper()
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out, total := map[string]float64{}, 0.0
	for _, fam := range families {
		if fam.GetName() != "hookops_github_webhook_deliveries_total" {
			continue
		}
		for _, metric := range fam.GetMetric() {
			for _, l := range metric.GetLabel() {
				if l.GetName() == "outcome" {
					out[l.GetValue()] += metric.GetCounter().GetValue()
					total += metric.GetCounter().GetValue()
				}
			}
		}
	}
	return out, total
}
