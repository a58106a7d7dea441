package monitor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/dbtest"
)

// TestWaitTurnNoticesItBlocks makes the batch before wait for a lock the
// waiting batch holds: waitTurn must say so instead of waiting forever.
func TestWaitTurnNoticesItBlocks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.DB(t)
	if _, err := db.Exec(`INSERT INTO sellers (name) VALUES ('Acme')`); err != nil {
		t.Fatal(err)
	}
	later, err := db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer later.Close()
	earlier, err := db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer earlier.Close()
	var laterPID, earlierPID int
	if err := later.GetContext(ctx, &laterPID, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if err := earlier.GetContext(ctx, &earlierPID, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	tx, err := later.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // the test's end
	if _, err := tx.Exec(`UPDATE sellers SET name = 'later'`); err != nil {
		t.Fatal(err)
	}
	prev := &flight{done: make(chan struct{}), pid: earlierPID}

	// Not blocking yet: waitTurn waits, and returns when prev commits.
	go func() { time.Sleep(2 * blockCheckInterval); close(prev.done) }()
	if err := waitTurn(ctx, tx, laterPID, prev); err != nil {
		t.Fatalf("waitTurn() = %v, want nil once the batch before committed", err)
	}

	prev = &flight{done: make(chan struct{}), pid: earlierPID}
	blocked := make(chan error, 1)
	go func() {
		_, err := earlier.ExecContext(ctx, `UPDATE sellers SET name = 'earlier'`)
		blocked <- err
	}()
	if err := waitTurn(ctx, tx, laterPID, prev); !errors.Is(err, errYield) {
		t.Fatalf("waitTurn() = %v, want errYield", err)
	}
	tx.Rollback() //nolint:errcheck // what commitBatch does next
	if err := <-blocked; err != nil {
		t.Errorf("the earlier update after the rollback: %v", err)
	}
}
