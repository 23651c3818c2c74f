package fake_test

import (
	"strings"
	"testing"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// mergeConfig is testConfig with acme/secret (private), and an
// organization, forks, that allows forking private repositories, with its
// private repository forks/inner.
func mergeConfig() fake.Config {
	yes := true
	cfg := testConfig()
	secret := fake.NewRepo("acme", "secret")
	secret.Visibility = "private"
	inner := fake.NewRepo("forks", "inner")
	inner.Visibility = "private"
	cfg.Orgs = append(cfg.Orgs, fake.Org{Login: "forks", Members: map[string]fake.Role{"octocat": fake.RoleAdmin}, MembersCanForkPrivateRepos: &yes})
	cfg.Repos = append(cfg.Repos, secret, inner)
	return cfg
}

// TestMergeSettings: the merge settings and repository flags of
// https://docs.github.com/rest/repos/repos#update-a-repository and, those
// the create request schemas list, of
// https://docs.github.com/rest/repos/repos#create-an-organization-repository
// and #create-a-repository-for-the-authenticated-user. GitHub refuses to
// leave no merge method (recorded in integrations/terraform-provider-github#1:
// "Either :allow_merge_commit, :allow_squash_merge or :allow_rebase_merge
// must be true"), to set a squash title or message while squash merging is
// off (recorded in integrations/terraform-provider-github#2147), a message
// without its title (the OpenAPI description: the title is "Required when
// using" the message), the combinations its settings page does not offer
// (COMMIT_OR_PR_TITLE goes only with COMMIT_MESSAGES, MERGE_MESSAGE only
// with PR_TITLE), and values outside the enums. allow_forking is a private
// or internal organization repository's, and only where the organization
// allows forking them
// (https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/managing-repository-settings/managing-the-forking-policy-for-your-repository;
// GitHub's refusal recorded in cli/cli#10000); on a public repository it
// changes nothing. The settings only updating takes are ignored by a
// create. An archived repository refuses them like any edit.
func TestMergeSettings(t *testing.T) {
	tests := []struct {
		name    string
		target  string           // owner/name edited by hand first, with edit
		edit    func(*fake.Repo) // nil: nothing
		token   string           // "": octocat, an owner of acme
		method  string
		path    string
		body    map[string]any
		want    int
		message string         // the answer's message
		detail  string         // errors[0].message, if any
		shows   map[string]any // keys of the answer's body
	}{
		{name: "defaults of a new repository", method: "POST", path: "/orgs/acme/repos", body: map[string]any{"name": "new"}, want: 201,
			shows: map[string]any{"allow_merge_commit": true, "allow_squash_merge": true, "allow_rebase_merge": true,
				"allow_auto_merge": false, "allow_update_branch": false, "delete_branch_on_merge": false,
				"squash_merge_commit_title": "COMMIT_OR_PR_TITLE", "squash_merge_commit_message": "COMMIT_MESSAGES",
				"merge_commit_title": "MERGE_MESSAGE", "merge_commit_message": "PR_TITLE", "use_squash_pr_title_as_default": false,
				"web_commit_signoff_required": false, "is_template": false, "allow_forking": true}},
		{name: "created with merge settings", method: "POST", path: "/user/repos", want: 201,
			body: map[string]any{"name": "new", "allow_merge_commit": false, "allow_rebase_merge": false, "allow_auto_merge": true,
				"delete_branch_on_merge": true, "squash_merge_commit_title": "PR_TITLE", "squash_merge_commit_message": "PR_BODY", "is_template": true},
			shows: map[string]any{"allow_merge_commit": false, "allow_squash_merge": true, "allow_rebase_merge": false, "allow_auto_merge": true,
				"delete_branch_on_merge": true, "squash_merge_commit_title": "PR_TITLE", "squash_merge_commit_message": "PR_BODY",
				"use_squash_pr_title_as_default": true, "is_template": true}},
		{name: "create ignores what only updates take", method: "POST", path: "/orgs/acme/repos", want: 201,
			body:  map[string]any{"name": "new", "allow_update_branch": true, "web_commit_signoff_required": true},
			shows: map[string]any{"allow_update_branch": false, "web_commit_signoff_required": false}},
		{name: "delete branch on merge at creation by an owner", method: "POST", path: "/orgs/acme/repos", want: 201,
			body: map[string]any{"name": "new", "delete_branch_on_merge": true}, shows: map[string]any{"delete_branch_on_merge": true}},
		{name: "delete branch on merge at creation by a member", token: devToken, method: "POST", path: "/orgs/acme/repos", want: 201,
			body: map[string]any{"name": "new", "delete_branch_on_merge": true}, shows: map[string]any{"delete_branch_on_merge": false}},
		{name: "create leaving no merge method", method: "POST", path: "/orgs/acme/repos", want: 422,
			body:    map[string]any{"name": "new", "allow_merge_commit": false, "allow_squash_merge": false, "allow_rebase_merge": false},
			message: "Repository creation failed.", detail: "Either :allow_merge_commit, :allow_squash_merge or :allow_rebase_merge must be true"},
		{name: "update", method: "PATCH", path: "/repos/acme/widgets", want: 200,
			body: map[string]any{"allow_rebase_merge": false, "allow_auto_merge": true, "allow_update_branch": true, "delete_branch_on_merge": true,
				"merge_commit_title": "PR_TITLE", "merge_commit_message": "BLANK", "web_commit_signoff_required": true, "is_template": true},
			shows: map[string]any{"allow_rebase_merge": false, "allow_auto_merge": true, "allow_update_branch": true, "delete_branch_on_merge": true,
				"merge_commit_title": "PR_TITLE", "merge_commit_message": "BLANK", "web_commit_signoff_required": true, "is_template": true}},
		{name: "update leaving no merge method", method: "PATCH", path: "/repos/acme/widgets", want: 422,
			body:    map[string]any{"allow_merge_commit": false, "allow_squash_merge": false, "allow_rebase_merge": false},
			message: "Validation Failed", detail: "Either :allow_merge_commit, :allow_squash_merge or :allow_rebase_merge must be true"},
		{name: "turning off the last merge method left", target: "acme/widgets",
			edit:   func(r *fake.Repo) { r.AllowMergeCommit, r.AllowRebaseMerge = boolp(false), boolp(false) },
			method: "PATCH", path: "/repos/acme/widgets", body: map[string]any{"allow_squash_merge": false}, want: 422,
			message: "Validation Failed", detail: "Either :allow_merge_commit, :allow_squash_merge or :allow_rebase_merge must be true"},
		{name: "turning one on and another off", target: "acme/widgets",
			edit:   func(r *fake.Repo) { r.AllowMergeCommit, r.AllowRebaseMerge = boolp(false), boolp(false) },
			method: "PATCH", path: "/repos/acme/widgets", body: map[string]any{"allow_squash_merge": false, "allow_rebase_merge": true}, want: 200,
			shows: map[string]any{"allow_merge_commit": false, "allow_squash_merge": false, "allow_rebase_merge": true}},
		{name: "squash title alone", method: "PATCH", path: "/repos/acme/widgets", want: 200,
			body:  map[string]any{"squash_merge_commit_title": "PR_TITLE"},
			shows: map[string]any{"squash_merge_commit_title": "PR_TITLE", "squash_merge_commit_message": "COMMIT_MESSAGES"}},
		{name: "squash message without its title", method: "PATCH", path: "/repos/acme/widgets", want: 422,
			body: map[string]any{"squash_merge_commit_message": "PR_BODY"}, message: "Invalid request.\n\n\"squash_merge_commit_title\" wasn't supplied."},
		{name: "squash default title with another message", method: "PATCH", path: "/repos/acme/widgets", want: 422,
			body: map[string]any{"squash_merge_commit_title": "COMMIT_OR_PR_TITLE", "squash_merge_commit_message": "PR_BODY"}, message: "Validation Failed",
			detail: "squash_merge_commit_title COMMIT_OR_PR_TITLE can only be used with squash_merge_commit_message COMMIT_MESSAGES."},
		{name: "squash default title against GitHub's message", target: "acme/widgets",
			edit:   func(r *fake.Repo) { r.SquashMergeCommitTitle, r.SquashMergeCommitMessage = "PR_TITLE", "BLANK" },
			method: "PATCH", path: "/repos/acme/widgets", body: map[string]any{"squash_merge_commit_title": "COMMIT_OR_PR_TITLE"}, want: 422,
			message: "Validation Failed"},
		{name: "squash title while squash merging is off", target: "acme/widgets",
			edit:   func(r *fake.Repo) { r.AllowSquashMerge = boolp(false) },
			method: "PATCH", path: "/repos/acme/widgets", body: map[string]any{"squash_merge_commit_title": "PR_TITLE", "squash_merge_commit_message": "BLANK"}, want: 422,
			message: "Validation Failed", detail: "Sorry, you need to allow the squash merge strategy in order to set the default squash commit message title or message. (no_squash_merge_strategy)"},
		{name: "squash title while turning squash merging on", target: "acme/widgets",
			edit:   func(r *fake.Repo) { r.AllowSquashMerge = boolp(false) },
			method: "PATCH", path: "/repos/acme/widgets", want: 200,
			body:  map[string]any{"allow_squash_merge": true, "squash_merge_commit_title": "PR_TITLE", "squash_merge_commit_message": "BLANK"},
			shows: map[string]any{"allow_squash_merge": true, "squash_merge_commit_title": "PR_TITLE", "squash_merge_commit_message": "BLANK"}},
		{name: "merge title while merge commits are off", target: "acme/widgets",
			edit:   func(r *fake.Repo) { r.AllowMergeCommit = boolp(false) },
			method: "PATCH", path: "/repos/acme/widgets", body: map[string]any{"merge_commit_title": "PR_TITLE", "merge_commit_message": "PR_BODY"}, want: 422,
			message: "Validation Failed"},
		{name: "merge message without its title", method: "PATCH", path: "/repos/acme/widgets", want: 422,
			body: map[string]any{"merge_commit_message": "PR_BODY"}, message: "Invalid request.\n\n\"merge_commit_title\" wasn't supplied."},
		{name: "merge default title with another message", method: "PATCH", path: "/repos/acme/widgets", want: 422,
			body: map[string]any{"merge_commit_title": "MERGE_MESSAGE", "merge_commit_message": "PR_BODY"}, message: "Validation Failed"},
		{name: "merge title PR_TITLE with message PR_TITLE", method: "PATCH", path: "/repos/acme/widgets", want: 422,
			body: map[string]any{"merge_commit_title": "PR_TITLE", "merge_commit_message": "PR_TITLE"}, message: "Validation Failed"},
		{name: "create with a message the title does not allow", method: "POST", path: "/user/repos", want: 422,
			body: map[string]any{"name": "new", "merge_commit_title": "MERGE_MESSAGE", "merge_commit_message": "BLANK"}, message: "Repository creation failed."},
		{name: "title outside the enum", method: "PATCH", path: "/repos/acme/widgets", want: 422,
			body:    map[string]any{"squash_merge_commit_title": "FIRST_LINE", "squash_merge_commit_message": "BLANK"},
			message: "Invalid request.\n\nFor 'properties/squash_merge_commit_title', FIRST_LINE is not a member of [\"COMMIT_OR_PR_TITLE\", \"PR_TITLE\"]."},
		{name: "message outside the enum", method: "POST", path: "/user/repos", want: 422,
			body:    map[string]any{"name": "new", "merge_commit_title": "PR_TITLE", "merge_commit_message": "pr_body"},
			message: "Invalid request.\n\nFor 'properties/merge_commit_message', pr_body is not a member of [\"PR_TITLE\", \"PR_BODY\", \"BLANK\"]."},
		{name: "forking where the organization does not allow it", method: "PATCH", path: "/repos/acme/secret", want: 422,
			body: map[string]any{"allow_forking": true}, message: "This organization does not allow private repository forking"},
		{name: "forking off where the organization does not allow it", method: "PATCH", path: "/repos/acme/secret", want: 422,
			body: map[string]any{"allow_forking": false}, message: "This organization does not allow private repository forking"},
		{name: "forking shown off where the organization does not allow it", method: "GET", path: "/repos/acme/secret", want: 200,
			shows: map[string]any{"allow_forking": false}},
		{name: "forking where the organization allows it", method: "PATCH", path: "/repos/forks/inner", want: 200,
			body: map[string]any{"allow_forking": false}, shows: map[string]any{"allow_forking": false}},
		{name: "forking of a user's private repository", method: "PATCH", path: "/repos/octocat/personal", want: 422,
			body: map[string]any{"allow_forking": false}, message: "Validation Failed"},
		{name: "forking of a public repository", method: "PATCH", path: "/repos/acme/widgets", want: 200,
			body: map[string]any{"allow_forking": false}, shows: map[string]any{"allow_forking": true}},
		{name: "forking while making it private", method: "PATCH", path: "/repos/forks/inner", want: 200,
			body: map[string]any{"visibility": "public", "allow_forking": false}, shows: map[string]any{"allow_forking": true, "visibility": "public"}},
		{name: "archived refuses merge settings", target: "acme/widgets", edit: func(r *fake.Repo) { r.Archived = true },
			method: "PATCH", path: "/repos/acme/widgets", body: map[string]any{"allow_auto_merge": true}, want: 403,
			message: "Repository was archived so is read-only."},
		{name: "archived refuses flags", target: "acme/widgets", edit: func(r *fake.Repo) { r.Archived = true },
			method: "PATCH", path: "/repos/acme/widgets", body: map[string]any{"web_commit_signoff_required": true}, want: 403,
			message: "Repository was archived so is read-only."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t, fake.WithConfig(mergeConfig()))
			if tt.edit != nil {
				owner, name, _ := strings.Cut(tt.target, "/")
				if _, err := s.EditRepo(owner, name, func(r *fake.Repo) error { tt.edit(r); return nil }); err != nil {
					t.Fatal(err)
				}
			}
			var body any
			if tt.body != nil {
				body = tt.body
			}
			token := tt.token
			if token == "" {
				token = octocatToken
			}
			got := call(t, base, tt.method, tt.path, token, body)
			got.expect(t, tt.want, tt.message)
			m := got.json(t)
			if tt.detail != "" {
				errs, _ := m["errors"].([]any)
				if len(errs) != 1 || errs[0].(map[string]any)["message"] != tt.detail {
					t.Errorf("errors = %v, want one saying %q", m["errors"], tt.detail)
				}
			}
			for k, want := range tt.shows {
				if m[k] != want {
					t.Errorf("%s = %v, want %v", k, m[k], want)
				}
			}
		})
	}
}

// TestRefusedMergeSettingsChangeNothing: a refused update leaves the
// repository as it was, the rest of the request included.
func TestRefusedMergeSettingsChangeNothing(t *testing.T) {
	s, base, _ := start(t, fake.WithConfig(mergeConfig()))
	call(t, base, "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{
		"description": "changed", "allow_merge_commit": false, "allow_squash_merge": false, "allow_rebase_merge": false,
	}).expect(t, 422, "Validation Failed")
	r, _ := s.Repo("acme", "widgets")
	if r.Description != "" || !*r.AllowMergeCommit || !*r.AllowSquashMerge || !*r.AllowRebaseMerge {
		t.Errorf("repository = %+v, want it unchanged", r)
	}
}

// TestMergeSettingsChangeTheETag: a change to a merge setting, through
// the API or by hand, changes the repository's ETag, so a conditional read
// sees it.
func TestMergeSettingsChangeTheETag(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, s *fake.Server, base string)
	}{
		{"through the API", func(t *testing.T, _ *fake.Server, base string) {
			call(t, base, "PATCH", "/repos/acme/widgets", octocatToken, map[string]any{"allow_auto_merge": true}).expect(t, 200, "")
		}},
		{"by hand", func(t *testing.T, s *fake.Server, _ string) {
			if _, err := s.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.SquashMergeCommitTitle = "PR_TITLE"; return nil }); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, clock := start(t, fake.WithConfig(mergeConfig()))
			etag := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil).resp.Header.Get("ETag")
			call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil, "If-None-Match", etag).expect(t, 304, "")
			clock.Step(0) // the same second: only the setting differs
			tt.change(t, s, base)
			got := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil, "If-None-Match", etag)
			got.expect(t, 200, "")
			if got.resp.Header.Get("ETag") == etag {
				t.Error("ETag unchanged after a merge setting changed")
			}
		})
	}
}

// TestMergeSettingsShownToPushersOnly: GitHub shows a repository's merge
// settings only to those who may push to it. An App's installation token
// needs contents write, administration write is not enough
// (integrations/terraform-provider-github#679, and the note #1727 added to
// the provider's documentation: "even GET requests must have the
// contents:write permission or else the allow_merge_commit,
// allow_rebase_merge, and allow_squash_merge attributes will be ignored");
// a reader without push access gets none (hub4j/github-api#1506).
func TestMergeSettingsShownToPushersOnly(t *testing.T) {
	tests := []struct {
		name  string
		token func(*testing.T, *fake.Server) string
		path  string
		shown bool
	}{
		{"admin", func(*testing.T, *fake.Server) string { return octocatToken }, "/repos/acme/widgets", true},
		{"member who may push", func(*testing.T, *fake.Server) string { return devToken }, "/repos/acme/widgets", true},
		{"reader of a public repository", func(*testing.T, *fake.Server) string { return outsiderToken }, "/repos/acme/widgets", false},
		{"App with contents write", func(t *testing.T, s *fake.Server) string { return installationToken(t, s, acmeInstall) }, "/repos/acme/widgets", true},
		{"App with administration write only", func(t *testing.T, s *fake.Server) string { return installationToken(t, s, userInstall) }, "/repos/octocat/personal", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _, _ := startApps(t)
			m := call(t, base, "GET", tt.path, tt.token(t, s), nil).json(t)
			for _, k := range []string{"allow_merge_commit", "allow_squash_merge", "allow_rebase_merge", "allow_auto_merge",
				"delete_branch_on_merge", "squash_merge_commit_title", "merge_commit_message"} {
				if _, ok := m[k]; ok != tt.shown {
					t.Errorf("%s shown: %v, want %v", k, ok, tt.shown)
				}
			}
			if _, ok := m["allow_forking"]; !ok {
				t.Error("allow_forking missing: it is shown to every reader")
			}
		})
	}
}

func boolp(v bool) *bool { return &v }
