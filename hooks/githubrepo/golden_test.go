package githubrepo_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookops/hookops/hooks/githubrepo"
	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/reference"
)

var update = flag.Bool("update", false, "rewrite the golden responses in test/fixtures/githubrepo")

// fixtureBaseURL is where the fixtures' Secret points: the fake GitHub of `make run`.
const fixtureBaseURL = "http://127.0.0.1:8090/"

// The request fixtures, in the order `make run` suggests them, answer with
// the golden responses beside them. They run against one fake GitHub, so
// the create is seen by the finalize that follows it.
func TestGoldenResponses(t *testing.T) {
	dir := filepath.Join(reference.RepoRoot(), "test", "fixtures", "githubrepo")
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	_, base := fake.Start(t, fake.WithNow(func() time.Time { return now }))
	hooks := githubrepo.New(nil)
	hooks.Now = func() time.Time { return now }
	hooks.Jitter = func() float64 { return 0.5 }
	hooks.Budget = nil

	for _, name := range []string{"customize", "sync-create", "sync-secret-missing", "sync-cross-namespace-secret", "finalize-delete", "finalize-orphan"} {
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, name+".request.json"))
			if err != nil {
				t.Fatal(err)
			}
			body = pointSecretAt(t, body, base)
			got := strings.ReplaceAll(string(call(t, hooks, name, body)), strings.TrimSuffix(base, "/"), strings.TrimSuffix(fixtureBaseURL, "/"))
			got = strings.ReplaceAll(got, hostOf(t, base), hostOf(t, fixtureBaseURL))
			golden := filepath.Join(dir, name+".response.json")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGoldenResponses -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("response differs from %s (rerun with -update if the change is intended):\n%s", golden, got)
			}
		})
	}
}

func call(t *testing.T, h *githubrepo.Hooks, name string, body []byte) []byte {
	t.Helper()
	ctx := context.Background()
	var resp any
	var err error
	switch {
	case strings.HasPrefix(name, "customize"):
		req, derr := metacontroller.DecodeCustomize(bytes.NewReader(body))
		if derr != nil {
			t.Fatal(derr)
		}
		resp, err = h.Customize(ctx, req)
	default:
		req, derr := metacontroller.DecodeComposite(bytes.NewReader(body))
		if derr != nil {
			t.Fatal(derr)
		}
		if strings.HasPrefix(name, "finalize") {
			resp, err = h.Finalize(ctx, req)
		} else {
			resp, err = h.Sync(ctx, req)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := metacontroller.Encode(&buf, resp); err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, buf.Bytes(), "", "  "); err != nil {
		t.Fatal(err)
	}
	return pretty.Bytes()
}

// pointSecretAt rewrites the Secret's baseURL to the test's fake GitHub.
func pointSecretAt(t *testing.T, body []byte, base string) []byte {
	t.Helper()
	from := base64.StdEncoding.EncodeToString([]byte(fixtureBaseURL))
	to := base64.StdEncoding.EncodeToString([]byte(base))
	return bytes.ReplaceAll(body, []byte(from), []byte(to))
}

func hostOf(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
