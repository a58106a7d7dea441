package dashboard

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"

	"github.com/shipwatch/shipwatch/internal/health"
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
}

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
	q := r.URL.Query()
	m := health.Marketplace(q.Get("marketplace"))
	if m == "" {
		m = health.Amazon
	}
	days := 30
	if d, err := strconv.Atoi(q.Get("days")); err == nil && d >= 1 && d <= health.MaxDays {
		days = d
	}
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
			mv.Target = comparisonWords[mr.Target.Comparison] + " " + strconv.FormatFloat(mr.Target.Rate()*100, 'f', -1, 64) + "%"
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
	h.pages.render(w, r, http.StatusOK, "health", h.data(s, "health", "Account health", v))
}
