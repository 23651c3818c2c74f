package githubrepo_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/budget"
	"github.com/hookops/hookops/hooks/metacontroller"
	"github.com/hookops/hookops/test/fakegithub/fake"
)

func fullSpec() map[string]any {
	return map[string]any{
		"owner": "acme", "name": "widgets", "visibility": "private",
		"description": "Widgets service", "homepage": "https://widgets.example",
		"topics":   []any{"go", "k8s"},
		"features": map[string]any{"issues": true, "wiki": false, "projects": false},
		"init":     map[string]any{"autoInit": true, "licenseTemplate": "mit"},
	}
}

func TestCreateInOrganization(t *testing.T) {
	h := newHarness(t, fullSpec())
	resp := h.sync()
	h.expect(v1.ConditionReady, "True/Available")
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	h.expect(v1.ConditionError, "False/NoError")

	r := h.repo("acme", "widgets")
	if r.Visibility != "private" || r.Description != "Widgets service" || r.Homepage != "https://widgets.example" ||
		!slices.Equal(r.Topics, []string{"go", "k8s"}) || !r.HasIssues || r.HasWiki || r.HasProjects || r.License != "mit" {
		t.Errorf("repository = %+v, want the spec's settings", r)
	}
	st := h.status()
	if st.RepoID != r.ID || st.FullName != "acme/widgets" || st.HTMLURL == "" || st.CloneURL == "" || st.SSHURL == "" || st.Visibility != "private" {
		t.Errorf("status = %+v", st)
	}
	if st.RateLimit != nil {
		t.Errorf("status.rateLimit = %+v, want none while the budget is not spent", st.RateLimit)
	}
	if h.requests("POST", "/orgs/acme/repos") != 1 || h.requests("POST", "/user/repos") != 0 {
		t.Errorf("want exactly one POST /orgs/acme/repos")
	}
	if resp.ResyncAfterSeconds < 270 || resp.ResyncAfterSeconds > 330 {
		t.Errorf("resyncAfterSeconds = %v after success, want 5 minutes ±10%%", resp.ResyncAfterSeconds)
	}
	if len(resp.Children) != 1 || resp.Children[0].Name() != "widgets-github" {
		t.Fatalf("children = %v, want the widgets-github record", resp.Children)
	}
	if data := resp.Children[0]["data"].(map[string]any); data["repoID"] != fmt.Sprint(r.ID) {
		t.Errorf("record = %v", data)
	}
}

func TestCreateForUser(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "octocat", "name": "dotfiles", "visibility": "public"})
	h.sync()
	h.expect(v1.ConditionReady, "True/Available")
	if r := h.repo("octocat", "dotfiles"); r.Visibility != "public" {
		t.Errorf("visibility = %s", r.Visibility)
	}
	if h.requests("POST", "/user/repos") != 1 {
		t.Error("want POST /user/repos")
	}
}

// An unchanged repository costs no rate limit: after one full read the
// syncs are conditional and GitHub answers 304.
func TestSteadyStateIsFree(t *testing.T) {
	h := newHarness(t, fullSpec())
	h.sync() // create
	h.sync() // full read, records the ETag
	if h.status().ETag == "" {
		t.Fatal("no ETag recorded after a full read")
	}
	before := h.gh.RateLimit(token).Remaining
	h.gh.ClearRequests()
	for range 5 {
		h.sync()
		h.expect(v1.ConditionReady, "True/Available")
		h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	}
	reqs := h.gh.Requests(fake.RequestFilter{})
	if len(reqs) != 5 {
		t.Fatalf("%d requests for 5 steady syncs, want 5", len(reqs))
	}
	for _, r := range reqs {
		if !r.NotModified || r.Method != "GET" || !strings.HasPrefix(r.Path, "/repositories/") {
			t.Errorf("request %s %s (304: %v), want a conditional GET by id", r.Method, r.Path, r.NotModified)
		}
	}
	if after := h.gh.RateLimit(token).Remaining; after != before {
		t.Errorf("steady syncs spent %d rate-limit units, want 0", before-after)
	}
}

func TestUpdateAndRename(t *testing.T) {
	h := newHarness(t, fullSpec())
	h.sync()
	h.sync()
	id := h.status().RepoID
	h.gh.ClearRequests()

	h.edit(func(s map[string]any) {
		s["description"] = "New words"
		s["topics"] = []any{"go", "operators"}
		s["visibility"] = "public"
	})
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	r := h.repo("acme", "widgets")
	if r.Description != "New words" || r.Visibility != "public" || !slices.Equal(r.Topics, []string{"go", "operators"}) {
		t.Errorf("repository = %+v", r)
	}
	if p, tp := h.requests("PATCH", "/repos/acme/widgets"), h.requests("PUT", "/repos/acme/widgets/topics"); p != 1 || tp != 1 {
		t.Errorf("PATCH %d, PUT topics %d; want one each", p, tp)
	}

	h.gh.ClearRequests()
	h.edit(func(s map[string]any) { s["name"] = "gadgets" })
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if r := h.repo("acme", "gadgets"); r.ID != id {
		t.Errorf("renamed repository has id %d, want %d", r.ID, id)
	}
	if st := h.status(); st.FullName != "acme/gadgets" || st.RepoID != id {
		t.Errorf("status = %s #%d", st.FullName, st.RepoID)
	}
	if h.writes() != 1 {
		t.Errorf("%d writes for a rename, want 1", h.writes())
	}
	if len(h.gh.Repos()) != 1 {
		t.Errorf("repositories: %v", names(h.gh.Repos()))
	}
}

// Changes made on GitHub by hand are put back; a rename by hand is followed
// by id and undone.
func TestDriftIsPutBack(t *testing.T) {
	h := newHarness(t, fullSpec())
	h.sync()
	h.sync()
	id := h.status().RepoID
	if _, err := h.gh.EditRepo("acme", "widgets", func(r *fake.Repo) error {
		r.Description, r.Topics, r.HasWiki, r.Name = "hand edit", []string{"oops"}, true, "renamed-by-hand"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	r := h.repo("acme", "widgets")
	if r.ID != id || r.Description != "Widgets service" || r.HasWiki || !slices.Equal(r.Topics, []string{"go", "k8s"}) {
		t.Errorf("repository = %+v, want the spec put back", r)
	}
	if _, ok := h.gh.Repo("acme", "renamed-by-hand"); ok {
		t.Error("the hand-made name still exists")
	}
}

// Fields the spec leaves unset are not managed: edits on GitHub stay.
func TestUnsetFieldsAreNotManaged(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme", "name": "widgets"})
	h.sync()
	h.sync()
	if _, err := h.gh.EditRepo("acme", "widgets", func(r *fake.Repo) error {
		r.Description, r.Topics, r.Visibility = "set by hand", []string{"manual"}, "public"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	writes := h.writes()
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if r := h.repo("acme", "widgets"); r.Description != "set by hand" || r.Visibility != "public" || !slices.Equal(r.Topics, []string{"manual"}) {
		t.Errorf("repository = %+v, want the hand edits kept", r)
	}
	if h.writes() != writes {
		t.Errorf("%d writes for unmanaged fields, want none", h.writes()-writes)
	}
}

func TestDeletedOnGitHubIsRecreated(t *testing.T) {
	h := newHarness(t, fullSpec())
	h.sync()
	old := h.status().RepoID
	if err := h.gh.DeleteRepo("acme", "widgets"); err != nil {
		t.Fatal(err)
	}
	h.sync()
	h.expect(v1.ConditionReady, "True/Available")
	if !strings.Contains(h.message(v1.ConditionReady), "re-created") {
		t.Errorf("Ready message %q does not say the repository was re-created", h.message(v1.ConditionReady))
	}
	if r := h.repo("acme", "widgets"); r.ID == old || h.status().RepoID != r.ID {
		t.Errorf("new id %d, status %d, old %d", r.ID, h.status().RepoID, old)
	}
}

func TestExistingRepository(t *testing.T) {
	seed := func(h *harness) {
		r := fake.NewRepo("acme", "widgets")
		r.Description = "someone else's"
		if _, err := h.gh.AddRepo(r); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("not adopted", func(t *testing.T) {
		h := newHarness(t, fullSpec())
		seed(h)
		h.sync()
		h.sync()
		h.expect(v1.ConditionError, "True/AlreadyExists")
		h.expect(v1.ConditionReady, "False/Creating")
		if h.writes() != 0 {
			t.Errorf("%d writes to a repository this GitHubRepo does not own", h.writes())
		}
		if r := h.repo("acme", "widgets"); r.Description != "someone else's" {
			t.Errorf("description = %q", r.Description)
		}
		if h.status().RepoID != 0 || len(h.last.Children) != 0 {
			t.Error("an unowned repository was recorded")
		}
	})
	t.Run("adopted", func(t *testing.T) {
		spec := fullSpec()
		spec["adoptExisting"] = true
		h := newHarness(t, spec)
		seed(h)
		h.sync()
		h.expect(v1.ConditionReady, "True/Available")
		if !strings.Contains(h.message(v1.ConditionReady), "adopted") {
			t.Errorf("Ready message %q", h.message(v1.ConditionReady))
		}
		if r := h.repo("acme", "widgets"); r.Description != "Widgets service" || h.status().RepoID != r.ID {
			t.Errorf("repository = %+v", r)
		}
	})
}

// When a status write is lost, the ConfigMap record still says which
// repository this GitHubRepo created.
func TestRecordSurvivesALostStatus(t *testing.T) {
	h := newHarness(t, fullSpec())
	h.sync()
	delete(h.parent, "status")
	h.sync()
	h.expect(v1.ConditionReady, "True/Available")
	h.expect(v1.ConditionError, "False/NoError")
	if len(h.gh.Repos()) != 1 {
		t.Errorf("repositories: %v", names(h.gh.Repos()))
	}
}

func TestFailuresAreReported(t *testing.T) {
	cases := []struct {
		name    string
		spec    map[string]any
		prepare func(h *harness)
		reason  string
		calls   bool // whether GitHub may be called at all
	}{
		{"bad token", nil, func(h *harness) { h.secret = h.makeSecret(map[string]string{"token": "nope", "baseURL": h.base}) }, v1.ReasonUnauthorized, true},
		{"unknown owner", map[string]any{"owner": "nobody-here", "name": "x"}, nil, v1.ReasonOwnerNotFound, true},
		{"secret missing", nil, func(h *harness) { h.secret = nil }, v1.ReasonSecretNotFound, false},
		{"key missing", nil, func(h *harness) { h.secret = h.makeSecret(map[string]string{"pat": token}) }, v1.ReasonSecretKeyMissing, false},
		{"cross-namespace secret", map[string]any{"owner": "acme", "credentialsSecretRef": map[string]any{"name": "gh-token", "namespace": "team-b"}}, nil, v1.ReasonCrossNamespaceSecretRef, false},
		{"invalid spec", map[string]any{"owner": "acme", "name": "bad name!"}, nil, v1.ReasonInvalidSpec, false},
		{"internal for a user", map[string]any{"owner": "octocat", "visibility": "internal"}, nil, v1.ReasonInvalidSpec, true},
		{"github down", nil, func(h *harness) { h.gh.InjectFault(fake.Fault{Status: 503}) }, v1.ReasonGitHubUnavailable, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := c.spec
			if spec == nil {
				spec = fullSpec()
			}
			h := newHarness(t, spec)
			if c.prepare != nil {
				c.prepare(h)
			}
			resp := h.sync()
			h.expect(v1.ConditionError, "True/"+c.reason)
			h.expect(v1.ConditionSynced, "False/ReconcileError")
			if resp.ResyncAfterSeconds < 4.5 || resp.ResyncAfterSeconds > 5.5 {
				t.Errorf("resyncAfterSeconds = %v, want about 5 after the first failure", resp.ResyncAfterSeconds)
			}
			if h.status().ConsecutiveFailures != 1 {
				t.Errorf("consecutiveFailures = %d", h.status().ConsecutiveFailures)
			}
			if n := len(h.gh.Requests(fake.RequestFilter{})); !c.calls && n != 0 {
				t.Errorf("%d GitHub requests, want none", n)
			}
			if h.writes() != 0 || len(h.gh.Repos()) != 0 {
				t.Errorf("a failed sync changed GitHub")
			}
			msg := h.message(v1.ConditionError)
			if msg == "" || strings.Contains(msg, token) || strings.Contains(msg, "nope") {
				t.Errorf("Error message %q: want a message without the token", msg)
			}
		})
	}
}

// Failures back off exponentially and success resets the count.
func TestBackoffGrowsAndResets(t *testing.T) {
	h := newHarness(t, fullSpec())
	id := h.gh.InjectFault(fake.Fault{Status: 502})
	var delays []float64
	for range 4 {
		d := h.sync().ResyncAfterSeconds
		delays = append(delays, d)
		// Until the retry time, syncs leave GitHub alone and change nothing.
		before := len(h.gh.Requests(fake.RequestFilter{}))
		st := h.status()
		// retryTime is rounded up to the second.
		if again := h.sync().ResyncAfterSeconds; again <= 0 || again > d+1 {
			t.Errorf("a sync during the backoff asked to come back after %vs, want at most %vs", again, d+1)
		}
		if len(h.gh.Requests(fake.RequestFilter{})) != before || h.status().ConsecutiveFailures != st.ConsecutiveFailures {
			t.Error("a sync during the backoff called GitHub or counted a failure")
		}
		h.later(time.Duration(d*float64(time.Second)) + time.Second)
	}
	if want := []float64{5, 10, 20, 40}; !slices.Equal(delays, want) {
		t.Errorf("delays = %v, want %v", delays, want)
	}
	h.gh.RemoveFault(id)
	h.sync()
	h.expect(v1.ConditionReady, "True/Available")
	if h.status().ConsecutiveFailures != 0 {
		t.Errorf("consecutiveFailures = %d after success", h.status().ConsecutiveFailures)
	}
	if len(h.gh.Repos()) != 1 {
		t.Errorf("repositories: %v", names(h.gh.Repos()))
	}
}

// A spec change is tried at once, whatever the backoff.
func TestSpecChangeSkipsTheBackoff(t *testing.T) {
	h := newHarness(t, fullSpec())
	fault := h.gh.InjectFault(fake.Fault{Status: 503})
	h.sync()
	h.gh.RemoveFault(fault)
	h.edit(func(s map[string]any) { s["description"] = "fixed" })
	h.sync()
	h.expect(v1.ConditionReady, "True/Available")
	if r := h.repo("acme", "widgets"); r.Description != "fixed" {
		t.Errorf("description = %q", r.Description)
	}
}

// A spent primary budget stops all requests until the reset.
func TestPrimaryRateLimit(t *testing.T) {
	h := newHarness(t, fullSpec())
	reset := time.Now().Add(10 * time.Minute).Truncate(time.Second)
	h.gh.SetRateLimit(token, fake.RateLimit{Limit: 5000, Remaining: 0, Reset: reset})
	resp := h.sync()
	h.expect(v1.ConditionError, "True/RateLimited")
	if d := time.Duration(resp.ResyncAfterSeconds * float64(time.Second)); d < 9*time.Minute || d > 11*time.Minute {
		t.Errorf("resync after %s, want about 10m (the reset)", d)
	}
	h.gh.ClearRequests()
	h.sync()
	h.expect(v1.ConditionError, "True/RateLimited")
	if n := len(h.gh.Requests(fake.RequestFilter{})); n != 0 {
		t.Errorf("%d requests before the reset, want 0", n)
	}
}

func TestSecondaryRateLimit(t *testing.T) {
	h := newHarness(t, fullSpec(), fake.WithSecondaryLimits(100, 1))
	resp := h.sync() // create is the one write allowed; the topics PUT hits the limit
	h.expect(v1.ConditionError, "True/RateLimited")
	if resp.ResyncAfterSeconds < 60 {
		t.Errorf("resyncAfterSeconds = %v, want at least 60", resp.ResyncAfterSeconds)
	}
	if h.status().RepoID == 0 {
		t.Error("the created repository was not recorded")
	}
}

// A slow GitHub cannot make a hook miss Metacontroller's deadline.
func TestSlowGitHubMeetsTheDeadline(t *testing.T) {
	h := newHarness(t, fullSpec())
	h.hooks.GitHubTimeout = 300 * time.Millisecond
	h.gh.InjectFault(fake.Fault{Latency: 5 * time.Second})
	start := time.Now()
	h.sync()
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("sync took %s", took)
	}
	h.expect(v1.ConditionError, "True/GitHubUnavailable")
}

// Writes of one token are a second apart, as GitHub asks; a write that
// cannot start in time is not sent, and the status says when it will be.
// https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#pause-between-mutative-requests
func TestPacing(t *testing.T) {
	h := newHarness(t, fullSpec())
	h.hooks.Budget = budget.New(budget.DefaultLimits())
	h.sync() // create + topics: two writes, a second apart
	if gap, ok := h.gh.MinMutationGap(); !ok || gap < 900*time.Millisecond {
		t.Errorf("minimum gap between writes = %s (%v), want ≥ 1s", gap, ok)
	}
	h.hooks.GitHubTimeout = 2500 * time.Millisecond // less than the 2s write margin + the wait
	h.edit(func(s map[string]any) { s["description"] = "paced" })
	writes := h.writes()
	h.now = time.Now() // the budget keeps real time
	resp := h.sync()
	h.expect(v1.ConditionSynced, "False/ReconcilePending")
	h.expect(v1.ConditionError, "True/RateLimited")
	if msg := h.message(v1.ConditionError); !strings.Contains(msg, "a write every 1s") {
		t.Errorf("message %q does not name the limit", msg)
	}
	if n := h.writes() - writes; n != 0 {
		t.Errorf("%d writes sent while the budget said wait", n)
	}
	if st := h.status(); st.ConsecutiveFailures != 0 {
		t.Errorf("consecutiveFailures = %d: waiting for the budget is no failure", st.ConsecutiveFailures)
	}
	if resp.ResyncAfterSeconds <= 0 || resp.ResyncAfterSeconds > 2 {
		t.Errorf("resyncAfterSeconds = %v, want a prompt retry", resp.ResyncAfterSeconds)
	}
	time.Sleep(time.Duration(resp.ResyncAfterSeconds * float64(time.Second)))
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if r := h.repo("acme", "widgets"); r.Description != "paced" {
		t.Errorf("description = %q", r.Description)
	}
}

func TestArchiveAndUnarchive(t *testing.T) {
	h := newHarness(t, fullSpec())
	h.sync()
	h.edit(func(s map[string]any) { s["archived"] = true; s["description"] = "retired" })
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if r := h.repo("acme", "widgets"); !r.Archived || r.Description != "retired" {
		t.Errorf("repository = %+v", r)
	}
	h.edit(func(s map[string]any) { s["archived"] = false; s["description"] = "back" })
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if r := h.repo("acme", "widgets"); r.Archived || r.Description != "back" {
		t.Errorf("repository = %+v", r)
	}
}

func TestDefaultBranchWaitsForTheBranch(t *testing.T) {
	spec := map[string]any{"owner": "acme", "name": "widgets", "defaultBranch": "develop"}
	h := newHarness(t, spec)
	h.sync()
	h.expect(v1.ConditionReady, "True/Available")
	h.expect(v1.ConditionError, "True/InvalidSpec")
	if !strings.Contains(h.message(v1.ConditionError), `"develop" does not exist`) {
		t.Errorf("message = %q", h.message(v1.ConditionError))
	}
	if _, err := h.gh.EditRepo("acme", "widgets", func(r *fake.Repo) error { r.Branches = []string{"main", "develop"}; return nil }); err != nil {
		t.Fatal(err)
	}
	h.later(time.Minute)
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if r := h.repo("acme", "widgets"); r.DefaultBranch != "develop" {
		t.Errorf("default branch = %s", r.DefaultBranch)
	}
}

func TestFinalize(t *testing.T) {
	cases := []struct {
		policy string
		check  func(t *testing.T, h *harness, id int64)
	}{
		{"Delete", func(t *testing.T, h *harness, id int64) {
			if _, ok := h.gh.RepoByID(id); ok {
				t.Error("repository still exists")
			}
		}},
		{"Archive", func(t *testing.T, h *harness, id int64) {
			if r, ok := h.gh.RepoByID(id); !ok || !r.Archived {
				t.Errorf("repository = %+v, want archived", r)
			}
		}},
		{"Orphan", func(t *testing.T, h *harness, id int64) {
			r, ok := h.gh.RepoByID(id)
			if !ok || r.Archived {
				t.Errorf("repository = %+v, want untouched", r)
			}
			// Orphan takes back the claim and writes nothing else.
			if h.writes() != 1 || len(h.gh.Requests(fake.RequestFilter{Method: "PATCH", Path: "/repos/acme/widgets/properties/values"})) != 1 {
				t.Errorf("%d writes for Orphan, want the one that removes the claim", h.writes())
			}
			if v := r.CustomProperties["hookops-claim"]; v != nil {
				t.Errorf("claim %v left on the repository", v)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.policy, func(t *testing.T) {
			spec := fullSpec()
			spec["deletionPolicy"] = c.policy
			h := newHarness(t, spec)
			h.sync()
			id := h.status().RepoID
			h.gh.ClearRequests()
			resp := h.finalize()
			if !resp.Finalized {
				t.Fatalf("finalized = false: %s", h.message(v1.ConditionError))
			}
			h.expect(v1.ConditionReady, "False/Deleting")
			c.check(t, h, id)
		})
	}
}

func TestFinalizeFailureAndRecovery(t *testing.T) {
	h := newHarness(t, fullSpec())
	h.sync()
	fault := h.gh.InjectFault(fake.Fault{Status: 500})
	resp := h.finalize()
	if resp.Finalized || resp.ResyncAfterSeconds <= 0 {
		t.Fatalf("finalized = %v, resync %v; want a retry", resp.Finalized, resp.ResyncAfterSeconds)
	}
	h.expect(v1.ConditionError, "True/GitHubUnavailable")
	if !strings.Contains(h.message(v1.ConditionReady), "deletionPolicy: Orphan") {
		t.Errorf("Ready message %q does not say how to unstick the deletion", h.message(v1.ConditionReady))
	}
	h.gh.RemoveFault(fault)
	h.later(time.Minute)
	if !h.finalize().Finalized {
		t.Fatal("not finalized after GitHub recovered")
	}
	if len(h.gh.Repos()) != 0 {
		t.Errorf("repositories: %v", names(h.gh.Repos()))
	}
}

// Finalize never touches a repository it did not record, and a repository
// already gone finishes the deletion.
func TestFinalizeOnlyOwnRepository(t *testing.T) {
	h := newHarness(t, fullSpec())
	if _, err := h.gh.AddRepo(fake.NewRepo("acme", "widgets")); err != nil {
		t.Fatal(err)
	}
	if !h.finalize().Finalized {
		t.Fatal("not finalized")
	}
	if len(h.gh.Requests(fake.RequestFilter{})) != 0 || len(h.gh.Repos()) != 1 {
		t.Error("finalize touched a repository it does not own")
	}

	h = newHarness(t, fullSpec())
	h.sync()
	if err := h.gh.DeleteRepo("acme", "widgets"); err != nil {
		t.Fatal(err)
	}
	if !h.finalize().Finalized {
		t.Fatal("not finalized when the repository is already gone")
	}
}

// Replayed or concurrent syncs of the same request make one repository.
// A sync that loses the race finds it by name with its own claim, and
// records that same repository.
func TestIdempotent(t *testing.T) {
	h := newHarness(t, fullSpec())
	req := h.request(false)
	var wg sync.WaitGroup
	owned := map[int64]int{}
	var mu sync.Mutex
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := h.hooks.Sync(context.Background(), req)
			if err != nil {
				t.Error(err)
				return
			}
			if st := resp.Status.(v1.GitHubRepoStatus); st.RepoID != 0 {
				mu.Lock()
				owned[st.RepoID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for range 3 {
		if _, err := h.hooks.Sync(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.gh.Repos()); n != 1 || len(owned) != 1 {
		t.Errorf("%d repositories, answers owning %v: want one repository, named by every answer that owns one", n, owned)
	}
}

// The token never shows in logs, status, children or errors.
func TestTokenNeverLeaks(t *testing.T) {
	h := newHarness(t, fullSpec())
	h.hooks.Log.Info("probe")
	h.sync()
	h.gh.InjectFault(fake.Fault{Status: 401})
	h.sync()
	h.finalize()
	out := fmt.Sprintf("%s %v %v", h.logs.String(), h.parent, h.last)
	if strings.Contains(out, token) {
		t.Errorf("the token appears in logs or hook output")
	}
	if !strings.Contains(h.logs.String(), "probe") {
		t.Error("log capture is not working")
	}
}

func TestParentOfTheWrongKind(t *testing.T) {
	h := newHarness(t, fullSpec())
	req := h.request(false)
	req.Parent["kind"] = "ConfigMap"
	_, err := h.hooks.Sync(context.Background(), req)
	var re *metacontroller.RequestError
	if !errors.As(err, &re) {
		t.Errorf("err = %v, want a RequestError", err)
	}
}

// A sync that finds nothing changed returns exactly the status it was
// given, so Metacontroller writes nothing: no time, reading or count moves;
// lastSyncTime moves at most hourly.
func TestIdleSyncWritesNothing(t *testing.T) {
	h := newHarness(t, fullSpec())
	h.sync()
	h.later(time.Minute)
	h.sync() // the first conditional read
	before := h.status()
	for range 5 {
		h.later(5 * time.Minute)
		h.sync()
		if after := h.status(); !reflect.DeepEqual(before, after) {
			t.Fatalf("an idle sync changed the status:\nbefore %+v\nafter  %+v", before, after)
		}
	}
	h.later(time.Hour)
	h.sync()
	if st := h.status(); !st.LastSyncTime.After(before.LastSyncTime.Time) {
		t.Errorf("lastSyncTime %v did not move after an hour", st.LastSyncTime)
	}
}

// A missing Secret is reported once per retry, not once per event: the
// syncs its own status writes bring change nothing, so they bring no more.
// Once the Secret exists the repository is created at the next sync, with
// no backoff, since nothing had been sent to GitHub.
func TestSecretCreatedLaterGoesAtOnce(t *testing.T) {
	h := newHarness(t, fullSpec())
	secret := h.secret
	h.secret = nil
	h.sync()
	h.expect(v1.ConditionError, "True/SecretNotFound")
	first := h.status()
	for range 3 { // the events of its own status writes
		h.sync()
	}
	if st := h.status(); !reflect.DeepEqual(st, first) {
		t.Errorf("repeated syncs without the Secret changed the status:\nbefore %+v\nafter  %+v", first, st)
	}
	h.secret = secret
	h.sync() // before the retry time
	h.expect(v1.ConditionReady, "True/Available")
}
