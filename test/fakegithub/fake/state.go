package fake

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

var (
	errNameTaken   = errors.New("name already exists on this account")
	errInvalidName = errors.New("name is invalid")
)

// account is a user or an organization: GitHub keeps both in one namespace.
type account struct {
	User
	org       bool
	bot       bool            // an App's bot user, "<slug>[bot]"
	members   map[string]Role // lower-case login -> role
	canCreate bool            // whether plain members may create repositories
	canDelete bool            // whether plain members may delete repositories
	// canChangeVisibility is whether plain members may change a
	// repository's visibility.
	canChangeVisibility bool
	saml                bool          // the organization enforces SAML SSO
	ghas                bool          // the organization has GitHub Advanced Security
	canForkPrivate      bool          // members_can_fork_private_repositories
	props               []PropertyDef // an organization's custom properties
	createdAt           time.Time
}

// state is everything a request can read or change; the Server's mutex
// guards it.
type state struct {
	accounts map[string]*account // lower-case login
	tokens   map[string]string   // token -> login
	selected map[string][]string // token -> lower-case owner/name it is limited to
	scopes   map[string][]string // token -> scopes, for classic tokens
	sso      map[string][]string // token -> lower-case organizations it is authorized for
	// apps and installations are keyed by id; instTokens by token.
	apps          map[int64]*app
	installations map[int64]*installation
	instTokens    map[string]*instToken
	repos         map[int64]*Repo
	names         map[string]int64 // lower-case owner/name -> id
	redirects     map[string]int64 // old lower-case owner/name -> id, after renames
	lastAcct      int64
	lastRepo      int64
}

// newState numbers repositories from after lastRepo.
func newState(lastRepo int64) *state {
	return &state{
		accounts:      map[string]*account{},
		tokens:        map[string]string{},
		selected:      map[string][]string{},
		scopes:        map[string][]string{},
		sso:           map[string][]string{},
		apps:          map[int64]*app{},
		installations: map[int64]*installation{},
		instTokens:    map[string]*instToken{},
		repos:         map[int64]*Repo{},
		names:         map[string]int64{},
		redirects:     map[string]int64{},
		lastRepo:      lastRepo,
	}
}

func key(owner, name string) string { return strings.ToLower(owner + "/" + name) }

func (st *state) seed(cfg Config, now time.Time) error {
	for _, u := range cfg.Users {
		st.addAccount(u, false, now)
	}
	for _, o := range cfg.Orgs {
		a := st.addAccount(User{Login: o.Login, ID: o.ID, Name: o.Name, DefaultBranch: o.DefaultBranch}, true, now)
		a.canCreate = o.MembersCanCreateRepos == nil || *o.MembersCanCreateRepos
		a.canDelete = o.MembersCanDeleteRepos == nil || *o.MembersCanDeleteRepos
		a.canChangeVisibility = o.MembersCanChangeRepoVisibility == nil || *o.MembersCanChangeRepoVisibility
		a.saml = o.SAMLEnforced
		a.ghas = o.AdvancedSecurity
		a.canForkPrivate = o.MembersCanForkPrivateRepos != nil && *o.MembersCanForkPrivateRepos
		for login, role := range o.Members {
			st.ensureUser(login, now)
			a.members[strings.ToLower(login)] = role
		}
		for _, d := range o.Properties {
			if err := a.defineProperty(d); err != nil {
				return fmt.Errorf("org %s: %w", o.Login, err)
			}
		}
	}
	for token, login := range cfg.Tokens {
		st.tokens[token] = st.ensureUser(login, now).Login
	}
	for token, scopes := range cfg.TokenScopes {
		st.scopes[token] = append([]string{}, scopes...)
	}
	for token, names := range cfg.TokenRepos {
		st.selectRepos(token, names)
	}
	for token, orgs := range cfg.TokenSSO {
		st.authorizeSSO(token, orgs)
	}
	for _, a := range cfg.Apps {
		if err := st.addApp(a, now); err != nil {
			return err
		}
	}
	for _, r := range cfg.Repos {
		if _, err := st.addRepo(r, now); err != nil {
			return fmt.Errorf("seed repo %s: %w", r.FullName(), err)
		}
	}
	return nil
}

// addAccount creates or updates an account, keeping its id unless a new one
// is given.
func (st *state) addAccount(u User, org bool, now time.Time) *account {
	a := st.accounts[strings.ToLower(u.Login)]
	if a == nil {
		a = &account{members: map[string]Role{}, canCreate: true, canDelete: true, canChangeVisibility: true, createdAt: now}
		st.accounts[strings.ToLower(u.Login)] = a
	}
	id := a.ID
	a.User, a.org = u, org
	switch {
	case u.ID != 0:
		st.lastAcct = max(st.lastAcct, u.ID)
	case id != 0:
		a.ID = id
	default:
		st.lastAcct++
		a.ID = st.lastAcct
	}
	return a
}

// defaultBranch is what the account's new repositories start with.
func (a *account) defaultBranch() string {
	if a.DefaultBranch == "" {
		return "main"
	}
	return a.DefaultBranch
}

func (st *state) ensureUser(login string, now time.Time) *account {
	if a := st.accounts[strings.ToLower(login)]; a != nil {
		return a
	}
	return st.addAccount(User{Login: login}, false, now)
}

func (st *state) account(login string) *account { return st.accounts[strings.ToLower(login)] }

// addRepo stores a copy of r, filling in what a seed may leave out.
func (st *state) addRepo(r Repo, now time.Time) (*Repo, error) {
	owner := st.account(r.Owner)
	if owner == nil {
		return nil, fmt.Errorf("unknown owner %q", r.Owner)
	}
	if err := validName(r.Name); err != nil {
		return nil, err
	}
	if _, taken := st.names[key(r.Owner, r.Name)]; taken {
		return nil, errNameTaken
	}
	if r.ID != 0 && st.repos[r.ID] != nil {
		return nil, fmt.Errorf("repository id %d is in use", r.ID)
	}
	stored := r.clone()
	stored.Owner = owner.Login
	st.fillDefaults(&stored, owner, now)
	st.repos[stored.ID] = &stored
	st.claimName(&stored)
	return &stored, nil
}

func (st *state) fillDefaults(r *Repo, owner *account, now time.Time) {
	if r.ID == 0 {
		st.lastRepo++
		r.ID = st.lastRepo
	}
	st.lastRepo = max(st.lastRepo, r.ID)
	if r.Visibility == "" {
		r.Visibility = "public"
	}
	r.MergeSettings.fillDefaults()
	// GitHub reports the default branch even before the first push
	// creates it.
	if r.DefaultBranch == "" {
		r.DefaultBranch = owner.defaultBranch()
	}
	for _, t := range []*time.Time{&r.CreatedAt, &r.UpdatedAt, &r.PushedAt} {
		if t.IsZero() {
			*t = now
		}
	}
}

// claimName points owner/name at r; a redirect left by an earlier rename
// loses to a repository that now has the name, as on GitHub.
func (st *state) claimName(r *Repo) {
	k := key(r.Owner, r.Name)
	st.names[k] = r.ID
	delete(st.redirects, k)
}

// lookup finds a repository by name; moved reports that the name is an old
// one that now redirects.
func (st *state) lookup(owner, name string) (r *Repo, moved bool) {
	if id, ok := st.names[key(owner, name)]; ok {
		return st.repos[id], false
	}
	if id, ok := st.redirects[key(owner, name)]; ok {
		return st.repos[id], true
	}
	return nil, false
}

// rename keeps the old name redirecting to the repository.
func (st *state) rename(r *Repo, name string) error {
	if err := validName(name); err != nil {
		return err
	}
	oldKey, newKey := key(r.Owner, r.Name), key(r.Owner, name)
	if id, taken := st.names[newKey]; taken && id != r.ID {
		return errNameTaken
	}
	delete(st.names, oldKey)
	if oldKey != newKey {
		st.redirects[oldKey] = r.ID
	}
	r.Name = name
	st.claimName(r)
	return nil
}

// transfer moves r to another owner under its name, keeping the old
// owner/name redirecting, as GitHub does. Custom property values belong to
// the old organization's definitions, so they go.
func (st *state) transfer(r *Repo, to *account) error {
	if id, taken := st.names[key(to.Login, r.Name)]; taken && id != r.ID {
		return errNameTaken
	}
	oldKey := key(r.Owner, r.Name)
	delete(st.names, oldKey)
	st.redirects[oldKey] = r.ID
	r.Owner, r.CustomProperties = to.Login, nil
	st.claimName(r)
	return nil
}

func (st *state) deleteRepo(r *Repo) {
	delete(st.repos, r.ID)
	delete(st.names, key(r.Owner, r.Name))
	for k, id := range st.redirects {
		if id == r.ID {
			delete(st.redirects, k)
		}
	}
}

func (st *state) countRepos(owner string, match func(*Repo) bool) int {
	n := 0
	for _, r := range st.repos {
		if strings.EqualFold(r.Owner, owner) && match(r) {
			n++
		}
	}
	return n
}

func (st *state) sortedRepos() []Repo {
	out := make([]Repo, 0, len(st.repos))
	for _, r := range st.repos {
		out = append(out, r.clone())
	}
	slices.SortFunc(out, func(a, b Repo) int { return int(a.ID - b.ID) })
	return out
}

var repoNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)

func validName(name string) error {
	if !repoNameRE.MatchString(name) || name == "." || name == ".." {
		return errInvalidName
	}
	return nil
}

// perm is a user's access to a repository, ordered from none to admin.
type perm int

const (
	permNone perm = iota
	permPull
	permPush
	permAdmin
)

func (st *state) permission(login string, r *Repo) perm {
	if strings.EqualFold(login, r.Owner) {
		return permAdmin
	}
	owner := st.account(r.Owner)
	role := owner.members[strings.ToLower(login)]
	switch {
	case role == RoleAdmin, role == RoleMember && strings.EqualFold(r.CreatedBy, login):
		return permAdmin
	case role == RoleMember:
		return permPush
	case !r.Private():
		return permPull
	}
	return permNone
}
