package graph

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Introspection is priced by what it would return from this schema, not
// by page sizes: its lists (types, fields, args, enumValues, ...) take no
// `first`, and pricing each as one item let 1,000 aliased copies of the
// full introspection query through at a small cost. The pricer walks the
// schema as the introspection resolvers would, one element at a time, and
// stops once past the limit, so pricing costs at most the limit's worth of
// steps. The full introspection query GraphiQL sends costs about 6,900 on
// this schema (TestIntrospectionCost).

// element is the schema element an introspection object stands for.
type element struct {
	kind      elementKind
	ref       *ast.Type // a __Type: a reference, wrapped (list, non-null) or named
	field     *ast.FieldDefinition
	directive *ast.DirectiveDefinition
}

type elementKind int

const (
	elemSchema elementKind = iota
	elemType
	elemField      // __Field
	elemInputValue // __InputValue: an argument or an input field
	elemEnumValue
	elemDirective
)

// introspection prices a __schema or __type field's selection.
func (p pricer) introspection(f *ast.Field, depth int) int {
	if f.Name == "__schema" {
		return p.introspected(f.SelectionSet, element{kind: elemSchema}, depth)
	}
	name, _ := f.ArgumentMap(p.vars)["name"].(string)
	if p.schema.Types[name] == nil {
		return 0 // null
	}
	return p.introspected(f.SelectionSet, element{kind: elemType, ref: ast.NamedType(name, nil)}, depth)
}

// introspected adds up a selection set on one introspection object: each
// field costs 1, plus its selection's cost for every element it returns.
func (p pricer) introspected(set ast.SelectionSet, el element, depth int) int {
	if depth > maxCostDepth {
		return p.limit + 1
	}
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total++
			for _, child := range p.children(el, s.Name) {
				total += p.introspected(s.SelectionSet, child, depth+1)
				if total > p.limit {
					return p.limit + 1
				}
			}
		case *ast.InlineFragment:
			total += p.introspected(s.SelectionSet, el, depth+1)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				total += p.introspected(s.Definition.SelectionSet, el, depth+1)
			}
		}
		if total > p.limit {
			return p.limit + 1
		}
	}
	return total
}

// children returns the objects field returns on el: none for a scalar or a
// null, one for an object, every item of a list. Lists are counted in
// full (deprecated items included) whatever their arguments.
func (p pricer) children(el element, field string) []element {
	s := p.schema
	switch el.kind {
	case elemSchema:
		switch field {
		case "types":
			out := make([]element, 0, len(s.Types))
			for name := range s.Types {
				out = append(out, typeElement(name))
			}
			return out
		case "queryType":
			return definitionElement(s.Query)
		case "mutationType":
			return definitionElement(s.Mutation)
		case "subscriptionType":
			return definitionElement(s.Subscription)
		case "directives":
			out := make([]element, 0, len(s.Directives))
			for _, d := range s.Directives {
				out = append(out, element{kind: elemDirective, directive: d})
			}
			return out
		}
	case elemType:
		return p.typeChildren(el.ref, field)
	case elemField:
		switch field {
		case "args":
			return argElements(el.field.Arguments)
		case "type":
			return []element{{kind: elemType, ref: el.field.Type}}
		}
	case elemInputValue:
		if field == "type" {
			return []element{{kind: elemType, ref: el.field.Type}}
		}
	case elemDirective:
		if field == "args" {
			return argElements(el.directive.Arguments)
		}
	}
	return nil
}

// typeChildren returns what a __Type's field returns.
func (p pricer) typeChildren(ref *ast.Type, field string) []element {
	if ref.NonNull || ref.Elem != nil {
		if field != "ofType" {
			return nil // a wrapper has a kind and an ofType, nothing else
		}
		if ref.NonNull {
			inner := *ref
			inner.NonNull = false
			return []element{{kind: elemType, ref: &inner}}
		}
		return []element{{kind: elemType, ref: ref.Elem}}
	}
	def := p.schema.Types[ref.NamedType]
	if def == nil {
		return nil
	}
	var out []element
	switch field {
	case "fields":
		if def.Kind != ast.Object && def.Kind != ast.Interface {
			return nil
		}
		for _, f := range def.Fields {
			if !strings.HasPrefix(f.Name, "__") {
				out = append(out, element{kind: elemField, field: f})
			}
		}
	case "inputFields":
		if def.Kind != ast.InputObject {
			return nil
		}
		for _, f := range def.Fields {
			out = append(out, element{kind: elemInputValue, field: f})
		}
	case "interfaces":
		for _, name := range def.Interfaces {
			out = append(out, typeElement(name))
		}
	case "possibleTypes":
		if def.Kind != ast.Interface && def.Kind != ast.Union {
			return nil
		}
		for _, d := range p.schema.GetPossibleTypes(def) {
			out = append(out, typeElement(d.Name))
		}
	case "enumValues":
		for range def.EnumValues {
			out = append(out, element{kind: elemEnumValue})
		}
	}
	return out
}

func typeElement(name string) element {
	return element{kind: elemType, ref: ast.NamedType(name, nil)}
}

func definitionElement(def *ast.Definition) []element {
	if def == nil {
		return nil
	}
	return []element{typeElement(def.Name)}
}

// argElements returns arguments as __InputValue elements; they are priced
// through their type, which an argument shares with a field definition.
func argElements(args ast.ArgumentDefinitionList) []element {
	out := make([]element, len(args))
	for i, a := range args {
		out[i] = element{kind: elemInputValue, field: &ast.FieldDefinition{Name: a.Name, Type: a.Type}}
	}
	return out
}
