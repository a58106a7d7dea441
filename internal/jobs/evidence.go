package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/shipwatch/shipwatch/internal/store"
)

// EvidencePurgeArgs asks for the evidence past its retention period to be
// purged. It runs daily (EvidencePurgeJob) and can be enqueued by hand.
type EvidencePurgeArgs struct{}

// Kind is the job's public name.
func (EvidencePurgeArgs) Kind() string { return "shipwatch.evidence.purge" }

// InsertOpts makes the purge unique per hour: restarts and hand-queued
// runs do not pile up purges.
func (EvidencePurgeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

// EvidenceDeps is what the evidence jobs need.
type EvidenceDeps struct {
	Store *store.Store
	Log   *slog.Logger
	// Retention is how long evidence is kept after the last activity on
	// its shipments.
	Retention time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// EvidencePurgeWorker deletes evidence older than the retention period,
// never while a dispute on its shipment is open. Running it twice deletes
// nothing the second time.
type EvidencePurgeWorker struct {
	river.WorkerDefaults[EvidencePurgeArgs]
	deps EvidenceDeps
}

// NewEvidencePurgeWorker returns the purge worker.
func NewEvidencePurgeWorker(deps EvidenceDeps) *EvidencePurgeWorker {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	return &EvidencePurgeWorker{deps: deps}
}

// Work purges.
func (w *EvidencePurgeWorker) Work(ctx context.Context, _ *river.Job[EvidencePurgeArgs]) error {
	cutoff := w.deps.Now().Add(-w.deps.Retention)
	n, err := w.deps.Store.PurgeEvidence(ctx, cutoff)
	if err != nil {
		return err
	}
	if n.Chains > 0 && w.deps.Log != nil {
		w.deps.Log.InfoContext(ctx, "evidence purged", "cutoff", cutoff, "chains", n.Chains,
			"events", n.Events, "proofs", n.Proofs, "images", n.Images)
	}
	return nil
}

// AddEvidenceWorkers registers the evidence workers.
func AddEvidenceWorkers(workers *river.Workers, deps EvidenceDeps) {
	river.AddWorker(workers, NewEvidencePurgeWorker(deps))
}

// EvidencePurgeJob is the daily purge, run once when the process starts.
func EvidencePurgeJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return EvidencePurgeArgs{}, nil },
		&river.PeriodicJobOpts{ID: "shipwatch.evidence.purge", RunOnStart: true})
}
