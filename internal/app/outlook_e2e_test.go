package app_test

import (
	"math"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
)

// TestHealthForecastEndToEnd projects Amazon's Late Shipment Rate through
// GraphQL and works the save queue page by page. In UTC: three shipments
// were due yesterday at noon, one shipped late, so today's rate and the
// seller's late rate are 1/3. Two more are due tomorrow (A at 12:00, B at
// 13:00), not shipped: both windows (10 days, evaluated 5 days from today;
// 30 days, 7) hold all five. Known: 1 late + 2 not shipped = 3; each open
// one is late with 1/3:
//
//	projected = 3 + 2×(1/3 − 1) = 5/3, rate 1/3; variance 2×(1/3)(2/3) = 4/9,
//	sd 2/3 × 1.6448536 = 1.0965691: low max(1, 0.5701) = 1 → 0.2,
//	high 2.7632358 → 0.5526472. round(5/3) = 2: 40%, not under 4%: FAILING.
//
// Each queue item's effect is (1/3)/5; A's deadline comes first.
func TestHealthForecastEndToEnd(t *testing.T) {
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	_, otherKey := env.Seller(t, "Other")
	env.MustGraphQL(t, key, `mutation { updateSellerSettings(input: {timeZone: "UTC"}) { timeZone } }`, nil, nil)
	t0 := time.Now().UTC().Truncate(24 * time.Hour)
	yesterday := t0.Add(-12 * time.Hour)
	in := []map[string]any{
		{"orderId": "s1", "shipBy": yesterday, "shippedAt": yesterday.Add(-time.Hour)},
		{"orderId": "s2", "shipBy": yesterday, "shippedAt": yesterday.Add(-2 * time.Hour)},
		{"orderId": "late", "shipBy": yesterday, "shippedAt": yesterday.Add(time.Hour)},
		{"orderId": "A", "shipBy": t0.Add(36 * time.Hour)},
		{"orderId": "B", "shipBy": t0.Add(37 * time.Hour)},
	}
	var created struct {
		CreateShipments struct {
			Shipments []struct{ ID, OrderID string }
		}
	}
	env.MustGraphQL(t, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { shipments { id orderId } } }`, map[string]any{"in": in}, &created)
	ids := map[string]string{}
	for _, s := range created.CreateShipments.Shipments {
		ids[s.OrderID] = s.ID
	}

	var fc struct {
		AccountHealthForecast struct {
			Projections []struct {
				Metric                               string
				WindowDays, HorizonDays, Denominator int
				Known, Open                          int
				ProjectedNumerator                   float64
				Rate, Low, High, CurrentRate         *float64
				Status, CurrentStatus                string
				Crossing                             bool
			}
		}
	}
	env.MustGraphQL(t, key, `{ accountHealthForecast(marketplace: AMAZON) { projections { metric windowDays horizonDays denominator known open
		projectedNumerator rate low high currentRate status currentStatus crossing } } }`, nil, &fc)
	seen := 0
	for _, p := range fc.AccountHealthForecast.Projections {
		if p.Metric != "LATE_SHIPMENT_RATE" {
			continue
		}
		seen++
		wantHorizon := map[int]int{10: 5, 30: 7}[p.WindowDays]
		ok := p.HorizonDays == wantHorizon && p.Denominator == 5 && p.Known == 3 && p.Open == 2 &&
			math.Abs(p.ProjectedNumerator-5.0/3) < 1e-9 && p.Rate != nil && math.Abs(*p.Rate-1.0/3) < 1e-9 &&
			p.Low != nil && math.Abs(*p.Low-0.2) < 1e-6 && p.High != nil && math.Abs(*p.High-0.5526472) < 1e-6 &&
			p.CurrentRate != nil && math.Abs(*p.CurrentRate-1.0/3) < 1e-9 && p.Status == "FAILING" && p.CurrentStatus == "FAILING" && !p.Crossing
		if !ok {
			t.Errorf("LSR over %d days = %+v, want horizon %d, 5 counted, 3 known, 2 open, 5/3 projected, rate 1/3 in [0.2, 0.5526472], FAILING", p.WindowDays, p, wantHorizon)
		}
	}
	if seen != 2 {
		t.Fatalf("%d LSR projections, want 2 (10 and 30 days)", seen)
	}

	type queue struct {
		SaveQueue struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage, HasPreviousPage bool
				EndCursor                    *string
			}
			Edges []struct {
				Cursor string
				Node   struct {
					Shipment            struct{ ID string }
					Action              string
					Deadline            *time.Time
					Probability, Effect float64
				}
			}
		}
	}
	const q = `query($after: String) { saveQueue(marketplace: AMAZON, metric: LATE_SHIPMENT_RATE, first: 1, after: $after) {
		totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { shipment { id } action deadline probability effect } } } }`
	var page queue
	env.MustGraphQL(t, key, q, map[string]any{"after": nil}, &page)
	sq := page.SaveQueue
	if sq.TotalCount != 2 || len(sq.Edges) != 1 || !sq.PageInfo.HasNextPage || sq.PageInfo.HasPreviousPage {
		t.Fatalf("first page = %+v, want 1 of 2 items, a next page", sq)
	}
	if n := sq.Edges[0].Node; n.Shipment.ID != ids["A"] || n.Action != "SHIP_OR_UPGRADE" || n.Deadline == nil ||
		!n.Deadline.Equal(t0.Add(36*time.Hour)) || math.Abs(n.Effect-1.0/15) > 1e-9 || math.Abs(n.Probability-2.0/3) > 1e-9 {
		t.Errorf("first item = %+v, want A: SHIP_OR_UPGRADE by its ship-by, effect 1/15, probability 2/3", n)
	}
	env.MustGraphQL(t, key, q, map[string]any{"after": *sq.PageInfo.EndCursor}, &page)
	if sq := page.SaveQueue; len(sq.Edges) != 1 || sq.Edges[0].Node.Shipment.ID != ids["B"] || sq.PageInfo.HasNextPage || !sq.PageInfo.HasPreviousPage {
		t.Errorf("second page = %+v, want B and no next page", sq)
	}

	// Shipping A takes it off the queue.
	env.MustGraphQL(t, key, `mutation($id: ID!, $at: Time!) { updateShipment(id: $id, input: {shippedAt: $at}) { id } }`,
		map[string]any{"id": ids["A"], "at": time.Now().UTC().Add(-time.Minute)}, nil)
	env.MustGraphQL(t, key, q, map[string]any{"after": nil}, &page)
	if sq := page.SaveQueue; sq.TotalCount != 1 || sq.Edges[0].Node.Shipment.ID != ids["B"] {
		t.Errorf("after shipping A: %+v, want only B", sq)
	}
	// Another seller's queue is its own: empty.
	env.MustGraphQL(t, otherKey, q, map[string]any{"after": nil}, &page)
	if page.SaveQueue.TotalCount != 0 || len(page.SaveQueue.Edges) != 0 {
		t.Errorf("other seller's queue = %+v, want empty", page.SaveQueue)
	}

	for _, bad := range []struct{ query, field string }{
		{`{ saveQueue(marketplace: AMAZON, metric: RETURN_RATE) { totalCount } }`, "metric"},
		{`{ saveQueue(marketplace: AMAZON, metric: LATE_SHIPMENT_RATE, first: 0) { totalCount } }`, "first"},
		{`{ saveQueue(marketplace: AMAZON, metric: LATE_SHIPMENT_RATE, first: 501) { totalCount } }`, "first"},
		{`{ saveQueue(marketplace: AMAZON, metric: LATE_SHIPMENT_RATE, after: "nope") { totalCount } }`, "after"},
	} {
		r := env.GraphQL(t, key, bad.query, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != bad.field {
			t.Errorf("%s: errors = %+v, want BAD_USER_INPUT on %s", bad.query, r.Errors, bad.field)
		}
	}
}
