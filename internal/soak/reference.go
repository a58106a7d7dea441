package soak

import (
	"sort"
	"time"
)

// The reference evaluation restates each rule of docs/monitoring.md in
// plain Go over plain rows: a shipment as stored (what the seller wrote
// and what the tracking check said) and its number's carrier events as
// stored. It derives the event state (latest status, first scan, delivery,
// estimate) from the events itself, so a shipment left behind by its events
// shows up as a mismatch too. It shares no SQL with the server.

// RefSeller is a seller's settings that the rules read.
type RefSeller struct {
	Zone          *time.Location
	InactiveHours int
	StalledDays   int
}

// RefShipment is one shipment row, as written.
type RefShipment struct {
	ID, SellerID, OrderID string
	Normalized            string
	TrackingValid         bool
	TrackingReason        string
	Cancelled             bool
	ShippedAt             *time.Time
	ShipBy, DeliverBy     *time.Time
}

// RefEvent is one carrier event of a seller's normalised number.
type RefEvent struct {
	ID         int64
	OccurredAt time.Time
	Status     string
	Estimate   *time.Time
}

// eventState is what a number's events say: the doc's "latest status",
// "first scan", "delivered" and "the carrier's latest estimate".
type eventState struct {
	status    string // of the latest event by occurredAt (then id); "" without events
	lastAt    *time.Time
	firstScan *time.Time
	estimate  *time.Time
}

// notScans are the statuses that do not count as a carrier scan.
var notScans = map[string]bool{"PENDING": true, "LABEL_CREATED": true, "CANCELLED": true}

func stateOf(evs []RefEvent) eventState {
	var st eventState
	var latest, latestEst *RefEvent
	for i := range evs {
		e := &evs[i]
		if latest == nil || later(e, latest) {
			latest = e
		}
		if e.Estimate != nil && (latestEst == nil || later(e, latestEst)) {
			latestEst = e
		}
		if !notScans[e.Status] && (st.firstScan == nil || e.OccurredAt.Before(*st.firstScan)) {
			at := e.OccurredAt
			st.firstScan = &at
		}
	}
	if latest != nil {
		at := latest.OccurredAt
		st.status, st.lastAt = latest.Status, &at
	}
	if latestEst != nil {
		st.estimate = latestEst.Estimate
	}
	return st
}

func later(a, b *RefEvent) bool {
	if !a.OccurredAt.Equal(b.OccurredAt) {
		return a.OccurredAt.After(b.OccurredAt)
	}
	return a.ID > b.ID
}

// FlagKey is one open flag: a shipment and a kind.
type FlagKey struct {
	ShipmentID, Kind string
}

// RefData is everything the reference reads.
type RefData struct {
	Sellers   map[string]RefSeller
	Shipments []RefShipment
	// Events by seller, then normalised number.
	Events map[string]map[string][]RefEvent
}

// Expected returns the flags every documented rule says should be open at
// time at. The dispute rules (DISPUTE_DUE_SOON, PROOF_MISSING) need
// disputes, which a soak never opens: they expect nothing.
func Expected(d RefData, at time.Time) map[FlagKey]bool {
	type numberKey struct{ seller, number string }
	carriers := map[numberKey]int{} // live shipments per number, for DUPLICATE_TRACKING
	for _, sh := range d.Shipments {
		if !sh.Cancelled && sh.Normalized != "" {
			carriers[numberKey{sh.SellerID, sh.Normalized}]++
		}
	}
	out := map[FlagKey]bool{}
	for _, sh := range d.Shipments {
		if sh.Cancelled {
			continue // cancelled shipments are never flagged
		}
		se := d.Sellers[sh.SellerID]
		zone := se.Zone
		if zone == nil {
			zone = time.UTC
		}
		day := func(t time.Time) time.Time {
			y, m, dd := t.In(zone).Date()
			return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
		}
		today := day(at)
		st := stateOf(d.Events[sh.SellerID][sh.Normalized])
		status := st.status
		if status == "" {
			status = "PENDING"
		}
		var delivered *time.Time
		if st.status == "DELIVERED" {
			delivered = st.lastAt
		}
		raise := func(kind string) { out[FlagKey{sh.ID, kind}] = true }

		if sh.Normalized != "" && !sh.TrackingValid && sh.TrackingReason != "CARRIER_MISMATCH" && st.firstScan == nil {
			raise("INVALID_TRACKING")
		}
		if sh.TrackingReason == "CARRIER_MISMATCH" {
			raise("CARRIER_MISMATCH")
		}
		if sh.Normalized != "" && carriers[numberKey{sh.SellerID, sh.Normalized}] > 1 {
			raise("DUPLICATE_TRACKING")
		}
		if sh.Normalized != "" && sh.ShippedAt != nil && st.firstScan == nil &&
			!sh.ShippedAt.After(at.Add(-time.Duration(se.InactiveHours)*time.Hour)) {
			raise("INACTIVE_TRACKING")
		}
		if st.firstScan != nil && delivered == nil && status != "RETURNED_TO_SENDER" &&
			!st.lastAt.After(at.Add(-time.Duration(se.StalledDays)*24*time.Hour)) {
			raise("STALLED")
		}
		shipped := sh.ShippedAt
		if shipped == nil {
			shipped = st.firstScan
		}
		if sh.ShipBy != nil && ((shipped != nil && day(*shipped).After(day(*sh.ShipBy))) ||
			(shipped == nil && day(*sh.ShipBy).Before(today))) {
			raise("LATE_SHIPMENT")
		}
		if delivered == nil && status != "RETURNED_TO_SENDER" && st.estimate != nil && sh.DeliverBy != nil &&
			day(*st.estimate).After(day(*sh.DeliverBy)) && !day(*sh.DeliverBy).Before(today) {
			raise("DELIVERY_AT_RISK")
		}
		if sh.DeliverBy != nil && ((delivered != nil && day(*delivered).After(day(*sh.DeliverBy))) ||
			(delivered == nil && day(*sh.DeliverBy).Before(today))) {
			raise("LATE_DELIVERY")
		}
		switch status {
		case "EXCEPTION", "DELIVERY_ATTEMPTED", "RETURNED_TO_SENDER":
			raise("DELIVERY_EXCEPTION")
		}
	}
	return out
}

// Mismatch is the difference between the open flags and the reference.
type Mismatch struct {
	Kind           string
	Missing, Extra int // expected but not open; open but not expected
	Example        string
}

// Compare counts the flags that are open but not expected and expected but
// not open. A time-based rule can change its mind between the start and
// the end of the sweep the comparison follows (the sweep reads one instant
// between the two): a flag that agrees with the reference at either
// instant is not a mismatch.
func Compare(open, atStart, atEnd map[FlagKey]bool) (total int, byKind []Mismatch) {
	kinds := map[string]*Mismatch{}
	note := func(k FlagKey, missing bool) {
		m := kinds[k.Kind]
		if m == nil {
			m = &Mismatch{Kind: k.Kind, Example: k.ShipmentID}
			kinds[k.Kind] = m
		}
		if missing {
			m.Missing++
		} else {
			m.Extra++
		}
		total++
	}
	seen := map[FlagKey]bool{}
	for _, set := range []map[FlagKey]bool{open, atStart, atEnd} {
		for k := range set {
			if seen[k] {
				continue
			}
			seen[k] = true
			if open[k] != atStart[k] && open[k] != atEnd[k] {
				note(k, !open[k])
			}
		}
	}
	for _, m := range kinds {
		byKind = append(byKind, *m)
	}
	sort.Slice(byKind, func(i, j int) bool { return byKind[i].Kind < byKind[j].Kind })
	return total, byKind
}
