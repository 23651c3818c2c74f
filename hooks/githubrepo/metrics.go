package githubrepo

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the operator's GitHub-facing Prometheus series. A nil
// *Metrics records nothing.
type Metrics struct {
	requests     *prometheus.CounterVec
	durations    *prometheus.HistogramVec
	notModifieds prometheus.Counter
}

// NewMetrics registers the series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookops_github_requests_total",
			Help: "GitHub API requests, by operation (method and route template) and HTTP status (\"error\" when no answer came).",
		}, []string{"operation", "code"}),
		// Beside hookops_hook_request_duration_seconds it tells how much of
		// a hook call was spent waiting for GitHub.
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookops_github_request_duration_seconds",
			Help:    "Time from sending a GitHub API request to its answer's headers, by operation (method and route template).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"operation"}),
		notModifieds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookops_github_not_modified_total",
			Help: "Conditional GitHub reads answered 304 Not Modified, which cost no rate limit.",
		}),
	}
	reg.MustRegister(m.requests, m.durations, m.notModifieds)
	return m
}

func (m *Metrics) request(operation, code string, took time.Duration) {
	if m != nil {
		m.requests.WithLabelValues(operation, code).Inc()
		m.durations.WithLabelValues(operation).Observe(took.Seconds())
	}
}

func (m *Metrics) notModified() {
	if m != nil {
		m.notModifieds.Inc()
	}
}
