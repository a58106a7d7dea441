package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// WebhookArgs asks for stored webhook deliveries to be turned into carrier
// events. The receiver stores deliveries in batches and enqueues one job
// per batch, in the same transaction.
type WebhookArgs struct {
	DeliveryIDs []int64 `json:"delivery_ids"`
}

// Kind implements river.JobArgs.
func (WebhookArgs) Kind() string { return "shipwatch.webhook.process" }

// InsertOpts implements river.JobArgsWithInsertOpts: processing has a
// queue of its own, with few workers (webhookWorkers). Jobs queued on the
// default queue by an earlier version are still worked there.
func (WebhookArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueWebhooks} }

// WebhookSweepArgs is the periodic job that processes deliveries whose
// job was lost, so an acknowledged webhook is never left behind.
type WebhookSweepArgs struct{}

// Kind implements river.JobArgs.
func (WebhookSweepArgs) Kind() string { return "shipwatch.webhook.sweep" }

// DeliveryProcessor turns stored deliveries into carrier events. It is
// idempotent: processed deliveries are skipped.
type DeliveryProcessor interface {
	// DrainDeliveries processes the deliveries ids that no other job
	// holds, and with them other pending ones, in one batch.
	DrainDeliveries(ctx context.Context, ids []int64) error
	// SweepDeliveries processes deliveries left unprocessed for longer
	// than a job's retries should take.
	SweepDeliveries(ctx context.Context) error
}

// WebhookSweepInterval is how often the sweep runs.
const WebhookSweepInterval = time.Minute

// AddWebhookWorkers registers the webhook workers.
func AddWebhookWorkers(workers *river.Workers, processor DeliveryProcessor) {
	river.AddWorker(workers, &webhookWorker{processor: processor})
	river.AddWorker(workers, &webhookSweepWorker{processor: processor})
}

type webhookWorker struct {
	river.WorkerDefaults[WebhookArgs]
	processor DeliveryProcessor
}

// Work processes the job's deliveries, with whatever else is pending. An
// error retries the whole job, which is safe: deliveries already processed
// are skipped.
func (w *webhookWorker) Work(ctx context.Context, job *river.Job[WebhookArgs]) error {
	if err := w.processor.DrainDeliveries(ctx, job.Args.DeliveryIDs); err != nil {
		return fmt.Errorf("process %d deliveries: %w", len(job.Args.DeliveryIDs), err)
	}
	return nil
}

// Timeout bounds one batch: a few hundred webhooks take well under a second.
func (w *webhookWorker) Timeout(*river.Job[WebhookArgs]) time.Duration { return time.Minute }

type webhookSweepWorker struct {
	river.WorkerDefaults[WebhookSweepArgs]
	processor DeliveryProcessor
}

func (w *webhookSweepWorker) Work(ctx context.Context, _ *river.Job[WebhookSweepArgs]) error {
	return w.processor.SweepDeliveries(ctx)
}

// WebhookSweepJob is the periodic sweep of deliveries whose job was lost.
func WebhookSweepJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(WebhookSweepInterval),
		func() (river.JobArgs, *river.InsertOpts) { return WebhookSweepArgs{}, nil },
		&river.PeriodicJobOpts{ID: "shipwatch.webhook.sweep"})
}
