package forecast

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"
)

// The backtest: seeded simulated seller histories whose lanes the model
// does not know. Each lane's transit time in business days is lognormal
// with a heavy tail (a parcel in 20 is delayed by a Pareto number of
// extra days); parcels ship Monday to Saturday; carrier "slowco" slows by
// a day and a half halfway through. Each day's parcels are forecast at
// their ship time from the deliveries known before that day (learned one
// at a time, as the store does), then compared with their simulated
// delivery. Baselines: the promised date (the service's nominal days) and
// a carrier estimate (the lane's true median before any slowdown, off by
// a day one time in three).

type simLane struct {
	lane     Lane
	mu, sig  float64 // of the lognormal in business days
	promised int     // the service's nominal business days
}

type simParcel struct {
	lane                 int
	shipped, delivered   time.Time
	estimate             int // the carrier's, in business days
	actualDays, promised int
}

const (
	simDays     = 140
	simPerDay   = 150
	simWarmup   = 28 // days of history before forecasts are scored
	simSlowFrom = 70
)

func simulate(seed uint64) ([]simLane, []simParcel) {
	rng := rand.New(rand.NewPCG(seed, 14))
	carriers := []struct {
		name     string
		services []string
		base     []float64
		promised []int
	}{
		{"ups", []string{"ground", "2day"}, []float64{3, 1.6}, []int{5, 2}},
		{"fedex", []string{"home", "express"}, []float64{3.4, 1.3}, []int{5, 2}},
		{"slowco", []string{"economy"}, []float64{4.5}, []int{7}},
	}
	origins := []string{"100", "606"}
	var lanes []simLane
	for _, c := range carriers {
		for si, s := range c.services {
			for _, o := range origins {
				for range 12 {
					d := fmt.Sprintf("%03d", 100+rng.IntN(890))
					far := 1.0
					if d[0] != o[0] {
						far = 1.35
					}
					med := c.base[si] * far * (0.8 + 0.4*rng.Float64())
					lanes = append(lanes, simLane{Lane{c.name, s, o, d}, math.Log(med), 0.25 + 0.2*rng.Float64(), c.promised[si]})
				}
			}
		}
	}
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) // a Monday
	var out []simParcel
	for day := 0; day < simDays; day++ {
		date := start.AddDate(0, 0, day)
		if date.Weekday() == time.Sunday {
			continue
		}
		for range simPerDay {
			li := rng.IntN(len(lanes))
			l := lanes[li]
			mu := l.mu
			if l.lane.Carrier == "slowco" && day >= simSlowFrom {
				mu = math.Log(math.Exp(mu) + 1.5)
			}
			days := math.Exp(mu + l.sig*rng.NormFloat64())
			if rng.IntN(20) == 0 {
				days += 1 / math.Pow(1-rng.Float64(), 1/1.5) // Pareto, alpha 1.5
			}
			n := min(int(math.Round(days)), MaxDays)
			shipped := date.Add(time.Duration(9+rng.IntN(9)) * time.Hour)
			est := int(math.Round(math.Exp(l.mu)))
			if rng.IntN(3) == 0 {
				est += 1 - 2*rng.IntN(2)
			}
			out = append(out, simParcel{li, shipped, AddBusinessDays(shipped, n, time.UTC).Add(-6 * time.Hour), max(est, 0), n, l.promised})
		}
	}
	return lanes, out
}

type backtest struct {
	n                                 int
	errOurs, errPromised, errEstimate float64
	covered                           int
}

func runBacktest(seed uint64) backtest {
	lanes, parcels := simulate(seed)
	byDelivery := make([]int, len(parcels))
	for i := range byDelivery {
		byDelivery[i] = i
	}
	sort.Slice(byDelivery, func(a, b int) bool { return parcels[byDelivery[a]].delivered.Before(parcels[byDelivery[b]].delivered) })
	var obs []Observation
	next := 0
	var r backtest
	start := parcels[0].shipped.Truncate(24 * time.Hour)
	for day := simWarmup; day < simDays; day++ {
		dayStart := start.AddDate(0, 0, day)
		// Learn every delivery before the day starts.
		for next < len(byDelivery) && parcels[byDelivery[next]].delivered.Before(dayStart) {
			p := parcels[byDelivery[next]]
			for _, k := range lanes[p.lane].lane.Keys() {
				obs = append(obs, Observation{k, WeekOf(p.delivered), p.actualDays, 1})
			}
			next++
		}
		hists := Build(obs, dayStart)
		for _, p := range parcels {
			if p.shipped.Before(dayStart) || !p.shipped.Before(dayStart.AddDate(0, 0, 1)) {
				continue
			}
			f, err := Predict(Parcel{Lane: lanes[p.lane].lane, ShippedAt: p.shipped}, hists, p.shipped, time.UTC)
			if err != nil {
				continue
			}
			r.n++
			r.errOurs += math.Abs(float64(BusinessDays(p.shipped, f.P50, time.UTC) - p.actualDays))
			r.errPromised += math.Abs(float64(p.promised - p.actualDays))
			r.errEstimate += math.Abs(float64(p.estimate - p.actualDays))
			if !p.delivered.After(f.P90) {
				r.covered++
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
	}
	fmt.Println(strings.Join(lines, "\n"))
	for b.Loop() {
		runBacktest(1)
	}
}
