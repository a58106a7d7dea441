package monitor

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/store"
)

// Limits of the inbox's group commit.
const (
	// inboxFlushers is how many batches are written at once. While one is
	// being written, new webhooks queue and go together in the next batch,
	// so under load a commit carries many webhooks and when idle a webhook
	// waits for nobody. One writer measured best on two cores: bigger
	// batches, fewer jobs, and lower latency too (docs/events.md).
	inboxFlushers = 1
	inboxMaxItems = 256
	inboxMaxBytes = 8 << 20
	// inboxWriteTimeout bounds one batch's transaction: past it the
	// senders get a 503 and retry.
	inboxWriteTimeout = 10 * time.Second
)

// inbox stores webhook deliveries and enqueues their processing job in one
// transaction per batch of concurrent deliveries: one commit (one fsync)
// and one job for many webhooks.
type inbox struct {
	store  *store.Store
	client *jobs.Client

	mu       sync.Mutex
	queue    []*queued
	flushers int
}

type queued struct {
	d    store.NewWebhookDelivery
	done chan written
}

type written struct {
	id  int64
	err error
}

func newInbox(st *store.Store, client *jobs.Client) *inbox {
	return &inbox{store: st, client: client}
}

// submit queues d and waits until it is committed or failed. A flusher
// goroutine runs only while there is something to write, so the inbox
// needs no start or stop: once the HTTP server has drained, it is idle.
func (in *inbox) submit(ctx context.Context, d store.NewWebhookDelivery) (int64, error) {
	q := &queued{d: d, done: make(chan written, 1)}
	in.mu.Lock()
	in.queue = append(in.queue, q)
	start := in.flushers < inboxFlushers
	if start {
		in.flushers++
	}
	in.mu.Unlock()
	if start {
		go in.flushLoop(context.WithoutCancel(ctx))
	}
	select {
	case w := <-q.done:
		return w.id, w.err
	case <-ctx.Done():
		// The sender is gone; the write goes on and is harmless if it
		// lands, since a resend is deduplicated.
		return 0, ctx.Err()
	}
}

func (in *inbox) flushLoop(ctx context.Context) {
	for {
		batch := in.take()
		if batch == nil {
			return
		}
		in.flush(ctx, batch)
	}
}

// take removes the next batch from the queue, or returns nil and retires
// the calling flusher when the queue is empty.
func (in *inbox) take() []*queued {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.queue) == 0 {
		in.flushers--
		in.queue = nil
		return nil
	}
	n, size := 0, 0
	for n < len(in.queue) && n < inboxMaxItems {
		size += len(in.queue[n].d.Body)
		n++
		if size >= inboxMaxBytes {
			break
		}
	}
	batch := in.queue[:n:n]
	in.queue = in.queue[n:]
	return batch
}

// flush writes one batch and answers each of its senders.
func (in *inbox) flush(ctx context.Context, batch []*queued) {
	var ids []int64
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("store deliveries: panic: %v", p)
			}
		}()
		ctx, cancel := context.WithTimeout(ctx, inboxWriteTimeout)
		defer cancel()
		ds := make([]store.NewWebhookDelivery, len(batch))
		for i, q := range batch {
			ds[i] = q.d
		}
		return in.store.Transact(ctx, func(tx *sqlx.Tx) error {
			var err error
			if ids, err = in.store.InsertWebhookDeliveries(ctx, tx, ds); err != nil {
				return err
			}
			if _, err := in.client.InsertTx(ctx, tx.Tx, jobs.WebhookArgs{DeliveryIDs: ids}, nil); err != nil {
				return fmt.Errorf("enqueue webhook job: %w", err)
			}
			return nil
		})
	}()
	for i, q := range batch {
		if err != nil {
			q.done <- written{err: err}
			continue
		}
		q.done <- written{id: ids[i]}
	}
}
