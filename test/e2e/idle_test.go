package e2e

import (
	"testing"
	"time"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/test/fakegithub/fake"
	"github.com/hookops/hookops/test/testkit"
)

// An idle GitHubRepo costs nothing: over several resyncs (every 5 s here)
// the apiserver stores no new revision of it, and GitHub answers every
// read with a free 304.
func TestIdleWritesNothing(t *testing.T) {
	parallel(t)
	timed(t)
	u := newUser(t, "i1")
	u.secret()
	u.repo("idle", "  name: i1-idle\n  description: Nothing happens here\n")
	u.waitCondition("idle", v1.ConditionSynced, "True", v1.ReasonReconcileSuccess, time.Minute)
	// The first resync after the create records the ETag; from then on
	// nothing moves.
	testkit.Eventually(t, time.Minute, "the ETag recorded", func() (bool, string) {
		r := u.get("idle")
		return r.Status.ETag != "", "no ETag yet"
	})
	rv := u.get("idle").ResourceVersion
	start, remaining := time.Now(), env.GitHub.RateLimit(u.token).Remaining
	time.Sleep(22 * time.Second)
	if got := u.get("idle").ResourceVersion; got != rv {
		t.Errorf("resourceVersion moved from %s to %s while the GitHubRepo was idle: %s", rv, got, formatStatus(u.get("idle")))
	}
	reqs := since(u.requests(fake.RequestFilter{}), start)
	if len(reqs) < 3 {
		t.Fatalf("%d GitHub requests in 22 s of 5 s resyncs: the object was not resynced", len(reqs))
	}
	for _, r := range reqs {
		if r.Method != "GET" || !r.NotModified {
			t.Errorf("an idle resync sent %s %s (304: %v), want only conditional reads answered 304", r.Method, r.Path, r.NotModified)
		}
	}
	if used := remaining - env.GitHub.RateLimit(u.token).Remaining; used != 0 {
		t.Errorf("idle resyncs used %d rate-limit units, want 0", used)
	}
	t.Logf("%d idle resyncs: no new revision, no rate-limit unit", len(reqs))
}
