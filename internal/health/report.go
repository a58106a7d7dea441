package health

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// MaxDays is the longest window a report covers.
const MaxDays = 365

// Value is one count of a metric: the numerator over the denominator, and
// how many shipments count against the metric.
type Value struct {
	Numerator   int
	Denominator int
	// Failing is the number of shipments the metric's list holds: the
	// numerator of LSR and ITR, the denominator minus the numerator of VTR
	// and OTDR.
	Failing int
}

// Rate returns the numerator over the denominator, nil when the
// denominator is 0.
func (v Value) Rate() *float64 {
	if v.Denominator == 0 {
		return nil
	}
	r := float64(v.Numerator) / float64(v.Denominator)
	return &r
}

func (v *Value) add(o Value) {
	v.Numerator += o.Numerator
	v.Denominator += o.Denominator
	v.Failing += o.Failing
}

// CarrierValue is a metric for one carrier.
type CarrierValue struct {
	// Carrier is the declared carrier's code, else the detected one; ""
	// when neither is known.
	Carrier string
	Value
}

// DayValue is a metric for one day in the seller's time zone.
type DayValue struct {
	Date     string // YYYY-MM-DD
	From, To time.Time
	Value
}

// MetricReport is one metric over a window.
type MetricReport struct {
	SellerID string
	Metric   Metric
	Value
	// Target is nil when the marketplace publishes none for the metric;
	// Status is then nil too.
	Target    *Target
	Status    *Status
	ByCarrier []CarrierValue
	Daily     []DayValue
	// From and To bound the window, To exclusive.
	From, To time.Time

	cells map[cell]Value
}

// cell is a day and a carrier.
type cell struct{ date, carrier string }

// Failure returns the kind of shipment that counts against the metric.
func (m Metric) Failure() store.HealthFailure {
	switch m {
	case LateShipmentRate:
		return store.ShippedLate
	case OnTimeDeliveryRate:
		return store.DeliveredLate
	case InvalidTrackingRate:
		return store.InvalidTracking
	}
	return store.Unscanned
}

// value picks the metric's numbers out of a rollup count.
func (m Metric) value(c store.HealthCount) Value {
	switch m {
	case ValidTrackingRate:
		return Value{Numerator: c.Tracked - c.Unscanned, Denominator: c.Tracked, Failing: c.Unscanned}
	case LateShipmentRate:
		return Value{Numerator: c.ShippedLate, Denominator: c.Due, Failing: c.ShippedLate}
	case OnTimeDeliveryRate:
		return Value{Numerator: c.Promised - c.DeliveredLate, Denominator: c.Promised, Failing: c.DeliveredLate}
	}
	return Value{Numerator: c.Invalid, Denominator: c.Tracked, Failing: c.Invalid}
}

// Report is a seller's account health on one marketplace over a window.
type Report struct {
	SellerID    string
	Marketplace Marketplace
	Days        int
	TimeZone    string
	From, To    time.Time
	Metrics     []*MetricReport // in the order of Metrics
}

// Metric returns the report of one metric.
func (r *Report) Metric(m Metric) *MetricReport {
	for _, mr := range r.Metrics {
		if mr.Metric == m {
			return mr
		}
	}
	return nil
}

// Service builds reports from the store.
type Service struct {
	store *store.Store
	// direct makes the forecast read as it did before the keys' bound and
	// the lean read of open shipments (store.StandardCountsDirect,
	// store.OpenShipmentsDirect): the benchmarks' baseline, set only by
	// the tests' constructor.
	direct bool
	// kept is the last forecasts' reads, for the next requests while
	// nothing of their seller is written.
	kept kept
}

// New returns a Service.
func New(st *store.Store) *Service { return &Service{store: st} }

// Report computes the seller's metrics over their last `days` days, today
// included, in their time zone. now zero means the database's clock.
func (s *Service) Report(ctx context.Context, sellerID string, m Marketplace, days int, now time.Time) (*Report, error) {
	policy, err := PolicyFor(m)
	if err != nil {
		return nil, &shipment.FieldError{Field: "marketplace", Message: err.Error()}
	}
	if days < 1 || days > MaxDays {
		return nil, &shipment.FieldError{Field: "days", Message: fmt.Sprintf("must be between 1 and %d", MaxDays)}
	}
	w, counts, err := s.store.Health(ctx, sellerID, days, now)
	if err != nil {
		return nil, err
	}
	r := &Report{SellerID: sellerID, Marketplace: m, Days: days, TimeZone: w.TimeZone, From: w.From, To: w.Now}
	for _, metric := range Metrics {
		mr := build(metric, w, counts)
		mr.SellerID = sellerID
		if t, ok := policy[metric]; ok {
			status := t.Evaluate(mr.Numerator, mr.Denominator)
			mr.Target, mr.Status = &t, &status
		}
		r.Metrics = append(r.Metrics, mr)
	}
	return r, nil
}

// build adds up one metric's counts per day, per carrier and in total.
// Days without shipments are in the series with zeros; carriers appear
// when the metric counts at least one of their shipments.
func build(m Metric, w store.HealthWindow, counts []store.HealthCount) *MetricReport {
	mr := &MetricReport{Metric: m, From: w.From, To: w.Now, Daily: make([]DayValue, len(w.Days)), cells: map[cell]Value{}}
	day := make(map[string]int, len(w.Days))
	for i, d := range w.Days {
		mr.Daily[i] = DayValue{Date: d.Date, From: d.From, To: d.To}
		day[d.Date] = i
	}
	byCarrier := map[string]*Value{}
	for _, c := range counts {
		v := m.value(c)
		if v.Denominator == 0 && v.Failing == 0 {
			continue
		}
		i, ok := day[c.Date]
		if !ok {
			continue // cannot happen: the counts are read over the window
		}
		mr.Daily[i].add(v)
		k := cell{c.Date, c.Carrier}
		cv := mr.cells[k]
		cv.add(v)
		mr.cells[k] = cv
		if byCarrier[c.Carrier] == nil {
			byCarrier[c.Carrier] = &Value{}
		}
		byCarrier[c.Carrier].add(v)
		mr.add(v)
	}
	for carrier, v := range byCarrier {
		mr.ByCarrier = append(mr.ByCarrier, CarrierValue{Carrier: carrier, Value: *v})
	}
	// Most shipments first, then by code, unknown last among equals.
	sort.Slice(mr.ByCarrier, func(i, j int) bool {
		a, b := mr.ByCarrier[i], mr.ByCarrier[j]
		if a.Denominator != b.Denominator {
			return a.Denominator > b.Denominator
		}
		if (a.Carrier == "") != (b.Carrier == "") {
			return b.Carrier == ""
		}
		return a.Carrier < b.Carrier
	})
	return mr
}

// Shipments lists the shipments counting against a metric in the report's
// window, or in one of its days (date YYYY-MM-DD) and/or for one carrier
// ("" for no known carrier).
func (s *Service) Shipments(ctx context.Context, mr *MetricReport, date, carrier *string, limit int, after store.Cursor) (store.Page[store.Shipment], error) {
	r := store.HealthRange{From: mr.From, To: mr.To, Carrier: carrier}
	if date != nil {
		found := false
		for _, d := range mr.Daily {
			if d.Date == *date {
				r.From, r.To, found = d.From, d.To, true
			}
		}
		if !found {
			return store.Page[store.Shipment]{}, &shipment.FieldError{Field: "date", Message: fmt.Sprintf("%s is not a day of the window (YYYY-MM-DD, %s to %s)", clip.Quote(*date), mr.Daily[0].Date, mr.Daily[len(mr.Daily)-1].Date)}
		}
	}
	if mr.Count(date, carrier) == 0 {
		return store.Page[store.Shipment]{Items: []store.Shipment{}}, nil // nothing to look for
	}
	return s.store.FailingShipments(ctx, mr.SellerID, mr.Metric.Failure(), r, limit, after)
}

// Count returns how many shipments Shipments lists in all for the same
// date and carrier filters.
func (mr *MetricReport) Count(date, carrier *string) int {
	n := 0
	for k, v := range mr.cells {
		if (date == nil || k.date == *date) && (carrier == nil || k.carrier == *carrier) {
			n += v.Failing
		}
	}
	return n
}
