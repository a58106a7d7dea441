package carrier

import (
	"strconv"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// PollState is what the schedule reads of a shipment.
type PollState struct {
	Status      shipment.Status
	CreatedAt   time.Time
	ShippedAt   *time.Time
	FirstScanAt *time.Time
	ShipBy      *time.Time
	// LastEventAt is the newest event's time (zero when none).
	LastEventAt time.Time
	Cancelled   bool
	// InactiveHours is the seller's INACTIVE_TRACKING threshold.
	InactiveHours int
}

// Priorities: when an account's quota cannot cover every due shipment,
// lower numbers are polled first.
const (
	// PriorityBoundary: not scanned, and the inactive-tracking or
	// late-shipment boundary is less than BoundaryHorizon away (or past).
	PriorityBoundary = 0
	// PriorityUnscanned: not scanned yet.
	PriorityUnscanned = 1
	// PriorityLastMile: out for delivery, at a pickup point, attempted,
	// or in exception: the next event is the outcome.
	PriorityLastMile = 2
	// PriorityMoving: scanned and moving.
	PriorityMoving = 3
	// PriorityIdle: the carrier does not know the number after a day, or
	// the seller has not shipped it.
	PriorityIdle = 4
)

// Policy is how often each kind of open shipment is polled.
type Policy struct {
	// Unscanned is the interval while the first scan is awaited: at most
	// the first-scan latency the schedule promises (within the hour).
	Unscanned time.Duration
	// LastMile and Moving are the intervals after the first scan.
	LastMile, Moving time.Duration
	// Idle is the interval of a shipment the carrier has not known for
	// NotFoundGrace, or that has no shipping date and is young.
	Idle          time.Duration
	NotFoundGrace time.Duration
	// BoundaryHorizon: how close a boundary makes a shipment urgent.
	BoundaryHorizon time.Duration
	// Naive polls every open shipment every Unscanned, whatever its
	// state: the baseline of make bench-poll.
	Naive bool
}

// DefaultPolicy is the schedule the server runs (docs/carriers.md).
var DefaultPolicy = Policy{
	Unscanned:       30 * time.Minute,
	LastMile:        2 * time.Hour,
	Moving:          6 * time.Hour,
	Idle:            6 * time.Hour,
	NotFoundGrace:   48 * time.Hour,
	BoundaryHorizon: 12 * time.Hour,
}

// Closed reports whether a shipment is never polled again: delivered,
// returned or cancelled.
func (st PollState) Closed() bool {
	return st.Cancelled || st.Status == shipment.StatusDelivered || st.Status == shipment.StatusReturnedToSender ||
		st.Status == shipment.StatusCancelled
}

// Next says when to poll a shipment again after a poll at now (or when it
// joins the schedule), and at which priority; poll is false for a closed
// shipment, which leaves the schedule. notFound says the last poll found
// nothing at the carrier.
func (p Policy) Next(st PollState, now time.Time, notFound bool) (next time.Time, priority int, poll bool) {
	if st.Closed() {
		return time.Time{}, 0, false
	}
	if p.Naive {
		return now.Add(p.Unscanned), PriorityUnscanned, true
	}
	if st.FirstScanAt != nil {
		switch st.Status {
		case shipment.StatusOutForDelivery, shipment.StatusAvailableForPickup, shipment.StatusDeliveryAttempted,
			shipment.StatusException:
			return now.Add(p.LastMile), PriorityLastMile, true
		}
		return now.Add(p.Moving), PriorityMoving, true
	}
	since := st.CreatedAt
	if st.ShippedAt != nil {
		since = *st.ShippedAt
	}
	if notFound && now.Sub(since) > p.NotFoundGrace {
		return now.Add(p.Idle), PriorityIdle, true
	}
	next, priority = now.Add(p.Unscanned), PriorityUnscanned
	if b, ok := st.boundary(); ok {
		if b.Sub(now) < p.BoundaryHorizon {
			priority = PriorityBoundary
		}
		// One poll just before the boundary, so that a scan made before it
		// is seen before the rule would flag its absence.
		if before := b.Add(-5 * time.Minute); before.After(now) && before.Before(next) {
			next = before
		}
	}
	return next, priority, true
}

// PrioritySQL is Next's priority as SQL over a shipment sh (a shipments
// row) and its seller se, at time $4 (timestamptz), for a shipment joining
// the schedule: the store computes it for many shipments in one statement.
// It must say what Next says (TestPrioritySQLMatchesNext checks).
func (p Policy) PrioritySQL() string {
	if p.Naive {
		return strconv.Itoa(PriorityUnscanned)
	}
	return `CASE WHEN sh.first_scan_at IS NOT NULL THEN
			CASE WHEN sh.status IN ('OUT_FOR_DELIVERY', 'AVAILABLE_FOR_PICKUP', 'DELIVERY_ATTEMPTED', 'EXCEPTION')
				THEN ` + strconv.Itoa(PriorityLastMile) + ` ELSE ` + strconv.Itoa(PriorityMoving) + ` END
		WHEN least(sh.shipped_at + make_interval(hours => se.inactive_tracking_hours),
				CASE WHEN sh.shipped_at IS NULL THEN sh.ship_by END)
			< $4::timestamptz + make_interval(secs => ` + strconv.FormatInt(int64(p.BoundaryHorizon/time.Second), 10) + `)
			THEN ` + strconv.Itoa(PriorityBoundary) + `
		ELSE ` + strconv.Itoa(PriorityUnscanned) + ` END`
}

// boundary is the earliest instant a "no scan" rule can fire: shipped +
// the inactive threshold, or the ship-by date for a shipment not shipped.
func (st PollState) boundary() (time.Time, bool) {
	var b time.Time
	if st.ShippedAt != nil && st.InactiveHours > 0 {
		b = st.ShippedAt.Add(time.Duration(st.InactiveHours) * time.Hour)
	}
	if st.ShipBy != nil && st.ShippedAt == nil && (b.IsZero() || st.ShipBy.Before(b)) {
		b = *st.ShipBy
	}
	return b, !b.IsZero()
}

// RecycleWindow: carriers reuse tracking numbers, so an event dated more
// than this before the shipment could have shipped belongs to an earlier
// parcel with the same number and is not attached.
const RecycleWindow = 7 * 24 * time.Hour

// Recycled reports whether an event at occurred is from a recycled
// number's earlier life: before the earliest the shipment could have
// shipped (created in Shipwatch, or its shipping date when earlier)
// minus RecycleWindow.
func (st PollState) Recycled(occurred time.Time) bool {
	earliest := st.CreatedAt
	if st.ShippedAt != nil && st.ShippedAt.Before(earliest) {
		earliest = *st.ShippedAt
	}
	return occurred.Before(earliest.Add(-RecycleWindow))
}
