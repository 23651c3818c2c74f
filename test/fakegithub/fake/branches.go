package fake

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"
)

// archivedReadOnly is GitHub's answer to a write to an archived repository.
const archivedReadOnly = "Repository was archived so is read-only."

// renameBranch serves POST .../branches/{branch}/rename. Renaming needs push
// access, and admin access for the default branch, as documented (for an
// App, contents=write, and administration=write for the default branch);
// the default branch follows the rename.
func (s *Server) renameBranch(r *http.Request, repo *Repo, p perm) reply {
	if repo.Archived {
		return errReply(http.StatusForbidden, archivedReadOnly, docRenameBranch)
	}
	from := chi.URLParam(r, "branch")
	i := slices.Index(repo.Branches, from)
	if i < 0 {
		return errReply(http.StatusNotFound, "Branch not found", docRenameBranch)
	}
	if from == repo.DefaultBranch && p < permAdmin {
		if callFrom(r).itok != nil {
			return integration(docRenameBranch) // it takes administration=write
		}
		return errReply(http.StatusForbidden, "Must have admin rights to Repository.", docRenameBranch)
	}
	var in struct {
		NewName *string `json:"new_name"`
	}
	if rep, ok := decodeBody(r, &in, docRenameBranch); !ok {
		return rep
	}
	if in.NewName == nil || *in.NewName == "" {
		return errReply(http.StatusUnprocessableEntity, "Invalid request.\n\n\"new_name\" wasn't supplied.", docRenameBranch)
	}
	to := *in.NewName
	if to != from && slices.Contains(repo.Branches, to) {
		return errReply(http.StatusUnprocessableEntity, "Validation Failed", docRenameBranch,
			fieldError{Resource: "Branch", Code: "already_exists", Field: "new_name"})
	}
	before := repo.clone()
	repo.Branches[i] = to
	if repo.DefaultBranch == from {
		repo.DefaultBranch = to
	}
	repo.UpdatedAt = s.now()
	s.emitChangesLocked(apiBase(r), callFrom(r).user, before, repo)
	return reply{status: http.StatusCreated, body: s.branchBody(r, repo, to)}
}

// branchBody is GitHub's "branch-with-protection" as the docs' example of
// renaming shows it: an unprotected branch at the repository's one commit.
func (s *Server) branchBody(r *http.Request, repo *Repo, name string) map[string]any {
	api := apiBase(r) + "/repos/" + repo.FullName()
	web := s.webURL + "/" + repo.FullName()
	owner := s.simpleUser(r, s.st.account(repo.Owner))
	sha, tree := fakeSHA("commit", repo.ID), fakeSHA("tree", repo.ID)
	gitUser := map[string]any{"name": owner["login"], "email": nil, "date": timestamp(repo.PushedAt)}
	return map[string]any{
		"name": name,
		"commit": map[string]any{
			"sha": sha, "node_id": nodeID("Commit", repo.ID), "url": api + "/commits/" + sha,
			"html_url": web + "/commit/" + sha, "comments_url": api + "/commits/" + sha + "/comments",
			"commit": map[string]any{
				"url": api + "/git/commits/" + sha, "message": "Initial commit", "comment_count": 0,
				"author": gitUser, "committer": gitUser,
				"tree":         map[string]string{"sha": tree, "url": api + "/git/trees/" + tree},
				"verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil},
			},
			"author": owner, "committer": owner, "parents": []any{},
		},
		"_links":    map[string]string{"html": web + "/tree/" + name, "self": api + "/branches/" + name},
		"protected": false,
		"protection": map[string]any{
			"enabled":                false,
			"required_status_checks": map[string]any{"enforcement_level": "off", "contexts": []string{}, "checks": []any{}},
		},
		"protection_url": api + "/branches/" + name + "/protection",
	}
}

// fakeSHA stands in for the object ids of a repository's first commit,
// which stay the same through renames.
func fakeSHA(kind string, id int64) string {
	sum := sha1.Sum(fmt.Appendf(nil, "%s:%d", kind, id))
	return hex.EncodeToString(sum[:])
}
