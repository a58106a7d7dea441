package health_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// TestReportMatchesDirectCountRandom writes random shipments and events
// through every write path, for sellers in zones with whole-hour and
// half-hour offsets, folding the rollup at random moments, and compares
// each report with the direct count.
func TestReportMatchesDirectCountRandom(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	now := time.Now().UTC().Add(time.Hour).Truncate(time.Minute).Add(time.Duration(rng.IntN(60)) * time.Second)
	zones := []string{"Asia/Kolkata", "America/New_York", "UTC"}
	sellers := make([]string, len(zones))
	locs := make([]*time.Location, len(zones))
	for i, z := range zones {
		sellers[i] = f.seller(t, z, z)
		var err error
		if locs[i], err = time.LoadLocation(z); err != nil {
			t.Fatal(err)
		}
	}
	// instant is a random time from ten days before now to three after,
	// often on a quarter hour or near now, where the rollup has edges.
	instant := func() time.Time {
		switch rng.IntN(5) {
		case 0:
			return now.Add(time.Duration(rng.IntN(20)-10) * time.Minute)
		case 1:
			return now.Add(-time.Duration(rng.IntN(10*96)) * 15 * time.Minute).Truncate(15 * time.Minute)
		}
		return now.Add(time.Duration(rng.Int64N(int64(13*24*time.Hour))) - 10*24*time.Hour).Truncate(time.Second)
	}
	maybe := func(p float64) *time.Time {
		if rng.Float64() < p {
			return ptr(instant())
		}
		return nil
	}
	carriers := []string{"", "ups", "usps", "fedex"}
	num := 1000
	newItems := func(n int) []item {
		var items []item
		for range n {
			num++
			in := shipment.Input{
				OrderID: "O-" + upsNumber(num, true), Carrier: carriers[rng.IntN(len(carriers))],
				ShippedAt: maybe(0.7), ShipBy: maybe(0.8), DeliverBy: maybe(0.7),
			}
			ordered(&in)
			if rng.Float64() < 0.7 {
				in.TrackingNumber = upsNumber(num-rng.IntN(2), rng.Float64() < 0.9) // some numbers on two orders
			}
			it := item{in: in}
			if in.TrackingNumber != "" {
				for range rng.IntN(4) {
					st := []shipment.Status{shipment.StatusLabelCreated, shipment.StatusInTransit, shipment.StatusDelivered, shipment.StatusException}[rng.IntN(4)]
					it.events = append(it.events, event{instant(), st})
				}
			}
			items = append(items, it)
		}
		return items
	}
	ids := make([][]string, len(sellers))
	for i, s := range sellers {
		for _, id := range f.load(t, s, newItems(60)) {
			ids[i] = append(ids[i], id)
		}
	}
	check := func(round int) {
		for i, s := range sellers {
			m := []health.Marketplace{health.Amazon, health.Walmart, health.EBay}[rng.IntN(3)]
			days := []int{1, 3, 7, 14}[rng.IntN(4)]
			r, err := f.hs.Report(ctx, s, m, days, now)
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, f.st, f.hs, r, s, locs[i])
			if t.Failed() {
				t.Fatalf("round %d, seller in %s, %s over %d days: see above (seed %d)", round, zones[i], m, days, seed)
			}
		}
	}
	check(0)
	for round := 1; round <= 4; round++ {
		for i, s := range sellers {
			for range 10 {
				id := ids[i][rng.IntN(len(ids[i]))]
				var err error
				switch rng.IntN(4) {
				case 0:
					_, err = f.svc.CancelShipment(ctx, s, id, shipment.CancelledBySeller)
				case 1:
					_, err = f.svc.UpdateShipment(ctx, s, id, func(in *shipment.Input) {
						in.ShippedAt, in.Carrier = maybe(0.8), carriers[rng.IntN(len(carriers))]
					})
				case 2:
					_, err = f.svc.UpdateShipment(ctx, s, id, func(in *shipment.Input) {
						in.ShipBy, in.DeliverBy = maybe(0.9), maybe(0.9)
						ordered(in)
					})
				default:
					sh, gerr := f.st.Shipment(ctx, s, id)
					if gerr != nil || sh.TrackingNumber == "" {
						continue
					}
					_, err = f.svc.RecordEvents(ctx, s, []shipment.Event{{TrackingNumber: sh.TrackingNumber, OccurredAt: instant(),
						Status: shipment.StatusDelivered, Source: shipment.SourceBackOffice}})
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			for _, id := range f.load(t, s, newItems(10)) {
				ids[i] = append(ids[i], id)
			}
		}
		if rng.IntN(2) == 0 {
			compact(t, f.st)
		}
		check(round)
	}
}

// ordered swaps ship-by and deliver-by when they are the wrong way round,
// which the input validation refuses.
func ordered(in *shipment.Input) {
	if in.ShipBy != nil && in.DeliverBy != nil && in.DeliverBy.Before(*in.ShipBy) {
		in.ShipBy, in.DeliverBy = in.DeliverBy, in.ShipBy
	}
}
