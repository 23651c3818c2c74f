package githubrepo

import (
	"context"
	"fmt"

	"github.com/google/go-github/v62/github"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	v1 "github.com/hookops/hookops/api/github/v1"
	"github.com/hookops/hookops/hooks/metacontroller"
)

// Finalize carries out the deletion policy while the GitHubRepo is being
// deleted, and answers finalized: true once nothing is left to do. It acts
// only on the recorded repository, proven as a sync proves it, and only
// while our claim is on it: Delete deletes it, Archive removes the claim
// and archives it, Orphan removes the claim and nothing else.
func (h *Hooks) Finalize(ctx context.Context, req *metacontroller.CompositeRequest) (*metacontroller.CompositeResponse, error) {
	repo, err := decodeParent(req)
	if err != nil {
		return nil, err
	}
	known := recorded(repo, req.Children)
	return h.respond(ctx, repo, "finalize", known, h.finalize(ctx, repo, known, req.Related)), nil
}

func (h *Hooks) finalize(ctx context.Context, repo *v1.GitHubRepo, known identity, related metacontroller.ObjectMap) result {
	if known.id == 0 && known.createAttempt == nil {
		return result{finalized: true, note: "no repository was recorded: nothing to do on GitHub"}
	}
	policy := effectivePolicy(repo, known.origin)
	if res, ok := h.stillHeld(repo, policy); ok {
		return res
	}
	s, res, ok := h.open(repo, known, related)
	if !ok {
		return orphanAnyway(policy, res)
	}
	return s.run(ctx, func(ctx context.Context) result {
		current, res := s.findOurs(ctx, policy)
		if res.failure != nil || res.finalized {
			return orphanAnyway(policy, res)
		}
		return s.carryOut(ctx, policy, current)
	})
}

// orphanAnyway lets Orphan finish when GitHub cannot be asked: it promises
// not to touch the repository, so it is the way out of a blocked deletion;
// only the claim may stay behind, and the note says so. A rate limit is no
// such block: it lifts at a known time, and then the claim is removed.
func orphanAnyway(policy v1.DeletionPolicy, res result) result {
	if res.failure == nil || policy != v1.DeletionOrphan || res.failure.reason == v1.ReasonRateLimited {
		return res
	}
	return result{finalized: true, note: "GitHub was not touched; the ownership claim may remain on the repository (" + res.failure.message + ")"}
}

// findOurs reads the recorded repository (or, when only a create attempt is
// known, the one of that name) and checks that it is ours. A repository
// that is not there, or not ours, is left alone and the deletion finishes.
func (s *session) findOurs(ctx context.Context, policy v1.DeletionPolicy) (*github.Repository, result) {
	ctx, span := tracer().Start(ctx, "observe", trace.WithAttributes(attribute.Int64("github.repo.id", s.known.id)))
	current, err := s.lookUp(ctx)
	switch {
	case isNotFound(err) || (err == nil && current == nil):
		endStep(span, "not-visible", nil)
		return nil, result{finalized: true, note: s.notVisible()}
	case err != nil:
		f := classify(err, "read the repository before carrying out the deletion policy")
		endStep(span, decideFail.String(), f)
		return nil, result{failure: f}
	}
	if f := s.verify(current); f != nil {
		endStep(span, decideFail.String(), f)
		return nil, result{failure: f}
	}
	c, f := s.readClaim(ctx, current)
	if f != nil {
		endStep(span, decideFail.String(), f)
		return nil, result{repo: current, failure: f}
	}
	if s.archiveUnderWay(policy, c, current) {
		endStep(span, "ours", nil)
		s.released = true
		return current, result{}
	}
	if !c.sameOwner(s.claim) {
		endStep(span, "not-ours", nil)
		holder := "no claim"
		if !c.none() {
			holder = "the claim of " + c.describe()
		}
		return nil, result{finalized: true, note: fmt.Sprintf("repository %s carries %s, not this GitHubRepo's: it was left alone", current.GetFullName(), holder)}
	}
	endStep(span, "ours", nil)
	return current, result{}
}

// archiveUnderWay recognises an Archive that removed our claim and was
// stopped before it archived (a rate limit, a lost answer): the claim was
// ours when last seen, nobody has claimed the verified repository since,
// and archiving it is what the deletion asked.
func (s *session) archiveUnderWay(policy v1.DeletionPolicy, c claim, current *github.Repository) bool {
	return policy == v1.DeletionArchive && c.none() && !current.GetArchived() && s.repo.Status.Claim == s.claim.String()
}

// releaseClaim removes our claim, unless an earlier call did.
func (s *session) releaseClaim(ctx context.Context, r *github.Repository) error {
	if s.released {
		return nil
	}
	return s.clearClaim(ctx, r)
}

func (s *session) lookUp(ctx context.Context) (*github.Repository, error) {
	if s.known.id != 0 {
		r, _, _, err := s.gh.getByID(ctx, s.known.id, "")
		return r, err
	}
	r, _, err := s.gh.getByName(ctx, s.repo.Spec.Owner, repoName(s.repo))
	return r, err
}

// notVisible says what a 404 does and does not prove: GitHub answers 404
// alike for a deleted repository and for one the token cannot see.
func (s *session) notVisible() string {
	if s.known.id == 0 {
		return fmt.Sprintf("no repository %s/%s is visible to this token, so the create that was sent made none or the token cannot see it; nothing was deleted", s.repo.Spec.Owner, repoName(s.repo))
	}
	return fmt.Sprintf("repository %s (id %d) is not visible to this token: it was deleted, or the token lost access to it; nothing was deleted", s.known.fullName, s.known.id)
}

// carryOut applies the policy to a repository proven ours.
func (s *session) carryOut(ctx context.Context, policy v1.DeletionPolicy, current *github.Repository) result {
	step := map[v1.DeletionPolicy]string{v1.DeletionDelete: "delete", v1.DeletionArchive: "archive", v1.DeletionOrphan: "orphan"}[policy]
	ctx, span := tracer().Start(ctx, step)
	res := s.apply(ctx, policy, current)
	endStep(span, step, res.failure)
	return res
}

func (s *session) apply(ctx context.Context, policy v1.DeletionPolicy, current *github.Repository) result {
	owner, name := current.GetOwner().GetLogin(), current.GetName()
	switch policy {
	case v1.DeletionDelete:
		if f := s.admitDeletion(ctx, current); f != nil {
			return result{repo: current, claimed: true, failure: f}
		}
		if err := s.gh.delete(ctx, owner, name); err != nil && !isNotFound(err) {
			return result{repo: current, claimed: true, failure: classifyDelete(err)}
		}
		return result{finalized: true, note: "deleted " + current.GetFullName()}
	case v1.DeletionArchive:
		if current.GetArchived() {
			return result{finalized: true, note: current.GetFullName() + " was archived already; its claim stays, as an archived repository is read-only"}
		}
		if err := s.releaseClaim(ctx, current); err != nil {
			return result{repo: current, claimed: true, failure: classify(err, "remove the ownership claim before archiving")}
		}
		if _, err := s.gh.edit(ctx, owner, name, &github.Repository{Archived: github.Bool(true)}); err != nil {
			return result{repo: current, failure: classify(err, "archive the repository")}
		}
		return result{finalized: true, note: "archived " + current.GetFullName()}
	}
	if err := s.clearClaim(ctx, current); err != nil {
		return orphanAnyway(policy, result{failure: classify(err, "remove the ownership claim")})
	}
	return result{finalized: true, note: "left " + current.GetFullName() + " on GitHub and removed this GitHubRepo's claim"}
}
