package githubrepo

import (
	"context"
	"fmt"

	"github.com/google/go-github/v62/github"
	"k8s.io/apimachinery/pkg/api/meta"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// held says whether an earlier finalize held this GitHubRepo's deletion.
// A held deletion stays held until it is confirmed, however the count
// moves: otherwise a swept namespace would lose a few repositories every
// window instead of none.
func held(repo *v1.GitHubRepo) bool {
	c := meta.FindStatusCondition(repo.Status.Conditions, v1.ConditionError)
	return c != nil && c.Status == "True" && c.Reason == v1.ReasonDeletionGuard
}

func confirmed(repo *v1.GitHubRepo) bool {
	return repo.Annotations[v1.AnnotationConfirmDeletion] == "true"
}

// stillHeld answers a held deletion without asking GitHub or the guard.
func (h *Hooks) stillHeld(repo *v1.GitHubRepo, policy v1.DeletionPolicy) (result, bool) {
	if h.Guard == nil || policy != v1.DeletionDelete || !held(repo) || confirmed(repo) {
		return result{}, false
	}
	c := meta.FindStatusCondition(repo.Status.Conditions, v1.ConditionError)
	return result{claimed: true, failure: &failure{reason: v1.ReasonDeletionGuard, message: c.Message, held: true}}, true
}

// admitDeletion asks the guard to count this deletion against the
// credential; a deletion it does not admit is held.
func (s *session) admitDeletion(ctx context.Context, current *github.Repository) *failure {
	g := s.h.Guard
	if g == nil {
		return nil
	}
	v, err := g.Admit(ctx, s.creds.id(), string(s.repo.UID), confirmed(s.repo))
	if err != nil {
		return newFailure(v1.ReasonDeletionGuardUnavailable, "the deletion guard could not count this deletion, so %s was not deleted: %s", current.GetFullName(), err)
	}
	if v.Admitted {
		return nil
	}
	return &failure{reason: v1.ReasonDeletionGuard, held: true, message: fmt.Sprintf(
		"held by the deletion guard: %d repositories were deleted with this credential in the last %s, the most it allows, so %s was not deleted. "+
			"To delete it: kubectl annotate githubrepo %s -n %s %s=true. To keep it instead: set spec.deletionPolicy: Orphan",
		v.Recent, g.Window, current.GetFullName(), s.repo.Name, s.repo.Namespace, v1.AnnotationConfirmDeletion)}
}
