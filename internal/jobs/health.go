package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/shipwatch/shipwatch/internal/store"
)

// healthCompactBatch is how many rollup keys one statement folds: small
// enough to keep each transaction short.
const healthCompactBatch = 5000

// HealthCompactArgs folds the account-health rollup's deltas (see
// store.CompactHealthCounts). It keeps reads fast; counts are exact
// whether or not it ran.
type HealthCompactArgs struct{}

// Kind implements river.JobArgs.
func (HealthCompactArgs) Kind() string { return "shipwatch.health.compact" }

type healthCompactWorker struct {
	river.WorkerDefaults[HealthCompactArgs]
	store *store.Store
}

// Work folds batches until a batch comes back short. Running it twice
// changes nothing the second time.
func (w *healthCompactWorker) Work(ctx context.Context, _ *river.Job[HealthCompactArgs]) error {
	for {
		n, err := w.store.CompactHealthCounts(ctx, healthCompactBatch)
		if err != nil || n < healthCompactBatch {
			return err
		}
	}
}

// AddHealthWorkers registers the account-health workers.
func AddHealthWorkers(workers *river.Workers, st *store.Store) {
	river.AddWorker(workers, &healthCompactWorker{store: st})
}

// HealthCompactJob is the periodic compaction, once per interval and on
// start; at most one is queued per interval.
func HealthCompactJob(every time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
		return HealthCompactArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: every}}
	}, &river.PeriodicJobOpts{RunOnStart: true})
}
