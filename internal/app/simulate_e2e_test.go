package app_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/simulate"
)

// TestSimulatorAgainstTheRealServer plays carrier lives through the real
// webhook endpoints, in both providers' formats, and checks that every
// event landed once and every shipment ended where its life did.
func TestSimulatorAgainstTheRealServer(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	for _, tt := range []struct {
		provider string
		mix      simulate.Mix
		want     string
	}{
		{simulate.ProviderEasyPost, simulate.Mix{simulate.OutcomeDelivered: 1}, "DELIVERED"},
		{simulate.ProviderAfterShip, simulate.Mix{simulate.OutcomeReturned: 1}, "RETURNED_TO_SENDER"},
		{simulate.ProviderEasyPost, simulate.Mix{simulate.OutcomeException: 1}, "EXCEPTION"},
	} {
		t.Run(tt.provider+"/"+tt.want, func(t *testing.T) {
			sellerID, key := env.Seller(t, tt.provider)
			var shipments []map[string]any
			for i := range 15 {
				shipments = append(shipments, map[string]any{
					"orderId": fmt.Sprintf("SIM-%03d", i), "carrier": "ups", "trackingNumber": fmt.Sprintf("1ZSIM%013d", i),
					"shippedAt": "2026-11-02T15:00:00Z", "deliverBy": "2026-11-06T23:59:59Z",
				})
			}
			env.MustGraphQL(t, key, `mutation($in: [ShipmentInput!]!) { createShipments(input: $in) { created } }`,
				map[string]any{"in": shipments}, nil)

			stats, err := simulate.Run(context.Background(), simulate.Options{
				BaseURL: env.URL, APIKey: key, Provider: tt.provider, Rate: 2000, Mix: tt.mix, Seed: 7,
			})
			if err != nil || stats.Shipments != 15 || stats.Accepted != stats.Sent || stats.Rejected+stats.Failed != 0 {
				t.Fatalf("Run() = %+v, %v; want every webhook of 15 shipments accepted", stats, err)
			}
			waitProcessed(t, env)
			if n := count(t, env, `SELECT count(*) FROM tracking_events WHERE seller_id = $1`, sellerID); n != stats.Events {
				t.Errorf("%d events stored, want the %d the simulator sent, each once", n, stats.Events)
			}
			if n := count(t, env, `SELECT count(*) FROM shipments WHERE seller_id = $1 AND status = $2`, sellerID, tt.want); n != 15 {
				t.Errorf("%d shipments %s, want 15", n, tt.want)
			}
		})
	}
}
