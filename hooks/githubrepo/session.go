package githubrepo

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/hooks/metacontroller"
)

// writeMargin is the time a GitHub write needs before the hook's deadline;
// a write that could not start earlier is left for the next call.
const writeMargin = 2 * time.Second

// session is one hook call's conversation with GitHub about one GitHubRepo.
type session struct {
	h     *Hooks
	gh    *gitHub
	creds credentials
	repo  *v1.GitHubRepo
	known identity
	host  string // the API host the credentials point at
	claim claim  // this GitHubRepo's claim
	// released is set when an Archive finds our claim already removed by
	// an earlier call that was stopped before it archived.
	released bool
}

// open reads the credentials and lets the call through the rate-limit and
// backoff gates. When it may not talk to GitHub, ok is false and res says
// why. A repository recorded on another host is never looked up here: its
// id means nothing on this one.
func (h *Hooks) open(repo *v1.GitHubRepo, known identity, related metacontroller.ObjectMap) (s *session, res result, ok bool) {
	creds, f := readCredentials(repo, related)
	if f != nil {
		// The same trouble again before its retry time changes nothing:
		// answering it anew would write a new status, whose event brings
		// the next sync at once.
		if backoff := h.sameFailureBackoff(repo, f); backoff > 0 {
			return nil, result{backoff: backoff}, false
		}
		return nil, result{failure: f}, false
	}
	if f := h.rateGate(repo); f != nil {
		return nil, result{failure: f}, false
	}
	if backoff := h.backoffGate(repo); backoff > 0 {
		return nil, result{backoff: backoff}, false
	}
	gh, host, err := h.newGitHub(creds)
	if err != nil {
		return nil, result{failure: newFailure(v1.ReasonInvalidSpec, "%s", err)}, false
	}
	if known.host != "" && known.host != host {
		return nil, result{failure: newFailure(v1.ReasonIdentityMismatch,
			"repository %s (id %d) was recorded on %s, but the credentials now point at %s, where that id names another repository or none; nothing was sent there. Restore the Secret's baseURL; to manage a repository on %s instead, delete this GitHubRepo with spec.deletionPolicy: Orphan and create it again",
			known.fullName, known.id, known.host, host, host)}, false
	}
	return &session{h: h, gh: gh, creds: creds, repo: repo, known: known, host: host, claim: claimFor(h.ClusterID, repo)}, result{}, true
}

// run calls fn under the GitHub deadline and records the rate limit GitHub
// reported.
func (s *session) run(ctx context.Context, fn func(context.Context) result) result {
	ctx, cancel := context.WithTimeout(ctx, s.h.GitHubTimeout)
	defer cancel()
	res := fn(ctx)
	res.host, res.rate = s.host, s.gh.rate
	return res
}

// apiHost is the host of a GitHub API base URL.
func apiHost(base string) string {
	if base == "" {
		return "api.github.com"
	}
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Host
}

// rateGate keeps a credential whose primary budget is spent away from
// GitHub until the budget resets.
func (h *Hooks) rateGate(repo *v1.GitHubRepo) *failure {
	rl := repo.Status.RateLimit
	if rl == nil || rl.Remaining > 0 || !rl.Reset.After(h.Now()) {
		return nil
	}
	return &failure{reason: v1.ReasonRateLimited, resetAt: rl.Reset.Time,
		message: fmt.Sprintf("GitHub's rate limit for this token is spent; nothing is sent to GitHub until it resets at %s", rl.Reset.UTC().Format(time.RFC3339))}
}

// backoffGate holds GitHub calls back until status.retryTime after a
// failure: Metacontroller also syncs on its resync period and on events,
// and those calls must not undo the backoff. A spec change retries at once.
func (h *Hooks) backoffGate(repo *v1.GitHubRepo) time.Duration {
	st := &repo.Status
	if st.ConsecutiveFailures == 0 || st.RetryTime == nil || repo.Generation != st.ObservedGeneration || credentialsFailed(repo) {
		return 0
	}
	return st.RetryTime.Sub(h.Now())
}

// credentialsFailed says whether the last failure was the credentials
// Secret's. Nothing was sent to GitHub then, so there is nothing to back
// off from once the Secret is right: the next sync goes at once.
func credentialsFailed(repo *v1.GitHubRepo) bool {
	c := meta.FindStatusCondition(repo.Status.Conditions, v1.ConditionError)
	if c == nil || c.Status != metav1.ConditionTrue {
		return false
	}
	switch c.Reason {
	case v1.ReasonSecretNotFound, v1.ReasonSecretKeyMissing, v1.ReasonCrossNamespaceSecretRef:
		return true
	}
	return false
}

// sameFailureBackoff is how long to hold back when f repeats the recorded
// failure before its retry time; 0 when it is new.
func (h *Hooks) sameFailureBackoff(repo *v1.GitHubRepo, f *failure) time.Duration {
	st := &repo.Status
	c := meta.FindStatusCondition(st.Conditions, v1.ConditionError)
	if c == nil || c.Reason != f.reason || st.RetryTime == nil || repo.Generation != st.ObservedGeneration {
		return 0
	}
	return st.RetryTime.Sub(h.Now())
}
