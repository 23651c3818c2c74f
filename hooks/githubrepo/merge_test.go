package githubrepo_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
)

// forkingConfig is the default fake with acme allowing the forking of
// private repositories, so that allowForking can be set on its private
// repositories.
func forkingConfig() fake.Option {
	yes := true
	cfg := fake.DefaultConfig()
	cfg.Orgs[0].MembersCanForkPrivateRepos = &yes
	return fake.WithConfig(cfg)
}

// mergeCase is one merge setting or flag (or title and message pair) of
// the spec, with two values and how to read it on the fake.
type mergeCase struct {
	name      string
	owner     string         // "": acme
	set       map[string]any // spec fields at creation
	change    map[string]any // the same fields, changed
	get       func(fake.Repo) string
	want      string // get after creation
	changed   string // get after change
	drift     func(*fake.Repo)
	atCreate  bool     // carried by the create request: no update follows it
	managed   []string // what status.managedSettings lists
	fakeSetup []fake.Option
}

func onOff(p *bool) string { return fmt.Sprint(p != nil && *p) }

func falsep() *bool { f := false; return &f }

func mergeCases() []mergeCase {
	return []mergeCase{
		{name: "allowMergeCommit", set: map[string]any{"allowMergeCommit": false}, change: map[string]any{"allowMergeCommit": true},
			get: func(r fake.Repo) string { return onOff(r.AllowMergeCommit) }, want: "false", changed: "true",
			drift: func(r *fake.Repo) { r.AllowMergeCommit = falsep() }, atCreate: true},
		{name: "allowSquashMerge", set: map[string]any{"allowSquashMerge": false}, change: map[string]any{"allowSquashMerge": true},
			get: func(r fake.Repo) string { return onOff(r.AllowSquashMerge) }, want: "false", changed: "true",
			drift: func(r *fake.Repo) { r.AllowSquashMerge = falsep() }, atCreate: true},
		{name: "allowRebaseMerge", set: map[string]any{"allowRebaseMerge": false}, change: map[string]any{"allowRebaseMerge": true},
			get: func(r fake.Repo) string { return onOff(r.AllowRebaseMerge) }, want: "false", changed: "true",
			drift: func(r *fake.Repo) { r.AllowRebaseMerge = falsep() }, atCreate: true},
		{name: "allowAutoMerge", set: map[string]any{"allowAutoMerge": true}, change: map[string]any{"allowAutoMerge": false},
			get: func(r fake.Repo) string { return fmt.Sprint(r.AllowAutoMerge) }, want: "true", changed: "false",
			drift: func(r *fake.Repo) { r.AllowAutoMerge = true }, atCreate: true},
		{name: "allowUpdateBranch", set: map[string]any{"allowUpdateBranch": true}, change: map[string]any{"allowUpdateBranch": false},
			get: func(r fake.Repo) string { return fmt.Sprint(r.AllowUpdateBranch) }, want: "true", changed: "false",
			drift: func(r *fake.Repo) { r.AllowUpdateBranch = true }},
		{name: "deleteBranchOnMerge for a user", owner: "octocat", set: map[string]any{"deleteBranchOnMerge": true}, change: map[string]any{"deleteBranchOnMerge": false},
			get: func(r fake.Repo) string { return fmt.Sprint(r.DeleteBranchOnMerge) }, want: "true", changed: "false",
			drift: func(r *fake.Repo) { r.DeleteBranchOnMerge = true }, atCreate: true},
		// In an organization GitHub takes delete_branch_on_merge true at
		// creation from its owners only, so the update after it sets it.
		{name: "deleteBranchOnMerge in an organization", set: map[string]any{"deleteBranchOnMerge": true}, change: map[string]any{"deleteBranchOnMerge": false},
			get: func(r fake.Repo) string { return fmt.Sprint(r.DeleteBranchOnMerge) }, want: "true", changed: "false",
			drift: func(r *fake.Repo) { r.DeleteBranchOnMerge = true }},
		{name: "squash commit title and message",
			set:    map[string]any{"squashMergeCommitTitle": "PR_TITLE", "squashMergeCommitMessage": "PR_BODY"},
			change: map[string]any{"squashMergeCommitTitle": "COMMIT_OR_PR_TITLE", "squashMergeCommitMessage": "COMMIT_MESSAGES"},
			get:    func(r fake.Repo) string { return r.SquashMergeCommitTitle + "/" + r.SquashMergeCommitMessage },
			want:   "PR_TITLE/PR_BODY", changed: "COMMIT_OR_PR_TITLE/COMMIT_MESSAGES",
			drift: func(r *fake.Repo) { r.SquashMergeCommitTitle, r.SquashMergeCommitMessage = "PR_TITLE", "BLANK" }, atCreate: true,
			managed: []string{"squashMergeCommitMessage", "squashMergeCommitTitle"}},
		{name: "merge commit title and message",
			set:    map[string]any{"mergeCommitTitle": "PR_TITLE", "mergeCommitMessage": "BLANK"},
			change: map[string]any{"mergeCommitTitle": "PR_TITLE", "mergeCommitMessage": "PR_BODY"},
			get:    func(r fake.Repo) string { return r.MergeCommitTitle + "/" + r.MergeCommitMessage },
			want:   "PR_TITLE/BLANK", changed: "PR_TITLE/PR_BODY",
			drift: func(r *fake.Repo) { r.MergeCommitTitle, r.MergeCommitMessage = "MERGE_MESSAGE", "PR_TITLE" }, atCreate: true,
			managed: []string{"mergeCommitMessage", "mergeCommitTitle"}},
		{name: "webCommitSignoffRequired", set: map[string]any{"webCommitSignoffRequired": true}, change: map[string]any{"webCommitSignoffRequired": false},
			get: func(r fake.Repo) string { return fmt.Sprint(r.WebCommitSignoffRequired) }, want: "true", changed: "false",
			drift: func(r *fake.Repo) { r.WebCommitSignoffRequired = true }},
		{name: "allowForking", set: map[string]any{"allowForking": false}, change: map[string]any{"allowForking": true},
			get: func(r fake.Repo) string { return onOff(r.AllowForking) }, want: "false", changed: "true",
			drift: func(r *fake.Repo) { r.AllowForking = falsep() }, fakeSetup: []fake.Option{forkingConfig()}},
		{name: "isTemplate", set: map[string]any{"isTemplate": true}, change: map[string]any{"isTemplate": false},
			get: func(r fake.Repo) string { return fmt.Sprint(r.IsTemplate) }, want: "true", changed: "false",
			drift: func(r *fake.Repo) { r.IsTemplate = true }, atCreate: true},
	}
}

func (c mergeCase) harness(t *testing.T, fields map[string]any) *harness {
	t.Helper()
	owner := c.owner
	if owner == "" {
		owner = "acme"
	}
	spec := map[string]any{"owner": owner, "name": "widgets"}
	for k, v := range fields {
		spec[k] = v
	}
	return newHarness(t, spec, c.fakeSetup...)
}

func (c mergeCase) check(t *testing.T, h *harness, want, when string) {
	t.Helper()
	if got := c.get(h.repo(c.ownerOr(), "widgets")); got != want {
		t.Errorf("%s: GitHub has %s, want %s", when, got, want)
	}
}

func (c mergeCase) ownerOr() string {
	if c.owner == "" {
		return "acme"
	}
	return c.owner
}

// TestMergeSettingsKeptInLine: each merge setting and flag is set at
// creation (in the create request where GitHub's takes it, else by the one
// update that follows), changed with one update, put back after a change
// by hand, and listed in status.managedSettings.
func TestMergeSettingsKeptInLine(t *testing.T) {
	for _, c := range mergeCases() {
		t.Run(c.name, func(t *testing.T) {
			h := c.harness(t, c.set)
			h.sync()
			h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
			c.check(t, h, c.want, "after creation")
			patches := h.requests("PATCH", "/repos/"+c.ownerOr()+"/widgets")
			switch {
			case c.atCreate && patches != 0:
				t.Errorf("%d updates after the create, want none: the create request carries it", patches)
			case !c.atCreate && patches != 1:
				t.Errorf("%d updates after the create, want one", patches)
			}
			managed := c.managed
			if managed == nil {
				managed = []string{strings.Fields(c.name)[0]}
			}
			if got := h.status().ManagedSettings; !slices.Equal(got, managed) {
				t.Errorf("managedSettings = %q, want %q", got, managed)
			}

			h.sync() // a full read: the ETag from here on
			h.gh.ClearRequests()
			h.edit(func(s map[string]any) {
				for k, v := range c.change {
					s[k] = v
				}
			})
			h.sync()
			h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
			c.check(t, h, c.changed, "after the change")
			if w := h.writes(); w != 1 {
				t.Errorf("%d writes for the change, want one update", w)
			}

			if _, err := h.gh.EditRepo(c.ownerOr(), "widgets", func(r *fake.Repo) error { c.drift(r); return nil }); err != nil {
				t.Fatal(err)
			}
			h.gh.ClearRequests()
			h.sync()
			h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
			c.check(t, h, c.changed, "after a change by hand")
			if w := h.writes(); w != 1 {
				t.Errorf("%d writes to put it back, want one update", w)
			}

			h.sync() // reads what the update left: the ETag from here on
			h.gh.ClearRequests()
			h.sync()
			if reqs := h.gh.Requests(fake.RequestFilter{}); len(reqs) != 1 || !reqs[0].NotModified {
				t.Errorf("an idle sync sent %v, want one conditional GET answered 304", reqs)
			}
		})
	}
}

// TestUnsetMergeSettingsAreNotManaged: a merge setting or flag the spec
// leaves out is never written: GitHub's value, changed by hand, stays.
func TestUnsetMergeSettingsAreNotManaged(t *testing.T) {
	for _, c := range mergeCases() {
		t.Run(c.name, func(t *testing.T) {
			h := c.harness(t, map[string]any{"description": "no merge settings"})
			h.sync()
			h.sync()
			if _, err := h.gh.EditRepo(c.ownerOr(), "widgets", func(r *fake.Repo) error { c.drift(r); return nil }); err != nil {
				t.Fatal(err)
			}
			byHand := c.get(h.repo(c.ownerOr(), "widgets"))
			h.gh.ClearRequests()
			h.sync()
			h.sync()
			h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
			if w := h.writes(); w != 0 {
				t.Errorf("%d writes for an unset field, want none", w)
			}
			c.check(t, h, byHand, "after syncs")
			if got := h.status().ManagedSettings; !slices.Equal(got, []string{"description"}) {
				t.Errorf("managedSettings = %q, want only description", got)
			}
		})
	}
}

// TestRefusedMergeSettingsAreInvalidSpec: a combination the CRD lets
// through but GitHub refuses, given the repository as it is on GitHub,
// is reported as InvalidSpec with GitHub's words and the spec fields the
// update carried; nothing else is tried until the backoff is over.
func TestRefusedMergeSettingsAreInvalidSpec(t *testing.T) {
	tests := []struct {
		name    string
		byHand  func(*fake.Repo)
		spec    map[string]any
		options []fake.Option
		says    []string
	}{
		{"turning off the only merge method left", func(r *fake.Repo) { r.AllowMergeCommit, r.AllowRebaseMerge = falsep(), falsep() },
			map[string]any{"allowSquashMerge": false},
			nil, []string{"allowSquashMerge", "Either :allow_merge_commit, :allow_squash_merge or :allow_rebase_merge must be true"}},
		{"squash titles while squash merging is off", func(r *fake.Repo) { r.AllowSquashMerge = falsep() },
			map[string]any{"squashMergeCommitTitle": "PR_TITLE", "squashMergeCommitMessage": "BLANK"},
			nil, []string{"squashMergeCommitTitle, squashMergeCommitMessage", "you need to allow the squash merge strategy"}},
		{"forking where the organization does not allow it", nil,
			map[string]any{"allowForking": true},
			nil, []string{"allowForking", "This organization does not allow private repository forking"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, map[string]any{"owner": "acme", "name": "widgets"}, tt.options...)
			h.sync()
			h.sync()
			if tt.byHand != nil {
				if _, err := h.gh.EditRepo("acme", "widgets", func(r *fake.Repo) error { tt.byHand(r); return nil }); err != nil {
					t.Fatal(err)
				}
			}
			before := h.repo("acme", "widgets")
			h.edit(func(s map[string]any) {
				for k, v := range tt.spec {
					s[k] = v
				}
			})
			h.gh.ClearRequests()
			h.sync()
			h.expect(v1.ConditionError, "True/InvalidSpec")
			h.expect(v1.ConditionSynced, "False/ReconcileError")
			h.expect(v1.ConditionReady, "True/Available")
			msg := h.message(v1.ConditionError)
			for _, s := range append(tt.says, "422") {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q does not say %q", msg, s)
				}
			}
			if n := h.requests("PATCH", "/repos/acme/widgets"); n != 1 {
				t.Errorf("%d updates, want the one GitHub refused", n)
			}
			after := h.repo("acme", "widgets")
			if was, is := settingsJSON(t, before), settingsJSON(t, after); was != is {
				t.Errorf("merge settings changed from %s to %s", was, is)
			}
			// Until the backoff is over nothing more is sent.
			h.gh.ClearRequests()
			h.sync()
			if w := h.writes(); w != 0 {
				t.Errorf("%d writes during the backoff", w)
			}
		})
	}
}

// TestRefusedCreateIsInvalidSpec: merge settings GitHub refuses in a
// create request (a squash commit title while squash merging is off,
// recorded in integrations/terraform-provider-github#2147) are reported
// as InvalidSpec naming them, with GitHub's words; nothing is created.
func TestRefusedCreateIsInvalidSpec(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme", "name": "widgets",
		"allowSquashMerge": false, "squashMergeCommitTitle": "PR_TITLE", "squashMergeCommitMessage": "PR_BODY"})
	h.sync()
	h.expect(v1.ConditionError, "True/InvalidSpec")
	h.expect(v1.ConditionReady, "False/Creating")
	msg := h.message(v1.ConditionError)
	for _, s := range []string{"allowSquashMerge, squashMergeCommitTitle, squashMergeCommitMessage", "422 Repository creation failed.", "squash merge strategy"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message %q does not say %q", msg, s)
		}
	}
	if repos := h.gh.Repos(); len(repos) != 0 {
		t.Errorf("repositories %v, want none", names(repos))
	}
}

// TestForkingOnlyWhereGitHubKeepsIt: allowForking asks for what GitHub
// does not let anyone set on a public repository or a user's (both can
// always be forked); hookops says so without a write, which would fail or
// change nothing on every sync. Asking for what GitHub shows anyway is
// fine.
func TestForkingOnlyWhereGitHubKeepsIt(t *testing.T) {
	tests := []struct {
		name   string
		spec   map[string]any
		reason string
		says   string
	}{
		{"public repository", map[string]any{"owner": "acme", "visibility": "public", "allowForking": false},
			"True/InvalidSpec", "a public repository can always be forked"},
		{"made public by the same spec", map[string]any{"owner": "acme", "visibility": "public", "allowForking": false, "description": "x"},
			"True/InvalidSpec", "a public repository can always be forked"},
		{"user's repository", map[string]any{"owner": "octocat", "allowForking": false},
			"True/InvalidSpec", "octocat is a user"},
		{"public repository, forking allowed", map[string]any{"owner": "acme", "visibility": "public", "allowForking": true},
			"False/NoError", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.spec["name"] = "widgets"
			h := newHarness(t, tt.spec, forkingConfig())
			h.sync()
			h.expect(v1.ConditionError, tt.reason)
			if !strings.Contains(h.message(v1.ConditionError), tt.says) {
				t.Errorf("message %q does not say %q", h.message(v1.ConditionError), tt.says)
			}
			owner := tt.spec["owner"].(string)
			if n := h.requests("PATCH", "/repos/"+owner+"/widgets"); n != 0 {
				t.Errorf("%d updates, want none", n)
			}
		})
	}
}

// TestMergeSettingsUnseenByTheApp: GitHub shows merge settings only to
// credentials that may push; an App with Administration: write but not
// Contents: write reads none, and hookops says which permission it lacks
// instead of writing them blind on every sync. Granted it, the App keeps
// them in line.
func TestMergeSettingsUnseenByTheApp(t *testing.T) {
	h, _, _ := appHarness(t, func(inst *fake.Installation) { inst.Permissions["contents"] = "read" })
	h.sync()
	h.expect(v1.ConditionReady, "True/Available")
	h.edit(func(s map[string]any) { s["allowAutoMerge"] = true })
	h.gh.ClearRequests()
	h.sync()
	h.expect(v1.ConditionError, "True/AppPermissionMissing")
	if msg := h.message(v1.ConditionError); !strings.Contains(msg, "allowAutoMerge") || !strings.Contains(msg, "Contents: write") {
		t.Errorf("message %q names neither the field nor the permission", msg)
	}
	if w := h.writes(); w != 0 {
		t.Errorf("%d writes of settings the App cannot see, want none", w)
	}
	if r := h.repo("acme", "widgets"); r.AllowAutoMerge {
		t.Error("allow_auto_merge was written")
	}
}

// TestMergeSettingsByAnAppWithContentsWrite: the same App, with Contents:
// write, creates the repository with its merge settings and keeps them.
func TestMergeSettingsByAnAppWithContentsWrite(t *testing.T) {
	h, _, _ := appHarness(t, nil)
	h.edit(func(s map[string]any) { s["allowMergeCommit"], s["allowAutoMerge"] = false, true })
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if r := h.repo("acme", "widgets"); *r.AllowMergeCommit || !r.AllowAutoMerge {
		t.Errorf("merge settings = %s, want the spec's", settingsJSON(t, r))
	}
	if n := h.requests("PATCH", "/repos/acme/widgets"); n != 0 {
		t.Errorf("%d updates after the create, want none", n)
	}
}

func settingsJSON(t *testing.T, r fake.Repo) string {
	t.Helper()
	data, err := json.Marshal(r.MergeSettings)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
