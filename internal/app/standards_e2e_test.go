package app_test

import (
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
)

// TestStandardsThroughGraphQL cancels one order at the buyer's request and
// one by the seller, records a return, and reads Walmart's published
// standards: the buyer's cancellation does not count against the seller.
func TestStandardsThroughGraphQL(t *testing.T) {
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	now := time.Now().UTC()
	var created struct {
		CreateShipments struct {
			Shipments []struct{ ID, OrderID string }
		}
	}
	env.MustGraphQL(t, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { shipments { id orderId } } }`,
		map[string]any{"in": []map[string]any{
			{"orderId": "kept", "trackingNumber": "1Z999AA10123456784", "shippedAt": now.Add(-48 * time.Hour)},
			{"orderId": "buyer"}, {"orderId": "seller"}, {"orderId": "other"},
		}}, &created)
	id := map[string]string{}
	for _, s := range created.CreateShipments.Shipments {
		id[s.OrderID] = s.ID
	}
	var cancelled struct {
		CancelShipment struct{ CancelledBy *string }
	}
	env.MustGraphQL(t, key, `mutation($id: ID!) { cancelShipment(id: $id, by: BUYER) { cancelledBy } }`, map[string]any{"id": id["buyer"]}, &cancelled)
	if c := cancelled.CancelShipment.CancelledBy; c == nil || *c != "BUYER" {
		t.Errorf("cancelShipment(by: BUYER).cancelledBy = %v, want BUYER", c)
	}
	env.MustGraphQL(t, key, `mutation($id: ID!) { cancelShipment(id: $id) { cancelledBy } }`, map[string]any{"id": id["seller"]}, &cancelled)
	if c := cancelled.CancelShipment.CancelledBy; c == nil || *c != "SELLER" {
		t.Errorf("cancelShipment().cancelledBy = %v, want SELLER by default", c)
	}
	// A return in the future names its field.
	r := env.GraphQL(t, key, `mutation($id: ID!, $at: Time) { recordReturn(id: $id, returnedAt: $at) { returnedAt } }`,
		map[string]any{"id": id["kept"], "at": now.Add(time.Hour)})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("recordReturn(in an hour) errors = %+v, want one BAD_USER_INPUT", r.Errors)
	}

	var h struct {
		AccountHealth struct {
			Standards []struct {
				Metric, KeyedBy, Status, SourceURL, Unseen string
				WindowDays, Numerator, Denominator         int
				Rate                                       *float64
				Target                                     struct {
					Comparison string
					Rate       float64
					WindowDays int
				}
			}
		}
	}
	env.MustGraphQL(t, key, `{ accountHealth(marketplace: WALMART) { standards {
		metric windowDays keyedBy numerator denominator rate status sourceUrl unseen target { comparison rate windowDays } } } }`, nil, &h)
	got := map[string]string{}
	for _, s := range h.AccountHealth.Standards {
		got[s.Metric] = s.Status
		if s.SourceURL == "" || s.Unseen == "" || s.Target.WindowDays != s.WindowDays {
			t.Errorf("standard %s = %+v, want a source URL, what is unseen and its window", s.Metric, s)
		}
		if s.Metric == "CANCELLATION_RATE" && (s.Numerator != 1 || s.Denominator != 4 || s.Target.Comparison != "AT_MOST" || s.Target.Rate != 0.02) {
			t.Errorf("Walmart cancellation = %d/%d %+v, want 1/4 (the seller's only) at most 0.02", s.Numerator, s.Denominator, s.Target)
		}
	}
	if len(h.AccountHealth.Standards) != 5 || got["ITEM_NOT_RECEIVED_RATE"] != "OK" || got["RETURN_RATE"] != "OK" {
		t.Errorf("Walmart standards = %v, want five, INR and returns OK (nothing delivered or disputed)", got)
	}
}
