package monitor_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestCheckRepairsMissedEvents covers the race a file import leaves open
// (it cannot lock its batch's numbers): an event committed while the
// import computed its shipments' state is missing from that state. The
// check job the import queued runs after the commit and repairs it.
func TestCheckRepairsMissedEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, st := newService(t)
	seller, sh := oneShipment(t, svc, st)
	// The event lands without the refresh the racing writer missed.
	err := st.Transact(ctx, func(tx *sqlx.Tx) error {
		_, err := st.InsertEvents(ctx, tx, seller.ID, []store.NewEvent{{Normalized: sh.NormalizedTrackingNumber, Event: shipment.Event{
			TrackingNumber: sh.TrackingNumber, OccurredAt: time.Now().Add(-time.Hour), Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice,
		}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Shipment(ctx, seller.ID, sh.ID); got.Status != "PENDING" {
		t.Fatalf("status before the check = %s, want the stale PENDING", got.Status)
	}
	if err := svc.Check(ctx, seller.ID, []string{sh.ID}); err != nil {
		t.Fatalf("Check() error = %v", err)
	}
	got, err := st.Shipment(ctx, seller.ID, sh.ID)
	if err != nil || got.Status != "IN_TRANSIT" || got.FirstScanAt == nil {
		t.Errorf("after the check: status %s first scan %v (%v), want IN_TRANSIT with a first scan", got.Status, got.FirstScanAt, err)
	}
}
