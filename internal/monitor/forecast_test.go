package monitor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestDeliveryAtRiskFromForecast: a UPS Ground history of 20 deliveries
// shipped Monday 11-09, 10 in 1 business day and 10 in 3. A parcel
// shipped Monday 11-23 must arrive by Wednesday 11-25 (2 business days):
// the late ones (3 days or more) are half of all, 0.5, not above the
// default threshold on Monday or Tuesday; on Wednesday the 1-day ones are
// ruled out and it is 10/10 = 1. So the risk starts Wednesday 00:00 (UTC
// seller): the sweep before it raises nothing, the sweep after raises
// DELIVERY_AT_RISK at 100%, and once Wednesday is over LATE_DELIVERY
// takes over. Only 20 deliveries one or two weeks old weigh under 20, so
// the coarsest lane with any history, "ups", is used. The origin of the
// history is its first scans' location (ZIP 10001).
func TestDeliveryAtRiskFromForecast(t *testing.T) {
	e := newRuleEnv(t)
	s := e.seller("UTC", 0, 0)
	mon := time.Date(2026, 11, 9, 10, 0, 0, 0, time.UTC)
	for i := range 20 {
		days := 1
		if i >= 10 {
			days = 3
		}
		sh := e.ship(s, shipment.Input{Carrier: "UPS", Service: "Ground", ShippedAt: &mon, PostalCode: "94105", Country: "US"})
		// The first scan says where the parcel left from: neither the
		// shipment nor the seller does.
		if _, err := e.svc.RecordEvents(e.ctx, s, []shipment.Event{{TrackingNumber: sh.TrackingNumber, OccurredAt: mon.Add(time.Hour),
			Status: shipment.StatusInTransit, Location: shipment.Location{PostalCode: "10001", Country: "US"}, Source: shipment.SourceBackOffice}}); err != nil {
			t.Fatal(err)
		}
		e.event(s, sh, mon.AddDate(0, 0, days).Add(5*time.Hour), shipment.StatusDelivered, nil)
	}
	rows, err := e.st.LaneTransit(e.ctx, e.db, s, []string{"ups|ground|100|941"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	learned := 0
	for _, r := range rows {
		learned += r.Deliveries
	}
	if learned != 20 {
		t.Errorf("lane ups|ground|100|941 (origin from the first scan) learned %d deliveries, want 20", learned)
	}
	shipped := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	due := time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)
	open := e.ship(s, shipment.Input{Carrier: "UPS", Service: "Ground", TrackingNumber: "-", ShippedAt: &shipped, DeliverBy: &due})
	if err := e.svc.Check(e.ctx, s, []string{open.ID}); err != nil {
		t.Fatal(err)
	}
	e.sweep(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	e.wantOpen(s, open, "Tuesday noon")
	e.sweep(time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC))
	e.wantOpen(s, open, "Wednesday 01:00", flag.DeliveryAtRisk)
	yes := true
	page, err := e.st.Flags(e.ctx, s, store.FlagFilter{ShipmentID: open.ID, Open: &yes}, 10, store.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || !strings.Contains(page.Items[0].Message, "100% or higher chance of missing the deliver-by date 2026-11-25 (threshold 50%, lane ups)") {
		t.Errorf("flags = %+v, want the forecast's message", page.Items)
	}
	e.sweep(time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC))
	e.wantOpen(s, open, "Thursday 01:00", flag.LateDelivery)

	// The same parcel a week later; at 0.5 nothing on Tuesday. Lowering the
	// threshold to 0.4 (the check of everything a settings change queues)
	// starts the risk at the ship time, 0.5 > 0.4.
	shipped, due = shipped.AddDate(0, 0, 7), due.AddDate(0, 0, 7)
	next := e.ship(s, shipment.Input{Carrier: "UPS", Service: "Ground", TrackingNumber: "-", ShippedAt: &shipped, DeliverBy: &due})
	if err := e.svc.Check(e.ctx, s, []string{next.ID}); err != nil {
		t.Fatal(err)
	}
	tuesday := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	e.sweep(tuesday)
	e.wantOpen(s, next, "next Tuesday, threshold 0.5")
	threshold := 0.4
	if _, err := e.svc.UpdateSellerSettings(e.ctx, s, monitor.SettingsChange{DeliveryRiskThreshold: &threshold}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Check(e.ctx, s, nil); err != nil {
		t.Fatal(err)
	}
	e.wantOpen(s, next, "next Tuesday, threshold 0.4", flag.DeliveryAtRisk)
	page, err = e.st.Flags(e.ctx, s, store.FlagFilter{ShipmentID: next.ID, Open: &yes}, 10, store.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || !strings.Contains(page.Items[0].Message, "50% or higher chance of missing the deliver-by date 2026-12-02 (threshold 40%") {
		t.Errorf("flags = %+v, want 50%% at threshold 40%%", page.Items)
	}
}
