package main

import (
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

var liveHeap = regexp.MustCompile(`^/gc/heap/live:bytes$`)

// metrics are the hook server's own Prometheus series.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookops_hook_requests_total",
			Help: "Hook requests served, by controller, hook and HTTP status code.",
		}, []string{"controller", "hook", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hookops_hook_request_duration_seconds",
			Help: "Time to answer a hook request, by controller and hook.",
			// From 1 ms: a steady-state sync answers in a few.
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"controller", "hook"}),
	}
	m.registry.MustRegister(m.requests, m.duration,
		// The live heap (what the last GC kept) is the memory the
		// server needs; the heap in use also holds garbage not yet freed.
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.GoRuntimeMetricsRule{Matcher: liveHeap})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe records one request under the labels of its route.
func (m *metrics) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		l := labelsOf(r.Context())
		m.requests.WithLabelValues(l.controller, l.hook, strconv.Itoa(ww.Status())).Inc()
		m.duration.WithLabelValues(l.controller, l.hook).Observe(time.Since(start).Seconds())
	})
}
