package health_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/store"
)

// loadOutlookShipments writes n shipments for the seller in one statement:
// the last tenth open (received in the last 2 days, due in the next 2,
// half shipped, half of those scanned, 1% with an invalid number), the
// rest settled over the 120 days before (shipped, 96% scanned, delivered
// 1 to 5 days later).
func loadOutlookShipments(ctx context.Context, db *sqlx.DB, sellerID string, n int) error {
	_, err := db.ExecContext(ctx, `
		WITH g AS (
			SELECT i, i > $2::int * 9 / 10 AS open, random() AS r1, random() AS r2, random() AS r3 FROM generate_series(1, $2::int) AS i
		), t AS (
			SELECT g.*, CASE WHEN open THEN now() - r1 * interval '2 days' ELSE now() - (3 + r1 * 117) * interval '1 day' END AS t FROM g
		), s AS (
			SELECT t.*, t.t + interval '2 days' AS ship_by, t.t + interval '5 days' AS deliver_by,
				CASE WHEN NOT open OR r2 < 0.5 THEN t.t + r2 * interval '20 hours' END AS shipped_at FROM t
		), d AS (
			SELECT s.*,
				CASE WHEN shipped_at IS NOT NULL AND (NOT open AND r3 < 0.96 OR open AND r3 < 0.5) THEN shipped_at + interval '2 hours' END AS first_scan_at,
				CASE WHEN NOT open THEN shipped_at + (1 + r3 * 4) * interval '1 day' END AS delivered_at FROM s
		)
		INSERT INTO shipments (seller_id, order_id, carrier, service, tracking_number, normalized_tracking_number,
			tracking_valid, tracking_carrier, status, created_at, updated_at, ship_by, shipped_at, deliver_by,
			delivered_at, first_scan_at, last_event_at, destination_postal_code, destination_country)
		SELECT $1, 'F-' || i, 'ups', 'ground', '1ZF' || i, '1ZF' || i, i % 100 <> 0, 'ups',
			CASE WHEN delivered_at IS NOT NULL THEN 'DELIVERED' WHEN first_scan_at IS NOT NULL THEN 'IN_TRANSIT' ELSE 'LABEL_CREATED' END,
			d.t, d.t, ship_by, shipped_at, deliver_by, delivered_at, first_scan_at, coalesce(delivered_at, first_scan_at),
			lpad((i % 1000)::text, 3, '0') || '01', 'US'
		FROM d`, sellerID, n)
	return err
}

// BenchmarkHealthForecast times the Amazon forecast and the first page of
// the VTR save queue for a seller with SHIPMENTS (1,000,000) shipments,
// a tenth of them open, against a direct computation's first step in the
// same run: reading every shipment of the projection's 120 days into Go.
func BenchmarkHealthForecast(b *testing.B) {
	ctx := context.Background()
	db, hs, seller, n := benchSeller(b, loadOutlookShipments)
	direct, err := median(3, func() error {
		var rows []store.Shipment
		return db.SelectContext(ctx, &rows, `SELECT id, seller_id, order_id, carrier, tracking_number, normalized_tracking_number,
			service, ship_by, shipped_at, deliver_by, destination_postal_code, destination_country, status,
			last_event_at, delivered_at, estimated_delivery_at, first_scan_at, last_event_source, cancelled_at,
			coalesce(cancelled_by, '') AS cancelled_by, returned_at, coalesce(tracking_received_at, created_at) AS tracking_received_at,
			origin_postal_code, origin_country, tracking_valid, tracking_reason, tracking_carrier, created_at, updated_at
			FROM shipments WHERE seller_id = $1 AND created_at >= now() - interval '120 days'`, seller.ID)
	})
	if err != nil {
		b.Fatal(err)
	}
	var open int
	forecast, err := median(3, func() error {
		out, err := hs.Forecast(ctx, seller.ID, health.Amazon, time.Time{})
		if err == nil {
			open = out.Projections[0].Open
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	var total int
	queue, err := median(3, func() error {
		p, err := hs.SaveQueue(ctx, seller.ID, health.Amazon, health.ValidTrackingRate, 0, 20, time.Time{})
		total = p.Total
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	fmt.Printf("health forecast: %d shipments, %d open in VTR's 7 days, %d in its save queue; baseline in the same run: reading the 120 days' shipments (a direct computation's first step) %s; AMAZON forecast %s; VTR save queue (first 20) %s\n",
		n, open, total, ms(direct), ms(forecast), ms(queue))
	b.ResetTimer()
	for b.Loop() {
		if _, err := hs.Forecast(ctx, seller.ID, health.Amazon, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
