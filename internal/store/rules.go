package store

import "strings"

// The flag kinds of the monitoring rules (GraphQL enum FlagKind).
const (
	FlagInvalidTracking   = "INVALID_TRACKING"
	FlagCarrierMismatch   = "CARRIER_MISMATCH"
	FlagDuplicateTracking = "DUPLICATE_TRACKING"
	FlagInactiveTracking  = "INACTIVE_TRACKING"
	FlagStalled           = "STALLED"
	FlagLateShipment      = "LATE_SHIPMENT"
	FlagDeliveryAtRisk    = "DELIVERY_AT_RISK"
	FlagLateDelivery      = "LATE_DELIVERY"
	FlagDeliveryException = "DELIVERY_EXCEPTION"
)

// Flag severities (GraphQL enum FlagSeverity).
const (
	SeverityInfo     = "INFO"
	SeverityWarning  = "WARNING"
	SeverityCritical = "CRITICAL"
)

// TimeBased reports whether the rule's condition reads the time ($2), so
// it can start or stop holding while nothing is written: the periodic sweep
// runs only such rules. A rule that does not read the time changes only
// when a shipment or its events are written, and the write-caused check
// runs every rule.
func (r FlagRule) TimeBased() bool { return strings.Contains(r.Candidates, "$2") }

// Every rule's SQL starts from the same scope: seller $1 (NULL for all)
// and shipments $3 (NULL for all).
const (
	ruleScope = `($1::uuid IS NULL OR sh.seller_id = $1::uuid) AND ($3::uuid[] IS NULL OR sh.id = ANY($3::uuid[]))`
	// localToday is the start of the seller's local day containing $2:
	// promised dates (ship by, deliver by) are days in the seller's zone.
	localToday = `(date_trunc('day', $2::timestamptz AT TIME ZONE se.time_zone) AT TIME ZONE se.time_zone)`
)

// perSeller is the FROM and WHERE of a time-based rule: the sellers in
// scope, each with its shipments meeting preds. The shipments are read per
// seller so the thresholds and zone of the seller bound an index range
// scan; OFFSET 0 keeps the planner from flattening the subquery into one
// join that would read every row of the partial index.
func perSeller(preds string) string {
	return `FROM sellers se CROSS JOIN LATERAL (
				SELECT sh.* FROM shipments sh
				WHERE sh.seller_id = se.id AND ($3::uuid[] IS NULL OR sh.id = ANY($3::uuid[]))
					AND ` + preds + `
				OFFSET 0) sh
			WHERE ($1::uuid IS NULL OR se.id = $1::uuid)`
}

// localDay is the date of a timestamptz column in the seller's zone.
func localDay(col string) string { return `(` + col + ` AT TIME ZONE se.time_zone)::date` }

// localDayText formats a timestamptz column as YYYY-MM-DD in the seller's zone.
func localDayText(col string) string {
	return `to_char(` + col + ` AT TIME ZONE se.time_zone, 'YYYY-MM-DD')`
}

// FlagRules are Shipwatch's monitoring rules. docs/monitoring.md states
// each one's definition and boundaries; the predicates on shipments repeat
// the partial indexes of migration 0004 word for word, so the planner reads
// only the rows that can qualify. Cancelled shipments are never candidates:
// cancelling a shipment clears its flags. The dispute rules
// (dispute_rules.go) run with them.
var FlagRules = append(shipmentFlagRules, DisputeFlagRules...)

var shipmentFlagRules = []FlagRule{
	{
		// The number fails the check. A carrier scan proves the number
		// real whatever our format tables say, so a scanned shipment is
		// not flagged (and its flag clears at the first scan).
		Kind: FlagInvalidTracking, Severity: SeverityCritical,
		Candidates: `SELECT sh.id AS shipment_id,
			format('The tracking number %s %s.', sh.tracking_number, CASE sh.tracking_reason
				WHEN 'CHECK_DIGIT_MISMATCH' THEN 'fails its check digit'
				WHEN 'UNKNOWN_COUNTRY' THEN 'names an unknown country'
				ELSE 'matches no known carrier format' END) AS message
			FROM shipments sh
			WHERE ` + ruleScope + ` AND sh.cancelled_at IS NULL AND sh.normalized_tracking_number <> ''
				AND NOT sh.tracking_valid AND sh.tracking_reason <> 'CARRIER_MISMATCH' AND sh.first_scan_at IS NULL`,
	},
	{
		// The number is valid for another carrier than the declared one.
		Kind: FlagCarrierMismatch, Severity: SeverityWarning,
		Candidates: `SELECT sh.id AS shipment_id,
			format('The tracking number is a %s number, but the shipment declares %s.', upper(sh.tracking_carrier), upper(sh.carrier)) AS message
			FROM shipments sh
			WHERE ` + ruleScope + ` AND sh.cancelled_at IS NULL AND sh.tracking_reason = 'CARRIER_MISMATCH'`,
	},
	{
		// The same number is on another of the seller's orders that is
		// not cancelled.
		Kind: FlagDuplicateTracking, Severity: SeverityWarning,
		Candidates: `SELECT sh.id AS shipment_id,
			format('The same tracking number is on order %s too.', d.orders) AS message
			FROM shipments sh
			CROSS JOIN LATERAL (
				SELECT string_agg(o.order_id, ', ' ORDER BY o.order_id) AS orders
				FROM (SELECT o.order_id FROM shipments o
					WHERE o.seller_id = sh.seller_id AND o.normalized_tracking_number = sh.normalized_tracking_number
						AND o.order_id <> sh.order_id AND o.cancelled_at IS NULL
					ORDER BY o.order_id LIMIT 5) o
			) d
			WHERE ` + ruleScope + ` AND sh.cancelled_at IS NULL AND sh.normalized_tracking_number <> ''
				AND d.orders IS NOT NULL`,
	},
	{
		// Shipped at least N hours ago (sellers.inactive_tracking_hours)
		// and never scanned: a label is not a scan.
		Kind: FlagInactiveTracking, Severity: SeverityWarning,
		Candidates: `SELECT sh.id AS shipment_id,
			format('No carrier scan %s hours after the parcel shipped (threshold: %s hours).',
				floor(extract(epoch FROM $2::timestamptz - sh.shipped_at) / 3600)::bigint, se.inactive_tracking_hours) AS message
			` + perSeller(`sh.first_scan_at IS NULL AND sh.cancelled_at IS NULL AND sh.normalized_tracking_number <> '' AND sh.shipped_at IS NOT NULL
				AND sh.shipped_at <= $2::timestamptz - make_interval(hours => se.inactive_tracking_hours)`),
	},
	{
		// Scanned, not delivered, not returned, and no event for N days
		// of 24 hours (sellers.stalled_days).
		Kind: FlagStalled, Severity: SeverityWarning,
		Candidates: `SELECT sh.id AS shipment_id,
			format('No carrier event for %s days (threshold: %s days); the last status is %s.',
				floor(extract(epoch FROM $2::timestamptz - sh.last_event_at) / 86400)::bigint, se.stalled_days, sh.status) AS message
			` + perSeller(`sh.delivered_at IS NULL AND sh.cancelled_at IS NULL AND sh.first_scan_at IS NOT NULL
				AND sh.status <> 'RETURNED_TO_SENDER'
				AND sh.last_event_at <= $2::timestamptz - make_interval(hours => 24 * se.stalled_days)`),
	},
	{
		// Shipped (shippedAt, else the first scan) on a later local day
		// than shipBy; or not shipped and shipBy's local day is over.
		Kind: FlagLateShipment, Severity: SeverityCritical,
		Candidates: `SELECT sh.id AS shipment_id,
			format('Shipped on %s, after the ship-by date %s.',
				` + localDayText("coalesce(sh.shipped_at, sh.first_scan_at)") + `, ` + localDayText("sh.ship_by") + `) AS message
			` + perSeller(`sh.cancelled_at IS NULL AND coalesce(sh.shipped_at, sh.first_scan_at) > sh.ship_by
				AND `+localDay("coalesce(sh.shipped_at, sh.first_scan_at)")+` > `+localDay("sh.ship_by")) + `
			UNION ALL
			SELECT sh.id, format('Not shipped, and the ship-by date %s has passed.', ` + localDayText("sh.ship_by") + `)
			` + perSeller(`sh.shipped_at IS NULL AND sh.first_scan_at IS NULL AND sh.cancelled_at IS NULL
				AND sh.ship_by < `+localToday),
	},
	{
		// Not delivered, the carrier's estimate falls on a later local day
		// than deliverBy, and deliverBy's day is not over yet: once it is,
		// LATE_DELIVERY takes over and this flag clears.
		Kind: FlagDeliveryAtRisk, Severity: SeverityWarning,
		Candidates: `SELECT sh.id AS shipment_id,
			format('The carrier expects delivery on %s, after the deliver-by date %s.',
				` + localDayText("sh.estimated_delivery_at") + `, ` + localDayText("sh.deliver_by") + `) AS message
			` + perSeller(`sh.delivered_at IS NULL AND sh.cancelled_at IS NULL AND sh.estimated_delivery_at > sh.deliver_by
				AND sh.status <> 'RETURNED_TO_SENDER'
				AND `+localDay("sh.estimated_delivery_at")+` > `+localDay("sh.deliver_by")+`
				AND sh.deliver_by >= `+localToday),
	},
	{
		// Delivered on a later local day than deliverBy; or not delivered
		// and deliverBy's local day is over.
		Kind: FlagLateDelivery, Severity: SeverityCritical,
		Candidates: `SELECT sh.id AS shipment_id,
			format('Delivered on %s, after the deliver-by date %s.',
				` + localDayText("sh.delivered_at") + `, ` + localDayText("sh.deliver_by") + `) AS message
			` + perSeller(`sh.cancelled_at IS NULL AND sh.delivered_at > sh.deliver_by
				AND `+localDay("sh.delivered_at")+` > `+localDay("sh.deliver_by")) + `
			UNION ALL
			SELECT sh.id, format('Not delivered, and the deliver-by date %s has passed.', ` + localDayText("sh.deliver_by") + `)
			` + perSeller(`sh.delivered_at IS NULL AND sh.cancelled_at IS NULL
				AND sh.deliver_by < `+localToday),
	},
	{
		// The latest status is a delivery problem.
		Kind: FlagDeliveryException, Severity: SeverityWarning,
		Candidates: `SELECT sh.id AS shipment_id, CASE sh.status
				WHEN 'EXCEPTION' THEN 'The carrier reports a delivery exception.'
				WHEN 'DELIVERY_ATTEMPTED' THEN 'The carrier attempted delivery and failed.'
				ELSE 'The carrier is returning the parcel to the sender.' END AS message
			FROM shipments sh
			WHERE ` + ruleScope + ` AND sh.cancelled_at IS NULL
				AND sh.status IN ('EXCEPTION', 'DELIVERY_ATTEMPTED', 'RETURNED_TO_SENDER')`,
	},
}
