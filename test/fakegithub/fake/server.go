// Package fake is an in-memory GitHub REST API covering what hookops calls:
// users; organizations and their custom property definitions;
// repositories with their topics, branch renames, custom property values,
// Actions variables, security and analysis features and Dependabot alerts,
// and repositories generated from templates; and rate limits. It enforces GitHub's documented
// primary and secondary rate limits exactly (see Limits), or none at all as
// a GitHub Enterprise Server with rate limiting disabled. It also enforces
// GitHub's access rules: organization roles and settings (who may create
// and delete repositories and change their visibility), SAML SSO,
// archived repositories being read-only, fine-grained tokens limited to
// selected repositories, and classic token scopes. GitHub Apps
// authenticate with JWTs signed by their keys and act through installation
// access tokens, an hour long, held to their installation's permissions and
// repositories and counted against the installation's rate limits. It
// redirects renamed repositories, answers conditional requests
// with ETags that differ per token, gives new repositories their owner's
// default branch, and numbers repositories so that two fakes can collide as
// two GitHub instances do. Like GitHub it delivers signed webhook events
// (repository, star, ping) for changes made through the API and by hand.
// Tests can inject faults, before a request is served or after (the change
// is kept, the answer lost), simulate activity nobody configured, and
// inspect every request and delivery.
package fake

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// Server is a fake GitHub. Its methods are safe for concurrent use.
type Server struct {
	cfg        Config
	now        func() time.Time
	webURL     string
	limits     Limits
	enterprise bool
	// tokenLifetime is how long installation tokens live; 0 is GitHub's hour.
	tokenLifetime time.Duration
	log           *slog.Logger
	handler       http.Handler

	mu            sync.Mutex
	st            *state
	buckets       map[string]*RateLimit // token -> primary budget
	activity      map[string]*activity  // lower-case login -> secondary rate limit bookkeeping
	lastWrite     map[string]time.Time  // token -> its last mutating request
	faults        []*activeFault
	lastFault     int
	requests      []Request
	trimmed       int // requests ever removed from the front of requests
	lastReqID     int64
	secondaryHits int
	violations    map[string]int
	refusals      int // secondary refusals so far, for AnswerRotate
	minGap        time.Duration
	gapSeen       bool

	// apiURL is the API base of the webhook payloads of changes made by
	// hand (see WithAPIURL).
	apiURL       string
	hooks        *webhooks
	pendingHooks []Webhook // from WithWebhook, added once the state exists
}

// Option configures New.
type Option func(*Server)

// WithConfig replaces DefaultConfig.
func WithConfig(cfg Config) Option { return func(s *Server) { s.cfg = cfg } }

// WithNow sets the clock behind timestamps, rate-limit windows and fault
// expiry, so tests can move time instead of sleeping.
func WithNow(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithInstallationTokenLifetime shortens the hour an installation access
// token lives, so that a test crosses its expiry in seconds.
func WithInstallationTokenLifetime(d time.Duration) Option {
	return func(s *Server) { s.tokenLifetime = d }
}

// WithWebURL sets the base of html_url, clone_url, ssh_url and git_url
// (default https://github.com). API URLs in bodies and Location headers
// follow the host the request was sent to.
func WithWebURL(u string) Option { return func(s *Server) { s.webURL = strings.TrimSuffix(u, "/") } }

// WithLogger logs every API request at debug level.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// New returns a fake seeded with DefaultConfig unless WithConfig says
// otherwise.
func New(opts ...Option) (*Server, error) {
	s := &Server{
		cfg:    DefaultConfig(),
		now:    time.Now,
		webURL: "https://github.com",
		log:    slog.New(slog.DiscardHandler),
		hooks:  newWebhooks(),
	}
	for _, opt := range opts {
		opt(s)
	}
	s.hooks.now = s.now
	s.limits = s.limits.withDefaults()
	if err := s.limits.validate(); err != nil {
		return nil, fmt.Errorf("rate limits: %w", err)
	}
	if err := s.Reset(); err != nil {
		return nil, err
	}
	for _, h := range s.pendingHooks {
		if _, err := s.AddWebhook(h); err != nil {
			s.Close()
			return nil, err
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/_fake/", s.adminRoutes())
	mux.Handle("/", s.track(s.apiRoutes()))
	s.handler = mux
	return s, nil
}

// Handler serves the API at / and at /api/v3/ (as GitHub Enterprise Server
// does), and the admin endpoint at /_fake/.
func (s *Server) Handler() http.Handler { return s.handler }

// Reset returns to the configured state: seeded accounts and repositories,
// full rate-limit budgets, no faults, empty request and delivery logs. The
// webhooks stay.
func (s *Server) Reset() error {
	st := newState(s.cfg.firstRepoID())
	if err := st.seed(s.cfg, s.now()); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = st
	s.buckets, s.activity, s.lastWrite = map[string]*RateLimit{}, map[string]*activity{}, map[string]time.Time{}
	s.faults, s.requests, s.trimmed = nil, nil, s.trimmed+len(s.requests)
	s.secondaryHits, s.violations, s.refusals = 0, map[string]int{}, 0
	s.minGap, s.gapSeen = 0, false
	s.ClearDeliveries()
	return nil
}

func (s *Server) apiRoutes() http.Handler {
	r := chi.NewRouter()
	// Secondary limits come before faults so that a slowed request still
	// counts as in flight; faults come before the primary limit so that a
	// failed request costs no budget.
	r.Use(middleware.GetHead, s.authenticate, s.secondaryLimit, s.injectFaults, s.primaryLimit)
	// GitHub answers 404, not 405, for a method a path doesn't support.
	unknown := s.serve(func(*http.Request, *call) reply { return notFound(docRoot) })
	r.NotFound(unknown)
	r.MethodNotAllowed(unknown)
	r.Get("/rate_limit", s.serve(s.getRateLimit))
	r.Get("/user", s.serve(s.getAuthenticatedUser))
	r.Get("/users/{login}", s.serve(s.getUser))
	r.Get("/orgs/{org}", s.serve(s.getOrg))
	r.Post("/user/repos", s.serve(s.createRepo))
	r.Post("/orgs/{org}/repos", permits("administration=write", s.serve(s.createRepo)))
	r.Get("/orgs/{org}/properties/schema", accepts("read:org", permits("organization_custom_properties=read", s.serve(s.listProperties))))
	r.Get("/orgs/{org}/properties/schema/{name}", accepts("read:org", permits("organization_custom_properties=read", s.serve(s.getProperty))))
	r.Put("/orgs/{org}/properties/schema/{name}", accepts("admin:org", permits("organization_custom_properties=admin", s.serve(s.setProperty))))
	// repo registers a repository operation with the classic scope and the
	// App permission it needs.
	repo := func(scope, perms string, need perm, op func(*http.Request, *Repo, perm) reply) http.HandlerFunc {
		return accepts(scope, permits(perms, s.repoOp(need, op)))
	}
	for _, prefix := range []string{"/repos/{owner}/{repo}", "/repositories/{id}"} {
		r.Get(prefix, repo("repo", "metadata=read", permPull, s.getRepo))
		r.Patch(prefix, repo("repo", "administration=write", permAdmin, s.updateRepo))
		r.Delete(prefix, repo("delete_repo", "administration=write", permAdmin, s.deleteRepo))
		r.Get(prefix+"/topics", repo("repo", "metadata=read", permPull, s.getTopics))
		r.Put(prefix+"/topics", repo("repo", "administration=write", permPush, s.replaceTopics))
		// Renaming the default branch needs administration=write as well.
		r.Post(prefix+"/branches/{branch}/rename", repo("repo", "contents=write", permPush, s.renameBranch))
		r.Get(prefix+"/properties/values", repo("repo", "metadata=read", permPull, s.getPropertyValues))
		r.Patch(prefix+"/properties/values", repo("repo", "custom_properties=write", permAdmin, s.setPropertyValues))
		r.Get(prefix+"/actions/variables/{name}", repo("repo", "variables=read", permPush, s.getVariable))
		r.Post(prefix+"/actions/variables", repo("repo", "variables=write", permPush, s.createVariable))
		r.Patch(prefix+"/actions/variables/{name}", repo("repo", "variables=write", permPush, s.updateVariable))
		r.Delete(prefix+"/actions/variables/{name}", repo("repo", "variables=write", permPush, s.deleteVariable))
		// The template needs only reading; creating in the owner needs
		// what POST /orgs/{org}/repos needs (see generateOwner).
		r.Post(prefix+"/generate", repo("repo", "administration=write", permPull, s.generateRepo))
		s.securityRoutes(r, prefix, repo)
	}
	// GitHub Apps: these need the App's JWT.
	r.Get("/app", s.serveApp(s.getApp))
	r.Get("/app/installations", s.serveApp(s.listInstallations))
	r.Get("/app/installations/{installation_id}", s.serveApp(s.getInstallation))
	r.Delete("/app/installations/{installation_id}", s.serveApp(s.deleteInstallation))
	r.Post("/app/installations/{installation_id}/access_tokens", s.serveApp(s.createInstallationToken))
	r.Put("/app/installations/{installation_id}/suspended", s.serveApp(s.suspendInstallation(true)))
	r.Delete("/app/installations/{installation_id}/suspended", s.serveApp(s.suspendInstallation(false)))
	r.Get("/orgs/{org}/installation", s.serveApp(s.getAccountInstallation(true, docOrgInstallation)))
	r.Get("/users/{login}/installation", s.serveApp(s.getAccountInstallation(false, docUserInstallation)))
	r.Get("/repos/{owner}/{repo}/installation", s.serveApp(s.getRepoInstallation))
	// These need an installation access token.
	r.Get("/installation/repositories", s.serve(s.listInstallationRepos))
	r.Delete("/installation/token", s.serve(s.revokeInstallationToken))
	return r
}

// call is what the middlewares learn about one API request.
type call struct {
	id         int64
	start      time.Time
	path       string // without the /api/v3 prefix
	prefix     string // "/api/v3" or ""
	token      string // only to find budgets; never logged
	tokenID    string
	user       string     // the user a token acts as: its owner, or an App's bot
	itok       *instToken // the installation access token, if it is one
	app        *app       // the App whose JWT this is, if it is one
	bucket     string     // whose primary budget the request takes from
	actor      string     // whose secondary limits the request counts in
	ghPerms    string     // the App permissions the endpoint checks for
	charged    bool       // took one from the primary budget
	admitted   *activity  // whose secondary limits the request was charged to
	retryAt    time.Time  // when a secondary refusal answered with x-ratelimit-reset says to retry
	status     int
	remaining  int
	fault      bool
	lostStatus int    // what the handler answered before an After fault
	accepted   string // scopes the endpoint checks for
	dropped    bool
	limited    string
	logged     bool
}

type callKey struct{}

func callFrom(r *http.Request) *call { return r.Context().Value(callKey{}).(*call) }

// apiBase is where the client reached the API, so URLs in bodies and
// redirects lead back to this fake whichever prefix was used.
func apiBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + callFrom(r).prefix
}

// track strips the Enterprise prefix, stamps rate-limit headers on the way
// out and logs the request.
func (s *Server) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.lastReqID++
		c := &call{id: s.lastReqID, start: s.now(), path: r.URL.Path}
		s.mu.Unlock()
		if rest, ok := strings.CutPrefix(r.URL.Path, "/api/v3"); ok && (rest == "" || rest[0] == '/') {
			c.prefix, c.path = "/api/v3", rest
		}
		u := *r.URL
		u.Path, u.RawPath = c.path, strings.TrimPrefix(u.RawPath, c.prefix)
		r = r.WithContext(context.WithValue(r.Context(), callKey{}, c))
		r.URL = &u
		rec := &recorder{ResponseWriter: w, s: s, c: c}
		defer s.finish(r, c)
		next.ServeHTTP(rec, r)
		if !rec.wrote && !c.dropped {
			rec.WriteHeader(http.StatusOK)
		}
	})
}

// recorder sets the rate-limit headers once the status is known, because a
// 304 gives back what the request took from the budget.
type recorder struct {
	http.ResponseWriter
	s     *Server
	c     *call
	wrote bool
}

func (w *recorder) WriteHeader(status int) {
	if w.wrote {
		return
	}
	w.wrote = true
	w.s.stampRateHeaders(w.Header(), w.c, status)
	w.s.stampScopes(w.Header(), w.c)
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection to drop it.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// authenticate resolves the credential: a user's token, an installation
// access token (which counts against its installation's rate limits, not
// the token's), or an App's JWT.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callFrom(r)
		token := bearer(r.Header.Get("Authorization"))
		if token == "" {
			s.write(w, r, errReply(http.StatusUnauthorized, "Requires authentication", docRoot))
			return
		}
		c.tokenID = fingerprint(token)
		s.mu.Lock()
		res := s.st.authenticate(token, s.now())
		s.mu.Unlock()
		if res.fail != nil {
			s.write(w, r, *res.fail)
			return
		}
		c.token = token
		switch {
		case res.itok != nil:
			c.itok, c.user = res.itok, res.itok.inst.app.bot.Login
			c.bucket = fmt.Sprintf("installation:%d", res.itok.inst.id)
			c.actor = c.bucket
		case res.app != nil:
			c.app = res.app
			c.bucket = fmt.Sprintf("app:%d", res.app.id)
			c.actor = c.bucket
		default:
			c.user, c.bucket, c.actor = res.login, token, strings.ToLower(res.login)
		}
		next.ServeHTTP(w, r)
	})
}

// bearer accepts both "token X" and "Bearer X", as GitHub does.
func bearer(header string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !(strings.EqualFold(scheme, "token") || strings.EqualFold(scheme, "bearer")) {
		return ""
	}
	return strings.TrimSpace(token)
}
