package budget

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The budget's series are read from its state when scraped, so a
// credential it has forgotten leaves no series behind. Credentials are
// named by the id the caller gave (a short hash), never by the token.
var (
	remainingDesc = prometheus.NewDesc("hookops_github_budget_remaining",
		"What this replica may still send on a credential now, per limit: primary (requests, as GitHub last reported), content/<window> (writes), points/<window>.",
		[]string{"credential", "limit"}, nil)
	waitedDesc = prometheus.NewDesc("hookops_github_budget_wait_seconds_total",
		"Time requests of a credential spent waiting for its budget before they were sent.",
		[]string{"credential"}, nil)
	limitedDesc = prometheus.NewDesc("hookops_github_budget_limited_until_seconds",
		"Unix time until which GitHub said a credential is limited; 0 when it is not.",
		[]string{"credential"}, nil)
	credentialsDesc = prometheus.NewDesc("hookops_github_budget_credentials",
		"Credentials the budget remembers; those idle for longer than their longest window are forgotten.",
		nil, nil)
)

func (b *Budget) Describe(ch chan<- *prometheus.Desc) {
	ch <- remainingDesc
	ch <- waitedDesc
	ch <- limitedDesc
	ch <- credentialsDesc
}

func (b *Budget) Collect(ch chan<- prometheus.Metric) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(credentialsDesc, float64(len(b.creds)))
	for id, c := range b.creds {
		if c.primary.known {
			gauge(remainingDesc, float64(c.primary.remaining), id, "primary")
		}
		for _, lg := range c.content {
			gauge(remainingDesc, float64(lg.remaining(now)), id, "content/"+lg.Per.String())
		}
		for _, lg := range c.points {
			gauge(remainingDesc, float64(lg.remaining(now)), id, "points/"+lg.Per.String())
		}
		ch <- prometheus.MustNewConstMetric(waitedDesc, prometheus.CounterValue, c.waited.Seconds(), id)
		until := 0.0
		if c.limitedUntil.After(now) {
			until = float64(c.limitedUntil.Unix())
		}
		gauge(limitedDesc, until, id)
	}
}
