package githubrepo

import (
	"cmp"
	"context"
	"net/http"

	"github.com/google/go-github/v62/github"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// update claims the repository when the observation says so, then
// applies the plan, one paced write at a time, each its own span. After a
// write the ETag is dropped, so that the next sync reads the repository in
// full.
func (s *session) update(ctx context.Context, obs observation) result {
	res := result{repo: obs.repo, etag: obs.etag, origin: obs.origin, note: obs.note, claimed: true}
	needClaim := obs.decision == decideClaim || obs.decision == decideAdopt
	p := diff(&s.repo.Spec, repoName(s.repo), obs.repo)
	if f := settingsProblem(&s.repo.Spec, obs.repo, s.creds.app != nil); f != nil {
		res.failure, res.claimed = f, !needClaim
		return res
	}
	if f := s.planSecurity(ctx, obs.repo, &p); f != nil {
		res.failure, res.claimed = f, !needClaim
		return res
	}
	if !needClaim && p.empty() {
		return res
	}
	current := obs.repo
	if current.GetArchived() && !p.unarchive && (needClaim || p.edits()) {
		res.failure = newFailure(v1.ReasonInvalidSpec,
			"repository %s is archived on GitHub, so it is read-only: set spec.archived: false to unarchive it and apply the spec", current.GetFullName())
		res.claimed = !needClaim
		return res
	}
	res.etag = ""
	origin := cmp.Or(obs.origin, s.known.origin)
	for _, st := range s.steps(needClaim, p, origin) {
		stepCtx, span := tracer().Start(ctx, st.name)
		updated, f := st.write(stepCtx, res.repo)
		endStep(span, st.name, f)
		if f != nil {
			// A claim that could not be written is not shown as held.
			res.failure, res.claimed = f, st.name != "claim"
			return res
		}
		res.repo = updated
	}
	return res
}

// step is one write; it returns the repository as it is after the write.
type step struct {
	name  string
	write func(ctx context.Context, r *github.Repository) (*github.Repository, *failure)
}

// steps orders the writes: an archived repository is read-only, so
// unarchiving comes first and archiving last, and the claim goes on before
// anything else is changed. Dependabot alerts and security updates come
// after the update, in their own order (securitySteps).
func (s *session) steps(needClaim bool, p plan, origin v1.Origin) []step {
	var out []step
	edit := func(name, what string, patch *github.Repository) step {
		return step{name, func(ctx context.Context, r *github.Repository) (*github.Repository, *failure) {
			updated, err := s.gh.edit(ctx, r.GetOwner().GetLogin(), r.GetName(), patch)
			if err != nil {
				return nil, classify(err, what)
			}
			return updated, nil
		}}
	}
	if p.unarchive {
		out = append(out, edit("unarchive", "unarchive the repository", &github.Repository{Archived: github.Bool(false)}))
	}
	if needClaim {
		out = append(out, step{"claim", func(ctx context.Context, r *github.Repository) (*github.Repository, *failure) {
			return r, s.writeClaim(ctx, r)
		}})
	}
	if p.properties != nil {
		out = append(out, s.propertiesStep(p.properties))
	}
	if p.patch != nil {
		name := "update"
		if p.patch.Name != nil {
			name = "rename"
		}
		st := edit(name, updateWhat(&s.repo.Spec, p.patch), p.patch)
		if p.patch.SecurityAndAnalysis != nil {
			st = s.securedUpdate(name, p.patch)
		}
		out = append(out, st)
	}
	if p.topics != nil {
		out = append(out, step{"topics", func(ctx context.Context, r *github.Repository) (*github.Repository, *failure) {
			if err := s.gh.replaceTopics(ctx, r.GetOwner().GetLogin(), r.GetName(), *p.topics); err != nil {
				return nil, classify(err, "replace the topics")
			}
			updated := *r
			updated.Topics = *p.topics
			return &updated, nil
		}})
	}
	if p.defaultBranch != nil {
		out = append(out, step{"default-branch", func(ctx context.Context, r *github.Repository) (*github.Repository, *failure) {
			return s.setDefaultBranch(ctx, r, *p.defaultBranch, origin)
		}})
	}
	out = append(out, s.securitySteps(p)...)
	if p.archive {
		out = append(out, edit("archive", "archive the repository", &github.Repository{Archived: github.Bool(true)}))
	}
	return out
}

// setDefaultBranch makes branch the default. A repository hookops created
// with a first commit has that commit on the owner's default branch, which
// may not be the one asked for (an organization still on "master", say):
// that branch is renamed instead, as someone setting up the repository by
// hand would do.
func (s *session) setDefaultBranch(ctx context.Context, r *github.Repository, branch string, origin v1.Origin) (*github.Repository, *failure) {
	owner, name := r.GetOwner().GetLogin(), r.GetName()
	updated, err := s.gh.edit(ctx, owner, name, &github.Repository{DefaultBranch: github.String(branch)})
	if err == nil {
		return updated, nil
	}
	if statusCode(err) != http.StatusUnprocessableEntity {
		return nil, classify(err, "set the default branch")
	}
	if origin != v1.OriginCreated || !initCommits(s.repo) {
		return nil, newFailure(v1.ReasonInvalidSpec, "branch %q does not exist in %s yet; the default branch is set once the branch has been pushed", branch, r.GetFullName())
	}
	if err := s.gh.renameBranch(ctx, owner, name, r.GetDefaultBranch(), branch); err != nil {
		return nil, classify(err, "rename branch "+r.GetDefaultBranch()+" to "+branch)
	}
	renamed := *r
	renamed.DefaultBranch = github.String(branch)
	return &renamed, nil
}
