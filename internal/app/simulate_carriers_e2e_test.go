package app_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/ingest/ingesttest"
	"github.com/shipwatch/shipwatch/internal/simulate"
)

// The simulator plays lives through fake UPS and FedEx APIs; the server
// polls them with the carrier accounts the simulator adds, and the lives
// land as UPS and FEDEX events. The accounts are gone afterwards.
func TestSimulatorThroughFakeCarriers(t *testing.T) {
	env := apptest.Start(t, func(c *config.Config) {
		c.CarrierAllowCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		c.CarrierPollInterval = time.Second
	})
	sellerID, key := env.Seller(t, "Simulated")
	var shipments []map[string]any
	for i := range 10 {
		b := fmt.Sprintf("999AA1010%06d", i)
		ups := "1Z" + b + string(ingesttest.UPSCheckDigit(b))
		f := fmt.Sprintf("72%09d", i)
		fedex := f + string(ingesttest.FedExCheckDigit(f))
		shipments = append(shipments,
			map[string]any{"orderId": fmt.Sprintf("U-%d", i), "carrier": "ups", "trackingNumber": ups, "shippedAt": "2026-11-02T15:00:00Z"},
			map[string]any{"orderId": fmt.Sprintf("F-%d", i), "carrier": "fedex", "trackingNumber": fedex, "shippedAt": "2026-11-02T15:00:00Z"})
	}
	env.MustGraphQL(t, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { created } }`,
		map[string]any{"in": shipments}, nil)
	stats, err := simulate.Run(context.Background(), simulate.Options{BaseURL: env.URL, APIKey: key,
		Provider: simulate.ProviderCarriers, Rate: 1, Mix: simulate.Mix{simulate.OutcomeDelivered: 1}, Seed: 3,
		Duration: time.Minute})
	if err != nil || stats.Shipments != 20 || stats.Sent == 0 {
		t.Fatalf("Run() = %+v, %v; want 20 shipments polled", stats, err)
	}
	// The last answers may still be recording when the simulator returns.
	apptest.Eventually(t, 10*time.Second, "the polled lives recorded", func() bool {
		return count(t, env, `SELECT count(*) FROM shipments WHERE seller_id = $1 AND status = 'DELIVERED'`, sellerID) == 20
	})
	for _, src := range []string{"UPS", "FEDEX"} {
		if n := count(t, env, `SELECT count(DISTINCT normalized_tracking_number) FROM tracking_events WHERE seller_id = $1 AND source = $2`, sellerID, src); n != 10 {
			t.Errorf("%d numbers have %s events, want 10", n, src)
		}
	}
	if n := count(t, env, `SELECT count(*) FROM carrier_accounts WHERE seller_id = $1 AND deleted_at IS NULL`, sellerID); n != 0 {
		t.Errorf("%d carrier accounts left after the run, want 0", n)
	}
}
