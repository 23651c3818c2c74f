package fake_test

import (
	"testing"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// TestAdminEndpoint drives the /_fake/ routes in order, checking each
// effect through the API.
func TestAdminEndpoint(t *testing.T) {
	s, base, _ := start(t)
	api := func(method, path, token string) int { return call(t, base, method, path, token, nil).resp.StatusCode }
	steps := []struct {
		name   string
		method string
		path   string
		token  string // the admin request's own Authorization, naming a budget
		body   any
		want   int
		check  func() bool
	}{
		{"health", "GET", "/_fake/health", "", nil, 200, nil},
		{"edit by hand", "PATCH", "/_fake/repos/acme/widgets", "", map[string]any{"name": "renamed", "description": "drift"}, 200,
			func() bool {
				r, ok := s.Repo("acme", "renamed")
				return ok && r.Description == "drift" && api("GET", "/repos/acme/widgets", octocatToken) == 301
			}},
		{"edit unknown field", "PATCH", "/_fake/repos/acme/renamed", "", map[string]any{"colour": "red"}, 400, nil},
		{"edit missing repo", "PATCH", "/_fake/repos/acme/none", "", map[string]any{}, 404, nil},
		{"get repo", "GET", "/_fake/repos/acme/renamed", "", nil, 200, nil},
		{"add repo", "POST", "/_fake/repos", "", map[string]any{"owner": "acme", "name": "seeded", "topics": []string{"a"}}, 201,
			func() bool {
				r, _ := s.Repo("acme", "seeded")
				return r.HasIssues && api("GET", "/repos/acme/seeded", octocatToken) == 200
			}},
		{"delete by hand", "DELETE", "/_fake/repos/acme/seeded", "", nil, 204,
			func() bool { return api("GET", "/repos/acme/seeded", octocatToken) == 404 }},
		{"list repos", "GET", "/_fake/repos", "", nil, 200, nil},
		{"limit a token", "PUT", "/_fake/token-repos", octocatToken, map[string]any{"repos": []string{"acme/renamed"}}, 204,
			func() bool { return api("GET", "/repos/octocat/personal", octocatToken) == 404 }},
		{"lift the limit", "PUT", "/_fake/token-repos", octocatToken, map[string]any{"repos": []string{}}, 204,
			func() bool { return api("GET", "/repos/octocat/personal", octocatToken) == 200 }},
		{"touch", "POST", "/_fake/repos/acme/renamed/touch", "", nil, 200,
			func() bool { r, _ := s.Repo("acme", "renamed"); return r.Stars == 1 }},
		{"touch missing repo", "POST", "/_fake/repos/acme/none/touch", "", nil, 404, nil},
		{"inject fault", "POST", "/_fake/faults", "", map[string]any{"method": "GET", "path": "/user", "status": 503, "times": 1}, 201,
			func() bool {
				return api("GET", "/user", octocatToken) == 503 && api("GET", "/user", octocatToken) == 200
			}},
		{"timed fault", "POST", "/_fake/faults", "", map[string]any{"status": 500, "latency": "1ms", "for": "1m"}, 201,
			func() bool { return api("GET", "/user", octocatToken) == 500 }},
		{"remove fault", "DELETE", "/_fake/faults/2", "", nil, 204,
			func() bool { return api("GET", "/user", octocatToken) == 200 }},
		{"bad fault", "POST", "/_fake/faults", "", map[string]any{"latency": "soon"}, 400, nil},
		{"empty fault", "POST", "/_fake/faults", "", map[string]any{"path": "/user"}, 400, nil},
		{"drop fault", "POST", "/_fake/faults", "", map[string]any{"drop": true}, 201, nil},
		{"clear faults", "DELETE", "/_fake/faults", "", nil, 204,
			func() bool { return api("GET", "/user", octocatToken) == 200 }},
		{"fault after serving", "POST", "/_fake/faults", "", map[string]any{"method": "PATCH", "status": 502, "after": true, "times": 1}, 201,
			func() bool {
				got := call(t, base, "PATCH", "/repos/acme/renamed", octocatToken, map[string]any{"homepage": "https://kept.example"})
				r, _ := s.Repo("acme", "renamed")
				return got.resp.StatusCode == 502 && r.Homepage == "https://kept.example"
			}},
		{"after needs status or drop", "POST", "/_fake/faults", "", map[string]any{"latency": "1ms", "after": true}, 400, nil},
		{"exhaust budget", "PUT", "/_fake/ratelimit", octocatToken, map[string]any{"remaining": 0}, 200,
			func() bool {
				return api("GET", "/user", octocatToken) == 403 && s.RateLimit(octocatToken).Remaining == 0
			}},
		{"budget needs a token", "PUT", "/_fake/ratelimit", "", map[string]any{"remaining": 0}, 400, nil},
		{"remove a member", "DELETE", "/_fake/orgs/acme/members/dev", "", nil, 204,
			func() bool { return api("POST", "/orgs/acme/repos", devToken) == 404 }},
		{"remove a non-member", "DELETE", "/_fake/orgs/acme/members/dev", "", nil, 404, nil},
		{"read budget", "GET", "/_fake/ratelimit", devToken, nil, 200, nil},
		{"request log", "GET", "/_fake/requests?method=GET&path=/user", "", nil, 200, nil},
		{"clear request log", "DELETE", "/_fake/requests", "", nil, 204,
			func() bool { return len(s.Requests(fake.RequestFilter{})) == 0 }},
		{"stats", "GET", "/_fake/stats", "", nil, 200, nil},
		{"seed", "POST", "/_fake/seed", "", map[string]any{"tokens": map[string]string{"new-token": "newbie"}}, 204,
			func() bool { return api("GET", "/user", "new-token") == 200 }},
		{"bad seed", "POST", "/_fake/seed", "", map[string]any{"repos": []any{map[string]any{"owner": "ghost", "name": "r"}}}, 400, nil},
		{"reset", "POST", "/_fake/reset", "", nil, 204,
			func() bool {
				return api("GET", "/repos/acme/widgets", octocatToken) == 200 && api("GET", "/user", "new-token") == 401
			}},
	}
	for _, st := range steps {
		got := call(t, base, st.method, st.path, st.token, st.body)
		if got.resp.StatusCode != st.want {
			t.Fatalf("%s %s %s: status = %d, want %d: %s", st.name, st.method, st.path, got.resp.StatusCode, st.want, got.body)
		}
		if st.check != nil && !st.check() {
			t.Errorf("%s %s %s: effect not seen", st.name, st.method, st.path)
		}
	}
}
