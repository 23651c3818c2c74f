package fake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

const fineToken = "fine-token" // octocat's, limited to acme/widgets and acme/secret

// accessConfig adds private acme/secret and acme/hidden, public acme/open,
// and octocat's fine-grained token.
func accessConfig() fake.Config {
	cfg := testConfig()
	for _, name := range []string{"secret", "hidden", "open"} {
		r := fake.NewRepo("acme", name)
		if name != "open" {
			r.Visibility = "private"
		}
		cfg.Repos = append(cfg.Repos, r)
	}
	cfg.Tokens[fineToken] = "octocat"
	cfg.TokenRepos = map[string][]string{fineToken: {"acme/widgets", "ACME/Secret"}}
	return cfg
}

// TestTokenRepos: a fine-grained token limited to selected repositories
// gets 404 for a private repository outside the selection, "to avoid
// confirming the existence of private repositories", and "Resource not
// accessible by personal access token" when it lacks the access a request
// needs
// (https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api#404-not-found-for-an-existing-resource,
// #resource-not-accessible; the 403 as reported in
// https://github.com/RoamJS/roamjs-components/issues/31). A name that is
// taken is taken whoever can see it: creating it is 422 "name already
// exists on this account" (recorded in recorded/errors.json's shape).
func TestTokenRepos(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		path    string
		token   string
		body    any
		want    int
		message string
	}{
		{"selected, read", "GET", "/repos/acme/widgets", fineToken, nil, 200, ""},
		{"selected, write", "PATCH", "/repos/acme/widgets", fineToken, map[string]any{"description": "x"}, 200, ""},
		{"selected private, by id", "GET", "/repositories/1003", fineToken, nil, 200, ""},
		{"private, by name", "GET", "/repos/octocat/personal", fineToken, nil, 404, "Not Found"},
		{"private, by id", "GET", "/repositories/1002", fineToken, nil, 404, "Not Found"},
		{"private, write", "PATCH", "/repos/acme/hidden", fineToken, map[string]any{"description": "x"}, 404, "Not Found"},
		{"private, delete", "DELETE", "/repos/acme/hidden", fineToken, nil, 404, "Not Found"},
		{"public, read", "GET", "/repos/acme/open", fineToken, nil, 200, ""},
		{"public, write", "PATCH", "/repos/acme/open", fineToken, map[string]any{"description": "x"}, 403, "Resource not accessible by personal access token"},
		{"public, topics", "PUT", "/repos/acme/open/topics", fineToken, map[string]any{"names": []string{"a"}}, 403, "Resource not accessible by personal access token"},
		{"same user, other token", "GET", "/repos/acme/hidden", octocatToken, nil, 200, ""},
		{"hidden name taken in org", "POST", "/orgs/acme/repos", fineToken, map[string]any{"name": "hidden"}, 422, "Repository creation failed."},
		{"hidden name taken for user", "POST", "/user/repos", fineToken, map[string]any{"name": "personal"}, 422, "Repository creation failed."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base, _ := start(t, fake.WithConfig(accessConfig()))
			got := call(t, base, tt.method, tt.path, tt.token, tt.body)
			got.expect(t, tt.want, tt.message)
			if tt.want == 422 && !strings.Contains(string(got.body), `"message":"name already exists on this account"`) {
				t.Errorf("body = %s", got.body)
			}
		})
	}
}

// TestSetTokenRepos: the selection can change at run time, follows a
// renamed repository, and lifting it restores the user's access.
func TestSetTokenRepos(t *testing.T) {
	s, base, _ := start(t, fake.WithConfig(accessConfig()))
	status := func(path string) int { return call(t, base, "GET", path, fineToken, nil).resp.StatusCode }
	if _, err := s.EditRepo("acme", "secret", func(r *fake.Repo) error { r.Name = "classified"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := status("/repos/acme/classified"); got != 200 {
		t.Errorf("renamed selected repository: %d, want 200", got)
	}
	s.SetTokenRepos(fineToken, "acme/hidden")
	if a, b := status("/repos/acme/hidden"), status("/repos/acme/classified"); a != 200 || b != 404 {
		t.Errorf("after reselecting: hidden %d, classified %d; want 200, 404", a, b)
	}
	s.SetTokenRepos(fineToken)
	if got := status("/repos/octocat/personal"); got != 200 {
		t.Errorf("unlimited: %d, want 200", got)
	}
}

// TestRemoveMember: a user removed from an organization loses access to
// its private repositories
// (https://docs.github.com/en/organizations/managing-membership-in-your-organization/removing-a-member-from-your-organization),
// which are then 404 to the user's tokens.
func TestRemoveMember(t *testing.T) {
	s, base, _ := start(t, fake.WithConfig(accessConfig()))
	if got := call(t, base, "GET", "/repos/acme/hidden", devToken, nil); got.resp.StatusCode != 200 {
		t.Fatalf("member: %d", got.resp.StatusCode)
	}
	if err := s.RemoveMember("acme", "DEV"); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"/repos/acme/hidden": 404, "/repositories/1004": 404, "/repos/acme/widgets": 200} {
		if got := call(t, base, "GET", path, devToken, nil); got.resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, got.resp.StatusCode, want)
		}
	}
	if got := call(t, base, "POST", "/orgs/acme/repos", devToken, map[string]any{"name": "x"}); got.resp.StatusCode != 404 {
		t.Errorf("create after removal: %d, want 404", got.resp.StatusCode)
	}
	for _, who := range [][2]string{{"acme", "dev"}, {"nowhere", "dev"}, {"octocat", "dev"}} {
		if err := s.RemoveMember(who[0], who[1]); err == nil {
			t.Errorf("RemoveMember(%s, %s) succeeded", who[0], who[1])
		}
	}
}

// TestTokenScopes: answers to a classic token list its scopes in
// X-OAuth-Scopes and what the endpoint checks for in
// X-Accepted-OAuth-Scopes
// (https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps).
// Deleting a repository needs delete_repo
// (https://docs.github.com/en/rest/repos/repos#delete-a-repository);
// without it GitHub answers "Must have admin rights to Repository."
// (https://github.com/integrations/terraform-provider-github/issues/169).
func TestTokenScopes(t *testing.T) {
	cfg := testConfig()
	cfg.Tokens["repo-only"], cfg.Tokens["can-delete"] = "octocat", "octocat"
	cfg.TokenScopes = map[string][]string{"repo-only": {"repo"}, "can-delete": {"repo", "delete_repo"}}
	tests := []struct {
		name, method, token string
		want                int
		scopes, accepted    string // "-" for no header
	}{
		{"read", "GET", "repo-only", 200, "repo", "repo"},
		{"delete without delete_repo", "DELETE", "repo-only", 403, "repo", "delete_repo"},
		{"delete", "DELETE", "can-delete", 204, "repo, delete_repo", "delete_repo"},
		{"token without scopes configured", "DELETE", octocatToken, 204, "-", "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t, fake.WithConfig(cfg))
			got := call(t, base, tt.method, "/repos/acme/widgets", tt.token, nil)
			if got.resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d: %s", got.resp.StatusCode, tt.want, got.body)
			}
			for header, want := range map[string]string{"X-OAuth-Scopes": tt.scopes, "X-Accepted-OAuth-Scopes": tt.accepted} {
				if v, ok := got.resp.Header[http.CanonicalHeaderKey(header)]; (want == "-") == ok || ok && v[0] != want {
					t.Errorf("%s = %q, want %q", header, v, want)
				}
			}
			if tt.want == 403 {
				if msg := got.json(t)["message"]; msg != "Must have admin rights to Repository." {
					t.Errorf("message = %q", msg)
				}
				if _, ok := s.Repo("acme", "widgets"); !ok {
					t.Error("deleted anyway")
				}
			}
		})
	}
}

// TestMembersCanDeleteRepos: where an organization keeps deletion to its
// owners, a member with admin rights on a repository gets 403
// "Organization members cannot delete repositories." (the example of
// https://docs.github.com/en/rest/repos/repos#delete-a-repository).
func TestMembersCanDeleteRepos(t *testing.T) {
	no := false
	cfg := testConfig()
	cfg.Orgs[0].MembersCanDeleteRepos = &no
	s, base, _ := start(t, fake.WithConfig(cfg))
	if org := call(t, base, "GET", "/orgs/acme", devToken, nil).json(t); org["members_can_delete_repositories"] != false {
		t.Errorf("org body: members_can_delete_repositories = %v", org["members_can_delete_repositories"])
	}
	call(t, base, "POST", "/orgs/acme/repos", devToken, map[string]any{"name": "mine"})
	got := call(t, base, "DELETE", "/repos/acme/mine", devToken, nil)
	if got.resp.StatusCode != 403 || got.json(t)["message"] != "Organization members cannot delete repositories." {
		t.Fatalf("member deletes: %d %s", got.resp.StatusCode, got.body)
	}
	doc := loadSpec(t)
	doc.Servers = openapi3.Servers{{URL: strings.TrimSuffix(base, "/")}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, doc, router, got)
	if got := call(t, base, "DELETE", "/repos/acme/mine", octocatToken, nil); got.resp.StatusCode != 204 {
		t.Errorf("owner deletes: %d", got.resp.StatusCode)
	}
	if _, ok := s.Repo("acme", "mine"); ok {
		t.Error("not deleted")
	}
	if org := call(t, base, "GET", "/orgs/locked", devToken, nil).json(t); org["members_can_delete_repositories"] != true {
		t.Errorf("default: members_can_delete_repositories = %v", org["members_can_delete_repositories"])
	}
}
