package fake

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
)

// getAuthenticatedUser serves GET /user, which an installation token,
// acting for no user, may not call.
func (s *Server) getAuthenticatedUser(r *http.Request, c *call) reply {
	if c.itok != nil {
		return integration(docGetAuthenticated)
	}
	return reply{status: http.StatusOK, body: s.privateUser(r, s.st.account(c.user))}
}

// getUser finds an account by login; "<slug>[bot]" may come escaped.
func (s *Server) getUser(r *http.Request, _ *call) reply {
	login, err := url.PathUnescape(chi.URLParam(r, "login"))
	a := s.st.account(login)
	if err != nil || a == nil {
		return notFound("https://docs.github.com/rest/users/users#get-a-user")
	}
	return reply{status: http.StatusOK, body: s.publicUser(r, a)}
}

func (s *Server) getOrg(r *http.Request, c *call) reply {
	a := s.st.account(chi.URLParam(r, "org"))
	if a == nil || !a.org {
		return notFound("https://docs.github.com/rest/orgs/orgs#get-an-organization")
	}
	if s.st.ssoBlocks(c, a) {
		return s.ssoReply(c, a)
	}
	return reply{status: http.StatusOK, body: s.orgBody(r, a)}
}

// settings are the fields that creating and updating a repository share.
type settings struct {
	Description    *string `json:"description"`
	Homepage       *string `json:"homepage"`
	Private        *bool   `json:"private"`
	Visibility     *string `json:"visibility"`
	HasIssues      *bool   `json:"has_issues"`
	HasProjects    *bool   `json:"has_projects"`
	HasWiki        *bool   `json:"has_wiki"`
	HasDiscussions *bool   `json:"has_discussions"`
	HasDownloads   *bool   `json:"has_downloads"`
	IsTemplate     *bool   `json:"is_template"`
}

func (in settings) empty() bool { return in == settings{} }

// apply changes repo; visibility wins over private when both are given.
func (in settings) apply(repo *Repo, ownerIsOrg bool) *fieldError {
	set(&repo.Description, in.Description)
	set(&repo.Homepage, in.Homepage)
	set(&repo.HasIssues, in.HasIssues)
	set(&repo.HasProjects, in.HasProjects)
	set(&repo.HasWiki, in.HasWiki)
	set(&repo.HasDiscussions, in.HasDiscussions)
	set(&repo.HasDownloads, in.HasDownloads)
	set(&repo.IsTemplate, in.IsTemplate)
	if in.Private != nil {
		repo.Visibility = "public"
		if *in.Private {
			repo.Visibility = "private"
		}
	}
	if in.Visibility == nil {
		return nil
	}
	switch v := *in.Visibility; {
	case v == "internal" && !ownerIsOrg:
		return &fieldError{Resource: "Repository", Code: "invalid", Field: "visibility",
			Message: "Only organization repositories can have internal visibility."}
	case v == "public", v == "private", v == "internal":
		repo.Visibility = v
		return nil
	}
	return &fieldError{Resource: "Repository", Code: "invalid", Field: "visibility"}
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

type createBody struct {
	settings
	mergeRequest
	Name              *string `json:"name"`
	AutoInit          bool    `json:"auto_init"`
	GitignoreTemplate string  `json:"gitignore_template"`
	LicenseTemplate   string  `json:"license_template"`
	// CustomProperties are set on an organization's repository.
	CustomProperties map[string]any `json:"custom_properties"`
}

// createRepo serves POST /user/repos and POST /orgs/{org}/repos. An App
// creates repositories only in an organization it is installed on, with
// administration=write: GitHub lists POST /user/repos among no endpoints
// an installation token can use, because it acts for no user.
func (s *Server) createRepo(r *http.Request, c *call) reply {
	owner, doc := s.st.account(c.user), docCreateUser
	org := chi.URLParam(r, "org")
	if c.itok != nil && org == "" {
		return integration(doc)
	}
	if org != "" {
		owner, doc = s.st.account(org), docCreateOrg
		if rep, ok := s.mayCreateIn(c, owner, doc); !ok {
			return rep
		}
	}
	var in createBody
	if rep, ok := decodeBody(r, &in, doc); !ok {
		return rep
	}
	if in.Name == nil {
		return errReply(http.StatusUnprocessableEntity, "Invalid request.\n\n\"name\" wasn't supplied.", doc)
	}
	repo := NewRepo(owner.Login, *in.Name)
	repo.CreatedBy = c.user
	if ferr := in.apply(&repo, owner.org); ferr != nil {
		return errReply(http.StatusUnprocessableEntity, "Repository creation failed.", doc, *ferr)
	}
	repo.MergeSettings.fillDefaults()
	in.mergeRequest.keepOwnersOnly(c, owner)
	if rep, ok := in.mergeRequest.applyTo(&repo, doc, "Repository creation failed."); !ok {
		return rep
	}
	if owner.org {
		props, problem := owner.initialProperties(in.CustomProperties)
		if problem != "" {
			return errReply(http.StatusUnprocessableEntity, problem, doc)
		}
		repo.CustomProperties = props
	}
	// The owner's setting names the branch; any template makes GitHub
	// write a first commit, so the branch exists.
	repo.DefaultBranch = owner.defaultBranch()
	if in.AutoInit || in.GitignoreTemplate != "" || in.LicenseTemplate != "" {
		repo.Branches, repo.License = []string{repo.DefaultBranch}, in.LicenseTemplate
	}
	return s.addCreated(r, c, repo, doc)
}

// addCreated stores a repository made by a create request and answers
// 201 with it, or 422 when its name is taken.
func (s *Server) addCreated(r *http.Request, c *call, repo Repo, doc string) reply {
	stored, err := s.st.addRepo(repo, s.now())
	if err != nil {
		return errReply(http.StatusUnprocessableEntity, "Repository creation failed.", doc,
			fieldError{Resource: "Repository", Code: "custom", Field: "name", Message: err.Error()})
	}
	s.emitRepoLocked(apiBase(r), c.user, "created", stored)
	if t := c.itok; t != nil {
		// What an App creates it can reach: a selection, the
		// installation's or the token's, gains the new repository.
		name := key(stored.Owner, stored.Name)
		if t.inst.selection == SelectionSelected {
			t.inst.repos = append(t.inst.repos, name)
		}
		if t.repos != nil {
			t.repos = append(t.repos, name)
		}
	}
	return reply{
		status:   http.StatusCreated,
		body:     s.repoBody(r, stored, s.permFor(c, stored), false),
		location: apiBase(r) + "/repos/" + stored.FullName(),
	}
}

// mayCreateIn hides organizations from non-members, as GitHub does. An
// installation token needs its App installed on the organization and
// administration=write; members_can_create_repositories binds members
// only.
func (s *Server) mayCreateIn(c *call, org *account, doc string) (reply, bool) {
	if org == nil || !org.org {
		return notFound(doc), false
	}
	if s.st.ssoBlocks(c, org) {
		return s.ssoReply(c, org), false
	}
	if c.itok != nil {
		if c.itok.inst.account != org || !grants(c.itok.perms, c.ghPerms) {
			return integration(doc), false
		}
		return reply{}, true
	}
	switch role := org.members[strings.ToLower(c.user)]; {
	case role == RoleAdmin, role == RoleMember && org.canCreate:
		return reply{}, true
	case role == RoleMember:
		return errReply(http.StatusForbidden, "You need admin access to the organization before adding a repository to it.", doc), false
	}
	return notFound(doc), false
}

// repoOp resolves the repository of /repos/{owner}/{repo} or
// /repositories/{id}: repositories the user can't see are 404, old names
// redirect to /repositories/{id} with the rest of the path, and too little
// access is 403. op gets the user's permission on the repository.
func (s *Server) repoOp(need perm, op func(*http.Request, *Repo, perm) reply) http.HandlerFunc {
	return s.serve(func(r *http.Request, c *call) reply {
		repo, moved := s.resolve(r)
		if repo == nil {
			return notFound(docGetRepo)
		}
		if c.itok != nil {
			return s.installationRepoOp(r, c, repo, moved, need, op)
		}
		p := s.st.permission(c.user, repo)
		// A member's token not authorized for an organization enforcing
		// SAML SSO reads its public repositories as anyone may, and gets
		// 403 for the rest.
		if owner := s.st.account(repo.Owner); s.st.ssoBlocks(c, owner) {
			if repo.Private() || need > permPull {
				return s.ssoReply(c, owner)
			}
			p = permPull
		}
		// A token limited to other repositories sees public ones only,
		// and can't write to them.
		selected := s.st.selects(c.token, repo)
		if !selected && repo.Private() {
			p = permNone
		}
		if p < permPull {
			return notFound(docGetRepo)
		}
		if moved {
			return redirect(r, repo.ID, restOf(r))
		}
		if !selected && need > permPull {
			return errReply(http.StatusForbidden, notAccessibleByToken, docUpdateRepo)
		}
		if p < need {
			return errReply(http.StatusForbidden, "Must have admin rights to Repository.", docUpdateRepo)
		}
		return op(r, repo, p)
	})
}

// installationRepoOp is repoOp for an installation token: a private
// repository outside its installation (or its selection) is 404, as for
// anyone who can't see it; a public one is read-only; on its own
// repositories the token needs the permission the endpoint checks for, or
// gets 403 "Resource not accessible by integration".
func (s *Server) installationRepoOp(r *http.Request, c *call, repo *Repo, moved bool, need perm, op func(*http.Request, *Repo, perm) reply) reply {
	covered := c.itok.covers(s.st, repo)
	p := s.permFor(c, repo)
	if p < permPull {
		return notFound(docGetRepo)
	}
	if moved {
		return redirect(r, repo.ID, restOf(r))
	}
	if !covered && need > permPull || covered && !grants(c.itok.perms, c.ghPerms) {
		return integration(docUpdateRepo)
	}
	return op(r, repo, p)
}

func (s *Server) resolve(r *http.Request) (repo *Repo, moved bool) {
	if raw := chi.URLParam(r, "id"); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, false
		}
		return s.st.repos[id], false
	}
	return s.st.lookup(chi.URLParam(r, "owner"), chi.URLParam(r, "repo"))
}

// restOf is what follows the repository in /repos/{owner}/{repo}/...
func restOf(r *http.Request) string {
	parts := strings.SplitN(r.URL.EscapedPath(), "/", 5) // "", "repos", owner, repo, rest
	if len(parts) < 5 {
		return ""
	}
	return "/" + parts[4]
}

// redirect answers for a renamed repository exactly as recorded from
// GitHub: 301 for reads, 307 for writes so the method and body survive,
// with the same URL in Location and the body.
func redirect(r *http.Request, id int64, rest string) reply {
	loc := apiBase(r) + "/repositories/" + strconv.FormatInt(id, 10) + rest
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	status := http.StatusTemporaryRedirect
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		status = http.StatusMovedPermanently
	}
	return reply{status: status, location: loc, body: map[string]string{
		"message": "Moved Permanently", "url": loc, "documentation_url": docRedirect,
	}}
}

func (s *Server) getRepo(r *http.Request, repo *Repo, p perm) reply {
	return reply{status: http.StatusOK, body: s.repoBody(r, repo, p, true), modified: repo.UpdatedAt}
}

type patchBody struct {
	settings
	mergeRequest
	flagsRequest
	Name          *string `json:"name"`
	Archived      *bool   `json:"archived"`
	DefaultBranch *string `json:"default_branch"`
	// SecurityAndAnalysis switches security features (see security.go).
	SecurityAndAnalysis *securityPatch `json:"security_and_analysis"`
}

// updateRepo renders the answer with p: nothing it changes (visibility
// included) lowers an admin's permission.
func (s *Server) updateRepo(r *http.Request, repo *Repo, p perm) reply {
	var in patchBody
	if rep, ok := decodeBody(r, &in, docUpdateRepo); !ok {
		return rep
	}
	unarchiving := in.Archived != nil && !*in.Archived
	if repo.Archived && !unarchiving && (!in.settings.empty() || !in.mergeRequest.empty() || !in.flagsRequest.empty() || in.Name != nil || in.DefaultBranch != nil || in.SecurityAndAnalysis != nil) {
		return errReply(http.StatusForbidden, archivedReadOnly, docUpdateRepo)
	}
	before, next := repo.clone(), repo.clone()
	owner := s.st.account(repo.Owner)
	if ferr := in.apply(&next, owner.org); ferr != nil {
		return errReply(http.StatusUnprocessableEntity, "Validation Failed", docUpdateRepo, *ferr)
	}
	// Where members can't change visibility only owners can: anyone else,
	// an App included, gets 422 (as reported in
	// integrations/terraform-provider-github#788 and #832).
	if next.Visibility != repo.Visibility && owner.org && !owner.canChangeVisibility &&
		owner.members[strings.ToLower(callFrom(r).user)] != RoleAdmin {
		return errReply(http.StatusUnprocessableEntity, visibilityLocked, docUpdateRepo)
	}
	if rep, ok := in.mergeRequest.applyTo(&next, docUpdateRepo, "Validation Failed"); !ok {
		return rep
	}
	if rep, ok := in.flagsRequest.applyTo(&next, owner, docUpdateRepo); !ok {
		return rep
	}
	if rep, ok := in.SecurityAndAnalysis.apply(&next, owner); !ok {
		return rep
	}
	set(&next.Archived, in.Archived)
	if in.DefaultBranch != nil && *in.DefaultBranch != repo.DefaultBranch {
		if ferr := checkBranch(repo, *in.DefaultBranch); ferr != nil {
			return errReply(http.StatusUnprocessableEntity, "Validation Failed", docUpdateRepo, *ferr)
		}
		next.DefaultBranch = *in.DefaultBranch
	}
	if in.Name != nil && *in.Name != repo.Name {
		if err := s.st.rename(repo, *in.Name); err != nil {
			return errReply(http.StatusUnprocessableEntity, "Validation Failed", docUpdateRepo,
				fieldError{Resource: "Repository", Code: "custom", Field: "name", Message: err.Error()})
		}
		next.Name = repo.Name
	}
	next.UpdatedAt = s.now()
	*repo = next
	s.emitChangesLocked(apiBase(r), callFrom(r).user, before, repo)
	return reply{status: http.StatusOK, body: s.repoBody(r, repo, p, false)}
}

// visibilityLocked is GitHub's answer to a visibility change that the
// organization keeps to its owners.
const visibilityLocked = "Visibility can't be changed by this user."

func checkBranch(repo *Repo, branch string) *fieldError {
	if len(repo.Branches) == 0 {
		return &fieldError{Resource: "Repository", Code: "invalid", Field: "default_branch",
			Message: "Cannot update default branch for an empty repository. Please init the repository and push first."}
	}
	if !slices.Contains(repo.Branches, branch) {
		return &fieldError{Resource: "Repository", Code: "invalid", Field: "default_branch",
			Message: "The branch " + branch + " was not found. Please push that ref first or create it via the Git Data API."}
	}
	return nil
}

// deleteRepo needs a classic token's delete_repo scope, and an
// organization admin where the organization keeps deletion to them.
func (s *Server) deleteRepo(r *http.Request, repo *Repo, _ perm) reply {
	c := callFrom(r)
	if !s.st.hasScope(c.token, "delete_repo") {
		return errReply(http.StatusForbidden, "Must have admin rights to Repository.", docDeleteRepo)
	}
	if owner := s.st.account(repo.Owner); owner.org && !owner.canDelete && owner.members[strings.ToLower(c.user)] != RoleAdmin {
		return errReply(http.StatusForbidden, "Organization members cannot delete repositories.", docDeleteRepo)
	}
	s.emitRepoLocked(apiBase(r), c.user, "deleted", repo)
	s.st.deleteRepo(repo)
	return reply{status: http.StatusNoContent}
}

func (s *Server) getTopics(_ *http.Request, repo *Repo, _ perm) reply {
	return reply{status: http.StatusOK, body: map[string][]string{"names": append([]string{}, repo.Topics...)}}
}

var topicRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,49}$`)

const (
	maxTopics     = 20
	topicsInvalid = "Topics must start with a lowercase letter or number, consist of 50 characters or less, and can include hyphens."
)

// replaceTopics reports problems as plain strings in errors, which is what
// GitHub (and its OpenAPI description) does for this operation.
func (s *Server) replaceTopics(r *http.Request, repo *Repo, _ perm) reply {
	if repo.Archived {
		return errReply(http.StatusForbidden, archivedReadOnly, docTopics)
	}
	var in struct {
		Names *[]string `json:"names"`
	}
	if rep, ok := decodeBody(r, &in, docTopics); !ok {
		return rep
	}
	topics, problem := checkTopics(in.Names)
	if problem != "" {
		return errReply(http.StatusUnprocessableEntity, "Validation Failed", docTopics, problem)
	}
	before := repo.clone()
	repo.Topics, repo.UpdatedAt = topics, s.now()
	s.emitChangesLocked(apiBase(r), callFrom(r).user, before, repo)
	return reply{status: http.StatusOK, body: map[string][]string{"names": append([]string{}, topics...)}}
}

// checkTopics drops duplicates, or says what is wrong in GitHub's words.
func checkTopics(names *[]string) (topics []string, problem string) {
	if names == nil {
		return nil, `"names" wasn't supplied.`
	}
	for _, t := range *names {
		if !topicRE.MatchString(t) {
			return nil, topicsInvalid
		}
		if !slices.Contains(topics, t) {
			topics = append(topics, t)
		}
	}
	if len(topics) > maxTopics {
		return nil, "A repository cannot have more than 20 topics."
	}
	return topics, ""
}
