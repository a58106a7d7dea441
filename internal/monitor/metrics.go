package monitor

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/store"
)

// flagMetrics counts flags raised and resolved, and reports open flags:
// what an operator watches to see monitoring work.
type flagMetrics struct {
	raised   *prometheus.CounterVec
	resolved *prometheus.CounterVec
}

func newFlagMetrics(reg prometheus.Registerer, st *store.Store) *flagMetrics {
	m := &flagMetrics{
		raised: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shipwatch_flags_raised_total",
			Help: "Flags raised by this process, by kind.",
		}, []string{"kind"}),
		resolved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shipwatch_flags_resolved_total",
			Help: "Flags resolved by this process, by kind and resolution (AUTO or MANUAL).",
		}, []string{"kind", "resolution"}),
	}
	reg.MustRegister(m.raised, m.resolved, openFlags{st})
	return m
}

// count is safe on a nil receiver (no registry given).
func (m *flagMetrics) count(raised, resolved []flag.Flag) {
	if m == nil {
		return
	}
	for _, f := range raised {
		m.raised.WithLabelValues(string(f.Kind)).Inc()
	}
	for _, f := range resolved {
		m.resolved.WithLabelValues(string(f.Kind), string(f.Resolution)).Inc()
	}
}

// openFlags reports the open flags by kind, read from the database at
// scrape time, so every replica reports the same figure.
type openFlags struct{ st *store.Store }

var openFlagsDesc = prometheus.NewDesc("shipwatch_flags_open", "Open flags across sellers, by kind.", []string{"kind"}, nil)

func (o openFlags) Describe(ch chan<- *prometheus.Desc) { ch <- openFlagsDesc }

func (o openFlags) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := o.st.OpenFlagCounts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(openFlagsDesc, err)
		return
	}
	for kind, n := range counts {
		ch <- prometheus.MustNewConstMetric(openFlagsDesc, prometheus.GaugeValue, float64(n), kind)
	}
}
