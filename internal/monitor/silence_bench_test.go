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

// BenchmarkDetectSilentSources times the silence check the sweep runs
// first, at SOURCES webhook sources (default 1,000, one seller each, a
// week of hourly counts each) all silent for 3 h 10 min, none degraded:
// the recurring worst case, since a source marked degraded is not read
// again. "quiet" sources delivered 2 an hour at these hours (their
// baseline is read, nothing more); "busy" ones 20 an hour but their
// sellers have no parcel in flight (their open shipments are counted too,
// every sweep). The baseline of the figure, in the same run, is the check
// with no silent source.
func BenchmarkDetectSilentSources(b *testing.B) {
	n := envInt("SOURCES", 1000)
	now := time.Date(2026, time.March, 10, 14, 20, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		sources int
		perHour int
	}{{"none silent", 0, 0}, {"quiet", n, 2}, {"busy", n, 20}} {
		b.Run(tc.name, func(b *testing.B) {
			url := dbtest.URL(b)
			db := sqlx.MustOpen("postgres", url)
			b.Cleanup(func() { db.Close() })
			seedSilentSources(b, dbtest.Superuser(b, url), tc.sources, tc.perHour, now)
			svc, _ := monitortest.New(b, db, monitor.WithClock(func() time.Time { return now }))
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				marked, err := svc.DetectSilentSources(ctx, now)
				if err != nil || len(marked) != 0 {
					b.Fatalf("DetectSilentSources() = %d marked, %v; want none", len(marked), err)
				}
			}
		})
	}
}

// seedSilentSources makes n sellers with one EasyPost source each, perHour
// deliveries in every hour of the eight days before now except the last
// 3 h 10 min, and a health row saying so.
func seedSilentSources(b *testing.B, su *sqlx.DB, n, perHour int, now time.Time) {
	b.Helper()
	last := now.Add(-3*time.Hour - 10*time.Minute)
	seedWebhookSources(b, su, webhookSeed{n: n, perHour: perHour, lastSuccess: last,
		from: now.Add(-source.DeliveryHoursKept).Truncate(time.Hour), to: last.Truncate(time.Hour)})
}

// webhookSeed is what seedWebhookSources writes: n sellers with one
// EasyPost source each, whose last usable delivery was lastSuccess, with
// perHour deliveries in every hour from `from` to `to` (inclusive),
// except recent in the hours from recentFrom on (zero: none).
type webhookSeed struct {
	n, perHour, recent int
	from, to           time.Time
	recentFrom         time.Time
	lastSuccess        time.Time
}

// seedWebhookSources writes the sellers, sources, health rows and hourly
// counts of sd as the superuser, then analyses.
func seedWebhookSources(b *testing.B, su *sqlx.DB, sd webhookSeed) {
	b.Helper()
	if sd.n == 0 {
		return
	}
	recentFrom := sd.recentFrom
	if recentFrom.IsZero() {
		recentFrom = sd.to.Add(time.Hour)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO sellers (name) SELECT 'Webhooks ' || i FROM generate_series(1, $1::int) AS i`, []any{sd.n}},
		{`INSERT INTO tracking_sources (seller_id, provider, secret_sealed, key_id)
			SELECT id, 'EASYPOST', decode(repeat('01', 40), 'hex'), 'bench' FROM sellers`, nil},
		{`INSERT INTO source_health (source_id, seller_id, kind, last_success_at, window_start, ok_current)
			SELECT id, seller_id, 'WEBHOOK', $1, $2, 1 FROM tracking_sources`, []any{sd.lastSuccess, sd.lastSuccess.Truncate(time.Hour)}},
		{`INSERT INTO source_delivery_hours (seller_id, source_id, hour, deliveries)
			SELECT ts.seller_id, ts.id, h, CASE WHEN h >= $4::timestamptz THEN $5::int ELSE $1::int END FROM tracking_sources ts,
				generate_series($2::timestamptz, $3::timestamptz, interval '1 hour') AS h`,
			[]any{sd.perHour, sd.from, sd.to, recentFrom, sd.recent}},
	} {
		if _, err := su.Exec(q.sql, q.args...); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := su.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
}
