package server

import (
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/config"
)

func TestLimitersAllow(t *testing.T) {
	l := newLimiters(config.Rate{PerSecond: 1, Burst: 2})
	now := time.Unix(1_000_000, 0)
	for i := range 2 {
		if ok, _ := l.allow("a", now); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("a", now)
	if ok || wait <= 0 || wait > time.Second {
		t.Errorf("third request = %v, wait %v; want refused, a token within 1s", ok, wait)
	}
	if empty, _ := l.empty("a", now); !empty {
		t.Errorf("empty(a) = false after the burst")
	}
	if ok, _ := l.allow("b", now); !ok {
		t.Errorf("another key refused")
	}
	if ok, _ := l.allow("a", now.Add(time.Second)); !ok {
		t.Errorf("a refused after a second's refill")
	}
	if newLimiters(config.Rate{PerSecond: 0, Burst: 5}) != nil || newLimiters(config.Rate{PerSecond: 5}) != nil {
		t.Errorf("a zero rate or burst limits")
	}
	var off *limiters
	if ok, _ := off.allow("x", now); !ok {
		t.Errorf("nil limiters refused")
	}
}

// Memory stays bounded under any number of addresses: idle entries go,
// and the table never holds more than maxLimiterEntries.
func TestLimitersBounded(t *testing.T) {
	l := newLimiters(config.Rate{PerSecond: 10, Burst: 10})
	now := time.Unix(1_000_000, 0)
	for i := range 1000 {
		l.allow("10.0.0."+strconv.Itoa(i), now)
	}
	if n := l.size(); n != 1000 {
		t.Fatalf("size = %d, want 1000", n)
	}
	l.allow("late", now.Add(l.idle+time.Second))
	if n := l.size(); n != 1 {
		t.Errorf("size after the idle period = %d, want 1: idle entries kept", n)
	}
	for i := range maxLimiterEntries + 5000 {
		l.allow(strconv.Itoa(i), now.Add(l.idle+2*time.Second))
	}
	if n := l.size(); n > maxLimiterEntries {
		t.Errorf("size = %d, above the bound %d", n, maxLimiterEntries)
	}
}

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tc := range []struct {
		remote, xff string
		trusted     []netip.Prefix
		want        string
	}{
		{"192.0.2.1:5000", "203.0.113.9", nil, "192.0.2.1"},
		{"192.0.2.1:5000", "203.0.113.9", trusted, "192.0.2.1"},
		{"10.1.1.1:5000", "203.0.113.9", trusted, "203.0.113.9"},
		{"10.1.1.1:5000", "198.51.100.1, 203.0.113.9, 10.2.2.2", trusted, "203.0.113.9"},
		{"10.1.1.1:5000", "garbage, 10.2.2.2", trusted, "10.2.2.2"},
		{"10.1.1.1:5000", "", trusted, "10.1.1.1"},
		{"[::ffff:192.0.2.1]:5000", "", nil, "192.0.2.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := clientAddr(r, tc.trusted); got.String() != tc.want {
			t.Errorf("clientAddr(%s, XFF %q) = %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
	rl := &rateLimits{}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "[2001:db8:1:2:3:4:5:6]:443"
	if got := rl.clientKey(r); got != "2001:db8:1:2::/64" {
		t.Errorf("clientKey(IPv6) = %s, want its /64", got)
	}
}

// BenchmarkLimiterAllow times what a rate limit adds to one request: a
// token taken from the bucket of one of 10,000 client addresses. The
// baseline, in the same run, is reading the client's address from the
// request, which every request does anyway. docs/security.md compares
// both with the server CPU a webhook costs (make loadtest).
func BenchmarkLimiterAllow(b *testing.B) {
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	b.Run("allow", func(b *testing.B) {
		l := newLimiters(config.Rate{PerSecond: 1e6, Burst: 1e6})
		now := time.Unix(1_000_000, 0)
		i := 0
		for b.Loop() {
			l.allow(keys[i%len(keys)], now)
			i++
		}
	})
	b.Run("baseline=client-address", func(b *testing.B) {
		r := httptest.NewRequest("POST", "/webhooks/x", nil)
		i := 0
		for b.Loop() {
			r.RemoteAddr = keys[i%len(keys)] + ":443"
			clientAddr(r, nil)
			i++
		}
	})
}
