package server

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// Cache sizes. A parsed and validated document takes about 12 times its
// query's bytes (2.7 MB for a 226 KB inline batch of 1,000 shipments), so
// a cache of 1,000 documents of any size a seller may send (1 MiB) could
// hold 12 GB. Only queries up to maxCachedQueryBytes are kept, which every
// ordinary query is (the playground's introspection query is 2 KB): a
// larger one is parsed again each time, in linear time. Persisted queries
// are kept up to maxPersistedQueryBytes, 6.4 MB for the 100 entries.
const (
	cachedQueries          = 1000
	maxCachedQueryBytes    = 8 << 10
	persistedQueries       = 100
	maxPersistedQueryBytes = 64 << 10
)

// boundedCache is a gqlgen cache that keeps only entries whose size is at
// most max: a query too large to keep is simply not found next time.
type boundedCache[T any] struct {
	graphql.Cache[T]
	size func(key string, value T) int
	max  int
}

// Add implements graphql.Cache.
func (c boundedCache[T]) Add(ctx context.Context, key string, value T) {
	if c.size(key, value) <= c.max {
		c.Cache.Add(ctx, key, value)
	}
}
