package app

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/monitor"
)

// importOptions configures the file importer: its limits, the job that
// loads an upload, and the row counters of /metrics.
func importOptions(cfg config.Config, enqueue *jobs.Client, reg *prometheus.Registry) monitor.ImportOptions {
	rows := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shipwatch_import_rows_total",
		Help: "Rows of uploaded files loaded, by result: created, updated or rejected.",
	}, []string{"result"})
	steps := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "shipwatch_import_batch_step_seconds",
		Help: "Time each step of an import batch took, by step (parse, upsert, refresh, registrations, risk, rules, announce, errors, progress, commit, recheck).",
		// A batch is 10,000 rows: its steps take from a millisecond to seconds.
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
	}, []string{"step"})
	reg.MustRegister(rows, steps)
	return monitor.ImportOptions{
		MaxFileBytes: cfg.MaxUploadBytes,
		MaxRowBytes:  cfg.MaxRowBytes,
		Enqueue:      jobs.ImportEnqueuer(enqueue),
		OnBatch: func(created, updated, rejected int) {
			rows.WithLabelValues("created").Add(float64(created))
			rows.WithLabelValues("updated").Add(float64(updated))
			rows.WithLabelValues("rejected").Add(float64(rejected))
		},
		OnStep: func(step string, d time.Duration) { steps.WithLabelValues(step).Observe(d.Seconds()) },
	}
}
