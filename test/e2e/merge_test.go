package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/testkit"
)

// Scenario "merge settings": a GitHubRepo created with merge settings has
// them on GitHub (those GitHub's create request takes, in it; the others
// in the one update after it) and lists them in status.managedSettings;
// a changed setting costs one update; a setting changed by hand on GitHub
// is put back at the next resync.
func TestMergeSettings(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "m1")
	u.secret()
	spec := `  name: m1-merge
  allowMergeCommit: false
  allowAutoMerge: true
  deleteBranchOnMerge: true
  squashMergeCommitTitle: PR_TITLE
  squashMergeCommitMessage: PR_BODY
  webCommitSignoffRequired: true
`
	u.repo("merge", spec)
	r := u.waitCondition("merge", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 30*time.Second)
	id := r.Status.RepoID
	want := []string{"allowAutoMerge", "allowMergeCommit", "deleteBranchOnMerge", "squashMergeCommitMessage", "squashMergeCommitTitle", "webCommitSignoffRequired"}
	if !slices.Equal(r.Status.ManagedSettings, want) {
		t.Errorf("status.managedSettings = %q, want %q", r.Status.ManagedSettings, want)
	}
	repo, ok := env.GitHub.RepoByID(id)
	if !ok {
		t.Fatalf("fake GitHub has no repository %d", id)
	}
	if *repo.AllowMergeCommit || !*repo.AllowSquashMerge || !repo.AllowAutoMerge || !repo.DeleteBranchOnMerge ||
		repo.SquashMergeCommitTitle != "PR_TITLE" || repo.SquashMergeCommitMessage != "PR_BODY" || !repo.WebCommitSignoffRequired {
		t.Errorf("merge settings on GitHub = %s, want the spec's", settings(repo))
	}
	// The create request carries what GitHub's takes; web commit sign-off,
	// and delete-branch-on-merge in an organization (GitHub takes it at
	// creation from an organization owner only), follow in one update.
	if w := mutations(u.repoRequests("m1-merge", id)); len(w) != 1 || w[0].Method != "PATCH" {
		t.Errorf("writes after the create, want one PATCH:\n%s", formatRequests(w))
	}

	changed := time.Now()
	u.repo("merge", spec+"  allowRebaseMerge: false\n")
	testkit.Eventually(t, 30*time.Second, "allowRebaseMerge: false on GitHub", func() (bool, string) {
		repo, _ := env.GitHub.RepoByID(id)
		return repo.AllowRebaseMerge != nil && !*repo.AllowRebaseMerge, settings(repo)
	})
	r = u.waitFor("merge", "synced at the new generation", 30*time.Second, func(r *v1.GitHubRepo) bool {
		return r.Status.ObservedGeneration == r.Generation && hasCondition(r, v1.ConditionSynced, "True", v1.ReasonReconcileSuccess)
	})
	if !slices.Contains(r.Status.ManagedSettings, "allowRebaseMerge") {
		t.Errorf("status.managedSettings = %q, want allowRebaseMerge listed", r.Status.ManagedSettings)
	}
	if w := mutations(since(u.repoRequests("m1-merge", id), changed)); len(w) != 1 || w[0].Method != "PATCH" {
		t.Errorf("the change took these writes, want one PATCH:\n%s", formatRequests(w))
	}

	edited := time.Now()
	if _, err := env.GitHub.EditRepo("acme", "m1-merge", func(r *fake.Repo) error {
		r.AllowAutoMerge, r.SquashMergeCommitMessage = false, "BLANK"
		r.AllowUpdateBranch = true // not in the spec: not managed
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 15*time.Second, "merge settings put back", func() (bool, string) {
		repo, _ := env.GitHub.RepoByID(id)
		return repo.AllowAutoMerge && repo.SquashMergeCommitMessage == "PR_BODY", settings(repo)
	})
	t.Logf("merge settings put back %s after the edit", time.Since(edited).Round(100*time.Millisecond))
	if repo, _ := env.GitHub.RepoByID(id); !repo.AllowUpdateBranch {
		t.Errorf("allow_update_branch was changed back; it is not in the spec, so the value set by hand must stay")
	}
	if w := mutations(since(u.repoRequests("m1-merge", id), edited)); len(w) != 1 || w[0].Method != "PATCH" {
		t.Errorf("putting the settings back took these writes, want one PATCH:\n%s", formatRequests(w))
	}
	u.waitCondition("merge", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 10*time.Second)
}

// settings shows a repository's merge settings for a failure message.
func settings(r fake.Repo) string {
	on := func(p *bool) bool { return p != nil && *p }
	m := r.MergeSettings
	return fmt.Sprintf("merge commit %v, squash %v, rebase %v, auto-merge %v, delete branch %v, update branch %v, squash %s/%s, sign-off %v",
		on(m.AllowMergeCommit), on(m.AllowSquashMerge), on(m.AllowRebaseMerge), m.AllowAutoMerge, m.DeleteBranchOnMerge,
		m.AllowUpdateBranch, m.SquashMergeCommitTitle, m.SquashMergeCommitMessage, m.WebCommitSignoffRequired)
}
