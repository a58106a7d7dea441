package track17

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// RequestsPerSecond is 17TRACK's documented rate for one account key.
const RequestsPerSecond = 3

// Limiter keeps each account key to at most n requests in any window:
// a sliding window of the last n start times per key. One Limiter is
// shared by every worker of a process, so the limit holds across workers;
// replicas do not share it (docs/events.md says what then happens).
type Limiter struct {
	n      int
	window time.Duration
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error

	mu    sync.Mutex
	calls map[[32]byte][]time.Time
}

// NewLimiter returns a limiter of RequestsPerSecond per second on the
// real clock.
func NewLimiter() *Limiter {
	return NewLimiterClock(RequestsPerSecond, time.Second, time.Now, sleepCtx)
}

// NewLimiterClock returns a limiter of n requests per window on the given
// clock; tests pass a fake one.
func NewLimiterClock(n int, window time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *Limiter {
	return &Limiter{n: n, window: window, now: now, sleep: sleep, calls: map[[32]byte][]time.Time{}}
}

// Wait blocks until a request with key may start, and counts it as
// started. Keys are held as digests, never as themselves.
func (l *Limiter) Wait(ctx context.Context, key string) error {
	k := sha256.Sum256([]byte(key))
	for {
		d := l.reserve(k)
		if d <= 0 {
			return nil
		}
		if err := l.sleep(ctx, d); err != nil {
			return err
		}
	}
}

// reserve records a start now and returns 0, or returns how long to wait.
func (l *Limiter) reserve(k [32]byte) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	starts := l.calls[k]
	for len(starts) > 0 && !starts[0].Add(l.window).After(now) {
		starts = starts[1:]
	}
	if len(starts) < l.n {
		l.calls[k] = append(starts, now)
		return 0
	}
	l.calls[k] = starts
	return starts[0].Add(l.window).Sub(now)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
