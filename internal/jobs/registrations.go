package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// RegisterArgs asks for a tracking source's pending numbers to be
// registered with its provider (17TRACK). A write that queues numbers
// enqueues it in its own transaction; the job sends whatever is pending
// for the source, so several of them for one source share the work.
type RegisterArgs struct {
	SellerID string `json:"seller_id"`
	SourceID string `json:"source_id"`
}

// Kind implements river.JobArgs.
func (RegisterArgs) Kind() string { return "shipwatch.17track.register" }

// Registerer sends a source's pending numbers to its provider.
type Registerer interface {
	// RegisterPending returns more when its budget ran out with numbers
	// left, an error that retries the job, or one of the two below.
	RegisterPending(ctx context.Context, sellerID, sourceID string) (more bool, err error)
}

// RateLimitedError says the provider asked to wait: the job is snoozed.
type RateLimitedError interface {
	error
	Wait() time.Duration
}

// AddRegisterWorker registers the registration worker. halted is the
// error after which the job is cancelled rather than retried (the account
// was refused: the seller must act).
func AddRegisterWorker(workers *river.Workers, reg Registerer, halted error) {
	river.AddWorker(workers, &registerWorker{reg: reg, halted: halted})
}

type registerWorker struct {
	river.WorkerDefaults[RegisterArgs]
	reg    Registerer
	halted error
}

func (w *registerWorker) Work(ctx context.Context, job *river.Job[RegisterArgs]) error {
	more, err := w.reg.RegisterPending(ctx, job.Args.SellerID, job.Args.SourceID)
	var limited RateLimitedError
	switch {
	case errors.As(err, &limited):
		return river.JobSnooze(limited.Wait())
	case w.halted != nil && errors.Is(err, w.halted):
		return river.JobCancel(err)
	case err != nil:
		return fmt.Errorf("register numbers of source %s: %w", job.Args.SourceID, err)
	case more:
		return river.JobSnooze(0)
	}
	return nil
}

// Timeout leaves room for the registration budget and the calls in flight.
func (w *registerWorker) Timeout(*river.Job[RegisterArgs]) time.Duration { return 2 * time.Minute }
