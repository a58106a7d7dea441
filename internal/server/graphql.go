package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shipwatch/shipwatch/graph"
	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/store"
)

// NewGraphQL returns the /graphql handler: POST, GET, multipart uploads and
// websocket subscriptions, bounded before parsing (graph.QueryBounds), by
// cost (introspection included) and by response size, with one error
// presenter.
//
// The API key was checked before this handler runs (authenticate), so the
// bounds of a request without one apply before its query is parsed, and
// such a request may only introspect.
func NewGraphQL(schema graphql.ExecutableSchema, st *store.Store, keys KeyWatcher, log *slog.Logger, maxUpload int64) http.Handler {
	srv := handler.New(schema)
	srv.AddTransport(websocketTransport(st, keys, log))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.AddTransport(multipartStream{maxFile: maxUpload}) // not transport.MultipartForm: see upload.go
	srv.SetQueryCache(boundedCache[*ast.QueryDocument]{Cache: lru.New[*ast.QueryDocument](cachedQueries),
		size: func(query string, _ *ast.QueryDocument) int { return len(query) }, max: maxCachedQueryBytes})
	srv.Use(extension.Introspection{})
	bounds := graph.QueryBounds{Anonymous: graph.AnonymousBounds, Seller: graph.SellerBounds}
	srv.Use(bounds) // before the persisted-query cache stores a query
	srv.Use(extension.AutomaticPersistedQuery{Cache: boundedCache[string]{Cache: lru.New[string](persistedQueries),
		size: func(_, query string) int { return len(query) }, max: maxPersistedQueryBytes}})
	srv.Use(bounds) // and after it, for a query read from that cache
	srv.Use(graph.ComplexityLimit{Limit: graph.MaxComplexity, Schema: schema.Schema()})
	srv.Use(graph.ResponseLimit{Anonymous: graph.AnonymousResponseBytes, Seller: graph.SellerResponseBytes})
	srv.Use(requireSeller{})
	srv.Use(graph.RefuseNUL{})
	srv.Use(graph.Loaders{Store: st})
	srv.SetErrorPresenter(graph.ErrorPresenter(log))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "request_id", auth.RequestID(ctx), "panic", p)
		return errors.New("panic") // presented as an internal error with the request id
	})
	return srv
}

// requireSeller refuses every operation of an unauthenticated request but
// pure introspection, with UNAUTHENTICATED and no data.
type requireSeller struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = requireSeller{}

func (requireSeller) ExtensionName() string                   { return "RequireSeller" }
func (requireSeller) Validate(graphql.ExecutableSchema) error { return nil }

func (requireSeller) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if _, ok := auth.SellerFrom(ctx); ok || introspectionOnly(graphql.GetOperationContext(ctx)) {
		return next(ctx)
	}
	sent := false
	return func(ctx context.Context) *graphql.Response {
		if sent {
			return nil
		}
		sent = true
		err := gqlerror.Errorf("%s", graph.ErrUnauthenticated.Error())
		err.Extensions = map[string]any{"code": graph.CodeUnauthenticated}
		return &graphql.Response{Errors: gqlerror.List{err}}
	}
}

func introspectionOnly(oc *graphql.OperationContext) bool {
	if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return false
	}
	for _, sel := range oc.Operation.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok || !strings.HasPrefix(f.Name, "__") {
			return false
		}
	}
	return true
}
