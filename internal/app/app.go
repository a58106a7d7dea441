// Package app wires Shipwatch together: database, migrations, River,
// use cases and the HTTP handler. cmd/shipwatch calls it after reading the
// configuration; end-to-end tests call it to run the real server.
package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"

	"github.com/shipwatch/shipwatch/graph"
	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/internal/carrier"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/dashboard"
	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/netguard"
	"github.com/shipwatch/shipwatch/internal/pubsub"
	"github.com/shipwatch/shipwatch/internal/server"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/track17"
)

// App is a running Shipwatch: its pool, job client and handler.
type App struct {
	Config  config.Config
	Log     *slog.Logger
	DB      *sqlx.DB
	Store   *store.Store
	River   *jobs.Client
	Monitor *monitor.Service
	PubSub  *pubsub.Hub
	// Webhooks are the tracking sources and their webhook receivers.
	Webhooks *monitor.Webhooks
	// Carriers are the carrier accounts and their polling.
	Carriers *monitor.Carriers
	Imports  *monitor.Importer
	Handler  http.Handler
}

// New connects to the database (creating it when missing), applies
// migrations and builds everything `serve` runs. Nothing is started yet.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	prep, err := PrepareDatabase(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	// One key seals every secret Shipwatch must read back: webhook and
	// notification signing secrets.
	key, err := secretKey(cfg, log)
	if err != nil {
		return nil, err
	}
	ckey, err := checkpointKey(cfg, log)
	if err != nil {
		return nil, err
	}
	db, err := store.Connect(ctx, prep.AppURL)
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Log: log, DB: db, Store: store.New(db)}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.DB, "shipwatch"))
	fail := func(err error) (*App, error) {
		db.Close()
		return nil, err
	}

	// Built once, in dependency order. The use cases enqueue jobs through
	// an insert-only client; the workers that call the use cases go to the
	// working client, built last. Nothing is assigned after construction.
	enqueue, err := jobs.NewClient(db.DB, nil, jobs.Options{Log: log})
	if err != nil {
		return fail(err)
	}
	// One guard checks notification endpoints when they are set and every
	// connection a delivery dials.
	guard := netguard.New(cfg.NotifyAllowCIDRs, nil)
	a.Monitor = monitor.New(a.Store, enqueue, monitor.WithSecretKey(key), monitor.WithRegistry(reg), monitor.WithEndpointGuard(guard),
		monitor.WithCheckpointKey(ckey), monitor.WithRegistrar(track17.New(cfg.SeventeenTrackURL, nil), track17.NewLimiter()))
	a.Imports = a.Monitor.Importer(importOptions(cfg, enqueue, reg))
	a.Webhooks = monitor.NewWebhooks(a.Store, enqueue, key, cfg.PublicURL)
	if err := checkWebhookKey(ctx, a.Webhooks, key, log); err != nil {
		return fail(err)
	}
	budgets := map[carrier.Carrier][2]int{}
	for c, b := range cfg.CarrierBudgets {
		budgets[carrier.Carrier(c)] = [2]int{b.Hourly, b.Daily}
	}
	a.Carriers = monitor.NewCarriers(a.Monitor, key, monitor.WithCarrierGuard(netguard.New(cfg.CarrierAllowCIDRs, nil)),
		monitor.WithDefaultBudgets(budgets))

	hs := health.New(a.Store)
	workers := river.NewWorkers()
	jobs.AddEvidenceWorkers(workers, jobs.EvidenceDeps{Store: a.Store, Log: log, Retention: cfg.EvidenceRetention})
	jobs.AddMonitorWorkers(workers, jobs.MonitorDeps{Monitor: a.Monitor, Store: a.Store, Log: log, SecretKey: key,
		RetrySchedule: cfg.NotifyRetrySchedule, Registry: reg, HTTPClient: jobs.NewNotifyClient(guard)})
	jobs.AddHealthWorkers(workers, a.Store)
	jobs.AddOutlookWorker(workers, health.NewWatch(hs, a.Monitor), log)
	jobs.AddWebhookWorkers(workers, a.Monitor)
	jobs.AddRegisterWorker(workers, a.Monitor, monitor.ErrRegistrationHalted)
	jobs.AddCarrierWorkers(workers, a.Carriers, cfg.CarrierPollInterval, log)
	jobs.AddCheckpointWorker(workers, a.Monitor, cfg.CheckpointInterval, log)
	jobs.AddImportWorkers(workers, a.Imports)
	a.River, err = jobs.NewClient(db.DB, workers, jobs.Options{
		PollInterval: cfg.JobPollInterval,
		MaxWorkers:   cfg.JobWorkers,
		PeriodicJobs: append(jobs.SweepJobs(cfg.SweepInterval),
			jobs.StartChecksJob(),
			jobs.EvidencePurgeJob(),
			jobs.HealthCompactJob(cfg.HealthCompactInterval),
			jobs.OutlookJob(cfg.OutlookInterval),
			jobs.CheckpointJob(cfg.CheckpointInterval),
			jobs.ImportResumeJob(),
			jobs.WebhookSweepJob(),
			jobs.CarrierTickJob(cfg.CarrierPollInterval)),
		Log:      log,
		Registry: reg,
	})
	if err != nil {
		return fail(err)
	}
	if a.PubSub, err = pubsub.Listen(ctx, prep.AppURL, log); err != nil {
		return fail(err)
	}

	resolver := &graph.Resolver{Store: a.Store, Monitor: a.Monitor, Log: log, PubSub: a.PubSub, Webhooks: a.Webhooks, Imports: a.Imports,
		Carriers: a.Carriers}
	resolver.Health = hs
	resolver.Evidence = graph.EvidenceOptions{MaxImageBytes: cfg.MaxImageBytes, PublicURL: cfg.PublicURL}
	dash, err := dashboard.New(dashboard.Deps{
		Store: a.Store, Monitor: a.Monitor, Health: resolver.Health, Imports: a.Imports, PubSub: a.PubSub, Log: log,
		EvidencePDF:   server.EvidencePDF(a.Monitor, a.Store, log, cfg.PublicURL),
		ErrorsFile:    server.ErrorsFileHandler(a.Imports, log),
		SecureCookies: strings.HasPrefix(cfg.PublicURL, "https://"),
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	a.Handler = server.New(server.Deps{
		Store:          a.Store,
		Log:            log,
		GraphQL:        server.NewGraphQL(generated.NewExecutableSchema(resolver.Config()), a.Store, a.PubSub, log, cfg.MaxUploadBytes),
		Registry:       reg,
		MaxBodyBytes:   cfg.MaxBodyBytes,
		MaxUploadBytes: cfg.MaxUploadBytes,
		Limits:         cfg.Limits,
		Routes: []func(*http.ServeMux){
			server.EvidenceRoutes(a.Monitor, a.Store, log, cfg.PublicURL),
			server.WebhookRoutes(a.Webhooks, log, cfg.MaxWebhookBytes),
			server.ImportRoutes(a.Imports, log),
			server.CheckpointKeyRoute(a.Monitor.CheckpointPublicKey()),
			dash.Routes,
		},
	})
	return a, nil
}

// PrepareDatabase readies the database: migrations as the schema's owner,
// grants, and the roles themselves when DATABASE_URL is a superuser, which
// it says in one log line. The app role it sets up gets a password derived
// from the secret key, so that replicas sharing the key agree on it.
func PrepareDatabase(ctx context.Context, cfg config.Config, log *slog.Logger) (store.Prepared, error) {
	password := func() (string, error) {
		key, err := secretKey(cfg, log)
		if err != nil {
			return "", err
		}
		return base64.RawURLEncoding.EncodeToString(key.Derive("database password " + store.AppRole)), nil
	}
	prep, err := store.Prepare(ctx, store.Roles{DatabaseURL: cfg.DatabaseURL, MigrateURL: cfg.MigrateDatabaseURL, AppPassword: password})
	if err != nil {
		return store.Prepared{}, err
	}
	if prep.SetUp {
		log.Info("DATABASE_URL is a superuser: database roles set up; migrations ran as "+store.OwnerRole+
			", serving as "+store.AppRole+", evidence deletable only through "+store.RetentionRole+"'s purge (README: Database roles)",
			"owner", store.OwnerRole, "app", store.AppRole, "retention", store.RetentionRole)
	}
	return prep, nil
}

// Serve starts the job workers and the HTTP server on ln, and runs until ctx
// is cancelled; then it drains HTTP requests and stops the workers cleanly,
// each within the shutdown timeout.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	if err := a.River.Start(ctx); err != nil {
		ln.Close()
		return fmt.Errorf("start jobs: %w", err)
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: a.Config.ReadHeaderTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("shipwatch serving", "addr", ln.Addr().String())

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	a.Log.Info("shipwatch shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.Config.ShutdownTimeout)
	defer cancel()
	httpErr := srv.Shutdown(shutdownCtx)
	jobsErr := a.River.Stop(shutdownCtx)
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return errors.Join(serveErr, httpErr, jobsErr)
}

// Close stops listening for notifications and releases the database pool.
func (a *App) Close() error { return errors.Join(a.PubSub.Close(), a.DB.Close()) }
