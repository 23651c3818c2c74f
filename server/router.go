package main

import (
	"log/slog"
	"net/http"
	"slices"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routerDeps is what the router serves.
type routerDeps struct {
	cfg     *config
	log     *slog.Logger
	metrics *metrics
	routes  []route
}

// newRouter serves the routes of the table, each through the middleware
// of its caller.
func newRouter(d routerDeps) (http.Handler, error) {
	guards, err := hookGuards(d.cfg)
	if err != nil {
		return nil, err
	}
	probes := map[string]bool{}
	allow := map[string]string{}
	for _, rt := range d.routes {
		probes[rt.path] = rt.caller == probeCall
		allow[rt.path] = rt.caller.method()
	}

	r := chi.NewRouter()
	r.Use(middleware.RequestID, requestIDHeader, accessLog(d.log, probes), nameSpan, recoverJSON(d.log))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no route for "+r.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow[r.URL.Path])
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+r.URL.Path)
	})
	for _, rt := range d.routes {
		r.With(d.chain(rt, guards)...).Method(rt.caller.method(), rt.path, rt.handler)
	}
	if !d.cfg.Tracing {
		return r, nil
	}
	return traceRequests(r, probes), nil
}

// chain is the middleware the requests of rt pass, chosen by its caller.
func (d routerDeps) chain(rt route, guards []func(http.Handler) http.Handler) []func(http.Handler) http.Handler {
	switch rt.caller {
	case probeCall:
		return nil
	case apiServerCall:
		// kube-apiserver calls /convert over TLS without hook credentials;
		// it still gets the body limit and the deadline.
		return []func(http.Handler) http.Handler{withLabels(rt), requireJSON, limitBody(d.cfg.MaxBodyBytes), deadline(d.cfg.RequestTimeout), d.metrics.observe}
	default:
		// Metrics come before the guards, so that requests they refuse
		// (401, 413, 415, 429) are counted too.
		return slices.Concat([]func(http.Handler) http.Handler{withLabels(rt), d.metrics.observe}, guards, []func(http.Handler) http.Handler{labelSpan})
	}
}

// hookGuards is the middleware every hook request passes, cheapest refusal
// first. One set serves every hook, so the in-flight limit is the server's.
func hookGuards(cfg *config) ([]func(http.Handler) http.Handler, error) {
	guards := []func(http.Handler) http.Handler{limitInFlight(cfg.MaxInFlight)}
	if cfg.ClientCAFile != "" {
		guards = append(guards, requireClientCert)
	}
	if cfg.AuthTokenFile != "" {
		auth, err := bearerAuth(cfg.AuthTokenFile)
		if err != nil {
			return nil, err
		}
		guards = append(guards, auth)
	}
	return append(guards, requireJSON, limitBody(cfg.MaxBodyBytes), deadline(cfg.RequestTimeout)), nil
}

func requestIDHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(middleware.RequestIDHeader, middleware.GetReqID(r.Context()))
		next.ServeHTTP(w, r)
	})
}
