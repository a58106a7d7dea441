package loadtest

import (
	"fmt"
	"io"
	"time"
)

// Print writes the report for people, one figure per line.
func (r Report) Print(w io.Writer) {
	o := r.Options
	secs := r.Elapsed.Seconds()
	fmt.Fprintf(w, "load:        %s, %d senders, %d events per signed %s webhook, %d parcels\n",
		o.Duration, o.Senders, o.EventsPerWebhook, providerName(o.Provider), o.Parcels)
	fmt.Fprintf(w, "acknowledged: %d webhooks in %.1fs = %.0f webhooks/s, %d events = %.0f events/s sustained\n",
		r.Acked, secs, float64(r.Acked)/secs, r.Events, float64(r.Events)/secs)
	fmt.Fprintf(w, "latency:     p50 %s, p99 %s, max %s (request to 2xx, after the body is stored)\n",
		ms(r.P50), ms(r.P99), ms(r.Max))
	fmt.Fprintf(w, "answers:     %d 2xx, %d 4xx, %d 5xx, %d connection errors; %d retries, %d webhooks never acknowledged\n",
		r.Answers2xx, r.Answers4xx, r.Answers5xx, r.ConnErrors, r.Retries, r.GaveUp)
	total := r.Elapsed + r.DrainedAfter
	fmt.Fprintf(w, "processing:  deliveries processed %s and their checks done %s after the last answer; %d events stored and checked in %.1fs = %.0f events/s end to end\n",
		r.ProcessedAfter.Round(100*time.Millisecond), r.DrainedAfter.Round(100*time.Millisecond), r.Stored, total.Seconds(), float64(r.Stored)/total.Seconds())
	// After a restart the database backends are new ones, whose CPU
	// before the second sample is not counted: no figure then.
	if cpu := r.CPUProcess + r.CPUPostgres; cpu > 0 && !r.Restarted && r.Together <= 1 {
		fmt.Fprintf(w, "cpu:         %.1fs in this process (server and senders), %.1fs in PostgreSQL backends = %.0f events per CPU-second\n",
			r.CPUProcess.Seconds(), r.CPUPostgres.Seconds(), float64(r.Stored)/cpu.Seconds())
		if r.Stored > 0 {
			per := 1000 / float64(r.Stored)
			fmt.Fprintf(w, "cpu/1000:    %.3fs server (with senders), %.3fs PostgreSQL per 1,000 events\n",
				r.CPUProcess.Seconds()*per, r.CPUPostgres.Seconds()*per)
		}
	}
	if r.Restarted {
		fmt.Fprintf(w, "fault:       database away (restart) from %s to %s", secsOf(r.RestartStart), secsOf(r.RestartEnd))
		if r.RestartErr != nil {
			fmt.Fprintf(w, " FAILED: %v", r.RestartErr)
		}
		fmt.Fprintf(w, "\n             %d 5xx or connection errors from %s to %s; ", r.FailuresDuringRestart, secsOf(r.FirstFailure), secsOf(r.LastFailure))
		if r.RecoveredAt > 0 {
			fmt.Fprintf(w, "first 2xx after the restart at %s (recovered by itself)\n", secsOf(r.RecoveredAt))
		} else {
			fmt.Fprintf(w, "NO 2xx after the restart: not recovered\n")
		}
	}
	verdict := "OK"
	if !r.OK() {
		verdict = "FAILED"
	}
	fmt.Fprintf(w, "reconcile:   %d events acknowledged, %d missing, %d duplicated, %d stored without acknowledgement, %d deliveries failed, %d shipments not at their latest event: %s\n",
		r.Events, r.Missing, r.Duplicated, r.Extra, r.FailedDeliveries, r.StaleShipments, verdict)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func secsOf(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

func providerName(p string) string {
	switch p {
	case "SEVENTEEN_TRACK":
		return "17TRACK"
	case "SHIPPO":
		return "Shippo"
	case "AFTERSHIP":
		return "AfterShip"
	}
	return "EasyPost"
}

// PrintComparison writes one line per run, each provider's throughput
// against the first run's (the baseline, EasyPost), measured in the same
// invocation: one after another, or together (RunTogether), when CPU is
// only known for the whole run and printed once.
func PrintComparison(w io.Writer, reps []Report) {
	if len(reps) == 0 {
		return
	}
	rate := func(r Report) float64 {
		if r.Elapsed <= 0 {
			return 0
		}
		return float64(r.Events) / r.Elapsed.Seconds()
	}
	together := reps[0].Together > 1
	base := reps[0]
	mode := "one after another"
	if together {
		mode = "all at once, each with " + fmt.Sprint(base.Options.Senders) + " senders"
	}
	fmt.Fprintf(w, "compare:     baseline %s, %s\n", providerName(base.Options.Provider), mode)
	var stored int64
	for _, r := range reps {
		stored += r.Stored
		ratio := 0.0
		if rate(base) > 0 {
			ratio = rate(r) / rate(base)
		}
		fmt.Fprintf(w, "  %-9s  %6.0f events/s acknowledged (%5.1f%% of baseline), p50 %s, p99 %s",
			providerName(r.Options.Provider), rate(r), 100*ratio, ms(r.P50), ms(r.P99))
		if cpu := r.CPUProcess + r.CPUPostgres; !together && r.Stored > 0 {
			fmt.Fprintf(w, ", %.3f CPU-s per 1,000 events", cpu.Seconds()*1000/float64(r.Stored))
		}
		fmt.Fprintln(w)
	}
	if cpu := base.CPUProcess + base.CPUPostgres; together && stored > 0 {
		fmt.Fprintf(w, "  all        %.3f CPU-s per 1,000 events (server, senders and PostgreSQL, for the run as a whole)\n",
			cpu.Seconds()*1000/float64(stored))
	}
}
