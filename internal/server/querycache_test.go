package server

import (
	"context"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler/lru"
)

func TestBoundedCache(t *testing.T) {
	ctx := context.Background()
	c := boundedCache[string]{Cache: lru.New[string](10), size: func(_, v string) int { return len(v) }, max: 8}
	c.Add(ctx, "small", strings.Repeat("x", 8))
	c.Add(ctx, "large", strings.Repeat("x", 9))
	if _, ok := c.Get(ctx, "small"); !ok {
		t.Errorf("Get(small) = not found, want the 8-byte entry kept (limit 8)")
	}
	if v, ok := c.Get(ctx, "large"); ok {
		t.Errorf("Get(large) = %d bytes, want the 9-byte entry not kept (limit 8)", len(v))
	}
}
