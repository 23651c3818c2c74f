package githubrepo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/google/go-github/v62/github"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/hookops/hookops/api/github/v1"
)

// A repository with spec.template is created by generating it from the
// template (POST /repos/{template_owner}/{template_repo}/generate) instead
// of by POST /orgs/{org}/repos or /user/repos. That request carries only
// the owner, name, description, include_all_branches and the boolean
// private: no visibility and no custom_properties.
//
// So the repository is generated private unless spec.visibility is public,
// and internal is reached from private by the update that follows, never
// through public (integrations/terraform-provider-github#3122 sent internal
// as private=false, and the repository was public until that update). And
// the claim cannot travel with the request: the repository is claimed
// first thing after it is made, before anything else is changed, and a
// generate whose answer was lost is recognised, as a lost create on a user
// account is, by status.createAttemptTime (see observeByName).

// validateTemplate checks spec.template as the CRD schema does, and that
// it is not combined with init.
func validateTemplate(s *v1.GitHubRepoSpec) *failure {
	t := s.Template
	switch {
	case t == nil:
		return nil
	case s.Init != nil:
		return newFailure(v1.ReasonInvalidSpec, "spec.template and spec.init cannot be combined: a repository generated from a template starts with the template's files, and init would make a first commit of its own. Remove one of them")
	case !ownerPattern.MatchString(t.Owner):
		return newFailure(v1.ReasonInvalidSpec, "spec.template.owner %q is not a GitHub user or organization name", t.Owner)
	case !namePattern.MatchString(t.Name) || t.Name == "." || t.Name == "..":
		return newFailure(v1.ReasonInvalidSpec, "spec.template.name %q is not a valid repository name: use 1-100 letters, digits, '.', '-' or '_'", t.Name)
	}
	return nil
}

// ownerPattern is a GitHub login, as the CRD schema has it.
var ownerPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)

// generateRequest is the generate body for the spec. Private is always
// sent: GitHub's default is public.
func generateRequest(r *v1.GitHubRepo) *github.TemplateRepoRequest {
	s := &r.Spec
	return &github.TemplateRepoRequest{
		Owner:              github.String(s.Owner),
		Name:               github.String(repoName(r)),
		Description:        s.Description,
		IncludeAllBranches: s.Template.IncludeAllBranches,
		Private:            github.Bool(creationVisibility(s) != v1.Public),
	}
}

// templateName is owner/name of the spec's template.
func templateName(s *v1.GitHubRepoSpec) string { return s.Template.Owner + "/" + s.Template.Name }

// createFromTemplate generates the repository. It carries no claim, so
// the observation asks for one, which update writes before any other
// change.
func (s *session) createFromTemplate(ctx context.Context, note string, attempt metav1.Time) (observation, result) {
	spec := &s.repo.Spec
	created, err := s.gh.generate(ctx, spec.Template.Owner, spec.Template.Name, generateRequest(s.repo))
	if err != nil {
		return observation{}, s.generateFailed(ctx, err, attempt)
	}
	return observation{decision: decideClaim, repo: created, origin: v1.OriginCreated,
		note: cmp.Or(note, "created from template "+templateName(spec))}, result{}
}

// generateFailed explains a failed generate: what only the template can
// cause here, the rest as for any create.
func (s *session) generateFailed(ctx context.Context, err error, attempt metav1.Time) result {
	spec := &s.repo.Spec
	var resp *github.ErrorResponse
	switch code := statusCode(err); {
	case code == http.StatusNotFound:
		return result{failure: s.templateNotFound(ctx)}
	case code == http.StatusUnprocessableEntity && errors.As(err, &resp) && !strings.Contains(strings.ToLower(err.Error()), "already exists"):
		hint := "fix the spec"
		if strings.Contains(strings.ToLower(err.Error()), "not a template") {
			hint = "spec.template must name a template repository: check \"Template repository\" in its settings, or name another"
		}
		return result{failure: newFailure(v1.ReasonInvalidSpec, "GitHub refused to create %s/%s from template %s (422 %s%s): %s",
			spec.Owner, repoName(s.repo), templateName(spec), resp.Message, details(resp), hint)}
	}
	return s.createFailed(err, attempt)
}

// templateNotFound tells the two causes of a 404 from generate apart by
// reading the template: GitHub answers 404 for a template that does not
// exist or that the token cannot read, and for an owner the token cannot
// create repositories in.
func (s *session) templateNotFound(ctx context.Context) *failure {
	spec := &s.repo.Spec
	tmpl, _, err := s.gh.getByName(ctx, spec.Template.Owner, spec.Template.Name)
	switch {
	case isNotFound(err) || (err == nil && tmpl == nil):
		return newFailure(v1.ReasonInvalidSpec,
			"spec.template names %s, which does not exist or which this token cannot read (GitHub answers 404 for both); nothing was created. Fix spec.template, or give the token read access to the template",
			templateName(spec))
	case err != nil:
		return classify(err, "look up template "+templateName(spec))
	}
	return newFailure(v1.ReasonForbidden,
		"GitHub answered 404 to creating %s/%s from template %s, which this token can read: the token cannot create repositories in %s (GitHub hides an organization from those who are not its members). Use a token of a member allowed to create repositories there",
		spec.Owner, repoName(s.repo), templateName(spec), spec.Owner)
}

// generate creates a repository from a template. The answer is decoded by
// doRepo, like every repository answer: the template may hand the new
// repository multi_select property values.
func (g *gitHub) generate(ctx context.Context, owner, name string, body *github.TemplateRepoRequest) (*github.Repository, error) {
	req, err := g.c.NewRequest(http.MethodPost, fmt.Sprintf("repos/%v/%v/generate", owner, name), body)
	if err != nil {
		return nil, err
	}
	repo, _, err := g.doRepo(ctx, req)
	return repo, err
}
