package health

import (
	"context"
	"fmt"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// The metrics the marketplaces publish besides the four of a Report.
const (
	// CancellationRate is orders the seller cancelled before shipping
	// over orders (Amazon's pre-fulfilment cancel rate, Walmart's
	// cancellation rate). A buyer's cancellation does not count.
	CancellationRate Metric = "CANCELLATION_RATE"
	// OnTimeShipmentRate is shipments whose first carrier scan came on or
	// before the ship-by day, or delivered by deliver-by, over shipments
	// due to ship (Amazon Seller Fulfilled Prime).
	OnTimeShipmentRate Metric = "ON_TIME_SHIPMENT_RATE"
	// TrackingOnTimeRate is shipments whose number reached Shipwatch by
	// the ship-by day and had a carrier scan, over shipments due to ship
	// (eBay: tracking uploaded within handling time and validated).
	TrackingOnTimeRate Metric = "TRACKING_ON_TIME_RATE"
	// ItemNotReceivedRate is shipped orders with a NOT_RECEIVED dispute
	// over shipped orders (Walmart).
	ItemNotReceivedRate Metric = "ITEM_NOT_RECEIVED_RATE"
	// ReturnRate is delivered orders the buyer returned over delivered
	// orders (Walmart).
	ReturnRate Metric = "RETURN_RATE"
)

// Keying names the date that places a shipment in a marketplace's window.
type Keying string

// The keying dates.
const (
	// KeyPromisedDelivery is deliverBy; a shipment without one is placed
	// by shippedAt, else createdAt.
	KeyPromisedDelivery Keying = "PROMISED_DELIVERY"
	// KeyShipBy is shipBy: a shipment counts once its ship-by has passed.
	KeyShipBy Keying = "SHIP_BY"
	// KeyOrdered is when Shipwatch received the order (createdAt): it does
	// not know when the buyer placed it.
	KeyOrdered Keying = "ORDERED"
	// KeyShipped is shippedAt, else createdAt.
	KeyShipped Keying = "SHIPPED"
	// KeyDelivered is deliveredAt.
	KeyDelivered Keying = "DELIVERED"
)

// Standard is one metric as a marketplace publishes it: its target, every
// window it is evaluated over, the date that keys a shipment into a window,
// the page it comes from, and what Shipwatch cannot see of it.
type Standard struct {
	Metric  Metric
	Target  Target // Target.WindowDays is the window its source names first
	Windows []int
	KeyedBy Keying
	URL     string
	// Unseen says what the marketplace counts that Shipwatch cannot.
	Unseen string
}

// The pages the standards come from, as stored copies of them read on
// 2026-12-07 (docs/health.md quotes what each says).
const (
	urlAmazonVTR    = "https://sellercentral-europe.amazon.com/gp/help/external/201817070"
	urlAmazonLSR    = "https://sellercentral.amazon.com.au/gp/help/external/help.html?itemID=200285190"
	urlAmazonCancel = "https://sellercentral.amazon.com/seller-forums/discussions/t/3a9dc28cc3d08ae3e77a5aa2b23c5189"
	urlAmazonOTD    = "https://sellercentral.amazon.com/gp/help/external/help.html?itemID=200847280"
	urlAmazonSFP    = "https://sellercentral.amazon.com/gp/help/external/help.html?itemID=202072550"
	urlWalmart      = "https://marketplacelearn.walmart.com/guides/Policies%20&%20standards/Performance/Seller-performance-standards"
	urlWalmart2026  = "https://www.geekseller.com/?p=34321"
	urlEBayTRS      = "https://sellglobal.ebay.in/seller-center/becoming-top-rated-seller/"
)

const (
	unseenCategory = "Amazon evaluates per product category and exempts some orders; Shipwatch counts every shipment."
	unseenOrders   = "Shipwatch counts shipments, not orders or units: an order split over several shipments counts once per shipment."
	unseenCancel   = "Only cancellations sent to Shipwatch (cancelShipment with by) count; orders the marketplace cancelled itself are unseen unless sent."
	unseenINR      = "Only claims recorded in Shipwatch as NOT_RECEIVED disputes count; claims the buyer filed with the marketplace and not recorded are unseen."
	unseenReturns  = "Only returns recorded with recordReturn count; a carrier's RETURNED_TO_SENDER is not a buyer's return."
	unseenUpload   = "eBay counts when the number reached eBay; Shipwatch knows when it reached Shipwatch."
)

var standards = map[Marketplace][]Standard{
	Amazon: {
		{ValidTrackingRate, Target{AtLeast, 9500, 30, amazonVTR}, []int{7, 30}, KeyPromisedDelivery, urlAmazonVTR, unseenCategory},
		{LateShipmentRate, Target{Below, 400, 10, amazonLSR}, []int{10, 30}, KeyShipBy, urlAmazonLSR, unseenOrders},
		{CancellationRate, Target{Below, 250, 7, "Amazon Seller Central help: Order Cancellation Rate (pre-fulfilment): seller-cancelled orders under 2.5% of orders, over 7 days; buyer-requested cancellations do not count"}, []int{7}, KeyOrdered, urlAmazonCancel, unseenCancel},
		{OnTimeDeliveryRate, Target{Above, 9700, 14, amazonOTD}, []int{14}, KeyPromisedDelivery, urlAmazonOTD, unseenCategory},
		{OnTimeShipmentRate, Target{AtLeast, 9900, 7, "Amazon Seller Central help: Seller Fulfilled Prime performance metrics: on-time shipment rate at least 99%, judged by the carrier's first scan, not the ship confirmation; late but delivered on time counts as on time"}, []int{7}, KeyShipBy, urlAmazonSFP, "Amazon judges only Prime orders and the order cut-off time; Shipwatch counts every shipment with a shipBy, by the local day of the first scan."},
	},
	Walmart: {
		{ValidTrackingRate, Target{AtLeast, 9900, 30, walmartVTR}, []int{30}, KeyShipped, urlWalmart, unseenOrders},
		{OnTimeDeliveryRate, Target{AtLeast, 9000, 30, walmartOTD}, []int{30}, KeyPromisedDelivery, urlWalmart, "Walmart judges against its Expected Delivery Date; Shipwatch against deliverBy as sent."},
		{CancellationRate, Target{AtMost, 200, 30, "Walmart Marketplace Learn: Seller Performance Standards: Cancellation Rate (orders the seller cancels) at most 2%, 30 days"}, []int{30}, KeyOrdered, urlWalmart, unseenCancel},
		{ItemNotReceivedRate, Target{AtMost, 200, 60, "Walmart Marketplace Learn: Seller Performance Standards (from January 2026): Item Not Received Rate at most 2%, 60 days"}, []int{60}, KeyShipped, urlWalmart2026, unseenINR},
		{ReturnRate, Target{AtMost, 600, 60, "Walmart Marketplace Learn: Seller Performance Standards (from January 2026): Return Rate of delivered orders at most 6%, 60 days"}, []int{60}, KeyDelivered, urlWalmart2026, unseenReturns},
	},
	EBay: {
		{TrackingOnTimeRate, Target{AtLeast, 9500, 90, ebayVTR}, []int{90}, KeyShipBy, urlEBayTRS, unseenUpload},
		{LateShipmentRate, Target{AtMost, 300, 90, ebayLSR}, []int{90}, KeyShipBy, urlEBayTRS, "eBay counts a shipment late only when delivered after its estimate without an acceptance scan in handling time; Shipwatch counts shipping after shipBy."},
	},
}

// StandardsFor returns the metrics a marketplace publishes, in the order
// its pages list them.
func StandardsFor(m Marketplace) ([]Standard, error) {
	s, ok := standards[m]
	if !ok {
		return nil, fmt.Errorf("unknown marketplace %q", m)
	}
	return s, nil
}

// StandardValue is one standard counted over one of its windows.
type StandardValue struct {
	Standard
	WindowDays int
	From, To   time.Time
	Value
	Status Status
}

// count names the store's count of a metric.
func (m Metric) count() store.StandardCount {
	switch m {
	case ValidTrackingRate:
		return store.CountScanned
	case LateShipmentRate:
		return store.CountShippedLate
	case OnTimeDeliveryRate:
		return store.CountDeliveredOnTime
	case CancellationRate:
		return store.CountSellerCancelled
	case OnTimeShipmentRate:
		return store.CountFirstScanOnTime
	case TrackingOnTimeRate:
		return store.CountTrackingOnTime
	case ItemNotReceivedRate:
		return store.CountNotReceived
	case ReturnRate:
		return store.CountReturned
	}
	panic("health: no count for metric " + string(m))
}

// Standards counts every standard of a marketplace over each of its
// windows, up to now (zero: the database's clock). Unlike Report it reads
// shipments directly, by each standard's keying date.
func (s *Service) Standards(ctx context.Context, sellerID string, m Marketplace, now time.Time) ([]StandardValue, error) {
	list, err := StandardsFor(m)
	if err != nil {
		return nil, &shipment.FieldError{Field: "marketplace", Message: err.Error()}
	}
	var qs []store.StandardQuery
	for _, st := range list {
		for _, w := range st.Windows {
			qs = append(qs, store.StandardQuery{Count: st.Metric.count(), Keying: string(st.KeyedBy), Days: w})
		}
	}
	res, err := s.store.StandardCounts(ctx, sellerID, qs, now)
	if err != nil {
		return nil, err
	}
	return standardValues(list, res), nil
}

// standardValues pairs the standards' windows, in order, with their counts.
func standardValues(list []Standard, res []store.StandardResult) []StandardValue {
	out := make([]StandardValue, 0, len(res))
	i := 0
	for _, st := range list {
		for _, w := range st.Windows {
			r := res[i]
			i++
			v := Value{Numerator: r.Numerator, Denominator: r.Denominator, Failing: r.Denominator - r.Numerator}
			if !st.Metric.HigherIsBetter() {
				v.Failing = r.Numerator
			}
			t := st.Target
			t.WindowDays = w
			sv := StandardValue{Standard: st, WindowDays: w, From: r.From, To: r.To, Value: v}
			sv.Target = t
			sv.Status = t.Evaluate(v.Numerator, v.Denominator)
			out = append(out, sv)
		}
	}
	return out
}
