package graph

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// RefuseNUL refuses, before any resolver runs, an operation that carries a
// NUL character (U+0000) in any string input: a variable at any depth or a
// literal argument of any field or directive. PostgreSQL text cannot hold
// one, so it would otherwise fail as an internal error after the resolver
// had started writing. One check over the whole operation covers every
// string input, present and future, of every transport (POST, GET,
// multipart, websocket).
type RefuseNUL struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = RefuseNUL{}

// ExtensionName implements graphql.HandlerExtension.
func (RefuseNUL) ExtensionName() string { return "RefuseNUL" }

// Validate implements graphql.HandlerExtension.
func (RefuseNUL) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (RefuseNUL) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	names := make([]string, 0, len(oc.Variables))
	for name := range oc.Variables {
		names = append(names, name)
	}
	slices.Sort(names) // the first offender is always the same one
	for _, name := range names {
		if path, ok := nulInVariable("$"+name, oc.Variables[name]); ok {
			return nulError(path)
		}
	}
	if oc.Operation != nil {
		if path, ok := nulInSelections(oc.Operation.SelectionSet, map[string]bool{}); ok {
			return nulError(path)
		}
	}
	return nil
}

func nulError(path string) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    path + ": contains a NUL character (U+0000), which no text field can hold",
		Extensions: map[string]any{"code": CodeBadUserInput, "field": path},
	}
}

// nulInVariable looks through a decoded JSON variable value.
func nulInVariable(path string, v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return path, strings.IndexByte(x, 0) >= 0
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if p, ok := nulInVariable(path+"."+k, x[k]); ok {
				return p, true
			}
			if strings.IndexByte(k, 0) >= 0 {
				return path + "." + k, true
			}
		}
	case []any:
		for i, e := range x {
			if p, ok := nulInVariable(path+"["+strconv.Itoa(i)+"]", e); ok {
				return p, true
			}
		}
	}
	return "", false
}

// nulInSelections looks through the literal arguments of every field and
// directive, following fragments once each.
func nulInSelections(set ast.SelectionSet, seen map[string]bool) (string, bool) {
	for _, sel := range set {
		var dirs ast.DirectiveList
		switch s := sel.(type) {
		case *ast.Field:
			if p, ok := nulInArguments(s.Arguments); ok {
				return p, true
			}
			if p, ok := nulInSelections(s.SelectionSet, seen); ok {
				return p, true
			}
			dirs = s.Directives
		case *ast.InlineFragment:
			if p, ok := nulInSelections(s.SelectionSet, seen); ok {
				return p, true
			}
			dirs = s.Directives
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				if p, ok := nulInSelections(s.Definition.SelectionSet, seen); ok {
					return p, true
				}
			}
			dirs = s.Directives
		}
		for _, d := range dirs {
			if p, ok := nulInArguments(d.Arguments); ok {
				return p, true
			}
		}
	}
	return "", false
}

func nulInArguments(args ast.ArgumentList) (string, bool) {
	for _, a := range args {
		if p, ok := nulInValue(a.Name, a.Value); ok {
			return p, true
		}
	}
	return "", false
}

func nulInValue(path string, v *ast.Value) (string, bool) {
	if v == nil {
		return "", false
	}
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		return path, strings.IndexByte(v.Raw, 0) >= 0
	case ast.ListValue:
		for i, c := range v.Children {
			if p, ok := nulInValue(path+"["+strconv.Itoa(i)+"]", c.Value); ok {
				return p, true
			}
		}
	case ast.ObjectValue:
		for _, c := range v.Children {
			if p, ok := nulInValue(path+"."+c.Name, c.Value); ok {
				return p, true
			}
		}
	}
	return "", false
}
