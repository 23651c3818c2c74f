package main

import (
	"log/slog"
	"net/http"
	"sync/atomic"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookops/hookops/conversion"
)

// routerDeps is what the router serves.
type routerDeps struct {
	cfg     *config
	log     *slog.Logger
	metrics *metrics
	hooks   []hookRoute
	ready   *atomic.Bool
}

func newRouter(d routerDeps) (http.Handler, error) {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, requestIDHeader, accessLog(d.log), nameSpan, recoverJSON(d.log))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no route for "+r.URL.Path)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+r.URL.Path)
	})

	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) { writeOK(w) })
	r.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !d.ready.Load() {
			writeError(w, http.StatusServiceUnavailable, "shutting down")
			return
		}
		writeOK(w)
	})
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(d.metrics.registry, promhttp.HandlerOpts{}))

	// kube-apiserver calls /convert over TLS without hook credentials; it
	// still gets the body limit and the deadline.
	r.With(requireJSON, limitBody(d.cfg.MaxBodyBytes), deadline(d.cfg.RequestTimeout), d.metrics.observe("conversion", "convert")).
		Method(http.MethodPost, "/convert", conversion.Handler{})

	guard, err := hookGuards(d.cfg)
	if err != nil {
		return nil, err
	}
	// Metrics come before the guards, so that requests they refuse (401,
	// 413, 415, 429) are counted too.
	for _, h := range d.hooks {
		mw := append([]func(http.Handler) http.Handler{d.metrics.observe(h.controller, h.hook)}, guard...)
		r.With(append(mw, traceHook(h.controller, h.hook))...).Post("/hooks/"+h.controller+"/"+h.hook, h.handler.ServeHTTP)
	}
	if !d.cfg.Tracing {
		return r, nil
	}
	return traceRequests(r), nil
}

// hookGuards is the middleware every hook request passes, cheapest refusal first.
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

func writeOK(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// isProbe reports whether path is a health, readiness or metrics endpoint:
// scraped often, so logged at debug and never traced.
func isProbe(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics"
}
