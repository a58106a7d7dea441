package monitor_test

import (
	"context"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestRecordEventsWithNUL records a provider event whose text carries NUL
// characters (PostgreSQL's text cannot hold them): it is stored without
// them instead of failing its whole webhook on every retry.
func TestRecordEventsWithNUL(t *testing.T) {
	t.Parallel()
	svc, st := newService(t)
	seller, sh := oneShipment(t, svc, st)
	ctx := context.Background()
	res, err := svc.RecordEvents(ctx, seller.ID, []shipment.Event{{
		TrackingNumber: "1Z999AA1\x000123456784", OccurredAt: time.Now().Add(-time.Hour),
		Status: shipment.StatusInTransit, Description: "Arrived\x00 at facility", Source: shipment.SourceEasyPost,
		Location: shipment.Location{City: "Port\x00land"},
	}})
	if err != nil || len(res.Inserted) != 1 {
		t.Fatalf("RecordEvents() = %+v, %v; want the event stored", res, err)
	}
	page, err := st.Events(ctx, seller.ID, sh.NormalizedTrackingNumber, 10, store.Cursor{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("Events() = %+v, %v; want one event on the shipment's number", page.Items, err)
	}
	if e := page.Items[0]; e.Description != "Arrived at facility" || e.City != "Portland" {
		t.Errorf("stored description %q, city %q; want them without NUL", e.Description, e.City)
	}
}
