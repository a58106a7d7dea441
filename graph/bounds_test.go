package graph

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// unbounded is a Bounds no test query reaches; each case lowers one bound.
var unbounded = Bounds{Bytes: 1 << 30, Tokens: 1 << 30, Fields: 1 << 30, Aliases: 1 << 30, Depth: 1 << 30, Introspections: 1 << 30}

// TestScanQueryAtEachBound checks every bound: a query exactly at the
// limit passes, one more fails naming the bound and its limit.
func TestScanQueryAtEachBound(t *testing.T) {
	const limit = 20
	tests := []struct {
		bound string
		set   func(*Bounds, int)
		query func(n int) string // a query with exactly n of what the bound counts
	}{
		{"bytes", func(b *Bounds, n int) { b.Bytes = n }, func(n int) string {
			return "{ __typename" + strings.Repeat(" ", n-len("{ __typename}")) + "}"
		}},
		{"tokens", func(b *Bounds, n int) { b.Tokens = n }, func(n int) string {
			// { a ( x : [ ... ] ) } is 9 tokens around the list.
			return "{ a(x: [" + strings.Repeat("1 ", n-9) + "]) }"
		}},
		{"fields", func(b *Bounds, n int) { b.Fields = n }, func(n int) string {
			return "{ " + strings.Repeat("__typename ", n) + "}"
		}},
		{"aliases", func(b *Bounds, n int) { b.Aliases = n }, func(n int) string {
			var q strings.Builder
			q.WriteString("{ ")
			for i := range n {
				fmt.Fprintf(&q, "a%d: __typename ", i)
			}
			return q.String() + "}"
		}},
		{"depth", func(b *Bounds, n int) { b.Depth = n }, func(n int) string {
			return strings.Repeat("{ a ", n) + strings.Repeat("} ", n)
		}},
		{"introspections", func(b *Bounds, n int) { b.Introspections = n }, func(n int) string {
			var q strings.Builder
			q.WriteString("{ ")
			for i := range n {
				fmt.Fprintf(&q, "s%d: __schema { description } ", i)
			}
			return q.String() + "}"
		}},
	}
	for _, tt := range tests {
		b := unbounded
		tt.set(&b, limit)
		if _, err := ScanQuery(tt.query(limit), b, false); err != nil {
			t.Errorf("%s: ScanQuery(%q) at the limit of %d = %v, want no error", tt.bound, tt.query(limit), limit, err)
		}
		_, err := ScanQuery(tt.query(limit+1), b, false)
		if err == nil {
			t.Errorf("%s: ScanQuery(%q) one over the limit of %d = nil, want %s", tt.bound, tt.query(limit+1), limit, CodeQueryTooLarge)
			continue
		}
		want := map[string]any{"code": CodeQueryTooLarge, "bound": tt.bound, "limit": limit}
		if diff := cmp.Diff(want, err.Extensions); diff != "" {
			t.Errorf("%s: extensions (-want +got):\n%s", tt.bound, diff)
		}
		if !strings.Contains(err.Message, fmt.Sprint(limit)) {
			t.Errorf("%s: message %q does not name the limit %d", tt.bound, err.Message, limit)
		}
	}
}

func TestScanQueryCounts(t *testing.T) {
	tests := []struct {
		query string
		want  QueryStats
	}{
		{`{ viewer { id name } }`, QueryStats{Tokens: 7, Fields: 3, Depth: 2}},
		{`{ __typename }`, QueryStats{Tokens: 3, Fields: 1, Depth: 1, IntrospectionOnly: true}},
		{`query Q { __type(name: "Query") { name } }`,
			QueryStats{Tokens: 13, Fields: 2, Depth: 2, Introspections: 1, IntrospectionOnly: true}},
		// Aliases count once, as the field; the root check reads the field.
		{`{ x: __schema { description } }`,
			QueryStats{Tokens: 8, Fields: 2, Aliases: 1, Depth: 2, Introspections: 1, IntrospectionOnly: true}},
		{`{ __x: viewer { id } }`, QueryStats{Tokens: 8, Fields: 2, Aliases: 1, Depth: 2}},
		// Arguments, object values, variables and directives are not fields.
		{`query($f: ShipmentFilter = {statuses: [LATE]}) { shipments(first: 2, filter: $f) @include(if: true) { totalCount } }`,
			QueryStats{Tokens: 37, Fields: 2, Depth: 3}},
		// Fragments: names and type conditions are not fields; a spread
		// at the root is not introspection as far as the pass can tell.
		{`{ ...F } fragment F on Query { __typename }`, QueryStats{Tokens: 11, Fields: 1, Depth: 1}},
		{`{ __typename ... on Query { __schema { description } } }`,
			QueryStats{Tokens: 12, Fields: 3, Depth: 3, Introspections: 1}},
		{`query { __schema { types { ...T } } } fragment T on __Type { name fields { name } }`,
			QueryStats{Tokens: 22, Fields: 5, Depth: 3, Introspections: 1, IntrospectionOnly: true}},
		{`mutation { __typename }`, QueryStats{Tokens: 4, Fields: 1, Depth: 1}},
		{`subscription { __typename }`, QueryStats{Tokens: 4, Fields: 1, Depth: 1}},
		{`{ __typename } mutation M { createShipment }`, QueryStats{Tokens: 8, Fields: 2, Depth: 1}},
		// Comments and strings are not read as anything else.
		{"# viewer { id }\n{ __type(name: \"{ viewer }\") { name } }",
			QueryStats{Tokens: 11, Fields: 2, Depth: 2, Introspections: 1, IntrospectionOnly: true}},
		{`{ a(s: """ { b c d } """) }`, QueryStats{Tokens: 8, Fields: 1, Depth: 2}},
		{``, QueryStats{}},
	}
	for _, tt := range tests {
		got, err := ScanQuery(tt.query, unbounded, false)
		if err != nil {
			t.Errorf("ScanQuery(%q) error = %v", tt.query, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ScanQuery(%q) (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestScanQueryLexicalError(t *testing.T) {
	_, err := ScanQuery(`{ a(s: "unterminated) }`, unbounded, false)
	if err == nil || err.Extensions["code"] != "GRAPHQL_PARSE_FAILED" || len(err.Locations) != 1 {
		t.Errorf("ScanQuery(unterminated string) = %v, want a located GRAPHQL_PARSE_FAILED error", err)
	}
}

// TestAnonymousBoundsAdmitPlayground checks that the playground's schema
// query, with every option, passes the bounds of a request without a key
// and is recognised as introspection.
func TestAnonymousBoundsAdmitPlayground(t *testing.T) {
	q := introspectionQuery(t)
	st, err := ScanQuery(q, AnonymousBounds, true)
	if err != nil {
		t.Fatalf("ScanQuery(introspection query) error = %v", err)
	}
	if !st.IntrospectionOnly {
		t.Errorf("the introspection query is not recognised as introspection: %+v", st)
	}
	t.Logf("introspection query: %d bytes, %+v", len(q), st)
	// Indented the way graphql-js prints it, deeper, it still passes.
	indented := strings.ReplaceAll(q, "\n", "\n        ")
	if _, err := ScanQuery(indented, AnonymousBounds, true); err != nil {
		t.Errorf("ScanQuery(indented introspection query, %d bytes) error = %v", len(indented), err)
	}
}

// TestSellerBoundsAdmitLargestPage checks that the largest documented page
// and an inline batch of 1,000 shipments pass the bounds of a seller.
func TestSellerBoundsAdmitLargestPage(t *testing.T) {
	st, err := ScanQuery(largestPage, SellerBounds, false)
	if err != nil {
		t.Fatalf("ScanQuery(largest page) error = %v", err)
	}
	t.Logf("largest page: %d bytes, %+v", len(largestPage), st)
	batch := inlineBatch(1000)
	st, err = ScanQuery(batch, SellerBounds, false)
	if err != nil {
		t.Fatalf("ScanQuery(inline batch of 1,000) error = %v", err)
	}
	t.Logf("inline batch of 1,000: %d bytes, %+v", len(batch), st)
}

// inlineBatch is createShipments with n shipments written in the query.
func inlineBatch(n int) string {
	var q strings.Builder
	q.WriteString("mutation { createShipments(input: [")
	for i := range n {
		fmt.Fprintf(&q, `{orderId: "112-9470321-%06d", carrier: "UPS", trackingNumber: "1Z999AA10123456784", service: "Ground",
			shipBy: "2026-11-20T23:59:59Z", deliverBy: "2026-11-25T23:59:59Z", destination: {postalCode: "10001", country: "US"}} `, i)
	}
	q.WriteString("]) { created updated errors { index field message } } }")
	return q.String()
}

func introspectionQuery(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzScanQuery checks the lexical pass against gqlparser's parser: it
// never panics, and on every document that parses it counts exactly the
// fields written and calls it introspection only when it is.
func FuzzScanQuery(f *testing.F) {
	for _, q := range []string{`{ viewer { id } }`, `{ a: __schema { description } }`, largestPage,
		`query($f: F = {a: [1]}) { shipments(filter: $f) @skip(if: false) { ...X ... on S { id } } } fragment X on C { totalCount }`,
		`mutation { __typename }`, "{ __type(name: \"\"\"x\"\"\") { name } } # c"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		st, err := ScanQuery(q, unbounded, false)
		doc, perr := parser.ParseQuery(&ast.Source{Input: q})
		if perr != nil {
			return
		}
		if err != nil {
			t.Fatalf("ScanQuery(%q) = %v, but it parses", q, err)
		}
		fields, introspection := 0, len(doc.Operations) > 0
		for _, op := range doc.Operations {
			fields += countFields(op.SelectionSet)
			introspection = introspection && op.Operation == ast.Query && rootIntrospection(op.SelectionSet)
		}
		for _, fr := range doc.Fragments {
			fields += countFields(fr.SelectionSet)
		}
		if st.Fields != fields {
			t.Errorf("ScanQuery(%q).Fields = %d, the parser finds %d", q, st.Fields, fields)
		}
		if st.IntrospectionOnly && !introspection {
			t.Errorf("ScanQuery(%q) calls it introspection only; it is not", q)
		}
	})
}

func countFields(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			n += 1 + countFields(s.SelectionSet)
		case *ast.InlineFragment:
			n += countFields(s.SelectionSet)
		}
	}
	return n
}

func rootIntrospection(set ast.SelectionSet) bool {
	for _, sel := range set {
		f, ok := sel.(*ast.Field)
		if !ok || !strings.HasPrefix(f.Name, "__") {
			return false
		}
	}
	return true
}
