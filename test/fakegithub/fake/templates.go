package fake

import (
	"net/http"
	"slices"
	"strings"
)

const docGenerate = "https://docs.github.com/rest/repos/repos#create-a-repository-using-a-template"

// generateBody is the body of POST
// /repos/{template_owner}/{template_repo}/generate. It has no visibility:
// the boolean private, false unless given, is all it says about it, and
// GitHub ignores the fields it does not know, custom_properties included.
type generateBody struct {
	Owner              *string `json:"owner"`
	Name               *string `json:"name"`
	Description        *string `json:"description"`
	IncludeAllBranches bool    `json:"include_all_branches"`
	Private            bool    `json:"private"`
}

// generateRepo serves POST /repos/{template_owner}/{template_repo}/generate
// once repoOp has found the template and the caller can read it. The new
// repository goes to the body's owner (the token's user when none is
// named), which the caller must be allowed to create repositories in, as
// for POST /orgs/{org}/repos. It gets the template's files: its default
// branch, or every branch with include_all_branches.
// https://docs.github.com/rest/repos/repos#create-a-repository-using-a-template
func (s *Server) generateRepo(r *http.Request, tmpl *Repo, _ perm) reply {
	c := callFrom(r)
	var in generateBody
	if rep, ok := decodeBody(r, &in, docGenerate); !ok {
		return rep
	}
	if in.Name == nil {
		return errReply(http.StatusUnprocessableEntity, "Invalid request.\n\n\"name\" wasn't supplied.", docGenerate)
	}
	owner, rep, ok := s.generateOwner(c, in.Owner)
	if !ok {
		return rep
	}
	if !tmpl.IsTemplate {
		return errReply(http.StatusUnprocessableEntity, "Validation Failed", docGenerate,
			fieldError{Resource: "Repository", Code: "custom", Field: "template_repository", Message: tmpl.FullName() + " is not a template repository"})
	}
	repo := NewRepo(owner.Login, *in.Name)
	repo.CreatedBy, repo.TemplateID, repo.License = c.user, tmpl.ID, tmpl.License
	set(&repo.Description, in.Description)
	if in.Private {
		repo.Visibility = "private"
	}
	repo.DefaultBranch, repo.Branches = templateBranches(tmpl, in.IncludeAllBranches)
	if owner.org {
		props, problem := owner.initialProperties(nil)
		if problem != "" {
			return errReply(http.StatusUnprocessableEntity, problem, docGenerate)
		}
		repo.CustomProperties = props
	}
	return s.addCreated(r, c, repo, docGenerate)
}

// generateOwner is the account a generated repository goes to, if the
// caller may create repositories there. An installation token acts for no
// user, so it must name an organization its App is installed on; a user
// can create only in their own account and in organizations that let
// them, and other accounts are as unknown as they are to POST
// /orgs/{org}/repos.
func (s *Server) generateOwner(c *call, login *string) (*account, reply, bool) {
	if login == nil || *login == "" {
		if c.itok != nil {
			return nil, integration(docGenerate), false
		}
		return s.st.account(c.user), reply{}, true
	}
	a := s.st.account(*login)
	switch {
	case a != nil && a.org:
		rep, ok := s.mayCreateIn(c, a, docGenerate)
		return a, rep, ok
	case a != nil && c.itok != nil:
		return nil, integration(docGenerate), false
	case a == nil || !strings.EqualFold(a.Login, c.user):
		return nil, notFound(docGenerate), false
	}
	return a, reply{}, true
}

// templateBranches are the default branch and the branches a repository
// generated from tmpl starts with. An empty template gives an empty
// repository, on its owner's default branch.
func templateBranches(tmpl *Repo, all bool) (string, []string) {
	switch {
	case all && len(tmpl.Branches) > 0:
		return tmpl.DefaultBranch, slices.Clone(tmpl.Branches)
	case slices.Contains(tmpl.Branches, tmpl.DefaultBranch):
		return tmpl.DefaultBranch, []string{tmpl.DefaultBranch}
	}
	return "", nil
}

// templateBody is the template_repository of a repository generated from
// a template: the template as a "repository", or nil when there is none
// (any more). It is nobody's view, so it carries no permissions, and it
// stops at one level.
func (s *Server) templateBody(base string, repo *Repo) map[string]any {
	tmpl := s.st.repos[repo.TemplateID]
	if repo.TemplateID == 0 || tmpl == nil {
		return nil
	}
	b := s.repoBodyAt(base, tmpl, permNone, false)
	delete(b, "permissions")
	delete(b, "template_repository")
	return b
}
