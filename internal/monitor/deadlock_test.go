package monitor_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// TestSweepAndChecksDoNotDeadlock runs sweeps, checks of overlapping sets
// of shipments and carrier events on the same shipments at once, with
// times that make flags flip both ways, and asserts that every one of them
// succeeded and that PostgreSQL counted no deadlock in the test's
// database (docs/locking.md: a deadlock is a bug, not a retry).
func TestSweepAndChecksDoNotDeadlock(t *testing.T) {
	url := dbtest.URL(t)
	db := dbtest.DB(t)
	svc, st := monitortest.New(t, db)
	ctx := context.Background()
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-72 * time.Hour)
	var inputs []shipment.Input
	for i := range 600 {
		in := shipment.Input{OrderID: fmt.Sprintf("D-%d", i), TrackingNumber: fmt.Sprintf("DL%06d", i/2)} // pairs share a number
		shipped := base.Add(time.Duration(i%48) * time.Hour)
		in.ShippedAt = &shipped
		shipBy := base.Add(time.Duration(i%24) * time.Hour)
		in.ShipBy = &shipBy
		inputs = append(inputs, in)
	}
	items, err := svc.CreateShipments(ctx, seller.ID, inputs)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(items))
	for i, it := range items {
		if it.Err != nil {
			t.Fatal(it.Err)
		}
		ids[i] = it.Shipment.ID
	}
	deadlocks := func() int64 {
		var n int64
		su := dbtest.Superuser(t, url)
		if err := su.GetContext(ctx, &n, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := deadlocks()

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	run := func(name string, n int, fn func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				if err := fn(i); err != nil {
					errs <- fmt.Errorf("%s %d: %w", name, i, err)
					return
				}
			}
		}()
	}
	for w := range 3 {
		rng := rand.New(rand.NewPCG(uint64(w), 7))
		run("check", 10, func(int) error {
			// A random set, in random order: the lock order must not
			// depend on the caller's.
			set := make([]string, 0, 150)
			for _, j := range rng.Perm(len(ids))[:150] {
				set = append(set, ids[j])
			}
			return svc.Check(ctx, seller.ID, set)
		})
	}
	run("sweep", 6, func(i int) error {
		// Alternate between a time when most rules hold and one when few do.
		at := time.Now().Add(time.Duration(i%2) * 30 * 24 * time.Hour)
		_, _, err := svc.Sweep(ctx, at)
		return err
	})
	run("events", 10, func(i int) error {
		var evs []shipment.Event
		for j := range 40 {
			evs = append(evs, shipment.Event{TrackingNumber: fmt.Sprintf("DL%06d", (i*40+j)%300),
				OccurredAt: base.Add(time.Duration(i) * time.Hour), Status: shipment.StatusInTransit,
				Description: "scan", Source: shipment.SourceBackOffice})
		}
		_, err := svc.RecordEvents(ctx, seller.ID, evs)
		return err
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if after := deadlocks(); after != before {
		t.Errorf("PostgreSQL counted %d deadlocks during the run, want 0", after-before)
	}
}
