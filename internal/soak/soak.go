// Package soak runs Shipwatch's core loop under everything at once, for a
// bounded time, against a real server process and a fresh database: a
// large file import for one seller, signed carrier webhooks for a second,
// small API writes for a third, GraphQL reads and a sweep every period.
// Once everything has drained it reports PostgreSQL's deadlock counter,
// River jobs that errored, sweeps that failed, events acknowledged but not
// stored, the open flags against a reference evaluation of every rule over
// the final data, and the delay from the third seller's writes to their
// flags (make soak).
package soak

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/shipwatch/shipwatch/internal/ingest/ingesttest"
)

// Options configure a run.
type Options struct {
	// DatabaseURL is the run's fresh database; the server migrates it.
	DatabaseURL string
	// Duration is how long the webhooks, the small writes and the reads
	// go on; the import runs until it completes, bounded by Drain.
	Duration time.Duration
	// Rows is the number of lines of the imported Amazon flat file.
	Rows int
	// Sweep is the server's sweep interval.
	Sweep time.Duration
	// Senders post webhooks concurrently, each carrying EventsPerWebhook
	// new events for one of Parcels shipments.
	Senders, EventsPerWebhook, Parcels int
	// SmallBatch shipments are written every SmallEvery by the second
	// seller.
	SmallBatch int
	SmallEvery time.Duration
	// Readers page through shipments with events and flags.
	Readers int
	// Drain bounds the wait, after the load, for the import and the
	// backlog to finish.
	Drain time.Duration
	// Dir holds the server binary and the file to import.
	Dir string
	Log *slog.Logger
}

// Report is what a run measured.
type Report struct {
	Options  Options
	LoadAvg  [2]string // /proc/loadavg at the start and the end
	Deadlock int64     // pg_stat_database.deadlocks, end minus start

	JobErrors JobErrors
	Sweeps    Sweeps

	ImportStatus                 string
	ImportRows, ImportCreated    int64
	ImportRejected               int64
	ImportTook                   time.Duration
	Acked, EventsAcked           int64
	Refused, Retries, GaveUp     int64
	AckP50, AckP99, AckMax       time.Duration
	EventsLost, EventsDuplicated int64
	DrainedAfter                 time.Duration
	SmallWrites, SmallErrors     int64
	DelayP50, DelayP99, DelayMax time.Duration
	DelayNever                   int64
	Reads, ReadErrors            int64
	ReadP50, ReadP99             time.Duration
	OpenFlags, ExpectedFlags     int
	Mismatched                   int
	MismatchByKind               []Mismatch
	ServerWarnings               int
	WarningKinds                 []Warning
	Problems                     []string // what went wrong beyond the counters
}

// DelayLimit is the most a write may wait for its flag: one sweep period
// plus 5 s.
func (r Report) DelayLimit() time.Duration { return r.Options.Sweep + 5*time.Second }

// OK reports whether every counter of the last line is zero, the delay
// stayed within its limit and nothing else went wrong.
func (r Report) OK() bool {
	return r.Deadlock == 0 && r.JobErrors.Jobs == 0 && r.Sweeps.Lost() == 0 && r.Mismatched == 0 &&
		r.EventsLost == 0 && r.EventsDuplicated == 0 && r.DelayNever == 0 && r.DelayMax < r.DelayLimit() &&
		r.ImportStatus == "COMPLETED" && len(r.Problems) == 0
}

// Run starts the server, runs the load, drains and reports.
func Run(ctx context.Context, opts Options) (Report, error) {
	rep := Report{Options: opts}
	rep.LoadAvg[0] = loadAvg()
	log := opts.Log
	binary, err := buildServer(ctx, opts.Dir)
	if err != nil {
		return rep, err
	}
	file := filepath.Join(opts.Dir, "soak-shipments.txt")
	if err := writeFile(file, opts.Rows); err != nil {
		return rep, err
	}
	srv, err := startServer(ctx, binary, opts.DatabaseURL, opts.Sweep)
	if err != nil {
		return rep, err
	}
	defer func() {
		if !srv.exited() {
			srv.stop()
		}
	}()
	db, err := sql.Open("postgres", opts.DatabaseURL)
	if err != nil {
		return rep, err
	}
	defer db.Close()
	c := newClient(srv.url, opts.Senders+opts.Readers+4)

	_, bigKey, err := srv.createSeller(ctx, "Soak: large import")
	if err != nil {
		return rep, err
	}
	hooksID, hooksKey, err := srv.createSeller(ctx, "Soak: carrier events")
	if err != nil {
		return rep, err
	}
	smallID, smallKey, err := srv.createSeller(ctx, "Soak: small writes")
	if err != nil {
		return rep, err
	}
	hooks, err := prepareWebhooks(ctx, c, hooksKey, opts)
	if err != nil {
		return rep, err
	}
	start, err := deadlocks(ctx, db)
	if err != nil {
		return rep, err
	}

	log.Info("soak starting", "duration", opts.Duration, "rows", opts.Rows, "sweep", opts.Sweep, "senders", opts.Senders)
	began := time.Now()
	until := began.Add(opts.Duration)
	importDone := make(chan error, 1)
	go func() { importDone <- runImport(ctx, c, bigKey, file, began.Add(opts.Duration+opts.Drain), &rep) }()

	small := &writer{key: smallKey, batch: opts.SmallBatch, every: opts.SmallEvery, numbers: smallNumbers()}
	readers := make([]*reader, opts.Readers)
	var wg sync.WaitGroup
	hc := &http.Client{Transport: c.http.Transport, Timeout: 30 * time.Second}
	for range opts.Senders {
		wg.Add(1)
		go func() { defer wg.Done(); hooks.send(ctx, hc, until, until.Add(time.Minute)) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); small.run(ctx, c, until) }()
	for i := range readers {
		readers[i] = &reader{keys: []string{bigKey, hooksKey, smallKey}}
		wg.Add(1)
		go func() { defer wg.Done(); readers[i].run(ctx, c, until) }()
	}
	wg.Wait()
	log.Info("load over; waiting for the import and the backlog")
	if err := <-importDone; err != nil {
		rep.Problems = append(rep.Problems, err.Error())
	}
	if srv.exited() {
		return rep, fmt.Errorf("the server exited during the soak:\n%s", srv.lastLines())
	}
	drained, err := drain(ctx, db, time.Now().Add(opts.Drain))
	if err != nil {
		return rep, err
	}
	rep.DrainedAfter = time.Since(until)
	// A sweep that starts after everything drained sees the final data:
	// the reference is evaluated at its instant.
	sweepStart, sweepEnd, err := waitSweep(ctx, db, drained, 3*opts.Sweep+time.Minute)
	if err != nil {
		return rep, err
	}
	srv.stop()
	rep.ServerWarnings = srv.warnings()
	rep.WarningKinds = srv.warningKinds()
	rep.LoadAvg[1] = loadAvg()

	end, err := deadlocks(ctx, db)
	if err != nil {
		return rep, err
	}
	rep.Deadlock = end - start
	if rep.JobErrors, err = jobErrors(ctx, db); err != nil {
		return rep, err
	}
	if rep.Sweeps, err = sweeps(ctx, db); err != nil {
		return rep, err
	}
	hooks.summarise(&rep)
	if rep.EventsLost, rep.EventsDuplicated, err = eventsLost(ctx, db, hooksID, hooks); err != nil {
		return rep, err
	}
	rep.SmallWrites = int64(small.next)
	rep.SmallErrors = small.errors
	if small.lastErr != nil {
		rep.Problems = append(rep.Problems, "small writes: "+small.lastErr.Error())
	}
	delays, never, err := flagDelays(ctx, db, smallID)
	if err != nil {
		return rep, err
	}
	rep.DelayP50, rep.DelayP99, rep.DelayMax = percentiles(delays)
	rep.DelayNever = never
	var lat []time.Duration
	for _, r := range readers {
		rep.Reads += r.reads
		rep.ReadErrors += r.errors
		lat = append(lat, r.latencies...)
		if r.lastErr != nil {
			rep.Problems = append(rep.Problems, "reads: "+r.lastErr.Error())
		}
	}
	rep.ReadP50, rep.ReadP99, _ = percentiles(lat)

	open, err := openFlags(ctx, db)
	if err != nil {
		return rep, err
	}
	data, err := refData(ctx, db)
	if err != nil {
		return rep, err
	}
	atStart, atEnd := Expected(data, sweepStart), Expected(data, sweepEnd)
	rep.OpenFlags, rep.ExpectedFlags = len(open), len(atStart)
	rep.Mismatched, rep.MismatchByKind = Compare(open, atStart, atEnd)
	return rep, nil
}

// prepareWebhooks creates the events seller's EasyPost source and parcels.
func prepareWebhooks(ctx context.Context, c *client, key string, opts Options) (*webhooks, error) {
	var src struct {
		CreateTrackingSource struct{ WebhookURL string }
	}
	err := c.graphql(ctx, key, `mutation($secret: String!) { createTrackingSource(provider: EASYPOST, secret: $secret) { webhookUrl } }`,
		map[string]any{"secret": webhookSecret}, &src)
	if err != nil {
		return nil, fmt.Errorf("create tracking source: %w", err)
	}
	w := &webhooks{url: c.base + src.CreateTrackingSource.WebhookURL, perHook: opts.EventsPerWebhook,
		epoch: time.Now().UTC().Add(-90 * 24 * time.Hour).Truncate(time.Hour)}
	in := make([]map[string]any, opts.Parcels)
	w.numbers = make([]string, opts.Parcels)
	for i := range in {
		w.numbers[i] = fmt.Sprintf("SOAK%010d", i)
		in[i] = map[string]any{"orderId": fmt.Sprintf("EVENTS-%d", i), "carrier": "ups", "trackingNumber": w.numbers[i]}
	}
	if _, err := createShipments(ctx, c, key, in); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *webhooks) summarise(rep *Report) {
	rep.Acked = int64(len(w.acked))
	rep.EventsAcked = rep.Acked * int64(w.perHook)
	rep.Refused, rep.Retries, rep.GaveUp = w.refused, w.retries, w.gaveUp
	rep.AckP50, rep.AckP99, rep.AckMax = percentiles(w.latencies)
}

// runImport uploads the file and polls the import until it completes.
func runImport(ctx context.Context, c *client, key, file string, deadline time.Time, rep *Report) error {
	began := time.Now()
	id, err := c.upload(ctx, key, file)
	if err != nil {
		rep.ImportStatus = "NOT UPLOADED"
		return err
	}
	for {
		var out struct {
			ShipmentImport struct {
				Status                 string
				RowsProcessed, Created int64
				Rejected               int64
			}
		}
		err := c.graphql(ctx, key, `query($id: ID!) { shipmentImport(id: $id) { status rowsProcessed created rejected } }`,
			map[string]any{"id": id}, &out)
		if err != nil {
			return fmt.Errorf("import status: %w", err)
		}
		im := out.ShipmentImport
		rep.ImportStatus, rep.ImportRows, rep.ImportCreated, rep.ImportRejected = im.Status, im.RowsProcessed, im.Created, im.Rejected
		rep.ImportTook = time.Since(began)
		if im.Status == "COMPLETED" || im.Status == "FAILED" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("import still %s after %s", im.Status, rep.ImportTook.Round(time.Second))
		}
		pause(ctx, 500*time.Millisecond)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// drain waits until no delivery is unprocessed and no job waits or runs,
// and returns the database's time then.
func drain(ctx context.Context, db *sql.DB, deadline time.Time) (time.Time, error) {
	for {
		deliveries, jobs, err := backlog(ctx, db)
		if err != nil {
			return time.Time{}, err
		}
		if deliveries == 0 && jobs == 0 {
			return dbNow(ctx, db)
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("not drained: %d deliveries unprocessed, %d jobs waiting", deliveries, jobs)
		}
		pause(ctx, 250*time.Millisecond)
		if ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
	}
}

func waitSweep(ctx context.Context, db *sql.DB, after time.Time, within time.Duration) (start, end time.Time, err error) {
	deadline := time.Now().Add(within)
	for {
		start, end, ok, err := sweepAfter(ctx, db, after)
		if err != nil || ok {
			return start, end, err
		}
		if time.Now().After(deadline) {
			return start, end, fmt.Errorf("no sweep finished within %s after the backlog drained", within)
		}
		pause(ctx, 250*time.Millisecond)
		if ctx.Err() != nil {
			return start, end, ctx.Err()
		}
	}
}

func writeFile(path string, rows int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := ingesttest.WriteAmazonFlatFile(f, rows, 1, nil); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	var one, five, fifteen string
	if _, err := fmt.Sscan(string(b), &one, &five, &fifteen); err != nil {
		return "unknown"
	}
	return one + " " + five + " " + fifteen
}

// Print writes the report, one figure per line, ending with the line
// `soak: deadlocks D, job errors E, sweeps lost S, flags mismatched F, events lost L`.
func (r Report) Print(w io.Writer) {
	o := r.Options
	fmt.Fprintf(w, "soak:        %s of load, %d-line import, sweep every %s, %d webhook senders (%d events each, %d parcels), %d readers, %d shipments every %s\n",
		o.Duration, o.Rows, o.Sweep, o.Senders, o.EventsPerWebhook, o.Parcels, o.Readers, o.SmallBatch, o.SmallEvery)
	fmt.Fprintf(w, "load avg:    %s at the start, %s at the end\n", r.LoadAvg[0], r.LoadAvg[1])
	fmt.Fprintf(w, "import:      %s, %d rows, %d shipments created, %d rejected, %s from upload to the end\n",
		r.ImportStatus, r.ImportRows, r.ImportCreated, r.ImportRejected, r.ImportTook.Round(100*time.Millisecond))
	fmt.Fprintf(w, "webhooks:    %d acknowledged (%d events), p50 %s, p99 %s, max %s; %d refused, %d retries, %d never acknowledged\n",
		r.Acked, r.EventsAcked, ms(r.AckP50), ms(r.AckP99), ms(r.AckMax), r.Refused, r.Retries, r.GaveUp)
	fmt.Fprintf(w, "events:      %d acknowledged events not stored, %d stored twice; backlog drained %s after the load\n",
		r.EventsLost, r.EventsDuplicated, r.DrainedAfter.Round(100*time.Millisecond))
	fmt.Fprintf(w, "reads:       %d GraphQL reads, %d errors, p50 %s, p99 %s\n", r.Reads, r.ReadErrors, ms(r.ReadP50), ms(r.ReadP99))
	fmt.Fprintf(w, "sweeps:      %d finished, %d unfinished, %d failed jobs, longest %s\n",
		r.Sweeps.Finished, r.Sweeps.Unfinished, r.Sweeps.Failed, r.Sweeps.Longest.Round(time.Millisecond))
	fmt.Fprintf(w, "jobs:        %d River jobs recorded an error", r.JobErrors.Jobs)
	kinds := make([]string, 0, len(r.JobErrors.ByKind))
	for kind := range r.JobErrors.ByKind {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		fmt.Fprintf(w, "; %s %d", kind, r.JobErrors.ByKind[kind])
	}
	if r.JobErrors.Example != "" {
		fmt.Fprintf(w, " (e.g. %s)", r.JobErrors.Example)
	}
	fmt.Fprintln(w)
	verdict := "OK"
	if r.DelayNever > 0 || r.DelayMax >= r.DelayLimit() {
		verdict = "TOO SLOW"
	}
	fmt.Fprintf(w, "small seller: %d shipments written (%d failed writes); write to flag p50 %s, p99 %s, max %s, %d never flagged (limit %s): %s\n",
		r.SmallWrites, r.SmallErrors, ms(r.DelayP50), ms(r.DelayP99), ms(r.DelayMax), r.DelayNever, r.DelayLimit(), verdict)
	fmt.Fprintf(w, "flags:       %d open, %d expected by the reference evaluation, %d mismatched\n", r.OpenFlags, r.ExpectedFlags, r.Mismatched)
	for _, m := range r.MismatchByKind {
		fmt.Fprintf(w, "             %s: %d expected but not open, %d open but not expected (e.g. shipment %s)\n", m.Kind, m.Missing, m.Extra, m.Example)
	}
	if r.ServerWarnings > 0 {
		fmt.Fprintf(w, "server:      %d warnings or errors logged\n", r.ServerWarnings)
		for _, k := range r.WarningKinds {
			fmt.Fprintf(w, "             %5d  %s\n                    first: %s\n", k.Count, k.Kind, k.First)
		}
	}
	for _, p := range r.Problems {
		fmt.Fprintf(w, "problem:     %s\n", p)
	}
	fmt.Fprintf(w, "soak: deadlocks %d, job errors %d, sweeps lost %d, flags mismatched %d, events lost %d\n",
		r.Deadlock, r.JobErrors.Jobs, r.Sweeps.Lost(), r.Mismatched, r.EventsLost)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
