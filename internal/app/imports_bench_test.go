package app_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/ingest/ingesttest"
)

// copyColumns are the shipments columns an import writes; the rest take
// their defaults in both runs.
const copyColumns = `seller_id, order_id, carrier, tracking_number, normalized_tracking_number, service,
	ship_by, shipped_at, deliver_by, destination_postal_code, destination_country,
	tracking_valid, tracking_reason, tracking_carrier`

// BenchmarkImport uploads a 1,000,000-line Amazon flat file to a server
// running as its own process, exactly as curl would, and times it from the
// upload being accepted to COMPLETED, which means every row is written and
// checked, with its flags raised. In the same run it times a raw COPY of
// the same rows (exported from the import's result) into the same
// shipments table, emptied, with the same indexes, and prints both rates,
// their ratio and the server's peak resident memory (VmHWM). The targets
// are a ratio of at least 0.8 and a peak under 300 MB. ROWS sets another
// size (`make bench-import ROWS=2000000`).
func BenchmarkImport(b *testing.B) {
	lines := 1_000_000
	if v := os.Getenv("ROWS"); v != "" {
		var err error
		if lines, err = strconv.Atoi(v); err != nil || lines < 1 {
			b.Fatalf("ROWS=%q: want a positive number of rows", v)
		}
	}
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "shipments.txt")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := ingesttest.WriteAmazonFlatFile(f, lines, 1, nil); err != nil {
		b.Fatal(err)
	}
	size, err := f.Seek(0, 1)
	if err != nil {
		b.Fatal(err)
	}
	f.Close()
	dbURL := dbtest.URL(b)
	proc := apptest.StartProcess(b, dbURL)
	_, key := apptest.SellerOn(b, dbURL, "Bench")
	pg, err := pgconn.Connect(ctx, dbtest.SuperuserURL(dbURL)) // CHECKPOINT and TRUNCATE are the superuser's
	if err != nil {
		b.Fatal(err)
	}
	defer pg.Close(ctx)
	exec := func(sql string) {
		if _, err := pg.Exec(ctx, sql).ReadAll(); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}

	// wal reads the server's WAL counters: records, full-page images and
	// bytes (the whole server's, so other databases' writes count too).
	wal := func() walStats {
		res, err := pg.Exec(ctx, `SELECT wal_records, wal_fpi, wal_bytes::bigint FROM pg_stat_wal`).ReadAll()
		if err != nil {
			b.Fatal(err)
		}
		var w walStats
		for i, v := range []*int64{&w.records, &w.fpi, &w.bytes} {
			if *v, err = strconv.ParseInt(string(res[0].Rows[0][i]), 10, 64); err != nil {
				b.Fatal(err)
			}
		}
		return w
	}

	b.ResetTimer()
	exec(`CHECKPOINT`)
	walStart := wal()
	env := proc.Env()
	file, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	r := env.Do(b, env.UploadRequest(b, key, apptest.UploadQuery, map[string]any{"file": nil}, "shipments.txt", file, size))
	accepted := time.Now()
	file.Close()
	if len(r.Errors) > 0 {
		b.Fatalf("upload: %+v", r.Errors)
	}
	var up struct{ UploadShipments struct{ ID string } }
	r.Decode(b, &up)
	var im importJSON
	var half stepTimes // the batch steps' totals once half the lines are in
	var walHalf walStats
	for {
		var out struct{ ShipmentImport importJSON }
		env.MustGraphQL(b, key, `query($id: ID!) { shipmentImport(id: $id) { `+importFields+` } }`,
			map[string]any{"id": up.UploadShipments.ID}, &out)
		if im = out.ShipmentImport; im.Status == "COMPLETED" || im.Status == "FAILED" {
			break
		}
		if half == nil && im.RowsProcessed >= lines/2 {
			half = scrapeSteps(b, proc.URL)
			walHalf = wal()
		}
		time.Sleep(20 * time.Millisecond)
	}
	done := time.Now()
	walDone := wal()
	all := scrapeSteps(b, proc.URL)
	peak, err := proc.PeakRSS()
	if err != nil {
		b.Fatal(err)
	}
	proc.Kill() // a quiet database for the baseline
	if im.Status != "COMPLETED" || im.Rejected != 0 || im.RowsProcessed != lines {
		b.Fatalf("import = %+v, want COMPLETED with every line in", im)
	}

	res, err := pg.Exec(ctx, `SELECT count(*) FROM flags WHERE resolved_at IS NULL`).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	flagged := string(res[0].Rows[0][0])

	// The baseline: the same rows, COPYed raw into the same table.
	var rows bytes.Buffer
	tag, err := pg.CopyTo(ctx, &rows, `COPY (SELECT `+copyColumns+` FROM shipments) TO STDOUT`)
	if err != nil {
		b.Fatal(err)
	}
	shipments := tag.RowsAffected()
	if shipments != int64(im.Created) {
		b.Fatalf("%d shipments in the table, the import created %d", shipments, im.Created)
	}
	// Evidence tables refuse TRUNCATE to everyone while their TRUNCATE
	// triggers are on: switch them off for this transaction only.
	exec(`BEGIN;
		ALTER TABLE tracking_events DISABLE TRIGGER tracking_events_no_truncate;
		ALTER TABLE proof_of_delivery DISABLE TRIGGER proof_of_delivery_no_truncate;
		ALTER TABLE proof_images DISABLE TRIGGER proof_images_no_truncate;
		ALTER TABLE evidence_chains DISABLE TRIGGER evidence_chains_no_truncate;
		TRUNCATE shipments CASCADE;
		ALTER TABLE tracking_events ENABLE TRIGGER tracking_events_no_truncate;
		ALTER TABLE proof_of_delivery ENABLE TRIGGER proof_of_delivery_no_truncate;
		ALTER TABLE proof_images ENABLE TRIGGER proof_images_no_truncate;
		ALTER TABLE evidence_chains ENABLE TRIGGER evidence_chains_no_truncate;
		COMMIT`)
	exec(`CHECKPOINT`)
	walCopy := wal()
	copyStart := time.Now()
	if _, err := pg.CopyFrom(ctx, bytes.NewReader(rows.Bytes()), `COPY shipments (`+copyColumns+`) FROM STDIN`); err != nil {
		b.Fatal(err)
	}
	copyTime := time.Since(copyStart)
	walCopied := wal()
	b.StopTimer()

	load := done.Sub(accepted)
	importRate := float64(shipments) / load.Seconds()
	copyRate := float64(shipments) / copyTime.Seconds()
	ratio := importRate / copyRate
	b.ReportMetric(importRate, "import-rows/s")
	b.ReportMetric(copyRate, "copy-rows/s")
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(float64(peak)/1e6, "peak-MB")
	fmt.Printf("import: %d lines (%d shipments, %.0f MB) uploaded in %s, loaded in %s after the upload was accepted: %.0f shipments/s (%.0f lines/s)\n",
		lines, shipments, float64(size)/1e6, accepted.Sub(start).Round(time.Millisecond), load.Round(time.Millisecond), importRate, float64(lines)/load.Seconds())
	fmt.Printf("import: raw COPY of the same %d rows into the same table: %s, %.0f rows/s\n", shipments, copyTime.Round(time.Millisecond), copyRate)
	fmt.Printf("import: %s flags open at COMPLETED (the import's own checks)\n", flagged)
	printSteps(all, half)
	fmt.Printf("import: WAL per shipment (records, full-page images, bytes): import first half %s, second half %s; COPY %s\n",
		walHalf.minus(walStart).per(shipments/2), walDone.minus(walHalf).per(shipments-shipments/2), walCopied.minus(walCopy).per(shipments))
	fmt.Printf("import: targets: ratio >= 0.80, peak RSS < 300 MB\n")
	fmt.Printf("import: %d rows, %.0f rows/s checked; COPY %.0f rows/s; ratio %.2f; peak RSS %.0f MB\n",
		lines, importRate, copyRate, ratio, float64(peak)/1e6)
}

// walStats are pg_stat_wal's counters.
type walStats struct{ records, fpi, bytes int64 }

func (w walStats) minus(o walStats) walStats {
	return walStats{w.records - o.records, w.fpi - o.fpi, w.bytes - o.bytes}
}

// per formats the counters per row of n.
func (w walStats) per(n int64) string {
	if n == 0 {
		n = 1
	}
	return fmt.Sprintf("%.1f, %.3f, %.0f B", float64(w.records)/float64(n), float64(w.fpi)/float64(n), float64(w.bytes)/float64(n))
}

// stepTimes is the server's shipwatch_import_batch_step_seconds histogram:
// per step, the seconds spent and the batches counted.
type stepTimes map[string]struct {
	sum   float64
	count int
}

var stepSample = regexp.MustCompile(`^shipwatch_import_batch_step_seconds_(sum|count)\{step="([a-z]+)"\} (\S+)$`)

// scrapeSteps reads the batch steps' totals from the server's /metrics.
func scrapeSteps(b *testing.B, url string) stepTimes {
	b.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out := stepTimes{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		m := stepSample.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			b.Fatalf("/metrics: %q: %v", sc.Text(), err)
		}
		st := out[m[2]]
		if m[1] == "sum" {
			st.sum = v
		} else {
			st.count = int(v)
		}
		out[m[2]] = st
	}
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return out
}

// printSteps prints where the batches' time went, step by step, and each
// step's mean per batch in the first and the second half of the file: a
// step whose mean grows from one half to the other grows with the table.
func printSteps(all, half stepTimes) {
	steps := make([]string, 0, len(all))
	var total float64
	for step, st := range all {
		steps = append(steps, step)
		total += st.sum
	}
	sort.Slice(steps, func(i, j int) bool { return all[steps[i]].sum > all[steps[j]].sum })
	mean := func(sum float64, n int) float64 {
		if n == 0 {
			return 0
		}
		return 1000 * sum / float64(n)
	}
	fmt.Printf("import: batch steps (seconds summed over every batch and writer; ms per batch in the first and second half of the file)\n")
	for _, step := range steps {
		a, h := all[step], half[step]
		fmt.Printf("import:   %-13s %8.1fs %5.1f%%  %8.1f ms  %8.1f ms\n", step, a.sum, 100*a.sum/total,
			mean(h.sum, h.count), mean(a.sum-h.sum, a.count-h.count))
	}
}
