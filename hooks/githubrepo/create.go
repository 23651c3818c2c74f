package githubrepo

import (
	"cmp"
	"context"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// create makes the repository, with our claim where the create request can
// carry it, and then applies what creation cannot set.
func (s *session) create(ctx context.Context, note string) result {
	obs, res := s.createRepo(ctx, note)
	if res.failure != nil {
		return res
	}
	return s.update(ctx, obs)
}

// createRepo sends the create, in a span of its own; the writes that
// follow are its siblings.
func (s *session) createRepo(ctx context.Context, note string) (obs observation, res result) {
	ctx, span := tracer().Start(ctx, "create")
	defer func() { endStep(span, decideCreate.String(), res.failure) }()
	spec := &s.repo.Spec
	org, f := s.ownerIsOrg(ctx)
	if f != nil {
		return obs, result{failure: f}
	}
	if spec.Visibility != nil && *spec.Visibility == v1.Internal && !org {
		return obs, result{failure: newFailure(v1.ReasonInvalidSpec, "visibility internal exists only for organization repositories; %q is a user", spec.Owner)}
	}
	if !org {
		if f := userProperties(spec); f != nil {
			return obs, result{failure: f}
		}
	}
	if spec.Template != nil {
		return s.createFromTemplate(ctx, note, metav1.NewTime(s.h.Now()))
	}
	req, orgName := createRequest(s.repo), ""
	addCreateSettings(req, spec, org)
	if org {
		req.CustomProperties, orgName = s.createProperties(), spec.Owner
	}
	attempt := metav1.NewTime(s.h.Now())
	created, err := s.gh.create(ctx, orgName, req)
	if err != nil {
		return obs, s.createFailed(err, attempt)
	}
	obs = observation{decision: decideUpdate, repo: created, origin: v1.OriginCreated, note: cmp.Or(note, "created")}
	if !org {
		obs.decision = decideClaim
	}
	return obs, result{}
}

// createFailed explains a failed create. When GitHub may have made the
// repository all the same (no answer, or a server error), the attempt is
// remembered, so that the next sync recognises the repository as ours.
func (s *session) createFailed(err error, attempt metav1.Time) result {
	spec := &s.repo.Spec
	code := statusCode(err)
	msg := strings.ToLower(err.Error())
	switch {
	case notSent(err):
		return result{failure: classify(err, "create the repository")}
	case code == http.StatusUnprocessableEntity && strings.Contains(msg, "already exists"):
		// The lookup by name just answered 404: the repository exists, but
		// this token cannot see it.
		return result{failure: newFailure(v1.ReasonAccessLost,
			"repository %s/%s exists, but this token cannot see it (GitHub answers 404 for a private repository a token has no access to); nothing was created. Give the token access to it (for a fine-grained token, add the repository; in an organization, check the token user's membership), or choose another spec.name",
			spec.Owner, repoName(s.repo))}
	case code == http.StatusUnprocessableEntity && strings.Contains(msg, "propert"):
		return result{failure: s.propertyFailure(err, spec.Owner, "create the repository")}
	case code >= 400 && code < 500:
		return result{failure: classify(err, createWhat(spec))}
	}
	return result{failure: classify(err, "create the repository"), createAttempt: &attempt}
}

// ownerIsOrg tells an organization from a user. A user account can only
// get repositories from its own token.
func (s *session) ownerIsOrg(ctx context.Context) (bool, *failure) {
	owner := s.repo.Spec.Owner
	org, err := s.gh.ownerIsOrg(ctx, owner)
	if isNotFound(err) {
		return false, newFailure(v1.ReasonOwnerNotFound, "GitHub has no user or organization %q: check spec.owner", owner)
	}
	if err != nil {
		return false, classify(err, "look up owner "+owner)
	}
	if org {
		return true, nil
	}
	if s.creds.app != nil {
		// GitHub gives installation tokens no POST /user/repos (nor GET
		// /user): an App manages a user's repositories but cannot create one.
		// https://docs.github.com/rest/authentication/endpoints-available-for-github-app-installation-access-tokens
		return false, newFailure(v1.ReasonForbidden,
			"%q is a user account, and a GitHub App cannot create repositories on a user account: create %s/%s on GitHub and set spec.adoptExisting: true (the App must be installed on it with Administration: write), or use a token of %s",
			owner, owner, repoName(s.repo), owner)
	}
	login, err := s.gh.login(ctx)
	if err != nil {
		return false, classify(err, "identify the token's user")
	}
	if !strings.EqualFold(login, owner) {
		return false, newFailure(v1.ReasonForbidden,
			"spec.owner %q is a user account, but the token belongs to %q: a token can only create repositories in its own account or in organizations", owner, login)
	}
	return false, nil
}

func createRequest(r *v1.GitHubRepo) *github.Repository {
	s := &r.Spec
	req := &github.Repository{Name: github.String(repoName(r)), Description: s.Description, Homepage: s.Homepage}
	visibility := creationVisibility(s)
	req.Visibility = github.String(string(visibility))
	req.Private = github.Bool(visibility != v1.Public)
	if f := s.Features; f != nil {
		req.HasIssues, req.HasWiki, req.HasProjects, req.HasDiscussions = f.Issues, f.Wiki, f.Projects, f.Discussions
	}
	if in := s.Init; in != nil {
		req.AutoInit, req.GitignoreTemplate, req.LicenseTemplate = in.AutoInit, in.GitignoreTemplate, in.LicenseTemplate
	}
	return req
}

// creationVisibility is the visibility a new repository gets. Unset
// visibility is not managed, but a new repository needs one: private, so
// that nothing is public unless asked for.
func creationVisibility(s *v1.GitHubRepoSpec) v1.Visibility {
	if s.Visibility != nil {
		return *s.Visibility
	}
	return v1.Private
}

// initCommits reports whether creation writes a first commit, and with it
// the first branch: the owner's default branch, or the template's.
func initCommits(r *v1.GitHubRepo) bool {
	in := r.Spec.Init
	return r.Spec.Template != nil || in != nil && ((in.AutoInit != nil && *in.AutoInit) || in.GitignoreTemplate != nil || in.LicenseTemplate != nil)
}
