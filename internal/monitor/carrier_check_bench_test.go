package monitor_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/source"
)

// BenchmarkDetectDegradedCarriers times the carrier check the sweep runs
// after the flow check, at SOURCES webhook sources (default 1,000, one
// seller each), each with a week of hourly counts for three carriers (UPS,
// USPS, FEDEX) at 20 an hour each, none held. "steady": every carrier
// still delivers 20 an hour, so each sweep reads every source's last three
// hours and the same hours a week before, nothing more: what the check
// costs nearly always. "usps_stopped": every source's USPS events stopped
// in the last three hours but the sellers have no parcel in flight, so
// each sweep reads those sources' whole week and counts their sellers'
// USPS shipments: the recurring worst case (a carrier held is only read
// for its recovery). The baseline, in the same run, is the check with no
// webhook source.
func BenchmarkDetectDegradedCarriers(b *testing.B) {
	n := envInt("SOURCES", 1000)
	now := time.Date(2026, time.March, 10, 14, 20, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		sources int
		usps    int
	}{{"none", 0, 0}, {"steady", n, 20}, {"usps_stopped", n, 0}} {
		b.Run(tc.name, func(b *testing.B) {
			url := dbtest.URL(b)
			db := sqlx.MustOpen("postgres", url)
			b.Cleanup(func() { db.Close() })
			su := dbtest.Superuser(b, url)
			seedFlowSources(b, su, tc.sources, 60, 40+tc.usps, now)
			hour := now.Truncate(time.Hour)
			if _, err := su.Exec(`
				INSERT INTO source_carrier_hours (seller_id, source_id, hour, carrier, deliveries)
				SELECT ts.seller_id, ts.id, h, c, CASE WHEN c = 'USPS' AND h >= $3::timestamptz THEN $4::int ELSE 20 END
				FROM tracking_sources ts, generate_series($1::timestamptz, $2::timestamptz, interval '1 hour') AS h,
					unnest(ARRAY['FEDEX', 'UPS', 'USPS']) AS c
				WHERE c <> 'USPS' OR h < $3::timestamptz OR $4::int > 0`,
				now.Add(-source.DeliveryHoursKept).Truncate(time.Hour), hour.Add(-time.Hour), hour.Add(-source.ThinWindow), tc.usps); err != nil {
				b.Fatal(err)
			}
			if _, err := su.Exec(`ANALYZE source_carrier_hours`); err != nil {
				b.Fatal(err)
			}
			svc, _ := monitortest.New(b, db, monitor.WithClock(func() time.Time { return now }))
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				marked, recovered, err := svc.DetectDegradedCarriers(ctx, now)
				if err != nil || len(marked)+len(recovered) != 0 {
					b.Fatalf("DetectDegradedCarriers() = %d marked, %d recovered, %v; want none", len(marked), len(recovered), err)
				}
			}
		})
	}
}
