package monitor_test

import (
	"context"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestSweepRaisesDisputeFlags checks that the dispute rules run in the
// sweep: a dispute due within 24 hours with no evidence pack raises
// DISPUTE_DUE_SOON, and a disputed delivered shipment without proof raises
// PROOF_MISSING.
func TestSweepRaisesDisputeFlags(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, st := newService(t)
	seller, sh := oneShipment(t, svc, st)
	delivered := time.Now().Add(-72 * time.Hour).UTC()
	if _, err := svc.RecordEvents(ctx, seller.ID, []shipment.Event{{TrackingNumber: sh.TrackingNumber,
		OccurredAt: delivered, Status: shipment.StatusDelivered, Source: shipment.SourceBackOffice}}); err != nil {
		t.Fatal(err)
	}
	respondBy := time.Now().Add(12 * time.Hour)
	if _, err := svc.OpenDispute(ctx, seller.ID, sh.ID, shipment.DisputeInput{Kind: shipment.DisputeAToZClaim, RespondBy: &respondBy}); err != nil {
		t.Fatalf("OpenDispute() error = %v", err)
	}
	if _, _, err := svc.Sweep(ctx, time.Now()); err != nil {
		t.Fatalf("Sweep() error = %v", err)
	}
	open := true
	page, err := st.Flags(ctx, seller.ID, store.FlagFilter{Open: &open, ShipmentID: sh.ID}, 50, store.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[flag.Kind]bool{}
	for _, f := range page.Items {
		kinds[f.Kind] = true
	}
	if !kinds["DISPUTE_DUE_SOON"] || !kinds["PROOF_MISSING"] {
		t.Errorf("open flags after the sweep = %v, want DISPUTE_DUE_SOON and PROOF_MISSING", kinds)
	}
}

// A dispute on a cancelled order must still be answered: cancelling a
// shipment clears its shipment flags, but the dispute flags follow the
// open dispute, and go when it is closed.
func TestDisputeFlagsOnCancelledShipment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, st := newService(t)
	seller, sh := oneShipment(t, svc, st)
	if _, err := svc.RecordEvents(ctx, seller.ID, []shipment.Event{{TrackingNumber: sh.TrackingNumber,
		OccurredAt: time.Now().Add(-72 * time.Hour).UTC(), Status: shipment.StatusDelivered, Source: shipment.SourceBackOffice}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CancelShipment(ctx, seller.ID, sh.ID, shipment.CancelledBySeller); err != nil {
		t.Fatalf("CancelShipment() error = %v", err)
	}
	respondBy := time.Now().Add(12 * time.Hour)
	d, err := svc.OpenDispute(ctx, seller.ID, sh.ID, shipment.DisputeInput{Kind: shipment.DisputeAToZClaim, RespondBy: &respondBy})
	if err != nil {
		t.Fatalf("OpenDispute() on a cancelled shipment error = %v", err)
	}
	openKinds := func() map[flag.Kind]bool {
		t.Helper()
		if _, _, err := svc.Sweep(ctx, time.Now()); err != nil {
			t.Fatalf("Sweep() error = %v", err)
		}
		open := true
		page, err := st.Flags(ctx, seller.ID, store.FlagFilter{Open: &open, ShipmentID: sh.ID}, 50, store.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[flag.Kind]bool{}
		for _, f := range page.Items {
			kinds[f.Kind] = true
		}
		return kinds
	}
	if got := openKinds(); len(got) != 2 || !got["DISPUTE_DUE_SOON"] || !got["PROOF_MISSING"] {
		t.Errorf("open flags of a cancelled, disputed shipment = %v, want DISPUTE_DUE_SOON and PROOF_MISSING only", got)
	}
	if _, err := svc.CloseDispute(ctx, seller.ID, d.ID, shipment.OutcomeWon); err != nil {
		t.Fatalf("CloseDispute() error = %v", err)
	}
	if got := openKinds(); len(got) != 0 {
		t.Errorf("open flags after the dispute closed = %v, want none", got)
	}
}
