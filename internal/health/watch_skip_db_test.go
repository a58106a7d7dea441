package health_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// TestWatchSkipsUnchanged: the outlook job projects a seller again only
// when something of the seller's was written since its last projection
// (a shipment, a setting, a dispute) or the seller's day has changed. The
// job is given no slack, so a write counts exactly when it comes after the
// projection's start; its clock is read at each run, then moved a day on;
// the sellers' zone puts their local time near noon, so the test's seconds
// stay within one day.
func TestWatchSkipsUnchanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	zone := fmt.Sprintf("Etc/GMT%+d", time.Now().UTC().Hour()-12) // Etc/GMT-3 is UTC+3
	a, b := f.seller(t, "A", zone), f.seller(t, "B", zone)
	create := func(sellerID, order string, n int) string {
		t.Helper()
		res, err := f.svc.CreateShipments(ctx, sellerID, []shipment.Input{{OrderID: order, TrackingNumber: upsNumber(n, true)}})
		if err != nil || res[0].Err != nil {
			t.Fatal(err, res)
		}
		return res[0].Shipment.ID
	}
	a1 := create(a, "A1", 1)
	create(b, "B1", 2)
	w := health.NewWatch(f.hs, f.svc)
	clock := time.Now().Truncate(time.Microsecond)
	w.SetClock(func() time.Time { return clock }, 0)
	computed := func(sellerID string) time.Time {
		t.Helper()
		var at time.Time
		if err := f.db.Get(&at, `SELECT max(computed_at) FROM health_outlook WHERE seller_id = $1`, sellerID); err != nil {
			t.Fatal(err)
		}
		return at
	}
	run := func(what string, sellers, skipped int) {
		t.Helper()
		r, err := w.Run(ctx, clock, time.Minute)
		if err != nil || r.Sellers != sellers || r.Skipped != skipped {
			t.Fatalf("%s: Run() = %+v, %v; want %d projected, %d skipped", what, r, err, sellers, skipped)
		}
	}
	first := clock
	run("first run", 2, 0)
	if !computed(a).Equal(first) || !computed(b).Equal(first) {
		t.Fatalf("projections at %v and %v, want both at %v", computed(a), computed(b), first)
	}

	clock = time.Now().Truncate(time.Microsecond)
	run("nothing written", 0, 2)
	if !computed(a).Equal(first) || !computed(b).Equal(first) {
		t.Errorf("skipped sellers' projections at %v and %v, want both still at %v", computed(a), computed(b), first)
	}

	create(a, "A2", 3)
	clock = time.Now().Truncate(time.Microsecond)
	run("a shipment of A written", 1, 1)
	if !computed(a).Equal(clock) || !computed(b).Equal(first) {
		t.Errorf("projections at %v (A) and %v (B), want %v and %v", computed(a), computed(b), clock, first)
	}
	second := clock

	if _, err := f.db.Exec(`UPDATE sellers SET stalled_days = stalled_days + 1 WHERE id = $1`, b); err != nil {
		t.Fatal(err)
	}
	clock = time.Now().Truncate(time.Microsecond)
	run("a setting of B written", 1, 1)
	if !computed(a).Equal(second) || !computed(b).Equal(clock) {
		t.Errorf("projections at %v (A) and %v (B), want %v and %v", computed(a), computed(b), second, clock)
	}

	third := clock
	if _, err := f.svc.OpenDispute(ctx, a, a1, shipment.DisputeInput{Kind: shipment.DisputeNotReceived}); err != nil {
		t.Fatal(err)
	}
	clock = time.Now().Truncate(time.Microsecond)
	run("a dispute of A opened", 1, 1)
	if !computed(a).Equal(clock) || !computed(b).Equal(third) {
		t.Errorf("projections at %v (A) and %v (B), want %v and %v", computed(a), computed(b), clock, third)
	}

	// A day later, nothing written: the windows have moved, both again.
	clock = clock.Add(24 * time.Hour)
	run("the next day", 2, 0)
	if !computed(a).Equal(clock) || !computed(b).Equal(clock) {
		t.Errorf("projections at %v and %v, want both at %v", computed(a), computed(b), clock)
	}
	clock = clock.Add(time.Minute)
	run("the next day, nothing written", 0, 2)
}
