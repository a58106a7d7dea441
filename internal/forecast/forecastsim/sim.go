// Package forecastsim simulates seeded seller histories for the backtests
// of the delivery forecast (internal/forecast) and of the projected
// account health (internal/health): lanes whose transit times the models
// are not told, and orders with their ship-by and deliver-by dates, late
// shipments and parcels no carrier ever scans. It is for tests and
// benchmarks only.
package forecastsim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/shipwatch/shipwatch/internal/forecast"
)

// Lane is a simulated lane: its transit time in business days is
// lognormal (Mu, Sig); Promised is its service's nominal business days.
type Lane struct {
	Lane     forecast.Lane
	Mu, Sig  float64
	Promised int
}

// Parcel is one simulated order and its parcel. The transit part (Lane to
// Promised) drives the delivery backtest; the order part (Created to
// FirstScan) the account-health backtest.
type Parcel struct {
	Lane               int
	Shipped, Delivered time.Time
	// Estimate is the carrier's, in business days.
	Estimate             int
	ActualDays, Promised int

	// Created is when the order reached the seller; ShipBy is a day of
	// handling later, DeliverBy Promised business days after ShipBy (at
	// 20:00). Late: shipped after ShipBy. Untracked: the carrier never
	// scans the parcel, so no event of it ever arrives (not even its
	// delivery). FirstScan is a few hours after Shipped otherwise.
	Created, ShipBy, DeliverBy time.Time
	Late, Untracked            bool
	FirstScan                  time.Time
}

// The simulation's length and rhythm.
const (
	Days     = 140
	PerDay   = 150
	Warmup   = 28 // days of history before forecasts are scored
	SlowFrom = 70 // carrier slowco is 1.5 days slower from this day on
)

// Start is the first simulated day, a Monday (UTC).
var Start = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// LateRate is the share of the day's parcels shipped after their ship-by:
// 3%, and 12% during a bad fortnight (days 80 to 93).
func LateRate(day int) float64 {
	if day >= 80 && day < 94 {
		return 0.12
	}
	return 0.03
}

// UntrackedRate is the share of the day's parcels no carrier scans: 2%,
// and 9% while a label printer misbehaves (days 100 to 113).
func UntrackedRate(day int) float64 {
	if day >= 100 && day < 114 {
		return 0.09
	}
	return 0.02
}

// Simulate returns a seeded history: 60 lanes of three carriers and
// Days days of PerDay parcels, shipped Monday to Saturday. Each lane's
// transit time in business days is lognormal (sigma 0.25 to 0.45) with a
// heavy tail (a parcel in 20 is delayed by a Pareto(1.5) number of extra
// days); carrier slowco slows by 1.5 days from SlowFrom. The order part
// is drawn from a second stream of the seed, so the transit part is the
// same with or without it.
func Simulate(seed uint64) ([]Lane, []Parcel) {
	rng := rand.New(rand.NewPCG(seed, 14))
	orders := rand.New(rand.NewPCG(seed, 15))
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
	var lanes []Lane
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
					lanes = append(lanes, Lane{forecast.Lane{Carrier: c.name, Service: s, Origin: o, Dest: d}, math.Log(med), 0.25 + 0.2*rng.Float64(), c.promised[si]})
				}
			}
		}
	}
	var out []Parcel
	for day := 0; day < Days; day++ {
		date := Start.AddDate(0, 0, day)
		if date.Weekday() == time.Sunday {
			continue
		}
		for range PerDay {
			li := rng.IntN(len(lanes))
			l := lanes[li]
			mu := l.Mu
			if l.Lane.Carrier == "slowco" && day >= SlowFrom {
				mu = math.Log(math.Exp(mu) + 1.5)
			}
			days := math.Exp(mu + l.Sig*rng.NormFloat64())
			if rng.IntN(20) == 0 {
				days += 1 / math.Pow(1-rng.Float64(), 1/1.5) // Pareto, alpha 1.5
			}
			n := min(int(math.Round(days)), forecast.MaxDays)
			shipped := date.Add(time.Duration(9+rng.IntN(9)) * time.Hour)
			est := int(math.Round(math.Exp(l.Mu)))
			if rng.IntN(3) == 0 {
				est += 1 - 2*rng.IntN(2)
			}
			p := Parcel{Lane: li, Shipped: shipped, Delivered: forecast.AddBusinessDays(shipped, n, time.UTC).Add(-6 * time.Hour),
				Estimate: max(est, 0), ActualDays: n, Promised: l.Promised}
			order(&p, day, orders)
			out = append(out, p)
		}
	}
	return lanes, out
}

// order draws the parcel's order: received 1 to 23 hours before it
// shipped, or, for a late one, 25 to 47 hours before (its day of handling
// over before it shipped).
func order(p *Parcel, day int, rng *rand.Rand) {
	p.Late = rng.Float64() < LateRate(day)
	handling := time.Duration(1+rng.IntN(23)) * time.Hour
	if p.Late {
		handling += 24 * time.Hour
	}
	p.Created = p.Shipped.Add(-handling)
	p.ShipBy = p.Created.Add(24 * time.Hour)
	by := forecast.AddBusinessDays(p.ShipBy, p.Promised, time.UTC)
	p.DeliverBy = time.Date(by.Year(), by.Month(), by.Day(), 20, 0, 0, 0, time.UTC)
	p.Untracked = rng.Float64() < UntrackedRate(day)
	p.FirstScan = p.Shipped.Add(time.Duration(2+rng.IntN(7)) * time.Hour)
}
