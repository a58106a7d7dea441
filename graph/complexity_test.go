package graph

import (
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/shipwatch/shipwatch/graph/generated"
)

func TestSelectionCost(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
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
		doc, errs := gqlparser.LoadQuery(schema, tt.query)
		if errs != nil {
			t.Fatalf("LoadQuery(%q): %v", tt.query, errs)
		}
		got := selectionCost(doc.Operations[0].SelectionSet, map[string]any{"n": int64(7)}, MaxComplexity, 0)
		if got != tt.want {
			t.Errorf("cost of %.60q = %d, want %d", tt.query, got, tt.want)
		}
	}
}
