package app_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/keyring"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/netguard"
)

// strict runs the server as it runs by default: no private range allowed
// to notification endpoints.
func strict(c *config.Config) { c.NotifyAllowCIDRs = nil }

// TestNotificationEndpointSSRF tries, as a seller, to point notifications
// at the operator's network: the cloud metadata service, the database's
// port, the server's own /metrics, and their IPv6 and IPv4-mapped forms.
// Each is refused with BAD_USER_INPUT on the url field.
func TestNotificationEndpointSSRF(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, strict)
	_, key := env.Seller(t, "Mallory")
	for _, u := range []string{
		"http://169.254.169.254/latest/meta-data/iam/security-credentials/",
		"http://127.0.0.1:5432/",
		env.URL + "/metrics",
		"http://[::1]:5432/",
		"http://[::ffff:127.0.0.1]:5432/",
		"http://[::ffff:a9fe:a9fe]/latest/meta-data/",
		"http://10.0.0.5:5432/",
		"http://[fd00:ec2::254]/",
		"http://100.100.100.200/",
		"http://0.0.0.0:8080/",
		"http://localhost:5432/",
	} {
		r := env.GraphQL(t, key, `mutation($url: String!) { setNotificationEndpoint(url: $url) { secret } }`, map[string]any{"url": u})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "url" {
			t.Errorf("setNotificationEndpoint(%s) errors = %+v, want BAD_USER_INPUT on url", u, r.Errors)
		}
	}
	if r := env.GraphQL(t, key, `{ notificationEndpoint { url } }`, nil); len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Errorf("notificationEndpoint after refusals: %+v, want NOT_FOUND (nothing stored)", r.Errors)
	}
}

// TestNotificationDialRefused stores an endpoint that points to loopback
// as if its name had resolved to a public address when it was set (DNS
// rebinding): the delivery refuses the dial on the address it resolves
// to, the receiver hears nothing, and the seller reads a generic reason.
func TestNotificationDialRefused(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, strict, func(c *config.Config) { c.NotifyRetrySchedule = []time.Duration{50 * time.Millisecond} })
	sellerID, key := env.Seller(t, "Mallory")
	rcv := newReceiver(t)
	k, err := keyring.Parse(apptest.TestSecretKey)
	if err != nil {
		t.Fatal(err)
	}
	everything := netguard.New([]netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}, nil)
	permissive := monitor.New(env.App.Store, env.App.River, monitor.WithSecretKey(k), monitor.WithEndpointGuard(everything))
	if _, _, err := permissive.SetNotificationEndpoint(context.Background(), sellerID, rcv.srv.URL); err != nil {
		t.Fatal(err)
	}
	create(t, env, key, map[string]any{"orderId": "S-1", "trackingNumber": "1Z999AA10123456785"})
	var ds []deliveryJSON
	apptest.Eventually(t, 15*time.Second, "the delivery to fail", func() bool {
		ds = deliveries(t, env, key)
		return len(ds) == 1 && ds[0].State == "FAILED"
	})
	if n := len(rcv.payloads()) + rcv.badSignatures(); n != 0 {
		t.Errorf("the loopback receiver got %d requests, want 0", n)
	}
	for _, a := range ds[0].Attempts {
		if a.StatusCode != nil || a.Error == nil || !strings.Contains(*a.Error, "private or reserved network") {
			t.Errorf("attempt = %+v, want refused as a private or reserved network", a)
		}
		if a.Error != nil && strings.Contains(*a.Error, "127.0.0.1") {
			t.Errorf("attempt error %q names the operator's address", *a.Error)
		}
	}
}

// TestNotificationErrorsSanitised delivers to a closed port on an allowed
// range: the seller learns that the endpoint could not be reached, not
// the address, the port or the socket error (which tell open ports from
// closed ones).
func TestNotificationErrorsSanitised(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) { c.NotifyRetrySchedule = []time.Duration{50 * time.Millisecond} })
	_, key := env.Seller(t, "Acme")
	env.MustGraphQL(t, key, `mutation { setNotificationEndpoint(url: "http://127.0.0.1:1/hook") { secret } }`, nil, nil)
	create(t, env, key, map[string]any{"orderId": "S-2", "trackingNumber": "1Z999AA10123456785"})
	var ds []deliveryJSON
	apptest.Eventually(t, 15*time.Second, "the delivery to fail", func() bool {
		ds = deliveries(t, env, key)
		return len(ds) == 1 && ds[0].State == "FAILED"
	})
	for _, a := range ds[0].Attempts {
		if a.Error == nil || *a.Error != "the endpoint could not be reached" {
			t.Errorf("attempt error = %v, want \"the endpoint could not be reached\"", a.Error)
		}
	}
}
