package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// PollAccount is one carrier account to poll.
type PollAccount struct {
	SellerID, AccountID string
}

// CarrierPoller polls carrier accounts (monitor.Carriers).
type CarrierPoller interface {
	// PollableAccounts lists every live account.
	PollableAccounts(ctx context.Context) ([]PollAccount, error)
	// PollAccountDue polls one account's due shipments.
	PollAccountDue(ctx context.Context, sellerID, accountID string) error
}

// CarrierTickArgs is the periodic job that queues one poll job per live
// carrier account.
type CarrierTickArgs struct{}

// Kind implements river.JobArgs.
func (CarrierTickArgs) Kind() string { return "shipwatch.carrier.tick" }

// CarrierPollArgs polls one account's due shipments.
type CarrierPollArgs struct {
	SellerID  string `json:"seller_id"`
	AccountID string `json:"account_id"`
}

// Kind implements river.JobArgs.
func (CarrierPollArgs) Kind() string { return "shipwatch.carrier.poll" }

// AddCarrierWorkers registers the tick and poll workers. poller is called
// when a job runs, so it may be wired after the River client.
func AddCarrierWorkers(workers *river.Workers, poller CarrierPoller, every time.Duration, log *slog.Logger) {
	river.AddWorker(workers, &carrierTickWorker{poller: poller, every: every})
	river.AddWorker(workers, &carrierPollWorker{poller: poller, log: log})
}

// CarrierTickJob queues the tick every interval (unique per interval: the
// leader alone enqueues periodic jobs, and a second leader's insert in
// the same interval is a no-op).
func CarrierTickJob(every time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
		return CarrierTickArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: every}}
	}, &river.PeriodicJobOpts{ID: "shipwatch.carrier.tick", RunOnStart: true})
}

type carrierTickWorker struct {
	river.WorkerDefaults[CarrierTickArgs]
	poller CarrierPoller
	every  time.Duration
}

// Work queues a poll per account, at most one per account and interval:
// a run still going when the next tick comes is not doubled. Which
// shipment is polled is decided by the claim, so even two runs of the
// same account poll each shipment once.
func (w *carrierTickWorker) Work(ctx context.Context, _ *river.Job[CarrierTickArgs]) error {
	accts, err := w.poller.PollableAccounts(ctx)
	if err != nil || len(accts) == 0 {
		return err
	}
	client := river.ClientFromContext[*sql.Tx](ctx)
	params := make([]river.InsertManyParams, len(accts))
	for i, a := range accts {
		params[i] = river.InsertManyParams{Args: CarrierPollArgs(a),
			InsertOpts: &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: w.every}}}
	}
	if _, err := client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("queue carrier polls: %w", err)
	}
	return nil
}

type carrierPollWorker struct {
	river.WorkerDefaults[CarrierPollArgs]
	poller CarrierPoller
	log    *slog.Logger
}

// Work polls the account. It is not retried: the next tick polls again,
// and what this run left is due then.
func (w *carrierPollWorker) Work(ctx context.Context, job *river.Job[CarrierPollArgs]) error {
	return w.poller.PollAccountDue(ctx, job.Args.SellerID, job.Args.AccountID)
}

// Timeout bounds a run: the poller stops itself well before.
func (w *carrierPollWorker) Timeout(*river.Job[CarrierPollArgs]) time.Duration {
	return 2 * time.Minute
}
