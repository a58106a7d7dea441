package jobs

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// jobMetrics counts worked jobs by kind and outcome, and times them: what
// an operator watches to see jobs failing or backing up.
type jobMetrics struct {
	river.MiddlewareDefaults
	worked   *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newJobMetrics(reg *prometheus.Registry) *jobMetrics {
	m := &jobMetrics{
		worked: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shipwatch_jobs_worked_total",
			Help: "Jobs worked, by kind and outcome (ok or error).",
		}, []string{"kind", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "shipwatch_job_duration_seconds",
			Help:    "Time spent working a job, by kind.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}, []string{"kind"}),
	}
	reg.MustRegister(m.worked, m.duration)
	return m
}

// Work implements rivertype.WorkerMiddleware.
func (m *jobMetrics) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	start := time.Now()
	err := doInner(ctx)
	m.duration.WithLabelValues(job.Kind).Observe(time.Since(start).Seconds())
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.worked.WithLabelValues(job.Kind, outcome).Inc()
	return err
}
