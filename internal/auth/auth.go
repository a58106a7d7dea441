// Package auth carries the authenticated seller and the request id through
// a request's context, and reads API keys from requests.
package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"

	"github.com/shipwatch/shipwatch/internal/store"
)

type ctxKey int

const (
	sellerKey ctxKey = iota
	requestIDKey
	keyPrefixKey
)

// WithKeyPrefix returns ctx carrying the public prefix of the API key the
// request authenticated with: rate limits and revocation name the key by
// it.
func WithKeyPrefix(ctx context.Context, prefix string) context.Context {
	return context.WithValue(ctx, keyPrefixKey, prefix)
}

// KeyPrefixFrom returns the prefix of the request's API key, if any.
func KeyPrefixFrom(ctx context.Context) (string, bool) {
	p, ok := ctx.Value(keyPrefixKey).(string)
	return p, ok && p != ""
}

// WithSeller returns ctx carrying the authenticated seller.
func WithSeller(ctx context.Context, s store.Seller) context.Context {
	return context.WithValue(ctx, sellerKey, s)
}

// SellerFrom returns the authenticated seller, if any.
func SellerFrom(ctx context.Context) (store.Seller, bool) {
	s, ok := ctx.Value(sellerKey).(store.Seller)
	return s, ok
}

// WithRequestID returns ctx carrying a request id for logs and errors.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id, or "" outside a request.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// NewRequestID returns a random request id.
func NewRequestID() string {
	var b [8]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand does not fail on supported platforms
	return hex.EncodeToString(b[:])
}

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header value, or "" when it has another form.
func BearerToken(header string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
