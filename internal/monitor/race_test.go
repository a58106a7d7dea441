package monitor_test

import (
	"context"
	"fmt"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"sync"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// TestConcurrentWritersAgree records events for the same numbers from
// many transactions at once, out of order, while the shipments are being
// created: whatever the interleaving, every shipment must end with the
// status and dates of its latest event. Two transactions that each see
// only their own new events must not leave the older view last.
func TestConcurrentWritersAgree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, st := monitortest.New(t, dbtest.DB(t))
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	const numbers, writers = 8, 12
	base := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	statuses := []shipment.Status{shipment.StatusInTransit, shipment.StatusOutForDelivery, shipment.StatusDelivered}
	var wg sync.WaitGroup
	errs := make(chan error, writers+1)
	wg.Add(1)
	go func() { // shipments arrive while their events do
		defer wg.Done()
		for n := range numbers {
			_, err := svc.CreateShipments(ctx, seller.ID, []shipment.Input{{OrderID: fmt.Sprintf("O-%d", n), TrackingNumber: fmt.Sprintf("RACE%03d", n)}})
			if err != nil {
				errs <- err
			}
		}
	}()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Writer w reports the event at hour w of every number: the
			// writer with the latest hour may well commit first.
			var evs []shipment.Event
			for n := range numbers {
				evs = append(evs, shipment.Event{TrackingNumber: fmt.Sprintf("RACE%03d", n), OccurredAt: base.Add(time.Duration(w) * time.Hour),
					Status: statuses[w%len(statuses)], Description: fmt.Sprintf("writer %d", w), Source: shipment.SourceBackOffice})
			}
			if _, err := svc.RecordEvents(ctx, seller.ID, evs); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("writer failed: %v", err)
	}
	want := statuses[(writers-1)%len(statuses)]
	last := base.Add(time.Duration(writers-1) * time.Hour)
	for n := range numbers {
		list, err := st.ShipmentsByTrackingNumber(ctx, seller.ID, fmt.Sprintf("RACE%03d", n))
		if err != nil || len(list) != 1 {
			t.Fatalf("shipment %d: %v, %d", n, err, len(list))
		}
		sh := list[0]
		if sh.Status != string(want) || sh.LastEventAt == nil || !sh.LastEventAt.Equal(last) {
			t.Errorf("RACE%03d = %s at %v, want %s at %v: a stale view was written last", n, sh.Status, sh.LastEventAt, want, last)
		}
	}
}
