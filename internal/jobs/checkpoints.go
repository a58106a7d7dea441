package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// CheckpointArgs asks for the evidence checkpoints of every seller whose
// chains moved since their latest one.
type CheckpointArgs struct{}

// Kind is the job's public name.
func (CheckpointArgs) Kind() string { return "shipwatch.evidence.checkpoint" }

// Checkpointer signs evidence checkpoints (monitor.Service).
type Checkpointer interface {
	// MakeCheckpoints signs what moved, at most once per seller per
	// interval; it says how many it signed and describes each chain found
	// behind its checkpoint.
	MakeCheckpoints(ctx context.Context, interval time.Duration) (signed int, behind []string, err error)
}

// CheckpointWorker runs the checkpoints. Running it twice signs nothing
// the second time: nothing moved since.
type CheckpointWorker struct {
	river.WorkerDefaults[CheckpointArgs]
	checkpointer Checkpointer
	interval     time.Duration
	log          *slog.Logger
}

// Work signs the checkpoints due and logs every chain found behind its
// checkpoint: someone rewound evidence in the database.
func (w *CheckpointWorker) Work(ctx context.Context, _ *river.Job[CheckpointArgs]) error {
	signed, behind, err := w.checkpointer.MakeCheckpoints(ctx, w.interval)
	for _, b := range behind {
		w.log.ErrorContext(ctx, "evidence chain behind its checkpoint: evidence was removed or rewritten in the database", "chain", b)
	}
	if signed > 0 {
		w.log.DebugContext(ctx, "evidence checkpoints signed", "sellers", signed)
	}
	return err
}

// AddCheckpointWorker registers the checkpoint worker.
func AddCheckpointWorker(workers *river.Workers, checkpointer Checkpointer, interval time.Duration, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	river.AddWorker(workers, &CheckpointWorker{checkpointer: checkpointer, interval: interval, log: log})
}

// CheckpointJob runs the checkpoints every interval, enqueued by the
// elected leader only and unique per interval, so many replicas make one
// run per interval.
func CheckpointJob(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval), func() (river.JobArgs, *river.InsertOpts) {
		return CheckpointArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: interval}}
	}, &river.PeriodicJobOpts{ID: "shipwatch.evidence.checkpoint"})
}
