package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// MaxComplexity bounds the cost of one operation. A field costs 1 plus its
// children's cost, multiplied by its `first` argument when it has one (the
// argument's default when omitted). The largest page the docs describe, 500
// shipments with every field and their first 20 events and 10 flags, costs
// 333,501 (about 15,000 rows); a page of 500 full timelines costs millions
// and is refused.
const MaxComplexity = 350000

// ComplexityLimit is a gqlgen extension that refuses operations costing
// more than its limit, before any resolver runs. It counts every list by
// its page size, so new connections are covered without extra wiring.
type ComplexityLimit struct{ Limit int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = ComplexityLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (ComplexityLimit) ExtensionName() string { return "ComplexityLimit" }

// Validate implements graphql.HandlerExtension.
func (ComplexityLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (c ComplexityLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	cost := selectionCost(oc.Operation.SelectionSet, oc.Variables, c.Limit, 0)
	if cost > c.Limit {
		err := gqlerror.Errorf("operation costs %d, above the limit of %d: ask for smaller pages (first) or fewer nested lists", cost, c.Limit)
		err.Extensions = map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED", "cost": cost, "limit": c.Limit}
		return err
	}
	return nil
}

// selectionCost adds up a selection set, stopping once past the limit so a
// hostile query cannot overflow the count.
func selectionCost(set ast.SelectionSet, vars map[string]any, limit, depth int) int {
	if depth > 50 {
		return limit + 1
	}
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			child := selectionCost(s.SelectionSet, vars, limit, depth+1)
			total += 1 + pageSize(s, vars)*child
		case *ast.InlineFragment:
			total += selectionCost(s.SelectionSet, vars, limit, depth+1)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				total += selectionCost(s.Definition.SelectionSet, vars, limit, depth+1)
			}
		}
		if total > limit {
			return limit + 1
		}
	}
	return total
}

// pageSize returns the value of a field's `first` argument, its default
// when omitted, and 1 for fields without one.
func pageSize(f *ast.Field, vars map[string]any) int {
	if f.Definition == nil || f.Definition.Arguments.ForName("first") == nil {
		return 1
	}
	v, ok := f.ArgumentMap(vars)["first"]
	if !ok || v == nil {
		return 1
	}
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case int:
		n = int64(x)
	case float64:
		n = int64(x)
	default:
		fmt.Sscan(fmt.Sprint(x), &n) //nolint:errcheck // a non-number is refused by validation anyway
	}
	if n < 1 {
		return 1
	}
	if n > MaxComplexity {
		return MaxComplexity
	}
	return int(n)
}
