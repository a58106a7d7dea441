package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"

	"github.com/shipwatch/shipwatch/internal/auth"
)

// CodeQueryTooLarge is the extensions.code of a query refused by its
// bounds before it was parsed; extensions.bound names the bound and
// extensions.limit its value.
const CodeQueryTooLarge = "QUERY_TOO_LARGE"

// Bounds limits what one query document may hold. They are checked by a
// lexical pass, linear in the query's length, before gqlparser parses and
// validates it: validation is quadratic in the fields of a selection set
// (OverlappingFieldsCanBeMerged compares them in pairs), so 10,000 fields
// cost seconds there and none here.
type Bounds struct {
	// Bytes is the length of the query text.
	Bytes int
	// Tokens counts punctuators, names, numbers and strings (not
	// whitespace or comments).
	Tokens int
	// Fields counts field selections, __typename included, as written:
	// a fragment spread twice is counted once.
	Fields int
	// Aliases counts aliased fields.
	Aliases int
	// Depth is the deepest nesting of braces, brackets and parentheses.
	Depth int
	// Introspections counts __schema and __type fields in the document.
	Introspections int
}

// AnonymousBounds apply to a request without an API key, which may only
// introspect: they admit GraphiQL's full introspection query with every
// option and a type depth of 9 (graph/testdata/introspection.graphql: 184
// tokens, 73 fields, depth 10, about 2 KB) with room to spare, and little
// more. A query at every limit is parsed and validated in a few
// milliseconds.
var AnonymousBounds = Bounds{Bytes: 16 << 10, Tokens: 1000, Fields: 150, Aliases: 10, Depth: 30, Introspections: 1}

// SellerBounds apply to a request with a valid API key. They admit the
// largest documented page (TestLargestPageAdmitted: 113 tokens, 68 fields,
// depth 8) and a batch of 1,000 shipments written inline in the query
// (226 KB, 30,020 tokens), while the worst query within them is parsed and
// validated in tens of milliseconds, not seconds (BenchmarkBoundsWorstCase).
var SellerBounds = Bounds{Bytes: 1 << 20, Tokens: 100000, Fields: 500, Aliases: 100, Depth: 40, Introspections: 1}

// QueryStats is what the lexical pass found in a query.
type QueryStats struct {
	Tokens, Fields, Aliases, Depth, Introspections int
	// IntrospectionOnly is true when every operation is a query whose
	// root fields are all __schema, __type or __typename, written out
	// (a fragment spread at the root counts as something else).
	IntrospectionOnly bool
}

// tooLarge returns the QUERY_TOO_LARGE error for a bound.
func tooLarge(bound string, limit int, what string, anonymous bool) *gqlerror.Error {
	who := "one request may have"
	if anonymous {
		who = "a request without an API key may have"
	}
	err := gqlerror.Errorf("the query has more than %d %s, the most %s", limit, what, who)
	err.Extensions = map[string]any{"code": CodeQueryTooLarge, "bound": bound, "limit": limit}
	return err
}

// ScanQuery reads query with gqlparser's lexer and counts what Bounds
// limits, stopping at the first bound exceeded: the work is linear in the
// part of the query read, whatever it holds. anonymous only changes the
// wording of the error. A lexical error is returned as gqlparser would
// report it when parsing.
func ScanQuery(query string, b Bounds, anonymous bool) (QueryStats, *gqlerror.Error) {
	if len(query) > b.Bytes {
		return QueryStats{}, tooLarge("bytes", b.Bytes, "bytes", anonymous)
	}
	s := scanner{stats: QueryStats{IntrospectionOnly: true}}
	lx := lexer.New(&ast.Source{Input: query})
	for {
		tok, err := lx.ReadToken()
		if err != nil {
			gqlErr, ok := err.(*gqlerror.Error)
			if !ok {
				gqlErr = gqlerror.Errorf("%s", err.Error())
			}
			errcode.Set(gqlErr, errcode.ParseFailed)
			return s.stats, gqlErr
		}
		if tok.Kind == lexer.EOF {
			break
		}
		if tok.Kind == lexer.Comment {
			continue
		}
		s.stats.Tokens++
		s.token(tok)
		s.prev = tok
		switch {
		case s.stats.Tokens > b.Tokens:
			return s.stats, tooLarge("tokens", b.Tokens, "tokens", anonymous)
		case s.stats.Fields > b.Fields:
			return s.stats, tooLarge("fields", b.Fields, "fields", anonymous)
		case s.stats.Aliases > b.Aliases:
			return s.stats, tooLarge("aliases", b.Aliases, "aliased fields", anonymous)
		case s.stats.Depth > b.Depth:
			return s.stats, tooLarge("depth", b.Depth, "levels of nesting", anonymous)
		case s.stats.Introspections > b.Introspections:
			return s.stats, tooLarge("introspections", b.Introspections, "__schema or __type fields", anonymous)
		}
	}
	s.flushRoot()
	if s.operations == 0 {
		s.stats.IntrospectionOnly = false
	}
	return s.stats, nil
}

// scanner follows just enough of the grammar to tell field names from
// aliases, arguments, directives, fragment names and type conditions.
// Values (arguments, variable defaults) only ever appear inside
// parentheses, so a brace outside them opens a selection set.
type scanner struct {
	stats QueryStats
	// open holds the brackets not yet closed; parens counts the '(' in it.
	open   []lexer.Type
	parens int
	prev   lexer.Token
	// spreadOn is set after "... on": the next name is a type condition.
	spreadOn bool
	// operation is the keyword of the definition being read ("query",
	// "mutation", "subscription", "fragment"; "" before one starts).
	operation  string
	operations int
	// root is the pending root field of an operation, checked once we
	// know it is not an alias.
	root string
}

// token takes one token; s.prev is still the one before it.
func (s *scanner) token(tok lexer.Token) {
	if len(s.open) == 0 {
		s.topLevel(tok)
		return
	}
	selection := s.parens == 0 && s.open[len(s.open)-1] == lexer.BraceL
	atRoot := selection && len(s.open) == 1 && s.operation != "fragment"
	if atRoot && s.root != "" && tok.Kind != lexer.Colon {
		s.flushRoot()
	}
	switch tok.Kind {
	case lexer.BraceL, lexer.BracketL, lexer.ParenL:
		s.open = append(s.open, tok.Kind)
		if tok.Kind == lexer.ParenL {
			s.parens++
		}
		s.stats.Depth = max(s.stats.Depth, len(s.open))
	case lexer.BraceR, lexer.BracketR, lexer.ParenR:
		// Mismatched brackets are the parser's to report.
		if last := s.open[len(s.open)-1]; last == lexer.ParenL {
			s.parens--
		}
		s.open = s.open[:len(s.open)-1]
		if len(s.open) == 0 && tok.Kind == lexer.BraceR {
			s.flushRoot()
			s.operation = "" // the definition ends with its selection set
		}
	case lexer.Colon:
		if selection {
			s.stats.Aliases++
			s.root = ""
		}
	case lexer.Spread:
		if atRoot {
			s.stats.IntrospectionOnly = false // a fragment at the root
		}
	case lexer.Name:
		if selection {
			s.name(tok.Value, atRoot)
		}
	}
}

// name handles a name inside a selection set.
func (s *scanner) name(v string, atRoot bool) {
	switch {
	case s.prev.Kind == lexer.Spread:
		s.spreadOn = v == "on" // otherwise a fragment's name
		return
	case s.spreadOn:
		s.spreadOn = false // the type condition
		return
	case s.prev.Kind == lexer.At:
		return // a directive
	}
	if s.prev.Kind != lexer.Colon {
		s.stats.Fields++ // an aliased field once, at its alias
	}
	if v == "__schema" || v == "__type" {
		s.stats.Introspections++
	}
	if atRoot {
		s.root = v
	}
}

// flushRoot checks the pending root field of an operation.
func (s *scanner) flushRoot() {
	if s.root != "" && !strings.HasPrefix(s.root, "__") {
		s.stats.IntrospectionOnly = false
	}
	s.root = ""
}

// topLevel follows the definitions between selection sets.
func (s *scanner) topLevel(tok lexer.Token) {
	switch tok.Kind {
	case lexer.Name:
		if s.operation == "" {
			s.operation = tok.Value
			s.begin(tok.Value)
		}
	case lexer.BraceL:
		if s.operation == "" {
			s.operation = "query" // the shorthand: { ... }
			s.begin("query")
		}
		s.open = append(s.open, tok.Kind)
		s.stats.Depth = max(s.stats.Depth, 1)
	case lexer.ParenL, lexer.BracketL:
		s.open = append(s.open, tok.Kind)
		if tok.Kind == lexer.ParenL {
			s.parens++
		}
		s.stats.Depth = max(s.stats.Depth, 1)
	}
}

// begin notes the start of a definition.
func (s *scanner) begin(keyword string) {
	if keyword == "fragment" {
		return
	}
	s.operations++
	if keyword != "query" {
		s.stats.IntrospectionOnly = false
	}
}

// QueryBounds is a gqlgen extension that checks a query against Bounds
// before gqlgen parses and validates it: AnonymousBounds without an
// authenticated seller in the context, SellerBounds with one. A request
// without a seller whose operations are not introspection is refused
// here too, with UNAUTHENTICATED, before any parsing.
//
// It runs before AutomaticPersistedQuery, so that nothing unbounded enters
// the persisted-query cache, and again after it, so that a query read
// from that cache (stored by a seller) is bounded for this request's
// caller; a query already checked is not scanned twice.
type QueryBounds struct {
	Anonymous, Seller Bounds
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = QueryBounds{}

// ExtensionName implements graphql.HandlerExtension.
func (QueryBounds) ExtensionName() string { return "QueryBounds" }

// Validate implements graphql.HandlerExtension.
func (QueryBounds) Validate(graphql.ExecutableSchema) error { return nil }

// boundsChecked is the Stats extension holding the query text already
// checked in this operation.
const boundsChecked = "QueryBounds"

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (q QueryBounds) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil // a persisted query's hash alone: checked after the lookup
	}
	oc := graphql.GetOperationContext(ctx)
	if done, ok := oc.Stats.GetExtension(boundsChecked).(string); ok && done == p.Query {
		return nil
	}
	_, anonymous := auth.SellerFrom(ctx)
	anonymous = !anonymous
	b := q.Seller
	if anonymous {
		b = q.Anonymous
	}
	stats, err := ScanQuery(p.Query, b, anonymous)
	if err != nil {
		return err
	}
	if anonymous && !stats.IntrospectionOnly {
		return unauthenticated()
	}
	oc.Stats.SetExtension(boundsChecked, p.Query)
	return nil
}

// unauthenticated is the error of an operation that needs a seller.
func unauthenticated() *gqlerror.Error {
	err := gqlerror.Errorf("%s", ErrUnauthenticated.Error())
	err.Extensions = map[string]any{"code": CodeUnauthenticated}
	return err
}
