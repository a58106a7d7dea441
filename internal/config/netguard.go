package config

import (
	"net/netip"
	"strings"

	"github.com/shipwatch/shipwatch/internal/clip"
)

// NetGuard is what keeps the server from being used against the
// operator's network.
type NetGuard struct {
	// NotifyAllowCIDRs are private or reserved ranges notification
	// endpoints may nevertheless point to (a receiver on the same host or
	// LAN). Empty: only public addresses.
	NotifyAllowCIDRs []netip.Prefix
	// CarrierAllowCIDRs are private or reserved ranges a carrier account's
	// CUSTOM base URL may point to (a proxy on the LAN; 127.0.0.0/8 for a
	// fake carrier in tests and demos). Empty: only public addresses.
	CarrierAllowCIDRs []netip.Prefix
}

func defaultNetGuard() NetGuard { return NetGuard{} }

func (r *reader) netGuard(def NetGuard) NetGuard {
	g := def
	g.NotifyAllowCIDRs = r.cidrs("SHIPWATCH_NOTIFY_ALLOW_CIDRS")
	g.CarrierAllowCIDRs = r.cidrs("SHIPWATCH_CARRIER_ALLOW_CIDRS")
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
				want := "comma-separated CIDR ranges such as 10.0.0.0/8,fd00::/8"
				if part != v {
					want += " (" + clip.Quote(part) + " is not one)"
				}
				r.fail(name, v, want)
				return nil
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}
