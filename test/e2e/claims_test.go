package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/stack"
	"github.com/hookops/hookops/test/testkit"
)

// claimOn is the ownership claim the fake GitHub holds for a repository.
func claimOn(id int64) string {
	r, _ := env.GitHub.RepoByID(id)
	v, _ := r.CustomProperties["hookops-claim"].(string)
	return v
}

// Two GitHubRepos in two namespaces name one repository: the second, with
// adoptExisting, is refused with OwnedElsewhere and sends no write over
// three resyncs; deleting it leaves the repository untouched.
func TestSecondOwnerIsRefused(t *testing.T) {
	parallel(t)
	timed(t)
	first, second := newUser(t, "o1"), newUser(t, "o2")
	first.secret()
	second.secret()
	first.repo("shared", "  name: o1-shared\n  description: the first owner's\n")
	r := first.waitCondition("shared", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, time.Minute)
	claim := claimOn(r.Status.RepoID)
	if claim != r.Status.Claim || !strings.Contains(claim, "/e2e-o1/shared/") {
		t.Fatalf("claim on GitHub %q, in status %q", claim, r.Status.Claim)
	}
	second.repo("shared", "  name: o1-shared\n  description: the second owner's\n  adoptExisting: true\n  deletionPolicy: Delete\n")
	refused := second.waitCondition("shared", v1.ConditionError, "True", v1.ReasonOwnedElsewhere, time.Minute)
	if !strings.Contains(conditionMessage(refused, v1.ConditionError), "e2e-o1/shared") {
		t.Errorf("the refusal does not name the owner:\n%s", formatStatus(refused))
	}
	lookups := fake.RequestFilter{Method: "GET", Path: "/repos/acme/o1-shared"}
	testkit.Eventually(t, time.Minute, "three looks by the second owner", func() (bool, string) {
		reqs := second.requests(lookups)
		return len(reqs) >= 3, formatRequests(reqs)
	})
	second.deleteRepos("shared")
	second.waitGone("shared", time.Minute)
	if w := mutations(second.requests(fake.RequestFilter{})); len(w) != 0 {
		t.Errorf("writes by the refused GitHubRepo:\n%s", formatRequests(w))
	}
	if repo, ok := env.GitHub.RepoByID(r.Status.RepoID); !ok || repo.Description != "the first owner's" || claimOn(repo.ID) != claim {
		t.Errorf("the first owner's repository changed: %+v (found %v)", repo, ok)
	}
}

func conditionMessage(r *v1.GitHubRepo, typ string) string {
	for _, c := range r.Status.Conditions {
		if c.Type == typ {
			return c.Message
		}
	}
	return ""
}

// Two hookops installations, each with its own cluster id, control plane
// and Metacontroller, against one GitHub: same names, and they never fight.
func TestTwoInstallationsNeverFight(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "o3")
	u.secret()
	u.repo("twin", "  name: o3-twin\n  description: installation one\n")
	r := u.waitCondition("twin", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, time.Minute)

	_, kubectl := startInstallation(t, stack.Options{ClusterID: "other", GitHubURL: env.GitHubURL})
	kubectl(fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: e2e-o3}
---
apiVersion: v1
kind: Secret
metadata: {name: gh-token, namespace: e2e-o3}
stringData: {token: %s, baseURL: "%s"}
---
apiVersion: github.hookops.dev/v1
kind: GitHubRepo
metadata: {name: twin, namespace: e2e-o3}
spec: {owner: acme, name: o3-twin, description: installation two, adoptExisting: true, credentialsSecretRef: {name: gh-token}}
`, u.token, env.GitHubURL), "apply", "-f", "-")
	testkit.Eventually(t, time.Minute, "the second installation refuses", func() (bool, string) {
		out := kubectl("", "get", "ghr", "twin", "-n", "e2e-o3", "-o", `jsonpath={.status.conditions[?(@.type=="Error")].reason} {.status.conditions[?(@.type=="Error")].message}`)
		return strings.HasPrefix(out, v1.ReasonOwnedElsewhere) && strings.Contains(out, `cluster "local"`), out
	})
	// Both keep syncing for a while; neither writes to the repository.
	start := time.Now()
	time.Sleep(12 * time.Second)
	if w := mutations(since(u.repoRequests("o3-twin", r.Status.RepoID), start)); len(w) != 0 {
		t.Errorf("writes to the repository while both installations run:\n%s", formatRequests(w))
	}
	if repo, _ := env.GitHub.RepoByID(r.Status.RepoID); repo.Description != "installation one" || claimOn(repo.ID) != r.Status.Claim {
		t.Errorf("repository %+v, claim %q", repo, claimOn(repo.ID))
	}
}

// The answer of each write step is lost after GitHub made the change (the
// fake's Fault.After; GitHub documents that a request that times out may
// have been completed): exactly one repository each, Ready and claimed, and
// deleting the GitHubRepos deletes them. It runs alone, before the parallel
// scenarios, because the create's fault is on a path every user shares.
func TestLostAnswers(t *testing.T) {
	timed(t)
	u := newUser(t, "o4")
	u.secret()
	steps := []struct{ name, method, path, patch string }{
		{"create", "POST", "/orgs/acme/repos", ""},
		{"update", "PATCH", "/repos/acme/o4-update", `{"spec":{"description":"changed"}}`},
		{"rename", "PATCH", "/repos/acme/o4-rename", `{"spec":{"name":"o4-renamed"}}`},
		{"topics", "PUT", "/repos/acme/o4-topics/topics", `{"spec":{"topics":["lost"]}}`},
		{"archive", "PATCH", "/repos/acme/o4-archive", `{"spec":{"archived":true}}`},
	}
	for _, s := range steps[1:] {
		u.repo(s.name, fmt.Sprintf("  name: o4-%s\n", s.name))
	}
	for _, s := range steps[1:] {
		u.waitCondition(s.name, v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, time.Minute)
	}
	for _, s := range steps {
		env.GitHub.InjectFault(fake.Fault{Method: s.method, Path: s.path, After: true, Status: 502, Times: 1})
	}
	u.repo("create", "  name: o4-create\n")
	for _, s := range steps[1:] {
		u.patch(s.name, s.patch)
	}
	ids := map[string]int64{}
	for _, s := range steps {
		r := u.waitFor(s.name, "Synced after a lost answer", 2*time.Minute, func(r *v1.GitHubRepo) bool {
			return hasCondition(r, v1.ConditionSynced, "True", v1.ReasonReconcileSuccess) && r.Status.ConsecutiveFailures == 0 &&
				hasCondition(r, v1.ConditionReady, "True", v1.ReasonAvailable)
		})
		ids[s.name] = r.Status.RepoID
		if claimOn(r.Status.RepoID) != r.Status.Claim || r.Status.Claim == "" {
			t.Errorf("%s: claim on GitHub %q, in status %q", s.name, claimOn(r.Status.RepoID), r.Status.Claim)
		}
	}
	if faults := faulted(u.requests(fake.RequestFilter{})); len(faults) != len(steps) {
		t.Errorf("want one lost answer per step:\n%s", formatRequests(faults))
	}
	if n := len(u.reposCreated()); n != len(steps) {
		t.Errorf("%d repositories for %d GitHubRepos", n, len(steps))
	}
	env.GitHub.InjectFault(fake.Fault{Method: "DELETE", Path: "/repos/acme/o4-update", After: true, Status: 502, Times: 1})
	names := make([]string, 0, len(steps))
	for _, s := range steps {
		names = append(names, s.name)
	}
	u.deleteRepos(names...)
	for _, s := range steps {
		u.waitGone(s.name, 2*time.Minute)
		if repo, ok := env.GitHub.RepoByID(ids[s.name]); ok {
			t.Errorf("%s: repository still there after deletion: %+v", s.name, repo)
		}
	}
}

// The Secret's baseURL now names another GitHub on which the recorded id
// belongs to someone else's repository: nothing is sent there, the object
// says IdentityMismatch, and its deletion (Delete) waits.
func TestAnotherGitHubWithTheSameID(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "o5")
	u.secret()
	u.repo("moved", "  name: o5-moved\n")
	r := u.waitCondition("moved", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, time.Minute)
	cfg := fake.DefaultConfig()
	cfg.Tokens[u.token] = u.login
	cfg.Orgs[0].Members[u.login] = fake.RoleAdmin
	cfg.FirstRepoID = r.Status.RepoID - 1
	other, otherURL := fake.Start(t, fake.WithConfig(cfg))
	stranger, err := other.AddRepo(fake.NewRepo("acme", "stranger"))
	if err != nil || stranger.ID != r.Status.RepoID {
		t.Fatalf("want the same id on both: %d and %d (%v)", stranger.ID, r.Status.RepoID, err)
	}
	u.kubectlApply(fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: gh-token, namespace: %s}\nstringData: {token: %s, baseURL: \"%s\"}\n", u.ns, u.token, otherURL))
	u.waitCondition("moved", v1.ConditionError, "True", v1.ReasonIdentityMismatch, time.Minute)
	u.deleteRepos("moved")
	time.Sleep(8 * time.Second)
	if !u.exists("moved") {
		t.Error("deleted with policy Delete against another GitHub")
	}
	u.patch("moved", `{"spec":{"deletionPolicy":"Orphan"}}`)
	u.waitGone("moved", time.Minute)
	if n := len(other.Requests(fake.RequestFilter{})); n != 0 {
		t.Errorf("%d requests reached the other GitHub", n)
	}
	if repo, ok := other.RepoByID(stranger.ID); !ok || repo.Name != "stranger" {
		t.Errorf("the other GitHub's repository: %+v (found %v)", repo, ok)
	}
}

// Adopting a public repository without spec.visibility keeps it public;
// deleting the GitHubRepo with the policy unset keeps the repository.
func TestAdoptionKeepsWhatIsNotManaged(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "o6")
	existing := fake.NewRepo("acme", "o6-public")
	existing.Visibility = "public"
	repo, err := env.GitHub.AddRepo(existing)
	if err != nil {
		t.Fatal(err)
	}
	u.secret()
	u.repo("public", "  name: o6-public\n  adoptExisting: true\n  description: adopted\n")
	r := u.waitCondition("public", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, time.Minute)
	if r.Status.Origin != v1.OriginAdopted || r.Status.DeletionPolicy != v1.DeletionOrphan || r.Status.Visibility != "public" {
		t.Errorf("status:\n%s", formatStatus(r))
	}
	if now, _ := env.GitHub.RepoByID(repo.ID); now.Visibility != "public" || now.Description != "adopted" {
		t.Errorf("repository after adoption: %+v", now)
	}
	u.deleteRepos("public")
	u.waitGone("public", time.Minute)
	if now, ok := env.GitHub.RepoByID(repo.ID); !ok || now.Visibility != "public" || claimOn(repo.ID) != "" {
		t.Errorf("repository after deletion: %+v (found %v), claim %q", now, ok, claimOn(repo.ID))
	}
}

// The token loses access to the private repository: AccessLost with what
// to do, no create loop; access back, and it is Synced again.
func TestAccessLost(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "o7")
	u.secret()
	u.repo("hidden", "  name: o7-hidden\n  visibility: private\n")
	r := u.waitCondition("hidden", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, time.Minute)
	env.GitHub.SetTokenRepos(u.token, "acme/o7-nothing")
	t.Cleanup(func() { env.GitHub.SetTokenRepos(u.token) })
	lost := u.waitCondition("hidden", v1.ConditionError, "True", v1.ReasonAccessLost, time.Minute)
	if !strings.Contains(conditionMessage(lost, v1.ConditionError), "Give the token access") {
		t.Errorf("message:\n%s", formatStatus(lost))
	}
	creates := fake.RequestFilter{Method: "POST", Path: "/orgs/acme/repos"}
	testkit.Eventually(t, time.Minute, "two more looks", func() (bool, string) {
		reqs := u.requests(fake.RequestFilter{Method: "GET", Path: "/repos/acme/o7-hidden"})
		return len(reqs) >= 3, formatRequests(reqs)
	})
	if n := len(u.requests(creates)); n != 2 {
		t.Errorf("%d creates, want the first and one refused:\n%s", n, formatRequests(u.requests(creates)))
	}
	env.GitHub.SetTokenRepos(u.token)
	back := u.waitCondition("hidden", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, time.Minute)
	if back.Status.RepoID != r.Status.RepoID || len(u.reposCreated()) != 1 {
		t.Errorf("after access came back:\n%s", formatStatus(back))
	}
}

// Auto-init on an owner whose new repositories start on master, with
// defaultBranch main: Ready, on main. And spec.owner cannot change.
func TestAutoInitOnMasterAndOwnerIsFixed(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "o8")
	u.secret()
	u.kubectlApply(fmt.Sprintf(`apiVersion: github.hookops.dev/v1
kind: GitHubRepo
metadata: {name: fresh, namespace: %s}
spec:
  owner: oldco
  name: o8-fresh
  defaultBranch: main
  init: {autoInit: true}
  credentialsSecretRef: {name: gh-token}
`, u.ns))
	r := u.waitCondition("fresh", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, time.Minute)
	repo, _ := env.GitHub.RepoByID(r.Status.RepoID)
	if repo.DefaultBranch != "main" || strings.Join(repo.Branches, ",") != "main" || r.Status.DefaultBranch != "main" {
		t.Errorf("repository %+v, status default branch %s", repo, r.Status.DefaultBranch)
	}
	out, err := u.kubectl("patch", "ghr", "fresh", "-n", u.ns, "--type", "merge", "-p", `{"spec":{"owner":"acme"}}`)
	if err == nil || !strings.Contains(out, "spec.owner cannot change") {
		t.Errorf("owner change: err %v\n%s", err, out)
	}
}
