package netguard_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/netguard"
)

// fakeResolver answers from a table, as a hostile DNS server would.
type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

// refused are endpoints of every address class the guard must refuse, as
// literals.
var refused = []string{
	"http://127.0.0.1:5432/",                   // loopback, the database's port
	"http://127.1.2.3/",                        // loopback, anywhere in 127/8
	"http://[::1]:8080/metrics",                // IPv6 loopback, the server's own /metrics
	"http://10.0.0.5:5432/",                    // RFC 1918
	"http://172.16.0.1/",                       // RFC 1918
	"http://172.31.255.255/",                   // RFC 1918, end of range
	"http://192.168.1.1/",                      // RFC 1918
	"http://[fd00::1]/",                        // RFC 4193 unique local
	"http://[fd00:ec2::254]/latest/meta-data/", // AWS metadata over IPv6
	"http://169.254.169.254/latest/meta-data/", // cloud metadata
	"http://[fe80::1]/",                        // IPv6 link-local
	"http://224.0.0.1/",                        // multicast
	"http://[ff02::1]/",                        // IPv6 multicast
	"http://0.0.0.0/",                          // unspecified
	"http://[::]/",                             // IPv6 unspecified
	"http://100.64.0.1/",                       // CGNAT
	"http://100.100.100.200/",                  // Alibaba metadata, in CGNAT
	"http://[::ffff:127.0.0.1]/",               // IPv4-mapped loopback
	"http://[::ffff:169.254.169.254]/",         // IPv4-mapped metadata
	"http://[::ffff:10.0.0.1]/",                // IPv4-mapped private
	"http://[64:ff9b::a00:1]/",                 // NAT64 of 10.0.0.1
	"http://[2002:7f00:1::]/",                  // 6to4 of 127.0.0.1
	"http://255.255.255.255/",                  // broadcast
}

func TestCheckURLRefusesEveryClass(t *testing.T) {
	g := netguard.New(nil, fakeResolver{})
	for _, raw := range refused {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.CheckURL(context.Background(), u); err == nil {
			t.Errorf("CheckURL(%q) = nil, want refused", raw)
		}
	}
	for _, raw := range []string{"https://93.184.215.14/hook", "https://[2606:4700::1111]/", "https://hooks.example/x"} {
		u, _ := url.Parse(raw)
		if err := g.CheckURL(context.Background(), u); err != nil {
			t.Errorf("CheckURL(%q) = %v, want nil", raw, err)
		}
	}
}

func TestCheckURLResolvesNames(t *testing.T) {
	g := netguard.New(nil, fakeResolver{
		"localhost.shop.example": addrs("127.0.0.1"),
		"mixed.shop.example":     addrs("93.184.215.14", "10.1.2.3"),
		"meta.shop.example":      addrs("::ffff:169.254.169.254"),
		"ok.shop.example":        addrs("93.184.215.14"),
	})
	for host, want := range map[string]bool{
		"localhost.shop.example": false, "mixed.shop.example": false, "meta.shop.example": false,
		"ok.shop.example": true, "unknown.shop.example": true, // checked again when dialed
	} {
		err := g.CheckURL(context.Background(), &url.URL{Scheme: "https", Host: host})
		if (err == nil) != want {
			t.Errorf("CheckURL(%s) = %v, want allowed %v", host, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("CheckURL(%s) = %q names the address", host, err)
		}
	}
}

func TestAllowedCIDRs(t *testing.T) {
	g := netguard.New([]netip.Prefix{netip.MustParsePrefix("10.20.0.0/16"), netip.MustParsePrefix("::1/128")}, nil)
	for addr, want := range map[string]bool{
		"10.20.3.4": true, "::ffff:10.20.3.4": true, "::1": true,
		"10.21.0.1": false, "127.0.0.1": false, "169.254.169.254": false, "8.8.8.8": true,
	} {
		if got := g.Allowed(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Allowed(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestDialRefusesRebinding serves on loopback and reaches it through a
// name that resolves to loopback (a name that was public when the endpoint
// was set): the dial is refused on the address dialed unless the operator
// allowed loopback.
func TestDialRefusesRebinding(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	resolver := fakeResolver{"rebind.shop.example": addrs("127.0.0.1")}
	target := "http://rebind.shop.example:" + port + "/"

	client := jobs.NewNotifyClient(netguard.New(nil, resolver))
	resp, err := client.Post(target, "application/json", nil)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("POST %s through a name resolving to loopback: %s, want refused", target, resp.Status)
	}
	if !errors.Is(err, netguard.ErrForbidden) {
		t.Errorf("POST %s = %v, want ErrForbidden", target, err)
	}

	allowed := jobs.NewNotifyClient(netguard.New([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, resolver))
	resp, err = allowed.Post(target, "application/json", nil)
	if err != nil {
		t.Fatalf("POST %s with loopback allowed: %v", target, err)
	}
	resp.Body.Close()
}

// TestDialControlChecksTheDialedAddress dials a literal loopback address
// with a dialer whose own resolution is bypassed: the check still runs on
// the socket's address.
func TestDialControlChecksTheDialedAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	g := netguard.New(nil, fakeResolver{})
	conn, err := g.DialContext(context.Background(), "tcp", ln.Addr().String())
	if err == nil {
		conn.Close()
		t.Fatalf("DialContext(%s) connected, want refused", ln.Addr())
	}
	if !errors.Is(err, netguard.ErrForbidden) {
		t.Errorf("DialContext(%s) = %v, want ErrForbidden", ln.Addr(), err)
	}
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range append(refused, "https://hooks.example/x", "http://[::1%25eth0]/", "http://0x7f.1/") {
		f.Add(s)
	}
	g := netguard.New(nil, fakeResolver{})
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil {
			return
		}
		err = g.CheckURL(context.Background(), u)
		if a, perr := netip.ParseAddr(u.Hostname()); perr == nil && !g.Allowed(a) && err == nil {
			t.Errorf("CheckURL(%q) = nil for refused address %s", raw, a)
		}
	})
}
