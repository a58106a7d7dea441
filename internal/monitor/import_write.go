package monitor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/store"
)

// A load writes several batches at once, one per connection, but commits
// them strictly in file order: batch k writes its shipments, then waits for
// batch k-1 to commit before it records its checkpoint and commits. So the
// committed batches are always a prefix of the file and the checkpoint of
// the last one is where a resumed load starts.
//
// Two batches in flight must not wait on each other's row locks, or the
// later one (waiting in Go for the earlier to commit) and the earlier one
// (waiting in PostgreSQL for the later's lock, maybe through other
// transactions or another load of the seller's) would wait forever, and
// PostgreSQL cannot see a cycle that runs through Go. A batch touches only
// shipments carrying its tracking numbers (its upserts, and the refresh
// and check of checkWritten), so a batch sharing a number with one in flight starts only
// once that one has committed. Beyond that, a batch waiting its turn yields
// (rolls back, and runs again once the batch before has committed) when it
// sees the earlier batch wait for one of its locks (pg_blocking_pids), when
// it has waited longer than turnTimeout (a cycle it cannot see), or when
// PostgreSQL picks it as a deadlock's victim. Yielding costs one batch's
// work and never holds back the batch before, so the load always advances.

// errYield makes a batch roll back and run again after the batch before.
var errYield = errors.New("batch yields to the batch before it")

// blockCheckInterval is how often a batch waiting its turn checks that it
// does not block the batch before it; turnTimeout is how long it waits at
// most before yielding anyway. A batch commits in well under a second on
// an idle server, a few seconds on a crowded one.
const (
	blockCheckInterval = 250 * time.Millisecond
	turnTimeout        = 10 * time.Second
)

// writer is a connection that writes batches.
type writer struct {
	conn *store.Conn
	pid  int // its backend's process id
}

// flight is a batch being written.
type flight struct {
	numbers map[string]bool
	done    chan struct{} // closed once committed
	pid     int           // the backend writing it
}

func (f *flight) overlaps(numbers []string) bool {
	for _, n := range numbers {
		if f.numbers[n] {
			return true
		}
	}
	return false
}

// writeBatches writes the batches from in with the given connections,
// committing them in order, and returns the first error.
func (im *Importer) writeBatches(ctx context.Context, conns []*store.Conn, imp store.Import, in <-chan *importBatch) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	free := make(chan *writer, len(conns))
	for _, c := range conns {
		pid, err := c.BackendPID(ctx)
		if err != nil {
			return fmt.Errorf("writer: %w", err)
		}
		free <- &writer{conn: c, pid: pid}
	}
	var wg sync.WaitGroup
	var prev *flight
	var flying []*flight
	for b := range in {
		if ctx.Err() != nil {
			break // a batch failed: the caller drains in
		}
		// Wait for batches in flight that share a number, then for a writer.
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
		f := &flight{numbers: make(map[string]bool, len(b.numbers)), done: make(chan struct{}), pid: w.pid}
		for _, n := range b.numbers {
			f.numbers[n] = true
		}
		flying = append(pending(flying), f)
		wg.Add(1)
		go func(b *importBatch, w *writer, prev, f *flight) {
			defer wg.Done()
			if err := im.commitBatch(ctx, w, imp, b, prev); err != nil {
				cancel(err)
				return
			}
			close(f.done)
			if im.opt.OnBatch != nil {
				im.opt.OnBatch(b.created, b.accepted-b.created, b.progress.Rejected)
			}
			free <- w
		}(b, w, prev, f)
		prev = f
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

// commitBatch writes a batch, its rejected rows and the checkpoint after
// it in one transaction, committing after prev (nil for the first batch).
func (im *Importer) commitBatch(ctx context.Context, w *writer, imp store.Import, b *importBatch, prev *flight) error {
	for {
		started := time.Now()
		err := w.conn.Transact(ctx, func(tx *sqlx.Tx) error {
			created, err := im.store.UpsertImportedShipments(ctx, tx, imp.SellerID, b.writes)
			if err != nil {
				return err
			}
			// No tracking-number locks here: a batch covers every bucket, so
			// it would stall the seller's webhooks while it loads. An event
			// committed meanwhile queues a check of its own, which refreshes
			// the shipment again once this commits.
			if err := im.svc.checkWritten(ctx, tx, imp.SellerID, b.numbers); err != nil {
				return err
			}
			if err := im.store.InsertImportErrors(ctx, tx, imp.SellerID, imp.ID, b.errs); err != nil {
				return err
			}
			if err := waitTurn(ctx, tx, w.pid, prev); err != nil {
				return err
			}
			p := b.progress
			p.Created, p.Updated = created, b.accepted-created
			b.created = created
			return im.store.SaveImportProgress(ctx, tx, imp.SellerID, imp.ID, p)
		})
		if err == nil {
			return im.recheckRaced(ctx, imp.SellerID, b.numbers, started)
		}
		var pqErr *pq.Error
		deadlock := errors.As(err, &pqErr) && pqErr.Code == "40P01"
		if prev == nil || !(errors.Is(err, errYield) || deadlock) {
			return err
		}
		select { // rolled back: run again once the batch before is in
		case <-prev.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitTurn returns once prev has committed, or errYield when prev waits
// for a lock this transaction (backend pid) holds or prev takes too long.
func waitTurn(ctx context.Context, tx *sqlx.Tx, pid int, prev *flight) error {
	if prev == nil {
		return nil
	}
	tick := time.NewTicker(blockCheckInterval)
	defer tick.Stop()
	timeout := time.NewTimer(turnTimeout)
	defer timeout.Stop()
	for {
		select {
		case <-prev.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-timeout.C:
			return errYield
		case <-tick.C:
		}
		select {
		case <-prev.done:
			return nil
		default:
		}
		var blocking bool
		if err := tx.GetContext(ctx, &blocking, `SELECT $1::int = ANY(pg_blocking_pids($2))`, pid, prev.pid); err != nil {
			return fmt.Errorf("wait for the batch before: %w", err)
		}
		if blocking {
			return errYield
		}
	}
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
