package monitor

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/store"
)

// A load writes several batches at once, one per connection, and each
// commits as soon as it is written: no batch waits, holding its locks, for
// another to commit. Every batch is an ordinary transaction taking its locks
// in the order of docs/locking.md, so two batches, or a batch and anything
// else, never wait on each other in a cycle, and PostgreSQL would see one
// if they did. The checkpoint stays the end of the committed prefix of the
// file (store.SaveImportProgress follows the batches committed beyond it),
// and a resumed load skips what was committed beyond it.
//
// Two batches in flight share no tracking number: a batch sharing one with
// a batch in flight starts (takes its first lock) only once that one has
// committed. So a shipment repeated across batches is written in file
// order, the last row winning, and the upserts of two batches never wait on
// each other's rows.

// writer is a connection that writes batches.
type writer struct {
	conn *store.Conn
}

// flight is a batch being written.
type flight struct {
	numbers map[string]bool
	done    chan struct{} // closed once committed
}

func (f *flight) overlaps(numbers []string) bool {
	for _, n := range numbers {
		if f.numbers[n] {
			return true
		}
	}
	return false
}

// writeBatches writes the batches from in with the given connections and
// returns the first error. origin is where the file's first batch starts.
func (im *Importer) writeBatches(ctx context.Context, conns []*store.Conn, imp store.Import, origin int64, in <-chan *importBatch) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	free := make(chan *writer, len(conns))
	for _, c := range conns {
		free <- &writer{conn: c}
	}
	var wg sync.WaitGroup
	var flying []*flight
	for b := range in {
		if ctx.Err() != nil {
			break // a batch failed: the caller drains in
		}
		// Wait, holding no lock, for batches in flight that share a
		// number, then for a writer.
		for _, f := range flying {
			if f.overlaps(b.numbers) {
				select {
				case <-f.done:
				case <-ctx.Done():
				}
			}
		}
		var w *writer
		select {
		case w = <-free:
		case <-ctx.Done():
		}
		if w == nil {
			break
		}
		f := &flight{numbers: make(map[string]bool, len(b.numbers)), done: make(chan struct{})}
		for _, n := range b.numbers {
			f.numbers[n] = true
		}
		flying = append(pending(flying), f)
		wg.Add(1)
		go func(b *importBatch, w *writer, f *flight) {
			defer wg.Done()
			if err := im.commitBatch(ctx, w, imp, origin, b); err != nil {
				cancel(err)
				return
			}
			close(f.done)
			if im.opt.OnBatch != nil {
				im.opt.OnBatch(b.created, b.accepted-b.created, b.progress.Rejected)
			}
			free <- w
		}(b, w, f)
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// pending drops the flights already committed.
func pending(fs []*flight) []*flight {
	out := fs[:0]
	for _, f := range fs {
		select {
		case <-f.done:
		default:
			out = append(out, f)
		}
	}
	return out
}

// commitBatch writes a batch, its rejected rows and its range of the file
// in one transaction.
func (im *Importer) commitBatch(ctx context.Context, w *writer, imp store.Import, origin int64, b *importBatch) error {
	started := time.Now()
	clk := newStepClock(im.opt.OnStep)
	err := w.conn.Transact(ctx, func(tx *sqlx.Tx) error {
		created, err := im.store.UpsertImportedShipments(ctx, tx, imp.SellerID, b.writes)
		if err != nil {
			return err
		}
		clk.lap(StepUpsert)
		// No tracking-number locks here: a batch covers every bucket, so
		// it would stall the seller's webhooks while it loads. An event
		// committed meanwhile queues a check of its own, which refreshes
		// the shipment again once this commits.
		if err := im.svc.checkWritten(ctx, tx, imp.SellerID, b.numbers, clk); err != nil {
			return err
		}
		if err := im.store.InsertImportErrors(ctx, tx, imp.SellerID, imp.ID, b.errs); err != nil {
			return err
		}
		clk.lap(StepErrors)
		p := b.progress
		p.Created, p.Updated = created, b.accepted-created
		b.created = created
		if err := im.store.SaveImportProgress(ctx, tx, imp.SellerID, imp.ID, origin, p); err != nil {
			return err
		}
		clk.lap(StepProgress)
		return nil
	})
	if err != nil {
		return err
	}
	clk.lap(StepCommit)
	if err := im.recheckRaced(ctx, imp.SellerID, b.numbers, started); err != nil {
		return err
	}
	clk.lap(StepRecheck)
	return nil
}

// raceMargin is how far before a batch started an event may have been
// received and still be missing from the batch's view: the event's
// transaction began before the batch's and committed after its refresh.
const raceMargin = time.Minute

// recheckRaced checks again, now that the batch has committed, the
// shipments of its numbers that received an event while it was being
// written. The batch takes no tracking-number locks, so its refresh and
// check may not have seen such an event, and the event's own check may
// have run before the batch's rows were visible. Events received later
// queue a check that sees the batch's rows.
func (im *Importer) recheckRaced(ctx context.Context, sellerID string, numbers []string, started time.Time) error {
	var ids []string
	err := im.store.Transact(ctx, func(tx *sqlx.Tx) error {
		raced, err := im.store.NumbersWithEventsSince(ctx, tx, sellerID, numbers, started.Add(-raceMargin))
		if err != nil || len(raced) == 0 {
			return err
		}
		ids, err = im.store.WrittenShipments(ctx, tx, sellerID, raced)
		return err
	})
	if err != nil || len(ids) == 0 {
		return err
	}
	return im.svc.Check(ctx, sellerID, ids)
}
