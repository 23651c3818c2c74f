package fake

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
)

// adminRoutes expose the Go knobs over HTTP for the binary. Budgets are
// addressed by the token in the admin request's own Authorization header,
// which keeps tokens out of URLs and bodies.
func (s *Server) adminRoutes() http.Handler {
	r := chi.NewRouter()
	r.Route("/_fake", func(r chi.Router) {
		r.Get("/health", admin(func(*http.Request, []byte) (int, any, error) {
			return http.StatusOK, map[string]string{"status": "ok"}, nil
		}))
		r.Post("/reset", admin(s.adminReset))
		r.Post("/seed", admin(s.adminSeed))
		r.Get("/repos", admin(func(*http.Request, []byte) (int, any, error) { return http.StatusOK, s.Repos(), nil }))
		r.Post("/repos", admin(s.adminAddRepo))
		r.Get("/repos/{owner}/{repo}", admin(s.adminGetRepo))
		r.Patch("/repos/{owner}/{repo}", admin(s.adminEditRepo))
		r.Delete("/repos/{owner}/{repo}", admin(s.adminDeleteRepo))
		r.Post("/repos/{owner}/{repo}/touch", admin(s.adminTouch))
		r.Post("/repos/{owner}/{repo}/transfer", admin(s.adminTransfer))
		r.Get("/webhooks", admin(func(*http.Request, []byte) (int, any, error) { return http.StatusOK, s.Webhooks(), nil }))
		r.Post("/webhooks", admin(s.adminAddWebhook))
		r.Delete("/webhooks/{id}", admin(s.adminRemoveWebhook))
		r.Get("/deliveries", admin(func(*http.Request, []byte) (int, any, error) { return http.StatusOK, s.Deliveries(), nil }))
		r.Delete("/deliveries", admin(func(*http.Request, []byte) (int, any, error) {
			s.ClearDeliveries()
			return http.StatusNoContent, nil, nil
		}))
		r.Post("/deliveries/{guid}/redeliver", admin(func(r *http.Request, _ []byte) (int, any, error) {
			return http.StatusAccepted, nil, s.Redeliver(chi.URLParam(r, "guid"))
		}))
		r.Get("/requests", admin(s.adminRequests))
		r.Delete("/requests", admin(func(*http.Request, []byte) (int, any, error) {
			s.ClearRequests()
			return http.StatusNoContent, nil, nil
		}))
		r.Post("/faults", admin(s.adminAddFault))
		r.Delete("/faults", admin(func(*http.Request, []byte) (int, any, error) { s.ClearFaults(); return http.StatusNoContent, nil, nil }))
		r.Delete("/faults/{id}", admin(s.adminRemoveFault))
		r.Delete("/orgs/{org}/members/{login}", admin(s.adminRemoveMember))
		r.Put("/token-repos", admin(s.adminSetTokenRepos))
		r.Put("/token-sso", admin(s.adminSetTokenSSO))
		r.Put("/installations/{id}/suspended", admin(s.adminSuspend(true)))
		r.Delete("/installations/{id}/suspended", admin(s.adminSuspend(false)))
		r.Delete("/installations/{id}", admin(s.adminDeleteInstallation))
		r.Post("/installations/{id}/token", admin(s.adminInstallationToken))
		r.Put("/apps/{id}/key", admin(s.adminSetAppKey))
		r.Get("/ratelimit", admin(s.adminGetRateLimit))
		r.Put("/ratelimit", admin(s.adminSetRateLimit))
		r.Get("/stats", admin(s.adminStats))
	})
	return r
}

// admin adapts a function of the request and its body. A nil value answers
// with the bare status; errors are {"error": "..."}, 404 for a missing
// repository and 400 otherwise.
func admin(fn func(r *http.Request, body []byte) (int, any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		status, v := http.StatusBadRequest, any(nil)
		if err == nil {
			status, v, err = fn(r, body)
		}
		switch {
		case errors.Is(err, errNoRepo), errors.Is(err, errNoMember), errors.Is(err, errNoApp), errors.Is(err, errNoInstallation),
			errors.Is(err, errNoWebhook), errors.Is(err, errNoDelivery):
			status, v = http.StatusNotFound, map[string]string{"error": err.Error()}
		case err != nil:
			status, v = http.StatusBadRequest, map[string]string{"error": err.Error()}
		case v == nil:
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
}

func (s *Server) adminReset(*http.Request, []byte) (int, any, error) {
	return http.StatusNoContent, nil, s.Reset()
}

func (s *Server) adminSeed(_ *http.Request, body []byte) (int, any, error) {
	cfg, err := LoadConfig(body)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.Seed(cfg)
}

func (s *Server) adminAddRepo(_ *http.Request, body []byte) (int, any, error) {
	repo, err := decodeRepo(body)
	if err != nil {
		return 0, nil, err
	}
	repo, err = s.AddRepo(repo)
	return http.StatusCreated, repo, err
}

func (s *Server) adminGetRepo(r *http.Request, _ []byte) (int, any, error) {
	repo, ok := s.Repo(chi.URLParam(r, "owner"), chi.URLParam(r, "repo"))
	if !ok {
		return 0, nil, errNoRepo
	}
	return http.StatusOK, repo, nil
}

// adminEditRepo overlays the fields given in the body on the repository.
func (s *Server) adminEditRepo(r *http.Request, body []byte) (int, any, error) {
	repo, err := s.EditRepo(chi.URLParam(r, "owner"), chi.URLParam(r, "repo"), func(repo *Repo) error {
		return decodeStrict(body, repo)
	})
	return http.StatusOK, repo, err
}

func (s *Server) adminDeleteRepo(r *http.Request, _ []byte) (int, any, error) {
	return http.StatusNoContent, nil, s.DeleteRepo(chi.URLParam(r, "owner"), chi.URLParam(r, "repo"))
}

func (s *Server) adminTouch(r *http.Request, _ []byte) (int, any, error) {
	repo, ok := s.Repo(chi.URLParam(r, "owner"), chi.URLParam(r, "repo"))
	if !ok {
		return 0, nil, errNoRepo
	}
	if err := s.Touch(repo.ID); err != nil {
		return 0, nil, err
	}
	return s.adminGetRepo(r, nil)
}

// adminTransfer moves the repository to {"new_owner": "login"}.
func (s *Server) adminTransfer(r *http.Request, body []byte) (int, any, error) {
	var in struct {
		NewOwner string `json:"new_owner"`
	}
	if err := decodeStrict(body, &in); err != nil {
		return 0, nil, err
	}
	repo, err := s.TransferRepo(chi.URLParam(r, "owner"), chi.URLParam(r, "repo"), in.NewOwner)
	return http.StatusOK, repo, err
}

// adminAddWebhook adds {"url", "secret", "org", "events"} and answers
// with it, secret left out.
func (s *Server) adminAddWebhook(_ *http.Request, body []byte) (int, any, error) {
	var in Webhook
	if err := decodeStrict(body, &in); err != nil {
		return 0, nil, err
	}
	h, err := s.AddWebhook(in)
	h.Secret = ""
	return http.StatusCreated, h, err
}

var errNoWebhook = errors.New("no such webhook")

func (s *Server) adminRemoveWebhook(r *http.Request, _ []byte) (int, any, error) {
	id, err := idParam(r)
	if err != nil {
		return 0, nil, err
	}
	if !s.RemoveWebhook(id) {
		return 0, nil, errNoWebhook
	}
	return http.StatusNoContent, nil, nil
}

func (s *Server) adminRequests(r *http.Request, _ []byte) (int, any, error) {
	q := r.URL.Query()
	reqs := s.Requests(RequestFilter{Method: q.Get("method"), Path: q.Get("path"), User: q.Get("user")})
	return http.StatusOK, append([]Request{}, reqs...), nil
}

// faultJSON is Fault with durations written as Go duration strings.
type faultJSON struct {
	Method  string `json:"method"`
	Path    string `json:"path"`
	Latency string `json:"latency"`
	Status  int    `json:"status"`
	Drop    bool   `json:"drop"`
	After   bool   `json:"after"`
	Times   int    `json:"times"`
	For     string `json:"for"`
}

func (in faultJSON) fault() (Fault, error) {
	f := Fault{Method: in.Method, Path: in.Path, Status: in.Status, Drop: in.Drop, After: in.After, Times: in.Times}
	var err error
	if f.Latency, err = parseDuration(in.Latency); err != nil {
		return Fault{}, err
	}
	if f.For, err = parseDuration(in.For); err != nil {
		return Fault{}, err
	}
	if f.Status == 0 && !f.Drop && f.Latency == 0 {
		return Fault{}, errors.New("a fault needs a status, drop or latency")
	}
	if f.After && f.Status == 0 && !f.Drop {
		return Fault{}, errors.New("a fault after serving needs a status or drop")
	}
	return f, nil
}

func parseDuration(raw string) (time.Duration, error) {
	if raw == "" {
		return 0, nil
	}
	return time.ParseDuration(raw)
}

func (s *Server) adminAddFault(_ *http.Request, body []byte) (int, any, error) {
	var in faultJSON
	if err := decodeStrict(body, &in); err != nil {
		return 0, nil, err
	}
	f, err := in.fault()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]int{"id": s.InjectFault(f)}, nil
}

func (s *Server) adminRemoveFault(r *http.Request, _ []byte) (int, any, error) {
	id, err := strconv.Atoi(chi.URLParam(r, "id"))
	if err != nil {
		return 0, nil, err
	}
	s.RemoveFault(id)
	return http.StatusNoContent, nil, nil
}

func (s *Server) adminRemoveMember(r *http.Request, _ []byte) (int, any, error) {
	return http.StatusNoContent, nil, s.RemoveMember(chi.URLParam(r, "org"), chi.URLParam(r, "login"))
}

// adminSetTokenRepos limits the token in the Authorization header to
// {"repos": ["owner/name", ...]}; an empty list lifts the limit.
func (s *Server) adminSetTokenRepos(r *http.Request, body []byte) (int, any, error) {
	token := bearer(r.Header.Get("Authorization"))
	if token == "" {
		return 0, nil, errNoToken
	}
	var in struct {
		Repos []string `json:"repos"`
	}
	if err := decodeStrict(body, &in); err != nil {
		return 0, nil, err
	}
	s.SetTokenRepos(token, in.Repos...)
	return http.StatusNoContent, nil, nil
}

// adminSetTokenSSO authorizes the token in the Authorization header for
// {"orgs": ["org", ...]}; an empty list revokes every authorization.
func (s *Server) adminSetTokenSSO(r *http.Request, body []byte) (int, any, error) {
	token := bearer(r.Header.Get("Authorization"))
	if token == "" {
		return 0, nil, errNoToken
	}
	var in struct {
		Orgs []string `json:"orgs"`
	}
	if err := decodeStrict(body, &in); err != nil {
		return 0, nil, err
	}
	s.SetTokenSSO(token, in.Orgs...)
	return http.StatusNoContent, nil, nil
}

func idParam(r *http.Request) (int64, error) {
	return strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
}

func (s *Server) adminSuspend(suspend bool) func(*http.Request, []byte) (int, any, error) {
	return func(r *http.Request, _ []byte) (int, any, error) {
		id, err := idParam(r)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusNoContent, nil, s.setSuspended(id, suspend)
	}
}

func (s *Server) adminDeleteInstallation(r *http.Request, _ []byte) (int, any, error) {
	id, err := idParam(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.DeleteInstallation(id)
}

// adminInstallationToken issues a token without a JWT:
// {"token": "ghs_...", "expires_at": "..."}.
func (s *Server) adminInstallationToken(r *http.Request, _ []byte) (int, any, error) {
	id, err := idParam(r)
	if err != nil {
		return 0, nil, err
	}
	token, expires, err := s.InstallationToken(id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]string{"token": token, "expires_at": timestamp(expires)}, nil
}

// adminSetAppKey replaces an App's public key: {"public_key": "PEM"}.
func (s *Server) adminSetAppKey(r *http.Request, body []byte) (int, any, error) {
	id, err := idParam(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		PublicKey string `json:"public_key"`
	}
	if err := decodeStrict(body, &in); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.SetAppKey(id, []byte(in.PublicKey))
}

type rateLimitJSON struct {
	Limit     int   `json:"limit"`
	Remaining int   `json:"remaining"`
	Reset     int64 `json:"reset"` // unix seconds; 0 keeps the window
}

var errNoToken = errors.New("name the token in the Authorization header")

func (s *Server) adminGetRateLimit(r *http.Request, _ []byte) (int, any, error) {
	token := bearer(r.Header.Get("Authorization"))
	if token == "" {
		return 0, nil, errNoToken
	}
	rl := s.RateLimit(token)
	return http.StatusOK, rateLimitJSON{Limit: rl.Limit, Remaining: rl.Remaining, Reset: rl.Reset.Unix()}, nil
}

func (s *Server) adminSetRateLimit(r *http.Request, body []byte) (int, any, error) {
	token := bearer(r.Header.Get("Authorization"))
	if token == "" {
		return 0, nil, errNoToken
	}
	var in rateLimitJSON
	if err := decodeStrict(body, &in); err != nil {
		return 0, nil, err
	}
	rl := RateLimit{Limit: in.Limit, Remaining: in.Remaining}
	if in.Reset != 0 {
		rl.Reset = time.Unix(in.Reset, 0)
	}
	s.SetRateLimit(token, rl)
	return s.adminGetRateLimit(r, nil)
}

func (s *Server) adminStats(*http.Request, []byte) (int, any, error) {
	stats := map[string]any{"secondary_limit_hits": s.SecondaryLimitHits(), "violations": s.Violations(), "min_mutation_gap_seconds": nil}
	if gap, ok := s.MinMutationGap(); ok {
		stats["min_mutation_gap_seconds"] = gap.Seconds()
	}
	return http.StatusOK, stats, nil
}
