package githubrepo_test

import (
	"strings"
	"testing"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
)

// Every 403 says its cause, with its own reason and what to do; the
// GitHubRepo stays as it is until GitHub lets it go on. The fake answers
// each as GitHub does:
//   - a classic token without delete_repo: X-OAuth-Scopes lists what it has
//     (https://docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps);
//   - an organization that keeps deletion, or visibility changes, to its
//     owners (members_can_delete_repositories, members_can_change_repo_visibility:
//     https://docs.github.com/rest/orgs/orgs#update-an-organization);
//   - SAML SSO not authorised for the token: the X-GitHub-SSO header
//     (https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api);
//   - an App without a permission: "Resource not accessible by integration"
//     with X-Accepted-GitHub-Permissions
//     (https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api#resource-not-accessible);
//   - a fine-grained token without the repository: "Resource not
//     accessible by personal access token".
func TestForbiddenSaysWhy(t *testing.T) {
	no := false
	priv, pub := fake.NewAppKey(t)
	for _, c := range []struct {
		name   string
		edit   func(*fake.Config)
		secret map[string]string // "" values: the harness's token and URL
		act    func(h *harness)
		reason string
		says   string
	}{
		{"token without delete_repo", func(cfg *fake.Config) { cfg.TokenScopes = map[string][]string{token: {"repo"}} }, nil,
			deleteIt, v1.ReasonTokenScopeMissing, "delete_repo"},
		{"members may not delete", func(cfg *fake.Config) {
			cfg.Orgs[0].Members["octocat"] = fake.RoleMember
			cfg.Orgs[0].MembersCanDeleteRepos = &no
		}, nil, deleteIt, v1.ReasonOrganizationPolicy, "owners"},
		{"members may not change visibility", func(cfg *fake.Config) {
			cfg.Orgs[0].Members["octocat"] = fake.RoleMember
			cfg.Orgs[0].MembersCanChangeRepoVisibility = &no
		}, nil, func(h *harness) {
			h.sync()
			h.edit(func(s map[string]any) { s["visibility"] = "public" })
			h.untilRetry()
			h.sync()
		}, v1.ReasonOrganizationPolicy, "members_can_change_repo_visibility"},
		{"SAML SSO not authorised", func(cfg *fake.Config) { cfg.Orgs[0].SAMLEnforced = true }, nil,
			nil, v1.ReasonSSOAuthorizationMissing, "single sign-on"},
		{"App without Administration", func(cfg *fake.Config) {
			cfg.Apps = []fake.App{{ID: 7, Slug: "hookops", PublicKey: string(pub),
				Installations: []fake.Installation{{ID: 70, Account: "acme", Permissions: map[string]string{"metadata": "read"}}}}}
		}, map[string]string{"appID": "7", "privateKey": string(priv)}, nil, v1.ReasonAppPermissionMissing, "administration"},
		{"fine-grained token without the repository", func(cfg *fake.Config) {
			cfg.Repos = append(cfg.Repos, fake.Repo{Owner: "acme", Name: "widgets"})
			cfg.TokenRepos = map[string][]string{token: {"acme/other"}}
		}, nil, func(h *harness) {
			h.edit(func(s map[string]any) { s["adoptExisting"] = true; s["description"] = "mine now" })
			h.sync()
		}, v1.ReasonTokenAccessMissing, "fine-grained"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := fake.DefaultConfig()
			c.edit(&cfg)
			h := newHarness(t, map[string]any{"owner": "acme"}, fake.WithConfig(cfg))
			if c.secret != nil {
				c.secret["baseURL"] = h.base
				h.secret = h.makeSecret(c.secret)
			}
			act := c.act
			if act == nil {
				act = func(h *harness) { h.sync() }
			}
			act(h)
			h.expect(v1.ConditionError, "True/"+c.reason)
			if msg := h.message(v1.ConditionError); !strings.Contains(strings.ToLower(msg), strings.ToLower(c.says)) {
				t.Errorf("message %q does not say %q", msg, c.says)
			}
		})
	}
}

// deleteIt creates the repository, then deletes the GitHubRepo: the
// deletion is refused and the repository stays.
func deleteIt(h *harness) {
	h.t.Helper()
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if h.finalize().Finalized {
		h.t.Fatal("finalized although GitHub refused the deletion")
	}
	if n := len(h.gh.Repos()); n != 1 {
		h.t.Errorf("%d repositories after a refused deletion", n)
	}
	if msg := h.message(v1.ConditionError); !strings.Contains(msg, "Orphan") {
		h.t.Errorf("message %q does not say how to keep the repository instead", msg)
	}
}
