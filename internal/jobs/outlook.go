package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// outlookBudget is how long one run of the outlook job projects sellers
// before it snoozes and lets other jobs have the worker; it picks up where
// it left off (the sellers not projected since the period's start).
const outlookBudget = 2 * time.Minute

// Outlooker projects sellers' standards and flags the crossings
// (health.Watch): declared here so the worker needs no import of it.
type Outlooker interface {
	Run(ctx context.Context, since time.Time, budget time.Duration) (OutlookRun, error)
}

// OutlookRun is what one call of Outlooker.Run did.
type OutlookRun struct {
	// Ran is false when another process was running the job: nothing done.
	Ran bool
	// Sellers is how many sellers were projected; Skipped how many were
	// not, nothing of theirs having changed since their last projection
	// on the same day; More is true when some not run since the period's
	// start remain (the budget ran out).
	Sellers, Skipped int
	More             bool
	Raised, Resolved int
}

// OutlookArgs is one period of the outlook job: Period is the start of the
// interval it covers, which makes it unique, and the sellers projected
// since then are done.
type OutlookArgs struct {
	Period time.Time `json:"period"`
}

// Kind implements river.JobArgs.
func (OutlookArgs) Kind() string { return "shipwatch.health.outlook" }

type outlookWorker struct {
	river.WorkerDefaults[OutlookArgs]
	watch Outlooker
	log   *slog.Logger
}

// Work projects the period's sellers one at a time. Another process
// holding the job's lock (a longer earlier period) skips this run: the
// sellers it leaves are due in the next period. When the budget runs out
// first, the job snoozes and continues.
func (w *outlookWorker) Work(ctx context.Context, job *river.Job[OutlookArgs]) error {
	begin := time.Now()
	run, err := w.watch.Run(ctx, job.Args.Period, outlookBudget)
	if !run.Ran && err == nil {
		w.log.WarnContext(ctx, "outlook skipped: another run holds the lock", "period", job.Args.Period)
		return nil
	}
	w.log.InfoContext(ctx, "outlook run", "period", job.Args.Period, "sellers", run.Sellers, "skipped", run.Skipped, "raised", run.Raised,
		"resolved", run.Resolved, "more", run.More, "duration_ms", time.Since(begin).Milliseconds())
	if err != nil {
		return err
	}
	if run.More {
		return river.JobSnooze(time.Second)
	}
	return nil
}

// Timeout leaves the budget and one large seller's forecasts on every
// marketplace after it.
func (w *outlookWorker) Timeout(*river.Job[OutlookArgs]) time.Duration {
	return outlookBudget + 8*time.Minute
}

// AddOutlookWorker registers the outlook job's worker.
func AddOutlookWorker(workers *river.Workers, watch Outlooker, log *slog.Logger) {
	river.AddWorker(workers, &outlookWorker{watch: watch, log: log})
}

// OutlookJob is the periodic outlook job, every interval and on start. The
// elected leader enqueues it and the insert is unique by period, so each
// period is run once whatever the number of processes.
func OutlookJob(every time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
		return OutlookArgs{Period: time.Now().UTC().Truncate(every)}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: every}}
	}, &river.PeriodicJobOpts{ID: "shipwatch.health.outlook", RunOnStart: true})
}
