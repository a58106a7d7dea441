package simulate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

var (
	testShipped   = time.Date(2026, 7, 6, 15, 30, 0, 0, time.UTC)
	testDeliverBy = time.Date(2026, 7, 10, 23, 59, 59, 0, time.UTC)
	testCarriers  = []string{"usps", "UPS", "fedex", "ontrac"}
)

func testShipment(i int, carrier string) Shipment {
	return Shipment{
		ID: fmt.Sprint("shp_", i), TrackingNumber: fmt.Sprintf("9400%018d", i), Carrier: carrier,
		ShippedAt: testShipped, DeliverBy: testDeliverBy,
	}
}

func statuses(events []shipment.Event) []shipment.Status {
	var out []shipment.Status
	for _, e := range events {
		out = append(out, e.Status)
	}
	return out
}

func count(events []shipment.Event, s shipment.Status) int {
	n := 0
	for _, e := range events {
		if e.Status == s {
			n++
		}
	}
	return n
}

// TestPlan checks the shape of each outcome across many seeds and carriers.
func TestPlan(t *testing.T) {
	tests := []struct {
		outcome Outcome
		check   func(t *testing.T, l Life)
	}{
		{OutcomeDelivered, func(t *testing.T, l Life) {
			last := l.Events[len(l.Events)-1]
			if last.Status != shipment.StatusDelivered || last.SignedBy == "" || last.OccurredAt.After(testDeliverBy) {
				t.Errorf("last event %v at %v signed %q, want DELIVERED, signed, by %v", last.Status, last.OccurredAt, last.SignedBy, testDeliverBy)
			}
			if count(l.Events, shipment.StatusOutForDelivery) != 1 || len(l.Events) < 6 {
				t.Errorf("statuses %v, want label, acceptance, hops, one out for delivery, delivered", statuses(l.Events))
			}
		}},
		{OutcomeInactive, func(t *testing.T, l Life) {
			if diff := cmp.Diff([]shipment.Status{shipment.StatusLabelCreated}, statuses(l.Events)); diff != "" {
				t.Errorf("statuses mismatch (-want +got):\n%s", diff)
			}
		}},
		{OutcomeStalled, func(t *testing.T, l Life) {
			last := l.Events[len(l.Events)-1]
			if len(l.Events) < 2 || last.Status != shipment.StatusInTransit || count(l.Events, shipment.StatusOutForDelivery) != 0 {
				t.Errorf("statuses %v, want a label, a scan and silence in transit", statuses(l.Events))
			}
		}},
		{OutcomeException, func(t *testing.T, l Life) {
			if last := l.Events[len(l.Events)-1]; last.Status != shipment.StatusException || count(l.Events, shipment.StatusException) != 1 {
				t.Errorf("statuses %v, want to end in one EXCEPTION", statuses(l.Events))
			}
		}},
		{OutcomeAttempt, func(t *testing.T, l Life) {
			n := len(l.Events)
			if l.Events[n-3].Status != shipment.StatusDeliveryAttempted || l.Events[n-2].Status != shipment.StatusOutForDelivery ||
				l.Events[n-1].Status != shipment.StatusDelivered || l.Events[n-1].SignedBy == "" {
				t.Errorf("statuses %v, want ... attempt, out for delivery, signed delivery", statuses(l.Events))
			}
		}},
		{OutcomeReturned, func(t *testing.T, l Life) {
			n := len(l.Events)
			if l.Events[n-3].Status != shipment.StatusDeliveryAttempted || count(l.Events, shipment.StatusReturnedToSender) != 2 ||
				l.Events[n-1].Location.City != l.Events[0].Location.City || count(l.Events, shipment.StatusDelivered) != 0 {
				t.Errorf("statuses %v ending in %v, want attempt then two returns ending at the origin", statuses(l.Events), l.Events[n-1].Location)
			}
		}},
		{OutcomeLate, func(t *testing.T, l Life) {
			last := l.Events[len(l.Events)-1]
			if last.Status != shipment.StatusDelivered || !last.OccurredAt.After(testDeliverBy) || last.SignedBy == "" {
				t.Errorf("last event %v at %v, want a signed delivery after %v", last.Status, last.OccurredAt, testDeliverBy)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.outcome), func(t *testing.T) {
			for seed := range uint64(50) {
				carrier := testCarriers[seed%uint64(len(testCarriers))]
				s := testShipment(int(seed), carrier)
				l := Plan(s, tt.outcome, rand.New(rand.NewPCG(seed, 7)))
				if l.Outcome != tt.outcome || len(l.Events) == 0 {
					t.Fatalf("Plan(%v) = outcome %v with %d events", tt.outcome, l.Outcome, len(l.Events))
				}
				checkCommon(t, s, l)
				tt.check(t, l)
			}
		})
	}
}

// checkCommon holds for every life: ordered times from about the shipping
// time, a label first, the shipment's identity, a place and an estimate on
// every event, and a signature only on a delivery.
func checkCommon(t *testing.T, s Shipment, l Life) {
	t.Helper()
	first := l.Events[0]
	if first.Status != shipment.StatusLabelCreated || first.OccurredAt.After(s.ShippedAt) || s.ShippedAt.Sub(first.OccurredAt) > 4*time.Hour {
		t.Errorf("first event %v at %v, want a label up to 4h before %v", first.Status, first.OccurredAt, s.ShippedAt)
	}
	for i, e := range l.Events {
		if i > 0 && !e.OccurredAt.After(l.Events[i-1].OccurredAt) {
			t.Errorf("event %d at %v is not after event %d at %v", i, e.OccurredAt, i-1, l.Events[i-1].OccurredAt)
		}
		if e.TrackingNumber != s.TrackingNumber || e.Carrier != s.Carrier || e.Description == "" || e.CarrierStatus == "" ||
			e.Location.City == "" || e.Location.Region == "" || e.Location.PostalCode == "" || e.EstimatedDeliveryAt == nil {
			t.Errorf("event %d = %+v, want identity, wording, place and estimate", i, e)
		}
		if (e.SignedBy != "") != (e.Status == shipment.StatusDelivered) {
			t.Errorf("event %d %v signed by %q", i, e.Status, e.SignedBy)
		}
		if e.OccurredAt != e.OccurredAt.Truncate(time.Minute) {
			t.Errorf("event %d at %v, want whole minutes as carriers report", i, e.OccurredAt)
		}
	}
	if n := len(l.Events); count(l.Events, shipment.StatusOutForDelivery) > 0 && l.Events[n-1].OccurredAt.Sub(first.OccurredAt) < 24*time.Hour {
		t.Errorf("life spans %v, want days", l.Events[n-1].OccurredAt.Sub(first.OccurredAt))
	}
}

func TestPlanWithoutPromise(t *testing.T) {
	s := testShipment(1, "usps")
	s.DeliverBy = time.Time{}
	l := Plan(s, OutcomeDelivered, rand.New(rand.NewPCG(1, 1)))
	checkCommon(t, s, l)
	if d := l.Events[len(l.Events)-1].OccurredAt.Sub(s.ShippedAt); d < 24*time.Hour || d > 7*24*time.Hour {
		t.Errorf("delivered %v after shipping, want 1 to 7 days", d)
	}
}

func TestNewLifeDeterministic(t *testing.T) {
	s := testShipment(42, "fedex")
	a := NewLife(s, DefaultMix(), rand.New(rand.NewPCG(9, 9)))
	b := NewLife(s, DefaultMix(), rand.New(rand.NewPCG(9, 9)))
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("NewLife() with the same seed differs (-first +second):\n%s", diff)
	}
	outcomes := map[Outcome]bool{}
	r := rand.New(rand.NewPCG(3, 3))
	for i := range 500 {
		outcomes[NewLife(testShipment(i, "usps"), DefaultMix(), r).Outcome] = true
	}
	if len(outcomes) != len(Outcomes) {
		t.Errorf("500 lives of the default mix had outcomes %v, want all %d", outcomes, len(Outcomes))
	}
}

func BenchmarkNewLife(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	s := testShipment(1, "usps")
	for b.Loop() {
		NewLife(s, DefaultMix(), r)
	}
}

func TestLifeBefore(t *testing.T) {
	s := Shipment{TrackingNumber: "1Z999AA10123456784", Carrier: "ups", ShippedAt: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	life := Plan(s, OutcomeDelivered, rand.New(rand.NewPCG(1, 2)))
	mid := life.Events[2].OccurredAt
	got := life.Before(mid)
	if len(got) != 3 || !got[2].OccurredAt.Equal(mid) {
		t.Errorf("Before(%v) = %d events, want the first 3", mid, len(got))
	}
	if got := life.Before(s.ShippedAt.Add(-24 * time.Hour)); len(got) != 0 {
		t.Errorf("Before(a day before shipping) = %d events, want none", len(got))
	}
	if got := life.Before(s.ShippedAt.AddDate(1, 0, 0)); len(got) != len(life.Events) {
		t.Errorf("Before(a year later) = %d events, want all %d", len(got), len(life.Events))
	}
}

// A parcel is delivered where it was sent: the delivery scan names the
// destination ZIP, in the city of that ZIP when the simulator knows it and
// in the nearest known city (same region) otherwise.
func TestDeliveredAtTheDestination(t *testing.T) {
	tests := []struct{ zip, city, region, wantZIP string }{
		{"98104", "SEATTLE", "WA", "98104"},
		{"02118", "BOSTON", "MA", "02118"},
		{"11215", "BROOKLYN", "NY", "11215"},
		{"98109-1234", "SEATTLE", "WA", "98109"},
	}
	for i, tt := range tests {
		for seed := range uint64(20) {
			s := testShipment(i, "ups")
			s.DestinationZIP = tt.zip
			life := Plan(s, OutcomeDelivered, rand.New(rand.NewPCG(seed, 1)))
			last := life.Events[len(life.Events)-1]
			if last.Status != shipment.StatusDelivered {
				t.Fatalf("Plan(%q) ends %v, want DELIVERED", tt.zip, last.Status)
			}
			if got := last.Location; got.City != tt.city || got.Region != tt.region || got.PostalCode != tt.wantZIP {
				t.Errorf("Plan(%q, seed %d) delivers at %+v, want %s %s %s", tt.zip, seed, got, tt.city, tt.region, tt.wantZIP)
			}
			if first := life.Events[1].Location; first.City == tt.city {
				t.Errorf("Plan(%q, seed %d) starts in the destination city %s", tt.zip, seed, first.City)
			}
		}
	}
	// Every ZIP the demo picks is a known city's, so its deliveries name
	// the city of their ZIP exactly.
	r := rand.New(rand.NewPCG(1, 2))
	for range 100 {
		zip := DestinationZIP(r)
		if d, ok := destination(zip); !ok || d.zip != zip || !slices.Contains(cities, d) {
			t.Fatalf("DestinationZIP() = %q, not a known city's (%+v)", zip, d)
		}
	}
}
