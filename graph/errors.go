package graph

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// Error codes in extensions.code.
const (
	CodeBadUserInput    = "BAD_USER_INPUT"
	CodeNotFound        = "NOT_FOUND"
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeInternal        = "INTERNAL"
)

// ErrUnauthenticated is returned when no valid API key came with the request.
var ErrUnauthenticated = errors.New("a valid API key is required: send Authorization: Bearer <api_key>")

// badInput returns a BAD_USER_INPUT error naming the field.
func badInput(field, message string) error {
	return &shipment.FieldError{Field: field, Message: message}
}

// Code returns the extensions.code an error is presented with.
func Code(err error) string {
	var fe *shipment.FieldError
	var se *model.ScalarError
	switch {
	case errors.As(err, &fe), errors.As(err, &se), errors.Is(err, store.ErrBadCursor):
		return CodeBadUserInput
	case errors.Is(err, store.ErrNotFound):
		return CodeNotFound
	case errors.Is(err, ErrUnauthenticated):
		return CodeUnauthenticated
	}
	return CodeInternal
}

// ErrorPresenter returns the one error presenter of the API: known errors
// become clear messages with a code; anything else is logged with the
// request id and answered as an internal error, so no database or Go error
// text ever reaches a client.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			// Parse and validation errors from gqlgen itself, which may
			// repeat a value of the request (an unknown enum value).
			gqlErr.Message = clip.Text(gqlErr.Message)
			return gqlErr
		}
		out := graphql.DefaultErrorPresenter(ctx, err)
		if out.Extensions == nil {
			out.Extensions = map[string]any{}
		}
		code := Code(err)
		out.Extensions["code"] = code
		var fe *shipment.FieldError
		var se *model.ScalarError
		switch {
		case errors.As(err, &fe):
			out.Message = fe.Field + ": " + fe.Message
			out.Extensions["field"] = fe.Field
		case errors.As(err, &se):
			field := pathField(out.Path)
			out.Message = field + ": " + se.Message
			out.Extensions["field"] = field
		case errors.Is(err, store.ErrBadCursor):
			out.Message = "after: not a cursor from this API"
			out.Extensions["field"] = "after"
		case code == CodeNotFound:
			out.Message = "not found"
		case code == CodeUnauthenticated:
			out.Message = ErrUnauthenticated.Error()
		default:
			id := auth.RequestID(ctx)
			log.ErrorContext(ctx, "graphql resolver failed", "request_id", id, "path", out.Path.String(), "err", err)
			out.Message = "internal error (request " + id + ")"
			out.Extensions["request_id"] = id
		}
		return out
	}
}

// pathField names the input field of an argument error from its path: the
// last named element.
func pathField(p ast.Path) string {
	for i := len(p) - 1; i >= 0; i-- {
		if name, ok := p[i].(ast.PathName); ok {
			return string(name)
		}
	}
	return "input"
}
