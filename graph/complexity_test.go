package graph

import (
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
	doc, errs := gqlparser.LoadQuery(schema, query)
	if errs != nil {
		t.Fatalf("LoadQuery(%q): %v", query, errs)
	}
	return selectionCost(doc.Operations[0].SelectionSet, map[string]any{"n": int64(7)}, 1<<30, 0)
}
