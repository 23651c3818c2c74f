package fake

import (
	"cmp"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/golang-jwt/jwt/v5"
)

// GitHub Apps: an App authenticates with a JWT signed by its private key
// (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app)
// and exchanges it for installation access tokens
// (https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-an-installation-access-token-for-a-github-app),
// which act as the App's bot user with the installation's permissions on
// the installation's repositories.

// GitHub's answers to a JWT it refuses, all 401 but "Integration not
// found", which is 404.
const (
	msgJWTUndecodable      = "A JSON web token could not be decoded"
	msgJWTIssuer           = "'Issuer' claim ('iss') must be an Integer"
	msgJWTIssuedAt         = "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	msgJWTExpired          = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	msgJWTTooLong          = "'Expiration time' claim ('exp') is too far in the future"
	msgIntegrationNotFound = "Integration not found"
	// msgNotAccessibleByIntegration answers an installation token that
	// lacks a permission, or calls an endpoint Apps can't use.
	msgNotAccessibleByIntegration = "Resource not accessible by integration"
	msgSuspended                  = "This installation has been suspended"
	msgPermissionsNotGranted      = "The permissions requested are not granted to this installation."
	msgReposNotAccessible         = "There is at least one repository that does not exist or is not accessible to the parent installation."
)

const (
	// maxJWTLifetime is how far in the future exp may be.
	maxJWTLifetime = 10 * time.Minute
	// installationTokenLifetime is how long an installation access token
	// lasts.
	installationTokenLifetime = time.Hour

	docGetApp             = "https://docs.github.com/rest/apps/apps#get-the-authenticated-app"
	docInstallation       = "https://docs.github.com/rest/apps/apps#get-an-installation-for-the-authenticated-app"
	docOrgInstallation    = "https://docs.github.com/rest/apps/apps#get-an-organization-installation-for-the-authenticated-app"
	docUserInstallation   = "https://docs.github.com/rest/apps/apps#get-a-user-installation-for-the-authenticated-app"
	docRepoInstallation   = "https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app"
	docInstallationToken  = "https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app"
	docSuspendedInstall   = "https://docs.github.com/rest/reference/apps#create-an-installation-access-token-for-an-app"
	docInstallationRepos  = "https://docs.github.com/rest/apps/installations#list-repositories-accessible-to-the-app-installation"
	docGetAuthenticated   = "https://docs.github.com/rest/users/users#get-the-authenticated-user"
	docSuspendInstall     = "https://docs.github.com/rest/apps/apps#suspend-an-app-installation"
	docDeleteInstallation = "https://docs.github.com/rest/apps/apps#delete-an-installation-for-the-authenticated-app"
)

// app is a registered GitHub App.
type app struct {
	id        int64
	slug      string
	name      string
	clientID  string
	owner     string
	key       *rsa.PublicKey
	bot       *account
	createdAt time.Time
}

// installation is an App installed on an account.
type installation struct {
	id          int64
	app         *app
	account     *account
	selection   string
	repos       []string          // lower-case owner/name, when selection is "selected"
	perms       map[string]string // permission -> read, write or admin
	suspended   bool
	suspendedAt time.Time
	createdAt   time.Time
}

// instToken is an installation access token: the installation's access,
// or less if it was asked for less.
type instToken struct {
	inst    *installation
	perms   map[string]string
	repos   []string // lower-case owner/name; nil for all of the installation's
	expires time.Time
}

func botLogin(slug string) string { return slug + "[bot]" }

// addApp registers an App, or replaces the one with its id, with its
// installations.
func (st *state) addApp(cfg App, now time.Time) error {
	if cfg.ID <= 0 || cfg.Slug == "" {
		return fmt.Errorf("app %d %q: an App needs an id and a slug", cfg.ID, cfg.Slug)
	}
	key := cfg.Key
	if key == nil && cfg.PublicKey != "" {
		k, err := jwt.ParseRSAPublicKeyFromPEM([]byte(cfg.PublicKey))
		if err != nil {
			return fmt.Errorf("app %s: public key: %w", cfg.Slug, err)
		}
		key = k
	}
	if old := st.apps[cfg.ID]; old != nil {
		for id, inst := range st.installations {
			if inst.app == old {
				delete(st.installations, id)
			}
		}
	}
	bot := st.ensureUser(botLogin(cfg.Slug), now)
	bot.bot = true
	a := &app{id: cfg.ID, slug: cfg.Slug, name: cfg.Name, clientID: cfg.ClientID, owner: cfg.Owner, key: key, bot: bot, createdAt: now}
	if a.name == "" {
		a.name = cfg.Slug
	}
	st.apps[cfg.ID] = a
	for _, in := range cfg.Installations {
		if err := st.addInstallation(a, in, now); err != nil {
			return fmt.Errorf("app %s: %w", cfg.Slug, err)
		}
	}
	return nil
}

func (st *state) addInstallation(a *app, cfg Installation, now time.Time) error {
	if cfg.ID <= 0 {
		return fmt.Errorf("installation on %q needs an id", cfg.Account)
	}
	if other := st.installations[cfg.ID]; other != nil {
		return fmt.Errorf("installation id %d is in use", cfg.ID)
	}
	acct := st.account(cfg.Account)
	if acct == nil || acct.bot {
		return fmt.Errorf("installation %d: unknown account %q", cfg.ID, cfg.Account)
	}
	for _, other := range st.installations {
		if other.app == a && other.account == acct {
			return fmt.Errorf("installation %d: %s already has installation %d", cfg.ID, acct.Login, other.id)
		}
	}
	selection := cfg.RepositorySelection
	switch selection {
	case "":
		selection = SelectionAll
	case SelectionAll, SelectionSelected:
	default:
		return fmt.Errorf("installation %d: repository_selection %q, want %q or %q", cfg.ID, selection, SelectionAll, SelectionSelected)
	}
	perms := map[string]string{"metadata": "read"}
	for name, level := range cfg.Permissions {
		if permLevel(level) == 0 {
			return fmt.Errorf("installation %d: permission %s: level %q, want read, write or admin", cfg.ID, name, level)
		}
		perms[name] = level
	}
	inst := &installation{id: cfg.ID, app: a, account: acct, selection: selection, perms: perms,
		suspended: cfg.Suspended, createdAt: now}
	if cfg.Suspended {
		inst.suspendedAt = now
	}
	for _, n := range cfg.Repositories {
		inst.repos = append(inst.repos, strings.ToLower(n))
	}
	st.installations[cfg.ID] = inst
	return nil
}

// permLevel orders read < write < admin; anything else is 0.
func permLevel(level string) int {
	switch level {
	case "read":
		return 1
	case "write":
		return 2
	case "admin":
		return 3
	}
	return 0
}

// grants reports whether perms satisfy one of the alternatives in
// accepted, written as GitHub writes X-Accepted-GitHub-Permissions:
// "administration=write; contents=read". Nothing accepted needs nothing.
func grants(perms map[string]string, accepted string) bool {
	if accepted == "" {
		return true
	}
	for alt := range strings.SplitSeq(accepted, ";") {
		ok := true
		for need := range strings.SplitSeq(strings.TrimSpace(alt), ",") {
			name, level, _ := strings.Cut(strings.TrimSpace(need), "=")
			if permLevel(perms[name]) < permLevel(level) {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// namesSelect reports whether the names (lower-case owner/name) select r.
// GitHub selects repositories, not names, so a selected name that now
// redirects still selects the renamed repository.
func (st *state) namesSelect(names []string, r *Repo) bool {
	for _, n := range names {
		if id, ok := st.names[n]; ok && id == r.ID {
			return true
		}
		if id, ok := st.redirects[n]; ok && id == r.ID {
			return true
		}
	}
	return false
}

// covers reports whether the installation can reach r.
func (st *state) covers(inst *installation, r *Repo) bool {
	if !strings.EqualFold(inst.account.Login, r.Owner) {
		return false
	}
	return inst.selection == SelectionAll || st.namesSelect(inst.repos, r)
}

// covers reports whether the token can reach r: its installation can, and
// the token was not limited to other repositories.
func (t *instToken) covers(st *state, r *Repo) bool {
	return st.covers(t.inst, r) && (t.repos == nil || st.namesSelect(t.repos, r))
}

// repoPerm is the access the token's permissions amount to on a
// repository it covers, as repository bodies show it.
func (t *instToken) repoPerm() perm {
	switch {
	case permLevel(t.perms["administration"]) >= 2:
		return permAdmin
	case permLevel(t.perms["contents"]) >= 2:
		return permPush
	}
	return permPull
}

// authResult is who a token authenticates, or the answer refusing it.
type authResult struct {
	login string     // a user token's user
	itok  *instToken // an installation access token
	app   *app       // an App's JWT
	fail  *reply
}

// authenticate resolves a bearer token: a user's token, an installation
// access token, or an App's JWT.
func (st *state) authenticate(token string, now time.Time) authResult {
	if login, ok := st.tokens[token]; ok {
		return authResult{login: login}
	}
	if t, ok := st.instTokens[token]; ok {
		switch {
		case st.installations[t.inst.id] != t.inst, !now.Before(t.expires):
			// Deleting an installation revokes its tokens; an expired token
			// is 401 (Create an installation access token for an app).
			return authResult{fail: ptr(errReply(http.StatusUnauthorized, "Bad credentials", docRoot))}
		case t.inst.suspended:
			return authResult{fail: ptr(errReply(http.StatusForbidden, msgSuspended, docRoot))}
		}
		return authResult{itok: t}
	}
	if looksLikeJWT(token) {
		a, fail := st.verifyJWT(token, now)
		if fail != nil {
			return authResult{fail: fail}
		}
		return authResult{app: a}
	}
	return authResult{fail: ptr(errReply(http.StatusUnauthorized, "Bad credentials", docRoot))}
}

func ptr[T any](v T) *T { return &v }

// looksLikeJWT: three dot-separated parts, not one of GitHub's prefixed
// tokens.
func looksLikeJWT(token string) bool {
	return strings.Count(token, ".") == 2 && !strings.HasPrefix(token, "gh") && !strings.HasPrefix(token, "github_pat_")
}

// verifyJWT checks an App's JWT as GitHub does: RS256, signed by the key of
// the App that iss names, iat not in the future, exp in the future but no
// more than ten minutes away.
func (st *state) verifyJWT(raw string, now time.Time) (*app, *reply) {
	undecodable := ptr(errReply(http.StatusUnauthorized, msgJWTUndecodable, docRoot))
	parser := jwt.NewParser(jwt.WithJSONNumber(), jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}), jwt.WithoutClaimsValidation())
	claims := jwt.MapClaims{}
	tok, _, err := parser.ParseUnverified(raw, claims)
	if err != nil || tok.Method.Alg() != jwt.SigningMethodRS256.Alg() {
		return nil, undecodable
	}
	a, fail := st.issuer(claims["iss"])
	if fail != nil {
		return nil, fail
	}
	if a.key == nil {
		return nil, undecodable
	}
	if _, err := parser.Parse(raw, func(*jwt.Token) (any, error) { return a.key, nil }); err != nil {
		return nil, undecodable
	}
	iat, ok := claims["iat"].(json.Number)
	issued, err := iat.Int64()
	if !ok || err != nil || issued > now.Unix() {
		return nil, ptr(errReply(http.StatusUnauthorized, msgJWTIssuedAt, docRoot))
	}
	exp, ok := claims["exp"].(json.Number)
	expires, err := exp.Float64()
	if !ok || err != nil || expires <= float64(now.Unix()) {
		return nil, ptr(errReply(http.StatusUnauthorized, msgJWTExpired, docRoot))
	}
	if expires > float64(now.Add(maxJWTLifetime).Unix()) {
		return nil, ptr(errReply(http.StatusUnauthorized, msgJWTTooLong, docRoot))
	}
	return a, nil
}

// issuer finds the App a JWT's iss names: its App ID, as a number or a
// string of digits, or its client ID.
func (st *state) issuer(iss any) (*app, *reply) {
	notFound := ptr(errReply(http.StatusNotFound, msgIntegrationNotFound, docRoot))
	byID := func(s string) (*app, *reply) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || st.apps[id] == nil {
			return nil, notFound
		}
		return st.apps[id], nil
	}
	switch v := iss.(type) {
	case json.Number:
		return byID(v.String())
	case string:
		if _, err := strconv.ParseUint(v, 10, 64); err == nil {
			return byID(v)
		}
		for _, a := range st.apps {
			if a.clientID != "" && a.clientID == v {
				return a, nil
			}
		}
		if strings.HasPrefix(v, "Iv") {
			return nil, notFound
		}
	}
	return nil, ptr(errReply(http.StatusUnauthorized, msgJWTIssuer, docRoot))
}

// mintToken issues an installation access token that expires then.
func (st *state) mintToken(inst *installation, perms map[string]string, repos []string, expires time.Time) (string, *instToken) {
	token := "ghs_" + randomAlnum(36)
	t := &instToken{inst: inst, perms: perms, repos: repos, expires: expires}
	st.instTokens[token] = t
	return token, t
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomAlnum(n int) string {
	b := make([]byte, n)
	limit := big.NewInt(int64(len(alnum)))
	for i := range b {
		v, err := rand.Int(rand.Reader, limit)
		if err != nil {
			panic(err) // crypto/rand does not fail
		}
		b[i] = alnum[v.Int64()]
	}
	return string(b)
}

// serveApp serves an endpoint that needs the App's JWT; any other
// credential is "A JSON web token could not be decoded", as GitHub
// answers an installation token on /app/installations.
func (s *Server) serveApp(fn func(*http.Request, *call) reply) http.HandlerFunc {
	return s.serveAs(true, fn)
}

// installationByID finds one of the calling App's installations.
func (s *Server) installationByID(r *http.Request, c *call) *installation {
	id, err := strconv.ParseInt(chi.URLParam(r, "installation_id"), 10, 64)
	if err != nil {
		return nil
	}
	inst := s.st.installations[id]
	if inst == nil || inst.app != c.app {
		return nil
	}
	return inst
}

// appInstallations are the calling App's installations by id.
func (st *state) appInstallations(a *app) []*installation {
	var out []*installation
	for _, inst := range st.installations {
		if inst.app == a {
			out = append(out, inst)
		}
	}
	slices.SortFunc(out, func(x, y *installation) int { return int(x.id - y.id) })
	return out
}

func (s *Server) getApp(r *http.Request, c *call) reply {
	return reply{status: http.StatusOK, body: s.appBody(r, c.app)}
}

func (s *Server) listInstallations(r *http.Request, c *call) reply {
	out := []map[string]any{}
	for _, inst := range s.st.appInstallations(c.app) {
		out = append(out, s.installationBody(r, inst))
	}
	return reply{status: http.StatusOK, body: out}
}

func (s *Server) getInstallation(r *http.Request, c *call) reply {
	inst := s.installationByID(r, c)
	if inst == nil {
		return notFound(docInstallation)
	}
	return reply{status: http.StatusOK, body: s.installationBody(r, inst)}
}

// deleteInstallation uninstalls the App, which revokes its tokens.
func (s *Server) deleteInstallation(r *http.Request, c *call) reply {
	inst := s.installationByID(r, c)
	if inst == nil {
		return notFound(docDeleteInstallation)
	}
	delete(s.st.installations, inst.id)
	return reply{status: http.StatusNoContent}
}

func (s *Server) suspendInstallation(suspend bool) func(*http.Request, *call) reply {
	return func(r *http.Request, c *call) reply {
		inst := s.installationByID(r, c)
		if inst == nil {
			return notFound(docSuspendInstall)
		}
		s.st.suspend(inst, suspend, s.now())
		return reply{status: http.StatusNoContent}
	}
}

func (st *state) suspend(inst *installation, suspend bool, now time.Time) {
	if suspend && !inst.suspended {
		inst.suspendedAt = now
	}
	inst.suspended = suspend
}

// getAccountInstallation serves GET /orgs/{org}/installation and GET
// /users/{login}/installation.
func (s *Server) getAccountInstallation(orgsOnly bool, doc string) func(*http.Request, *call) reply {
	return func(r *http.Request, c *call) reply {
		login := chi.URLParam(r, "org")
		if login == "" {
			login = chi.URLParam(r, "login")
		}
		acct := s.st.account(login)
		if acct == nil || orgsOnly && !acct.org {
			return notFound(doc)
		}
		for _, inst := range s.st.appInstallations(c.app) {
			if inst.account == acct {
				return reply{status: http.StatusOK, body: s.installationBody(r, inst)}
			}
		}
		return notFound(doc)
	}
}

// getRepoInstallation finds the installation that reaches a repository.
func (s *Server) getRepoInstallation(r *http.Request, c *call) reply {
	repo, _ := s.st.lookup(chi.URLParam(r, "owner"), chi.URLParam(r, "repo"))
	if repo == nil {
		return notFound(docRepoInstallation)
	}
	for _, inst := range s.st.appInstallations(c.app) {
		if s.st.covers(inst, repo) {
			return reply{status: http.StatusOK, body: s.installationBody(r, inst)}
		}
	}
	return notFound(docRepoInstallation)
}

// createInstallationToken serves POST
// /app/installations/{installation_id}/access_tokens: 404 for an
// installation that is not the App's (or was deleted), 403 for a
// suspended one, and 422 for asking more than it was granted.
func (s *Server) createInstallationToken(r *http.Request, c *call) reply {
	inst := s.installationByID(r, c)
	if inst == nil {
		return notFound(docInstallationToken)
	}
	if inst.suspended {
		return errReply(http.StatusForbidden, msgSuspended, docSuspendedInstall)
	}
	var in struct {
		Repositories  []string          `json:"repositories"`
		RepositoryIDs []int64           `json:"repository_ids"`
		Permissions   map[string]string `json:"permissions"`
	}
	if rep, ok := decodeBody(r, &in, docInstallationToken); !ok {
		return rep
	}
	perms := maps.Clone(inst.perms)
	if len(in.Permissions) > 0 {
		perms = map[string]string{"metadata": "read"}
		for name, level := range in.Permissions {
			if permLevel(level) == 0 || permLevel(inst.perms[name]) < permLevel(level) {
				return errReply(http.StatusUnprocessableEntity, msgPermissionsNotGranted, docInstallationToken)
			}
			perms[name] = level
		}
	}
	var repos []string
	var chosen []*Repo
	for _, name := range in.Repositories {
		repo, _ := s.st.lookup(inst.account.Login, name)
		if repo == nil || !s.st.covers(inst, repo) {
			return errReply(http.StatusUnprocessableEntity, msgReposNotAccessible, docInstallationToken)
		}
		chosen = append(chosen, repo)
	}
	for _, id := range in.RepositoryIDs {
		repo := s.st.repos[id]
		if repo == nil || !s.st.covers(inst, repo) {
			return errReply(http.StatusUnprocessableEntity, msgReposNotAccessible, docInstallationToken)
		}
		chosen = append(chosen, repo)
	}
	selection := inst.selection
	if chosen != nil {
		repos, selection = []string{}, SelectionSelected
		for _, repo := range chosen {
			repos = append(repos, key(repo.Owner, repo.Name))
		}
	}
	token, t := s.st.mintToken(inst, perms, repos, s.tokenExpiry())
	body := map[string]any{
		"token": token, "expires_at": timestamp(t.expires), "permissions": perms,
		"repository_selection": selection,
	}
	// The answer lists repositories only when they were asked for.
	if chosen != nil {
		list := []map[string]any{}
		for _, repo := range chosen {
			list = append(list, s.repoBody(r, repo, t.repoPerm(), false))
		}
		body["repositories"] = list
	}
	return reply{status: http.StatusCreated, body: body}
}

// listInstallationRepos serves GET /installation/repositories for an
// installation access token.
func (s *Server) listInstallationRepos(r *http.Request, c *call) reply {
	if c.itok == nil {
		return errReply(http.StatusForbidden, "You must authenticate with an installation access token in order to list repositories for an installation.", docInstallationRepos)
	}
	list := []map[string]any{}
	for _, repo := range s.st.sortedRepos() {
		stored := s.st.repos[repo.ID]
		if c.itok.covers(s.st, stored) {
			list = append(list, s.repoBody(r, stored, c.itok.repoPerm(), false))
		}
	}
	selection := c.itok.inst.selection
	if c.itok.repos != nil {
		selection = SelectionSelected
	}
	return reply{status: http.StatusOK, body: map[string]any{
		"total_count": len(list), "repository_selection": selection, "repositories": list,
	}}
}

// revokeInstallationToken serves DELETE /installation/token.
func (s *Server) revokeInstallationToken(_ *http.Request, c *call) reply {
	if c.itok == nil {
		return errReply(http.StatusForbidden, msgNotAccessibleByIntegration, "https://docs.github.com/rest/apps/installations#revoke-an-installation-access-token")
	}
	delete(s.st.instTokens, c.token)
	return reply{status: http.StatusNoContent}
}

// appPermissions are what the App asks for: here, what its installations
// were granted.
func (st *state) appPermissions(a *app) map[string]string {
	perms := map[string]string{"metadata": "read"}
	for _, inst := range st.appInstallations(a) {
		for name, level := range inst.perms {
			if permLevel(level) > permLevel(perms[name]) {
				perms[name] = level
			}
		}
	}
	return perms
}

// appBody is GitHub's "integration", the body of GET /app.
func (s *Server) appBody(r *http.Request, a *app) map[string]any {
	var owner any
	if o := s.st.account(a.owner); o != nil {
		owner = s.simpleUser(r, o)
	}
	return map[string]any{
		"id": a.id, "slug": a.slug, "client_id": a.clientID, "node_id": nodeID("Integration", a.id),
		"owner": owner, "name": a.name, "description": "", "external_url": s.webURL + "/apps/" + a.slug,
		"html_url": s.webURL + "/apps/" + a.slug, "created_at": timestamp(a.createdAt), "updated_at": timestamp(a.createdAt),
		"permissions": s.st.appPermissions(a), "events": []string{},
		"installations_count": len(s.st.appInstallations(a)),
	}
}

// installationBody is GitHub's "installation", as recorded from GET
// /orgs/{org}/installation.
func (s *Server) installationBody(r *http.Request, inst *installation) map[string]any {
	html := s.webURL + "/settings/installations/" + strconv.FormatInt(inst.id, 10)
	if inst.account.org {
		html = s.webURL + "/organizations/" + inst.account.Login + "/settings/installations/" + strconv.FormatInt(inst.id, 10)
	}
	var suspendedBy, suspendedAt any
	if inst.suspended {
		suspendedAt = timestamp(inst.suspendedAt)
		if o := s.st.account(inst.app.owner); o != nil {
			suspendedBy = s.simpleUser(r, o)
		}
	}
	return map[string]any{
		"id": inst.id, "account": s.simpleUser(r, inst.account), "repository_selection": inst.selection,
		"access_tokens_url": apiBase(r) + "/app/installations/" + strconv.FormatInt(inst.id, 10) + "/access_tokens",
		"repositories_url":  apiBase(r) + "/installation/repositories", "html_url": html,
		"app_id": inst.app.id, "app_slug": inst.app.slug, "client_id": inst.app.clientID,
		"target_id": inst.account.ID, "target_type": inst.account.kind(),
		"permissions": maps.Clone(inst.perms), "events": []string{},
		"created_at": timestamp(inst.createdAt), "updated_at": timestamp(inst.createdAt),
		"single_file_name": nil, "has_multiple_single_files": false, "single_file_paths": []string{},
		"suspended_by": suspendedBy, "suspended_at": suspendedAt,
	}
}

var (
	errNoApp          = errors.New("no such app")
	errNoInstallation = errors.New("no such installation")
)

// SuspendInstallation suspends an installation, as its App's owner can:
// creating a token for it is 403 "This installation has been suspended",
// and so is every request with a token it already had.
func (s *Server) SuspendInstallation(id int64) error { return s.setSuspended(id, true) }

// UnsuspendInstallation lifts a suspension; tokens not yet expired work
// again.
func (s *Server) UnsuspendInstallation(id int64) error { return s.setSuspended(id, false) }

func (s *Server) setSuspended(id int64, suspend bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.st.installations[id]
	if inst == nil {
		return fmt.Errorf("installation %d: %w", id, errNoInstallation)
	}
	s.st.suspend(inst, suspend, s.now())
	return nil
}

// DeleteInstallation uninstalls an App from an account: its tokens are
// revoked (401 "Bad credentials") and creating one is 404.
func (s *Server) DeleteInstallation(id int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.installations[id] == nil {
		return fmt.Errorf("installation %d: %w", id, errNoInstallation)
	}
	delete(s.st.installations, id)
	return nil
}

// SetAppKey replaces an App's public key, as rotating its private key
// does: JWTs signed with the old key no longer decode. Installation tokens
// already issued keep working until they expire.
func (s *Server) SetAppKey(appID int64, publicPEM []byte) error {
	key, err := jwt.ParseRSAPublicKeyFromPEM(publicPEM)
	if err != nil {
		return fmt.Errorf("app %d: public key: %w", appID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.apps[appID]
	if a == nil {
		return fmt.Errorf("app %d: %w", appID, errNoApp)
	}
	a.key = key
	return nil
}

// InstallationToken issues an installation access token with all of the
// installation's access without a JWT, for tests that are not about
// authenticating as an App.
func (s *Server) InstallationToken(id int64) (token string, expiresAt time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.st.installations[id]
	if inst == nil {
		return "", time.Time{}, fmt.Errorf("installation %d: %w", id, errNoInstallation)
	}
	token, t := s.st.mintToken(inst, maps.Clone(inst.perms), nil, s.tokenExpiry())
	return token, t.expires, nil
}

// GenerateAppKey makes an RSA key pair for an App: the private key as
// GitHub hands it out (PKCS #1 PEM) and the public key (PKIX PEM) for
// App.PublicKey.
func GenerateAppKey() (privatePEM, publicPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("generate App key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal App public key: %w", err)
	}
	privatePEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	publicPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	return privatePEM, publicPEM, nil
}

// NewAppKey is GenerateAppKey for a test, which it fails on error.
func NewAppKey(t testing.TB) (privatePEM, publicPEM []byte) {
	t.Helper()
	privatePEM, publicPEM, err := GenerateAppKey()
	if err != nil {
		t.Fatal(err)
	}
	return privatePEM, publicPEM
}

// AppJWT signs a JWT as an App does to authenticate: RS256 with claims
// iss (the App ID as an int64, or the client ID), iat and exp. GitHub
// suggests iat 60 seconds in the past and allows exp at most 10 minutes
// in the future.
func AppJWT(privatePEM []byte, iss any, iat, exp time.Time) (string, error) {
	key, err := jwt.ParseRSAPrivateKeyFromPEM(privatePEM)
	if err != nil {
		return "", fmt.Errorf("App private key: %w", err)
	}
	claims := jwt.MapClaims{"iss": iss, "iat": iat.Unix(), "exp": exp.Unix()}
	return jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
}

// tokenExpiry is when a token minted now expires: an hour on the fake's
// clock, as on GitHub, unless WithInstallationTokenLifetime says less.
func (s *Server) tokenExpiry() time.Time {
	return s.now().Add(cmp.Or(s.tokenLifetime, installationTokenLifetime))
}
