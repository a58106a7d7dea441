package health_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"
	_ "time/tzdata" // the test's own time zones, whatever the machine has

	"github.com/google/go-cmp/cmp"

	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// expected is a metric counted directly, in Go, over a seller's shipments:
// the reference the report must match exactly.
type expected struct {
	total     health.Value
	byCarrier map[string]health.Value
	byDay     map[string]health.Value
	// failing holds the ids of the shipments counting against the metric,
	// in list order: latest instant first, then id descending.
	failing []string
}

// directCount applies the definitions of docs/health.md to every shipment,
// one at a time, with no SQL.
func directCount(shipments []store.Shipment, from, to time.Time, loc *time.Location) map[health.Metric]*expected {
	out := map[health.Metric]*expected{}
	for _, m := range health.Metrics {
		out[m] = &expected{byCarrier: map[string]health.Value{}, byDay: map[string]health.Value{}}
	}
	type failure struct {
		at time.Time
		id string
	}
	fails := map[health.Metric][]failure{}
	count := func(m health.Metric, sh store.Shipment, at time.Time, ok, failed bool) {
		if at.Before(from) || !at.Before(to) {
			return
		}
		v := health.Value{Denominator: 1}
		if ok {
			v.Numerator = 1
		}
		if failed {
			v.Failing = 1
			fails[m] = append(fails[m], failure{at, sh.ID})
		}
		carrier := sh.Carrier
		if carrier == "" {
			carrier = sh.TrackingCarrier
		}
		e := out[m]
		e.total = sum(e.total, v)
		e.byCarrier[carrier] = sum(e.byCarrier[carrier], v)
		day := at.In(loc).Format("2006-01-02")
		e.byDay[day] = sum(e.byDay[day], v)
	}
	for _, sh := range shipments {
		if sh.Status == "CANCELLED" {
			continue
		}
		if sh.NormalizedTrackingNumber != "" {
			at := sh.CreatedAt
			if sh.ShippedAt != nil {
				at = *sh.ShippedAt
			}
			scanned := sh.FirstScanAt != nil
			count(health.ValidTrackingRate, sh, at, scanned, !scanned)
			count(health.InvalidTrackingRate, sh, at, !sh.TrackingValid, !sh.TrackingValid)
		}
		if sh.ShipBy != nil {
			late := sh.ShippedAt == nil || sh.ShippedAt.After(*sh.ShipBy)
			count(health.LateShipmentRate, sh, *sh.ShipBy, late, late)
		}
		if sh.DeliverBy != nil {
			onTime := sh.DeliveredAt != nil && !sh.DeliveredAt.After(*sh.DeliverBy)
			at := *sh.DeliverBy
			if onTime {
				at = *sh.DeliveredAt
			}
			count(health.OnTimeDeliveryRate, sh, at, onTime, !onTime)
		}
	}
	for m, fs := range fails {
		sort.Slice(fs, func(i, j int) bool {
			if !fs[i].at.Equal(fs[j].at) {
				return fs[i].at.After(fs[j].at)
			}
			return fs[i].id > fs[j].id
		})
		for _, f := range fs {
			out[m].failing = append(out[m].failing, f.id)
		}
	}
	return out
}

func sum(a, b health.Value) health.Value {
	return health.Value{Numerator: a.Numerator + b.Numerator, Denominator: a.Denominator + b.Denominator, Failing: a.Failing + b.Failing}
}

// allShipments reads every shipment of the seller.
func allShipments(t *testing.T, st *store.Store, sellerID string) []store.Shipment {
	t.Helper()
	var out []store.Shipment
	var after store.Cursor
	for {
		page, err := st.Shipments(context.Background(), sellerID, store.ShipmentFilter{}, 500, after)
		if err != nil {
			t.Fatalf("Shipments() error = %v", err)
		}
		out = append(out, page.Items...)
		if !page.HasNext {
			return out
		}
		after = page.Cursors[len(page.Cursors)-1]
	}
}

// checkReport compares a report with the direct count over the seller's
// shipments, metric by metric: totals, carriers, days, statuses and the
// failing lists, read page by page.
func checkReport(t *testing.T, st *store.Store, hs *health.Service, r *health.Report, sellerID string, loc *time.Location) {
	t.Helper()
	want := directCount(allShipments(t, st, sellerID), r.From, r.To, loc)
	policy, err := health.PolicyFor(r.Marketplace)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range health.Metrics {
		mr, e := r.Metric(m), want[m]
		if mr.Value != e.total {
			t.Errorf("%s = %+v, want %+v", m, mr.Value, e.total)
		}
		gotCarriers := map[string]health.Value{}
		for _, c := range mr.ByCarrier {
			gotCarriers[c.Carrier] = c.Value
		}
		if diff := cmp.Diff(e.byCarrier, gotCarriers); diff != "" {
			t.Errorf("%s by carrier (-want +got):\n%s", m, diff)
		}
		gotDays := map[string]health.Value{}
		for i, d := range mr.Daily {
			if d.Value != (health.Value{}) {
				gotDays[d.Date] = d.Value
			}
			if i > 0 && !d.From.Equal(mr.Daily[i-1].To) {
				t.Errorf("%s day %s starts at %v, previous ends at %v", m, d.Date, d.From, mr.Daily[i-1].To)
			}
			if local := d.From.In(loc); local.Hour() != 0 || local.Minute() != 0 || local.Format("2006-01-02") != d.Date {
				t.Errorf("%s day %s starts at %v local, want its midnight", m, d.Date, local)
			}
		}
		if diff := cmp.Diff(e.byDay, gotDays); diff != "" {
			t.Errorf("%s by day (-want +got):\n%s", m, diff)
		}
		if target, ok := policy[m]; ok {
			if want := target.Evaluate(e.total.Numerator, e.total.Denominator); mr.Status == nil || *mr.Status != want {
				t.Errorf("%s status = %v, want %s", m, mr.Status, want)
			}
		} else if mr.Target != nil || mr.Status != nil {
			t.Errorf("%s target %+v status %v, want none on %s", m, mr.Target, mr.Status, r.Marketplace)
		}
		if got := listAll(t, hs, mr, nil, nil); !cmp.Equal(got, e.failing) {
			t.Errorf("%s failing shipments (-want +got):\n%s", m, cmp.Diff(e.failing, got))
		}
		if mr.Count(nil, nil) != len(e.failing) {
			t.Errorf("%s Count() = %d, want %d", m, mr.Count(nil, nil), len(e.failing))
		}
	}
}

// listAll pages through a metric's failing shipments, two at a time.
func listAll(t *testing.T, hs *health.Service, mr *health.MetricReport, date, carrier *string) []string {
	t.Helper()
	var ids []string
	var after store.Cursor
	for range 10000 {
		page, err := hs.Shipments(context.Background(), mr, date, carrier, 2, after)
		if err != nil {
			t.Fatalf("Shipments(%s) error = %v", mr.Metric, err)
		}
		for _, sh := range page.Items {
			ids = append(ids, sh.ID)
		}
		if !page.HasNext {
			return ids
		}
		after = page.Cursors[len(page.Cursors)-1]
	}
	t.Fatalf("Shipments(%s) never ends", mr.Metric)
	return nil
}

// upsNumber returns a UPS number built from n whose check digit holds, or
// is wrong when valid is false.
func upsNumber(n int, valid bool) string {
	base := fmt.Sprintf("1Z999AA101%07d", n)
	for d := 0; d <= 9; d++ {
		number := fmt.Sprintf("%s%d", base, d)
		if tracking.Check(number, "ups").Valid == valid {
			return number
		}
	}
	panic("no check digit for " + base)
}
