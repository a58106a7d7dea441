package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

func TestErrorPresenter(t *testing.T) {
	var logs bytes.Buffer
	present := ErrorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := auth.WithRequestID(context.Background(), "req123")
	tests := []struct {
		err      error
		code     string
		message  string
		field    any
		internal bool
	}{
		{&shipment.FieldError{Field: "orderId", Message: "is required"}, CodeBadUserInput, "orderId: is required", "orderId", false},
		{fmt.Errorf("shipment: %w", store.ErrNotFound), CodeNotFound, "not found", nil, false},
		{ErrUnauthenticated, CodeUnauthenticated, ErrUnauthenticated.Error(), nil, false},
		{errors.New(`pq: relation "shipments" does not exist`), CodeInternal, "internal error (request req123)", nil, true},
	}
	for _, tt := range tests {
		logs.Reset()
		got := present(ctx, tt.err)
		if got.Extensions["code"] != tt.code || got.Message != tt.message || got.Extensions["field"] != tt.field {
			t.Errorf("present(%v) = %q %v, want %q %s field %v", tt.err, got.Message, got.Extensions, tt.message, tt.code, tt.field)
		}
		if logged := strings.Contains(logs.String(), "req123"); logged != tt.internal {
			t.Errorf("present(%v) logged = %v, want %v: %s", tt.err, logged, tt.internal, logs.String())
		}
	}
}
