package monitor_test

import (
	"testing"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// newService returns a Service on a fresh database with an insert-only
// River client: jobs are enqueued, not worked, so a test runs them itself.
func newService(tb testing.TB) (*monitor.Service, *store.Store) {
	tb.Helper()
	return monitortest.New(tb, dbtest.DB(tb))
}
