package ghwebhook

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Outcomes of a delivery, the outcome label of
// hookops_github_webhook_deliveries_total.
const (
	outcomeTriggered    = "triggered"    // at least one GitHubRepo was annotated
	outcomeUnmatched    = "unmatched"    // no GitHubRepo manages the repository
	outcomeDuplicate    = "duplicate"    // the GUID was seen recently
	outcomeIgnored      = "ignored"      // an event or action that needs no sync
	outcomePong         = "pong"         // GitHub's ping
	outcomeUnauthorized = "unauthorized" // missing or bad signature
	outcomeBadRequest   = "bad_request"  // missing headers, undecodable payload
	outcomeTooLarge     = "too_large"    // over --max-body-bytes
	outcomeUnsupported  = "unsupported"  // not application/json
	outcomeFailed       = "failed"       // GitHubRepos matched, none could be annotated
	outcomeUnavailable  = "unavailable"  // no secret or no index yet
	labelUnknown        = "unknown"      // event or action before the signature is checked
	labelOther          = "other"        // an event or action outside the known set
	labelNone           = ""             // an event without an action (ping)
)

// metrics are the receiver's Prometheus series. Label values come from
// fixed sets, never from the request as it is, so that a stranger cannot
// grow their number: event and action are "unknown" until the signature is
// checked and "other" outside the known events and actions.
type metrics struct {
	registry   *prometheus.Registry
	deliveries *prometheus.CounterVec
	triggered  prometheus.Counter
	failures   prometheus.Counter
	remembered prometheus.GaugeFunc
}

func newMetrics(remembered func() float64) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookops_github_webhook_deliveries_total",
			Help: "GitHub webhook deliveries received, by event, action and outcome.",
		}, []string{"event", "action", "outcome"}),
		triggered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookops_github_webhook_githubrepos_triggered_total",
			Help: "GitHubRepos annotated so that they sync at once.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hookops_github_webhook_trigger_failures_total",
			Help: "GitHubRepos a delivery concerned that could not be annotated.",
		}),
		remembered: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "hookops_github_webhook_deliveries_remembered",
			Help: "Delivery GUIDs this replica remembers to refuse replays.",
		}, remembered),
	}
	m.registry.MustRegister(m.deliveries, m.triggered, m.failures, m.remembered,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) delivery(event, action, outcome string) {
	m.deliveries.WithLabelValues(event, action, outcome).Inc()
}
