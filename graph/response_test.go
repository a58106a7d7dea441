package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestResponseLimit checks that a response larger than the caller's limit
// is withheld with RESPONSE_TOO_LARGE, and one within it is not.
func TestResponseLimit(t *testing.T) {
	schema := generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}})
	exec := executor.New(schema)
	exec.Use(extension.Introspection{})
	exec.Use(ResponseLimit{Anonymous: 10000, Seller: 1 << 20})
	run := func(ctx context.Context) *graphql.Response {
		ctx = graphql.StartOperationTrace(ctx)
		oc, errs := exec.CreateOperationContext(ctx, &graphql.RawParams{Query: introspectionQuery(t)})
		if errs != nil {
			t.Fatalf("CreateOperationContext: %v", errs)
		}
		handler, ctx := exec.DispatchOperation(ctx, oc)
		return handler(ctx)
	}

	resp := run(context.Background())
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != CodeResponseTooLarge || resp.Errors[0].Extensions["limit"] != 10000 {
		t.Errorf("introspection without a seller, limit 10,000 bytes: errors = %v, want %s", resp.Errors, CodeResponseTooLarge)
	}
	if resp.Data != nil {
		t.Errorf("the withheld response has data: %.100s", resp.Data)
	}

	resp = run(auth.WithSeller(context.Background(), store.Seller{ID: "s"}))
	if len(resp.Errors) != 0 || len(resp.Data) < 10000 {
		t.Errorf("introspection with a seller, limit 1 MiB: errors = %v, %d bytes", resp.Errors, len(resp.Data))
	}
}
