package server

import (
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/shipwatch/shipwatch/internal/config"
)

// maxLimiterEntries bounds each limiter's memory whatever the number of
// addresses or keys seen: at the bound, an entry is dropped to make room
// (the client it belonged to starts again with a full burst).
const maxLimiterEntries = 1 << 16

// limiters is a token bucket per key (an address, an API key, a webhook
// source and address). Entries idle long enough for their bucket to be
// full again are dropped: forgetting them changes nothing.
type limiters struct {
	limit rate.Limit
	burst int
	idle  time.Duration

	mu        sync.Mutex
	entries   map[string]*limiterEntry
	lastSweep time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

// newLimiters returns the limiters of r, or nil (no limit) when r is off.
func newLimiters(r config.Rate) *limiters {
	if r.Off() {
		return nil
	}
	refill := time.Duration(float64(r.Burst) / r.PerSecond * float64(time.Second))
	if refill <= 0 || refill > 24*time.Hour { // overflowed, or absurdly slow
		refill = 24 * time.Hour
	}
	return &limiters{limit: rate.Limit(r.PerSecond), burst: r.Burst, idle: refill + time.Minute,
		entries: map[string]*limiterEntry{}}
}

// entry returns key's bucket, dropping idle ones first when due. The
// caller holds mu.
func (l *limiters) entry(key string, now time.Time) *limiterEntry {
	if now.Sub(l.lastSweep) > l.idle {
		for k, e := range l.entries {
			if now.Sub(e.seen) > l.idle {
				delete(l.entries, k)
			}
		}
		l.lastSweep = now
	}
	e, ok := l.entries[key]
	if !ok {
		if len(l.entries) >= maxLimiterEntries {
			for k := range l.entries { // any one: map order is random
				delete(l.entries, k)
				break
			}
		}
		e = &limiterEntry{lim: rate.NewLimiter(l.limit, l.burst)}
		l.entries[key] = e
	}
	e.seen = now
	return e
}

// allow takes a token from key's bucket, or says how long until one is
// there. A nil *limiters allows everything.
func (l *limiters) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.entry(key, now).lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// empty reports, without taking a token, whether key's bucket is empty
// and how long until it is not.
func (l *limiters) empty(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return false, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[key]
	if !ok {
		return false, 0
	}
	if t := e.lim.TokensAt(now); t < 1 {
		return true, time.Duration((1 - t) / float64(l.limit) * float64(time.Second))
	}
	return false, 0
}

// size returns how many keys the limiters hold.
func (l *limiters) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// rateLimits are the server's three limits and what it needs to tell
// clients apart.
type rateLimits struct {
	address, key, webhook *limiters
	trusted               []netip.Prefix
	m                     *metrics
	now                   func() time.Time
}

func newRateLimits(c config.Limits, m *metrics) *rateLimits {
	return &rateLimits{address: newLimiters(c.RateAddress), key: newLimiters(c.RateKey),
		webhook: newLimiters(c.RateWebhook), trusted: c.TrustedProxies, m: m, now: time.Now}
}

// exempt are the operator's probes: load balancers and Prometheus poll
// them from a few addresses, and they cost next to nothing.
func exempt(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// refuse answers 429 with Retry-After in whole seconds, GraphQL-shaped on
// the GraphQL endpoint, and counts the refusal.
func (rl *rateLimits) refuse(w http.ResponseWriter, r *http.Request, reason string, wait time.Duration) {
	rl.m.refused.WithLabelValues(reason).Inc()
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	msg := "too many requests: retry after " + strconv.Itoa(secs) + "s"
	if r.URL.Path == "/graphql" {
		graphQLError(w, http.StatusTooManyRequests, "RATE_LIMITED", msg)
		return
	}
	writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": msg})
}

// clientKey is what the address limiter counts a request against: the
// client's IPv4 address, or its IPv6 /64 (one subscriber's usual share,
// which it could otherwise rotate through freely).
func (rl *rateLimits) clientKey(r *http.Request) string {
	a := clientAddr(r, rl.trusted)
	if !a.IsValid() {
		return r.RemoteAddr
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// clientAddr is the request's client: the connection's address, unless
// that is a trusted proxy, in which case X-Forwarded-For is read from the
// right, past every trusted proxy, to the first address that is not one.
// A client can write anything at the left of X-Forwarded-For; only what
// the trusted proxies appended is believed.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	a := ap.Addr().Unmap()
	if !inAny(a, trusted) {
		return a
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return a // the last trusted hop: what lies left of garbage is not believed
		}
		a = h.Unmap()
		if !inAny(a, trusted) {
			return a
		}
	}
	return a
}

func inAny(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
