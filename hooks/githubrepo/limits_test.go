package githubrepo_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/budget"
	"github.com/hookops/hookops/test/fakegithub/fake"
)

// When GitHub says a credential hit a secondary limit, no GitHubRepo on
// that credential sends anything before the time GitHub named, and each
// says so. GitHub: "If you continue to make requests while you are rate
// limited, this may result in the banning of your integration."
// https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
func TestLimitedCredentialStopsEveryObject(t *testing.T) {
	limits := fake.DefaultLimits()
	limits.ContentPerMinute, limits.Answer = 1, fake.AnswerRetryAfter403
	first := newHarness(t, map[string]any{"owner": "acme", "name": "a"}, fake.WithLimits(limits))
	// A budget with no limits of its own, as when someone else spends the
	// same token: only GitHub's answer can stop it.
	first.hooks.Budget = budget.New(budget.Limits{InFlight: 10, Replicas: 1})
	second := first.twin("team-b", "u-2", map[string]any{"owner": "acme", "name": "b"})

	first.sync()
	first.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	second.now = time.Now()
	second.sync()
	second.expect(v1.ConditionError, "True/RateLimited")
	if msg := second.message(v1.ConditionError); !strings.Contains(msg, "secondary") {
		t.Errorf("message %q does not say which limit", msg)
	}

	sent := len(first.gh.Requests(fake.RequestFilter{}))
	first.edit(func(s map[string]any) { s["description"] = "changed" })
	first.now = time.Now()
	first.sync()
	first.expect(v1.ConditionError, "True/RateLimited")
	if msg := first.message(v1.ConditionError); !strings.Contains(msg, "GitHub's secondary rate limit") || !strings.Contains(msg, "nothing is sent") {
		t.Errorf("message %q does not say that GitHub limited the credential and nothing is sent", msg)
	}
	if n := len(first.gh.Requests(fake.RequestFilter{})) - sent; n != 0 {
		t.Errorf("%d requests sent on a credential GitHub limited", n)
	}
	if rt := first.status().RetryTime; rt == nil || rt.Time.Before(time.Now().Add(50*time.Second)) {
		t.Errorf("retryTime %v, want the minute GitHub asked for", rt)
	}
}

// Credentials are independent: while one token's GitHubRepos queue for
// its budget, another token's repository is created at once, and no hook
// call waits longer than the budget's longest wait.
func TestBusyCredentialDoesNotHoldAnother(t *testing.T) {
	busy := newHarness(t, map[string]any{"owner": "acme", "name": "busy-0"})
	busy.hooks.Budget = budget.New(budget.DefaultLimits())
	var flood []*harness
	for i := range 12 {
		flood = append(flood, busy.twin(fmt.Sprintf("busy-%d", i), fmt.Sprintf("u-busy-%d", i), map[string]any{"owner": "acme", "name": fmt.Sprintf("busy-%d", i)}))
	}
	quiet := busy.twin("quiet", "u-quiet", map[string]any{"owner": "acme", "name": "quiet"})
	quiet.secret = quiet.makeSecret(map[string]string{"token": "ghp_exampletoken", "baseURL": busy.base})
	quiet.secret["metadata"].(map[string]any)["namespace"] = "quiet"

	var wg sync.WaitGroup
	longest := make([]time.Duration, len(flood))
	for i, h := range flood {
		wg.Go(func() {
			start := time.Now()
			resp, err := h.hooks.Sync(context.Background(), h.request(false))
			longest[i] = time.Since(start)
			if err != nil || resp == nil {
				t.Errorf("busy sync: %v", err)
			}
		})
	}
	time.Sleep(50 * time.Millisecond) // the flood is under way
	start := time.Now()
	quiet.sync()
	took := time.Since(start)
	wg.Wait()
	quiet.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	// Waiting behind the flood would take the budget's longest wait, 1 s.
	if took > 900*time.Millisecond {
		t.Errorf("the quiet credential's sync took %s behind another's flood", took)
	}
	t.Logf("quiet sync %s; busy syncs %v", took, longest)
	for i, d := range longest {
		if d > 3*time.Second {
			t.Errorf("busy sync %d held its caller %s, longer than the budget's longest wait allows", i, d)
		}
	}
}

// GitHub Enterprise Server with rate limiting off sends no rate-limit
// headers; with the budget's limits set to none, nothing waits for a limit
// that does not exist, and no reading is made up.
// "API rate limits are disabled by default for GitHub Enterprise Server":
// https://docs.github.com/en/enterprise-server@3.18/apps/creating-github-apps/setting-up-a-github-app/rate-limits-for-github-apps
func TestEnterpriseWithoutRateLimits(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme", "name": "ghes-0"}, fake.WithEnterprise())
	h.hooks.Budget = budget.New(budget.Limits{InFlight: 10, Replicas: 1})
	start := time.Now()
	for i := range 20 {
		tw := h.twin(fmt.Sprintf("team-%d", i), fmt.Sprintf("u-%d", i), map[string]any{"owner": "acme", "name": fmt.Sprintf("ghes-%d", i)})
		tw.sync()
		tw.expect(v1.ConditionSynced, "True/ReconcileSuccess")
		if st := tw.status(); st.RateLimit != nil {
			t.Errorf("status.rateLimit %+v from an answer without rate-limit headers", st.RateLimit)
		}
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("20 creates took %s with every limit off", took)
	}
}

// Orphan finishes when GitHub cannot be asked, but a rate limit lifts at
// a known time: an Orphan finalize held back by the budget waits for it
// and then removes the claim, rather than leaving the claim behind.
func TestOrphanWaitsForTheBudget(t *testing.T) {
	first := newHarness(t, map[string]any{"owner": "acme", "name": "orphan-0", "deletionPolicy": "Orphan"})
	second := first.twin("team-b", "u-2", map[string]any{"owner": "acme", "name": "orphan-1", "deletionPolicy": "Orphan"})
	for _, h := range []*harness{first, second} {
		h.sync()
		h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	}
	// One write a minute: the second claim removal must wait.
	first.hooks.Budget = budget.New(budget.Limits{Content: []budget.Window{{N: 1, Per: time.Minute}}, InFlight: 10, Replicas: 1})
	second.hooks.Budget = first.hooks.Budget
	if !first.finalize().Finalized {
		t.Fatalf("the first Orphan did not finish: %s", first.message(v1.ConditionError))
	}
	second.now = time.Now()
	if second.finalize().Finalized {
		t.Fatal("the second Orphan finished without removing its claim")
	}
	second.expect(v1.ConditionError, "True/RateLimited")
	if r := second.repo("acme", "orphan-1"); r.CustomProperties["hookops-claim"] == nil {
		t.Error("the claim was removed while the budget said wait")
	}
}

// Archive removes the claim, then archives. When the archive must wait
// (here for the budget), the next finalize recognises the repository whose
// claim it removed, and archives it: it does not leave it unarchived.
func TestArchiveInterruptedFinishes(t *testing.T) {
	h := newHarness(t, map[string]any{"owner": "acme", "deletionPolicy": "Archive"})
	h.sync()
	h.expect(v1.ConditionSynced, "True/ReconcileSuccess")
	// One write a second: the claim removal goes, the archive waits.
	h.hooks.Budget = budget.New(budget.Limits{Content: []budget.Window{{N: 1, Per: time.Second}}, InFlight: 10, Replicas: 1, MaxWait: time.Millisecond})
	h.now = time.Now()
	if h.finalize().Finalized {
		t.Fatal("finalized before archiving")
	}
	if r := h.repo("acme", "widgets"); r.Archived || r.CustomProperties["hookops-claim"] != nil {
		t.Fatalf("after the first finalize: archived %v, claim %v; want the claim removed and the archive to come", r.Archived, r.CustomProperties["hookops-claim"])
	}
	time.Sleep(time.Second)
	h.now = time.Now()
	if !h.finalize().Finalized {
		t.Fatalf("the second finalize did not finish: %s", h.message(v1.ConditionError))
	}
	if r := h.repo("acme", "widgets"); !r.Archived {
		t.Error("the repository was left unarchived")
	}
}
