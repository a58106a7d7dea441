package app

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/monitor"
)

// addImports registers the file-import workers, which must happen before
// the River client exists, and returns the step that builds the importer
// once the client and the use cases do.
func (a *App) addImports(workers *river.Workers, reg *prometheus.Registry) (wire func()) {
	w := jobs.AddImportWorkers(workers)
	a.workers += jobs.ImportWorkerKinds
	rows := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shipwatch_import_rows_total",
		Help: "Rows of uploaded files loaded, by result: created, updated or rejected.",
	}, []string{"result"})
	reg.MustRegister(rows)
	return func() {
		a.Imports = a.Monitor.Importer(monitor.ImportOptions{
			MaxFileBytes: a.Config.MaxUploadBytes,
			MaxRowBytes:  a.Config.MaxRowBytes,
			Enqueue:      jobs.ImportEnqueuer(a.River),
			OnBatch: func(created, updated, rejected int) {
				rows.WithLabelValues("created").Add(float64(created))
				rows.WithLabelValues("updated").Add(float64(updated))
				rows.WithLabelValues("rejected").Add(float64(rejected))
			},
		})
		w.Loader = a.Imports
		a.River.PeriodicJobs().Add(jobs.ImportResumeJob())
	}
}
