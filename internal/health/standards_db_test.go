package health_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// TestStandardsHandBuilt counts every published standard over a history
// built by hand; the expected numbers are worked out in the comments from
// the definitions in docs/health.md. T0 is midnight UTC of now's day.
func TestStandardsHandBuilt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	seller := f.seller(t, "A", "UTC")
	other := f.seller(t, "B", "UTC") // the same history: must not count for A

	now := time.Now().UTC().Add(time.Hour).Truncate(time.Microsecond)
	t0 := now.Truncate(24 * time.Hour)
	at := func(day, hour int) time.Time { return t0.AddDate(0, 0, day).Add(time.Duration(hour) * time.Hour) }
	items := []item{
		// a: shipped, first scan and delivered on time.
		{in: shipment.Input{OrderID: "a", TrackingNumber: "1Z12345E0205271686", ShipBy: ptr(at(-2, 12)), ShippedAt: ptr(at(-2, 10)), DeliverBy: ptr(at(-1, 20))},
			events: []event{{at(-2, 15), shipment.StatusInTransit}, {at(-1, 18), shipment.StatusDelivered}}},
		// b: shipped and first scanned a day late, delivered on time.
		{in: shipment.Input{OrderID: "b", TrackingNumber: "1Z12345E0205271687", ShipBy: ptr(at(-3, 12)), ShippedAt: ptr(at(-2, 9)), DeliverBy: ptr(at(-1, 20))},
			events: []event{{at(-2, 9), shipment.StatusInTransit}, {at(-1, 19), shipment.StatusDelivered}}},
		// c: shipped on time, never scanned, never delivered.
		{in: shipment.Input{OrderID: "c", TrackingNumber: "1Z12345E0205271688", ShipBy: ptr(at(-3, 12)), ShippedAt: ptr(at(-3, 11)), DeliverBy: ptr(at(-2, 20))}},
		// d: no number, never shipped, 20 days ago.
		{in: shipment.Input{OrderID: "d", ShipBy: ptr(at(-20, 12)), DeliverBy: ptr(at(-18, 12))}},
		// e: cancelled by the seller; f: at the buyer's request.
		{in: shipment.Input{OrderID: "e"}},
		{in: shipment.Input{OrderID: "f"}},
		// g: not due yet.
		{in: shipment.Input{OrderID: "g", TrackingNumber: "1Z12345E0205271689", ShipBy: ptr(at(1, 12)), DeliverBy: ptr(at(3, 12))}},
	}
	ids := f.load(t, seller, items)
	f.load(t, other, items)
	if _, err := f.svc.CancelShipment(ctx, seller, ids["e"], shipment.CancelledBySeller); err != nil {
		t.Fatal(err)
	}
	sh, err := f.svc.CancelShipment(ctx, seller, ids["f"], shipment.CancelledByBuyer)
	if err != nil || sh.CancelledBy != "BUYER" {
		t.Fatalf("CancelShipment(f, BUYER) = %q, %v, want BUYER", sh.CancelledBy, err)
	}
	// Cancelling again keeps the first party.
	if sh, err := f.svc.CancelShipment(ctx, seller, ids["f"], shipment.CancelledBySeller); err != nil || sh.CancelledBy != "BUYER" {
		t.Fatalf("CancelShipment(f) again = %q, %v, want BUYER kept", sh.CancelledBy, err)
	}
	if _, err := f.svc.OpenDispute(ctx, seller, ids["c"], shipment.DisputeInput{Kind: shipment.DisputeNotReceived}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RecordReturn(ctx, seller, ids["a"], ptr(at(-1, 21)), now); err != nil {
		t.Fatal(err)
	}
	// a's number reached Shipwatch three days ago, before its ship-by day.
	if _, err := f.db.Exec(`UPDATE shipments SET created_at = $3 WHERE seller_id = $1 AND id = $2`, seller, ids["a"], at(-3, 8)); err != nil {
		t.Fatal(err)
	}

	type want struct {
		metric health.Metric
		days   int
		n, d   int
		status health.Status
	}
	cases := map[health.Marketplace][]want{
		health.Amazon: {
			// VTR by promised delivery: a, b, c (g's is to come; d has no
			// number; e, f cancelled); a and b scanned.
			{health.ValidTrackingRate, 7, 2, 3, health.Failing},
			{health.ValidTrackingRate, 30, 2, 3, health.Failing},
			// LSR by ship-by: a, b, c in 10 days, b late; d too in 30, late.
			{health.LateShipmentRate, 10, 1, 3, health.Failing},
			{health.LateShipmentRate, 30, 2, 4, health.Failing},
			// Seven orders received, e cancelled by the seller.
			{health.CancellationRate, 7, 1, 7, health.Failing},
			// OTD by promised delivery over 14 days: a, b on time, c late.
			{health.OnTimeDeliveryRate, 14, 2, 3, health.Failing},
			// SFP: a scanned on its ship-by day; b late but delivered on
			// time; c never scanned.
			{health.OnTimeShipmentRate, 7, 2, 3, health.Failing},
		},
		health.Walmart: {
			// VTR by ship date (else received): a, b, c and g; a, b scanned.
			{health.ValidTrackingRate, 30, 2, 4, health.Failing},
			// OTD: a, b on time; c and d past deliverBy.
			{health.OnTimeDeliveryRate, 30, 2, 4, health.Failing},
			{health.CancellationRate, 30, 1, 7, health.Failing},
			// Shipped a, b, c; c has a NOT_RECEIVED dispute.
			{health.ItemNotReceivedRate, 60, 1, 3, health.Failing},
			// Delivered a and b; a returned.
			{health.ReturnRate, 60, 1, 2, health.Failing},
		},
		health.EBay: {
			// Due a, b, c, d: only a had its number by its ship-by day and
			// a scan (b, c, d reached Shipwatch now).
			{health.TrackingOnTimeRate, 90, 1, 4, health.Failing},
			{health.LateShipmentRate, 90, 2, 4, health.Failing},
		},
	}
	for m, ws := range cases {
		got, err := f.hs.Standards(ctx, seller, m, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ws) {
			t.Fatalf("Standards(%s) = %d values, want %d", m, len(got), len(ws))
		}
		for i, w := range ws {
			g := got[i]
			if g.Metric != w.metric || g.WindowDays != w.days || g.Numerator != w.n || g.Denominator != w.d || g.Status != w.status {
				t.Errorf("Standards(%s)[%d] = %s %dd %d/%d %s, want %s %dd %d/%d %s", m, i,
					g.Metric, g.WindowDays, g.Numerator, g.Denominator, g.Status, w.metric, w.days, w.n, w.d, w.status)
			}
			if wantFrom := t0.AddDate(0, 0, -(w.days - 1)); !g.From.Equal(wantFrom) || !g.To.Equal(now) {
				t.Errorf("Standards(%s)[%d] window = %s to %s, want %s to %s", m, i, g.From, g.To, wantFrom, now)
			}
		}
	}
}

func TestRecordReturnRefusesImpossibleDates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	seller := f.seller(t, "A", "UTC")
	now := time.Now().UTC()
	ids := f.load(t, seller, []item{{in: shipment.Input{OrderID: "a", TrackingNumber: "1Z12345E0205271686"},
		events: []event{{now.Add(-48 * time.Hour), shipment.StatusInTransit}, {now.Add(-24 * time.Hour), shipment.StatusDelivered}}}})
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{now.Add(-25 * time.Hour), "is before the delivery"},
		{now.Add(time.Hour), "is in the future"},
	} {
		_, err := f.svc.RecordReturn(ctx, seller, ids["a"], &tc.at, now)
		var fe *shipment.FieldError
		if !errors.As(err, &fe) || fe.Field != "returnedAt" || !strings.Contains(fe.Message, tc.want) {
			t.Errorf("RecordReturn(%s) error = %v, want returnedAt %s", tc.at, err, tc.want)
		}
	}
	ok := now.Add(-time.Hour)
	sh, err := f.svc.RecordReturn(ctx, seller, ids["a"], &ok, now)
	// PostgreSQL keeps microseconds, rounded.
	if err != nil || sh.ReturnedAt == nil || sh.ReturnedAt.Sub(ok).Abs() > time.Microsecond {
		t.Fatalf("RecordReturn(an hour ago) = %v, %v", sh.ReturnedAt, err)
	}
	sh, err = f.svc.RecordReturn(ctx, seller, ids["a"], nil, now)
	if err != nil || sh.ReturnedAt != nil {
		t.Fatalf("RecordReturn(nil) = %v, %v, want cleared", sh.ReturnedAt, err)
	}
	other := f.seller(t, "B", "UTC")
	if _, err := f.svc.RecordReturn(ctx, other, ids["a"], &ok, now); err == nil {
		t.Errorf("RecordReturn of another seller's shipment: error nil, want not found")
	}
	if _, err := f.svc.CancelShipment(ctx, seller, ids["a"], "CARRIER"); err == nil {
		t.Errorf("CancelShipment(by CARRIER): error nil, want a field error")
	}
}
