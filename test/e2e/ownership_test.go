package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/testkit"
)

// Scenario 7: a repository of that name already exists and adoptExisting is
// not set → AlreadyExists, and the repository is not touched; with
// adoptExisting: true it is adopted (its id recorded, the spec applied).
func TestAdoptExisting(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "s7")
	taken := fake.NewRepo("acme", "s7-taken")
	taken.Description, taken.Topics = "made by hand", []string{"legacy"}
	existing, err := env.GitHub.AddRepo(taken)
	if err != nil {
		t.Fatal(err)
	}
	u.secret()
	u.repo("taken", `  name: s7-taken
  description: Adopted by hookops
  topics: [adopted]
`)
	r := u.waitCondition("taken", v1.ConditionError, "True", v1.ReasonAlreadyExists, 20*time.Second)
	if !hasCondition(r, v1.ConditionReady, "False", v1.ReasonCreating) || r.Status.RepoID != 0 {
		t.Errorf("a repository that is not ours must not be recorded; want Ready=False/Creating and no repoID:\n%s", formatStatus(r))
	}
	// One retry more, to see it stays untouched across syncs.
	lookups := fake.RequestFilter{Method: "GET", Path: "/repos/acme/s7-taken"}
	testkit.Eventually(t, 15*time.Second, "a second look at acme/s7-taken", func() (bool, string) {
		reqs := u.requests(lookups)
		return len(reqs) >= 2, formatRequests(reqs)
	})
	if w := mutations(u.requests(fake.RequestFilter{})); len(w) != 0 {
		t.Errorf("writes of %s while the repository was not its own:\n%s", u.login, formatRequests(w))
	}
	if now, _ := env.GitHub.RepoByID(existing.ID); now.Description != "made by hand" || sortedTopics(now.Topics) != "legacy" || !now.UpdatedAt.Equal(existing.UpdatedAt) {
		t.Errorf("the existing repository changed: %+v", now)
	}
	if _, err := u.kube.CoreV1().ConfigMaps(u.ns).Get(testkit.Context(t), "taken-github", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("record ConfigMap taken-github exists (or %v) for a repository that is not ours", err)
	}

	adopted := time.Now()
	u.patch("taken", `{"spec":{"adoptExisting":true}}`)
	r = u.waitCondition("taken", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 30*time.Second)
	t.Logf("adopted and synced %s after adoptExisting was set", time.Since(adopted).Round(100*time.Millisecond))
	if r.Status.RepoID != existing.ID || r.Status.FullName != "acme/s7-taken" || !hasCondition(r, v1.ConditionReady, "True", v1.ReasonAvailable) {
		t.Errorf("want Ready=True with repoID %d (the existing repository):\n%s", existing.ID, formatStatus(r))
	}
	if now, _ := env.GitHub.RepoByID(existing.ID); now.Description != "Adopted by hookops" || sortedTopics(now.Topics) != "adopted" {
		t.Errorf("the spec was not applied to the adopted repository: %+v", now)
	}
	if n := len(u.requests(fake.RequestFilter{Method: "POST"})); n != 0 {
		t.Errorf("%d create requests; adopting creates nothing", n)
	}
	testkit.Eventually(t, 10*time.Second, "record ConfigMap for the adopted repository", func() (bool, string) {
		cm, err := u.kube.CoreV1().ConfigMaps(u.ns).Get(testkit.Context(t), "taken-github", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return cm.Data["repoID"] == fmt.Sprint(existing.ID), fmt.Sprintf("data = %v", cm.Data)
	})
}

// Scenario 8: deleting a GitHubRepo carries out its deletionPolicy (Delete:
// the repository is gone; Archive: archived and kept; Orphan: untouched)
// and the object goes; a deletion GitHub refuses keeps the object, with
// Ready=False/Deleting and an Error condition, until it can be done.
func TestDeletionPolicies(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "s8")
	u.secret()
	policies := []string{"Delete", "Archive", "Orphan"}
	names := map[string]string{"Delete": "del-delete", "Archive": "del-archive", "Orphan": "del-orphan"}
	for _, p := range policies {
		u.repo(names[p], fmt.Sprintf(`  name: s8-%s
  description: Deleted with policy %s
  deletionPolicy: %s
`, names[p], p, p))
	}
	u.repo("blocked", `  name: s8-blocked
  description: Deleted once GitHub lets us
  deletionPolicy: Delete
`)
	ids := map[string]int64{}
	for _, name := range []string{"del-delete", "del-archive", "del-orphan", "blocked"} {
		ids[name] = u.waitCondition(name, v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 30*time.Second).Status.RepoID
	}
	orphan, _ := env.GitHub.RepoByID(ids["del-orphan"])

	deleted := time.Now()
	u.deleteRepos("del-delete", "del-archive", "del-orphan")
	for _, p := range policies {
		u.waitGone(names[p], 30*time.Second)
	}
	t.Logf("three GitHubRepos gone %s after kubectl delete", time.Since(deleted).Round(100*time.Millisecond))

	if repo, ok := env.GitHub.RepoByID(ids["del-delete"]); ok {
		t.Errorf("Delete: the repository still exists: %+v", repo)
	}
	if w := mutations(since(u.repoRequests("s8-del-delete", ids["del-delete"]), deleted)); len(w) != 1 || w[0].Method != "DELETE" || w[0].Status != 204 {
		t.Errorf("Delete: want exactly one DELETE answered 204:\n%s", formatRequests(w))
	}
	if repo, ok := env.GitHub.RepoByID(ids["del-archive"]); !ok || !repo.Archived {
		t.Errorf("Archive: want the repository kept and archived, got %+v (found %v)", repo, ok)
	}
	// Archive takes back the claim (an archived repository is read-only),
	// then archives.
	if w := mutations(since(u.repoRequests("s8-del-archive", ids["del-archive"]), deleted)); len(w) != 2 ||
		!strings.HasSuffix(w[0].Path, "/properties/values") || w[1].Method != "PATCH" || strings.HasSuffix(w[1].Path, "/properties/values") {
		t.Errorf("Archive: want the claim removed, then one PATCH that archives:\n%s", formatRequests(w))
	}
	if repo, ok := env.GitHub.RepoByID(ids["del-orphan"]); !ok || repo.Archived || repo.Description != orphan.Description || repo.CustomProperties["hookops-claim"] != nil {
		t.Errorf("Orphan: want the repository untouched but for the claim, got %+v (found %v), was %+v", repo, ok, orphan)
	}
	// A sync already under way when the deletion arrives may still read it;
	// the only write is the one that removes the claim.
	if w := mutations(since(u.repoRequests("s8-del-orphan", ids["del-orphan"]), deleted)); len(w) != 1 || !strings.HasSuffix(w[0].Path, "/properties/values") {
		t.Errorf("Orphan: want only the claim removed after kubectl delete:\n%s", formatRequests(w))
	}

	// A deletion GitHub refuses.
	blockedID := ids["blocked"]
	var faults []int
	for _, p := range []string{fmt.Sprintf("/repositories/%d", blockedID), "/repos/acme/s8-blocked"} {
		faults = append(faults, env.GitHub.InjectFault(fake.Fault{Path: p, Status: 500}))
	}
	removeFaults := func() {
		for _, f := range faults {
			env.GitHub.RemoveFault(f)
		}
	}
	// RemoveFault is a no-op for a fault already removed.
	t.Cleanup(removeFaults)
	u.deleteRepos("blocked")
	r := u.waitCondition("blocked", v1.ConditionError, "True", v1.ReasonGitHubUnavailable, 20*time.Second)
	if !hasCondition(r, v1.ConditionReady, "False", v1.ReasonDeleting) || r.DeletionTimestamp == nil ||
		!slices.Contains(r.Finalizers, "metacontroller.io/compositecontroller-githubrepo") {
		t.Errorf("a blocked deletion wants the object kept with its finalizer and Ready=False/Deleting:\n%s", formatStatus(r))
	}
	// It stays while GitHub keeps refusing: wait for a second refused attempt.
	testkit.Eventually(t, 20*time.Second, "a second refused deletion attempt", func() (bool, string) {
		reqs := u.repoRequests("s8-blocked", blockedID)
		return len(faulted(reqs)) >= 2, formatRequests(reqs)
	})
	if !u.exists("blocked") {
		t.Fatalf("the GitHubRepo went away while GitHub refused the deletion")
	}
	if _, ok := env.GitHub.RepoByID(blockedID); !ok {
		t.Fatalf("the repository is gone although every request to it failed")
	}
	fixed := time.Now()
	removeFaults()
	u.waitGone("blocked", 30*time.Second)
	t.Logf("blocked deletion finished %s after GitHub came back", time.Since(fixed).Round(100*time.Millisecond))
	if repo, ok := env.GitHub.RepoByID(blockedID); ok {
		t.Errorf("the blocked repository still exists after its deletion went through: %+v", repo)
	}
}
