package githubrepo

import (
	"fmt"
	"time"

	"github.com/google/go-github/v62/github"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// lastSyncEvery is how often status.lastSyncTime moves while nothing
// changes.
const lastSyncEvery = time.Hour

// lastSyncDue says whether status.lastSyncTime moves at a sync at now.
func lastSyncDue(last *metav1.Time, now time.Time) bool {
	return last == nil || now.Sub(last.Time) >= lastSyncEvery
}

// result is what one sync or finalize did, from which the status is built.
type result struct {
	repo    *github.Repository // the repository as last read or written; nil when unchanged or absent
	etag    string             // ETag of the last full read, "" after a write
	host    string             // the API host repo was read from
	origin  v1.Origin          // set when this call found out how the repository came to be ours
	claimed bool               // our claim is on the repository
	// createAttempt is a create sent in this call whose outcome is unknown.
	createAttempt *metav1.Time
	failure       *failure
	// backoff is set when the call was held back before its retry time:
	// nothing was tried, the status stands, and the next call comes after
	// this long.
	backoff   time.Duration
	note      string // what happened worth telling, e.g. "created"
	rate      github.Rate
	finalized bool // finalize only: nothing is left to do
}

// buildStatus derives the new status from the old one, the recorded
// identity and the result, and says when Metacontroller should call again
// (0: at the controller's resync period). Sync and finalize share it.
func (h *Hooks) buildStatus(r *v1.GitHubRepo, known identity, res result, finalizing bool) (v1.GitHubRepoStatus, time.Duration) {
	st := *r.Status.DeepCopy()
	if res.backoff > 0 {
		return st, res.backoff
	}
	now := h.Now()
	st.ObservedGeneration = r.Generation
	st.ManagedSettings = managedSettings(&r.Spec)
	remember(&st, known)
	if res.repo != nil {
		showRepository(&st, res.repo)
		st.Host, st.ETag = res.host, res.etag
	}
	if res.origin != "" {
		st.Origin = res.origin
	}
	switch {
	case res.claimed && st.RepoID != 0:
		st.Claim = claimFor(h.ClusterID, r).String()
	case res.failure != nil && res.failure.reason == v1.ReasonOwnedElsewhere:
		st.Claim = ""
	}
	switch {
	case res.createAttempt != nil:
		st.CreateAttemptTime = res.createAttempt
	case st.RepoID != 0:
		st.CreateAttemptTime = nil
	}
	st.DeletionPolicy = ""
	if st.RepoID != 0 {
		st.DeletionPolicy = effectivePolicy(r, st.Origin)
	}
	// The reading is kept only while the budget is spent, when it keeps a
	// new process from sending before the reset; a reading that moved on
	// every sync would make every sync an apiserver write.
	switch {
	case res.rate.Limit > 0 && res.rate.Remaining == 0:
		st.RateLimit = &v1.RateLimit{Limit: res.rate.Limit, Remaining: 0, Reset: metav1.NewTime(res.rate.Reset.Time)}
	case res.rate.Limit > 0:
		st.RateLimit = nil
	}
	resync := h.schedule(&st, res, now)
	if resync == 0 {
		resync = h.steadyResync(r.UID)
	}
	setConditions(&st, r.Generation, now, res, finalizing)
	return st, resync
}

// remember fills in the identity from the record child when the status
// lost it (a status write that failed after the child was applied).
func remember(st *v1.GitHubRepoStatus, known identity) {
	if st.RepoID != 0 || known.id == 0 {
		return
	}
	st.Host, st.RepoID, st.NodeID, st.FullName, st.Origin = known.host, known.id, known.nodeID, known.fullName, known.origin
}

// schedule updates the failure count and retry time and says when to call
// again.
func (h *Hooks) schedule(st *v1.GitHubRepoStatus, res result, now time.Time) time.Duration {
	switch {
	case res.failure != nil && res.failure.held:
		// Confirming changes an annotation, which brings a call at once;
		// until then, an occasional look is enough.
		st.RetryTime = nil
		return heldRecheck
	case res.failure != nil && res.failure.pending:
		// A limit holds, and when it lifts is known: nothing failed.
		st.RetryTime = &metav1.Time{Time: res.failure.resetAt.Add(time.Second - 1).Truncate(time.Second)}
		return max(res.failure.resetAt.Sub(now), time.Second)
	case res.failure != nil:
		st.ConsecutiveFailures++
		delay := retryDelay(res.failure, st.ConsecutiveFailures, now, h.Jitter())
		// Status times have whole seconds; round up so that the gate never
		// opens before the delay has passed.
		st.RetryTime = &metav1.Time{Time: now.Add(delay + time.Second - 1).Truncate(time.Second)}
		return delay
	}
	st.ConsecutiveFailures = 0
	st.RetryTime = nil
	// Coarse on purpose: a time that moved on every sync would make every
	// resync of every idle object an apiserver write and an etcd revision.
	if lastSyncDue(st.LastSyncTime, now) {
		st.LastSyncTime = &metav1.Time{Time: now}
	}
	return 0
}

// setConditions sets Ready, Synced and Error, each once.
func setConditions(st *v1.GitHubRepoStatus, generation int64, now time.Time, res result, finalizing bool) {
	set := func(typ string, status metav1.ConditionStatus, reason, msg string) {
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{
			Type: typ, Status: status, Reason: reason, Message: msg,
			ObservedGeneration: generation, LastTransitionTime: metav1.NewTime(now),
		})
	}
	f := res.failure
	failMsg := ""
	switch {
	case f != nil && (f.held || f.pending):
		failMsg = f.message
		set(v1.ConditionError, metav1.ConditionTrue, f.reason, failMsg)
	case f != nil:
		failMsg = fmt.Sprintf("%s (next attempt at %s)", f.message, st.RetryTime.UTC().Format(time.RFC3339))
		set(v1.ConditionError, metav1.ConditionTrue, f.reason, failMsg)
	default:
		set(v1.ConditionError, metav1.ConditionFalse, v1.ReasonNoError, "")
	}

	switch {
	case finalizing && res.finalized:
		set(v1.ConditionSynced, metav1.ConditionTrue, v1.ReasonReconcileSuccess, "deletion policy carried out: "+res.note)
	case f != nil && f.pending:
		set(v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonReconcilePending, failMsg)
	case f != nil:
		set(v1.ConditionSynced, metav1.ConditionFalse, v1.ReasonReconcileError, failMsg)
	case !finalizing:
		set(v1.ConditionSynced, metav1.ConditionTrue, v1.ReasonReconcileSuccess, "the repository matches the spec")
	}

	switch {
	case finalizing:
		msg := fmt.Sprintf("deleting the GitHubRepo with deletionPolicy %s", st.DeletionPolicy)
		if f != nil {
			msg += "; blocked: " + f.message + ". To let the deletion finish without touching GitHub, set spec.deletionPolicy: Orphan"
		}
		set(v1.ConditionReady, metav1.ConditionFalse, v1.ReasonDeleting, msg)
	case st.RepoID == 0 && f != nil:
		set(v1.ConditionReady, metav1.ConditionFalse, v1.ReasonCreating, "the repository is not created yet: "+f.message)
	case st.RepoID == 0:
		set(v1.ConditionReady, metav1.ConditionFalse, v1.ReasonCreating, "the repository is about to be created")
	case f == nil || res.repo != nil:
		// Seen this round, or nothing went wrong: it exists.
		set(v1.ConditionReady, metav1.ConditionTrue, v1.ReasonAvailable, available(st, res.note))
	case f.reason == v1.ReasonGitHubUnavailable || meta.FindStatusCondition(st.Conditions, v1.ConditionReady) == nil:
		set(v1.ConditionReady, metav1.ConditionFalse, v1.ReasonUnavailable, "the repository cannot be checked: "+f.message)
	}
}

func available(st *v1.GitHubRepoStatus, note string) string {
	msg := fmt.Sprintf("repository %s is available at %s", st.FullName, st.HTMLURL)
	if note != "" {
		msg += " (" + note + ")"
	}
	return msg
}

// showRepository copies the repository's identity, and what users want to
// see of it, into status.
func showRepository(st *v1.GitHubRepoStatus, repo *github.Repository) {
	st.RepoID = repo.GetID()
	st.NodeID = repo.GetNodeID()
	st.FullName = repo.GetFullName()
	st.HTMLURL = repo.GetHTMLURL()
	st.CloneURL = repo.GetCloneURL()
	st.SSHURL = repo.GetSSHURL()
	st.DefaultBranch = repo.GetDefaultBranch()
	st.Visibility = visibility(repo)
}

// syncedAt reports whether the last sync fully applied this generation, so
// that an unchanged repository (a 304) needs no further look.
func syncedAt(r *v1.GitHubRepo) bool {
	c := meta.FindStatusCondition(r.Status.Conditions, v1.ConditionSynced)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == r.Generation &&
		r.Status.ObservedGeneration == r.Generation
}
