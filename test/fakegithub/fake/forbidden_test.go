package fake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

const (
	samlMessage = "Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization."
	ssoPrefix   = "required; url=https://github.com/orgs/acme/sso?authorization_request="
)

// forbiddenConfig is appConfig with acme enforcing SAML SSO (octocat's
// token authorized for it, dev's not), keeping visibility changes and
// deletion to its owners, and a classic token without delete_repo.
func forbiddenConfig() fake.Config {
	no := false
	cfg := appConfig()
	cfg.Orgs[0].SAMLEnforced = true
	cfg.Orgs[0].MembersCanChangeRepoVisibility = &no
	cfg.Orgs[0].MembersCanDeleteRepos = &no
	cfg.Orgs[1].MembersCanChangeRepoVisibility = &no // locked, where dev is a member
	cfg.Tokens["classic"] = "octocat"
	cfg.TokenScopes = map[string][]string{"classic": {"repo"}}
	cfg.TokenSSO = map[string][]string{octocatToken: {"ACME"}, "classic": {"acme"}, fineToken: {"acme"}}
	for _, owner := range []string{"acme", "locked"} {
		mine := fake.NewRepo(owner, "mine") // dev's: dev administers it
		mine.CreatedBy = "dev"
		cfg.Repos = append(cfg.Repos, mine)
	}
	return cfg
}

// TestForbidden covers each way GitHub refuses a request a token may not
// make, with GitHub's status, message and headers:
//   - a classic token without delete_repo: 403 "Must have admin rights to
//     Repository." with X-Accepted-OAuth-Scopes: delete_repo
//     (https://docs.github.com/en/rest/repos/repos#delete-a-repository;
//     integrations/terraform-provider-github#169);
//   - an organization keeping deletion to owners: 403 "Organization members
//     cannot delete repositories." (the example of the same page), for an
//     App too;
//   - an organization keeping visibility changes to owners
//     (https://docs.github.com/en/organizations/managing-organization-settings/restricting-repository-visibility-changes-in-your-organization):
//     422 "Visibility can't be changed by this user." for members and Apps
//     alike (integrations/terraform-provider-github#788, #832, #2239; GitHub
//     answers 422 here, not 403);
//   - an organization enforcing SAML SSO: 403 "Resource protected by
//     organization SAML enforcement..." with "X-GitHub-SSO: required;
//     url=..." for a member's token not authorized for it
//     (https://docs.github.com/en/rest/authentication/authenticating-to-the-rest-api#authenticating-with-a-personal-access-token-for-saml-sso;
//     the message as reported in jhu-bids/TermHub#935); public
//     repositories stay readable, and installation tokens are not subject
//     to SAML SSO
//     (https://docs.github.com/en/enterprise-cloud@latest/authentication/authenticating-with-single-sign-on/about-authentication-with-single-sign-on);
//   - an App without the permission: 403 "Resource not accessible by
//     integration" with X-Accepted-GitHub-Permissions
//     (https://github.blog/changelog/2023-08-10-x-accepted-github-permissions-header-for-fine-grained-permission-actors);
//   - a fine-grained token without the repository: 404 to read a private
//     one, 403 "Resource not accessible by personal access token" to write
//     a public one (see TestTokenRepos).
func TestForbidden(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		inst    int64 // an installation token instead of token
		method  string
		path    string
		body    any
		want    int
		message string
		header  string // "Name: prefix" of a header the answer must carry
	}{
		{"classic without delete_repo", "classic", 0, "DELETE", "/repos/acme/widgets", nil, 403, "Must have admin rights to Repository.", "X-Accepted-OAuth-Scopes: delete_repo"},
		{"member deletes where members may", devToken, 0, "DELETE", "/repos/locked/mine", nil, 204, "", ""},
		{"owner deletes", octocatToken, 0, "DELETE", "/repos/acme/mine", nil, 204, "", ""},
		{"App deletes where members can't", "", acmeInstall, "DELETE", "/repos/acme/widgets", nil, 403, "Organization members cannot delete repositories.", ""},
		{"member changes visibility", devToken, 0, "PATCH", "/repos/locked/mine", map[string]any{"visibility": "private"}, 422, "Visibility can't be changed by this user.", ""},
		{"member changes the rest", devToken, 0, "PATCH", "/repos/locked/mine", map[string]any{"description": "x", "private": false}, 200, "", ""},
		{"owner changes visibility", octocatToken, 0, "PATCH", "/repos/acme/widgets", map[string]any{"visibility": "private"}, 200, "", ""},
		{"App changes visibility", "", acmeInstall, "PATCH", "/repos/acme/widgets", map[string]any{"private": true}, 422, "Visibility can't be changed by this user.", ""},
		{"App changes the rest", "", acmeInstall, "PATCH", "/repos/acme/widgets", map[string]any{"description": "x", "visibility": "public"}, 200, "", ""},
		{"SAML: member reads a private repository", devToken, 0, "GET", "/repos/acme/hidden", nil, 403, samlMessage, "X-GitHub-SSO: " + ssoPrefix},
		{"SAML: by id", devToken, 0, "GET", "/repositories/1004", nil, 403, samlMessage, "X-GitHub-SSO: " + ssoPrefix},
		{"SAML: member reads a public repository", devToken, 0, "GET", "/repos/acme/widgets", nil, 200, "", ""},
		{"SAML: member writes a public repository", devToken, 0, "PATCH", "/repos/acme/widgets", map[string]any{"description": "x"}, 403, samlMessage, "X-GitHub-SSO: " + ssoPrefix},
		{"SAML: member creates", devToken, 0, "POST", "/orgs/acme/repos", map[string]any{"name": "x"}, 403, samlMessage, "X-GitHub-SSO: " + ssoPrefix},
		{"SAML: member reads the organization", devToken, 0, "GET", "/orgs/acme", nil, 403, samlMessage, "X-GitHub-SSO: " + ssoPrefix},
		{"SAML: member reads properties", devToken, 0, "GET", "/orgs/acme/properties/schema", nil, 403, samlMessage, "X-GitHub-SSO: " + ssoPrefix},
		{"SAML: another organization", devToken, 0, "GET", "/orgs/locked", nil, 200, "", ""},
		{"SAML: authorized token", octocatToken, 0, "GET", "/repos/acme/hidden", nil, 200, "", ""},
		{"SAML: outsider", outsiderToken, 0, "GET", "/repos/acme/hidden", nil, 404, "Not Found", ""},
		{"SAML: installation token", "", readInstall, "GET", "/repos/acme/hidden", nil, 200, "", ""},
		{"App without administration", "", readInstall, "PATCH", "/repos/acme/widgets", map[string]any{"description": "x"}, 403, "Resource not accessible by integration", "X-Accepted-GitHub-Permissions: administration=write"},
		{"App on GET /user", "", acmeInstall, "GET", "/user", nil, 403, "Resource not accessible by integration", ""},
		{"App creates for a user", "", userInstall, "POST", "/user/repos", map[string]any{"name": "x"}, 403, "Resource not accessible by integration", ""},
		{"fine-grained reads another private repository", fineToken, 0, "GET", "/repos/acme/hidden", nil, 404, "Not Found", ""},
		{"fine-grained writes another public repository", fineToken, 0, "PATCH", "/repos/acme/open", map[string]any{"description": "x"}, 403, "Resource not accessible by personal access token", "X-Accepted-GitHub-Permissions: administration=write"},
	}
	doc := loadSpec(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t, fake.WithConfig(forbiddenConfig()))
			token := tt.token
			if tt.inst != 0 {
				token = installationToken(t, s, tt.inst)
			}
			got := call(t, base, tt.method, tt.path, token, tt.body)
			got.expect(t, tt.want, tt.message)
			if tt.header != "" {
				name, prefix, _ := strings.Cut(tt.header, ": ")
				if v := got.resp.Header.Get(name); !strings.HasPrefix(v, prefix) || len(v) == len(prefix) && strings.HasSuffix(prefix, "=") {
					t.Errorf("%s = %q, want %q...", name, v, prefix)
				}
			}
			if tt.want >= 400 {
				// Where the description has the operation, the answer is
				// one it allows.
				doc.Servers = openapi3.Servers{{URL: strings.TrimSuffix(base, "/")}}
				router, err := gorillamux.NewRouter(doc)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := router.FindRoute(got.resp.Request); err == nil {
					validate(t, doc, router, got)
				}
			}
		})
	}
}

// TestSetTokenSSO: authorizing a token for SAML SSO at run time lets it
// in; revoking locks it out again. The authorization request in
// X-GitHub-SSO is opaque and the same for the same token and organization.
func TestSetTokenSSO(t *testing.T) {
	s, base, _ := start(t, fake.WithConfig(forbiddenConfig()))
	first := call(t, base, "GET", "/repos/acme/hidden", devToken, nil)
	first.expect(t, 403, samlMessage)
	if again := call(t, base, "GET", "/repos/acme/hidden", devToken, nil); again.resp.Header.Get("X-GitHub-SSO") != first.resp.Header.Get("X-GitHub-SSO") {
		t.Errorf("X-GitHub-SSO changed: %q, %q", first.resp.Header.Get("X-GitHub-SSO"), again.resp.Header.Get("X-GitHub-SSO"))
	}
	if strings.Contains(first.resp.Header.Get("X-GitHub-SSO"), devToken) {
		t.Error("X-GitHub-SSO reveals the token")
	}
	s.SetTokenSSO(devToken, "acme")
	call(t, base, "GET", "/repos/acme/hidden", devToken, nil).expect(t, 200, "")
	s.SetTokenSSO(octocatToken)
	call(t, base, "GET", "/repos/acme/hidden", octocatToken, nil).expect(t, 403, samlMessage)
	if got := call(t, base, "GET", "/orgs/locked", devToken, nil); got.resp.Header.Get("X-GitHub-SSO") != "" {
		t.Errorf("X-GitHub-SSO on an organization without SAML: %q", got.resp.Header.Get("X-GitHub-SSO"))
	}
	org := call(t, base, "GET", "/orgs/acme", devToken, nil).json(t)
	if org["members_can_change_repo_visibility"] != false || org["members_can_delete_repositories"] != false {
		t.Errorf("org = %v", org)
	}
	if _, ok := call(t, base, "GET", "/orgs/acme", devToken, nil).resp.Header[http.CanonicalHeaderKey("X-GitHub-SSO")]; ok {
		t.Error("X-GitHub-SSO on an answer that let the token in")
	}
}
