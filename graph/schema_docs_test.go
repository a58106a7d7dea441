package graph

import (
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shipwatch/shipwatch/graph/generated"
)

// undescribed lists the schema's types, fields, arguments, input fields and
// enum values that have no description, by their coordinates
// (Type.field(arg:)), leaving out GraphQL's built-in types.
func undescribed(schema *ast.Schema) []string {
	var missing []string
	blank := func(s string) bool { return strings.TrimSpace(s) == "" }
	for name, def := range schema.Types {
		if def.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		if blank(def.Description) {
			missing = append(missing, name)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if blank(f.Description) {
				missing = append(missing, name+"."+f.Name)
			}
			for _, a := range f.Arguments {
				if blank(a.Description) {
					missing = append(missing, name+"."+f.Name+"("+a.Name+":)")
				}
			}
		}
		for _, v := range def.EnumValues {
			if blank(v.Description) {
				missing = append(missing, name+"."+v.Name)
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// Every type, field, argument, input field and enum value of the schema
// says what it is: the playground's docs and a client's generated code
// show these descriptions to people who never read our source.
func TestSchemaIsDescribed(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
	if missing := undescribed(schema); len(missing) > 0 {
		t.Errorf("%d schema elements have no description:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}
