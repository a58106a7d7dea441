package app_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/forecast"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// TestDeliveryForecastEndToEnd builds a lane by hand: 30 UPS Ground parcels
// from ZIP 100 (the seller's default origin, New York) to 941, shipped last
// Monday at 15:00, delivered 2 business days later (18), 3 (9) and 4 (3).
// All in one week, so their weights are equal and the quantiles are those
// of the counts: cumulative 18 >= 15 gives p50 = 2 business days, 27 >= 27
// gives p90 = 3; deliverBy after 2 business days is missed with
// probability (9+3)/30 = 0.4. Weighted, the 30 deliveries of one to two
// weeks ago count at least 30 * 0.5^(2/4) = 21.2 >= 20, so the exact lane
// is used.
func TestDeliveryForecastEndToEnd(t *testing.T) {
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	sellerID := ""
	var settings struct {
		UpdateSellerSettings struct {
			TimeZone              string
			Origin                struct{ PostalCode, Country *string }
			DeliveryRiskThreshold float64
		}
	}
	env.MustGraphQL(t, key, `mutation { updateSellerSettings(input: {timeZone: "America/New_York", origin: {postalCode: " 10001 ", country: "us"}}) {
		timeZone origin { postalCode country } deliveryRiskThreshold } }`, nil, &settings)
	if o := settings.UpdateSellerSettings.Origin; o.PostalCode == nil || *o.PostalCode != "10001" || *o.Country != "US" || settings.UpdateSellerSettings.DeliveryRiskThreshold != 0.5 {
		t.Fatalf("settings = %+v, want origin 10001 US and the default threshold 0.5", settings.UpdateSellerSettings)
	}
	r := env.GraphQL(t, key, `mutation { updateSellerSettings(input: {deliveryRiskThreshold: 1}) { timeZone } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("deliveryRiskThreshold 1: errors = %+v, want BAD_USER_INPUT", r.Errors)
	}

	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	mon := forecast.WeekOf(now).AddDate(0, 0, -7)
	shipped := time.Date(mon.Year(), mon.Month(), mon.Day(), 15, 0, 0, 0, ny)
	numbers := upsAccount(32)
	var in []map[string]any
	var evs []shipment.Event
	for i := 0; i < 30; i++ {
		days := 2
		if i >= 18 {
			days = 3
		}
		if i >= 27 {
			days = 4
		}
		in = append(in, map[string]any{"orderId": fmt.Sprint("d", i), "carrier": "UPS", "service": "Ground", "trackingNumber": numbers[i],
			"shippedAt": shipped, "destination": map[string]any{"postalCode": "94105", "country": "US"}})
		delivered := time.Date(mon.Year(), mon.Month(), mon.Day()+days, 14, 0, 0, 0, ny)
		evs = append(evs,
			shipment.Event{TrackingNumber: numbers[i], OccurredAt: shipped.Add(time.Hour), Status: shipment.StatusInTransit, Source: shipment.SourceBackOffice},
			shipment.Event{TrackingNumber: numbers[i], OccurredAt: delivered, Status: shipment.StatusDelivered, Source: shipment.SourceBackOffice})
	}
	openShipped := now.Add(-time.Minute)
	deliverBy := forecast.AddBusinessDays(openShipped, 2, ny)
	in = append(in, map[string]any{"orderId": "open", "carrier": "UPS", "service": "Ground", "trackingNumber": numbers[30],
		"shippedAt": openShipped, "deliverBy": deliverBy, "destination": map[string]any{"postalCode": "94105-1000", "country": "US"}})
	// From Chicago (its own origin): no history on 606 to 941, so the
	// forecast falls back to the distance band, national (1 and 9 differ),
	// which holds the same 30 deliveries.
	in = append(in, map[string]any{"orderId": "chicago", "carrier": "UPS", "service": "Ground", "trackingNumber": numbers[31],
		"shippedAt": openShipped, "origin": map[string]any{"postalCode": "60601", "country": "US"},
		"destination": map[string]any{"postalCode": "94105", "country": "US"}})
	var created struct {
		CreateShipments struct {
			Created   int
			Shipments []struct{ ID, OrderID string }
		}
	}
	env.MustGraphQL(t, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { created shipments { id orderId } } }`, map[string]any{"in": in}, &created)
	if created.CreateShipments.Created != 32 {
		t.Fatalf("created %d, want 32", created.CreateShipments.Created)
	}
	var bad struct {
		CreateShipments struct {
			Errors []struct{ Field, Message string }
		}
	}
	env.MustGraphQL(t, key, `mutation { createShipments(input: [{orderId: "x", origin: {country: "USA"}}]) { errors { field message } } }`, nil, &bad)
	if e := bad.CreateShipments.Errors; len(e) != 1 || e[0].Field != "origin.country" || !strings.Contains(e[0].Message, "alpha-2") {
		t.Errorf("origin country USA: errors = %+v, want one on origin.country", e)
	}
	db := sqlx.MustOpen("postgres", env.DatabaseURL)
	defer db.Close()
	if err := db.Get(&sellerID, `SELECT seller_id FROM shipments WHERE id = $1`, created.CreateShipments.Shipments[0].ID); err != nil {
		t.Fatal(err)
	}
	// Events sent twice: the second time records nothing new, and learns
	// nothing twice.
	for range 2 {
		if _, err := env.App.Monitor.RecordEvents(context.Background(), sellerID, evs); err != nil {
			t.Fatal(err)
		}
	}
	var learned int
	if err := db.Get(&learned, `SELECT coalesce(sum(deliveries), 0) FROM lane_transit WHERE seller_id = $1 AND lane = 'ups|ground|100|941'`, sellerID); err != nil {
		t.Fatal(err)
	}
	if learned != 30 {
		t.Errorf("lane ups|ground|100|941 learned %d deliveries, want 30", learned)
	}

	var list struct {
		Shipments struct {
			Edges []struct {
				Node struct {
					OrderID          string
					DeliveryForecast *struct {
						P50, P90        time.Time
						BasedOn         int
						Lane            string
						MissProbability *float64
					}
				}
			}
		}
	}
	env.MustGraphQL(t, key, `{ shipments(first: 50) { edges { node { orderId deliveryForecast { p50 p90 basedOn lane missProbability } } } } }`, nil, &list)
	found := false
	for _, e := range list.Shipments.Edges {
		f := e.Node.DeliveryForecast
		if e.Node.OrderID == "chicago" {
			if f == nil || f.Lane != "ups|ground|national" || f.BasedOn != 30 || f.MissProbability != nil {
				t.Errorf("chicago forecast = %+v, want the national band's 30 deliveries and no deadline", f)
			}
			continue
		}
		if e.Node.OrderID != "open" {
			if f != nil {
				t.Errorf("delivered %s has a forecast %+v, want none", e.Node.OrderID, f)
			}
			continue
		}
		found = true
		wantP50, wantP90 := forecast.AddBusinessDays(openShipped, 2, ny), forecast.AddBusinessDays(openShipped, 3, ny)
		if f == nil || !f.P50.Equal(wantP50) || !f.P90.Equal(wantP90) || f.BasedOn != 30 || f.Lane != "ups|ground|100|941" ||
			f.MissProbability == nil || math.Abs(*f.MissProbability-0.4) > 1e-9 {
			t.Errorf("open forecast = %+v, want p50 %s p90 %s based on 30 of ups|ground|100|941, miss 0.4", f, wantP50, wantP90)
		}
	}
	if !found {
		t.Fatal("open shipment not listed")
	}

	// DELIVERY_AT_RISK: the open parcel misses deliverBy with probability
	// 0.4 from its ship time on (no transit shorter than 2 days is left to
	// rule out before deliverBy's day). Not above the default 0.5; above a
	// threshold of 0.3, from the ship time: the check its next write causes
	// raises the flag, with the probability in the message.
	openID := ""
	for _, s := range created.CreateShipments.Shipments {
		if s.OrderID == "open" {
			openID = s.ID
		}
	}
	env.MustGraphQL(t, key, `mutation { updateSellerSettings(input: {deliveryRiskThreshold: 0.3}) { deliveryRiskThreshold } }`, nil, nil)
	env.MustGraphQL(t, key, `mutation($id: ID!) { updateShipment(id: $id, input: {service: "ground"}) { id } }`, map[string]any{"id": openID}, nil)
	atRisk := map[string]any{"open": true, "kinds": []string{"DELIVERY_AT_RISK"}}
	apptest.Eventually(t, 30*time.Second, "DELIVERY_AT_RISK on the open parcel", func() bool {
		return flags(t, env, key, atRisk).TotalCount == 1
	})
	f := flags(t, env, key, atRisk).Edges[0].Node
	if f.Shipment.OrderID != "open" || !strings.Contains(f.Message, "40% or higher chance") || !strings.Contains(f.Message, "threshold 30%") ||
		!strings.Contains(f.Message, "ups|ground|100|941") {
		t.Errorf("DELIVERY_AT_RISK = %+v, want the open parcel, 40%%, threshold 30%% and its lane", f)
	}
}
