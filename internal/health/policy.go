// Package health computes a seller's account health: the shipping metrics
// Amazon, Walmart and eBay judge sellers on, counted from the seller's own
// shipments, with each marketplace's published target. The rules in this
// file are pure; report.go reads the counts from the store.
package health

import "fmt"

// Marketplace is a marketplace whose seller-performance rules a report
// applies. The values are the GraphQL enum values.
type Marketplace string

// The marketplaces with published rules.
const (
	Amazon  Marketplace = "AMAZON"
	Walmart Marketplace = "WALMART"
	EBay    Marketplace = "EBAY"
)

// Metric names one account-health metric.
type Metric string

// The metrics, in report order.
const (
	// ValidTrackingRate is scanned shipments over shipments with a
	// tracking number: a number counts once the carrier scanned the parcel.
	ValidTrackingRate Metric = "VALID_TRACKING_RATE"
	// LateShipmentRate is shipments shipped after ship-by, or not shipped
	// by it, over shipments due to ship.
	LateShipmentRate Metric = "LATE_SHIPMENT_RATE"
	// OnTimeDeliveryRate is shipments delivered by deliver-by over
	// shipments delivered or past deliver-by.
	OnTimeDeliveryRate Metric = "ON_TIME_DELIVERY_RATE"
	// InvalidTrackingRate is shipments whose number fails the tracking
	// check over shipments with a tracking number.
	InvalidTrackingRate Metric = "INVALID_TRACKING_RATE"
)

// Metrics lists every metric in report order.
var Metrics = []Metric{ValidTrackingRate, LateShipmentRate, OnTimeDeliveryRate, InvalidTrackingRate}

// HigherIsBetter reports whether the metric's numerator counts successes
// (valid tracking, on-time delivery) rather than failures.
func (m Metric) HigherIsBetter() bool {
	switch m {
	case ValidTrackingRate, OnTimeDeliveryRate, OnTimeShipmentRate, TrackingOnTimeRate:
		return true
	}
	return false
}

// Comparison says how a rate must compare with a target to meet it.
type Comparison string

// The comparisons marketplaces publish: "above 95%", "at least 95%",
// "under 4%", "at most 3%".
const (
	Above   Comparison = "ABOVE"
	AtLeast Comparison = "AT_LEAST"
	Below   Comparison = "BELOW"
	AtMost  Comparison = "AT_MOST"
)

// Status is how a metric stands against its target.
type Status string

// The statuses. AtRisk means the target is met but more than three
// quarters of the failures it allows are used up.
const (
	OK      Status = "OK"
	AtRisk  Status = "AT_RISK"
	Failing Status = "FAILING"
)

// Target is a marketplace's published threshold for one metric.
type Target struct {
	Comparison Comparison
	// BasisPoints is the threshold in hundredths of a percent (9500 is
	// 95%), so comparisons are exact integer arithmetic.
	BasisPoints int
	// WindowDays is the period the marketplace evaluates the metric over.
	WindowDays int
	// Source names the marketplace page the rule comes from.
	Source string
}

// Rate returns the threshold as a fraction between 0 and 1.
func (t Target) Rate() float64 { return float64(t.BasisPoints) / 10000 }

// Evaluate returns where numerator/denominator stands against the target.
// An empty denominator has nothing to fail: OK.
func (t Target) Evaluate(numerator, denominator int) Status {
	if denominator == 0 {
		return OK
	}
	n, d, bp := int64(numerator), int64(denominator), int64(t.BasisPoints)
	var met bool
	switch t.Comparison {
	case Above:
		met = n*10000 > bp*d
	case AtLeast:
		met = n*10000 >= bp*d
	case Below:
		met = n*10000 < bp*d
	case AtMost:
		met = n*10000 <= bp*d
	}
	if !met {
		return Failing
	}
	// failures/denominator against the allowance, both in basis points:
	// at risk from three quarters of the allowance on.
	failures, allowance := n, bp
	if t.Comparison == Above || t.Comparison == AtLeast {
		failures, allowance = d-n, 10000-bp
	}
	if allowance > 0 && failures*10000*4 >= 3*allowance*d {
		return AtRisk
	}
	return OK
}

// complement is the target for the opposite count: "valid at least 95%"
// is "invalid at most 5%".
func (t Target) complement(source string) Target {
	flip := map[Comparison]Comparison{Above: Below, AtLeast: AtMost, Below: Above, AtMost: AtLeast}
	return Target{Comparison: flip[t.Comparison], BasisPoints: 10000 - t.BasisPoints, WindowDays: t.WindowDays, Source: source}
}

// Policy is a marketplace's targets; a metric without one has no
// published target on that marketplace.
type Policy map[Metric]Target

// Sources of the rules, by the name of the marketplace's help page.
const (
	amazonVTR  = "Amazon Seller Central help: Valid Tracking Rate (US): at least 95% of packages shipped and confirmed have a tracking number with a carrier scan, per category, over 30 days"
	amazonLSR  = "Amazon Seller Central help: Late Shipment Rate (US): under 4%, over 10 and 30 days"
	amazonOTD  = "Amazon Seller Central help: On-time delivery (US): greater than 97%, over the 14 days commonly quoted for Account Health"
	walmartVTR = "Walmart Marketplace Learn: Seller Performance Standards (current table, 30 or 60 days): Valid Tracking Rate greater than or equal to 99%, last 30 days"
	walmartOTS = "Walmart Seller Help: Seller Performance Standards (2017 standards): On-Time Shipment Rate greater than 99%, i.e. fewer than 1% shipped late"
	walmartOTD = "Walmart Marketplace Learn: Seller Performance Standards (current table): On-Time Delivery Rate greater than or equal to 90%, last 30 days (an earlier version said greater than 95%)"
	ebayVTR    = "eBay Seller Center: Top Rated Seller requirements (US): tracking uploaded on time and validated on at least 95% of transactions, previous 3 months"
	ebayLSR    = "eBay Seller Center: Top Rated Seller requirements (US): late shipment rate at most 3%, previous 3 months"
	derivedITR = "Derived from the Valid Tracking Rate target: a number that fails the check never gets a scan, so invalid numbers alone must stay within its allowance"
)

var policies = map[Marketplace]Policy{
	Amazon: {
		ValidTrackingRate:  {AtLeast, 9500, 30, amazonVTR},
		LateShipmentRate:   {Below, 400, 30, amazonLSR},
		OnTimeDeliveryRate: {Above, 9700, 14, amazonOTD},
	},
	Walmart: {
		ValidTrackingRate:  {AtLeast, 9900, 30, walmartVTR},
		LateShipmentRate:   {Below, 100, 30, walmartOTS},
		OnTimeDeliveryRate: {AtLeast, 9000, 30, walmartOTD},
	},
	EBay: {
		ValidTrackingRate: {AtLeast, 9500, 90, ebayVTR},
		LateShipmentRate:  {AtMost, 300, 90, ebayLSR},
	},
}

func init() {
	for _, p := range policies {
		p[InvalidTrackingRate] = p[ValidTrackingRate].complement(derivedITR)
	}
}

// PolicyFor returns a marketplace's targets.
func PolicyFor(m Marketplace) (Policy, error) {
	p, ok := policies[m]
	if !ok {
		return nil, fmt.Errorf("unknown marketplace %q", m)
	}
	return p, nil
}
