package main

import (
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookops/hookops/conversion"
	"github.com/hookops/hookops/hooks/metacontroller"
)

// route is one row of the route table: a path as callers send it, the
// controller and hook labels of its metrics and spans, and what serves it.
type route struct {
	path             string
	controller, hook string
	caller           caller
	handler          http.Handler
}

// caller is who calls a route, which decides its method and the middleware
// its requests pass.
type caller int

const (
	// probeCall is the kubelet or Prometheus: GET, unguarded, untraced,
	// logged at debug.
	probeCall caller = iota
	// apiServerCall is kube-apiserver's conversion webhook: POST, without
	// hook credentials.
	apiServerCall
	// hookCall is Metacontroller: POST, through every hook guard.
	hookCall
)

func (c caller) method() string {
	if c == probeCall {
		return http.MethodGet
	}
	return http.MethodPost
}

// routeTable is every path the server serves. A hook path here must match
// spec.hooks.<hook>.webhook.path in manifests/controllers, which a test checks.
func routeTable(c controllerSet, m *metrics, ready *atomic.Bool) []route {
	return []route{
		{"/healthz", "", "", probeCall, http.HandlerFunc(healthz)},
		{"/readyz", "", "", probeCall, readyz(ready)},
		{"/metrics", "", "", probeCall, promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})},

		{"/convert", "conversion", "convert", apiServerCall, serve(conversion.DecodeReview, conversion.Review, conversion.EncodeReview)},

		{"/hooks/githubrepo/customize", "githubrepo", "customize", hookCall, serveHook(metacontroller.DecodeCustomize, c.githubrepo.Customize)},
		{"/hooks/githubrepo/sync", "githubrepo", "sync", hookCall, serveHook(metacontroller.DecodeComposite, c.githubrepo.Sync)},
		{"/hooks/githubrepo/finalize", "githubrepo", "finalize", hookCall, serveHook(metacontroller.DecodeComposite, c.githubrepo.Finalize)},

		{"/hooks/credentials/customize", "credentials", "customize", hookCall, serveHook(metacontroller.DecodeCustomize, c.credentials.Customize)},
		{"/hooks/credentials/sync", "credentials", "sync", hookCall, serveHook(metacontroller.DecodeDecorator, c.credentials.Sync)},
		{"/hooks/credentials/finalize", "credentials", "finalize", hookCall, serveHook(metacontroller.DecodeDecorator, c.credentials.Finalize)},

		{"/hooks/mirror/customize", "mirror", "customize", hookCall, serveHook(metacontroller.DecodeCustomize, c.mirror.Customize)},
		{"/hooks/mirror/sync", "mirror", "sync", hookCall, serveHook(metacontroller.DecodeRawDecorator, c.mirror.Sync)},
		{"/hooks/mirror/finalize", "mirror", "finalize", hookCall, serveHook(metacontroller.DecodeRawDecorator, c.mirror.Finalize)},

		// mirror-sources only annotates the sources and writes no copies, so
		// it has nothing to finalize.
		{"/hooks/mirror-sources/customize", "mirror-sources", "customize", hookCall, serveHook(metacontroller.DecodeCustomize, c.mirror.CustomizeSource)},
		{"/hooks/mirror-sources/sync", "mirror-sources", "sync", hookCall, serveHook(metacontroller.DecodeDecorator, c.mirror.SyncSource)},
	}
}

func healthz(w http.ResponseWriter, _ *http.Request) { writeOK(w) }

func readyz(ready *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !ready.Load() {
			writeError(w, http.StatusServiceUnavailable, "shutting down")
			return
		}
		writeOK(w)
	})
}

func writeOK(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}
