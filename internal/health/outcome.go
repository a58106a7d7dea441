package health

import (
	"time"

	"github.com/shipwatch/shipwatch/internal/forecast"
	"github.com/shipwatch/shipwatch/internal/store"
)

// Action is what a seller can do about an open shipment to change its
// outcome in a metric. The values are the GraphQL enum values.
type Action string

// The actions of the save queue.
const (
	// GetFirstScan: have the carrier scan the parcel (drop it off, ask for
	// a pickup) before the deadline.
	GetFirstScan Action = "GET_FIRST_SCAN"
	// ReplaceTrackingNumber: the number fails the tracking check; send the
	// corrected one (SaveItem.SuggestedNumber when there is a likely one).
	ReplaceTrackingNumber Action = "REPLACE_TRACKING_NUMBER"
	// ShipOrUpgrade: ship before the deadline, with a faster service when
	// the usual one would arrive late.
	ShipOrUpgrade Action = "SHIP_OR_UPGRADE"
	// ContactBuyer: the parcel is on its way and likely late; tell the
	// buyer before the deadline (the promised date).
	ContactBuyer Action = "CONTACT_BUYER"
	// AssembleEvidence: a claim is open; answer it with the evidence pack.
	AssembleEvidence Action = "ASSEMBLE_EVIDENCE"
)

// scanGraceDays is, for a seller with too few numbers to learn its own
// delays from (scanDelays), how long a valid number may wait for its first
// scan before its chance of one halves with each further day.
const scanGraceDays = 2

// outcome is an open shipment's standing in one metric: the probability
// that it is in the metric's numerator when the marketplace evaluates it,
// whether the store counts it there now, and what would change it.
type outcome struct {
	shipment *store.Shipment
	key      time.Time
	p        float64
	nowIn    bool
	action   Action
	deadline *time.Time
	// dispute is the claim an AssembleEvidence item answers. Such an
	// outcome is in the save queue only: the projection counts the claim
	// as it stands (see claimOutcome).
	dispute *store.Dispute
}

// outcomeInputs is what deciding an open shipment's outcome needs besides
// the shipment.
type outcomeInputs struct {
	now time.Time
	loc *time.Location
	// base is each metric's rate over its longest window now (the
	// numerator's share): the chance of an open shipment without a
	// forecast.
	base      map[Metric]float64
	forecasts map[string]forecast.Forecast
	// scans are the seller's own first-scan delays; nil or too few: the
	// fixed rule (scanChance).
	scans *scanDelays
	// claims are the open disputes evidence can still answer
	// (store.OpenClaims), for AssembleEvidence.
	claims []store.Claim
}

// scanRate is the chance a valid number gets its first scan: the seller's
// valid tracking rate, 1 when the marketplace publishes none.
func (in *outcomeInputs) scanRate() float64 {
	if r, ok := in.base[ValidTrackingRate]; ok {
		return r
	}
	return 1
}

// keyOf is the date that places sh in a window keyed by k; ok false when
// it has none (the SQL keys of internal/store/standards.go).
func keyOf(k Keying, sh *store.Shipment) (time.Time, bool) {
	switch k {
	case KeyPromisedDelivery:
		switch {
		case sh.DeliverBy != nil:
			return *sh.DeliverBy, true
		case sh.ShippedAt != nil:
			return *sh.ShippedAt, true
		}
		return sh.CreatedAt, true
	case KeyShipBy:
		if sh.ShipBy == nil {
			return time.Time{}, false
		}
		return *sh.ShipBy, true
	case KeyOrdered:
		return sh.CreatedAt, true
	case KeyShipped:
		if sh.ShippedAt != nil {
			return *sh.ShippedAt, true
		}
		return sh.CreatedAt, true
	case KeyDelivered:
		if sh.DeliveredAt != nil {
			return *sh.DeliveredAt, true
		}
	}
	return time.Time{}, false
}

// endOfDay is the last microsecond of t's local day.
func endOfDay(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc).Add(-time.Microsecond)
}

// numberAction is what to do about a number without a scan.
func numberAction(sh *store.Shipment) Action {
	if !sh.TrackingValid {
		return ReplaceTrackingNumber
	}
	return GetFirstScan
}

// openOutcome returns sh's outcome in metric m, keyed by k, when it can
// still change; ok false when it is settled or does not count in m. The
// rules are docs/forecast.md's "Projected account health" table. sh is
// neither cancelled nor delivered (store.OpenShipments).
func openOutcome(m Metric, k Keying, sh *store.Shipment, in *outcomeInputs) (outcome, bool) {
	key, ok := keyOf(k, sh)
	if !ok {
		return outcome{}, false
	}
	o := outcome{shipment: sh, key: key}
	base := in.base[m]
	switch m {
	case ValidTrackingRate:
		if sh.NormalizedTrackingNumber == "" || sh.FirstScanAt != nil {
			return outcome{}, false
		}
		o.p, o.action, o.deadline = in.scanChance(sh, base, nil), numberAction(sh), sh.DeliverBy
	case LateShipmentRate:
		if sh.ShipBy == nil || sh.ShippedAt != nil || !sh.ShipBy.After(in.now) {
			return outcome{}, false
		}
		// Counted late now (not shipped); late at evaluation with the
		// seller's late rate.
		o.p, o.nowIn, o.action, o.deadline = base, true, ShipOrUpgrade, sh.ShipBy
	case OnTimeDeliveryRate:
		if sh.DeliverBy == nil || !sh.DeliverBy.After(in.now) {
			return outcome{}, false
		}
		o.p, o.action, o.deadline = base, ContactBuyer, sh.DeliverBy
		if f, ok := in.forecasts[sh.ID]; ok && f.HasDeadline {
			o.p = 1 - f.MissProbability
			// The forecast learns from delivered parcels, every one of
			// them scanned: a number still without a scan is delivered
			// (as far as the marketplace sees) only if it gets one, with
			// VTR's chance. The seller's rate, used without a forecast,
			// already counts the parcels never scanned.
			if sh.NormalizedTrackingNumber != "" && sh.FirstScanAt == nil {
				o.p *= in.scanChance(sh, in.scanRate(), nil)
			}
		}
		if sh.ShippedAt == nil && sh.FirstScanAt == nil {
			o.action = ShipOrUpgrade
			if sh.ShipBy != nil && sh.ShipBy.Before(*sh.DeliverBy) {
				o.deadline = sh.ShipBy
			}
		}
	case OnTimeShipmentRate:
		if sh.ShipBy == nil || sh.FirstScanAt != nil {
			return outcome{}, false
		}
		end := endOfDay(*sh.ShipBy, in.loc)
		if !end.After(in.now) {
			return outcome{}, false
		}
		o.p, o.deadline = base, &end
		switch {
		case sh.NormalizedTrackingNumber == "" || sh.ShippedAt == nil:
			o.action = ShipOrUpgrade
		default:
			o.p, o.action = in.scanChance(sh, base, &end), numberAction(sh)
		}
	case TrackingOnTimeRate:
		if sh.ShipBy == nil || sh.FirstScanAt != nil {
			return outcome{}, false
		}
		end := endOfDay(*sh.ShipBy, in.loc)
		if sh.NormalizedTrackingNumber == "" {
			if !end.After(in.now) {
				return outcome{}, false
			}
			o.p, o.action, o.deadline = base, ShipOrUpgrade, &end
			break
		}
		received := sh.CreatedAt
		if sh.TrackingReceivedAt != nil {
			received = *sh.TrackingReceivedAt
		}
		if received.After(end) {
			return outcome{}, false
		}
		o.p, o.action = in.scanChance(sh, base, nil), numberAction(sh)
		if !sh.TrackingValid {
			if !end.After(in.now) {
				// A corrected number would arrive after the ship-by day.
				return outcome{}, false
			}
			o.deadline = &end
		}
	default:
		// Cancellations, claims and returns are counted as they stand.
		return outcome{}, false
	}
	return o, true
}

// claimKinds are the disputes whose evidence pack is queued, by metric:
// the item-not-received rate counts NOT_RECEIVED disputes (docs/health.md).
var claimKinds = map[Metric][]string{ItemNotReceivedRate: {"NOT_RECEIVED"}}

// claimOutcome is the AssembleEvidence item of an open claim in metric m,
// keyed by k. Shipwatch counts a claim once it is opened, whatever its
// answer, so the projection does not move (the claim is in the numerator
// now and at evaluation: p 1, nowIn); the item is what the seller can do
// to have the marketplace remove it, which Shipwatch would only learn from
// the dispute's outcome. Its deadline is the dispute's response deadline.
func claimOutcome(m Metric, k Keying, c *store.Claim) (outcome, bool) {
	if _, ok := claimKinds[m]; !ok {
		return outcome{}, false
	}
	key, ok := keyOf(k, &c.Shipment)
	if !ok {
		return outcome{}, false
	}
	return outcome{shipment: &c.Shipment, key: key, p: 1, nowIn: true, action: AssembleEvidence,
		deadline: c.Dispute.RespondBy, dispute: &c.Dispute}, true
}
