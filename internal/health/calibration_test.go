package health_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"

	"github.com/shipwatch/shipwatch/internal/forecast/forecastsim"
	"github.com/shipwatch/shipwatch/internal/health"
)

// BenchmarkProjectionCalibration replays one seed's history (SEED, default
// 1) as BenchmarkProjectionBacktest does and, every other midnight from
// day 35, scores each open outcome of Amazon's OTD projection against
// what became of its parcel in the simulation (delivered by deliverBy):
// per kind of open shipment, how many, the sum of their probabilities and
// how many were on time. A sum above its count on time is optimism the
// projection carries into its expected numerator. ns/op is the replay.
//
//	go test -run '^$' -bench BenchmarkProjectionCalibration -benchtime 1x -timeout 30m ./internal/health/
func BenchmarkProjectionCalibration(b *testing.B) {
	seed := 1
	if v, err := strconv.Atoi(os.Getenv("SEED")); err == nil && v > 0 {
		seed = v
	}
	ctx := context.Background()
	f := newFixture(b)
	type tally struct{ n, p, ok float64 }
	var kinds map[string]*tally
	for b.Loop() {
		kinds = map[string]*tally{}
		add := func(k string, p float64, ok bool) {
			t := kinds[k]
			if t == nil {
				t = &tally{}
				kinds[k] = t
			}
			t.n, t.p = t.n+1, t.p+p
			if ok {
				t.ok++
			}
		}
		s, err := f.st.InsertSeller(ctx, "Calibration "+strconv.Itoa(b.N))
		if err != nil {
			b.Fatal(err)
		}
		lanes, parcels := forecastsim.Simulate(uint64(seed))
		numbers := make([]string, len(parcels))
		for i := range parcels {
			numbers[i] = upsNumber(i, true)
		}
		orders := map[string]string{}
		var rows []struct {
			ID      string `db:"id"`
			OrderID string `db:"order_id"`
		}
		prev := forecastsim.Start.AddDate(0, 0, -2)
		for day := 0; day+health.Horizon(30) < forecastsim.Days; day++ {
			now := forecastsim.Start.AddDate(0, 0, day)
			if err := replayUntil(ctx, f.db, recorder{f}, s.ID, lanes, parcels, numbers, prev, now); err != nil {
				b.Fatal(err)
			}
			prev = now
			if day < backtestFrom || day%2 == 0 {
				continue
			}
			o, err := f.hs.Forecast(ctx, s.ID, health.Amazon, now)
			if err != nil {
				b.Fatal(err)
			}
			for i := range o.Projections {
				p := &o.Projections[i]
				if p.Metric != health.OnTimeDeliveryRate {
					continue
				}
				for _, oc := range p.OpenOutcomes() {
					// The projection reads open shipments lean (no
					// order id): find the order by the shipment's id.
					order, known := orders[oc.Shipment.ID]
					if !known {
						if err := f.db.SelectContext(ctx, &rows, `SELECT id, order_id FROM shipments WHERE seller_id = $1`, s.ID); err != nil {
							b.Fatal(err)
						}
						for _, r := range rows {
							orders[r.ID] = r.OrderID
						}
						order = orders[oc.Shipment.ID]
					}
					k, err := strconv.Atoi(order[1:])
					if err != nil {
						b.Fatal(err)
					}
					pc := parcels[k]
					ok := !pc.Untracked && !pc.Delivered.After(pc.DeliverBy)
					kind := "not shipped"
					switch {
					case oc.Shipment.ShippedAt != nil && oc.Shipment.FirstScanAt != nil:
						l := lanes[pc.Lane].Lane
						kind = "scanned, " + l.Carrier + " " + l.Service
						if day >= forecastsim.SlowFrom {
							kind += " (from day 70)"
						}
					case oc.Shipment.ShippedAt != nil && pc.Untracked:
						kind = "no scan, never scanned"
					case oc.Shipment.ShippedAt != nil:
						kind = "no scan yet, scanned later"
					}
					add(kind, oc.P, ok)
					add("all", oc.P, ok)
				}
			}
		}
	}
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		t := kinds[k]
		fmt.Printf("OTD calibration seed %d: %-40s %6.0f outcomes: sum of p %8.1f, on time %6.0f, excess %+7.1f (mean p %.3f, share on time %.3f)\n",
			seed, k, t.n, t.p, t.ok, t.p-t.ok, t.p/t.n, t.ok/t.n)
	}
}
