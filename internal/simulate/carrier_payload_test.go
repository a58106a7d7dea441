package simulate

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/webhook"
)

// The 17TRACK and Shippo builders (used by the load test) read back, with
// the webhook package, as the events they were built from: time, status,
// description, place and estimate. They carry no carrier code or signer,
// and 17TRACK lists events newest first, so the events are compared in
// time order.
func TestCarrierPayloadRoundTrip(t *testing.T) {
	type kept struct {
		At          time.Time
		Status      shipment.Status
		Description string
		City        string
		Region      string
		Estimate    *time.Time
	}
	keep := func(evs []shipment.Event) []kept {
		var out []kept
		for _, e := range evs {
			out = append(out, kept{e.OccurredAt, e.Status, e.Description, e.Location.City, e.Location.Region, e.EstimatedDeliveryAt})
		}
		slices.SortStableFunc(out, func(a, b kept) int { return a.At.Compare(b.At) })
		return out
	}
	builders := []struct {
		name  string
		build func(number, carrier string, events []shipment.Event) []byte
		parse func([]byte) (webhook.Payload, error)
	}{
		{"17track", SeventeenTrackPayload, webhook.ParseSeventeenTrack},
		{"shippo", ShippoPayload, webhook.ParseShippo},
	}
	for _, b := range builders {
		for _, o := range Outcomes {
			s := testShipment(3, "usps")
			life := Plan(s, o, rand.New(rand.NewPCG(3, 11)))
			got, err := b.parse(b.build(s.TrackingNumber, "usps", life.Events))
			if err != nil {
				t.Fatalf("%s %s: %v", b.name, o, err)
			}
			want := keep(life.Events)
			events := got.Events // Shippo's tracking_status repeats the last entry: read once
			// The estimate of the last event applies to all of a webhook's
			// events that carry none.
			for i := range want {
				if want[i].Estimate == nil && got.EstimatedDeliveryAt != nil {
					want[i].Estimate = got.EstimatedDeliveryAt
				}
			}
			if diff := cmp.Diff(want, keep(events)); diff != "" {
				t.Errorf("%s %s: round trip mismatch (-want +got):\n%s", b.name, o, diff)
			}
		}
	}
}
