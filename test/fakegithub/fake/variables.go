package fake

import (
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"
)

// Repository Actions variables. The REST API lets collaborators (push
// access) create, update and read them, on any repository, a user's too.

const (
	docGetVariable    = "https://docs.github.com/rest/actions/variables#get-a-repository-variable"
	docCreateVariable = "https://docs.github.com/rest/actions/variables#create-a-repository-variable"
	docUpdateVariable = "https://docs.github.com/rest/actions/variables#update-a-repository-variable"
	docDeleteVariable = "https://docs.github.com/rest/actions/variables#delete-a-repository-variable"
)

// variableNameRE and the GITHUB_ prefix rule are GitHub's naming
// conventions for configuration variables.
var variableNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func validVariableName(name string) bool {
	return variableNameRE.MatchString(name) && !strings.HasPrefix(strings.ToUpper(name), "GITHUB_")
}

// variable finds one by name, which is not case-sensitive; -1 if absent.
func (r *Repo) variable(name string) int {
	return slices.IndexFunc(r.Variables, func(v Variable) bool { return strings.EqualFold(v.Name, name) })
}

func variableBody(v Variable) map[string]string {
	return map[string]string{"name": v.Name, "value": v.Value,
		"created_at": timestamp(v.CreatedAt), "updated_at": timestamp(v.UpdatedAt)}
}

func (s *Server) getVariable(r *http.Request, repo *Repo, _ perm) reply {
	i := repo.variable(chi.URLParam(r, "name"))
	if i < 0 {
		return notFound(docGetVariable)
	}
	return reply{status: http.StatusOK, body: variableBody(repo.Variables[i]), modified: repo.Variables[i].UpdatedAt}
}

type variableInput struct {
	Name  *string `json:"name"`
	Value *string `json:"value"`
}

// createVariable answers 201 with an empty object, and 409 for a name
// that exists.
func (s *Server) createVariable(r *http.Request, repo *Repo, _ perm) reply {
	if repo.Archived {
		return errReply(http.StatusForbidden, archivedReadOnly, docCreateVariable)
	}
	var in variableInput
	if rep, ok := decodeBody(r, &in, docCreateVariable); !ok {
		return rep
	}
	if in.Name == nil || in.Value == nil {
		missing := "name"
		if in.Name != nil {
			missing = "value"
		}
		return errReply(http.StatusUnprocessableEntity, "Invalid request.\n\n\""+missing+"\" wasn't supplied.", docCreateVariable)
	}
	if rep, ok := checkVariableName(repo, *in.Name, -1, docCreateVariable); !ok {
		return rep
	}
	now := s.now()
	repo.Variables = append(repo.Variables, Variable{Name: strings.ToUpper(*in.Name), Value: *in.Value, CreatedAt: now, UpdatedAt: now})
	return reply{status: http.StatusCreated, body: map[string]any{}}
}

// checkVariableName refuses names GitHub doesn't allow, or that another
// variable than the one at index self has.
func checkVariableName(repo *Repo, name string, self int, doc string) (reply, bool) {
	if !validVariableName(name) {
		return errReply(http.StatusUnprocessableEntity, "Validation Failed", doc,
			fieldError{Resource: "ActionsVariable", Code: "invalid", Field: "name"}), false
	}
	if i := repo.variable(name); i >= 0 && i != self {
		return errReply(http.StatusConflict, "Already exists", doc), false
	}
	return reply{}, true
}

// updateVariable changes the value, the name, or both.
func (s *Server) updateVariable(r *http.Request, repo *Repo, _ perm) reply {
	if repo.Archived {
		return errReply(http.StatusForbidden, archivedReadOnly, docUpdateVariable)
	}
	i := repo.variable(chi.URLParam(r, "name"))
	if i < 0 {
		return notFound(docUpdateVariable)
	}
	var in variableInput
	if rep, ok := decodeBody(r, &in, docUpdateVariable); !ok {
		return rep
	}
	v := repo.Variables[i]
	if in.Name != nil {
		if rep, ok := checkVariableName(repo, *in.Name, i, docUpdateVariable); !ok {
			return rep
		}
		v.Name = strings.ToUpper(*in.Name)
	}
	set(&v.Value, in.Value)
	v.UpdatedAt = s.now()
	repo.Variables[i] = v
	return reply{status: http.StatusNoContent}
}

func (s *Server) deleteVariable(r *http.Request, repo *Repo, _ perm) reply {
	if repo.Archived {
		return errReply(http.StatusForbidden, archivedReadOnly, docDeleteVariable)
	}
	i := repo.variable(chi.URLParam(r, "name"))
	if i < 0 {
		return notFound(docDeleteVariable)
	}
	repo.Variables = slices.Delete(repo.Variables, i, i+1)
	return reply{status: http.StatusNoContent}
}
