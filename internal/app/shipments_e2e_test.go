package app_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
)

const shipmentFields = `id orderId carrier trackingNumber normalizedTrackingNumber service shipBy shippedAt deliverBy
	destination { postalCode country } status lastEventAt deliveredAt createdAt updatedAt`

type shipmentJSON struct {
	ID                       string  `json:"id"`
	OrderID                  string  `json:"orderId"`
	Carrier                  *string `json:"carrier"`
	TrackingNumber           *string `json:"trackingNumber"`
	NormalizedTrackingNumber *string `json:"normalizedTrackingNumber"`
	Service                  *string `json:"service"`
	ShipBy                   *string `json:"shipBy"`
	DeliverBy                *string `json:"deliverBy"`
	Destination              struct {
		PostalCode *string `json:"postalCode"`
		Country    *string `json:"country"`
	} `json:"destination"`
	Status string `json:"status"`
}

const createShipment = `mutation($in: ShipmentInput!) { createShipment(input: $in) { ` + shipmentFields + ` } }`

func create(t *testing.T, env *apptest.Env, key string, in map[string]any) shipmentJSON {
	t.Helper()
	var out struct{ CreateShipment shipmentJSON }
	env.MustGraphQL(t, key, createShipment, map[string]any{"in": in}, &out)
	return out.CreateShipment
}

func TestCreateShipmentIsIdempotent(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	in := map[string]any{
		"orderId": "112-0000001", "carrier": "United Parcel Service", "trackingNumber": " 1z 999 aa1 0123456784 ",
		"service": "Ground", "shipBy": "2026-11-20T23:59:59Z", "deliverBy": "2026-11-25T23:59:59Z",
		"destination": map[string]any{"postalCode": "10001", "country": "us"},
	}
	first := create(t, env, key, in)
	if first.Carrier == nil || *first.Carrier != "ups" {
		t.Errorf("carrier = %v, want the alias resolved to ups", first.Carrier)
	}
	if *first.NormalizedTrackingNumber != "1Z999AA10123456784" || *first.TrackingNumber != "1z 999 aa1 0123456784" {
		t.Errorf("numbers = %q / %q", *first.TrackingNumber, *first.NormalizedTrackingNumber)
	}
	if first.Status != "PENDING" || *first.Destination.Country != "US" {
		t.Errorf("status %s, country %v", first.Status, *first.Destination.Country)
	}
	in["service"] = "Next Day Air"
	again := create(t, env, key, in)
	if again.ID != first.ID || *again.Service != "Next Day Air" {
		t.Errorf("second create = %s (%v), want the same shipment %s updated", again.ID, *again.Service, first.ID)
	}
	var list struct {
		Shipments struct{ TotalCount int }
	}
	env.MustGraphQL(t, key, `{ shipments { totalCount } }`, nil, &list)
	if list.Shipments.TotalCount != 1 {
		t.Errorf("totalCount = %d, want 1 after sending the same shipment twice", list.Shipments.TotalCount)
	}
}

func TestCreateShipmentsReportsEachItem(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	items := []map[string]any{
		{"orderId": "A-1", "trackingNumber": "1Z999AA10123456784"},
		{"orderId": "", "trackingNumber": "1Z999AA10123456784"},
		{"orderId": "A-3", "carrier": "pigeon post"},
		{"orderId": "A-4", "destination": map[string]any{"country": "USA"}},
		{"orderId": "A-1", "trackingNumber": "1Z999AA10123456784", "service": "again"},
	}
	var out struct {
		CreateShipments struct {
			Shipments []*shipmentJSON
			Errors    []struct {
				Index   int
				Field   string
				Code    string
				Message string
			}
			Created, Updated int
		}
	}
	env.MustGraphQL(t, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) {
		shipments { id orderId service } errors { index field code message } created updated } }`,
		map[string]any{"in": items}, &out)
	p := out.CreateShipments
	wantErr := map[int]string{1: "orderId", 2: "carrier", 3: "destination.country"}
	if len(p.Errors) != len(wantErr) {
		t.Fatalf("errors = %+v, want %d", p.Errors, len(wantErr))
	}
	for _, e := range p.Errors {
		if wantErr[e.Index] != e.Field || e.Code != "BAD_USER_INPUT" || !strings.Contains(e.Message, fmt.Sprintf("input[%d]", e.Index)) {
			t.Errorf("error %+v, want field %q", e, wantErr[e.Index])
		}
		if p.Shipments[e.Index] != nil {
			t.Errorf("shipments[%d] = %+v, want null for a failed item", e.Index, p.Shipments[e.Index])
		}
	}
	if p.Shipments[0] == nil || p.Shipments[4] == nil || p.Shipments[0].ID != p.Shipments[4].ID {
		t.Fatalf("items 0 and 4 share an identity and must be one shipment: %+v", p.Shipments)
	}
	if *p.Shipments[4].Service != "again" || p.Created != 1 || p.Updated != 1 {
		t.Errorf("created %d updated %d service %v, want 1/1/again", p.Created, p.Updated, *p.Shipments[4].Service)
	}

	big := make([]map[string]any, 1001)
	for i := range big {
		big[i] = map[string]any{"orderId": fmt.Sprint(i)}
	}
	r := env.GraphQL(t, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { created } }`, map[string]any{"in": big})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "1000") {
		t.Errorf("1,001 items: errors = %+v, want BAD_USER_INPUT naming the limit", r.Errors)
	}
}

func TestUpdateAndCancelShipment(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	sh := create(t, env, key, map[string]any{"orderId": "A-1", "service": "Ground", "shipBy": "2026-11-20T00:00:00Z"})

	var out struct{ UpdateShipment shipmentJSON }
	env.MustGraphQL(t, key, `mutation($id: ID!) { updateShipment(id: $id, input: {trackingNumber: "1Z999AA10123456784", shipBy: null}) { `+shipmentFields+` } }`,
		map[string]any{"id": sh.ID}, &out)
	u := out.UpdateShipment
	if u.ShipBy != nil || *u.Service != "Ground" || *u.NormalizedTrackingNumber != "1Z999AA10123456784" {
		t.Errorf("update = %+v: want shipBy cleared, service kept, number set", u)
	}

	r := env.GraphQL(t, key, `mutation($id: ID!) { updateShipment(id: $id, input: {deliverBy: "yesterday"}) { id } }`, map[string]any{"id": sh.ID})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "deliverBy" {
		t.Errorf("bad time: errors = %+v, want BAD_USER_INPUT on deliverBy", r.Errors)
	}

	var c struct{ CancelShipment shipmentJSON }
	env.MustGraphQL(t, key, `mutation($id: ID!) { cancelShipment(id: $id) { id status } }`, map[string]any{"id": sh.ID}, &c)
	if c.CancelShipment.Status != "CANCELLED" {
		t.Errorf("status after cancel = %s", c.CancelShipment.Status)
	}
}

func TestShipmentsListPagesAndFilters(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	items := make([]map[string]any, 7)
	for i := range items {
		items[i] = map[string]any{"orderId": fmt.Sprintf("O-%d", i), "carrier": []string{"ups", "usps"}[i%2]}
	}
	env.MustGraphQL(t, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { created } }`, map[string]any{"in": items}, nil)

	seen := map[string]bool{}
	after := any(nil)
	for page := 0; ; page++ {
		var out struct {
			Shipments struct {
				Edges []struct {
					Cursor string
					Node   shipmentJSON
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				TotalCount int
			}
		}
		env.MustGraphQL(t, key, `query($after: String) { shipments(first: 3, after: $after, filter: {carriers: ["UPS"]}) {
			edges { cursor node { id orderId carrier } } pageInfo { hasNextPage endCursor } totalCount } }`,
			map[string]any{"after": after}, &out)
		s := out.Shipments
		if s.TotalCount != 4 {
			t.Fatalf("totalCount = %d, want 4 ups shipments", s.TotalCount)
		}
		for _, e := range s.Edges {
			if *e.Node.Carrier != "ups" || seen[e.Node.ID] {
				t.Errorf("page %d: unexpected %+v", page, e.Node)
			}
			seen[e.Node.ID] = true
		}
		if !s.PageInfo.HasNextPage {
			break
		}
		after = s.PageInfo.EndCursor
	}
	if len(seen) != 4 {
		t.Errorf("paged through %d shipments, want 4", len(seen))
	}

	for _, q := range []string{`{ shipments(first: 501) { totalCount } }`, `{ shipments(after: "bogus") { totalCount } }`} {
		r := env.GraphQL(t, key, q, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("%s: errors = %+v, want BAD_USER_INPUT", q, r.Errors)
		}
	}
}

func TestShipmentsByTrackingNumber(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	create(t, env, key, map[string]any{"orderId": "A-1", "trackingNumber": "1Z999AA10123456784"})
	create(t, env, key, map[string]any{"orderId": "A-2", "trackingNumber": "1Z999AA10123456784"})
	var out struct{ ShipmentsByTrackingNumber []shipmentJSON }
	env.MustGraphQL(t, key, `{ shipmentsByTrackingNumber(trackingNumber: "1z999aa1 0123 456784") { orderId } }`, nil, &out)
	if len(out.ShipmentsByTrackingNumber) != 2 {
		t.Errorf("found %d shipments, want the number on both orders", len(out.ShipmentsByTrackingNumber))
	}
}
