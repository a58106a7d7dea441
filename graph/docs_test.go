package graph

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// docExample is one GraphQL operation shown in the README or docs/.
type docExample struct {
	where     string // file:line
	query     string
	variables map[string]any
}

var (
	// gql '...' and -F operations='...': the shell helpers' arguments. A
	// shell variable spliced in ('"$X"' or '$X') becomes a placeholder.
	shellArg = regexp.MustCompile(`(?:^|\s)(?:gql|-F operations=) ?'([^']*(?:'\$\{?[A-Z_]+\}?'[^']*)*)'`)
	splice   = regexp.MustCompile(`'"?\$\{?[A-Z_]+\}?"?'`)
	fence    = regexp.MustCompile("(?s)```graphql\n(.*?)```")
)

// docExamples reads every GraphQL example of the README and docs/*.md.
func docExamples(t *testing.T) []docExample {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []docExample
	for _, name := range append([]string{filepath.Join("..", "README.md")}, files...) {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		line := func(at int) string { return filepath.Base(name) + ":" + strconv.Itoa(1+strings.Count(text[:at], "\n")) }
		for _, m := range shellArg.FindAllStringSubmatchIndex(text, -1) {
			arg := splice.ReplaceAllString(text[m[2]:m[3]], "PLACEHOLDER")
			ex := docExample{where: line(m[2]), query: arg}
			if strings.HasPrefix(arg, `{"query"`) {
				var payload struct {
					Query     string
					Variables map[string]any
				}
				if err := json.Unmarshal([]byte(arg), &payload); err != nil {
					t.Errorf("%s: the example is not JSON: %v\n%s", ex.where, err, arg)
					continue
				}
				ex.query, ex.variables = payload.Query, payload.Variables
			}
			out = append(out, ex)
		}
		for _, m := range fence.FindAllStringSubmatchIndex(text, -1) {
			out = append(out, docExample{where: line(m[2]), query: text[m[2]:m[3]]})
		}
	}
	return out
}

// Every GraphQL example in the README and docs/ is valid against the
// schema, variables included, and every tracking number an example creates
// a shipment with passes its check (an example of a good shipment that
// raises a flag misleads).
func TestDocExamplesMatchTheSchema(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
	examples := docExamples(t)
	if len(examples) < 25 {
		t.Fatalf("found %d GraphQL examples in README.md and docs/, want at least 25: is the extraction broken?", len(examples))
	}
	for _, ex := range examples {
		doc, errs := gqlparser.LoadQueryWithRules(schema, ex.query, nil)
		if len(errs) > 0 {
			t.Errorf("%s: %v\n%s", ex.where, errs, ex.query)
			continue
		}
		for _, op := range doc.Operations {
			if ex.variables == nil && len(op.VariableDefinitions) > 0 {
				continue // a document shown without its variables (docs/imports.md)
			}
			if _, err := validator.VariableValues(schema, op, withoutUploads(op, ex.variables)); err != nil {
				t.Errorf("%s: variables: %v", ex.where, err)
			}
		}
		if strings.Contains(ex.query, "createShipment") {
			checkNumbers(t, ex.where, ex.variables)
		}
	}
}

func isUpload(op *ast.OperationDefinition, name string) bool {
	d := op.VariableDefinitions.ForName(name)
	return d != nil && d.Type.Name() == "Upload"
}

func withoutUploads(op *ast.OperationDefinition, vars map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range vars {
		if !isUpload(op, k) {
			out[k] = v
		}
	}
	for _, d := range op.VariableDefinitions {
		if isUpload(op, d.Variable) && d.Type.NonNull {
			out[d.Variable] = "file"
		}
	}
	return out
}

// checkNumbers fails on a tracking number in an example's shipments that
// does not pass its check; numbers under 8 characters are the examples'
// deliberate mistakes.
func checkNumbers(t *testing.T, where string, v any) {
	switch v := v.(type) {
	case map[string]any:
		if n, ok := v["trackingNumber"].(string); ok && len(n) >= 8 {
			carrier, _ := v["carrier"].(string)
			if r := tracking.Check(n, carrier); !r.Valid {
				t.Errorf("%s: the example ships %q (carrier %q), which fails its check: %+v", where, n, carrier, r)
			}
		}
		for _, x := range v {
			checkNumbers(t, where, x)
		}
	case []any:
		for _, x := range v {
			checkNumbers(t, where, x)
		}
	}
}
