package track17

import (
	"context"
	"sync"
	"testing"
	"time"
)

// virtualClock is a clock whose sleeps return at once, moving time on to
// the sleeper's wake-up: the limiter is tested without wall time.
type virtualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) Sleep(_ context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}

// maxInWindow is the most starts within any window-long span.
func maxInWindow(starts []time.Time, window time.Duration) int {
	most := 0
	for i := range starts {
		n := 0
		for _, s := range starts {
			if !s.Before(starts[i]) && s.Sub(starts[i]) < window {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// Eight workers sharing one limiter start at most 3 calls a second on one
// key, and a second key is not held back by the first.
func TestLimiterAcrossWorkers(t *testing.T) {
	clock := &virtualClock{now: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	l := NewLimiterClock(3, time.Second, clock.Now, clock.Sleep)
	var (
		mu     sync.Mutex
		starts = map[string][]time.Time{}
		wg     sync.WaitGroup
	)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 6; i++ {
				key := "key-a"
				if i%3 == 2 {
					key = "key-b"
				}
				if err := l.Wait(context.Background(), key); err != nil {
					t.Error(err)
					return
				}
				at := clock.Now()
				mu.Lock()
				starts[key] = append(starts[key], at)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for key, s := range starts {
		if got := maxInWindow(s, time.Second); got > 3 {
			t.Errorf("key %s: %d calls within one second, want at most 3", key, got)
		}
	}
	if len(starts["key-a"]) != 32 || len(starts["key-b"]) != 16 {
		t.Errorf("calls = %d on key-a, %d on key-b; want 32 and 16", len(starts["key-a"]), len(starts["key-b"]))
	}
}

// A lone caller waits exactly until the oldest of the last three calls is
// a window old.
func TestLimiterWaits(t *testing.T) {
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clock := &virtualClock{now: start}
	l := NewLimiterClock(3, time.Second, clock.Now, clock.Sleep)
	var got []time.Duration
	for i := 0; i < 7; i++ {
		if err := l.Wait(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
		got = append(got, clock.Now().Sub(start))
	}
	want := []time.Duration{0, 0, 0, time.Second, time.Second, time.Second, 2 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("call %d started at +%s, want +%s", i, got[i], want[i])
		}
	}
}

func TestLimiterCancelled(t *testing.T) {
	l := NewLimiter()
	for i := 0; i < 3; i++ {
		if err := l.Wait(context.Background(), "k"); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Wait(ctx, "k"); err == nil {
		t.Error("Wait(cancelled) = nil, want the context's error")
	}
}
