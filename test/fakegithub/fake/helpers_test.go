package fake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/reference"
)

const (
	octocatToken  = "octocat-token"
	devToken      = "dev-token" // plain member of acme, member of locked
	outsiderToken = "outsider-token"
)

var epoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// testConfig: octocat administers acme and owns a private repository;
// acme/widgets has been pushed to (branch main) and has a topic.
func testConfig() fake.Config {
	no := false
	widgets := fake.NewRepo("acme", "widgets")
	widgets.Branches, widgets.Topics, widgets.CreatedBy = []string{"main"}, []string{"go"}, "octocat"
	personal := fake.NewRepo("octocat", "personal")
	personal.Visibility = "private"
	return fake.Config{
		Tokens: map[string]string{octocatToken: "octocat", devToken: "dev", outsiderToken: "outsider"},
		Users:  []fake.User{{Login: "octocat", Name: "The Octocat"}},
		Orgs: []fake.Org{
			{Login: "acme", Members: map[string]fake.Role{"octocat": fake.RoleAdmin, "dev": fake.RoleMember}},
			{Login: "locked", Members: map[string]fake.Role{"dev": fake.RoleMember}, MembersCanCreateRepos: &no},
		},
		Repos: []fake.Repo{widgets, personal},
	}
}

// start serves a fake seeded with testConfig on a manual clock.
func start(t *testing.T, opts ...fake.Option) (*fake.Server, string, *clocktesting.FakeClock) {
	t.Helper()
	clock := clocktesting.NewFakeClock(epoch)
	opts = append([]fake.Option{fake.WithConfig(testConfig()), fake.WithNow(clock.Now)}, opts...)
	s, base := fake.Start(t, opts...)
	return s, base, clock
}

// noRedirects lets tests see 301 and 307 answers themselves.
var noRedirects = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type exchange struct {
	resp *http.Response
	body []byte
}

func (e exchange) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.body, &m); err != nil {
		t.Fatalf("decode %s: %v", e.body, err)
	}
	return m
}

// call sends one request; path is relative to base, body is sent as is if
// []byte and JSON-encoded otherwise unless nil, header holds extra headers.
func call(t *testing.T, base, method, path, token string, body any, header ...string) exchange {
	t.Helper()
	var rd io.Reader
	if raw, ok := body.([]byte); ok {
		rd = bytes.NewReader(raw)
	} else if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(base, "/")+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return exchange{resp: resp, body: data}
}

// sharedDir is the recorded GitHub reference data (see package reference).
func sharedDir(t *testing.T) string {
	t.Helper()
	return reference.Path(t, "github")
}

// addArchivedRenamed adds acme/gadgets, archived, and once called
// acme/old-gadgets.
func addArchivedRenamed(t *testing.T, s *fake.Server) fake.Repo {
	t.Helper()
	r := fake.NewRepo("acme", "old-gadgets")
	r.Archived = true
	if _, err := s.AddRepo(r); err != nil {
		t.Fatal(err)
	}
	r, err := s.EditRepo("acme", "old-gadgets", func(r *fake.Repo) error { r.Name = "gadgets"; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func jsonString(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

func contains(body []byte, s string) bool { return strings.Contains(string(body), s) }

// expect fails t unless the answer has status want and, when message is
// not empty, that message.
func (e exchange) expect(t *testing.T, want int, message string) {
	t.Helper()
	if e.resp.StatusCode != want {
		t.Fatalf("status = %d, want %d: %s", e.resp.StatusCode, want, e.body)
	}
	if message != "" && e.json(t)["message"] != message {
		t.Errorf("message = %q, want %q", e.json(t)["message"], message)
	}
}
