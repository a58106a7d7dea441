package loadtest

import (
	"context"
	"database/sql"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/monitor"
)

// TestLoadReconciles runs a short load and checks the reconciliation.
func TestLoadReconciles(t *testing.T) {
	rep, err := Run(context.Background(), Options{
		DatabaseURL: dbtest.URL(t), Duration: 2 * time.Second, Grace: 10 * time.Second, Drain: time.Minute,
		Senders: 8, EventsPerWebhook: 3, Parcels: 50, MaxWebhooks: 100_000, Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.Print(&out)
	t.Log("\n" + out.String())
	if !rep.OK() || rep.Acked == 0 || rep.Stored != rep.Events || rep.P50 <= 0 {
		t.Errorf("report = %+v, want every acknowledged event stored once", rep)
	}
}

// TestLoadSurvivesAnOutage takes the run's database away mid-load (its
// connections cut, new ones refused for two seconds, the way a restart
// looks from the server, without stopping the shared server) and checks
// the server answered 5xx meanwhile, recovered and lost nothing.
func TestLoadSurvivesAnOutage(t *testing.T) {
	dsn := dbtest.URL(t)
	u, err := url.Parse(dbtest.SuperuserURL(dsn)) // only the superuser may close the database
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	admin, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	outage := func(ctx context.Context) error {
		if _, err := admin.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(name)+" WITH ALLOW_CONNECTIONS false"); err != nil {
			return err
		}
		for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name); err != nil {
				return err
			}
		}
		_, err := admin.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(name)+" WITH ALLOW_CONNECTIONS true")
		return err
	}
	rep, err := Run(context.Background(), Options{
		DatabaseURL: dsn, Duration: 6 * time.Second, Grace: 30 * time.Second, Drain: 4 * time.Minute,
		Senders: 8, EventsPerWebhook: 3, Parcels: 50, MaxWebhooks: 100_000, Log: slog.New(slog.DiscardHandler),
		RestartAt: 2 * time.Second, Restart: outage,
	})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.Print(&out)
	t.Log("\n" + out.String())
	if !rep.OK() || rep.FailuresDuringRestart == 0 || rep.RecoveredAt == 0 || rep.Stored != rep.Events {
		t.Errorf("report = %+v, want 5xx during the outage, recovery and nothing lost", rep)
	}
}

// TestLoadReconcilesEachProvider runs the short load with 17TRACK and
// Shippo webhooks: their formats and signatures (Shippo: the URL token)
// go through the same reconciliation.
func TestLoadReconcilesEachProvider(t *testing.T) {
	for _, p := range []string{monitor.ProviderSeventeenTrack, monitor.ProviderShippo} {
		t.Run(p, func(t *testing.T) {
			rep, err := Run(context.Background(), Options{
				DatabaseURL: dbtest.URL(t), Duration: time.Second, Grace: 10 * time.Second, Drain: time.Minute,
				Senders: 4, EventsPerWebhook: 3, Parcels: 20, MaxWebhooks: 100_000, Log: slog.New(slog.DiscardHandler),
				Provider: p,
			})
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			rep.Print(&out)
			PrintComparison(&out, []Report{rep})
			t.Log("\n" + out.String())
			if !rep.OK() || rep.Acked == 0 || rep.Answers4xx != 0 || rep.Stored != rep.Events {
				t.Errorf("report = %+v, want every acknowledged event stored once", rep)
			}
		})
	}
}

// TestLoadTogether runs the three providers at once on one server: each
// reconciles on its own, and the comparison prints one CPU figure for
// the run.
func TestLoadTogether(t *testing.T) {
	providers := []string{monitor.ProviderEasyPost, monitor.ProviderSeventeenTrack, monitor.ProviderShippo}
	reps, err := RunTogether(context.Background(), Options{
		DatabaseURL: dbtest.URL(t), Duration: time.Second, Grace: 10 * time.Second, Drain: time.Minute,
		Senders: 6, EventsPerWebhook: 3, Parcels: 20, MaxWebhooks: 100_000, Log: slog.New(slog.DiscardHandler),
	}, providers)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, rep := range reps {
		rep.Print(&out)
	}
	PrintComparison(&out, reps)
	t.Log("\n" + out.String())
	for i, rep := range reps {
		if rep.Options.Provider != providers[i] || rep.Options.Senders != 2 || !rep.OK() || rep.Acked == 0 || rep.Stored != rep.Events {
			t.Errorf("%s: report = %+v, want 2 senders and every acknowledged event stored once", providers[i], rep)
		}
	}
	if !strings.Contains(out.String(), "all at once") || !strings.Contains(out.String(), "for the run as a whole") {
		t.Errorf("comparison does not say the providers ran together:\n%s", out.String())
	}
}
