package health_test

import (
	"context"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// TestQueueAssembleEvidence checks that Walmart's item-not-received queue
// holds the open not-received claims evidence can still answer, with their
// response deadline, that the projection counts them as they stand, and
// that generating the evidence pack takes an item off.
func TestQueueAssembleEvidence(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	seller := f.seller(t, "W", "UTC")
	other := f.seller(t, "X", "UTC")

	now := time.Now().UTC().Truncate(time.Microsecond)
	t0 := now.Truncate(24 * time.Hour)
	at := func(day, hour int) time.Time { return t0.AddDate(0, 0, day).Add(time.Duration(hour) * time.Hour) }
	delivered := []event{{at(-5, 10), shipment.StatusInTransit}, {at(-3, 10), shipment.StatusDelivered}}
	var items []item
	for i, o := range []string{"D1", "D2", "D3", "D4", "D5", "D6"} {
		items = append(items, item{in: shipment.Input{OrderID: o, TrackingNumber: upsNumber(i, true), ShippedAt: ptr(at(-6, 9))}, events: delivered})
	}
	// S shipped, never scanned: its pack would show no carrier event.
	items = append(items, item{in: shipment.Input{OrderID: "S", TrackingNumber: upsNumber(9, true), ShippedAt: ptr(at(-6, 9))}})
	ids := f.load(t, seller, items)
	oids := f.load(t, other, items)

	respondBy := at(2, 12)
	open := func(sellerID, shipmentID string, kind shipment.DisputeKind, by *time.Time) string {
		t.Helper()
		d, err := f.svc.OpenDispute(ctx, sellerID, shipmentID, shipment.DisputeInput{Kind: kind, RespondBy: by})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	d1 := open(seller, ids["D1"], shipment.DisputeNotReceived, &respondBy) // queued, deadline respondBy
	d2 := open(seller, ids["D2"], shipment.DisputeNotReceived, &respondBy) // deadline passed (set below)
	open(seller, ids["D3"], shipment.DisputeAToZClaim, &respondBy)         // not counted by this metric
	d4 := open(seller, ids["D4"], shipment.DisputeNotReceived, &respondBy) // closed below
	open(seller, ids["D5"], shipment.DisputeNotReceived, nil)              // queued, no deadline
	open(seller, ids["S"], shipment.DisputeNotReceived, &respondBy)        // nothing to show
	open(other, oids["D6"], shipment.DisputeNotReceived, &respondBy)       // another seller's
	if _, err := f.db.Exec(`UPDATE disputes SET respond_by = $2 WHERE id = $1`, d2, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CloseDispute(ctx, seller, d4, shipment.OutcomeLost); err != nil {
		t.Fatal(err)
	}

	out, err := f.hs.Forecast(ctx, seller, health.Walmart, now)
	if err != nil {
		t.Fatal(err)
	}
	// INR over 60 days, keyed by shippedAt (6 days ago): 7 shipped, 5 with
	// a NOT_RECEIVED dispute (D1, D2, D4, D5, S; D3's is an A-to-z claim).
	// Claims are counted as they stand: expected 5, nothing open.
	p := projection(t, out, health.ItemNotReceivedRate, 60)
	if p.Denominator != 7 || p.Known != 5 || p.Open != 0 || !near(p.Expected, 5) || !near(p.Low, 5) || !near(p.High, 5) {
		t.Errorf("INR 60: denominator %d known %d open %d expected %v [%v, %v], want 7 5 0 5 [5, 5]",
			p.Denominator, p.Known, p.Open, p.Expected, p.Low, p.High)
	}
	q, err := out.Queue(health.ItemNotReceivedRate)
	if err != nil {
		t.Fatal(err)
	}
	// D1 and D5, each effect 1/7 (a claim removed moves the rate by one
	// shipment of 7); D1 first, its deadline being known.
	if len(q) != 2 {
		t.Fatalf("queue = %+v, want D1 and D5", q)
	}
	for i, w := range []struct {
		order    string
		deadline *time.Time
	}{{"D1", &respondBy}, {"D5", nil}} {
		it := q[i]
		if it.Shipment.ID != ids[w.order] || it.Action != health.AssembleEvidence || !near(it.Effect, 1.0/7) || it.Probability != 0 {
			t.Errorf("queue[%d] = %s %s effect %v probability %v, want %s ASSEMBLE_EVIDENCE 1/7 0", i, it.Shipment.OrderID, it.Action, it.Effect, it.Probability, w.order)
		}
		if (it.Deadline == nil) != (w.deadline == nil) || (w.deadline != nil && !it.Deadline.Equal(*w.deadline)) {
			t.Errorf("queue[%d] deadline = %v, want %v", i, it.Deadline, w.deadline)
		}
		if it.Dispute == nil || it.Dispute.ShipmentID != ids[w.order] {
			t.Errorf("queue[%d] dispute = %+v, want the claim on %s", i, it.Dispute, w.order)
		}
	}
	if q[0].Dispute.ID != d1 {
		t.Errorf("queue[0] dispute = %s, want %s", q[0].Dispute.ID, d1)
	}

	// Acting: D1's evidence pack is generated.
	s, err := f.st.Seller(ctx, seller)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.EvidencePack(ctx, s, d1, now, func(string, string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	out, err = f.hs.Forecast(ctx, seller, health.Walmart, now)
	if err != nil {
		t.Fatal(err)
	}
	if q, err = out.Queue(health.ItemNotReceivedRate); err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].Shipment.ID != ids["D5"] {
		t.Errorf("queue after D1's pack = %+v, want D5 alone", q)
	}
}
