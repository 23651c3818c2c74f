package fake_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookops/hookops/test/fakegithub/fake"
)

// addTemplate adds acme/starter: a private template repository with two
// branches, trunk its default, and an MIT license.
func addTemplate(t *testing.T, s *fake.Server) fake.Repo {
	t.Helper()
	r := fake.NewRepo("acme", "starter")
	r.Visibility, r.IsTemplate, r.License = "private", true, "mit"
	r.DefaultBranch, r.Branches = "trunk", []string{"trunk", "release"}
	stored, err := s.AddRepo(r)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

// POST /repos/{template_owner}/{template_repo}/generate creates a
// repository from the template's files: its default branch (every branch
// with include_all_branches), and a record of the template
// (template_repository). Its body has no visibility, only the boolean
// private (default false), and GitHub ignores what it does not know, so a
// visibility sent anyway leaves the repository public: the trap of
// integrations/terraform-provider-github#3122.
// https://docs.github.com/rest/repos/repos#create-a-repository-using-a-template
func TestGenerateFromTemplate(t *testing.T) {
	tests := []struct {
		name       string
		body       map[string]any
		full       string
		visibility string
		branches   []string
	}{
		{"in an organization, private", map[string]any{"owner": "acme", "name": "svc", "description": "d", "private": true}, "acme/svc", "private", []string{"trunk"}},
		{"for the token's user", map[string]any{"name": "svc"}, "octocat/svc", "public", []string{"trunk"}},
		{"for the user named", map[string]any{"owner": "octocat", "name": "svc", "private": true}, "octocat/svc", "private", []string{"trunk"}},
		{"every branch", map[string]any{"owner": "acme", "name": "svc", "private": true, "include_all_branches": true}, "acme/svc", "private", []string{"trunk", "release"}},
		{"visibility is not a field", map[string]any{"owner": "acme", "name": "svc", "visibility": "internal"}, "acme/svc", "public", []string{"trunk"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t)
			tmpl := addTemplate(t, s)
			got := call(t, base, "POST", "/repos/acme/starter/generate", octocatToken, tt.body)
			got.expect(t, http.StatusCreated, "")
			body := got.json(t)
			if body["full_name"] != tt.full || body["visibility"] != tt.visibility || body["private"] != (tt.visibility != "public") || body["default_branch"] != "trunk" {
				t.Errorf("body = %v", body)
			}
			if from, _ := body["template_repository"].(map[string]any); from == nil || from["full_name"] != "acme/starter" || from["id"] != float64(tmpl.ID) {
				t.Errorf("template_repository = %v, want acme/starter", body["template_repository"])
			}
			if loc := got.resp.Header.Get("Location"); !strings.HasSuffix(loc, "/repos/"+tt.full) {
				t.Errorf("Location = %q", loc)
			}
			owner, name, _ := strings.Cut(tt.full, "/")
			r, ok := s.Repo(owner, name)
			if !ok || !slices.Equal(r.Branches, tt.branches) || r.TemplateID != tmpl.ID || r.License != "mit" || r.CreatedBy != "octocat" || r.IsTemplate {
				t.Errorf("stored = %+v", r)
			}
			if d, _ := tt.body["description"].(string); r.Description != d {
				t.Errorf("description = %q, want %q", r.Description, d)
			}
			// A read shows the template too.
			read := call(t, base, "GET", "/repos/"+tt.full, octocatToken, nil).json(t)
			if from, _ := read["template_repository"].(map[string]any); from == nil || from["full_name"] != "acme/starter" {
				t.Errorf("GET template_repository = %v", read["template_repository"])
			}
		})
	}
}

// A repository not generated from a template has no template_repository,
// as in the recorded GET (../shared/github/recorded/get-repository.json).
func TestNoTemplateRepository(t *testing.T) {
	_, base, _ := start(t)
	if body := call(t, base, "GET", "/repos/acme/widgets", octocatToken, nil).json(t); body["template_repository"] != nil {
		t.Errorf("template_repository = %v", body["template_repository"])
	}
}

// What GitHub refuses. The template must be visible to the token (404 as
// for any repository it cannot see), the token must be allowed to create
// in the owner (as for POST /orgs/{org}/repos), the name must be free, and
// the repository must be a template. GitHub documents no error answers for
// this operation; the 422 for a repository that is not a template uses
// GitHub's Validation Failed form with the words of GitHub's own refusal
// ("... is not a template repository", as gh reports it from
// cloneTemplateRepository: lirantal/asciidoc-book-starter#7,
// programical/gitland#80).
func TestGenerateRefusals(t *testing.T) {
	tests := []struct {
		name, path, token string
		body              map[string]any
		want              int
		message, detail   string
	}{
		{"no such template", "/repos/acme/nothing/generate", octocatToken, map[string]any{"owner": "acme", "name": "svc"}, 404, "Not Found", ""},
		{"private template, outsider", "/repos/acme/starter/generate", outsiderToken, map[string]any{"name": "svc"}, 404, "Not Found", ""},
		{"not a template", "/repos/acme/widgets/generate", octocatToken, map[string]any{"owner": "acme", "name": "svc"}, 422, "Validation Failed", "acme/widgets is not a template repository"},
		{"name taken", "/repos/acme/starter/generate", octocatToken, map[string]any{"owner": "acme", "name": "widgets"}, 422, "Repository creation failed.", "name already exists on this account"},
		{"no name", "/repos/acme/starter/generate", octocatToken, map[string]any{"owner": "acme"}, 422, "Invalid request.\n\n\"name\" wasn't supplied.", ""},
		{"private is a boolean", "/repos/acme/starter/generate", octocatToken, map[string]any{"owner": "acme", "name": "svc", "private": "yes"}, 422, "", ""},
		{"members may not create", "/repos/acme/starter/generate", devToken, map[string]any{"owner": "locked", "name": "svc"}, 403, "You need admin access to the organization before adding a repository to it.", ""},
		{"organization hidden from non-members", "/repos/acme/starter/generate", octocatToken, map[string]any{"owner": "locked", "name": "svc"}, 404, "Not Found", ""},
		{"another user's account", "/repos/acme/starter/generate", octocatToken, map[string]any{"owner": "dev", "name": "svc"}, 404, "Not Found", ""},
		{"no such owner", "/repos/acme/starter/generate", octocatToken, map[string]any{"owner": "nobody", "name": "svc"}, 404, "Not Found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, base, _ := start(t)
			addTemplate(t, s)
			before := len(s.Repos())
			got := call(t, base, "POST", tt.path, tt.token, tt.body)
			got.expect(t, tt.want, tt.message)
			if tt.detail != "" && !contains(got.body, tt.detail) {
				t.Errorf("body %s does not say %q", got.body, tt.detail)
			}
			if n := len(s.Repos()); n != before {
				t.Errorf("%d repositories, want %d: nothing created", n, before)
			}
		})
	}
}

// A renamed template redirects with 307, like every write to a renamed
// repository, and the redirected request generates from it.
func TestGenerateFromRenamedTemplate(t *testing.T) {
	s, base, _ := start(t)
	addTemplate(t, s)
	if _, err := s.EditRepo("acme", "starter", func(r *fake.Repo) error { r.Name = "starter-kit"; return nil }); err != nil {
		t.Fatal(err)
	}
	moved := call(t, base, "POST", "/repos/acme/starter/generate", octocatToken, map[string]any{"owner": "acme", "name": "svc"})
	moved.expect(t, http.StatusTemporaryRedirect, "Moved Permanently")
	loc := strings.TrimPrefix(moved.resp.Header.Get("Location"), strings.TrimSuffix(base, "/"))
	if !strings.HasPrefix(loc, "/repositories/") || !strings.HasSuffix(loc, "/generate") {
		t.Fatalf("Location = %q", loc)
	}
	call(t, base, "POST", loc, octocatToken, map[string]any{"owner": "acme", "name": "svc"}).expect(t, http.StatusCreated, "")
}

// An organization's required custom property with a default is given to
// a generated repository as to a created one; the body cannot carry
// custom_properties, so one without a default refuses the generate.
func TestGenerateRequiredProperty(t *testing.T) {
	cfg := testConfig()
	cfg.Orgs[0].Properties = []fake.PropertyDef{
		{Name: "team", ValueType: fake.PropertyString, Required: true, DefaultValue: "platform"},
		{Name: "hookops-claim", ValueType: fake.PropertyString},
	}
	s, base, _ := start(t, fake.WithConfig(cfg))
	addTemplate(t, s)
	call(t, base, "POST", "/repos/acme/starter/generate", octocatToken, map[string]any{"owner": "acme", "name": "svc", "custom_properties": map[string]any{"hookops-claim": "x"}}).
		expect(t, http.StatusCreated, "")
	r, _ := s.Repo("acme", "svc")
	if r.CustomProperties["team"] != "platform" || r.CustomProperties["hookops-claim"] != nil {
		t.Errorf("custom properties = %v, want the default team and no claim", r.CustomProperties)
	}
}

// The answer can be lost after the repository was made, as for the
// create endpoints (Fault.After).
func TestGenerateAnswerLost(t *testing.T) {
	s, base, _ := start(t)
	addTemplate(t, s)
	s.InjectFault(fake.Fault{Method: "POST", Path: "/repos/acme/starter/generate", After: true, Status: 502, Times: 1})
	call(t, base, "POST", "/repos/acme/starter/generate", octocatToken, map[string]any{"owner": "acme", "name": "svc", "private": true}).
		expect(t, http.StatusBadGateway, "")
	if r, ok := s.Repo("acme", "svc"); !ok || r.Visibility != "private" {
		t.Errorf("repository %+v (found %v), want it made", r, ok)
	}
	reqs := s.Requests(fake.RequestFilter{Method: "POST", Path: "/repos/acme/starter/generate"})
	if len(reqs) != 1 || reqs[0].LostStatus != http.StatusCreated {
		t.Errorf("requests = %+v", reqs)
	}
}

// An installation token generates into the organization its App is
// installed on, with administration=write, from a template it can read:
// one of its repositories, or a public one. It acts for no user, so it
// must name the owner; and the new repository joins its selection.
func TestInstallationGenerates(t *testing.T) {
	s, base, _, _ := startApps(t)
	if _, err := s.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.IsTemplate = true; return nil }); err != nil {
		t.Fatal(err)
	}
	token, reader := installationToken(t, s, acmeInstall), installationToken(t, s, readInstall)
	call(t, base, "POST", "/repos/acme/widgets/generate", token, map[string]any{"name": "svc"}).expect(t, 403, "Resource not accessible by integration")
	call(t, base, "POST", "/repos/acme/widgets/generate", reader, map[string]any{"owner": "acme", "name": "svc"}).expect(t, 403, "Resource not accessible by integration")
	call(t, base, "POST", "/repos/acme/hidden/generate", token, map[string]any{"owner": "acme", "name": "svc"}).expect(t, 404, "Not Found")
	got := call(t, base, "POST", "/repos/acme/widgets/generate", token, map[string]any{"owner": "acme", "name": "svc", "private": true})
	got.expect(t, 201, "")
	if r, _ := s.Repo("acme", "svc"); r.CreatedBy != "widgetbot[bot]" || r.Visibility != "private" {
		t.Errorf("stored %+v", r)
	}
	call(t, base, "PATCH", "/repos/acme/svc", token, map[string]any{"description": "mine"}).expect(t, 200, "")
}

// A generated repository, read back, is still a full-repository, its
// template_repository a repository, as GitHub's description says.
func TestSchemaOfGeneratedRepository(t *testing.T) {
	doc := loadSpec(t)
	s, base, _ := start(t)
	addTemplate(t, s)
	call(t, base, "POST", "/repos/acme/starter/generate", octocatToken, map[string]any{"owner": "acme", "name": "svc"}).expect(t, 201, "")
	got := call(t, base, "GET", "/repos/acme/svc", octocatToken, nil)
	got.expect(t, 200, "")
	var v any = got.json(t)
	if err := doc.Components.Schemas["full-repository"].Value.VisitJSON(v, openapi3.MultiErrors()); err != nil {
		t.Errorf("body is not a full-repository: %v", err)
	}
	if _, ok := got.json(t)["template_repository"]; !ok {
		t.Error("no template_repository")
	}
}
