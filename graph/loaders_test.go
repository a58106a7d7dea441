package graph

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// TestBatcherOneFetchPerBatch checks that keys loaded at the same time are
// fetched together, once each, and that nothing is cached afterwards.
func TestBatcherOneFetchPerBatch(t *testing.T) {
	var fetches atomic.Int32
	var mu sync.Mutex
	var sizes []int
	b := &batcher[int, int]{max: 100, fetch: func(_ context.Context, keys []int) (map[int]int, error) {
		fetches.Add(1)
		mu.Lock()
		sizes = append(sizes, len(keys))
		mu.Unlock()
		out := map[int]int{}
		for _, k := range keys {
			if k%10 != 0 {
				out[k] = k * 2
			}
		}
		return out, nil
	}}
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 250 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, ok, err := b.load(ctx, i%150)
			if err != nil || ok != (i%10 != 0) || (ok && v != (i%150)*2) {
				t.Errorf("load(%d) = %d, %v, %v", i%150, v, ok, err)
			}
		}()
	}
	wg.Wait()
	if n := fetches.Load(); n > 4 {
		t.Errorf("%d fetches for 150 distinct keys loaded at once (batch sizes %v), want at most a few", n, sizes)
	}
	before := fetches.Load()
	if _, _, err := b.load(ctx, 1); err != nil || fetches.Load() != before+1 {
		t.Errorf("a later load did not fetch again: loaders must not cache")
	}
}
