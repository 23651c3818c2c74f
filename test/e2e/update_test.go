package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/testkit"
)

// sortedTopics compares topics as the set GitHub keeps.
func sortedTopics(t []string) string {
	s := slices.Clone(t)
	slices.Sort(s)
	return strings.Join(s, ",")
}

// Scenario 2: changing description, topics and visibility is applied
// (Synced=True, the fake matches); changing spec.name renames the
// repository, which keeps its id.
func TestUpdateAndRename(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "s2")
	u.secret()
	u.repo("gadgets", `  name: s2-gadgets
  visibility: private
  description: Gadgets, first draft
  topics: [alpha, beta]
`)
	// Synced, not only Ready: Ready is True as soon as the repository
	// exists, while the topics may still be waiting for their write slot.
	r := u.waitCondition("gadgets", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 30*time.Second)
	id := r.Status.RepoID

	// Description, topics and visibility.
	changed := time.Now()
	u.repo("gadgets", `  name: s2-gadgets
  visibility: public
  description: Gadgets for everyone
  topics: [gamma, beta, delta]
`)
	r = u.waitCondition("gadgets", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 30*time.Second)
	repo, ok := env.GitHub.RepoByID(id)
	if !ok {
		t.Fatalf("repository %d is gone from the fake", id)
	}
	if repo.Visibility != "public" || repo.Description != "Gadgets for everyone" || sortedTopics(repo.Topics) != "beta,delta,gamma" {
		t.Errorf("after the update the fake has visibility %q, description %q, topics %v; want public, %q, [beta delta gamma]",
			repo.Visibility, repo.Description, repo.Topics, "Gadgets for everyone")
	}
	if r.Status.Visibility != "public" || r.Status.RepoID != id {
		t.Errorf("status visibility %q, repoID %d; want public, %d", r.Status.Visibility, r.Status.RepoID, id)
	}
	writes := mutations(since(u.repoRequests("s2-gadgets", id), changed))
	var patches, topicPuts int
	for _, w := range writes {
		switch {
		case w.Method == "PATCH" && w.Path == "/repos/acme/s2-gadgets":
			patches++
		case w.Method == "PUT" && w.Path == "/repos/acme/s2-gadgets/topics":
			topicPuts++
		default:
			t.Errorf("unexpected write %s %s", w.Method, w.Path)
		}
	}
	if patches != 1 || topicPuts != 1 {
		t.Errorf("the update took %d PATCH and %d PUT topics, want 1 and 1:\n%s", patches, topicPuts, formatRequests(writes))
	}

	// Rename.
	renamed := time.Now()
	u.repo("gadgets", `  name: s2-gadgets-v2
  visibility: public
  description: Gadgets for everyone
  topics: [gamma, beta, delta]
`)
	r = u.waitCondition("gadgets", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 30*time.Second)
	repo, ok = env.GitHub.Repo("acme", "s2-gadgets-v2")
	if !ok || repo.ID != id {
		t.Fatalf("acme/s2-gadgets-v2 = %+v (found %v); want the repository with id %d", repo, ok, id)
	}
	if _, ok := env.GitHub.Repo("acme", "s2-gadgets"); ok {
		t.Errorf("acme/s2-gadgets still exists as a repository of its own after the rename")
	}
	if r.Status.RepoID != id || r.Status.FullName != "acme/s2-gadgets-v2" {
		t.Errorf("status repoID %d, fullName %q; want %d, acme/s2-gadgets-v2", r.Status.RepoID, r.Status.FullName, id)
	}
	if w := mutations(since(u.requests(fake.RequestFilter{}), renamed)); len(w) != 1 || w[0].Method != "PATCH" || w[0].Path != "/repos/acme/s2-gadgets" {
		t.Errorf("the rename took these writes, want one PATCH /repos/acme/s2-gadgets:\n%s", formatRequests(w))
	}
	if n := len(u.requests(fake.RequestFilter{Method: "POST"})); n != 1 {
		t.Errorf("%d create requests in all, want 1", n)
	}
	if n := len(u.reposCreated()); n != 1 {
		t.Errorf("%s created %d repositories, want 1", u.login, n)
	}
	testkit.Eventually(t, 10*time.Second, "record ConfigMap follows the rename", func() (bool, string) {
		cm, err := u.kube.CoreV1().ConfigMaps(u.ns).Get(testkit.Context(t), "gadgets-github", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return cm.Data["repoID"] == fmt.Sprint(id) && cm.Data["fullName"] == "acme/s2-gadgets-v2", fmt.Sprintf("data = %v", cm.Data)
	})
}

// Scenario 3: drift made by hand on GitHub is put back at the next resync
// (5s in the e2e stack); a field the spec leaves unset stays as set by
// hand; a rename made on GitHub is followed by id and undone.
func TestDriftIsPutBack(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "s3")
	u.secret()
	u.repo("drift", `  name: s3-drift
  visibility: private
  description: Kept in line
  topics: [drift, k8s]
  features: {issues: true, wiki: false}
`)
	r := u.waitCondition("drift", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 30*time.Second)
	id := r.Status.RepoID
	matches := func() (bool, string) {
		repo, ok := env.GitHub.RepoByID(id)
		if !ok {
			return false, "the repository is gone"
		}
		ok = repo.Name == "s3-drift" && repo.Visibility == "private" && repo.Description == "Kept in line" &&
			sortedTopics(repo.Topics) == "drift,k8s" && repo.HasIssues && !repo.HasWiki
		return ok, fmt.Sprintf("fake repository: %+v", repo)
	}

	edited := time.Now()
	if _, err := env.GitHub.EditRepo("acme", "s3-drift", func(r *fake.Repo) error {
		r.Visibility, r.Description, r.Topics = "public", "changed by hand", []string{"manual"}
		r.HasIssues, r.HasWiki = false, true
		r.Homepage = "https://example.com/by-hand" // not in the spec: not managed
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 15*time.Second, "drift put back", matches)
	t.Logf("drift put back %s after the edit", time.Since(edited).Round(100*time.Millisecond))
	repo, _ := env.GitHub.RepoByID(id)
	if repo.Homepage != "https://example.com/by-hand" {
		t.Errorf("homepage = %q; it is not in the spec, so the value set by hand must stay", repo.Homepage)
	}
	writes := mutations(since(u.repoRequests("s3-drift", id), edited))
	if len(writes) != 2 {
		t.Errorf("putting the drift back took these writes, want one PATCH and one PUT topics:\n%s", formatRequests(writes))
	}

	renamed := time.Now()
	if _, err := env.GitHub.EditRepo("acme", "s3-drift", func(r *fake.Repo) error {
		r.Name = "s3-drift-by-hand"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 15*time.Second, "rename made on GitHub undone", matches)
	t.Logf("rename undone %s after it was made", time.Since(renamed).Round(100*time.Millisecond))
	if repo, ok := env.GitHub.Repo("acme", "s3-drift"); !ok || repo.ID != id {
		t.Errorf("acme/s3-drift = %+v, %v; want id %d", repo, ok, id)
	}
	if n := len(u.reposCreated()); n != 1 {
		t.Errorf("%s created %d repositories, want 1", u.login, n)
	}
	u.waitCondition("drift", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 10*time.Second)
}
