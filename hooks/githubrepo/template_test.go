package githubrepo_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
)

const generatePath = "/repos/acme/starter/generate"

// seedTemplate adds acme/starter to the harness's GitHub: a private
// template whose default branch is trunk, with a second branch.
func seedTemplate(t *testing.T, gh *fake.Server) fake.Repo {
	t.Helper()
	r := fake.NewRepo("acme", "starter")
	r.Visibility, r.IsTemplate, r.License = "private", true, "mit"
	r.DefaultBranch, r.Branches = "trunk", []string{"trunk", "release"}
	stored, err := gh.AddRepo(r)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

// sent is one request the hooks sent, with its body, and the visibility
// of the watched repository on GitHub once it was answered ("" while there
// is none).
type sent struct {
	method, path string
	body         map[string]any
	status       int
	visibility   string
}

// watcher sits between the hooks and the fake GitHub and records every
// request and what it left the watched repository's visibility at, so that
// a test sees each moment the repository went through, not only the end.
type watcher struct {
	gh          *fake.Server
	owner, name string
	mu          sync.Mutex
	log         []sent
}

func watch(h *harness, owner, name string) *watcher {
	w := &watcher{gh: h.gh, owner: owner, name: name}
	h.hooks.HTTPClient = &http.Client{Transport: w, Timeout: 10 * time.Second}
	return w
}

func (w *watcher) RoundTrip(r *http.Request) (*http.Response, error) {
	s := sent{method: r.Method, path: strings.TrimPrefix(r.URL.Path, "/api/v3")}
	if r.Body != nil {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(data))
		_ = json.Unmarshal(data, &s.body)
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if resp != nil {
		s.status = resp.StatusCode
	}
	if repo, ok := w.gh.Repo(w.owner, w.name); ok {
		s.visibility = repo.Visibility
	}
	w.mu.Lock()
	w.log = append(w.log, s)
	w.mu.Unlock()
	return resp, err
}

func (w *watcher) sent() []sent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.log)
}

// visibilities are the visibilities the repository went through, each
// once, in order.
func (w *watcher) visibilities() []string {
	var out []string
	for _, s := range w.sent() {
		if s.visibility != "" && (len(out) == 0 || out[len(out)-1] != s.visibility) {
			out = append(out, s.visibility)
		}
	}
	return out
}

// A repository created from a template is created with the requested
// visibility directly: the generate body takes only the boolean private
// (https://docs.github.com/rest/repos/repos#create-a-repository-using-a-template),
// so private and internal (and unset) are generated private, and internal
// becomes internal from private by the update that follows, never public
// in between. integrations/terraform-provider-github#3122 is the trap:
// internal was sent as private=false, so the repository was public until
// the update after it. The claim cannot travel with the generate request
// (it takes no custom_properties), so it is written first, before
// anything else changes; then the rest of the spec is applied.
func TestCreateFromTemplate(t *testing.T) {
	tests := []struct {
		owner, visibility string // visibility "" is unset
		want              []string
	}{
		{"acme", "", []string{"private"}},
		{"acme", "private", []string{"private"}},
		{"acme", "internal", []string{"private", "internal"}},
		{"acme", "public", []string{"public"}},
		{"octocat", "", []string{"private"}},
		{"octocat", "private", []string{"private"}},
		{"octocat", "public", []string{"public"}},
	}
	for _, tt := range tests {
		t.Run(tt.owner+"/"+tt.visibility, func(t *testing.T) {
			spec := map[string]any{
				"owner": tt.owner, "name": "svc", "description": "from the starter",
				"topics":   []any{"go"},
				"features": map[string]any{"wiki": false},
				"template": map[string]any{"owner": "acme", "name": "starter"},
			}
			if tt.visibility != "" {
				spec["visibility"] = tt.visibility
			}
			h := newHarness(t, spec)
			tmpl := seedTemplate(t, h.gh)
			w := watch(h, tt.owner, "svc")
			h.sync()
			h.expect(v1.ConditionReady, "True/Available")
			h.expect(v1.ConditionSynced, "True/ReconcileSuccess")

			if got := w.visibilities(); !slices.Equal(got, tt.want) {
				t.Errorf("the repository went through %v, want %v", got, tt.want)
			}
			log := w.sent()
			gen := slices.IndexFunc(log, func(s sent) bool { return s.method == "POST" && s.path == generatePath })
			if gen < 0 || h.requests("POST", generatePath) != 1 || h.requests("POST", "/orgs/*/repos") != 0 || h.requests("POST", "/user/repos") != 0 {
				t.Fatalf("want exactly one generate and no other create; sent %v", log)
			}
			body := log[gen].body
			if _, ok := body["visibility"]; ok || body["private"] != (tt.visibility != "public") ||
				body["owner"] != tt.owner || body["name"] != "svc" || body["description"] != "from the starter" {
				t.Errorf("generate body = %v", body)
			}
			if tt.visibility != "public" {
				for _, s := range log {
					if s.body["private"] == false || s.body["visibility"] == "public" {
						t.Errorf("%s %s asked for public: %v", s.method, s.path, s.body)
					}
				}
			}
			// The claim is the first write after the generate.
			claimWrite := "/repos/" + tt.owner + "/svc/properties/values"
			if tt.owner == "octocat" {
				claimWrite = "/repos/octocat/svc/actions/variables"
			}
			var writes []string
			for _, s := range log[gen+1:] {
				if s.method != "GET" {
					writes = append(writes, s.method+" "+s.path)
				}
			}
			if len(writes) == 0 || !strings.HasSuffix(writes[0], claimWrite) {
				t.Errorf("writes after the generate %v, want the claim (%s) first", writes, claimWrite)
			}

			r := h.repo(tt.owner, "svc")
			st := h.status()
			if r.TemplateID != tmpl.ID || r.DefaultBranch != "trunk" || r.Description != "from the starter" || !slices.Equal(r.Topics, []string{"go"}) || r.HasWiki {
				t.Errorf("repository %+v", r)
			}
			if want := cmp.Or(tt.visibility, "private"); r.Visibility != want || st.Visibility != want {
				t.Errorf("visibility %s, status %s, want %s", r.Visibility, st.Visibility, want)
			}
			if claimOn(r) != st.Claim || st.Claim == "" {
				t.Errorf("claim on GitHub %q, in status %q", claimOn(r), st.Claim)
			}
			if st.Origin != v1.OriginCreated || st.DeletionPolicy != v1.DeletionDelete || st.RepoID != r.ID {
				t.Errorf("status %+v", st)
			}
		})
	}
}

// claimOn reads the claim on a repository: its custom property in an
// organization, its variable on a user account.
func claimOn(r fake.Repo) string {
	if v, ok := r.CustomProperties["hookops-claim"].(string); ok {
		return v
	}
	for _, v := range r.Variables {
		if v.Name == "HOOKOPS_CLAIM" {
			return v.Value
		}
	}
	return ""
}

// include_all_branches is sent as the spec gives it, and left out when
// unset (GitHub's default, false).
func TestTemplateIncludeAllBranches(t *testing.T) {
	tests := []struct {
		name     string
		include  any // nil: unset
		branches []string
	}{
		{"unset", nil, []string{"trunk"}},
		{"false", false, []string{"trunk"}},
		{"true", true, []string{"trunk", "release"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := map[string]any{"owner": "acme", "name": "starter"}
			if tt.include != nil {
				tmpl["includeAllBranches"] = tt.include
			}
			h := newHarness(t, map[string]any{"owner": "acme", "name": "svc", "template": tmpl})
			seedTemplate(t, h.gh)
			w := watch(h, "acme", "svc")
			h.sync()
			h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
			for _, s := range w.sent() {
				if s.path != generatePath {
					continue
				}
				if got, ok := s.body["include_all_branches"]; got != tt.include || ok != (tt.include != nil) {
					t.Errorf("include_all_branches = %v (sent %v), want %v", got, ok, tt.include)
				}
			}
			if r := h.repo("acme", "svc"); !slices.Equal(r.Branches, tt.branches) {
				t.Errorf("branches %v, want %v", r.Branches, tt.branches)
			}
		})
	}
}

// What keeps a repository from being generated is reported clearly,
// naming the template, and nothing is created. A template the token
// cannot read and one that does not exist are the same 404 to GitHub; a
// 404 for a template the token can read means it cannot create in the
// owner. Repositories that are not templates get GitHub's 422.
// https://docs.github.com/rest/repos/repos#create-a-repository-using-a-template
func TestTemplateRefused(t *testing.T) {
	tests := []struct {
		name     string
		owner    string
		template string
		reason   string
		says     []string
	}{
		{"not a template", "acme", "acme/plain", v1.ReasonInvalidSpec, []string{"acme/plain", "not a template repository", "spec.template"}},
		{"no such template", "acme", "acme/nothing", v1.ReasonInvalidSpec, []string{"acme/nothing", "does not exist", "cannot read"}},
		{"template not visible", "acme", "other/secret", v1.ReasonInvalidSpec, []string{"other/secret", "does not exist", "cannot read"}},
		{"owner refuses", "other", "acme/starter", v1.ReasonForbidden, []string{"acme/starter", "cannot create repositories in other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tOwner, tName, _ := strings.Cut(tt.template, "/")
			h := newHarness(t, map[string]any{"owner": tt.owner, "name": "svc", "template": map[string]any{"owner": tOwner, "name": tName}})
			seedTemplate(t, h.gh)
			secret := fake.NewRepo("other", "secret")
			secret.Visibility, secret.IsTemplate, secret.Branches = "private", true, []string{"main"}
			if err := h.gh.Seed(fake.Config{Orgs: []fake.Org{{Login: "other"}}, Repos: []fake.Repo{fake.NewRepo("acme", "plain"), secret}}); err != nil {
				t.Fatal(err)
			}
			before := len(h.gh.Repos())
			h.sync()
			h.expect(v1.ConditionError, "True/"+tt.reason)
			h.expect(v1.ConditionReady, "False/Creating")
			msg := h.message(v1.ConditionError)
			for _, s := range tt.says {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not say %q", msg, s)
				}
			}
			if n := len(h.gh.Repos()); n != before {
				t.Errorf("%d repositories, want %d", n, before)
			}
			if st := h.status(); st.CreateAttemptTime != nil {
				t.Errorf("a refused generate is recorded as an attempt: %v", st.CreateAttemptTime)
			}
		})
	}
}

// A template that cannot be used is refused before anything is sent to
// GitHub: combined with init (even an empty one), or not a repository
// name (the CRD schema's rules, for objects that skipped them).
func TestTemplateInvalidSpec(t *testing.T) {
	starter := map[string]any{"owner": "acme", "name": "starter"}
	tests := []struct {
		name  string
		extra map[string]any
		says  []string
	}{
		{"with init", map[string]any{"template": starter, "init": map[string]any{"autoInit": true}}, []string{"spec.template", "spec.init", "cannot be combined"}},
		{"with an empty init", map[string]any{"template": starter, "init": map[string]any{}}, []string{"spec.template", "spec.init"}},
		{"bad owner", map[string]any{"template": map[string]any{"owner": "-acme", "name": "starter"}}, []string{"spec.template.owner", "-acme"}},
		{"bad name", map[string]any{"template": map[string]any{"owner": "acme", "name": "star ter"}}, []string{"spec.template.name", "star ter"}},
		{"dot", map[string]any{"template": map[string]any{"owner": "acme", "name": ".."}}, []string{"spec.template.name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := map[string]any{"owner": "acme", "name": "svc"}
			for k, v := range tt.extra {
				spec[k] = v
			}
			h := newHarness(t, spec)
			h.sync()
			h.expect(v1.ConditionError, "True/InvalidSpec")
			msg := h.message(v1.ConditionError)
			for _, w := range tt.says {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not say %q", msg, w)
				}
			}
			if reqs := h.gh.Requests(fake.RequestFilter{}); len(reqs) != 0 {
				t.Errorf("requests sent: %+v", reqs)
			}
		})
	}
}

// The generate's answer is lost after GitHub made the repository (see
// the fake's Fault.After). As for a lost create, the attempt is recorded,
// and the next sync finds the repository by name, created since and
// claimed by no one: it is this create's. It is claimed and finished, and
// no second repository is made.
func TestLostGenerateResponse(t *testing.T) {
	for _, owner := range []string{"acme", "octocat"} {
		t.Run(owner, func(t *testing.T) {
			h := newHarness(t, map[string]any{"owner": owner, "name": "svc", "visibility": "private", "description": "d",
				"template": map[string]any{"owner": "acme", "name": "starter"}})
			seedTemplate(t, h.gh)
			h.gh.InjectFault(fake.Fault{Method: "POST", Path: generatePath, After: true, Status: 502, Times: 1})
			h.sync()
			h.expect(v1.ConditionError, "True/GitHubUnavailable")
			if h.status().CreateAttemptTime == nil {
				t.Fatal("the create attempt is not recorded")
			}
			h.untilRetry()
			h.sync()
			h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
			h.expect(v1.ConditionReady, "True/Available")
			if n := h.requests("POST", generatePath); n != 1 {
				t.Errorf("%d generate requests, want 1", n)
			}
			if n := len(h.gh.Repos()); n != 2 {
				t.Errorf("repositories %v, want the template and one more", names(h.gh.Repos()))
			}
			r, st := h.repo(owner, "svc"), h.status()
			if claimOn(r) != st.Claim || st.Claim == "" || st.RepoID != r.ID || st.Origin != v1.OriginCreated || st.CreateAttemptTime != nil || r.Visibility != "private" {
				t.Errorf("repository %+v, status %+v", r, st)
			}
		})
	}
}

// template is used at creation only: once the repository exists a changed
// template generates nothing, and an idle sync is one conditional read
// that returns the status unchanged.
func TestTemplateOnlyAtCreation(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme", "name": "svc", "template": map[string]any{"owner": "acme", "name": "starter"}})
	seedTemplate(t, h.gh)
	w := watch(h, "acme", "svc")
	h.sync()
	h.later(time.Minute)
	h.sync() // the first full read
	before, made := h.status(), len(w.sent())
	h.later(5 * time.Minute)
	h.sync()
	if idle := w.sent()[made:]; len(idle) != 1 || idle[0].method != "GET" || idle[0].status != http.StatusNotModified {
		t.Errorf("an idle sync sent %+v, want one conditional GET answered 304", idle)
	}
	if after := h.status(); !reflect.DeepEqual(before, after) {
		t.Errorf("an idle sync changed the status:\nbefore %+v\nafter  %+v", before, after)
	}
	h.edit(func(s map[string]any) { s["template"] = map[string]any{"owner": "acme", "name": "other"} })
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	generated := 0
	for _, s := range w.sent() {
		if strings.HasSuffix(s.path, "/generate") {
			generated++
		}
	}
	if generated != 1 {
		t.Errorf("%d generate requests, want the first only", generated)
	}
}

// Where only organization owners may change visibility, a member's
// repository generated for internal stays private: the change to internal
// is refused (as in integrations/terraform-provider-github#925), reported
// as OrganizationPolicy, and the repository was never public.
func TestTemplateInternalRefusedStaysPrivate(t *testing.T) {
	no := false
	cfg := fake.Config{
		Tokens: map[string]string{token: "dev"},
		Orgs: []fake.Org{{Login: "acme", Members: map[string]fake.Role{"dev": fake.RoleMember}, MembersCanChangeRepoVisibility: &no,
			Properties: []fake.PropertyDef{{Name: "hookops-claim", ValueType: fake.PropertyString}}}},
	}
	h := newHarness(t, map[string]any{"owner": "acme", "name": "svc", "visibility": "internal",
		"template": map[string]any{"owner": "acme", "name": "starter"}}, fake.WithConfig(cfg))
	seedTemplate(t, h.gh)
	w := watch(h, "acme", "svc")
	h.sync()
	h.expect(v1.ConditionError, "True/OrganizationPolicy")
	h.expect(v1.ConditionReady, "True/Available")
	if got := w.visibilities(); !slices.Equal(got, []string{"private"}) {
		t.Errorf("the repository went through %v, want private only", got)
	}
	if r := h.repo("acme", "svc"); claimOn(r) == "" {
		t.Error("the repository is not claimed")
	}
}

// In an organization without the claim property the repository is made
// (the generate request cannot carry the claim, so nothing refuses it
// first), but nothing else is written to it until it is claimed: the
// status says ClaimUnavailable and does not show a claim it does not
// hold. Once the property exists the next sync claims it, by the record.
func TestTemplateClaimUnavailable(t *testing.T) {
	cfg := fake.DefaultConfig()
	cfg.Orgs[0].Properties = nil
	h := newHarness(t, map[string]any{"owner": "acme", "name": "svc", "description": "d",
		"template": map[string]any{"owner": "acme", "name": "starter"}}, fake.WithConfig(cfg))
	seedTemplate(t, h.gh)
	h.sync()
	h.expect(v1.ConditionError, "True/ClaimUnavailable")
	r, st := h.repo("acme", "svc"), h.status()
	if st.RepoID != r.ID || st.Claim != "" || claimOn(r) != "" {
		t.Errorf("status %+v, claim on GitHub %q: want the repository recorded and no claim shown", st, claimOn(r))
	}
	if h.requests("PATCH", "/repos/acme/svc") != 0 {
		t.Error("the unclaimed repository was written to")
	}
	err := h.gh.Seed(fake.Config{Orgs: []fake.Org{{Login: "acme", Members: map[string]fake.Role{"octocat": fake.RoleAdmin},
		Properties: []fake.PropertyDef{{Name: "hookops-claim", ValueType: fake.PropertyString}}}}})
	if err != nil {
		t.Fatal(err)
	}
	h.untilRetry()
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if r, st := h.repo("acme", "svc"), h.status(); claimOn(r) != st.Claim || st.Claim == "" || r.Description != "d" || len(h.gh.Repos()) != 2 {
		t.Errorf("repository %+v, status %+v", r, st)
	}
}

// A generated repository starts on the template's default branch. A
// spec.defaultBranch among the branches copied is simply made the
// default; one that is not is made by renaming that first branch, as
// after init (see setDefaultBranch).
func TestTemplateDefaultBranch(t *testing.T) {
	tests := []struct {
		name, branch string
		all          bool
		branches     []string
	}{
		{"copied branch", "release", true, []string{"trunk", "release"}},
		{"new name", "main", false, []string{"main"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, map[string]any{"owner": "acme", "name": "svc", "defaultBranch": tt.branch,
				"template": map[string]any{"owner": "acme", "name": "starter", "includeAllBranches": tt.all}})
			seedTemplate(t, h.gh)
			h.sync()
			h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
			if r := h.repo("acme", "svc"); r.DefaultBranch != tt.branch || !slices.Equal(r.Branches, tt.branches) {
				t.Errorf("default branch %s, branches %v; want %s, %v", r.DefaultBranch, r.Branches, tt.branch, tt.branches)
			}
			if st := h.status(); st.DefaultBranch != tt.branch {
				t.Errorf("status.defaultBranch = %s", st.DefaultBranch)
			}
		})
	}
}

// A repository generated in an organization whose required multi_select
// property has a default answers with that value as a JSON list, which
// go-github's map of strings cannot hold: the generate answer is decoded
// like every other repository answer, and the spec's custom properties are
// then written by the update after the claim.
func TestTemplateWithListProperty(t *testing.T) {
	cfg := fake.DefaultConfig()
	cfg.Orgs[0].Properties = append(cfg.Orgs[0].Properties,
		fake.PropertyDef{Name: "langs", ValueType: fake.PropertyMultiSelect, AllowedValues: []string{"go", "rust"}, Required: true, DefaultValue: []string{"go"}},
		fake.PropertyDef{Name: "team", ValueType: fake.PropertyString})
	h := newHarness(t, map[string]any{"owner": "acme", "name": "svc",
		"template":         map[string]any{"owner": "acme", "name": "starter"},
		"customProperties": map[string]any{"team": "payments"}}, fake.WithConfig(cfg))
	seedTemplate(t, h.gh)
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	r := h.repo("acme", "svc")
	if claimOn(r) == "" || r.CustomProperties["team"] != "payments" {
		t.Errorf("custom properties %v: want the claim and team=payments", r.CustomProperties)
	}
}
