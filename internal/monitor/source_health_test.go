package monitor_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/source"
	"github.com/shipwatch/shipwatch/internal/store"
)

// Webhook sources get their health in the shared processing path: a
// usable delivery is a success with its lag, unusable ones are failures,
// three in a row degrade the source, which holds INACTIVE_TRACKING for a
// seller whose scans come by webhook, and the next success recovers it.
func TestWebhookDeliveriesRecordSourceHealth(t *testing.T) {
	ctx := context.Background()
	db := dbtest.DB(t)
	now := time.Now().UTC().Truncate(time.Second)
	svc, st := monitortest.New(t, db, monitor.WithClock(func() time.Time { return now }))
	seller, err := st.InsertSeller(ctx, "Hooked")
	if err != nil {
		t.Fatal(err)
	}
	src, err := st.InsertTrackingSource(ctx, seller.ID, store.NewTrackingSource{Provider: monitor.ProviderEasyPost, SecretSealed: bytes.Repeat([]byte{1}, 40), KeyID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	deliver := func(body string) {
		t.Helper()
		ids, err := st.InsertWebhookDeliveries(ctx, db, []store.NewWebhookDelivery{{SellerID: seller.ID, SourceID: src.ID,
			Provider: monitor.ProviderEasyPost, Headers: map[string][]string{}, Body: []byte(body)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.ProcessDeliveries(ctx, ids); err != nil {
			t.Fatal(err)
		}
	}
	health := func() source.Health {
		t.Helper()
		hs, err := st.SourceHealth(ctx, seller.ID, []string{src.ID})
		if err != nil || len(hs) != 1 {
			t.Fatalf("SourceHealth() = %v, %v", hs, err)
		}
		return hs[0]
	}
	good := `{"description":"tracker.updated","result":{"tracking_code":"EZ1000000001","tracking_details":[
		{"status":"in_transit","datetime":"2020-01-01T10:00:00Z","message":"Arrived"}]}}`
	bad := `{"result":{"tracking_code":"EZ1000000002","tracking_details":[{"datetime":"later"}]}}`
	deliver(good)
	h := health()
	if h.State() != source.OK || h.Kind != source.Webhook || h.LagSeconds == nil || *h.LagSeconds < 86400 {
		t.Fatalf("health after a good delivery = %+v, want OK with the lag since 2020", h)
	}
	shipped := now.Add(-50 * time.Hour) // past the default 48 hours
	res, err := svc.CreateShipments(ctx, seller.ID, []shipment.Input{{OrderID: "W-1", Carrier: "ups",
		TrackingNumber: "1Z999AA10123456784", ShippedAt: &shipped}})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	sh := *res[0].Shipment
	for i := range source.FailureThreshold {
		deliver(bad)
		if got := health().State(); (got == source.Degraded) != (i == source.FailureThreshold-1) {
			t.Fatalf("after %d bad deliveries: %s", i+1, got)
		}
	}
	if h := health(); h.DegradedReason == "" || h.ErrorRate() < 0.7 {
		t.Errorf("degraded health = %+v, want a reason and a high error rate", h)
	}
	sweepKinds := func() map[flag.Kind]bool {
		t.Helper()
		if _, _, err := svc.Sweep(ctx, now); err != nil {
			t.Fatal(err)
		}
		yes := true
		page, err := st.Flags(ctx, seller.ID, store.FlagFilter{ShipmentID: sh.ID, Open: &yes}, 100, store.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[flag.Kind]bool{}
		for _, f := range page.Items {
			kinds[f.Kind] = true
		}
		return kinds
	}
	if k := sweepKinds(); k[flag.InactiveTracking] || !k[flag.SourceDegraded] {
		t.Errorf("open flags while the webhook source fails = %v, want SOURCE_DEGRADED and no INACTIVE_TRACKING", k)
	}
	deliver(good)
	if got := health().State(); got != source.OK {
		t.Fatalf("after a good delivery: %s, want OK", got)
	}
	if k := sweepKinds(); !k[flag.InactiveTracking] || k[flag.SourceDegraded] {
		t.Errorf("open flags after recovery = %v, want INACTIVE_TRACKING back and SOURCE_DEGRADED resolved", k)
	}
}
