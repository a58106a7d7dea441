package app_test

import (
	"testing"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
)

// TestTenancy checks that seller B can never read, change, count or learn
// of seller A's shipments. Every query and mutation of the API is tried.
func TestTenancy(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, keyA := env.Seller(t, "A")
	_, keyB := env.Seller(t, "B")
	a := create(t, env, keyA, map[string]any{"orderId": "A-1", "trackingNumber": "1Z999AA10123456784", "carrier": "ups"})

	notFound := map[string]string{
		"shipment":       `query($id: ID!) { shipment(id: $id) { id } }`,
		"updateShipment": `mutation($id: ID!) { updateShipment(id: $id, input: {service: "hijacked"}) { id } }`,
		"cancelShipment": `mutation($id: ID!) { cancelShipment(id: $id) { id } }`,
	}
	for name, q := range notFound {
		r := env.GraphQL(t, keyB, q, map[string]any{"id": a.ID})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
			t.Errorf("B %s(A's id): errors = %+v, want NOT_FOUND", name, r.Errors)
		}
		// An id that is not even a UUID is equally unknown, with no database text.
		r = env.GraphQL(t, keyB, q, map[string]any{"id": "not-a-uuid"})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
			t.Errorf("B %s(garbage id): errors = %+v, want NOT_FOUND", name, r.Errors)
		}
	}

	var byNumber struct{ ShipmentsByTrackingNumber []shipmentJSON }
	env.MustGraphQL(t, keyB, `{ shipmentsByTrackingNumber(trackingNumber: "1Z999AA10123456784") { id } }`, nil, &byNumber)
	if len(byNumber.ShipmentsByTrackingNumber) != 0 {
		t.Errorf("B sees %d of A's shipments by number", len(byNumber.ShipmentsByTrackingNumber))
	}
	for _, filter := range []string{`{}`, `{orderId: "A-1"}`, `{trackingNumber: "1Z999AA10123456784"}`, `{carriers: ["ups"]}`} {
		var list struct {
			Shipments struct {
				Edges      []struct{ Node shipmentJSON }
				TotalCount int
			}
		}
		env.MustGraphQL(t, keyB, `{ shipments(filter: `+filter+`) { edges { node { id } } totalCount } }`, nil, &list)
		if list.Shipments.TotalCount != 0 || len(list.Shipments.Edges) != 0 {
			t.Errorf("B lists %d / counts %d of A's shipments with filter %s", len(list.Shipments.Edges), list.Shipments.TotalCount, filter)
		}
	}

	// B sending the same order and number gets its own shipment; A's is untouched.
	b := create(t, env, keyB, map[string]any{"orderId": "A-1", "trackingNumber": "1Z999AA10123456784", "service": "B's"})
	if b.ID == a.ID {
		t.Fatalf("B's create returned A's shipment %s", a.ID)
	}
	var got struct{ Shipment shipmentJSON }
	env.MustGraphQL(t, keyA, `query($id: ID!) { shipment(id: $id) { `+shipmentFields+` } }`, map[string]any{"id": a.ID}, &got)
	if got.Shipment.Service != nil || got.Shipment.Status != "PENDING" {
		t.Errorf("A's shipment changed by B: %+v", got.Shipment)
	}
}
