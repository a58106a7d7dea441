package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shipwatch/shipwatch/internal/auth"
)

// CodeResponseTooLarge is the extensions.code of a response withheld for
// its size.
const CodeResponseTooLarge = "RESPONSE_TOO_LARGE"

// Response size limits, in bytes of the response's data. The full
// introspection of this schema is 138 KB (TestIntrospectionWithoutKey);
// the largest documented page, every list full (500 shipments with 20
// events and 10 flags each), is about 6 MB by estimate.
const (
	AnonymousResponseBytes = 1 << 20
	SellerResponseBytes    = 32 << 20
)

// ResponseLimit is a gqlgen extension that withholds a response whose data
// is larger than its limit (Anonymous without a seller, Seller with one)
// and answers RESPONSE_TOO_LARGE instead. It bounds what one request sends;
// the cost limit is what bounds the memory spent building a response.
type ResponseLimit struct {
	Anonymous, Seller int
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = ResponseLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (ResponseLimit) ExtensionName() string { return "ResponseLimit" }

// Validate implements graphql.HandlerExtension.
func (ResponseLimit) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse implements graphql.ResponseInterceptor.
func (l ResponseLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	limit := l.Anonymous
	if _, ok := auth.SellerFrom(ctx); ok {
		limit = l.Seller
	}
	if resp == nil || len(resp.Data) <= limit {
		return resp
	}
	err := gqlerror.Errorf("the response is %d bytes, above the limit of %d: ask for fewer fields or smaller pages", len(resp.Data), limit)
	err.Extensions = map[string]any{"code": CodeResponseTooLarge, "bytes": len(resp.Data), "limit": limit}
	return &graphql.Response{Errors: gqlerror.List{err}, Extensions: resp.Extensions}
}
