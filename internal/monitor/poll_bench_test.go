package monitor_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/carrier"
	"github.com/shipwatch/shipwatch/internal/carrier/fake"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// fakeLatency is how long the fake carriers take to answer a tracking
// request in the figures (make bench-poll).
const fakeLatency = 50 * time.Millisecond

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

var places = []fake.Scan{
	{City: "Louisville", State: "KY", ZIP: "40201", Country: "US"}, {City: "Memphis", State: "TN", ZIP: "38118", Country: "US"},
	{City: "Phoenix", State: "AZ", ZIP: "85001", Country: "US"}, {City: "Newark", State: "NJ", ZIP: "07101", Country: "US"},
	{City: "El Paso", State: "TX", ZIP: "79901", Country: "US"}, {City: "Oakland", State: "CA", ZIP: "94601", Country: "US"},
}

func scanAt(p fake.Scan, t time.Time, s shipment.Status) fake.Scan {
	p.At, p.Status = t, s
	return p
}

// createShipments creates n shipments of carrier c shipped at shipped(i),
// 1,000 per call (the API's limit), and returns their numbers.
func createShipments(b *testing.B, e *pollEnv, c carrier.Carrier, n int, shipped func(i int) time.Time) []string {
	b.Helper()
	numbers := make([]string, 0, n)
	for lo := 0; lo < n; lo += 1000 {
		var in []shipment.Input
		for i := lo; i < min(n, lo+1000); i++ {
			num := e.number(c)
			s := shipped(i)
			in = append(in, shipment.Input{OrderID: fmt.Sprintf("%s-%d", c, i), Carrier: c.Code(), TrackingNumber: num, ShippedAt: &s})
			numbers = append(numbers, num)
		}
		res, err := e.svc.CreateShipments(e.ctx, e.seller, in)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				b.Fatal(r.Err)
			}
		}
	}
	return numbers
}

// BenchmarkPollCycle is one poll cycle of SHIPMENTS (100,000) open
// shipments, half UPS and half FedEx, every one due at once (the worst
// cycle: after a start or an outage), against the fakes answering in 50
// ms: the time it takes against the period it must fit in, and the
// requests it spends against the configured quota.
func BenchmarkPollCycle(b *testing.B) {
	n := envInt("SHIPMENTS", 100_000)
	e := newPollEnv(b)
	upsQuota, fedexQuota := 60_000, 3_000
	e.account(carrier.UPS, &upsQuota)
	e.account(carrier.FedEx, &fedexQuota)
	now := e.now()
	for _, c := range []carrier.Carrier{carrier.UPS, carrier.FedEx} {
		e.fakes[c].Latency = fakeLatency
		for _, num := range createShipments(b, e, c, n/2, func(int) time.Time { return now.Add(-6 * time.Hour) }) {
			e.fakes[c].AddParcel(fake.Parcel{Number: num, Scans: []fake.Scan{scanAt(places[len(num)%len(places)], now.Add(-2*time.Hour), shipment.StatusInTransit)}})
		}
	}
	b.ResetTimer()
	for range b.N {
		begin := time.Now()
		var wg sync.WaitGroup
		stats := map[carrier.Carrier]*monitor.PollStats{carrier.UPS: {}, carrier.FedEx: {}}
		for c, total := range stats {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					st, err := e.car.PollAccount(context.Background(), e.seller, e.accts[c])
					if err != nil {
						b.Error(err)
						return
					}
					total.Polled += st.Polled
					total.Events += st.Events
					total.Requests += st.Requests
					if st.Claimed == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(begin)
		period := carrier.DefaultPolicy.Unscanned
		b.ReportMetric(elapsed.Seconds(), "s/cycle")
		b.ReportMetric(float64(stats[carrier.UPS].Requests+stats[carrier.FedEx].Requests), "requests/cycle")
		fmt.Printf("poll cycle: %d open shipments (%d UPS, %d FedEx), fakes answering in %s, %d requests in flight per account\n",
			n, n/2, n/2, fakeLatency, 32)
		fmt.Printf("  figure:   cycle took %.1f s; period %s (%.0f s): %s\n", elapsed.Seconds(), period, period.Seconds(),
			map[bool]string{true: "within the period", false: "LONGER THAN THE PERIOD"}[elapsed < period])
		for _, c := range []carrier.Carrier{carrier.UPS, carrier.FedEx} {
			st := stats[c]
			quota := map[carrier.Carrier]int{carrier.UPS: upsQuota, carrier.FedEx: fedexQuota}[c]
			fmt.Printf("  %-5s: %d shipments polled, %d events, %d requests (fake saw %d) against an hourly quota of %d: %s\n",
				c, st.Polled, st.Events, st.Requests, e.fakes[c].Requests(), quota,
				map[bool]string{true: "within quota", false: "OVER QUOTA"}[int(e.fakes[c].Requests()) <= quota])
		}
		fmt.Printf("  baseline: polling every open shipment every period repeats this cycle %d times a day: %.0f UPS requests per shipment per day\n",
			int(24*time.Hour/period), float64(24*time.Hour/period))
	}
}

// life is one simulated parcel: shipped, first scanned, moving, delivered.
func life(r *rand.Rand, start time.Time) (shipped time.Time, scans []fake.Scan) {
	shipped = start.Add(-time.Duration(r.Int64N(int64(36 * time.Hour))))
	p := places[r.IntN(len(places))]
	scans = append(scans, scanAt(p, shipped.Add(-time.Hour), shipment.StatusLabelCreated))
	t := shipped.Add(time.Hour + time.Duration(r.Int64N(int64(29*time.Hour))))
	scans = append(scans, scanAt(p, t, shipment.StatusInTransit))
	deliver := t.Add(48*time.Hour + time.Duration(r.Int64N(int64(48*time.Hour))))
	for t = t.Add(8 * time.Hour); t.Before(deliver); t = t.Add(8*time.Hour + time.Duration(r.Int64N(int64(8*time.Hour)))) {
		scans = append(scans, scanAt(places[r.IntN(len(places))], t, shipment.StatusInTransit))
	}
	scans = append(scans, scanAt(places[r.IntN(len(places))], deliver, shipment.StatusDelivered))
	return shipped, scans
}

// daySim plays one simulated day of DAY_SHIPMENTS (1,000) parcel lives,
// half UPS and half FedEx, through the real poller and the fakes (50 ms
// each answer), every 5 simulated minutes, and returns requests per
// shipment per day by carrier, the share of first scans the fakes showed
// within an hour of their time, and the busiest hour's requests.
func daySim(b *testing.B, policy carrier.Policy) (perDay map[carrier.Carrier]float64, withinHour float64, firsts int, peak map[carrier.Carrier]int64) {
	n := envInt("DAY_SHIPMENTS", 1000)
	e := newPollEnv(b, monitor.WithPollPolicy(policy))
	e.account(carrier.UPS, nil)
	e.account(carrier.FedEx, nil)
	start := e.now()
	r := rand.New(rand.NewPCG(7, 13))
	type first struct {
		c      carrier.Carrier
		number string
		at     time.Time
	}
	var watch []first
	for _, c := range []carrier.Carrier{carrier.UPS, carrier.FedEx} {
		e.fakes[c].Latency = fakeLatency
		lives := make([][]fake.Scan, n/2)
		shippedAt := make([]time.Time, n/2)
		for i := range lives {
			shippedAt[i], lives[i] = life(r, start)
		}
		for i, num := range createShipments(b, e, c, n/2, func(i int) time.Time { return shippedAt[i] }) {
			e.fakes[c].AddParcel(fake.Parcel{Number: num, Scans: lives[i]})
			if f := lives[i][1].At; !f.Before(start) && f.Before(start.Add(23*time.Hour)) {
				watch = append(watch, first{c, num, f})
			}
		}
	}
	peak = map[carrier.Carrier]int64{}
	hourStart := map[carrier.Carrier]int64{}
	for step := range 24 * 12 {
		if step%12 == 0 {
			for _, c := range []carrier.Carrier{carrier.UPS, carrier.FedEx} {
				hourStart[c] = e.fakes[c].Requests()
			}
		}
		for _, c := range []carrier.Carrier{carrier.UPS, carrier.FedEx} {
			for {
				st := e.poll(c)
				if st.Claimed == 0 {
					break
				}
			}
			if d := e.fakes[c].Requests() - hourStart[c]; d > peak[c] {
				peak[c] = d
			}
		}
		e.advance(5 * time.Minute)
	}
	perDay = map[carrier.Carrier]float64{}
	for _, c := range []carrier.Carrier{carrier.UPS, carrier.FedEx} {
		perDay[c] = float64(e.fakes[c].Requests()) / float64(n/2)
	}
	ok := 0
	for _, w := range watch {
		if seen, found := e.fakes[w.c].FirstScanSeen(w.number); found && seen.Sub(w.at) <= time.Hour {
			ok++
		}
	}
	if len(watch) > 0 {
		withinHour = float64(ok) / float64(len(watch))
	}
	return perDay, withinHour, len(watch), peak
}

// BenchmarkPollDay is the schedule's day against the naive one's, in the
// same run: requests per shipment per day and the share of first scans
// seen within one hour of the carrier's scan (goal: at least 99%).
func BenchmarkPollDay(b *testing.B) {
	for range b.N {
		n := envInt("DAY_SHIPMENTS", 1000)
		fmt.Printf("poll day: %d parcel lives (%d UPS, %d FedEx), one simulated day in 5-minute steps, fakes answering in %s\n",
			n, n/2, n/2, fakeLatency)
		for _, run := range []struct {
			name   string
			policy carrier.Policy
		}{{"figure  ", carrier.DefaultPolicy}, {"baseline", func() carrier.Policy { p := carrier.DefaultPolicy; p.Naive = true; return p }()}} {
			begin := time.Now()
			perDay, within, firsts, peak := daySim(b, run.policy)
			label := "schedule (unscanned every 30 min, moving every 6 h, closed never)"
			if run.policy.Naive {
				label = "naive: every open shipment every 30 min"
			}
			fmt.Printf("  %s %s: UPS %.1f and FedEx %.1f requests per shipment per day (FedEx: 30 numbers a request); busiest hour UPS %d, FedEx %d requests; first scans seen within 1 h: %.1f%% of %d; %.0f s\n",
				run.name, label, perDay[carrier.UPS], perDay[carrier.FedEx], peak[carrier.UPS], peak[carrier.FedEx], 100*within, firsts, time.Since(begin).Seconds())
			if !run.policy.Naive {
				b.ReportMetric(perDay[carrier.UPS], "ups-requests/shipment/day")
				b.ReportMetric(100*within, "%first-scans-within-1h")
			}
		}
	}
}
