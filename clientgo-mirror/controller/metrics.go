package controller

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookops/hookops/mirror"
)

// metrics are the controller's own series, beside the workqueue's.
type metrics struct {
	syncs     *prometheus.CounterVec
	writes    *prometheus.CounterVec
	conflicts *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mirror_syncs_total",
			Help: "Source syncs, by result (success or error).",
		}, []string{"result"}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mirror_copy_writes_total",
			Help: "Copies written, by action (create, update, delete).",
		}, []string{"action"}),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mirror_conflicts_total",
			Help: "Copies that could not be written, by reason (Occupied, TypeMismatch, Contended, Held, InvalidSelector).",
		}, []string{"reason"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.syncs, m.writes, m.conflicts} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) sync(err error) {
	result := "success"
	if err != nil {
		result = "error"
	}
	m.syncs.WithLabelValues(result).Inc()
}

func (m *metrics) wrote(action string) { m.writes.WithLabelValues(action).Inc() }

func (m *metrics) conflict(r mirror.Reason) { m.conflicts.WithLabelValues(string(r)).Inc() }
