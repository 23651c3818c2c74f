package ghwebhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI is the part of the Kubernetes API the receiver uses: list and
// watch of GitHubRepos (one, bound to api.github.com/1001), and patch. It
// records the patches.
type fakeAPI struct {
	mu      sync.Mutex
	patches []string
}

const reposPath = "/apis/github.hookops.dev/v1/githubrepos"

func (a *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	obj := ghr("team-a", "widgets", "acme", "", "api.github.com", 1001, "R_x").Object
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == reposPath && r.URL.Query().Get("watch") == "true":
		a.watch(w, r, obj)
	case r.Method == http.MethodGet && r.URL.Path == reposPath:
		_ = json.NewEncoder(w).Encode(map[string]any{"apiVersion": "github.hookops.dev/v1", "kind": "GitHubRepoList",
			"metadata": map[string]any{"resourceVersion": "7"}, "items": []any{obj}})
	case r.Method == http.MethodPatch && r.URL.Path == "/apis/github.hookops.dev/v1/namespaces/team-a/githubrepos/widgets":
		body, _ := io.ReadAll(r.Body)
		a.mu.Lock()
		a.patches = append(a.patches, r.Header.Get("Content-Type")+" "+string(body)+" "+r.URL.Query().Get("fieldManager"))
		a.mu.Unlock()
		_ = json.NewEncoder(w).Encode(obj)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"%s %s"}`, r.Method, r.URL.Path)
	}
}

// watch answers a streaming list (sendInitialEvents) with the object and
// the bookmark that ends the initial events, then waits.
func (a *fakeAPI) watch(w http.ResponseWriter, r *http.Request, obj map[string]any) {
	enc := json.NewEncoder(w)
	w.WriteHeader(http.StatusOK)
	if r.URL.Query().Get("sendInitialEvents") == "true" {
		_ = enc.Encode(map[string]any{"type": "ADDED", "object": obj})
		_ = enc.Encode(map[string]any{"type": "BOOKMARK", "object": map[string]any{
			"apiVersion": "github.hookops.dev/v1", "kind": "GitHubRepo",
			"metadata": map[string]any{"resourceVersion": "7", "annotations": map[string]any{"k8s.io/initial-events-end": "true"}}}})
	}
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

func (a *fakeAPI) calls() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.patches...)
}

func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	content := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: %q}}]
users: [{name: fake, user: {}}]
contexts: [{name: fake, context: {cluster: fake, user: fake}}]
current-context: fake
`, server)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Run end to end against a fake API: ready once the GitHubRepos are read,
// a signed delivery annotates the GitHubRepo of its repository, metrics
// count it, and the command stops when its context ends.
func TestRun(t *testing.T) {
	api := &fakeAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(testSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var logs strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"--addr", addr, "--kubeconfig", writeKubeconfig(t, srv.URL), "--webhook-secret-file", secretFile, "--log-level", "debug"},
			func(string) string { return "" }, &syncWriter{w: &logs})
	}()
	base := "http://" + addr
	waitFor(t, func() bool { return get(base+"/readyz") == http.StatusOK })
	if get(base+"/healthz") != http.StatusOK {
		t.Error("/healthz is not 200")
	}

	body := repositoryEvent("archived", 1001)
	req, _ := http.NewRequest(http.MethodPost, base+Path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "repository")
	req.Header.Set("X-GitHub-Delivery", "d-1")
	req.Header.Set("X-Hub-Signature-256", signature(testSecret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(answer), `"triggered"`) {
		t.Fatalf("delivery answered %d %s", resp.StatusCode, answer)
	}
	want := `application/merge-patch+json {"metadata":{"annotations":{"github.hookops.dev/github-event":"d-1"},"uid":"team-a-widgets"}} hookops-github-webhooks`
	if got := api.calls(); len(got) != 1 || got[0] != want {
		t.Errorf("patches %q, want [%q]", got, want)
	}
	metrics := getBody(t, base+"/metrics")
	for _, line := range []string{
		`hookops_github_webhook_deliveries_total{action="archived",event="repository",outcome="triggered"} 1`,
		`hookops_github_webhook_githubrepos_triggered_total 1`,
		`hookops_github_webhook_deliveries_remembered 1`,
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not stop after its context ended")
	}
	if strings.Contains(logs.String(), testSecret) {
		t.Error("the secret is in the log")
	}
}

func TestRunRefusesAMissingSecretFile(t *testing.T) {
	err := Run(context.Background(), []string{"--addr", "127.0.0.1:0", "--kubeconfig", "/nonexistent", "--webhook-secret-file", filepath.Join(t.TempDir(), "none")},
		func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "webhook secret file") {
		t.Fatalf("Run = %v, want an error about the secret file", err)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func get(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("not ready within 15s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
