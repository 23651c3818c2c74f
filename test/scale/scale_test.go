package main

import (
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

const exposition = `# HELP hookops_hook_request_duration_seconds Time to answer a hook request.
# TYPE hookops_hook_request_duration_seconds histogram
hookops_hook_request_duration_seconds_bucket{controller="githubrepo",hook="sync",le="0.005"} 90
hookops_hook_request_duration_seconds_bucket{controller="githubrepo",hook="sync",le="0.01"} 99
hookops_hook_request_duration_seconds_bucket{controller="githubrepo",hook="sync",le="+Inf"} 100
hookops_hook_request_duration_seconds_sum{controller="githubrepo",hook="sync"} 0.4
hookops_hook_request_duration_seconds_count{controller="githubrepo",hook="sync"} 100
hookops_hook_requests_total{code="200",controller="conversion",hook="convert"} 7
hookops_hook_requests_total{code="200",controller="githubrepo",hook="sync"} 100
hookops_github_request_duration_seconds_bucket{operation="GET /repositories/{id}",le="0.001"} 60
hookops_github_request_duration_seconds_bucket{operation="GET /repositories/{id}",le="0.005"} 100
hookops_github_request_duration_seconds_bucket{operation="GET /repositories/{id}",le="+Inf"} 100
hookops_github_request_duration_seconds_sum{operation="GET /repositories/{id}"} 0.1
hookops_github_request_duration_seconds_count{operation="GET /repositories/{id}"} 100
go_info{version="go1.26"} 1
process_resident_memory_bytes 4.5e+07
`

// The GitHub requests get rows of their own after the hooks, so that the
// hook's latency can be told apart from GitHub's.
func TestLatencyRows(t *testing.T) {
	sc, err := parseMetrics(strings.NewReader(exposition), hookSeries...)
	if err != nil {
		t.Fatal(err)
	}
	rows := latencies(nil, sc, 10)
	var names []string
	for _, l := range rows {
		names = append(names, l.Hook)
	}
	want := []string{"githubrepo/sync", allHooks, "GitHub GET /repositories/{id}"}
	if !slices.Equal(names, want) {
		t.Fatalf("rows %v, want %v", names, want)
	}
	if gh := rows[2]; gh.Calls != 100 || gh.AtMost5ms != 1 {
		t.Errorf("GitHub row %+v, want 100 calls, all within 5 ms", gh)
	}
}

func TestParseAndQuantiles(t *testing.T) {
	sc, err := parseMetrics(strings.NewReader(exposition), hookSeries...)
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.sum(requestsMetric, map[string]string{"controller": "conversion"}); got != 7 {
		t.Errorf("conversion calls %v, want 7", got)
	}
	if got := sc.sum(rssMetric, nil); got != 45e6 {
		t.Errorf("RSS %v, want 45e6", got)
	}
	h := sc.histogram(durationMetric, map[string]string{"hook": "sync"})
	if h.count != 100 || len(h.buckets) != 3 || !math.IsInf(h.buckets[2].le, 1) {
		t.Fatalf("histogram %+v", h)
	}
	// Rank 50 of 90 in [0, 5 ms]; rank 99 is the 10 ms bound exactly.
	if got := h.quantile(0.5); math.Abs(got-0.005*50/90) > 1e-9 {
		t.Errorf("p50 %v", got)
	}
	if got := h.quantile(0.99); math.Abs(got-0.01) > 1e-9 {
		t.Errorf("p99 %v, want 0.01", got)
	}
	if got := h.quantile(0.999); got != 0.01 {
		t.Errorf("p99.9 in the +Inf bucket %v, want the largest bound 0.01", got)
	}
	if got := h.shareAtMost(0.005); got != 0.9 {
		t.Errorf("share ≤ 5 ms %v, want 0.9", got)
	}
	if d := h.minus(h); d.count != 0 || !math.IsNaN(d.quantile(0.5)) {
		t.Errorf("empty delta %+v", d)
	}
}

func TestEndpoint(t *testing.T) {
	for path, want := range map[string]string{
		"/repositories/1001":                       "/repositories/{id}",
		"/repos/acme/widgets/topics":               "/repos/{owner}/{repo}/topics",
		"/orgs/acme/repos":                         "/orgs/{org}/repos",
		"/orgs/acme/properties/schema/claim":       "/orgs/{org}/properties/schema/{name}",
		"/user/repos":                              "/user/repos",
		"/repos/acme/widgets/branches/main/rename": "/repos/{owner}/{repo}/branches/{branch}/rename",
	} {
		if got := endpoint(path); got != want {
			t.Errorf("endpoint(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestUnits(t *testing.T) {
	var tally ghTally
	for _, r := range []fake.Request{
		{Method: "GET", Path: "/repositories/1", Status: 200},
		{Method: "GET", Path: "/repositories/1", Status: 304, NotModified: true},
		{Method: "POST", Path: "/orgs/acme/repos", Status: 201},
		{Method: "POST", Path: "/orgs/acme/repos", Status: 403, Limited: "secondary"},
		{Method: "GET", Path: "/rate_limit", Status: 200},
		{Method: "GET", Path: "/user", Status: http.StatusUnauthorized},
	} {
		tally.add(r)
	}
	if tally.Units != 2 || tally.Requests != 6 || tally.NotModified != 1 || tally.Limited != 1 || tally.Writes != 2 {
		t.Errorf("tally %+v, want 2 units of 6 requests", tally)
	}
	// Points: 1 + 1 + 5 + 1 (rate_limit); the refused and the
	// unauthenticated are not admitted.
	if tally.Points != 8 {
		t.Errorf("points %d, want 8", tally.Points)
	}
}

// The cursor counts each request once, and a log trimmed past it is
// reported, not silently recounted.
func TestRequestLogCursor(t *testing.T) {
	srv, base := fake.Start(t)
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(n int) {
		for range n {
			resp, err := client.Get(base + "rate_limit")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	l := &requestLog{srv: srv}
	get(3)
	if err := l.poll(); err != nil || l.tally.Requests != 3 {
		t.Fatalf("first poll: %d requests, %v; want 3", l.tally.Requests, err)
	}
	get(2)
	if err := l.poll(); err != nil || l.tally.Requests != 5 {
		t.Fatalf("second poll: %d requests, %v; want 5", l.tally.Requests, err)
	}
	get(1)
	srv.ClearRequests()
	if err := l.poll(); !errors.Is(err, errLogLost) || l.tally.Lost != 1 {
		t.Errorf("poll after the log lost a request: %v, lost %d; want errLogLost", err, l.tally.Lost)
	}
}

func TestClassifyWrites(t *testing.T) {
	w := &writeCounter{last: map[string]*unstructured.Unstructured{}}
	obj := func(status map[string]any, labels map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"name": "a", "namespace": "ns", "labels": labels},
			"spec":     map[string]any{"owner": "acme"},
			"status":   status,
		}}
	}
	w.observe(watch.Event{Type: watch.Added, Object: obj(map[string]any{"etag": "1"}, nil)})
	w.observe(watch.Event{Type: watch.Modified, Object: obj(map[string]any{"etag": "2"}, nil)})
	w.observe(watch.Event{Type: watch.Modified, Object: obj(map[string]any{"etag": "2"}, map[string]any{"a": "b"})})
	c := w.snapshot()
	if c.Creates != 1 || c.Total != 2 || c.Status != 1 || c.Metadata != 1 || c.StatusFields["etag"] != 1 {
		t.Errorf("counts %+v", c)
	}
}

func TestFloorRow(t *testing.T) {
	var took []time.Duration
	for i := range 100 {
		took = append(took, time.Duration(i+1)*100*time.Microsecond) // 0.1 to 10 ms
	}
	l := floorRow("x", took, 10*time.Second)
	if l.Calls != 100 || l.CallsPerSecond != 10 {
		t.Errorf("calls %v, %v/s; want 100, 10/s", l.Calls, l.CallsPerSecond)
	}
	if l.P50ms != 5 || l.P99ms != 9.9 || l.AtMost5ms != 0.5 {
		t.Errorf("p50 %v, p99 %v, share ≤ 5 ms %v; want 5, 9.9, 0.5", l.P50ms, l.P99ms, l.AtMost5ms)
	}
}

func TestFloorsTimeEveryCallInTurn(t *testing.T) {
	var posts atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || string(body) != `{"parent":{}}` || r.Header.Get("Authorization") != "Bearer t0k" ||
			r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "not the request sent", http.StatusBadRequest)
			return
		}
		posts.Add(1)
	}))
	defer hook.Close()
	rows, err := floors(t.Context(), 100, 300*time.Millisecond, floorTarget{name: "hook", url: hook.URL, body: []byte(`{"parent":{}}`), auth: "t0k"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Hook != floorName || rows[1].Hook != "hook" {
		t.Fatalf("rows %+v: want the loopback floor, then hook", rows)
	}
	// A loaded machine may skip ticks, so only the upper bound is sharp;
	// the targets take turns, the loopback first.
	for _, l := range rows {
		if l.Calls < 1 || l.Calls > 16 || !(l.P50ms > 0) || l.P99ms < l.P50ms {
			t.Errorf("row %+v: want 1 to 16 calls, 0 < p50 ≤ p99", l)
		}
	}
	if rows[0].Calls < rows[1].Calls || rows[0].Calls > rows[1].Calls+1 || int(rows[1].Calls) != int(posts.Load()) {
		t.Errorf("%v loopback calls, %v hook calls (%d served): want turns", rows[0].Calls, rows[1].Calls, posts.Load())
	}
}

func TestFloorsFailOnAWrongAnswer(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer hook.Close()
	_, err := floors(t.Context(), 100, 100*time.Millisecond, floorTarget{name: "hook", url: hook.URL, body: []byte(`{}`)})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("error %v: want the hook's 401", err)
	}
}
