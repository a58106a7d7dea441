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

// BenchmarkDetectThinnedSources times the flow check the sweep runs after
// the silence check, at SOURCES webhook sources (default 1,000, one seller
// each, a week of hourly counts each at 40 an hour), none degraded.
// "steady" sources still deliver 40 an hour: every sweep reads their last
// three hours and the same hours a week before, nothing more, which is
// what the check costs nearly always. "thin" ones deliver 1 an hour in the
// last three hours but their sellers have no parcel in flight: their
// whole week is read and their open shipments counted every sweep, the
// recurring worst case (a source marked degraded is only read for its
// recovery). The baseline of the figure, in the same run, is the check
// with no webhook source.
func BenchmarkDetectThinnedSources(b *testing.B) {
	n := envInt("SOURCES", 1000)
	now := time.Date(2026, time.March, 10, 14, 20, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		sources int
		recent  int
	}{{"none", 0, 0}, {"steady", n, 40}, {"thin", n, 1}} {
		b.Run(tc.name, func(b *testing.B) {
			url := dbtest.URL(b)
			db := sqlx.MustOpen("postgres", url)
			b.Cleanup(func() { db.Close() })
			seedFlowSources(b, dbtest.Superuser(b, url), tc.sources, 40, tc.recent, now)
			svc, _ := monitortest.New(b, db, monitor.WithClock(func() time.Time { return now }))
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				marked, recovered, err := svc.DetectThinnedSources(ctx, now)
				if err != nil || len(marked)+len(recovered) != 0 {
					b.Fatalf("DetectThinnedSources() = %d marked, %d recovered, %v; want none", len(marked), len(recovered), err)
				}
			}
		})
	}
}

// seedFlowSources makes n sellers with one EasyPost source each, perHour
// deliveries in every hour of the eight days before the last three whole
// hours, recent in each of those, and a health row saying so.
func seedFlowSources(b *testing.B, su *sqlx.DB, n, perHour, recent int, now time.Time) {
	b.Helper()
	hour := now.Truncate(time.Hour)
	seedWebhookSources(b, su, webhookSeed{n: n, perHour: perHour, recent: recent, lastSuccess: hour.Add(-50 * time.Minute),
		from: now.Add(-source.DeliveryHoursKept).Truncate(time.Hour), to: hour.Add(-time.Hour), recentFrom: hour.Add(-source.ThinWindow)})
}
