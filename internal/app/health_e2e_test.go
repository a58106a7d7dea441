package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

const accountHealthQuery = `query($m: Marketplace, $days: Int, $first: Int, $after: String, $date: String, $carrier: String) {
  accountHealth(marketplace: $m, days: $days) {
    marketplace days timeZone from to
    validTrackingRate { ...metric }
    lateShipmentRate { ...metric }
    onTimeDeliveryRate { ...metric }
    invalidTrackingRate { ...metric }
  }
}
fragment metric on HealthMetric {
  metric numerator denominator rate failing status
  target { comparison rate windowDays source }
  byCarrier { carrier numerator denominator rate failing }
  daily { date from to numerator denominator rate failing }
  shipments(first: $first, after: $after, date: $date, carrier: $carrier) {
    edges { cursor node { id orderId } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}`

type metricJSON struct {
	Metric      string
	Numerator   int
	Denominator int
	Rate        *float64
	Failing     int
	Status      *string
	Target      *struct {
		Comparison string
		Rate       float64
		WindowDays int
		Source     string
	}
	ByCarrier []struct {
		Carrier                         *string
		Numerator, Denominator, Failing int
	}
	Daily []struct {
		Date                            string
		Numerator, Denominator, Failing int
	}
	Shipments struct {
		Edges []struct {
			Cursor string
			Node   struct{ ID, OrderID string }
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   *string
		}
		TotalCount int
	}
}

type healthJSON struct {
	AccountHealth struct {
		Marketplace, TimeZone string
		Days                  int
		ValidTrackingRate     metricJSON
		LateShipmentRate      metricJSON
		OnTimeDeliveryRate    metricJSON
		InvalidTrackingRate   metricJSON
	}
}

// TestAccountHealthEndToEnd drives accountHealth through the API: the
// numbers, the drill-down lists page by page, by day and by carrier, the
// marketplaces' targets, bad input, tenancy, and the compaction job.
func TestAccountHealthEndToEnd(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) { c.HealthCompactInterval = time.Second })
	sellerA, keyA := env.Seller(t, "A")
	_, keyB := env.Seller(t, "B")
	now := time.Now().UTC()
	ago := func(h int) string { return now.Add(-time.Duration(h) * time.Hour).Format(time.RFC3339) }
	var created struct {
		CreateShipments struct{ Created int }
	}
	env.MustGraphQL(t, keyA, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { created } }`, map[string]any{"in": []map[string]any{
		{"orderId": "scanned", "carrier": "ups", "trackingNumber": "1Z999AA10123456784", "shippedAt": ago(30), "shipBy": ago(29)},
		{"orderId": "label-only", "carrier": "UPS", "trackingNumber": "1Z999AA10123456793", "shippedAt": ago(28), "shipBy": ago(30)},
		{"orderId": "invalid", "carrier": "ups", "trackingNumber": "1Z999AA10123456785", "shippedAt": ago(27)},
		{"orderId": "never-shipped", "carrier": "fedex", "shipBy": ago(5)},
		{"orderId": "late", "carrier": "ups", "trackingNumber": "1Z999AA10123456800", "shippedAt": ago(50), "deliverBy": ago(3)},
	}}, &created)
	if created.CreateShipments.Created != 5 {
		t.Fatalf("created %d shipments, want 5", created.CreateShipments.Created)
	}
	ctx := context.Background()
	if _, err := env.App.Monitor.RecordEvents(ctx, sellerA, []shipment.Event{
		{TrackingNumber: "1Z999AA10123456784", OccurredAt: now.Add(-29 * time.Hour), Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice},
		{TrackingNumber: "1Z999AA10123456793", OccurredAt: now.Add(-28 * time.Hour), Status: shipment.StatusLabelCreated, Source: shipment.SourceBackOffice},
		{TrackingNumber: "1Z999AA10123456800", OccurredAt: now.Add(-40 * time.Hour), Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice},
	}); err != nil {
		t.Fatal(err)
	}

	var h healthJSON
	env.MustGraphQL(t, keyA, accountHealthQuery, map[string]any{"first": 1}, &h)
	ah := h.AccountHealth
	if ah.Marketplace != "AMAZON" || ah.Days != 30 || ah.TimeZone != "UTC" || len(ah.ValidTrackingRate.Daily) != 30 {
		t.Errorf("defaults = %s over %d days in %s with %d days, want AMAZON, 30, UTC", ah.Marketplace, ah.Days, ah.TimeZone, len(ah.ValidTrackingRate.Daily))
	}
	vtr := ah.ValidTrackingRate
	if vtr.Numerator != 2 || vtr.Denominator != 4 || vtr.Failing != 2 || vtr.Rate == nil || *vtr.Rate != 0.5 || *vtr.Status != "FAILING" {
		t.Errorf("validTrackingRate = %+v, want 2/4 FAILING", vtr)
	}
	if vtr.Target == nil || vtr.Target.Comparison != "AT_LEAST" || vtr.Target.Rate != 0.95 || vtr.Target.WindowDays != 30 || vtr.Target.Source == "" {
		t.Errorf("validTrackingRate target = %+v", vtr.Target)
	}
	if lsr := ah.LateShipmentRate; lsr.Numerator != 2 || lsr.Denominator != 3 || *lsr.Status != "FAILING" {
		t.Errorf("lateShipmentRate = %d/%d %v, want 2/3 (shipped 2 hours late, never shipped) FAILING", lsr.Numerator, lsr.Denominator, lsr.Status)
	}
	if otd := ah.OnTimeDeliveryRate; otd.Numerator != 0 || otd.Denominator != 1 || otd.Rate == nil || *otd.Rate != 0 {
		t.Errorf("onTimeDeliveryRate = %d/%d, want 0/1", otd.Numerator, otd.Denominator)
	}
	if itr := ah.InvalidTrackingRate; itr.Numerator != 1 || itr.Denominator != 4 || itr.Shipments.TotalCount != 1 || itr.Shipments.Edges[0].Node.OrderID != "invalid" {
		t.Errorf("invalidTrackingRate = %+v, want 1/4, the invalid number listed", itr)
	}

	// The failing list, page by page: latest first.
	var orders []string
	var after any
	for range 5 {
		env.MustGraphQL(t, keyA, accountHealthQuery, map[string]any{"first": 1, "after": after}, &h)
		conn := h.AccountHealth.ValidTrackingRate.Shipments
		for _, e := range conn.Edges {
			orders = append(orders, e.Node.OrderID)
		}
		if !conn.PageInfo.HasNextPage {
			break
		}
		after = *conn.PageInfo.EndCursor
	}
	if len(orders) != 2 || orders[0] != "invalid" || orders[1] != "label-only" {
		t.Errorf("unscanned shipments = %v, want [invalid label-only]", orders)
	}
	// One day and one carrier, then one carrier over the window.
	day := now.Add(-30 * time.Hour).Format("2006-01-02")
	env.MustGraphQL(t, keyA, accountHealthQuery, map[string]any{"first": 10, "date": day, "carrier": "UPS"}, &h)
	if lsr := h.AccountHealth.LateShipmentRate.Shipments; lsr.TotalCount != 1 || len(lsr.Edges) != 1 || lsr.Edges[0].Node.OrderID != "label-only" {
		t.Errorf("late shipments on %s by UPS = %+v, want label-only", day, lsr)
	}
	env.MustGraphQL(t, keyA, accountHealthQuery, map[string]any{"first": 10, "date": day, "carrier": "fedex"}, &h)
	if lsr := h.AccountHealth.LateShipmentRate.Shipments; lsr.TotalCount != 0 || len(lsr.Edges) != 0 {
		t.Errorf("late shipments on %s by FedEx = %+v, want none", day, lsr)
	}
	env.MustGraphQL(t, keyA, accountHealthQuery, map[string]any{"first": 10, "carrier": "fedex"}, &h)
	if lsr := h.AccountHealth.LateShipmentRate.Shipments; lsr.TotalCount != 1 || len(lsr.Edges) != 1 || lsr.Edges[0].Node.OrderID != "never-shipped" {
		t.Errorf("late shipments by FedEx = %+v, want never-shipped", lsr)
	}

	// eBay publishes no on-time delivery target; Walmart does.
	env.MustGraphQL(t, keyA, accountHealthQuery, map[string]any{"m": "EBAY", "days": 7}, &h)
	if otd := h.AccountHealth.OnTimeDeliveryRate; otd.Target != nil || otd.Status != nil || otd.Denominator != 1 {
		t.Errorf("eBay onTimeDeliveryRate = %+v, want counts without target or status", otd)
	}
	env.MustGraphQL(t, keyA, accountHealthQuery, map[string]any{"m": "WALMART", "days": 1}, &h)
	if vtr := h.AccountHealth.ValidTrackingRate; vtr.Target.Comparison != "AT_LEAST" || vtr.Target.Rate != 0.99 || len(vtr.Daily) != 1 {
		t.Errorf("Walmart validTrackingRate = %+v, want at least 99%% over 1 day", vtr)
	}

	for _, tt := range []struct {
		vars  map[string]any
		field string
	}{
		{map[string]any{"days": 0}, "days"},
		{map[string]any{"days": 366}, "days"},
		{map[string]any{"first": 501}, "first"},
		{map[string]any{"date": "yesterday"}, "date"},
		{map[string]any{"after": "garbage"}, "after"},
	} {
		r := env.GraphQL(t, keyA, accountHealthQuery, tt.vars)
		if len(r.Errors) == 0 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tt.field {
			t.Errorf("accountHealth(%v) errors = %+v, want BAD_USER_INPUT on %s", tt.vars, r.Errors, tt.field)
		}
	}

	// Seller B sees nothing of A's.
	env.MustGraphQL(t, keyB, accountHealthQuery, map[string]any{"first": 500}, &h)
	for _, m := range []metricJSON{h.AccountHealth.ValidTrackingRate, h.AccountHealth.LateShipmentRate, h.AccountHealth.OnTimeDeliveryRate, h.AccountHealth.InvalidTrackingRate} {
		if m.Denominator != 0 || m.Failing != 0 || len(m.ByCarrier) != 0 || len(m.Shipments.Edges) != 0 || *m.Status != "OK" {
			t.Errorf("B's %s = %+v, want nothing counted", m.Metric, m)
		}
	}
	r := env.GraphQL(t, "", `{ accountHealth { days } }`, nil)
	if len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("accountHealth without a key: errors = %+v, want UNAUTHENTICATED", r.Errors)
	}

	// The compaction job runs on its own and folds the rollup.
	apptest.Eventually(t, 20*time.Second, "the rollup folded by the periodic job", func() bool {
		var n int
		err := env.App.DB.Get(&n, `SELECT count(*) FROM health_counts
			WHERE NOT settled AND at < date_bin('15 minutes', now(), timestamptz '1970-01-01 00:00:00+00')`)
		return err == nil && n == 0
	})
	var after2 healthJSON
	env.MustGraphQL(t, keyA, accountHealthQuery, map[string]any{"first": 1}, &after2)
	if got := after2.AccountHealth.ValidTrackingRate; got.Numerator != 2 || got.Denominator != 4 {
		t.Errorf("validTrackingRate after compaction = %d/%d, want 2/4", got.Numerator, got.Denominator)
	}
}
