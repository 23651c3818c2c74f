package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookops/hookops/test/testkit"
)

// The hooks are closed as shipped: Metacontroller sends the token from the
// Secret the controllers name (every other scenario passes through that),
// and a call without it, or with another, is refused with 401 before any
// hook runs.
func TestHooksRefuseStrangers(t *testing.T) {
	parallel(t)
	body := `{"controller":{},"parent":{"apiVersion":"github.hookops.dev/v1","kind":"GitHubRepo","metadata":{"name":"x","namespace":"y"}},"children":{}}`
	for _, tc := range []struct{ name, auth string }{
		{"no token", ""},
		{"another token", "Bearer not-the-token"},
		{"the token as basic auth", "Basic " + env.HookToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/hooks/githubrepo/sync", "/hooks/githubrepo/finalize", "/hooks/mirror/sync"} {
				req, err := http.NewRequest(http.MethodPost, env.HookURL+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				if tc.auth != "" {
					req.Header.Set("Authorization", tc.auth)
				}
				resp, err := (&http.Client{Timeout: testkit.APITimeout}).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("POST %s with %s: %d, want 401", path, tc.name, resp.StatusCode)
				}
			}
		})
	}
}
