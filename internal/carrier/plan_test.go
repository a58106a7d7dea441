package carrier_test

import (
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/carrier"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

func TestPolicyNext(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { v := now.Add(-d); return &v }
	p := carrier.DefaultPolicy
	for _, tc := range []struct {
		name     string
		st       carrier.PollState
		notFound bool
		next     time.Duration
		priority int
		poll     bool
	}{
		{"delivered", carrier.PollState{Status: shipment.StatusDelivered}, false, 0, 0, false},
		{"returned", carrier.PollState{Status: shipment.StatusReturnedToSender}, false, 0, 0, false},
		{"cancelled", carrier.PollState{Status: shipment.StatusPending, Cancelled: true}, false, 0, 0, false},
		{"unscanned, far from its boundary", carrier.PollState{Status: shipment.StatusPending, CreatedAt: now, ShippedAt: ago(time.Hour), InactiveHours: 48},
			false, 30 * time.Minute, carrier.PriorityUnscanned, true},
		{"unscanned, boundary in 10 h", carrier.PollState{Status: shipment.StatusPending, CreatedAt: now, ShippedAt: ago(38 * time.Hour), InactiveHours: 48},
			false, 30 * time.Minute, carrier.PriorityBoundary, true},
		{"unscanned, boundary in 20 min: polled just before it", carrier.PollState{Status: shipment.StatusLabelCreated, CreatedAt: now,
			ShippedAt: ago(47*time.Hour + 40*time.Minute), InactiveHours: 48}, false, 15 * time.Minute, carrier.PriorityBoundary, true},
		{"not shipped, ship-by in 2 h", carrier.PollState{Status: shipment.StatusPending, CreatedAt: now, ShipBy: ago(-2 * time.Hour), InactiveHours: 48},
			false, 30 * time.Minute, carrier.PriorityBoundary, true},
		{"moving", carrier.PollState{Status: shipment.StatusInTransit, FirstScanAt: ago(time.Hour)}, false, 6 * time.Hour, carrier.PriorityMoving, true},
		{"out for delivery", carrier.PollState{Status: shipment.StatusOutForDelivery, FirstScanAt: ago(time.Hour)}, false, 2 * time.Hour, carrier.PriorityLastMile, true},
		{"unknown to the carrier for 3 days", carrier.PollState{Status: shipment.StatusPending, CreatedAt: now, ShippedAt: ago(72 * time.Hour), InactiveHours: 720},
			true, 6 * time.Hour, carrier.PriorityIdle, true},
		{"unknown to the carrier for 3 hours", carrier.PollState{Status: shipment.StatusPending, CreatedAt: now, ShippedAt: ago(3 * time.Hour), InactiveHours: 720},
			true, 30 * time.Minute, carrier.PriorityUnscanned, true},
	} {
		next, prio, poll := p.Next(tc.st, now, tc.notFound)
		if poll != tc.poll || (poll && (next.Sub(now) != tc.next || prio != tc.priority)) {
			t.Errorf("%s: Next() = +%s, %d, %v; want +%s, %d, %v", tc.name, next.Sub(now), prio, poll, tc.next, tc.priority, tc.poll)
		}
	}
	naive := p
	naive.Naive = true
	if next, _, poll := naive.Next(carrier.PollState{Status: shipment.StatusInTransit, FirstScanAt: ago(time.Hour)}, now, false); !poll || next.Sub(now) != 30*time.Minute {
		t.Errorf("naive Next(moving) = +%s, %v; want +30m", next.Sub(now), poll)
	}
}

func TestRecycled(t *testing.T) {
	created := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	shipped := created.Add(-10 * 24 * time.Hour) // imported ten days after it shipped
	st := carrier.PollState{CreatedAt: created, ShippedAt: &shipped}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{created, false},
		{shipped, false},
		{shipped.Add(-carrier.RecycleWindow + time.Minute), false},
		{shipped.Add(-carrier.RecycleWindow - time.Minute), true},
		{created.Add(-90 * 24 * time.Hour), true},
	} {
		if got := st.Recycled(tc.at); got != tc.want {
			t.Errorf("Recycled(%s) = %v, want %v", tc.at, got, tc.want)
		}
	}
}
