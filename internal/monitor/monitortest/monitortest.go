// Package monitortest builds a monitor.Service for tests: on a real
// database, with an insert-only River client, so the jobs a use case
// enqueues are stored (and can be asserted or worked by the test) but no
// worker runs behind the test's back.
package monitortest

import (
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/store"
)

// New returns a Service and its store over db.
func New(tb testing.TB, db *sqlx.DB, opts ...monitor.Option) (*monitor.Service, *store.Store) {
	tb.Helper()
	jc, err := river.NewClient(riverdatabasesql.New(db.DB), &river.Config{
		FetchPollInterval:   time.Second,
		SkipUnknownJobCheck: true, // no workers here: jobs are only inserted
	})
	if err != nil {
		tb.Fatalf("river client: %v", err)
	}
	st := store.New(db)
	return monitor.New(st, jc, opts...), st
}
