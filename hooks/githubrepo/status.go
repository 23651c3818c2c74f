package githubrepo

import (
	"fmt"
	"time"

	"github.com/google/go-github/v62/github"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// outcome is what one sync or finalize did, from which the status is built.
type outcome struct {
	repo    *github.Repository // the repository as last read or written; nil when unchanged or absent
	etag    string             // ETag of the last full read, "" after a write
	fail    *failure
	pending time.Duration // paced: come back after this long
	wait    time.Duration // backing off: nothing was tried, come back after this long
	note    string        // what happened worth telling, e.g. "created"
	rate    github.Rate
}

// buildStatus derives the new status from the old one and the outcome, and
// says when Metacontroller should call again (0: at the resync period).
func (h *Hooks) buildStatus(r *v1.GitHubRepo, o outcome) (v1.GitHubRepoStatus, time.Duration) {
	st := *r.Status.DeepCopy()
	if o.wait > 0 {
		return st, o.wait
	}
	now := h.Now()
	st.ObservedGeneration = r.Generation
	if o.repo != nil {
		observe(&st, o.repo)
		st.ETag = o.etag
	}
	if o.rate.Limit > 0 {
		st.RateLimit = &v1.RateLimit{Limit: o.rate.Limit, Remaining: o.rate.Remaining, Reset: metav1.NewTime(o.rate.Reset.Time)}
	}
	cond := conditionSetter(&st, r.Generation, now)

	switch {
	case o.fail != nil:
		st.ConsecutiveFailures++
		delay := retryDelay(o.fail, st.ConsecutiveFailures, now, h.Jitter())
		// Status times have whole seconds; round up so that the gate never
		// opens before the delay has passed.
		st.RetryTime = &metav1.Time{Time: now.Add(delay + time.Second - 1).Truncate(time.Second)}
		msg := fmt.Sprintf("%s (next attempt at %s)", o.fail.message, st.RetryTime.UTC().Format(time.RFC3339))
		cond(v1.ConditionError, metav1.ConditionTrue, o.fail.reason, msg)
		cond(v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonReconcileError, msg)
		switch {
		case st.RepoID == 0:
			cond(v1.ConditionReady, metav1.ConditionFalse, v1.ReasonCreating, "the repository is not created yet: "+o.fail.message)
		case o.repo != nil:
			// Seen this round: it exists, only the spec is not fully applied.
			cond(v1.ConditionReady, metav1.ConditionTrue, v1.ReasonAvailable, available(&st, o.note))
		case o.fail.reason == v1.ReasonGitHubUnavailable || meta.FindStatusCondition(st.Conditions, v1.ConditionReady) == nil:
			cond(v1.ConditionReady, metav1.ConditionFalse, v1.ReasonUnavailable, "the repository cannot be checked: "+o.fail.message)
		}
		return st, delay
	case o.pending > 0:
		st.RetryTime = nil
		cond(v1.ConditionError, metav1.ConditionFalse, v1.ReasonNoError, "")
		cond(v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonReconcilePending,
			fmt.Sprintf("writes to GitHub are paced to one a second per token; continuing in %s", o.pending.Round(time.Second)))
		if st.RepoID == 0 {
			cond(v1.ConditionReady, metav1.ConditionFalse, v1.ReasonCreating, "the repository is about to be created")
		} else {
			cond(v1.ConditionReady, metav1.ConditionTrue, v1.ReasonAvailable, available(&st, o.note))
		}
		return st, o.pending
	}
	st.ConsecutiveFailures = 0
	st.RetryTime = nil
	st.LastSyncTime = &metav1.Time{Time: now}
	cond(v1.ConditionError, metav1.ConditionFalse, v1.ReasonNoError, "")
	cond(v1.ConditionSynced, metav1.ConditionTrue, v1.ReasonReconcileSuccess, "the repository matches the spec")
	cond(v1.ConditionReady, metav1.ConditionTrue, v1.ReasonAvailable, available(&st, o.note))
	return st, 0
}

func available(st *v1.GitHubRepoStatus, note string) string {
	msg := fmt.Sprintf("repository %s is available at %s", st.FullName, st.HTMLURL)
	if note != "" {
		msg += " (" + note + ")"
	}
	return msg
}

// observe copies what users want to see of the repository into status.
func observe(st *v1.GitHubRepoStatus, repo *github.Repository) {
	st.RepoID = repo.GetID()
	st.FullName = repo.GetFullName()
	st.HTMLURL = repo.GetHTMLURL()
	st.CloneURL = repo.GetCloneURL()
	st.SSHURL = repo.GetSSHURL()
	st.DefaultBranch = repo.GetDefaultBranch()
	st.Visibility = visibility(repo)
}

// conditionSetter sets conditions so that lastTransitionTime moves only when
// a condition's status changes.
func conditionSetter(st *v1.GitHubRepoStatus, generation int64, now time.Time) func(typ string, status metav1.ConditionStatus, reason, msg string) {
	return func(typ string, status metav1.ConditionStatus, reason, msg string) {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: typ, Status: status, Reason: reason, Message: msg,
			ObservedGeneration: generation, LastTransitionTime: metav1.NewTime(now),
		})
	}
}

// syncedAt reports whether the last sync fully applied this generation, so
// that an unchanged repository (a 304) needs no further look.
func syncedAt(r *v1.GitHubRepo) bool {
	c := meta.FindStatusCondition(r.Status.Conditions, v1.ConditionSynced)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == r.Generation &&
		r.Status.ObservedGeneration == r.Generation
}
