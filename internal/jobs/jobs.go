// Package jobs holds Shipwatch's River job arguments, workers and periodic
// jobs, and builds the River client that works them. Kind() strings are a
// public contract: jobs already queued must still be understood after an
// upgrade.
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertype"
)

// QueueChecks is the queue of the write-caused monitoring checks.
const QueueChecks = "checks"

// checkWorkers is how many checks a process runs at once. A check is a
// few dozen short keyed statements, so most of its time is round trips,
// not CPU: with two workers the queue behind a webhook load drained with
// the machine half idle. Checks of the same shipments wait on each other's
// row locks, in one order (docs/locking.md), so more workers are safe.
const checkWorkers = 6

// QueueWebhooks is the queue of the jobs that process stored webhooks.
const QueueWebhooks = "webhooks"

// webhookWorkers is how many webhook-processing jobs a process runs at
// once. Each takes every pending delivery it can (up to a batch), so more
// jobs at once do not process more: they wait on each other's
// tracking-number locks while holding pool connections the receivers need
// to store new webhooks. Two keep one batch going while the next starts.
const webhookWorkers = 2

// webhookFetchCooldown is how soon after a fetch the webhook queue may
// fetch again once a worker is free. The receiver enqueues a job for
// every stored batch (dozens a second under load) and most find their
// deliveries already taken by the job before: they take a millisecond,
// and with River's default cooldown (100 ms) two workers would get
// through only twenty a second, leaving a queue of jobs with nothing to do.
const webhookFetchCooldown = 5 * time.Millisecond

// Client is the River client type over database/sql.
type Client = river.Client[*sql.Tx]

// Options configure the River client.
type Options struct {
	// PollInterval is how often to look for new jobs: the database/sql
	// driver cannot LISTEN, so River polls.
	PollInterval time.Duration
	// MaxWorkers is how many jobs this process works at once; 0 makes an
	// insert-only client (CLI commands).
	MaxWorkers   int
	PeriodicJobs []*river.PeriodicJob
	Log          *slog.Logger
	Registry     *prometheus.Registry
}

// NewClient returns a River client on the same pool as the store, so jobs
// are inserted in the transactions of the writes that cause them. With no
// workers and MaxWorkers 0 it is insert-only: the use cases enqueue
// through one, built before the working client, whose workers call them.
func NewClient(db *sql.DB, workers *river.Workers, opt Options) (*Client, error) {
	cfg := &river.Config{
		Logger:            quieten(opt.Log),
		FetchPollInterval: opt.PollInterval,
		FetchCooldown:     min(opt.PollInterval, 100*time.Millisecond),
		Workers:           workers,
		PeriodicJobs:      opt.PeriodicJobs,
		JobTimeout:        10 * time.Minute,
		// An insert-only client has no workers to know the kinds by.
		SkipUnknownJobCheck: workers == nil,
	}
	if opt.MaxWorkers > 0 {
		cfg.Queues = map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: opt.MaxWorkers},
			QueueChecks:        {MaxWorkers: checkWorkers},
			QueueWebhooks:      {MaxWorkers: webhookWorkers, FetchCooldown: webhookFetchCooldown},
		}
		cfg.ErrorHandler = &errorHandler{log: opt.Log}
		if opt.Registry != nil {
			m := newJobMetrics(opt.Registry)
			cfg.Middleware = append(cfg.Middleware, m)
		}
	}
	client, err := river.NewClient(riverdatabasesql.New(db), cfg)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return client, nil
}

// errorHandler logs failed and panicking jobs at the edge, once per
// attempt, with the job's kind and attempt number.
type errorHandler struct{ log *slog.Logger }

func (h *errorHandler) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.log.ErrorContext(ctx, "job failed", "job_id", job.ID, "kind", job.Kind, "attempt", job.Attempt, "max_attempts", job.MaxAttempts, "err", err)
	return nil
}

func (h *errorHandler) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	h.log.ErrorContext(ctx, "job panicked", "job_id", job.ID, "kind", job.Kind, "attempt", job.Attempt, "panic", panicVal, "trace", trace)
	return nil
}
