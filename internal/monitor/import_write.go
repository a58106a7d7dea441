package monitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

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
// (waiting in PostgreSQL for the later's lock) would wait forever. A batch
// touches only shipments carrying its tracking numbers (its upserts and the
// refresh of afterWrite), so a batch sharing a number with one in flight
// starts only once that one has committed. Should a lock taken elsewhere
// still make the earlier batch wait on the later, the later notices it
// while waiting its turn (pg_blocking_pids), rolls back and runs again
// after the earlier committed.

// errBlocksEarlier is a batch finding that the batch before it waits for
// one of its locks.
var errBlocksEarlier = errors.New("batch holds a lock the batch before it waits for")

// blockCheckInterval is how often a batch waiting its turn checks that it
// does not block the batch before it.
const blockCheckInterval = 250 * time.Millisecond

// writer is a connection that writes batches.
type writer struct {
	conn *sqlx.Conn
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
func (im *Importer) writeBatches(ctx context.Context, conns []*sqlx.Conn, imp store.Import, in <-chan *importBatch) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	free := make(chan *writer, len(conns))
	for _, c := range conns {
		w := &writer{conn: c}
		if err := c.GetContext(ctx, &w.pid, `SELECT pg_backend_pid()`); err != nil {
			return fmt.Errorf("writer: %w", err)
		}
		free <- w
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
		err := inConnTx(ctx, w.conn, func(tx *sqlx.Tx) error {
			created, err := im.store.UpsertImportedShipments(ctx, tx, imp.SellerID, b.writes)
			if err != nil {
				return err
			}
			if err := im.svc.afterWrite(ctx, tx, imp.SellerID, b.numbers); err != nil {
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
		if !errors.Is(err, errBlocksEarlier) {
			return err
		}
		select { // rolled back: run again once the batch before is in
		case <-prev.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitTurn returns once prev has committed, or errBlocksEarlier when prev
// waits for a lock this transaction (backend pid) holds.
func waitTurn(ctx context.Context, tx *sqlx.Tx, pid int, prev *flight) error {
	if prev == nil {
		return nil
	}
	tick := time.NewTicker(blockCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-prev.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
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
			return errBlocksEarlier
		}
	}
}

// inConnTx runs fn in a transaction on conn, committing when it returns nil.
func inConnTx(ctx context.Context, conn *sqlx.Conn, fn func(tx *sqlx.Tx) error) error {
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
