package githubrepo_test

import (
	"strings"
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
)

// claimOf reads the ownership claim the fake holds for acme/widgets.
func claimOf(h *harness) string {
	v, _ := h.repo("acme", "widgets").CustomProperties["hookops-claim"].(string)
	return v
}

// Two GitHubRepos in two namespaces name one repository: the second, even
// with adoptExisting, is refused and sends no write over three resyncs, and
// deleting it (with the default policy, or Delete) leaves the repository
// and the first one's claim alone.
func TestSecondOwnerIsRefused(t *testing.T) {
	for _, policy := range []string{"", "Delete"} {
		t.Run("policy="+policy, func(t *testing.T) {
			first := newHarness(t, map[string]any{"owner": "acme", "description": "first"})
			first.sync()
			first.expect(v1.ConditionSynced, "True/ReconcileSuccess")
			claim := claimOf(first)
			if !strings.HasSuffix(claim, "/team-a/widgets/u-1") {
				t.Fatalf("claim = %q, want the first GitHubRepo's", claim)
			}

			spec := map[string]any{"owner": "acme", "description": "second", "adoptExisting": true}
			if policy != "" {
				spec["deletionPolicy"] = policy
			}
			second := first.twin("team-b", "u-2", spec)
			before := second.writes()
			for range 3 {
				second.untilRetry()
				second.sync()
				second.expect(v1.ConditionError, "True/OwnedElsewhere")
			}
			if !strings.Contains(second.message(v1.ConditionError), "team-a/widgets (uid u-1)") {
				t.Errorf("message does not name the owner: %s", second.message(v1.ConditionError))
			}
			if n := second.writes() - before; n != 0 {
				t.Errorf("%d writes by the refused GitHubRepo", n)
			}
			if resp := second.finalize(); !resp.Finalized {
				t.Fatalf("deleting the refused GitHubRepo is blocked: %s", second.message(v1.ConditionError))
			}
			if n := second.writes() - before; n != 0 {
				t.Errorf("%d writes when deleting the refused GitHubRepo", n)
			}
			if r := first.repo("acme", "widgets"); r.Description != "first" || claimOf(first) != claim {
				t.Errorf("repository after the second went: %+v", r)
			}
		})
	}
}

// Two hookops installations (different cluster ids) with same-named
// GitHubRepos against one GitHub: the second is refused, in either order
// of syncs, and they never write to each other's repository.
func TestTwoClustersNeverFight(t *testing.T) {
	a := newHarness(t, map[string]any{"owner": "acme", "description": "cluster a"})
	a.hooks.ClusterID = "cluster-a"
	b := a.twin("team-a", "u-b", map[string]any{"owner": "acme", "description": "cluster b", "adoptExisting": true})
	b.hooks.ClusterID = "cluster-b"
	a.sync()
	for range 3 {
		b.untilRetry()
		b.sync()
		a.later(10 * time.Minute)
		a.sync()
	}
	b.expect(v1.ConditionError, "True/OwnedElsewhere")
	a.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if !strings.Contains(b.message(v1.ConditionError), `cluster "cluster-a"`) {
		t.Errorf("message does not name the other cluster: %s", b.message(v1.ConditionError))
	}
	if r := a.repo("acme", "widgets"); r.Description != "cluster a" || len(a.gh.Repos()) != 1 {
		t.Errorf("repositories %v, widgets %+v", names(a.gh.Repos()), r)
	}
}

// A deliberate take-over: the annotation names the exact claim to replace.
func TestTakeOver(t *testing.T) {
	first := newHarness(t, map[string]any{"owner": "acme"})
	first.sync()
	claim := claimOf(first)
	second := first.twin("team-b", "u-2", map[string]any{"owner": "acme", "adoptExisting": true, "description": "mine now"})
	second.parent["metadata"].(map[string]any)["annotations"] = map[string]any{v1.AnnotationTakeOver: claim}
	second.sync()
	second.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if got := claimOf(first); !strings.HasSuffix(got, "/team-b/widgets/u-2") {
		t.Errorf("claim after take-over = %q", got)
	}
	first.later(10 * time.Minute)
	first.sync()
	first.expect(v1.ConditionError, "True/OwnedElsewhere")
	if st := first.status(); st.Claim != "" {
		t.Errorf("the first still says it holds the claim %q", st.Claim)
	}
}

// The answer of each write is lost after GitHub made the change (GitHub:
// a request that times out may still have been completed, see the fake's
// Fault.After). The next sync finishes the job: exactly one repository,
// Ready, claimed; and deleting the GitHubRepo deletes it.
func TestLostResponses(t *testing.T) {
	for _, c := range []struct {
		step, method, path string
		edit               func(spec map[string]any)
	}{
		{"create", "POST", "/orgs/acme/repos", nil},
		{"update", "PATCH", "/repos/acme/widgets", func(s map[string]any) { s["description"] = "changed" }},
		{"rename", "PATCH", "/repos/acme/widgets", func(s map[string]any) { s["name"] = "gadgets" }},
		{"topics", "PUT", "/repos/acme/widgets/topics", func(s map[string]any) { s["topics"] = []any{"x"} }},
		{"archive", "PATCH", "/repos/acme/widgets", func(s map[string]any) { s["archived"] = true }},
	} {
		t.Run(c.step, func(t *testing.T) {
			h := newHarness(t, map[string]any{"owner": "acme", "description": "first"})
			if c.edit != nil {
				h.sync()
				h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
				h.edit(c.edit)
			}
			h.gh.InjectFault(fake.Fault{Method: c.method, Path: c.path, After: true, Status: 502, Times: 1})
			h.sync()
			h.expect(v1.ConditionError, "True/GitHubUnavailable")
			h.untilRetry()
			h.sync()
			h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
			h.expect(v1.ConditionReady, "True/Available")
			repos := h.gh.Repos()
			if len(repos) != 1 {
				t.Fatalf("repositories %v, want exactly one", names(repos))
			}
			st := h.status()
			if st.RepoID != repos[0].ID || st.Origin != v1.OriginCreated || st.DeletionPolicy != v1.DeletionDelete || st.CreateAttemptTime != nil {
				t.Errorf("status %+v", st)
			}
			if v, _ := repos[0].CustomProperties["hookops-claim"].(string); v != st.Claim || v == "" {
				t.Errorf("claim on GitHub %q, in status %q", v, st.Claim)
			}
			if !h.finalize().Finalized || len(h.gh.Repos()) != 0 {
				t.Errorf("after deletion: repositories %v", names(h.gh.Repos()))
			}
		})
	}
}

// The delete's answer is lost after the repository went: the next finalize
// finds it gone and finishes.
func TestLostDeleteResponse(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme"})
	h.sync()
	h.gh.InjectFault(fake.Fault{Method: "DELETE", Path: "/repos/acme/widgets", After: true, Status: 502, Times: 1})
	if h.finalize().Finalized {
		t.Fatal("finalized although the delete's answer was lost")
	}
	h.untilRetry()
	if !h.finalize().Finalized || len(h.gh.Repos()) != 0 {
		t.Errorf("repositories %v", names(h.gh.Repos()))
	}
}

// On a user account the claim is a repository variable, written after the
// create; a create whose answer was lost is recognised by the recorded
// attempt and the repository's creation time.
func TestLostCreateOnUserAccount(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "octocat"})
	h.gh.InjectFault(fake.Fault{Method: "POST", Path: "/user/repos", After: true, Status: 504, Times: 1})
	h.sync()
	if h.status().CreateAttemptTime == nil {
		t.Fatal("the create attempt is not recorded")
	}
	h.untilRetry()
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	r := h.repo("octocat", "widgets")
	if len(h.gh.Repos()) != 1 || len(r.Variables) != 1 || r.Variables[0].Value != h.status().Claim {
		t.Errorf("repositories %v, variables %+v, status claim %q", names(h.gh.Repos()), r.Variables, h.status().Claim)
	}
}

// The Secret's baseURL now names another GitHub where the recorded id is
// someone else's repository (ids are unique only within one GitHub): not
// one request goes there, and deleting the GitHubRepo touches nothing.
func TestAnotherGitHubWithTheSameID(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme", "description": "ours"})
	h.sync()
	other, otherBase := fake.Start(t)
	stranger, err := other.AddRepo(fake.NewRepo("acme", "stranger"))
	if err != nil || stranger.ID != h.status().RepoID {
		t.Fatalf("want colliding ids: %d and %d (%v)", stranger.ID, h.status().RepoID, err)
	}
	h.pointAt(otherBase)
	h.later(10 * time.Minute)
	h.sync()
	h.expect(v1.ConditionError, "True/IdentityMismatch")
	if resp := h.finalize(); resp.Finalized {
		t.Error("finalized with Delete against another GitHub")
	}
	h.edit(func(s map[string]any) { s["deletionPolicy"] = "Orphan" })
	if resp := h.finalize(); !resp.Finalized {
		t.Errorf("Orphan does not finish: %s", h.message(v1.ConditionError))
	}
	if n := len(other.Requests(fake.RequestFilter{})); n != 0 {
		t.Errorf("%d requests to the other GitHub", n)
	}
	if r, ok := other.RepoByID(stranger.ID); !ok || r.Name != "stranger" || r.Description != "" {
		t.Errorf("the other GitHub's repository changed: %+v", r)
	}
}

// Adopting a public repository without spec.visibility keeps it public,
// and deleting the GitHubRepo with the policy unset keeps the repository.
func TestAdoptKeepsWhatIsNotManaged(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme", "adoptExisting": true, "description": "adopted"})
	existing := fake.NewRepo("acme", "widgets")
	existing.Visibility = "public"
	if _, err := h.gh.AddRepo(existing); err != nil {
		t.Fatal(err)
	}
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	st := h.status()
	if r := h.repo("acme", "widgets"); r.Visibility != "public" || r.Description != "adopted" || st.Origin != v1.OriginAdopted || st.DeletionPolicy != v1.DeletionOrphan {
		t.Errorf("repository %+v, status origin %s policy %s", r, st.Origin, st.DeletionPolicy)
	}
	if !h.finalize().Finalized {
		t.Fatal("not finalized")
	}
	if r := h.repo("acme", "widgets"); r.CustomProperties["hookops-claim"] != nil {
		t.Errorf("claim left behind: %v", r.CustomProperties)
	}
}

// The token loses access to the private repository (GitHub answers 404 for
// what a token cannot see): AccessLost, one create attempt at most, and a
// message that says what to do; access back, and all is well.
func TestAccessLost(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme", "visibility": "private"})
	h.sync()
	h.gh.SetTokenRepos(token, "acme/something-else")
	for range 3 {
		h.untilRetry()
		h.sync()
		h.expect(v1.ConditionError, "True/AccessLost")
	}
	if n := h.requests("POST", "/orgs/acme/repos"); n != 2 {
		t.Errorf("%d creates, want the first and one refused", n)
	}
	if !strings.Contains(h.message(v1.ConditionError), "Give the token access") {
		t.Errorf("message: %s", h.message(v1.ConditionError))
	}
	if len(h.gh.Repos()) != 1 {
		t.Errorf("repositories %v", names(h.gh.Repos()))
	}
	h.gh.SetTokenRepos(token)
	h.untilRetry()
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
}

// An owner whose new repositories start on master: auto-init with
// defaultBranch main ends Ready on main, the first branch renamed.
func TestAutoInitOnMasterOwner(t *testing.T) {
	cfg := fake.DefaultConfig()
	cfg.Orgs[0].DefaultBranch = "master"
	h := newHarness(t, map[string]any{"owner": "acme", "defaultBranch": "main", "init": map[string]any{"autoInit": true}}, fake.WithConfig(cfg))
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	if r := h.repo("acme", "widgets"); r.DefaultBranch != "main" || strings.Join(r.Branches, ",") != "main" {
		t.Errorf("default branch %s, branches %v", r.DefaultBranch, r.Branches)
	}
}

// spec.owner changed under a recorded repository (the CRD forbids it; an
// object from before that rule can still carry it): never Synced=True.
func TestOwnerChangeIsRefused(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme"})
	h.sync()
	h.edit(func(s map[string]any) { s["owner"] = "octocat" })
	h.sync()
	h.expect(v1.ConditionSynced, "False/ReconcileError")
	h.expect(v1.ConditionError, "True/InvalidSpec")
	if len(h.gh.Repos()) != 1 {
		t.Errorf("repositories %v", names(h.gh.Repos()))
	}
}
