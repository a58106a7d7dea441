package graph

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/store"
)

// ordinaryQuery is what a back office asks most: a page of shipments.
const ordinaryQuery = `query Recent($after: String) { shipments(first: 50, after: $after, filter: {statuses: [IN_TRANSIT]}) {
	totalCount edges { cursor node { id orderId carrier trackingNumber status shipBy deliverBy lastEventAt
	destination { postalCode country } flags(first: 5) { edges { node { kind severity message } } } } }
	pageInfo { hasNextPage endCursor } } }`

// BenchmarkQueryBounds measures what the lexical pass adds to an ordinary
// authenticated query on its way to execution (gqlgen's operation context:
// parse, validate, variables, cost), with the parsed-query cache the
// server uses (hit: every request after the first) and without it. Each
// iteration runs the query once without the pass and once with it, so
// both figures come from the same moments of a shared machine: it reports
// without-ns/op, with-ns/op and their difference, overhead-ns/op.
func BenchmarkQueryBounds(b *testing.B) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}})
	ctx := graphql.StartOperationTrace(auth.WithSeller(context.Background(), store.Seller{ID: "00000000-0000-0000-0000-000000000001"}))
	newExecutor := func(cached, pass bool) *executor.Executor {
		exec := executor.New(schema)
		if cached {
			exec.SetQueryCache(lru.New[*ast.QueryDocument](1000))
		}
		if pass {
			exec.Use(QueryBounds{Anonymous: AnonymousBounds, Seller: SellerBounds})
		}
		exec.Use(ComplexityLimit{Limit: MaxComplexity, Schema: schema.Schema()})
		return exec
	}
	for _, cached := range []bool{true, false} {
		b.Run(fmt.Sprintf("cached=%t", cached), func(b *testing.B) {
			without, with := newExecutor(cached, false), newExecutor(cached, true)
			var spent [2]time.Duration
			for b.Loop() {
				for i, exec := range []*executor.Executor{without, with} {
					params := &graphql.RawParams{Query: ordinaryQuery, Variables: map[string]any{"after": nil}}
					start := time.Now()
					if _, errs := exec.CreateOperationContext(ctx, params); errs != nil {
						b.Fatal(errs)
					}
					spent[i] += time.Since(start)
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(spent[0].Nanoseconds())/n, "without-ns/op")
			b.ReportMetric(float64(spent[1].Nanoseconds())/n, "with-ns/op")
			b.ReportMetric(float64((spent[1]-spent[0]).Nanoseconds())/n, "overhead-ns/op")
		})
	}
}

// BenchmarkBoundsWorstCase parses and validates queries at the limits of
// SellerBounds (and one at AnonymousBounds), shaped for what validation does worst (many fields of one
// selection set, compared in pairs): what a seller's request can cost
// before its cost is even known.
func BenchmarkBoundsWorstCase(b *testing.B) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}})
	var aliased strings.Builder
	aliased.WriteString("{ ")
	for i := range SellerBounds.Aliases {
		fmt.Fprintf(&aliased, "a%d: viewer { id } ", i)
	}
	aliased.WriteString(strings.Repeat("__typename ", SellerBounds.Fields-2*SellerBounds.Aliases) + "}")
	queries := map[string]string{
		"fields":  "{ " + strings.Repeat("__typename ", SellerBounds.Fields) + "}",
		"viewers": "{ " + strings.Repeat("viewer { id } ", SellerBounds.Fields/2) + "}",
		"aliases": aliased.String(),
		// What a request without a key can cost before it is refused.
		"anonymous": "{ " + strings.Repeat("__typename ", AnonymousBounds.Fields) + "}",
	}
	ctx := graphql.StartOperationTrace(auth.WithSeller(context.Background(), store.Seller{ID: "00000000-0000-0000-0000-000000000001"}))
	for name, q := range queries {
		b.Run(name, func(b *testing.B) {
			bounds := SellerBounds
			if name == "anonymous" {
				bounds = AnonymousBounds
			}
			if _, err := ScanQuery(q, bounds, false); err != nil {
				b.Fatalf("%s is not within SellerBounds: %v", name, err)
			}
			exec := executor.New(schema)
			for b.Loop() {
				if _, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: q}); errs != nil {
					b.Fatal(errs)
				}
			}
		})
	}
}

// BenchmarkScanQuery measures the lexical pass alone on the ordinary query
// (347 bytes): what every authenticated request pays for it, cached or not.
func BenchmarkScanQuery(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(ordinaryQuery)))
	for b.Loop() {
		if _, err := ScanQuery(ordinaryQuery, SellerBounds, false); err != nil {
			b.Fatal(err)
		}
	}
}
