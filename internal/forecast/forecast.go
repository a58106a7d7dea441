// Package forecast predicts when a parcel will be delivered from the
// seller's own delivered history: a transit-time distribution in business
// days per lane (carrier × service × origin ZIP3 × destination ZIP3),
// falling back to coarser lanes when history is thin, recent weeks weighing
// more. It is pure: the store keeps the per-lane histograms (learned one
// delivery at a time) and this package turns them into dates.
package forecast

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// MaxDays caps transit times: a parcel in transit longer counts as MaxDays.
const MaxDays = 30

// The model's settings, chosen rather than fitted (docs/forecast.md).
const (
	// MinEvidence is the weighted count of deliveries a lane needs before
	// its own distribution is used instead of a coarser lane's.
	MinEvidence = 20.0
	// HalfLifeWeeks halves a delivery's weight every this many weeks, so a
	// carrier slowing down shows within a few weeks.
	HalfLifeWeeks = 4.0
)

// Lane is where a parcel goes, by what.
type Lane struct {
	Carrier, Service string
	// Origin and Dest are the first three characters of the US ZIP codes
	// ("" when unknown).
	Origin, Dest string
}

// Band is a crude distance between two ZIP3s: US ZIP codes are numbered
// outwards from the north-east, so the same ZIP3 is local, the same first
// digit (national area) regional, anything else national; "" when either
// end is unknown.
func (l Lane) Band() string {
	switch {
	case len(l.Origin) < 3 || len(l.Dest) < 3:
		return ""
	case l.Origin == l.Dest:
		return "local"
	case l.Origin[0] == l.Dest[0]:
		return "regional"
	}
	return "national"
}

// Keys returns the lane's keys from the finest to the coarsest: the exact
// lane, its distance band, the service, the carrier. Learning adds a
// delivery to each; forecasting uses the finest with enough evidence.
func (l Lane) Keys() []string {
	c, s := strings.ToLower(l.Carrier), strings.ToLower(l.Service)
	keys := []string{}
	if l.Origin != "" && l.Dest != "" {
		keys = append(keys, c+"|"+s+"|"+l.Origin+"|"+l.Dest)
	}
	if b := l.Band(); b != "" {
		keys = append(keys, c+"|"+s+"|"+b)
	}
	return append(keys, c+"|"+s, c)
}

// ZIP3 returns the first three digits of a US postal code, "" for any other.
func ZIP3(postal, country string) string {
	if country != "" && !strings.EqualFold(country, "US") {
		return ""
	}
	if len(postal) < 5 {
		return ""
	}
	for i := 0; i < 5; i++ {
		if postal[i] < '0' || postal[i] > '9' {
			return ""
		}
	}
	return postal[:3]
}

// BusinessDays counts the weekdays after from's local day up to and
// including to's local day, in loc: shipped Friday, delivered Monday is 1;
// shipped and delivered the same day is 0. A delivery on a weekend counts
// as the weekday before it.
func BusinessDays(from, to time.Time, loc *time.Location) int {
	a, b := localDate(from, loc), localDate(to, loc)
	n := 0
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if weekday(d) {
			n++
		}
	}
	return n
}

// AddBusinessDays returns the end of the local day n weekdays after from's
// local day (n = 0: from's own day).
func AddBusinessDays(from time.Time, n int, loc *time.Location) time.Time {
	d := localDate(from, loc)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if weekday(d) {
			n--
		}
	}
	return d.AddDate(0, 0, 1).Add(-time.Microsecond)
}

// WeekOf returns the Monday (a UTC date) of t's week: the unit the
// histograms count deliveries in.
func WeekOf(t time.Time) time.Time {
	d := t.UTC()
	d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

func localDate(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
}

func weekday(d time.Time) bool { return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday }

// Observation is what a lane's histogram holds for one delivered week:
// how many deliveries took each number of business days.
type Observation struct {
	Key  string
	Week time.Time // the Monday (UTC date) of the delivery's week
	Days int
	N    int
}

// Histogram is a lane's recency-weighted transit distribution.
type Histogram struct {
	Key    string
	Weight [MaxDays + 1]float64
	// Count is the deliveries behind it, unweighted.
	Count int
}

// Total is the histogram's weighted count.
func (h *Histogram) Total() float64 {
	t := 0.0
	for _, w := range h.Weight {
		t += w
	}
	return t
}

// Build adds observations up into one histogram per key, each weighted by
// 0.5^(age in weeks / half-life) as of now. The half-life is chosen per
// carrier (HalfLife), so a carrier that changed its pace is followed within
// days rather than weeks.
func Build(obs []Observation, now time.Time) map[string]*Histogram {
	halfLife := map[string]float64{}
	for carrier, o := range byCarrier(obs) {
		halfLife[carrier] = HalfLife(o, now)
	}
	out := map[string]*Histogram{}
	for _, o := range obs {
		h := out[o.Key]
		if h == nil {
			h = &Histogram{Key: o.Key}
			out[o.Key] = h
		}
		hl, ok := halfLife[carrierOf(o.Key)]
		if !ok {
			hl = HalfLifeWeeks
		}
		h.Weight[min(max(o.Days, 0), MaxDays)] += float64(o.N) * decay(o.Week, now, hl)
		h.Count += o.N
	}
	return out
}

// The half-lives HalfLife chooses from, shortest first, and the deliveries
// of the last two weeks it needs before it chooses anything but the
// default.
var halfLives = []float64{1, 2, HalfLifeWeeks}

const minRecent = 30

// minGain is the log-likelihood (in nats) by which a shorter half-life must
// beat the default before it is chosen: a steady carrier's last two weeks
// favour one by chance by up to a few nats, and a choice on noise alone
// thins the evidence and widens the forecast for nothing. 2 nats (a
// likelihood ratio of about 7) kept the backtest's overall error and
// coverage where they were while following the slowdown (docs/forecast.md).
const minGain = 2.0

// HalfLife chooses the recency for one carrier's deliveries (the
// observations of its carrier key): the half-life, among 1, 2 and 4 weeks,
// under which the deliveries before the last two weeks best predict those
// of the last two weeks (the largest likelihood, the distribution smoothed
// by one delivery spread over every day count; a shorter half-life must win
// by minGain).
// A steady carrier keeps 4 weeks: the shorter ones only add noise. One
// that slowed down is better predicted by its latest weeks, and gets a
// shorter half-life until the old pace has aged out. With fewer than 30
// deliveries in the last two weeks the default stands.
func HalfLife(obs []Observation, now time.Time) float64 {
	cut := WeekOf(now).AddDate(0, 0, -7)
	var recent []Observation
	n := 0
	for _, o := range obs {
		if !o.Week.Before(cut) {
			recent = append(recent, o)
			n += o.N
		}
	}
	if n < minRecent {
		return HalfLifeWeeks
	}
	best, bestScore := HalfLifeWeeks, math.Inf(-1)
	for i := len(halfLives) - 1; i >= 0; i-- {
		hl := halfLives[i]
		var w [MaxDays + 1]float64
		total := 0.0
		for _, o := range obs {
			if o.Week.Before(cut) {
				x := float64(o.N) * decay(o.Week, cut, hl)
				w[min(max(o.Days, 0), MaxDays)] += x
				total += x
			}
		}
		if total == 0 {
			return HalfLifeWeeks
		}
		score := 0.0
		for _, o := range recent {
			p := (w[min(max(o.Days, 0), MaxDays)] + 1.0/(MaxDays+1)) / (total + 1)
			score += float64(o.N) * math.Log(p)
		}
		margin := 1e-9
		if hl != HalfLifeWeeks {
			margin = minGain
		}
		if score > bestScore+margin {
			best, bestScore = hl, score
		}
	}
	return best
}

// decay is the weight of a delivery of week at now: halves every halfLife
// weeks.
func decay(week, now time.Time, halfLife float64) float64 {
	age := math.Max(0, now.Sub(week).Hours()/(24*7))
	return math.Pow(0.5, age/halfLife)
}

// byCarrier returns the observations of each carrier key (a key without
// "|": the coarsest, holding every delivery of the carrier).
func byCarrier(obs []Observation) map[string][]Observation {
	out := map[string][]Observation{}
	for _, o := range obs {
		if !strings.Contains(o.Key, "|") {
			out[o.Key] = append(out[o.Key], o)
		}
	}
	return out
}

func carrierOf(key string) string {
	if i := strings.IndexByte(key, '|'); i >= 0 {
		return key[:i]
	}
	return key
}

// Forecast is a delivery forecast for one parcel.
type Forecast struct {
	P50, P90 time.Time
	// MissProbability is the probability of delivery after deliverBy's
	// local day; 0 without a deliverBy (HasDeadline false).
	MissProbability float64
	HasDeadline     bool
	// BasedOn is the deliveries the chosen lane holds; Lane its key.
	BasedOn int
	Lane    string
}

// Parcel is what a forecast needs to know of an undelivered parcel.
type Parcel struct {
	Lane      Lane
	ShippedAt time.Time
	DeliverBy *time.Time
}

// ErrNoHistory is returned when no key of the lane has any delivery.
var ErrNoHistory = fmt.Errorf("no delivered history for the lane")

// Predict forecasts p's delivery at now from the histograms, in loc: the
// transit distribution of its finest lane with MinEvidence (else the
// coarsest with any), conditioned on not being delivered before today.
func Predict(p Parcel, hists map[string]*Histogram, now time.Time, loc *time.Location) (Forecast, error) {
	h := choose(p.Lane, hists)
	if h == nil {
		return Forecast{}, ErrNoHistory
	}
	// Not delivered by now: it arrives today at the earliest, so transit
	// times shorter than today's are ruled out.
	elapsed := BusinessDays(p.ShippedAt, now, loc)
	w := h.Weight
	total := 0.0
	for d := elapsed; d <= MaxDays; d++ {
		total += w[d]
	}
	f := Forecast{BasedOn: h.Count, Lane: h.Key}
	if total == 0 {
		// Later than anything seen: expect it today, and certainly late
		// for any deliverBy already reached.
		f.P50 = AddBusinessDays(p.ShippedAt, elapsed, loc)
		f.P90 = f.P50
		if p.DeliverBy != nil {
			f.HasDeadline = true
			if BusinessDays(p.ShippedAt, *p.DeliverBy, loc) < elapsed {
				f.MissProbability = 1
			}
		}
		return f, nil
	}
	q50, q90 := -1, -1
	cum := 0.0
	for d := elapsed; d <= MaxDays; d++ {
		cum += w[d]
		if q50 < 0 && cum >= 0.5*total-1e-9 {
			q50 = d
		}
		if q90 < 0 && cum >= 0.9*total-1e-9 {
			q90 = d
		}
	}
	f.P50 = AddBusinessDays(p.ShippedAt, q50, loc)
	f.P90 = AddBusinessDays(p.ShippedAt, q90, loc)
	if p.DeliverBy != nil {
		f.HasDeadline = true
		due := BusinessDays(p.ShippedAt, *p.DeliverBy, loc)
		late := 0.0
		for d := max(due+1, elapsed); d <= MaxDays; d++ {
			late += w[d]
		}
		f.MissProbability = late / total
	}
	return f, nil
}

// choose returns the lane's finest histogram with MinEvidence, else the
// coarsest with any delivery, else nil.
func choose(l Lane, hists map[string]*Histogram) *Histogram {
	var h *Histogram
	for _, k := range l.Keys() {
		if c := hists[k]; c != nil && c.Total() > 0 {
			h = c
			if c.Total() >= MinEvidence {
				break
			}
		}
	}
	return h
}

// Risk is when a parcel's probability of missing its deliverBy first
// passes a threshold.
type Risk struct {
	// From is the instant: the ship time, or the start of the business day
	// whose arrival without a delivery makes the probability pass.
	From        time.Time
	Probability float64 // at From
	Lane        string
}

// RiskFrom returns when p's probability of missing deliverBy first exceeds
// threshold, as the days pass without a delivery, from the histograms; ok
// false when it never does before deliverBy's day is over (LATE_DELIVERY
// then takes over), or without history or deliverBy.
//
// The probability only grows with time while the parcel is not delivered:
// the late deliveries (after deliverBy's day) stay the same while the
// earlier ones are ruled out day by day. So one instant describes the risk
// whatever the time, until the histograms or the shipment change.
func RiskFrom(p Parcel, hists map[string]*Histogram, threshold float64, loc *time.Location) (Risk, bool) {
	h := choose(p.Lane, hists)
	if h == nil || p.DeliverBy == nil {
		return Risk{}, false
	}
	due := BusinessDays(p.ShippedAt, *p.DeliverBy, loc)
	late := 0.0
	for d := due + 1; d <= MaxDays; d++ {
		late += h.Weight[d]
	}
	for e := 0; e <= min(due, MaxDays); e++ {
		total := 0.0
		for d := e; d <= MaxDays; d++ {
			total += h.Weight[d]
		}
		prob := 1.0
		if total > 0 {
			prob = late / total
		}
		if prob > threshold {
			from := p.ShippedAt
			if e > 0 {
				from = localDate(AddBusinessDays(p.ShippedAt, e, loc), loc)
			}
			return Risk{From: from, Probability: prob, Lane: h.Key}, true
		}
	}
	return Risk{}, false
}
