package githubrepo

import (
	"context"
	"fmt"

	"github.com/google/go-github/v62/github"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/hooks/metacontroller"
)

// Finalize carries out the deletion policy while the GitHubRepo is being
// deleted, and answers finalized: true once nothing is left to do. It only
// ever acts on the repository whose id this GitHubRepo recorded: a
// repository it did not create or adopt is never touched.
func (h *Hooks) Finalize(ctx context.Context, req *metacontroller.CompositeRequest) (*metacontroller.CompositeResponse, error) {
	repo, err := decodeParent(req.Parent)
	if err != nil {
		return nil, err
	}
	id := knownRepoID(repo, req.Children)
	o, done := h.finalize(ctx, repo, id, req.Related)
	h.logOutcome(ctx, repo, "finalize", o)

	st, resync := h.buildStatus(repo, o)
	cond := conditionSetter(&st, repo.Generation, h.Now())
	msg := fmt.Sprintf("deleting the GitHubRepo with deletionPolicy %s", policy(repo))
	if o.fail != nil {
		msg += "; blocked: " + o.fail.message + ". To let the deletion finish without touching GitHub, set spec.deletionPolicy: Orphan"
	}
	cond(v1.ConditionReady, metav1.ConditionFalse, v1.ReasonDeleting, msg)
	if done {
		cond(v1.ConditionSynced, metav1.ConditionTrue, v1.ReasonReconcileSuccess, "deletion policy carried out: "+o.note)
	}
	resp := &metacontroller.CompositeResponse{Status: st, Finalized: done}
	if !done {
		resp.ResyncAfterSeconds = resync.Seconds()
	}
	if st.RepoID != 0 && !done {
		resp.Children = []metacontroller.Object{record(repo, &st)}
	}
	return resp, nil
}

func policy(r *v1.GitHubRepo) v1.DeletionPolicy {
	if r.Spec.DeletionPolicy == "" {
		return v1.DeletionDelete
	}
	return r.Spec.DeletionPolicy
}

func (h *Hooks) finalize(ctx context.Context, repo *v1.GitHubRepo, id int64, related metacontroller.ObjectMap) (outcome, bool) {
	if policy(repo) == v1.DeletionOrphan || id == 0 {
		return outcome{note: "nothing to do on GitHub"}, true
	}
	return h.withSession(ctx, repo, related, func(ctx context.Context, s *session) (outcome, bool) {
		return s.finalize(ctx, id)
	})
}

func (s *session) finalize(ctx context.Context, id int64) (outcome, bool) {
	octx, span := tracer().Start(ctx, "observe", trace.WithAttributes(attribute.Int64("github.repo.id", id)))
	current, _, _, err := s.gh.getByID(octx, id, "")
	switch {
	case isNotFound(err):
		endStep(span, "already-gone", nil)
		return outcome{note: "the repository is already gone"}, true
	case err != nil:
		o := outcome{fail: classify(err, "read the repository before deletion")}
		endStep(span, decideFail, o.fail)
		return o, false
	}
	archive := policy(s.repo) == v1.DeletionArchive
	step := "delete"
	if archive {
		step = "archive"
	}
	endStep(span, step, nil)
	if archive && current.GetArchived() {
		return outcome{repo: current, note: "archived"}, true
	}
	release, wait, ok := s.pace(ctx)
	if !ok {
		return outcome{repo: current, pending: wait}, false
	}
	defer release()
	sctx, stepSpan := tracer().Start(ctx, step)
	o, done := s.carryOut(sctx, archive, current)
	endStep(stepSpan, step, o.fail)
	return o, done
}

// carryOut archives or deletes the repository.
func (s *session) carryOut(ctx context.Context, archive bool, current *github.Repository) (outcome, bool) {
	owner, name := current.GetOwner().GetLogin(), current.GetName()
	if archive {
		archived, err := s.gh.edit(ctx, owner, name, &github.Repository{Archived: github.Bool(true)})
		if err != nil {
			return outcome{repo: current, fail: classify(err, "archive the repository")}, false
		}
		return outcome{repo: archived, note: "archived"}, true
	}
	if err := s.gh.delete(ctx, owner, name); err != nil && !isNotFound(err) {
		return outcome{repo: current, fail: classify(err, "delete the repository")}, false
	}
	return outcome{note: "deleted"}, true
}
