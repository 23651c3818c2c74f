package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/reference"
)

const parent = `{"apiVersion":"github.hookops.dev/v1","kind":"GitHubRepo","metadata":{"name":"demo","namespace":"team-a"}}`

// testRoutes serve pure hooks whose behaviour the request chooses, so the
// table below can drive every path of the server.
func testRoutes() []route {
	sync := func(ctx context.Context, req *metacontroller.CompositeRequest) (*metacontroller.CompositeResponse, error) {
		switch req.Parent.Name() {
		case "panic":
			panic("boom")
		case "slow":
			select {
			case <-time.After(300 * time.Millisecond):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return &metacontroller.CompositeResponse{Status: map[string]any{"seen": req.Parent.Name()}}, nil
	}
	decorate := func(_ context.Context, req *metacontroller.DecoratorRequest) (*metacontroller.DecoratorResponse, error) {
		return &metacontroller.DecoratorResponse{}, nil
	}
	customize := func(_ context.Context, req *metacontroller.CustomizeRequest) (*metacontroller.CustomizeResponse, error) {
		return &metacontroller.CustomizeResponse{}, nil
	}
	return []route{
		{"/hooks/test/customize", "test", "customize", hookCall, serveHook(metacontroller.DecodeCustomize, customize)},
		{"/hooks/test/sync", "test", "sync", hookCall, serveHook(metacontroller.DecodeComposite, sync)},
		{"/hooks/test/finalize", "test", "finalize", hookCall, serveHook(metacontroller.DecodeComposite, sync)},
		{"/hooks/deco/customize", "deco", "customize", hookCall, serveHook(metacontroller.DecodeCustomize, customize)},
		{"/hooks/deco/sync", "deco", "sync", hookCall, serveHook(metacontroller.DecodeDecorator, decorate)},
		{"/hooks/deco/finalize", "deco", "finalize", hookCall, serveHook(metacontroller.DecodeDecorator, decorate)},
	}
}

func testConfig(t *testing.T, args ...string) *config {
	t.Helper()
	cfg, err := parseConfig(append([]string{"--addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startServer serves the route table and the test routes.
func startServer(t *testing.T, cfg *config) *httptest.Server {
	t.Helper()
	return startTestServer(t, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), testRoutes()...)
}

// startRealServer serves the route table alone.
func startRealServer(t *testing.T, cfg *config, log *slog.Logger) *httptest.Server {
	t.Helper()
	return startTestServer(t, cfg, log)
}

func startTestServer(t *testing.T, cfg *config, log *slog.Logger, extra ...route) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(testRouter(t, cfg, log, extra...))
	t.Cleanup(srv.Close)
	return srv
}

// testRouter is the server's router, ready, with extra routes beside the
// route table.
func testRouter(t *testing.T, cfg *config, log *slog.Logger, extra ...route) http.Handler {
	t.Helper()
	ready := &atomic.Bool{}
	ready.Store(true)
	m := newMetrics()
	table := append(routeTable(controllers(cfg, nil, m.registry), m, ready), extra...)
	h, err := newRouter(routerDeps{cfg: cfg, log: log, metrics: m, routes: table})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// syncCreate is the sync-create fixture with its Secret pointing at base.
func syncCreate(t *testing.T, base string) string {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(reference.RepoRoot(), "test", "fixtures", "githubrepo", "sync-create.request.json"))
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	return strings.ReplaceAll(string(body), b64("http://127.0.0.1:8090/"), b64(base))
}

type call struct {
	method, path, contentType, body, token string
}

func (c call) do(t *testing.T, base string) (int, map[string]any, http.Header) {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.contentType != "-" {
		ct := c.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s %s: response is not JSON: %v", c.method, c.path, err)
	}
	return resp.StatusCode, body, resp.Header
}

// Every kind of bad input gets a 4xx with a JSON error that names the
// problem; nothing gets a 500 or takes the server down.
func TestBadInput(t *testing.T) {
	srv := startServer(t, testConfig(t, "--max-body-bytes", "2048"))
	big := `{"parent":` + parent + `,"pad":"` + strings.Repeat("x", 4096) + `"}`
	cases := []struct {
		name   string
		call   call
		status int
		want   string
	}{
		{"not json", call{path: "/hooks/test/sync", body: "hello"}, 400, "not valid JSON"},
		{"truncated json", call{path: "/hooks/test/sync", body: `{"parent": {"kind":`}, 400, "truncated"},
		{"empty body", call{path: "/hooks/test/sync"}, 400, "empty"},
		{"json array", call{path: "/hooks/test/sync", body: `[1,2]`}, 400, "JSON object"},
		{"wrong field type", call{path: "/hooks/test/sync", body: `{"parent":` + parent + `,"children":[]}`}, 400, `"children" must be an object`},
		{"wrong parent type", call{path: "/hooks/test/customize", body: `{"parent":"demo"}`}, 400, `"parent" must be an object`},
		{"missing parent", call{path: "/hooks/test/sync", body: `{"children":{}}`}, 400, `no "parent"`},
		{"missing parent on finalize", call{path: "/hooks/test/finalize", body: `{"finalizing":true}`}, 400, `no "parent"`},
		{"missing object", call{path: "/hooks/deco/sync", body: `{"parent":` + parent + `}`}, 400, `no "object"`},
		{"parent without name", call{path: "/hooks/test/sync", body: `{"parent":{"apiVersion":"v1","kind":"X","metadata":{}}}`}, 400, "metadata.name"},
		{"body over the limit", call{path: "/hooks/test/sync", body: big}, 413, "over the limit"},
		{"wrong content type", call{path: "/hooks/test/sync", contentType: "text/plain", body: `{}`}, 415, "application/json"},
		{"no content type", call{path: "/hooks/test/sync", contentType: "-", body: `{}`}, 415, "application/json"},
		{"wrong method", call{method: http.MethodGet, path: "/hooks/test/sync"}, 405, "GET is not allowed"},
		{"unknown hook", call{path: "/hooks/test/nope", body: `{}`}, 404, "/hooks/test/nope"},
		{"unknown controller", call{path: "/hooks/nope/sync", body: `{}`}, 404, "/hooks/nope/sync"},
		{"unknown route", call{method: http.MethodGet, path: "/nope"}, 404, "/nope"},
		{"panicking hook", call{path: "/hooks/test/sync", body: `{"parent":{"apiVersion":"v1","kind":"X","metadata":{"name":"panic"}}}`}, 500, "internal error"},
		{"good request after a panic", call{path: "/hooks/test/sync", body: `{"parent":` + parent + `}`}, 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := c.call.do(t, srv.URL)
			if status != c.status {
				t.Fatalf("status = %d, want %d (body %v)", status, c.status, body)
			}
			if c.want == "" {
				return
			}
			msg, _ := body["error"].(string)
			if !strings.Contains(msg, c.want) {
				t.Errorf("error = %q, want it to mention %q", msg, c.want)
			}
		})
	}
}

// A chunked body (no Content-Length) over the limit is cut off while reading.
func TestChunkedBodyOverLimit(t *testing.T) {
	srv := startServer(t, testConfig(t, "--max-body-bytes", "2048"))
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write([]byte(`{"parent":` + parent + `,"pad":"` + strings.Repeat("x", 8192) + `"}`))
		_ = pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/test/sync", pr)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", resp.StatusCode)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	srv := startServer(t, testConfig(t))
	call{path: "/hooks/test/sync", body: `{"parent":` + parent + `}`}.do(t, srv.URL)
	// Refused by a guard before the hook runs: counted all the same.
	call{path: "/hooks/test/sync", body: `{}`, contentType: "text/plain"}.do(t, srv.URL)
	for _, p := range []string{"/healthz", "/readyz"} {
		if status, _, _ := (call{method: http.MethodGet, path: p}).do(t, srv.URL); status != 200 {
			t.Errorf("%s = %d", p, status)
		}
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`hookops_hook_requests_total{code="200",controller="test",hook="sync"} 1`,
		`hookops_hook_requests_total{code="415",controller="test",hook="sync"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestResponseCarriesRequestID(t *testing.T) {
	srv := startServer(t, testConfig(t))
	_, _, h := call{path: "/hooks/test/sync", body: `{"parent":` + parent + `}`}.do(t, srv.URL)
	if h.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id header")
	}
}

func TestBearerToken(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	writeFile(t, file, "s3cret\n")
	cfg := testConfig(t, "--auth-token-file", file)
	srv := startServer(t, cfg)
	body := `{"parent":` + parent + `}`
	cases := []struct {
		token  string
		status int
	}{{"", 401}, {"wrong", 401}, {"s3cre", 401}, {"s3cret", 200}}
	for _, c := range cases {
		if status, resp, _ := (call{path: "/hooks/test/sync", body: body, token: c.token}).do(t, srv.URL); status != c.status {
			t.Errorf("token %q: status = %d, want %d (%v)", c.token, status, c.status, resp)
		}
	}
	// Health and metrics stay open for probes.
	if status, _, _ := (call{method: http.MethodGet, path: "/healthz"}).do(t, srv.URL); status != 200 {
		t.Errorf("healthz = %d without a token", status)
	}

	// A rotated token takes effect without a restart.
	writeFile(t, file, "rotated")
	future := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(file, future, future); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, _, _ := call{path: "/hooks/test/sync", body: body, token: "rotated"}.do(t, srv.URL)
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("rotated token never accepted")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status, _, _ := (call{path: "/hooks/test/sync", body: body, token: "s3cret"}).do(t, srv.URL); status != 401 {
		t.Errorf("old token still accepted: %d", status)
	}
}

func TestTooManyInFlight(t *testing.T) {
	srv := startServer(t, testConfig(t, "--max-in-flight", "1"))
	slow := `{"parent":{"apiVersion":"v1","kind":"X","metadata":{"name":"slow"}}}`
	done := make(chan int)
	go func() {
		status, _, _ := call{path: "/hooks/test/sync", body: slow}.do(t, srv.URL)
		done <- status
	}()
	time.Sleep(100 * time.Millisecond)
	status, body, h := call{path: "/hooks/test/sync", body: `{"parent":` + parent + `}`}.do(t, srv.URL)
	if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Errorf("second request: status %d, Retry-After %q, body %v; want 429 with Retry-After", status, h.Get("Retry-After"), body)
	}
	if s := <-done; s != 200 {
		t.Errorf("slow request: %d", s)
	}
}

func TestRequestTimeout(t *testing.T) {
	srv := startServer(t, testConfig(t, "--request-timeout", "50ms", "--github-timeout", "20ms"))
	status, body, _ := call{path: "/hooks/test/sync", body: `{"parent":{"apiVersion":"v1","kind":"X","metadata":{"name":"slow"}}}`}.do(t, srv.URL)
	if status != http.StatusServiceUnavailable {
		t.Errorf("status = %d (%v), want 503", status, body)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Every request fixture, ours and the ones captured from a real
// Metacontroller, gets a 200 JSON answer from the real controllers.
func TestFixturesAnswer(t *testing.T) {
	_, base := fake.Start(t)
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	slog.SetDefault(log)
	srv := startRealServer(t, testConfig(t, "--github-url", base), log)

	type fixture struct{ file, route string }
	var fixtures []fixture
	ours, _ := filepath.Glob(filepath.Join(reference.RepoRoot(), "test", "fixtures", "*", "*.request.json"))
	for _, f := range ours {
		controller := filepath.Base(filepath.Dir(f))
		hook, _, _ := strings.Cut(filepath.Base(f), "-")
		hook = strings.TrimSuffix(hook, ".request.json")
		fixtures = append(fixtures, fixture{f, "/hooks/" + controller + "/" + hook})
	}
	for _, v := range []string{"v1", "v2"} {
		for _, hook := range []string{"customize", "sync", "finalize"} {
			fixtures = append(fixtures, fixture{reference.Path(t, "fixtures", "metacontroller-v4.17.2", v, "composite-"+hook+".json"), "/hooks/githubrepo/" + hook})
		}
	}
	if len(ours) == 0 {
		t.Fatal("no fixtures under test/fixtures")
	}
	for _, f := range fixtures {
		t.Run(filepath.Base(filepath.Dir(f.file))+"/"+filepath.Base(f.file), func(t *testing.T) {
			body, err := os.ReadFile(f.file)
			if err != nil {
				t.Fatal(err)
			}
			var captured struct {
				Body json.RawMessage `json:"body"`
			}
			if json.Unmarshal(body, &captured) == nil && len(captured.Body) > 0 {
				body = captured.Body
			}
			status, resp, _ := call{path: f.route, body: string(body)}.do(t, srv.URL)
			if status != 200 {
				t.Errorf("%s: status %d: %v", f.route, status, resp)
			}
			if out := fmt.Sprint(resp); strings.Contains(out, "fake-token") || strings.Contains(out, "ghp_exampletoken") {
				t.Errorf("the response shows the token")
			}
		})
	}
	if strings.Contains(logs.String(), "fake-token") || strings.Contains(logs.String(), "ghp_exampletoken") {
		t.Error("the logs show a token")
	}
	if !strings.Contains(logs.String(), `"route":"/hooks/githubrepo/sync"`) {
		t.Error("no access log line captured")
	}
}

// /convert answers ConversionReviews without hook credentials.
func TestConvertRoute(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	writeFile(t, file, "s3cret")
	srv := startServer(t, testConfig(t, "--auth-token-file", file))
	review := `{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{"uid":"u1","desiredAPIVersion":"github.hookops.dev/v1","objects":[
	  {"apiVersion":"github.hookops.dev/v1alpha1","kind":"GitHubRepo","metadata":{"name":"a","namespace":"n"},"spec":{"organization":"acme","private":true,"tokenSecretName":"gh"}}]}}`
	status, body, _ := call{path: "/convert", body: review}.do(t, srv.URL)
	resp, _ := body["response"].(map[string]any)
	objs, _ := resp["convertedObjects"].([]any)
	if status != 200 || resp["uid"] != "u1" || len(objs) != 1 {
		t.Fatalf("status %d, body %v", status, body)
	}
	spec := objs[0].(map[string]any)["spec"].(map[string]any)
	if spec["owner"] != "acme" || spec["visibility"] != "private" {
		t.Errorf("converted spec = %v", spec)
	}
	if status, body, _ := (call{path: "/convert", body: `{"request":`}).do(t, srv.URL); status != 400 || body["error"] == nil {
		t.Errorf("malformed review: %d %v", status, body)
	}
}
