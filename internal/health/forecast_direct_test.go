package health_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// queueFigures is what a save queue item states besides its shipment's
// other columns (the outlook reads only some of them).
type queueFigures struct {
	ID                  string
	Action              health.Action
	Deadline            *time.Time
	Probability, Effect float64
}

func queueOf(t *testing.T, o *health.Outlook, m health.Metric) []queueFigures {
	t.Helper()
	q, err := o.Queue(m)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]queueFigures, len(q))
	for i, it := range q {
		out[i] = queueFigures{it.Shipment.ID, it.Action, it.Deadline, it.Probability, it.Effect}
	}
	return out
}

// TestForecastMatchesDirectRandom writes random histories reaching four
// months back and ten days ahead through every write path (updates,
// cancellations by either side, carrier events, returns, NOT_RECEIVED
// disputes, a change of the seller's time zone), and after each round
// compares every marketplace's forecast and save queues, at instants
// before, at and after the writes, with the direct computation
// (health.NewDirect): the counts over every shipment of the seller and
// the open shipments read in full.
func TestForecastMatchesDirectRandom(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	direct := health.NewDirect(f.st)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 14))
	now := time.Now().UTC().Truncate(time.Second)
	zones := []string{"Asia/Kolkata", "America/New_York", "UTC"}
	sellers := make([]string, len(zones))
	for i, z := range zones {
		sellers[i] = f.seller(t, z, z)
	}
	var locs []*time.Location
	for _, z := range zones {
		loc, err := time.LoadLocation(z)
		if err != nil {
			t.Fatal(err)
		}
		locs = append(locs, loc)
	}
	// starts are the first days of the windows (and their evaluation
	// days' windows) at the instants checked.
	var starts []int
	for _, d := range []int{0, 45, -3} {
		for _, w := range []int{7, 10, 14, 30, 60, 90} {
			starts = append(starts, d+w-1, d+w-1-min(7, w/2))
		}
	}
	// instant is a random time from 120 days before now to 10 after, often
	// a second either side of a local midnight where a window starts, or
	// near now.
	instant := func() time.Time {
		switch rng.IntN(4) {
		case 0:
			return now.Add(time.Duration(rng.IntN(120)-60) * time.Minute)
		case 1:
			l := now.In(locs[rng.IntN(len(locs))])
			mid := time.Date(l.Year(), l.Month(), l.Day()-starts[rng.IntN(len(starts))], 0, 0, 0, 0, l.Location())
			return mid.Add(time.Duration(rng.IntN(3)-1) * time.Second)
		}
		return now.Add(time.Duration(rng.Int64N(int64(130*24*time.Hour))) - 120*24*time.Hour).Truncate(time.Second)
	}
	maybe := func(p float64) *time.Time {
		if rng.Float64() < p {
			return ptr(instant())
		}
		return nil
	}
	carriers := []string{"", "ups", "usps"}
	num := 5000
	newItems := func(n int) []item {
		var items []item
		for range n {
			num++
			in := shipment.Input{OrderID: "O-" + upsNumber(num, true), Carrier: carriers[rng.IntN(len(carriers))],
				ShippedAt: maybe(0.7), ShipBy: maybe(0.8), DeliverBy: maybe(0.7)}
			ordered(&in)
			if rng.Float64() < 0.8 {
				in.TrackingNumber = upsNumber(num, rng.Float64() < 0.9)
			}
			it := item{in: in}
			if in.TrackingNumber != "" {
				for range rng.IntN(3) {
					st := []shipment.Status{shipment.StatusInTransit, shipment.StatusDelivered, shipment.StatusException}[rng.IntN(3)]
					it.events = append(it.events, event{instant(), st})
				}
			}
			items = append(items, it)
		}
		return items
	}
	// backdate sets when Shipwatch received the shipments to random
	// instants (in SQL: no write path sets it): the keys' bound of an old
	// shipment is then in the past, and the counts must skip exactly the
	// shipments no window holds.
	backdate := func(s string, loaded map[string]string) {
		for _, id := range loaded {
			if rng.IntN(5) == 0 {
				continue
			}
			if _, err := f.db.Exec(`UPDATE shipments SET created_at = $3 WHERE seller_id = $1 AND id = $2`, s, id, instant()); err != nil {
				t.Fatal(err)
			}
		}
	}
	ids := make([][]string, len(sellers))
	for i, s := range sellers {
		loaded := f.load(t, s, newItems(150))
		backdate(s, loaded)
		for _, id := range loaded {
			ids[i] = append(ids[i], id)
		}
	}
	check := func(round int) {
		for i, s := range sellers {
			for _, m := range []health.Marketplace{health.Amazon, health.Walmart, health.EBay} {
				for _, at := range []time.Time{now, now.AddDate(0, 0, -45), now.Add(70 * time.Hour)} {
					fast, slow, diff := forecastsBothWays(ctx, t, f.hs, direct, s, m, at)
					if diff != "" {
						t.Fatalf("round %d, seller %d, %s at %s: forecast (-direct +fast):\n%s(seed %d)", round, i, m, at, diff, seed)
					}
					for _, p := range fast.Projections {
						if diff := cmp.Diff(queueOf(t, slow, p.Metric), queueOf(t, fast, p.Metric)); diff != "" {
							t.Fatalf("round %d, seller %d, %s at %s: %s queue (-direct +fast):\n%s(seed %d)", round, i, m, at, p.Metric, diff, seed)
						}
					}
					// A page of one metric's queue, as saveQueue asks for it:
					// projected from that metric's standards only and not
					// sorted whole, it must be the direct queue's slice.
					metric := fast.Projections[rng.IntN(len(fast.Projections))].Metric
					want := queueOf(t, slow, metric)
					offset, limit := rng.IntN(len(want)+2), 1+rng.IntN(20)
					page, err := f.hs.SaveQueue(ctx, s, m, metric, offset, limit, at)
					if err != nil {
						t.Fatal(err)
					}
					want = want[min(offset, len(want)):min(offset+limit, len(want))]
					got := make([]queueFigures, len(page.Items))
					for j, it := range page.Items {
						got[j] = queueFigures{it.Shipment.ID, it.Action, it.Deadline, it.Probability, it.Effect}
					}
					if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" || page.Total != len(queueOf(t, slow, metric)) {
						t.Fatalf("round %d, seller %d, %s at %s: %s saveQueue from %d, %d items, total %d (-direct +page):\n%s(seed %d)",
							round, i, m, at, metric, offset, limit, page.Total, diff, seed)
					}
				}
			}
		}
	}
	check(0)
	for round := 1; round <= 3; round++ {
		for i, s := range sellers {
			for range 12 {
				id := ids[i][rng.IntN(len(ids[i]))]
				var err error
				switch rng.IntN(6) {
				case 0:
					by := []shipment.CancelledBy{shipment.CancelledBySeller, shipment.CancelledByBuyer}[rng.IntN(2)]
					_, err = f.svc.CancelShipment(ctx, s, id, by)
				case 1:
					_, err = f.svc.UpdateShipment(ctx, s, id, func(in *shipment.Input) {
						in.ShipBy, in.DeliverBy, in.ShippedAt = maybe(0.9), maybe(0.9), maybe(0.8)
						ordered(in)
					})
				case 2:
					sh, gerr := f.st.Shipment(ctx, s, id)
					if gerr != nil || sh.TrackingNumber == "" {
						continue
					}
					_, err = f.svc.RecordEvents(ctx, s, []shipment.Event{{TrackingNumber: sh.TrackingNumber, OccurredAt: instant(),
						Status: shipment.StatusDelivered, Source: shipment.SourceBackOffice}})
				case 3:
					sh, gerr := f.st.Shipment(ctx, s, id)
					if gerr != nil || sh.DeliveredAt == nil || sh.DeliveredAt.After(now) {
						continue
					}
					_, err = f.svc.RecordReturn(ctx, s, id, ptr(now), now)
				case 4:
					_, err = f.svc.OpenDispute(ctx, s, id, shipment.DisputeInput{Kind: shipment.DisputeNotReceived})
				default:
					_, err = f.db.Exec(`UPDATE sellers SET time_zone = $2 WHERE id = $1`, s, zones[rng.IntN(len(zones))])
				}
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
			loaded := f.load(t, s, newItems(15))
			backdate(s, loaded)
			for _, id := range loaded {
				ids[i] = append(ids[i], id)
			}
		}
		check(round)
	}
}
