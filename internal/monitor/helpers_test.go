package monitor_test

import (
	"testing"

	"github.com/riverqueue/river"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/store"
)

// newService returns a Service on a fresh database with an insert-only
// River client: jobs are enqueued, not worked, so a test runs them itself.
func newService(tb testing.TB) (*monitor.Service, *store.Store) {
	tb.Helper()
	db := dbtest.DB(tb)
	st := store.New(db)
	workers := river.NewWorkers()
	jobs.AddMonitorWorkers(workers, &jobs.MonitorDeps{Store: st})
	jc, err := jobs.NewClient(db.DB, workers, jobs.Options{PollInterval: 100e6})
	if err != nil {
		tb.Fatal(err)
	}
	return monitor.New(st, jc), st
}
