package monitor_test

import (
	"context"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestEventsOrderAndAttach covers the rules of carrier events: events
// before their shipment attach to it, duplicates are stored once, and the
// latest event by occurrence decides, not the latest arrival.
func TestEventsOrderAndAttach(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc, st := newService(t)
	seller, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	const number = "1Z999AA10123456784"
	ev := func(when string, s shipment.Status) shipment.Event {
		return shipment.Event{TrackingNumber: "1z999aa1 0123456784", OccurredAt: at(when), Status: s, Source: shipment.SourceBackOffice}
	}
	// The label and the first scan arrive before the shipment exists.
	res, err := svc.RecordEvents(ctx, seller.ID, []shipment.Event{
		ev("2026-11-01T08:00:00Z", shipment.StatusLabelCreated),
		ev("2026-11-01T18:00:00Z", shipment.StatusInTransit),
	})
	if err != nil || len(res.Inserted) != 2 || len(res.Changes) != 0 {
		t.Fatalf("RecordEvents() = %+v, %v; want 2 stored, no shipment changed", res, err)
	}
	items, err := svc.CreateShipments(ctx, seller.ID, []shipment.Input{
		{OrderID: "A-1", TrackingNumber: number}, {OrderID: "A-2", TrackingNumber: number},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		sh := it.Shipment
		if sh.Status != "IN_TRANSIT" || sh.FirstScanAt == nil || !sh.FirstScanAt.Equal(at("2026-11-01T18:00:00Z")) {
			t.Errorf("new shipment %s: status %s first scan %v; want earlier events attached", sh.OrderID, sh.Status, sh.FirstScanAt)
		}
	}

	// A stale DELIVERED dated before the last scan is history, not the end.
	res, err = svc.RecordEvents(ctx, seller.ID, []shipment.Event{
		ev("2026-11-03T09:00:00Z", shipment.StatusOutForDelivery),
		ev("2026-11-02T12:00:00Z", shipment.StatusDelivered),
		ev("2026-11-01T18:00:00Z", shipment.StatusInTransit), // a resend
	})
	if err != nil || len(res.Inserted) != 2 || res.Duplicates != 1 || len(res.Changes) != 2 {
		t.Fatalf("RecordEvents() = %+v, %v; want 2 new, 1 duplicate, both shipments changed", res, err)
	}
	sh, err := st.Shipment(ctx, seller.ID, items[0].Shipment.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sh.Status != "OUT_FOR_DELIVERY" || sh.DeliveredAt != nil || !sh.LastEventAt.Equal(at("2026-11-03T09:00:00Z")) {
		t.Errorf("shipment = %s delivered %v last %v; want OUT_FOR_DELIVERY, not delivered", sh.Status, sh.DeliveredAt, sh.LastEventAt)
	}
	page, err := st.Events(ctx, seller.ID, number, 10, store.Cursor{})
	if err != nil || len(page.Items) != 4 || page.Items[0].Status != "LABEL_CREATED" || page.Items[3].Status != "OUT_FOR_DELIVERY" {
		t.Errorf("Events() = %+v, %v; want 4 oldest first", page.Items, err)
	}
}
