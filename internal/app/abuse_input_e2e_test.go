package app_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
)

// A NUL character in any string input, in a variable at any depth or in a
// literal argument, is BAD_USER_INPUT naming where it was, and nothing is
// stored; before, it reached PostgreSQL and answered INTERNAL.
func TestNULInGraphQLInputRefused(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
		field       string
	}{
		{"variable orderId", createShipment,
			map[string]any{"in": map[string]any{"orderId": "A\u00001", "trackingNumber": "1Z999AA10123456784"}}, "$in.orderId"},
		{"variable tracking number", createShipment,
			map[string]any{"in": map[string]any{"orderId": "A-1", "trackingNumber": "1Z999AA1\u00000123456784"}}, "$in.trackingNumber"},
		{"nested variable", createShipment,
			map[string]any{"in": map[string]any{"orderId": "A-1", "trackingNumber": "1Z999AA10123456784",
				"destination": map[string]any{"postalCode": "\u0000"}}}, "$in.destination.postalCode"},
		{"batch item", `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { created } }`,
			map[string]any{"in": []any{
				map[string]any{"orderId": "A-1", "trackingNumber": "1Z999AA10123456784"},
				map[string]any{"orderId": "A-2", "trackingNumber": "9400111206206406260787\u0000"},
			}}, "$in[1].trackingNumber"},
		{"literal argument", `mutation { createShipment(input: {orderId: "A-1", trackingNumber: "1Z\u0000"}) { id } }`,
			nil, "input.trackingNumber"},
		{"read by number", `query($n: String!) { shipmentsByTrackingNumber(trackingNumber: $n) { id } }`,
			map[string]any{"n": "\u0000"}, "$n"},
		{"literal in a fragment", `query { ...F } fragment F on Query { checkTrackingNumber(trackingNumber: "1Z\u0000") { valid } }`,
			nil, "trackingNumber"},
	} {
		r := env.GraphQL(t, key, tc.query, tc.vars)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != tc.field {
			t.Errorf("%s: errors = %+v, want one BAD_USER_INPUT on %s", tc.name, r.Errors, tc.field)
			continue
		}
		if !strings.HasPrefix(r.Errors[0].Message, tc.field+": ") || !strings.Contains(r.Errors[0].Message, "NUL") {
			t.Errorf("%s: message = %q, want it to name %s and NUL", tc.name, r.Errors[0].Message, tc.field)
		}
	}
	// A cursor is opaque text: what it decodes to must not reach the
	// database either.
	for _, raw := range []string{"2026-11-21T14:05:00Z|\x00", "2026-11-21T14:05:00Z|not-a-uuid", "2026-11-21T14:05:00Z|99999999999999999999"} {
		r := env.GraphQL(t, key, `query($a: String) { shipments(first: 1, after: $a) { totalCount } }`,
			map[string]any{"a": base64.RawURLEncoding.EncodeToString([]byte(raw))})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "after" {
			t.Errorf("cursor of %q: errors = %+v, want BAD_USER_INPUT on after", raw, r.Errors)
		}
	}
	var out struct{ Shipments struct{ TotalCount int } }
	env.MustGraphQL(t, key, `{ shipments(first: 10) { totalCount } }`, nil, &out)
	if out.Shipments.TotalCount != 0 {
		t.Errorf("shipments stored = %d, want 0", out.Shipments.TotalCount)
	}
}

// A megabyte value quoted in an error comes back as a few hundred bytes:
// a resolver's field error, a scalar's error and gqlgen's own validation.
func TestHugeInputNotEchoed(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	huge := strings.Repeat("Z", 1<<20)
	for _, tc := range []struct {
		name, query string
		vars        map[string]any
	}{
		{"carrier", createShipment, map[string]any{"in": map[string]any{"orderId": "A-1", "trackingNumber": "1Z999AA10123456784", "carrier": huge}}},
		{"time scalar", createShipment, map[string]any{"in": map[string]any{"orderId": "A-1", "trackingNumber": "1Z999AA10123456784", "shipBy": huge}}},
		{"enum", `query($s: [ShipmentStatus!]) { shipments(first: 1, filter: {statuses: $s}) { totalCount } }`, map[string]any{"s": []any{huge}}},
		{"cursor", `query($a: String) { shipments(first: 1, after: $a) { totalCount } }`, map[string]any{"a": huge}},
	} {
		r := env.GraphQL(t, key, tc.query, tc.vars)
		if len(r.Errors) == 0 {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, e := range r.Errors {
			if len(e.Message) > 1200 {
				t.Errorf("%s: message is %d bytes (%.100s...), want at most 1200", tc.name, len(e.Message), e.Message)
			}
		}
	}
}
