package githubrepo

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the operator's GitHub-facing Prometheus series. A nil
// *Metrics records nothing.
type Metrics struct {
	requests     *prometheus.CounterVec
	notModifieds prometheus.Counter
}

// NewMetrics registers the series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookops_github_requests_total",
			Help: "GitHub API requests, by operation (method and route template) and HTTP status (\"error\" when no answer came).",
		}, []string{"operation", "code"}),
		notModifieds: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookops_github_not_modified_total",
			Help: "Conditional GitHub reads answered 304 Not Modified, which cost no rate limit.",
		}),
	}
	reg.MustRegister(m.requests, m.notModifieds)
	return m
}

func (m *Metrics) request(operation, code string) {
	if m != nil {
		m.requests.WithLabelValues(operation, code).Inc()
	}
}

func (m *Metrics) notModified() {
	if m != nil {
		m.notModifieds.Inc()
	}
}
