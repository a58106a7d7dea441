package graph

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/shipwatch/shipwatch/graph/generated"
)

func TestSelectionCost(t *testing.T) {
	const page = `edges { cursor node { id orderId carrier trackingNumber normalizedTrackingNumber service shipBy shippedAt
		deliverBy status lastEventAt deliveredAt createdAt updatedAt destination { postalCode country } } } totalCount`
	tests := []struct {
		query string
		want  int
	}{
		{`{ viewer { id name } }`, 3},
		// 1 + 50 * (edges 1 + cursor 1 + node (1 + 14 + destination 3) + totalCount 1)
		{`{ shipments { ` + page + ` } }`, 1 + 50*(1+1+18+1)},
		{`{ shipments(first: 500) { ` + page + ` } }`, 1 + 500*(1+1+18+1)},
		{`query($n: Int) { shipments(first: $n) { totalCount } }`, 1 + 7*1},
	}
	for _, tt := range tests {
		if got := cost(t, tt.query); got != tt.want {
			t.Errorf("cost of %.60q = %d, want %d", tt.query, got, tt.want)
		}
	}
}

// The largest page the docs describe: 500 shipments with every field, 20
// events and 10 flags each.
const (
	eventFields = `id source occurredAt receivedAt status carrier carrierStatus providerStatus providerDetail description
		location { city region postalCode country } estimatedDeliveryAt signedBy photoUrl`
	flagFields = `id kind severity message raisedAt acknowledgedAt resolvedAt resolution resolutionNote open`
	nodeFields = `id orderId carrier trackingNumber normalizedTrackingNumber service shipBy shippedAt deliverBy status
		lastEventAt deliveredAt estimatedDeliveryAt firstScanAt createdAt updatedAt destination { postalCode country }`
	largestPage = `{ shipments(first: 500) { edges { cursor node { ` + nodeFields + `
		events(first: 20) { edges { cursor node { ` + eventFields + ` } } pageInfo { hasNextPage endCursor } }
		flags(first: 10) { edges { cursor node { ` + flagFields + ` } } pageInfo { hasNextPage endCursor } } } }
		pageInfo { hasNextPage endCursor } } }`
)

// TestLargestPageAdmitted checks that the largest page the docs describe
// (500 shipments with every field, 20 events and 10 flags each) is under
// the limit, and that a page of full pages is not.
func TestLargestPageAdmitted(t *testing.T) {
	const event = eventFields
	largest := largestPage
	if got := cost(t, largest); got > MaxComplexity {
		t.Errorf("the largest documented page costs %d, above the limit of %d", got, MaxComplexity)
	}
	pages := `{ shipments(first: 500) { edges { node { events(first: 500) { edges { node { ` + event + ` } } } } } } }`
	if got := cost(t, pages); got <= MaxComplexity {
		t.Errorf("a page of 500 full timelines costs %d, within the limit of %d", got, MaxComplexity)
	}
}

func cost(t *testing.T, query string) int {
	t.Helper()
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
	doc, errs := gqlparser.LoadQueryWithRules(schema, query, nil)
	if errs != nil {
		t.Fatalf("LoadQuery(%q): %v", query, errs)
	}
	p := pricer{schema: schema, vars: map[string]any{"n": int64(7)}, limit: 1 << 30}
	return p.selection(doc.Operations[0].SelectionSet, 0)
}

// TestIntrospectionCost checks that introspection is priced by what it
// returns from this schema: its lists take no `first`, and pricing each
// as one item let a thousand copies of the schema through.
func TestIntrospectionCost(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
	shipmentFields := 0
	for _, f := range schema.Types["Shipment"].Fields {
		if !strings.HasPrefix(f.Name, "__") {
			shipmentFields++
		}
	}
	tests := []struct {
		query string
		want  int
	}{
		{`{ __typename }`, 1},
		// __schema 1 + types 1 + one name per type
		{`{ __schema { types { name } } }`, 2 + len(schema.Types)},
		{`{ __type(name: "Shipment") { fields { name } } }`, 2 + shipmentFields},
		{`{ __type(name: "NoSuchType") { name } }`, 1},
		// ShipmentStatus! is NON_NULL of ShipmentStatus: two levels, then null.
		{`{ __type(name: "Shipment") { fields { ... on __Field { name } } } }`, 2 + shipmentFields},
	}
	for _, tt := range tests {
		if got := cost(t, tt.query); got != tt.want {
			t.Errorf("cost of %q = %d, want %d", tt.query, got, tt.want)
		}
	}

	full := introspectionQuery(t)
	one := cost(t, full)
	if one > MaxComplexity/20 {
		t.Errorf("the playground's introspection query costs %d, want it well within the limit of %d", one, MaxComplexity)
	}
	// The schema's types aliased enough times to read them over and over
	// go over the limit, however they are written.
	fragments := full[strings.Index(full, "fragment FullType"):]
	aliased := func(n int) string {
		var q strings.Builder
		q.WriteString("{ ")
		for i := range n {
			fmt.Fprintf(&q, "s%d: __schema { types { ...FullType } } ", i)
		}
		return q.String() + "}" + fragments
	}
	copies := MaxComplexity/cost(t, aliased(1)) + 1
	if got := cost(t, aliased(copies)); got <= MaxComplexity {
		t.Errorf("%d copies of the schema's types cost %d, within the limit of %d", copies, got, MaxComplexity)
	}
	t.Logf("the introspection query costs %d; %d copies are refused", one, copies)
}
