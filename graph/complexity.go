package graph

import (
	"context"
	"errors"
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
// its page size, so new connections are covered without extra wiring, and
// introspection by the real size of Schema (see introspection.go).
type ComplexityLimit struct {
	Limit  int
	Schema *ast.Schema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = ComplexityLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (ComplexityLimit) ExtensionName() string { return "ComplexityLimit" }

// Validate implements graphql.HandlerExtension.
func (c ComplexityLimit) Validate(graphql.ExecutableSchema) error {
	if c.Schema == nil {
		return errors.New("ComplexityLimit.Schema is nil: introspection could not be priced")
	}
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (c ComplexityLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	p := pricer{schema: c.Schema, vars: oc.Variables, limit: c.Limit}
	cost := p.selection(oc.Operation.SelectionSet, 0)
	if cost > c.Limit {
		err := gqlerror.Errorf("operation costs %d, above the limit of %d: ask for smaller pages (first) or fewer nested lists", cost, c.Limit)
		err.Extensions = map[string]any{"code": "COMPLEXITY_LIMIT_EXCEEDED", "cost": cost, "limit": c.Limit}
		return err
	}
	return nil
}

// pricer adds up the cost of an operation's selections.
type pricer struct {
	schema *ast.Schema
	vars   map[string]any
	limit  int
}

// maxCostDepth bounds the recursion of pricing: validation has already
// refused fragment cycles, so only a hostile query nests this deep.
const maxCostDepth = 50

// selection adds up a selection set, stopping once past the limit so a
// hostile query cannot overflow the count.
func (p pricer) selection(set ast.SelectionSet, depth int) int {
	if depth > maxCostDepth {
		return p.limit + 1
	}
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			switch {
			case s.Name == "__schema" || s.Name == "__type":
				total += 1 + p.introspection(s, depth+1)
			default:
				child := p.selection(s.SelectionSet, depth+1)
				total += 1 + pageSize(s, p.vars)*child
			}
		case *ast.InlineFragment:
			total += p.selection(s.SelectionSet, depth+1)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				total += p.selection(s.Definition.SelectionSet, depth+1)
			}
		}
		if total > p.limit {
			return p.limit + 1
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
