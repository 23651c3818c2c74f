package githubrepo

import (
	"context"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/hooks/metacontroller"
)

// Sync brings the repository in line with the GitHubRepo: observe, then
// create, claim or update, as the observation decides. Trouble with GitHub
// or the credentials is reported in the status of a 200 response, with a
// computed resyncAfterSeconds: a non-200 would make Metacontroller drop the
// status.
func (h *Hooks) Sync(ctx context.Context, req *metacontroller.CompositeRequest) (*metacontroller.CompositeResponse, error) {
	repo, err := decodeParent(req)
	if err != nil {
		return nil, err
	}
	known := recorded(repo, req.Children)
	return h.respond(ctx, repo, "sync", known, h.reconcile(ctx, repo, known, req.Related)), nil
}

func (h *Hooks) reconcile(ctx context.Context, repo *v1.GitHubRepo, known identity, related metacontroller.ObjectMap) result {
	if f := validate(repo); f != nil {
		return result{failure: f}
	}
	if f := h.validateProperties(repo); f != nil {
		return result{failure: f}
	}
	if known.fullName != "" && !strings.EqualFold(known.owner(), repo.Spec.Owner) {
		return result{failure: newFailure(v1.ReasonInvalidSpec,
			"spec.owner is %q, but this GitHubRepo manages %s: hookops does not move repositories between owners. Set spec.owner back to %q; to move it, transfer it on GitHub, then replace this GitHubRepo (deletionPolicy: Orphan) with one for the new owner with adoptExisting: true",
			repo.Spec.Owner, known.fullName, known.owner())}
	}
	s, res, ok := h.open(repo, known, related)
	if !ok {
		return res
	}
	return s.run(ctx, func(ctx context.Context) result {
		obs := s.observe(ctx)
		switch obs.decision {
		case decideFail:
			return result{repo: obs.repo, failure: obs.failure}
		case decideUpToDate:
			return s.upToDate(ctx, obs)
		case decideCreate:
			if f := s.stillLost(); f != nil {
				return result{failure: f}
			}
			return s.create(ctx, obs.note)
		}
		return s.update(ctx, obs)
	})
}

// respond turns a result into Metacontroller's response: the status, the
// record child and when to call again.
func (h *Hooks) respond(ctx context.Context, repo *v1.GitHubRepo, hook string, known identity, res result) *metacontroller.CompositeResponse {
	h.logOutcome(ctx, repo, hook, res)
	st, resync := h.buildStatus(repo, known, res, hook == "finalize")
	resp := &metacontroller.CompositeResponse{Status: st, Finalized: res.finalized}
	if res.finalized {
		return resp
	}
	resp.ResyncAfterSeconds = resync.Seconds()
	if st.RepoID != 0 || st.CreateAttemptTime != nil {
		resp.Children = []metacontroller.Object{record(repo, &st)}
	}
	return resp
}

func (h *Hooks) logOutcome(ctx context.Context, repo *v1.GitHubRepo, hook string, res result) {
	attrs := []any{"hook", hook, "namespace", repo.Namespace, "name", repo.Name, "generation", repo.Generation}
	switch {
	case res.failure != nil:
		h.Log.WarnContext(ctx, "reconcile failed", append(attrs, "reason", res.failure.reason, "message", res.failure.message)...)
	default:
		h.Log.DebugContext(ctx, "reconciled", append(attrs, "note", res.note)...)
	}
}

// stillLost keeps a repository the token lost access to from being
// created again and again: once a create said the name exists though the
// token cannot see it, later syncs of the same generation only look (and
// find it again once access is back).
func (s *session) stillLost() *failure {
	st := &s.repo.Status
	c := meta.FindStatusCondition(st.Conditions, v1.ConditionError)
	if c == nil || c.Reason != v1.ReasonAccessLost || st.ObservedGeneration != s.repo.Generation {
		return nil
	}
	return newFailure(v1.ReasonAccessLost, "%s", strings.SplitN(c.Message, " (next attempt at", 2)[0])
}
