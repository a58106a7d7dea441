package monitor_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// TestSweepsAcrossBoundaries sweeps just before and just after shipments
// cross their rules' boundaries while nothing is written: each flag is
// raised by the first sweep after its boundary and not before, and a flag
// whose condition ends with time (DELIVERY_AT_RISK once the deliver-by day
// is over) is resolved by it. The unshipped shipment has no tracking
// number, so no write-caused check ever looks at it: only sweeps do.
func TestSweepsAcrossBoundaries(t *testing.T) {
	t.Parallel()
	e := newRuleEnv(t)
	now := e.clock
	seller := e.seller("UTC", 0, 0)
	inactive := e.ship(seller, shipment.Input{Carrier: "ups", ShippedAt: ptr(now.Add(-48*time.Hour + time.Minute))})
	stalled := e.ship(seller, shipment.Input{Carrier: "ups", ShippedAt: ptr(now.Add(-10 * 24 * time.Hour))})
	e.event(seller, stalled, now.Add(-5*24*time.Hour+time.Minute), shipment.StatusInTransit, nil)
	unshipped := e.ship(seller, shipment.Input{TrackingNumber: "-", ShipBy: ptr(now)})
	risky := e.ship(seller, shipment.Input{Carrier: "ups", ShippedAt: ptr(now.Add(-24 * time.Hour)), DeliverBy: ptr(now)})
	e.event(seller, risky, now.Add(-time.Hour), shipment.StatusInTransit, ptr(now.Add(24*time.Hour)))

	e.sweep(now)
	e.wantOpen(seller, inactive, "shipped 47 h 59 min ago")
	e.wantOpen(seller, stalled, "quiet for 4 days 23 h 59 min")
	e.wantOpen(seller, unshipped, "ship-by day not over")
	e.wantOpen(seller, risky, "estimate after the deliver-by day", flag.DeliveryAtRisk)

	e.sweep(now.Add(2 * time.Minute))
	e.wantOpen(seller, inactive, "shipped 48 h 1 min ago", flag.InactiveTracking)
	e.wantOpen(seller, stalled, "quiet for 5 days 1 min", flag.Stalled)
	e.wantOpen(seller, unshipped, "ship-by day still not over")
	e.wantOpen(seller, risky, "deliver-by day still not over", flag.DeliveryAtRisk)

	midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	e.sweep(midnight.Add(-time.Minute))
	e.wantOpen(seller, unshipped, "23:59 on the ship-by day")
	e.wantOpen(seller, risky, "23:59 on the deliver-by day", flag.DeliveryAtRisk)

	raised, resolved, err := e.svc.Sweep(e.ctx, midnight.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	e.clock = midnight.Add(time.Minute)
	if raised != 2 || resolved != 1 {
		t.Errorf("Sweep(00:01) = %d raised, %d resolved; want 2 (LATE_SHIPMENT, LATE_DELIVERY) and 1 (DELIVERY_AT_RISK)", raised, resolved)
	}
	e.wantOpen(seller, unshipped, "00:01 the day after ship-by", flag.LateShipment)
	e.wantOpen(seller, risky, "00:01 the day after deliver-by", flag.LateDelivery)
	e.wantOpen(seller, inactive, "still never scanned", flag.InactiveTracking)
	e.wantOpen(seller, stalled, "still quiet", flag.Stalled)
}

// TestRacingSweepsChangeEachFlagOnce runs two sweeps at once over the same
// shipments, twice: at a time when their INACTIVE_TRACKING flags hold,
// then at one when they no longer do. Each sweep finds every change, then
// locks the shipments it can without waiting (docs/locking.md); between
// them the two must raise and resolve each flag exactly once (the counts
// they report add up to the flags that changed), fail on no lock, and
// leave nothing to a third sweep at the same time.
func TestRacingSweepsChangeEachFlagOnce(t *testing.T) {
	t.Parallel()
	db := dbtest.DB(t)
	svc, st := monitortest.New(t, db)
	ctx := context.Background()
	seller, err := st.InsertSeller(ctx, "Racing")
	if err != nil {
		t.Fatal(err)
	}
	shipped := time.Now().Add(-72 * time.Hour)
	var inputs []shipment.Input
	for i := range 400 {
		inputs = append(inputs, shipment.Input{OrderID: fmt.Sprintf("R-%d", i), TrackingNumber: fmt.Sprintf("1Z999AA1%010d", i),
			Carrier: "ups", ShippedAt: &shipped})
	}
	items, err := svc.CreateShipments(ctx, seller.ID, inputs)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Err != nil {
			t.Fatal(it.Err)
		}
	}
	open := func() int {
		t.Helper()
		var n int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM flags WHERE seller_id = $1 AND kind = $2 AND resolved_at IS NULL`,
			seller.ID, flag.InactiveTracking); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, at := range []time.Time{time.Now(), shipped.Add(time.Hour)} {
		before := open()
		var wg sync.WaitGroup
		var raised, resolved [2]int
		var errs [2]error
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				raised[i], resolved[i], errs[i] = svc.Sweep(ctx, at)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("sweep at %s: %v", at, err)
			}
		}
		after := open()
		if before == after {
			t.Fatalf("sweeps at %s changed no INACTIVE_TRACKING flag (%d open): the test shows nothing", at, after)
		}
		if got := raised[0] + raised[1] - resolved[0] - resolved[1]; got != after-before {
			t.Errorf("sweeps at %s: raised %v and resolved %v, a net change of %d; the open flags went from %d to %d",
				at, raised, resolved, got, before, after)
		}
		if rai, res, err := svc.Sweep(ctx, at); err != nil || rai != 0 || res != 0 {
			t.Errorf("a third sweep at %s raised %d and resolved %d (err %v), want nothing left to change", at, rai, res, err)
		}
	}
}

// TestSweepLeavesOutSellersLoading: a seller whose import is loading (its
// loader committed a batch just now) is left out of the sweep, since each
// batch checks its own shipments with every rule; every other seller is
// swept as ever, and so is a seller whose loader stopped moving its
// heartbeat. The first sweep after the load sweeps the seller again.
func TestSweepLeavesOutSellersLoading(t *testing.T) {
	t.Parallel()
	e := newRuleEnv(t)
	now := e.clock
	loading, other, stale := e.seller("UTC", 0, 0), e.seller("UTC", 0, 0), e.seller("UTC", 0, 0)
	shipped := shipment.Input{Carrier: "ups", ShippedAt: ptr(now.Add(-48*time.Hour + time.Minute))}
	loadingSh, otherSh, staleSh := e.ship(loading, shipped), e.ship(other, shipped), e.ship(stale, shipped)
	// A heartbeat ahead of the database's clock stays recent however
	// slowly the test runs; the stale one is an hour old.
	var loadID string
	if err := e.db.GetContext(e.ctx, &loadID, `
		INSERT INTO shipment_imports (seller_id, format, status, time_zone, max_row_bytes, header, file_bytes, chunk_bytes, heartbeat_at)
		VALUES ($1, 'SHIPWATCH_CSV', 'PROCESSING', 'UTC', 65536, 'order_id', 0, 1048576, now() + interval '1 hour')
		RETURNING id`, loading); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.ExecContext(e.ctx, `
		INSERT INTO shipment_imports (seller_id, format, status, time_zone, max_row_bytes, header, file_bytes, chunk_bytes, heartbeat_at)
		VALUES ($1, 'SHIPWATCH_CSV', 'PROCESSING', 'UTC', 65536, 'order_id', 0, 1048576, now() - interval '1 hour')`, stale); err != nil {
		t.Fatal(err)
	}

	e.sweep(now.Add(2 * time.Minute))
	e.wantOpen(loading, loadingSh, "seller loading: not swept")
	e.wantOpen(other, otherSh, "other seller", flag.InactiveTracking)
	e.wantOpen(stale, staleSh, "seller whose loader stopped", flag.InactiveTracking)

	if _, err := e.db.ExecContext(e.ctx, `UPDATE shipment_imports SET status = 'COMPLETED', finished_at = now() WHERE id = $1`, loadID); err != nil {
		t.Fatal(err)
	}
	e.sweep(now.Add(3 * time.Minute))
	e.wantOpen(loading, loadingSh, "first sweep after the load", flag.InactiveTracking)
}
