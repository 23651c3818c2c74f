package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// One sync that creates a repository is one trace: the server span, the
// reconcile steps under it, and each GitHub request under its step, with the
// attributes an operator needs and no secret anywhere.
func TestSyncTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	_, base := fake.Start(t)
	cfg := testConfig(t)
	cfg.Tracing = true
	srv := startRealServer(t, cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	body := syncCreate(t, base)

	// The caller's trace is continued.
	callerTrace, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/githubrepo/sync", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := tp.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}

	spans := rec.Ended()
	byName := map[string][]sdktrace.ReadOnlySpan{}
	byID := map[trace.SpanID]sdktrace.ReadOnlySpan{}
	for _, s := range spans {
		byName[s.Name()] = append(byName[s.Name()], s)
		byID[s.SpanContext().SpanID()] = s
	}
	server := one(t, byName, "POST /hooks/githubrepo/sync")
	if server.SpanKind() != trace.SpanKindServer || server.SpanContext().TraceID() != callerTrace {
		t.Errorf("server span kind %v trace %v, want a server span in the caller's trace", server.SpanKind(), server.SpanContext().TraceID())
	}
	attrs := attributes(server)
	for k, want := range map[string]string{
		"hookops.controller": "githubrepo", "hookops.hook": "sync", "http.route": "/hooks/githubrepo/sync",
		"hookops.parent.kind": "GitHubRepo", "hookops.parent.namespace": "team-a", "hookops.parent.name": "widgets",
		"hookops.parent.generation": "1",
	} {
		if attrs[k] != want {
			t.Errorf("server span %s = %q, want %q", k, attrs[k], want)
		}
	}
	if attrs["hookops.parent.uid"] == "" {
		t.Error("server span has no parent uid")
	}

	parentOf := func(s sdktrace.ReadOnlySpan) string {
		if p, ok := byID[s.Parent().SpanID()]; ok {
			return p.Name()
		}
		return "<none>"
	}
	steps := map[string]string{"observe": "create", "create": "create", "topics": "topics"}
	for step, decision := range steps {
		s := one(t, byName, step)
		if parentOf(s) != server.Name() {
			t.Errorf("%s span's parent is %q, want the server span", step, parentOf(s))
		}
		if got := attributes(s)["hookops.decision"]; got != decision {
			t.Errorf("%s span decision = %q, want %q", step, got, decision)
		}
	}
	clients := map[string]string{
		"GET /repos/{owner}/{repo}":        "observe",
		"GET /users/{username}":            "create",
		"POST /orgs/{org}/repos":           "create",
		"PUT /repos/{owner}/{repo}/topics": "topics",
	}
	for name, step := range clients {
		s := one(t, byName, name)
		a := attributes(s)
		if s.SpanKind() != trace.SpanKindClient || parentOf(s) != step {
			t.Errorf("%s: kind %v, parent %q; want a client span under %s", name, s.SpanKind(), parentOf(s), step)
		}
		if a["server.address"] != "127.0.0.1" || a["http.route"] != strings.SplitN(name, " ", 2)[1] ||
			a["github.ratelimit.remaining"] == "" || a["github.not_modified"] != "false" || a["http.response.status_code"] == "" {
			t.Errorf("%s attributes = %v", name, a)
		}
	}
	for _, s := range spans {
		if dump := fmt.Sprint(s.Attributes(), s.Events(), s.Status(), s.Name()); strings.Contains(dump, "fake-token") || strings.Contains(strings.ToLower(dump), "authorization") {
			t.Errorf("span %s carries a secret or the Authorization header: %s", s.Name(), dump)
		}
	}
}

// The same sync shows in the GitHub metrics, labelled by route and by a
// hash of the credential, never the token.
func TestGitHubMetrics(t *testing.T) {
	_, base := fake.Start(t)
	srv := startRealServer(t, testConfig(t), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	body := syncCreate(t, base)
	if status, resp, _ := (call{path: "/hooks/githubrepo/sync", body: body}).do(t, srv.URL); status != 200 {
		t.Fatalf("sync: %d %v", status, resp)
	}
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	for _, want := range []string{
		`hookops_github_requests_total{code="201",operation="POST /orgs/{org}/repos"} 1`,
		`hookops_github_requests_total{code="404",operation="GET /repos/{owner}/{repo}"} 1`,
		`hookops_github_request_duration_seconds_count{operation="POST /orgs/{org}/repos"} 1`,
		`hookops_github_budget_remaining{credential="`,
		`hookops_github_not_modified_total 0`,
		`hookops_hook_requests_total{code="200",controller="githubrepo",hook="sync"} 1`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(string(out), "fake-token") {
		t.Error("metrics show the token")
	}
}

func one(t *testing.T, byName map[string][]sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	if len(byName[name]) != 1 {
		var names []string
		for n := range byName {
			names = append(names, n)
		}
		t.Fatalf("%d spans named %q; spans: %v", len(byName[name]), name, names)
	}
	return byName[name][0]
}

func attributes(s sdktrace.ReadOnlySpan) map[string]string {
	out := map[string]string{}
	for _, kv := range s.Attributes() {
		out[string(kv.Key)] = kv.Value.String()
	}
	return out
}
