package monitor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// checkJob is a queued write-caused check, as River stores it.
type checkJob struct {
	ID   int64           `db:"id"`
	Args json.RawMessage `db:"args"`
}

// nextCheckJob takes the check job River would run next (priority, then
// scheduled time, then id) off the queue, or returns false.
func nextCheckJob(t *testing.T, db *sqlx.DB) (sellerID string, lane int, ok bool) {
	t.Helper()
	var j checkJob
	err := db.Get(&j, `DELETE FROM river_job WHERE id = (
		SELECT id FROM river_job WHERE kind = 'shipwatch.monitor.check' AND state = 'available'
		ORDER BY priority, scheduled_at, id LIMIT 1) RETURNING id, args`)
	if err != nil {
		return "", 0, false
	}
	var args struct {
		SellerID string `json:"seller_id"`
		Lane     *int   `json:"lane"`
	}
	if err := json.Unmarshal(j.Args, &args); err != nil || args.Lane == nil {
		t.Fatalf("check job %d args %s: want a seller and a lane (%v)", j.ID, j.Args, err)
	}
	return args.SellerID, *args.Lane, true
}

// drainChecks runs the queued check turns in River's order, and starts
// idle lanes' turns as the periodic job does, until nothing is left.
func drainChecks(t *testing.T, db *sqlx.DB, svc *monitor.Service) {
	t.Helper()
	ctx := context.Background()
	for {
		s, lane, ok := nextCheckJob(t, db)
		if ok {
			if err := svc.CheckTurn(ctx, s, lane); err != nil {
				t.Fatal(err)
			}
			continue
		}
		n, err := svc.StartIdleChecks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// assertChecksDrained fails when a shipment is still queued for a check
// or a lane still has a turn.
func assertChecksDrained(t *testing.T, db *sqlx.DB) {
	t.Helper()
	var pending, open int
	if err := db.Get(&pending, `SELECT count(*) FROM pending_checks`); err != nil || pending != 0 {
		t.Errorf("pending checks left: %d, %v", pending, err)
	}
	if err := db.Get(&open, `SELECT count(*) FROM check_turns`); err != nil || open != 0 {
		t.Errorf("turns left open: %d, %v", open, err)
	}
}

// invalidInputs are n shipments whose numbers mostly (nine in ten) fail
// their check digit.
func invalidInputs(prefix string, n int) []shipment.Input {
	return numberedInputs(prefix, 0, n)
}

// numberedInputs are n shipments numbered from first: orders of different
// prefixes with the same numbers share their tracking numbers.
func numberedInputs(prefix string, first, n int) []shipment.Input {
	in := make([]shipment.Input, n)
	for i := range in {
		in[i] = shipment.Input{OrderID: fmt.Sprintf("%s-%d", prefix, i), TrackingNumber: fmt.Sprintf("1Z999AA1%010d", (first+i)*10+1)}
	}
	return in
}

// unflagged counts the seller's shipments whose number failed its check
// and that have no open INVALID_TRACKING flag, and those failing.
func unflagged(t *testing.T, db *sqlx.DB, sellerID string) (missing, invalid int) {
	t.Helper()
	err := db.QueryRow(`SELECT count(*) FILTER (WHERE f.id IS NULL), count(*) FROM shipments s
		LEFT JOIN flags f ON f.seller_id = s.seller_id AND f.shipment_id = s.id AND f.kind = 'INVALID_TRACKING' AND f.resolved_at IS NULL
		WHERE s.seller_id = $1 AND NOT s.tracking_valid`, sellerID).Scan(&missing, &invalid)
	if err != nil {
		t.Fatal(err)
	}
	return missing, invalid
}

// TestCheckTurnsFairAcrossSellers: a seller's backlog of write-caused
// checks does not delay another seller's. Seller A writes 2,000 shipments
// (20 turns of 100, each job one round); seller B then writes one. Run in
// River's order, B's check is among the first turns, not after A's
// backlog, and every queued shipment is checked in the end with nothing
// left queued.
func TestCheckTurnsFairAcrossSellers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.DB(t)
	svc, st := monitortest.New(t, db, monitor.WithCheckRound(100), monitor.WithCheckTurnBudget(0))
	a, err := st.InsertSeller(ctx, "Big seller")
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.InsertSeller(ctx, "Small seller")
	if err != nil {
		t.Fatal(err)
	}
	for batch := range 2 {
		if _, err := svc.CreateShipments(ctx, a.ID, invalidInputs(fmt.Sprintf("A%d", batch), 1000)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.CreateShipments(ctx, b.ID, invalidInputs("B", 1)); err != nil {
		t.Fatal(err)
	}
	if missing, invalid := unflagged(t, db, b.ID); invalid != 1 || missing != 1 {
		t.Fatalf("B before any check ran: %d of %d invalid numbers unflagged; want 1 of 1", missing, invalid)
	}

	turns, bAt := 0, 0
	for {
		seller, lane, ok := nextCheckJob(t, db)
		if !ok {
			break
		}
		turns++
		if err := svc.CheckTurn(ctx, seller, lane); err != nil {
			t.Fatal(err)
		}
		if seller == b.ID {
			bAt = turns
		}
	}
	// A's lanes were queued first; B's turn comes right after them,
	// ahead of A's next turns, which queued behind it.
	if bAt == 0 || bAt > store.CheckLanes+1 {
		t.Errorf("B's check ran as turn %d of %d; want within the first %d", bAt, turns, store.CheckLanes+1)
	}
	if turns < 20 {
		t.Errorf("%d turns for 2,001 shipments in rounds of 100; want at least 20", turns)
	}
	for _, s := range []store.Seller{a, b} {
		if missing, invalid := unflagged(t, db, s.ID); missing != 0 || invalid == 0 {
			t.Errorf("%s: %d of %d invalid numbers unflagged", s.Name, missing, invalid)
		}
	}
	assertChecksDrained(t, db)
}

// TestCheckTurnGoesOn: within its budget, one job of a lane checks round
// after round until nothing is pending, queuing no further job.
func TestCheckTurnGoesOn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.DB(t)
	svc, st := monitortest.New(t, db, monitor.WithCheckRound(100), monitor.WithCheckTurnBudget(time.Hour))
	a, err := st.InsertSeller(ctx, "Big seller")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateShipments(ctx, a.ID, invalidInputs("A", 1000)); err != nil {
		t.Fatal(err)
	}
	jobs := 0
	for {
		seller, lane, ok := nextCheckJob(t, db)
		if !ok {
			break
		}
		jobs++
		if err := svc.CheckTurn(ctx, seller, lane); err != nil {
			t.Fatal(err)
		}
	}
	if jobs != store.CheckLanes {
		t.Errorf("%d check jobs for 1,000 shipments in rounds of 100, want %d: one per lane, going on round after round", jobs, store.CheckLanes)
	}
	if missing, invalid := unflagged(t, db, a.ID); missing != 0 || invalid == 0 {
		t.Errorf("%d of %d invalid numbers unflagged, want none of some", missing, invalid)
	}
	assertChecksDrained(t, db)
}

// TestCheckTurnsUnderConcurrentWrites: writers queueing checks while turns
// run and end never leave a shipment queued without a turn, never wait on
// one another in a cycle, and every written shipment is checked.
func TestCheckTurnsUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.DB(t)
	svc, st := monitortest.New(t, db, monitor.WithCheckRound(7))
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	var deadlocksBefore int64
	if err := db.Get(&deadlocksBefore, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	const writers, perWriter = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers+2)
	done := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				// Numbers of each writer's own, and two shared by every batch.
				in := append(numberedInputs(fmt.Sprintf("W%d-%d", w, i), 2+(w*perWriter+i)*3, 3),
					numberedInputs(fmt.Sprintf("S%d-%d", w, i), 0, 2)...)
				if _, err := svc.CreateShipments(ctx, seller.ID, in); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var runners sync.WaitGroup
	for range 2 {
		runners.Add(1)
		go func() {
			defer runners.Done()
			for {
				seller, lane, ok := nextCheckJob(t, db)
				if !ok {
					if _, err := svc.StartIdleChecks(ctx); err != nil { // as the periodic job does
						errs <- err
						return
					}
					select {
					case <-done:
						return
					case <-time.After(5 * time.Millisecond): // River polls too
						continue
					}
				}
				if err := svc.CheckTurn(ctx, seller, lane); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	runners.Wait()
	drainChecks(t, db, svc) // what the runners left when they stopped
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if missing, invalid := unflagged(t, db, seller.ID); missing != 0 || invalid == 0 {
		t.Errorf("%d of %d invalid numbers unflagged: a queued shipment was never checked", missing, invalid)
	}
	assertChecksDrained(t, db)
	var deadlocks int64
	if err := db.Get(&deadlocks, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	if deadlocks != deadlocksBefore {
		t.Errorf("%d deadlocks", deadlocks-deadlocksBefore)
	}
}

// TestLostCheckTurnRequeued: a turn whose job disappeared is queued again
// by the sweep once it is older than the limit, so its shipments are
// still checked.
func TestLostCheckTurnRequeued(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.DB(t)
	svc, st := monitortest.New(t, db)
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateShipments(ctx, seller.ID, invalidInputs("L", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM river_job WHERE kind = 'shipwatch.monitor.check'`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Sweep(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := nextCheckJob(t, db); ok {
		t.Fatal("a fresh turn was queued again")
	}
	if _, err := db.Exec(`UPDATE check_turns SET queued_at = now() - interval '11 minutes'`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Sweep(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	s, lane, ok := nextCheckJob(t, db)
	if !ok {
		t.Fatal("the lost turn was not queued again")
	}
	if err := svc.CheckTurn(ctx, s, lane); err != nil {
		t.Fatal(err)
	}
	if missing, invalid := unflagged(t, db, seller.ID); missing != 0 || invalid != 1 {
		t.Errorf("%d of %d invalid numbers unflagged", missing, invalid)
	}
}

// TestIdleCheckLaneStarted: pending checks whose lane has no turn (their
// writer found the lane's turn, which ended before the writer committed)
// get one from StartIdleChecks, and are checked.
func TestIdleCheckLaneStarted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.DB(t)
	svc, st := monitortest.New(t, db)
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateShipments(ctx, seller.ID, invalidInputs("I", 20)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM river_job WHERE kind = 'shipwatch.monitor.check'; DELETE FROM check_turns`); err != nil {
		t.Fatal(err)
	}
	var lanes int
	if err := db.Get(&lanes, `SELECT count(DISTINCT lane) FROM pending_checks`); err != nil {
		t.Fatal(err)
	}
	n, err := svc.StartIdleChecks(ctx)
	if err != nil || n != lanes || lanes == 0 {
		t.Fatalf("StartIdleChecks() = %d, %v; want the %d lanes with pending checks", n, err, lanes)
	}
	if n, err := svc.StartIdleChecks(ctx); err != nil || n != 0 {
		t.Fatalf("StartIdleChecks() again = %d, %v; want 0: the lanes have turns", n, err)
	}
	drainChecks(t, db, svc)
	if missing, invalid := unflagged(t, db, seller.ID); missing != 0 || invalid == 0 {
		t.Errorf("%d of %d invalid numbers unflagged", missing, invalid)
	}
}
