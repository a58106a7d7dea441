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
