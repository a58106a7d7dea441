package app

import (
	"github.com/riverqueue/river"

	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/monitor"
)

// addImports registers the file-import workers, which must happen before
// the River client exists, and returns the step that builds the importer
// once the client and the use cases do.
func (a *App) addImports(workers *river.Workers) (wire func()) {
	w := jobs.AddImportWorkers(workers)
	a.workers += jobs.ImportWorkerKinds
	return func() {
		a.Imports = a.Monitor.Importer(monitor.ImportOptions{
			MaxFileBytes: a.Config.MaxUploadBytes,
			MaxRowBytes:  a.Config.MaxRowBytes,
			Enqueue:      jobs.ImportEnqueuer(a.River),
		})
		w.Loader = a.Imports
		a.River.PeriodicJobs().Add(jobs.ImportResumeJob())
	}
}
