package forecast_test

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/forecast"
	"github.com/shipwatch/shipwatch/internal/forecast/forecastsim"
)

// The backtest: seeded simulated seller histories whose lanes the model
// does not know (internal/forecast/forecastsim). Each day's parcels are forecast at
// their ship time from the deliveries known before that day (learned one
// at a time, as the store does), then compared with their simulated
// delivery. Baselines: the promised date (the service's nominal days) and
// a carrier estimate (the lane's true median before any slowdown, off by
// a day one time in three).

type backtest struct {
	n                                 int
	errOurs, errPromised, errEstimate float64
	covered                           int
	// slow is the same for the parcels of the carrier that slows down,
	// shipped from its slowdown on.
	slow *backtest
}

func (r *backtest) add(ours, promised, estimate float64, covered bool) {
	r.n++
	r.errOurs += ours
	r.errPromised += promised
	r.errEstimate += estimate
	if covered {
		r.covered++
	}
}

func runBacktest(seed uint64) backtest {
	lanes, parcels := forecastsim.Simulate(seed)
	byDelivery := make([]int, len(parcels))
	for i := range byDelivery {
		byDelivery[i] = i
	}
	sort.Slice(byDelivery, func(a, b int) bool { return parcels[byDelivery[a]].Delivered.Before(parcels[byDelivery[b]].Delivered) })
	var obs []forecast.Observation
	next := 0
	r := backtest{slow: &backtest{}}
	start := parcels[0].Shipped.Truncate(24 * time.Hour)
	for day := forecastsim.Warmup; day < forecastsim.Days; day++ {
		dayStart := start.AddDate(0, 0, day)
		// Learn every delivery before the day starts.
		for next < len(byDelivery) && parcels[byDelivery[next]].Delivered.Before(dayStart) {
			p := parcels[byDelivery[next]]
			for _, k := range lanes[p.Lane].Lane.Keys() {
				obs = append(obs, forecast.Observation{Key: k, Week: forecast.WeekOf(p.Delivered), Days: p.ActualDays, N: 1})
			}
			next++
		}
		hists := forecast.Build(obs, dayStart)
		for _, p := range parcels {
			if p.Shipped.Before(dayStart) || !p.Shipped.Before(dayStart.AddDate(0, 0, 1)) {
				continue
			}
			f, err := forecast.Predict(forecast.Parcel{Lane: lanes[p.Lane].Lane, ShippedAt: p.Shipped}, hists, p.Shipped, time.UTC)
			if err != nil {
				continue
			}
			ours := math.Abs(float64(forecast.BusinessDays(p.Shipped, f.P50, time.UTC) - p.ActualDays))
			promised := math.Abs(float64(p.Promised - p.ActualDays))
			estimate := math.Abs(float64(p.Estimate - p.ActualDays))
			covered := !p.Delivered.After(f.P90)
			r.add(ours, promised, estimate, covered)
			if lanes[p.Lane].Lane.Carrier == "slowco" && day >= forecastsim.SlowFrom {
				r.slow.add(ours, promised, estimate, covered)
			}
		}
	}
	return r
}

// TestBacktestCalibrated holds the p90 coverage between 0.87 and 0.93 and
// the p50 error below the promised date's, on three seeds.
func TestBacktestCalibrated(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		r := runBacktest(seed)
		cov := float64(r.covered) / float64(r.n)
		if cov < 0.87 || cov > 0.93 {
			t.Errorf("seed %d: p90 coverage %.3f, want 0.87 to 0.93", seed, cov)
		}
		if r.errOurs >= r.errPromised {
			t.Errorf("seed %d: p50 error %.3f days, not below the promised date's %.3f", seed, r.errOurs/float64(r.n), r.errPromised/float64(r.n))
		}
	}
}

// BenchmarkBacktest prints the backtest's figures for three seeds (make
// bench-forecast); ns/op is one whole backtest.
func BenchmarkBacktest(b *testing.B) {
	var lines []string
	for seed := uint64(1); seed <= 3; seed++ {
		r := runBacktest(seed)
		n := float64(r.n)
		lines = append(lines, fmt.Sprintf("backtest seed %d: %d parcels forecast at ship time: p50 abs error %.2f business days (baselines: promised date %.2f, carrier estimate %.2f); p90 coverage %.3f",
			seed, r.n, r.errOurs/n, r.errPromised/n, r.errEstimate/n, float64(r.covered)/n))
		s, sn := r.slow, float64(r.slow.n)
		lines = append(lines, fmt.Sprintf("backtest seed %d: of which %d of the carrier that slows down, shipped after it did: p50 abs error %.2f business days (baselines: promised date %.2f, carrier estimate %.2f); p90 coverage %.3f",
			seed, s.n, s.errOurs/sn, s.errPromised/sn, s.errEstimate/sn, float64(s.covered)/sn))
	}
	fmt.Println(strings.Join(lines, "\n"))
	for b.Loop() {
		runBacktest(1)
	}
}
