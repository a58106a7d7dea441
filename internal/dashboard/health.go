package dashboard

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/store"
)

// metricView is one metric on the account-health page.
type metricView struct {
	Name, Description string
	Report            *health.MetricReport
	Target            string
	Status            string
	// Chart is the daily series for Chart.js, as JSON.
	Chart template.JS
	ID    string
}

// healthView is the account-health page.
type healthView struct {
	Marketplace  string
	Marketplaces []string
	Days         int
	Report       *health.Report
	Metrics      []metricView
	Forecast     []projectionView
	Queues       []queueView
}

// projectionView is one standard and window projected to its evaluation
// day (health.Service.Forecast, as Query.accountHealthForecast).
type projectionView struct {
	P      *health.Projection
	Target string
}

// queueView is the top of one metric's save queue (health.Outlook.Queue,
// as Query.saveQueue).
type queueView struct {
	Metric string
	Total  int
	Items  []health.SaveItem
}

// queueTop is how many items of each metric's save queue the page shows.
const queueTop = 3

var metricNames = map[health.Metric][2]string{
	health.ValidTrackingRate:   {"Valid Tracking Rate", "Shipments whose tracking number a carrier scanned."},
	health.LateShipmentRate:    {"Late Shipment Rate", "Shipments shipped after their ship-by day."},
	health.OnTimeDeliveryRate:  {"On-Time Delivery Rate", "Shipments delivered by their deliver-by day."},
	health.InvalidTrackingRate: {"Invalid Tracking Rate", "Shipments whose tracking number fails its check."},
}

var comparisonWords = map[health.Comparison]string{
	health.Above: "above", health.AtLeast: "at least", health.Below: "below", health.AtMost: "at most",
}

// chartPoint is one day of a metric's chart.
type chartPoint struct {
	Date    string   `json:"date"`
	Rate    *float64 `json:"rate"`
	Failing int      `json:"failing"`
	Total   int      `json:"total"`
}

// healthPage shows each metric against the marketplace's target, with its
// daily chart and its breakdown by carrier (health.Service.Report, as
// Query.accountHealth).
func (h *Dashboard) healthPage(w http.ResponseWriter, r *http.Request, s session) {
	m, days := marketplaceAndDays(r.URL.Query())
	rep, err := h.d.Health.Report(r.Context(), s.Seller.ID, m, days, h.d.Now())
	if err != nil {
		h.badRequestOr(w, r, s, "account health", err)
		return
	}
	v := healthView{Marketplace: string(m), Marketplaces: []string{string(health.Amazon), string(health.Walmart), string(health.EBay)},
		Days: days, Report: rep}
	for _, mr := range rep.Metrics {
		names := metricNames[mr.Metric]
		mv := metricView{Name: names[0], Description: names[1], Report: mr, ID: string(mr.Metric)}
		if mr.Target != nil {
			mv.Target = targetWords(*mr.Target)
		}
		if mr.Status != nil {
			mv.Status = string(*mr.Status)
		}
		points := make([]chartPoint, len(mr.Daily))
		for i, d := range mr.Daily {
			points[i] = chartPoint{Date: d.Date, Rate: d.Rate(), Failing: d.Failing, Total: d.Denominator}
		}
		chart := map[string]any{"name": names[0], "points": points}
		if mr.Target != nil {
			chart["target"] = mr.Target.Rate()
		}
		b, err := json.Marshal(chart)
		if err != nil {
			h.fail(w, r, "health chart", err)
			return
		}
		mv.Chart = template.JS(b) //nolint:gosec // JSON of numbers and our own strings, in a JSON script element
		v.Metrics = append(v.Metrics, mv)
	}
	if err := h.forecast(r, s, m, &v); err != nil {
		h.fail(w, r, "health forecast", err)
		return
	}
	h.pages.render(w, r, http.StatusOK, "health", h.data(s, "health", "Account health", v))
}

// forecast adds the marketplace's projected standards and the top of each
// metric's save queue to the page.
func (h *Dashboard) forecast(r *http.Request, s session, m health.Marketplace, v *healthView) error {
	out, err := h.d.Health.Forecast(r.Context(), s.Seller.ID, m, h.d.Now())
	if err != nil {
		return err
	}
	seen := map[health.Metric]bool{}
	for i := range out.Projections {
		p := &out.Projections[i]
		v.Forecast = append(v.Forecast, projectionView{P: p, Target: targetWords(p.Target)})
		if seen[p.Metric] {
			continue
		}
		seen[p.Metric] = true
		page, err := out.Page(p.Metric, 0, queueTop)
		if err != nil {
			return err
		}
		if len(page.Items) == 0 {
			continue
		}
		if err := h.d.Health.Suggest(r.Context(), s.Seller.ID, page.Items); err != nil {
			return err
		}
		v.Queues = append(v.Queues, queueView{Metric: string(p.Metric), Total: page.Total, Items: page.Items})
	}
	return nil
}

// targetWords reads a target as people say it: "at least 95%".
func targetWords(t health.Target) string {
	return comparisonWords[t.Comparison] + " " + strconv.FormatFloat(t.Rate()*100, 'f', -1, 64) + "%"
}

// failingView is the list of shipments counting against a metric.
type failingView struct {
	Metric      string
	Marketplace string
	Days        int
	Date        string
	Carrier     *string
	Total       int
	Rows        []store.Shipment
	Next        string
}

// failingPage lists the shipments counting against one metric of the
// account-health page, over its window or one day or carrier of it, as
// HealthMetric.shipments does: every number on the page is one click from
// the shipments behind it.
func (h *Dashboard) failingPage(w http.ResponseWriter, r *http.Request, s session) {
	q := r.URL.Query()
	metric := health.Metric(r.PathValue("metric"))
	if _, ok := metricNames[metric]; !ok {
		h.badRequest(w, r, s, "There is no such metric.")
		return
	}
	m, days := marketplaceAndDays(q)
	rep, err := h.d.Health.Report(r.Context(), s.Seller.ID, m, days, h.d.Now())
	if err != nil {
		h.badRequestOr(w, r, s, "account health", err)
		return
	}
	mr := rep.Metric(metric)
	var date, carrier *string
	if d := q.Get("date"); d != "" {
		date = &d
	}
	if q.Has("carrier") {
		c := q.Get("carrier")
		carrier = &c
	}
	var after store.Cursor
	if a := q.Get("after"); a != "" {
		if after, err = store.DecodeCursor(a); err != nil {
			h.badRequest(w, r, s, "That page link is not valid: go back to the first page.")
			return
		}
	}
	page, err := h.d.Health.Shipments(r.Context(), mr, date, carrier, pageSize, after)
	if err != nil {
		h.badRequestOr(w, r, s, "failing shipments", err)
		return
	}
	v := failingView{Metric: metricNames[metric][0], Marketplace: string(m), Days: days, Carrier: carrier,
		Total: mr.Count(date, carrier), Rows: page.Items}
	if date != nil {
		v.Date = *date
	}
	if page.HasNext {
		nq := url.Values{"marketplace": {string(m)}, "days": {strconv.Itoa(days)}, "after": {page.Cursors[len(page.Cursors)-1].Encode()}}
		if date != nil {
			nq.Set("date", *date)
		}
		if carrier != nil {
			nq.Set("carrier", *carrier)
		}
		v.Next = "/app/health/" + string(metric) + "?" + nq.Encode()
	}
	h.pages.render(w, r, http.StatusOK, "failing", h.data(s, "health", v.Metric, v))
}

// marketplaceAndDays reads the account-health form: AMAZON and 30 days
// unless it says otherwise.
func marketplaceAndDays(q url.Values) (health.Marketplace, int) {
	m := health.Marketplace(q.Get("marketplace"))
	if m == "" {
		m = health.Amazon
	}
	days := 30
	if d, err := strconv.Atoi(q.Get("days")); err == nil && d >= 1 && d <= health.MaxDays {
		days = d
	}
	return m, days
}
