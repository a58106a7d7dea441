package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"
)

// ImportLoadArgs loads an uploaded file of shipments into the seller's
// shipments, from the import's checkpoint.
type ImportLoadArgs struct {
	SellerID string `json:"seller_id"`
	ImportID string `json:"import_id"`
}

// Kind implements river.JobArgs.
func (ImportLoadArgs) Kind() string { return "shipwatch.import.load" }

// InsertOpts implements river.JobArgsWithInsertOpts: a failed attempt
// resumes from the checkpoint, so retrying is cheap and safe.
func (ImportLoadArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// ImportResumeArgs looks for loads whose worker died and queues them again.
type ImportResumeArgs struct{}

// Kind implements river.JobArgs.
func (ImportResumeArgs) Kind() string { return "shipwatch.import.resume" }

// ImportResumeInterval is how often the resume sweep runs. With the
// sweep's staleness threshold it bounds how long a load killed with its
// server waits to continue (River's own rescue of the orphaned job takes an
// hour).
const ImportResumeInterval = 15 * time.Second

// ImportLoader is what the import jobs run (monitor.Importer). An error
// with a RetryAfter() time.Duration method snoozes the job; one with a
// Permanent() bool method returning true cancels it.
type ImportLoader interface {
	LoadImport(ctx context.Context, sellerID, importID string) error
	FailImport(ctx context.Context, sellerID, importID, reason string) error
	ResumeImports(ctx context.Context) (int, error)
}

// AddImportWorkers registers the import workers.
func AddImportWorkers(workers *river.Workers, loader ImportLoader) {
	river.AddWorker(workers, &importLoadWorker{loader: loader})
	river.AddWorker(workers, &importResumeWorker{loader: loader})
}

// ImportResumeJob is the periodic resume sweep. It also runs when this
// process becomes River's leader, so a restarted server resumes at once.
func ImportResumeJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(ImportResumeInterval),
		func() (river.JobArgs, *river.InsertOpts) { return ImportResumeArgs{}, nil },
		&river.PeriodicJobOpts{ID: "shipwatch.import.resume", RunOnStart: true})
}

// ImportEnqueuer returns how the importer queues a load, in the caller's
// transaction.
func ImportEnqueuer(client *Client) func(ctx context.Context, tx *sqlx.Tx, sellerID, importID string) error {
	return func(ctx context.Context, tx *sqlx.Tx, sellerID, importID string) error {
		if _, err := client.InsertTx(ctx, tx.Tx, ImportLoadArgs{SellerID: sellerID, ImportID: importID}, nil); err != nil {
			return fmt.Errorf("enqueue import load: %w", err)
		}
		return nil
	}
}

type importLoadWorker struct {
	river.WorkerDefaults[ImportLoadArgs]
	loader ImportLoader
}

// Timeout bounds one attempt. A gigabyte loads in minutes; an attempt cut
// short resumes from its checkpoint, so the bound costs nothing.
func (*importLoadWorker) Timeout(*river.Job[ImportLoadArgs]) time.Duration { return time.Hour }

func (l *importLoadWorker) Work(ctx context.Context, job *river.Job[ImportLoadArgs]) error {
	err := l.loader.LoadImport(ctx, job.Args.SellerID, job.Args.ImportID)
	if err == nil {
		return nil
	}
	var busy interface{ RetryAfter() time.Duration }
	if errors.As(err, &busy) {
		return river.JobSnooze(busy.RetryAfter())
	}
	var perm interface{ Permanent() bool }
	if errors.As(err, &perm) && perm.Permanent() {
		return river.JobCancel(err)
	}
	if job.Attempt >= job.MaxAttempts {
		reason := fmt.Sprintf("the load failed %d times; the server's log has the errors", job.Attempt)
		if ferr := l.loader.FailImport(ctx, job.Args.SellerID, job.Args.ImportID, reason); ferr != nil {
			return errors.Join(err, ferr)
		}
	}
	return err
}

type importResumeWorker struct {
	river.WorkerDefaults[ImportResumeArgs]
	loader ImportLoader
}

func (r *importResumeWorker) Work(ctx context.Context, _ *river.Job[ImportResumeArgs]) error {
	_, err := r.loader.ResumeImports(ctx)
	return err
}
