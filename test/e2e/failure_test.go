package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/testkit"
)

// Scenario 4: GitHub answers 503 for a while → Error=True/GitHubUnavailable;
// the retries back off (≈5s, then ≈10s: min(5s·2^(n−1), 5m) ±10%); once
// the fault is gone the GitHubRepo recovers to Ready with the same
// repository.
func TestOutageBacksOff(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "s4")
	u.secret()
	u.repo("outage", `  name: s4-outage
  description: Survives an outage
`)
	r := u.waitCondition("outage", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 30*time.Second)
	id := r.Status.RepoID

	// Every sync starts with GET /repositories/<id>; this path is this
	// scenario's alone, and each failed sync attempt is exactly one request.
	byID := fmt.Sprintf("/repositories/%d", id)
	start := time.Now()
	fault := env.GitHub.InjectFault(fake.Fault{Path: byID, Status: 503})
	// RemoveFault is a no-op for a fault already removed.
	t.Cleanup(func() { env.GitHub.RemoveFault(fault) })
	attempts := func() []fake.Request { return since(u.requests(fake.RequestFilter{Method: "GET", Path: byID}), start) }

	// The first failure comes at the next resync (≤5s).
	r = u.waitCondition("outage", v1.ConditionError, "True", v1.ReasonGitHubUnavailable, 15*time.Second)
	if !hasCondition(r, v1.ConditionReady, "False", v1.ReasonUnavailable) || !hasCondition(r, v1.ConditionSynced, "False", v1.ReasonReconcileError) {
		t.Errorf("during the outage want Ready=False/Unavailable and Synced=False/ReconcileError:\n%s", formatStatus(r))
	}
	testkit.Eventually(t, 15*time.Second, "a second failed attempt", func() (bool, string) {
		a := attempts()
		return len(faulted(a)) >= 2, "attempts:\n" + formatRequests(a)
	})
	env.GitHub.RemoveFault(fault)
	faults := len(faulted(attempts()))

	// The third attempt, ≈10s after the second, finds GitHub back.
	r = u.waitCondition("outage", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 25*time.Second)
	recovered := time.Now()
	a := attempts()
	calls := 0
	for _, c := range u.hookCalls("outage", "sync") {
		if c.Time.After(start) && c.Time.Before(recovered) {
			calls++
		}
	}
	t.Logf("outage: %d GitHub attempts (%d faulted), %d sync hook calls, recovered %s after the fault was injected:\n%s",
		len(a), faults, calls, recovered.Sub(start).Round(100*time.Millisecond), formatRequests(a))
	if len(a) < 3 {
		t.Fatalf("want at least 3 attempts (2 failed, 1 recovered), got:\n%s", formatRequests(a))
	}
	if faults != 2 {
		t.Errorf("%d attempts failed before the fault was removed, want 2 (one at the resync, one ≈5s later):\n%s", faults, formatRequests(a))
	}
	// Retries are min(5s·2^(n−1), 5m) ±10% after the failure's answer, plus
	// the stand-in's scheduling and the next hook call's latency.
	const slack = 2 * time.Second
	gap1, gap2 := a[1].Time.Sub(a[0].Time), a[2].Time.Sub(a[1].Time)
	t.Logf("spacing of the attempts: %s, then %s", gap1.Round(10*time.Millisecond), gap2.Round(10*time.Millisecond))
	if gap1 < 4500*time.Millisecond || gap1 > 5500*time.Millisecond+slack {
		t.Errorf("first retry %s after the first failure, want 5s ±10%%", gap1.Round(10*time.Millisecond))
	}
	if gap2 < 9*time.Second || gap2 > 11*time.Second+slack {
		t.Errorf("second retry %s after the second failure, want 10s ±10%%", gap2.Round(10*time.Millisecond))
	}
	if !hasCondition(r, v1.ConditionReady, "True", v1.ReasonAvailable) || !hasCondition(r, v1.ConditionError, "False", v1.ReasonNoError) {
		t.Errorf("after the outage want Ready=True/Available and Error=False/NoError:\n%s", formatStatus(r))
	}
	if r.Status.RepoID != id || r.Status.ConsecutiveFailures != 0 {
		t.Errorf("after the outage repoID %d, consecutiveFailures %d; want %d, 0", r.Status.RepoID, r.Status.ConsecutiveFailures, id)
	}
	if n := len(u.requests(fake.RequestFilter{Method: "POST"})); n != 1 {
		t.Errorf("%d create requests, want 1 (no second repository)", n)
	}
	if n := len(u.reposCreated()); n != 1 {
		t.Errorf("%s created %d repositories, want 1", u.login, n)
	}
}

// Scenario 5: the token's primary budget is spent → RateLimited; nothing of
// this token reaches GitHub until the reset; after it the pending change is
// applied.
func TestRateLimitWaitsForReset(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "s5")
	u.secret()
	u.repo("budget", `  name: s5-budget
  description: Before the budget ran out
`)
	r := u.waitCondition("budget", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 30*time.Second)
	id := r.Status.RepoID

	// GitHub's reset is a whole second.
	reset := time.Now().Add(10 * time.Second).Truncate(time.Second)
	spent := time.Now()
	env.GitHub.SetRateLimit(u.token, fake.RateLimit{Remaining: 0, Reset: reset})
	u.repo("budget", `  name: s5-budget
  description: After the budget came back
`)
	r = u.waitCondition("budget", v1.ConditionError, "True", v1.ReasonRateLimited, time.Until(reset)-time.Second)
	if rl := r.Status.RateLimit; rl == nil || rl.Remaining != 0 || !rl.Reset.Time.Equal(reset) {
		t.Errorf("status.rateLimit = %+v, want remaining 0 and reset %s", rl, reset.Format(time.RFC3339))
	}
	r = u.waitCondition("budget", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, time.Until(reset)+15*time.Second)
	t.Logf("recovered %s after the reset", time.Since(reset).Round(100*time.Millisecond))
	if !hasCondition(r, v1.ConditionReady, "True", v1.ReasonAvailable) {
		t.Errorf("after the reset want Ready=True/Available:\n%s", formatStatus(r))
	}
	if repo, ok := env.GitHub.RepoByID(id); !ok || repo.Description != "After the budget came back" {
		t.Errorf("after the reset the fake has %+v (found %v); want the new description", repo, ok)
	}

	reqs := since(u.requests(fake.RequestFilter{}), spent)
	first := -1
	for i, q := range reqs {
		if q.Limited == "primary" {
			first = i
			break
		}
	}
	if first < 0 {
		t.Fatalf("no request of %s was refused by the primary rate limit:\n%s", u.login, formatRequests(reqs))
	}
	var early []fake.Request
	for _, q := range reqs[first+1:] {
		if q.Time.Before(reset) {
			early = append(early, q)
		}
	}
	if len(early) > 0 {
		t.Errorf("%d requests reached GitHub after the budget was found spent (%s) and before the reset (%s):\n%s",
			len(early), reqs[first].Time.Format("15:04:05.000"), reset.Format("15:04:05"), formatRequests(reqs))
	}
	if last := reqs[len(reqs)-1]; last.Limited != "" {
		t.Errorf("the last request was refused by a rate limit:\n%s", formatRequests(reqs))
	}
	t.Logf("requests since the budget was spent:\n%s", formatRequests(reqs))
}

// Scenario 6: the credentials Secret is missing → SecretNotFound, and
// nothing is sent; once it is created the repository is created.
func TestSecretCreatedLater(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "s6")
	u.repo("patient", `  name: s6-patient
  description: Waits for its Secret
`)
	r := u.waitCondition("patient", v1.ConditionError, "True", v1.ReasonSecretNotFound, 20*time.Second)
	if c := meta.FindStatusCondition(r.Status.Conditions, v1.ConditionError); !strings.Contains(c.Message, "gh-token") {
		t.Errorf("the SecretNotFound message does not name the Secret: %q", c.Message)
	}
	if !hasCondition(r, v1.ConditionReady, "False", v1.ReasonCreating) || !hasCondition(r, v1.ConditionSynced, "False", v1.ReasonReconcileError) {
		t.Errorf("without the Secret want Ready=False/Creating and Synced=False/ReconcileError:\n%s", formatStatus(r))
	}
	if reqs := u.requests(fake.RequestFilter{}); len(reqs) != 0 {
		t.Errorf("requests of %s before its Secret exists:\n%s", u.login, formatRequests(reqs))
	}

	created := time.Now()
	u.secret()
	u.waitCondition("patient", v1.ConditionReady, "True", v1.ReasonAvailable, 20*time.Second)
	t.Logf("Ready %s after the Secret was created", time.Since(created).Round(100*time.Millisecond))
	r = u.waitCondition("patient", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, 10*time.Second)
	if !hasCondition(r, v1.ConditionError, "False", v1.ReasonNoError) {
		t.Errorf("want Error=False/NoError once the Secret exists:\n%s", formatStatus(r))
	}
	if repos := u.reposCreated(); len(repos) != 1 || repos[0].ID != r.Status.RepoID || repos[0].Name != "s6-patient" {
		t.Errorf("%s created %+v; want exactly acme/s6-patient with id %d", u.login, repos, r.Status.RepoID)
	}
}
