package jobs

import (
	"context"
	"github.com/shipwatch/shipwatch/internal/keyring"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/shipwatch/shipwatch/internal/store"
)

// Monitor runs the monitoring rules (monitor.Service): declared here so
// the workers need no import of the use cases that enqueue them.
type Monitor interface {
	// Check runs every rule on the seller's shipments (all when ids is nil).
	Check(ctx context.Context, sellerID string, ids []string) error
	// CheckTurn runs one turn of one of the seller's check lanes.
	CheckTurn(ctx context.Context, sellerID string, lane int) error
	// StartIdleChecks starts the turns of check lanes left without one.
	StartIdleChecks(ctx context.Context) (int, error)
	// Sweep runs the time-based rules over every seller at time at.
	Sweep(ctx context.Context, at time.Time) (raised, resolved int, err error)
}

// MonitorDeps is what the monitoring and notification workers use.
type MonitorDeps struct {
	Monitor Monitor
	Store   *store.Store
	Log     *slog.Logger
	// SecretKey opens sealed notification signing secrets.
	SecretKey *keyring.Key
	// RetrySchedule is the wait after each failed notification attempt;
	// after the last one the notification is given up.
	RetrySchedule []time.Duration
	// HTTPClient sends notifications (NewNotifyClient when nil).
	HTTPClient *http.Client
	Registry   prometheus.Registerer
}

// CheckArgs asks for the rules to run on some of a seller's shipments
// because they were written: enqueued in the writing transaction. A write
// queues its shipments in one of the seller's check lanes and a job for
// the lane's turn (Lane); ShipmentIDs are the jobs of earlier versions.
type CheckArgs struct {
	SellerID    string   `json:"seller_id"`
	Lane        *int     `json:"lane,omitempty"`
	ShipmentIDs []string `json:"shipment_ids,omitempty"`
	// All runs the rules on every shipment of the seller (its settings
	// changed) instead of ShipmentIDs.
	All bool `json:"all,omitempty"`
}

// Kind implements river.JobArgs.
func (CheckArgs) Kind() string { return "shipwatch.monitor.check" }

// InsertOpts implements river.JobArgsWithInsertOpts: checks have a queue of
// their own, so the thousands a file import queues run beside the import
// instead of taking every worker from it.
func (CheckArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueChecks} }

// CheckWorker runs CheckArgs. Raising and resolving are idempotent, so a
// retry changes nothing already done.
type CheckWorker struct {
	river.WorkerDefaults[CheckArgs]
	deps *MonitorDeps
}

// Work implements river.Worker.
func (w *CheckWorker) Work(ctx context.Context, job *river.Job[CheckArgs]) error {
	if job.Args.Lane != nil {
		return w.deps.Monitor.CheckTurn(ctx, job.Args.SellerID, *job.Args.Lane)
	}
	ids := job.Args.ShipmentIDs
	if job.Args.All {
		ids = nil
	} else if len(ids) == 0 {
		return nil
	}
	return w.deps.Monitor.Check(ctx, job.Args.SellerID, ids)
}

// StartChecksArgs starts the turns of check lanes whose writers left them
// without one (monitor.Service.StartIdleChecks).
type StartChecksArgs struct{}

// Kind implements river.JobArgs.
func (StartChecksArgs) Kind() string { return "shipwatch.monitor.start_checks" }

// InsertOpts implements river.JobArgsWithInsertOpts: beside the checks it
// starts, never behind another seller's backlog in the default queue.
func (StartChecksArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueChecks} }

// StartChecksWorker runs StartChecksArgs.
type StartChecksWorker struct {
	river.WorkerDefaults[StartChecksArgs]
	deps *MonitorDeps
}

// Work implements river.Worker.
func (w *StartChecksWorker) Work(ctx context.Context, _ *river.Job[StartChecksArgs]) error {
	_, err := w.deps.Monitor.StartIdleChecks(ctx)
	return err
}

// StartChecksInterval is how often idle check lanes with pending
// shipments are given a turn: the most a write's check can wait for it.
const StartChecksInterval = time.Second

// StartChecksJob is the periodic StartChecksArgs, enqueued by the leader.
func StartChecksJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(StartChecksInterval),
		func() (river.JobArgs, *river.InsertOpts) { return StartChecksArgs{}, nil },
		&river.PeriodicJobOpts{ID: "shipwatch.monitor.start_checks"})
}

// SweepArgs is one periodic sweep: Period is the start of the interval it
// covers, which makes it unique.
type SweepArgs struct {
	Period time.Time `json:"period"`
}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "shipwatch.monitor.sweep" }

// SweepWorker runs SweepArgs: once per period, never two at once.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	deps *MonitorDeps
	last prometheus.Gauge
}

// Work implements river.Worker.
func (w *SweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	period := job.Args.Period
	ran, err := w.deps.Store.WithSweepLock(ctx, func() error {
		started, err := w.deps.Store.StartSweep(ctx, period)
		if err != nil || !started {
			return err
		}
		begin := time.Now()
		raised, resolved, err := w.deps.Monitor.Sweep(ctx, begin)
		if err != nil {
			return err
		}
		if err := w.deps.Store.FinishSweep(ctx, period, raised, resolved); err != nil {
			return err
		}
		w.last.SetToCurrentTime()
		w.deps.Log.InfoContext(ctx, "sweep done", "period", period, "raised", raised, "resolved", resolved,
			"duration_ms", time.Since(begin).Milliseconds())
		return nil
	})
	if err == nil && !ran {
		w.deps.Log.WarnContext(ctx, "sweep skipped: the previous sweep is still running", "period", period)
	}
	return err
}

// SweepJobs returns the periodic sweep, every interval. River enqueues
// periodic jobs only on the elected leader, and the insert is unique by
// period, so with any number of processes each period is swept once.
func SweepJobs(interval time.Duration) []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return SweepArgs{Period: time.Now().UTC().Truncate(interval)},
				&river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: interval}}
		}, &river.PeriodicJobOpts{ID: "shipwatch.monitor.sweep"})}
}

// AddMonitorWorkers registers the check, sweep and notification workers.
func AddMonitorWorkers(workers *river.Workers, deps MonitorDeps) {
	last := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "shipwatch_sweep_last_success_timestamp_seconds",
		Help: "When this process last finished a sweep (Unix time); only the leader sweeps.",
	})
	if deps.Registry != nil {
		deps.Registry.MustRegister(last)
	}
	d := &deps // the workers' own copy: nothing changes it after this
	river.AddWorker(workers, &CheckWorker{deps: d})
	river.AddWorker(workers, &StartChecksWorker{deps: d})
	river.AddWorker(workers, &SweepWorker{deps: d, last: last})
	river.AddWorker(workers, newDeliverWorker(d))
}
