// Package netguard keeps the server's own outgoing requests (notification
// deliveries) away from the operator's network: loopback, private,
// link-local, multicast, CGNAT, unspecified and cloud-metadata addresses
// are refused when a seller sets an endpoint and again when a connection
// is dialed, on the address actually dialed, so a name that resolves to a
// public address at set time and to 127.0.0.1 later (DNS rebinding) gets
// nowhere. The operator may allow ranges explicitly
// (SHIPWATCH_NOTIFY_ALLOW_CIDRS), for a receiver on the same host or LAN.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// ErrForbidden is returned for an address the guard refuses.
var ErrForbidden = errors.New("address is in a private or reserved network")

// blocked are the ranges a seller may never reach unless the operator
// allows them. IPv4-mapped IPv6 addresses are unmapped before the check;
// NAT64 and 6to4 prefixes are refused whole, since they can carry any
// IPv4 address.
var blocked = mustPrefixes(
	"0.0.0.0/8",       // "this network", unspecified
	"10.0.0.0/8",      // RFC 1918
	"100.64.0.0/10",   // CGNAT (RFC 6598); also Alibaba's metadata 100.100.100.200
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local; AWS, GCP, Azure, OpenStack metadata 169.254.169.254
	"172.16.0.0/12",   // RFC 1918
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation
	"192.168.0.0/16",  // RFC 1918
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation
	"203.0.113.0/24",  // documentation
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, and the broadcast address
	"::/96",           // unspecified, loopback and IPv4-compatible addresses
	"::ffff:0:0/96",   // IPv4-mapped (only reached if unmapping is skipped)
	"64:ff9b::/96",    // NAT64
	"64:ff9b:1::/48",  // local NAT64
	"100::/64",        // discard
	"2001:db8::/32",   // documentation
	"2002::/16",       // 6to4
	"fc00::/7",        // unique local (RFC 4193); AWS metadata fd00:ec2::254
	"fe80::/10",       // link-local
	"fec0::/10",       // site-local (deprecated)
	"ff00::/8",        // multicast
)

func mustPrefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard decides which addresses outgoing requests may reach. The zero
// value is not usable: build one with New.
type Guard struct {
	allow    []netip.Prefix
	resolver Resolver
}

// New returns a guard that refuses the blocked ranges except those in
// allow, resolving names with r (net.DefaultResolver when nil).
func New(allow []netip.Prefix, r Resolver) *Guard {
	if r == nil {
		r = net.DefaultResolver
	}
	return &Guard{allow: allow, resolver: r}
}

// Allowed reports whether addr may be reached.
func (g *Guard) Allowed(addr netip.Addr) bool {
	addr = addr.WithZone("")
	for _, a := range []netip.Addr{addr, addr.Unmap()} {
		for _, p := range g.allow {
			if p.Contains(a) {
				return true
			}
		}
	}
	addr = addr.Unmap()
	if !addr.IsValid() {
		return false
	}
	for _, p := range blocked {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// URLError says why an endpoint URL is refused, in words a seller can act
// on without learning anything about the operator's network.
type URLError struct{ Reason string }

func (e *URLError) Error() string { return e.Reason }

// lookupTimeout bounds the name lookup done when an endpoint is set.
const lookupTimeout = 3 * time.Second

// CheckURL refuses a URL whose host is, or resolves to, an address the
// guard does not allow. A name that does not resolve now is accepted: the
// endpoint may not exist yet, and every dial is checked again anyway.
func (g *Guard) CheckURL(ctx context.Context, u *url.URL) error {
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil {
		if !g.Allowed(addr) {
			return &URLError{Reason: "must not point to a loopback, private, link-local, multicast or metadata address"}
		}
		return nil
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return &URLError{Reason: "has an invalid port"}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if !g.Allowed(a) {
			return &URLError{Reason: "names a host that resolves to a loopback, private, link-local, multicast or metadata address"}
		}
	}
	return nil
}

// DialError is a dial the guard refused; it names the address for the
// operator's log, never for the seller.
type DialError struct{ Addr string }

func (e *DialError) Error() string { return "dial " + e.Addr + ": " + ErrForbidden.Error() }

func (e *DialError) Unwrap() error { return ErrForbidden }

// control is a net.Dialer Control: it runs on the address actually being
// dialed, after resolution, so it holds whatever the name resolved to.
func (g *Guard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &DialError{Addr: address}
	}
	if !g.Allowed(ap.Addr()) {
		return &DialError{Addr: address}
	}
	return nil
}

// DialContext resolves addr's host with the guard's resolver and dials
// the first allowed address that answers; every dial also passes the
// Control check on the address dialed.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else if ips, err = g.resolver.LookupNetIP(ctx, "ip", host); err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: g.control}
	var errs []error
	for _, ip := range ips {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("dial %s: no address", host)
	}
	return nil, errors.Join(errs...)
}
