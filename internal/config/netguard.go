package config

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// NetGuard is what keeps the server from being used against the
// operator's network or worn down by one client.
type NetGuard struct {
	// NotifyAllowCIDRs are private or reserved ranges notification
	// endpoints may nevertheless point to (a receiver on the same host or
	// LAN). Empty: only public addresses.
	NotifyAllowCIDRs []netip.Prefix
	// RateAddress bounds unauthenticated requests (and failed keys) per
	// client address, RateKey requests per API key, RateWebhook webhook
	// deliveries per tracking source. A zero Rate is no limit.
	RateAddress, RateKey, RateWebhook Rate
	// TrustedProxies are the proxies whose X-Forwarded-For is believed
	// when finding a client's address. Empty: the peer address is the
	// client's and X-Forwarded-For is ignored.
	TrustedProxies []netip.Prefix
}

// Rate is Count requests per Per: a client may send Count at once, then
// Count per Per on average (a token bucket of Count tokens).
type Rate struct {
	Count int
	Per   time.Duration
}

// String writes the rate as it is configured, such as 100/s.
func (r Rate) String() string {
	if r.Count == 0 {
		return "off"
	}
	unit := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[r.Per]
	return strconv.Itoa(r.Count) + "/" + unit
}

func defaultNetGuard() NetGuard {
	return NetGuard{
		RateAddress: Rate{Count: 30, Per: time.Second},
		RateKey:     Rate{Count: 100, Per: time.Second},
		// Well above what one source sends in the load test (about
		// 1,700/s): a bound on abuse, not on a busy provider.
		RateWebhook: Rate{Count: 5000, Per: time.Second},
	}
}

func (r *reader) netGuard(def NetGuard) NetGuard {
	g := def
	g.NotifyAllowCIDRs = r.cidrs("SHIPWATCH_NOTIFY_ALLOW_CIDRS")
	g.TrustedProxies = r.cidrs("SHIPWATCH_TRUSTED_PROXIES")
	g.RateAddress = r.rate("SHIPWATCH_RATE_ADDRESS", def.RateAddress)
	g.RateKey = r.rate("SHIPWATCH_RATE_KEY", def.RateKey)
	g.RateWebhook = r.rate("SHIPWATCH_RATE_WEBHOOK", def.RateWebhook)
	return g
}

// cidrs reads a comma-separated list of CIDR ranges; a bare address is a
// range of one.
func (r *reader) cidrs(name string) []netip.Prefix {
	v := r.str(name, "")
	if v == "" {
		return nil
	}
	var out []netip.Prefix
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				r.fail(name, v, "comma-separated CIDR ranges such as 10.0.0.0/8,fd00::/8 ("+strconv.Quote(part)+" is not one)")
				return nil
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}

// rate reads COUNT/UNIT (unit s, m or h), or off.
func (r *reader) rate(name string, def Rate) Rate {
	v := strings.ToLower(r.str(name, ""))
	if v == "" {
		return def
	}
	if v == "off" {
		return Rate{}
	}
	num, unit, ok := strings.Cut(v, "/")
	per, known := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[strings.TrimSpace(unit)]
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if !ok || !known || err != nil || n < 1 || n > 1_000_000 {
		r.fail(name, v, "requests per unit such as 100/s, 600/m or 5000/h (at most 1000000), or off")
		return def
	}
	return Rate{Count: n, Per: per}
}
