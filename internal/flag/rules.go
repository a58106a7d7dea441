package flag

import "strings"

// Rule defines one kind of flag: docs/monitoring.md states each one's
// meaning and boundaries in prose, and this is the only other place.
//
// A rule's condition is SQL over one shipment (sh, a shipments row) and
// its seller (se, a sellers row), at time $2. Cancelled shipments are never
// candidates: cancelling a shipment clears its flags. The dispute rules
// (Custom, disputes.go) are the exception: they follow an open dispute,
// which a cancelled order can have and must still answer.
type Rule struct {
	Kind     Kind
	Severity Severity
	// TimeBased says the condition reads the time ($2), so it can start or
	// stop holding while nothing is written: the periodic sweep runs only
	// these. The others change only when a shipment or its events are
	// written, and the check a write causes runs every rule.
	TimeBased bool
	// Cases are the ways the condition holds, each with its message (an
	// SQL text expression); a shipment meets at most one.
	Cases []Case
	// Join is a LATERAL join after sh that Where may read (the duplicate
	// rule's other orders).
	Join, Where string
	// Custom, for the rules that start from another table (disputes), is
	// the whole candidate query, reading the scope parameters itself.
	Custom string
}

// Case is one way a rule's condition holds.
type Case struct {
	// Cond is an SQL condition on sh and se. For a time-based rule, the
	// sweep's plan reads a partial index of migration 0004 whose predicate
	// Cond implies.
	Cond string
	// Message is the flag's message, an SQL text expression.
	Message string
	// Order, for a case bounded by time, is the column of its partial
	// index the bound ranges over. The sweep's form reads the seller's
	// candidates in that order, which only that index gives without a
	// sort: with the table's statistics missing or stale, every partial
	// index of the seller looks like one row, and the planner read
	// STALLED through shipments_undelivered_idx, filtering every open
	// shipment (259 ms against 2.7 ms at 200,000 shipments, measured).
	Order string
}

// Rules is the catalogue, in the order checks and sweeps apply it.
var Rules = append(append([]Rule{}, shipmentRules...), disputeRules...)

var byKind = func() map[Kind]Rule {
	m := map[Kind]Rule{}
	for _, r := range Rules {
		m[r.Kind] = r
	}
	return m
}()

// Of returns the rule of a kind.
func Of(k Kind) (Rule, bool) {
	r, ok := byKind[k]
	return r, ok
}

// Candidates returns the rule as a SELECT of (shipment_id uuid, message
// text): every shipment for which the condition holds at $2 (timestamptz),
// for seller $1 (uuid; NULL for every seller), among shipments $3 (uuid[];
// NULL for all of them).
//
// byID is the form for a check of given shipments: $1 and $3 are set, and
// the shipments are read by key first, so the plan is the same whatever
// the planner believes about the table (during a large load, statistics
// say it is nearly empty and a seller's partial-index range looks like one
// row when it holds a million). The other form reads each seller's
// candidates through the partial index that matches the condition: the
// sweep's.
func (r Rule) Candidates(byID bool) string {
	if !byID {
		return r.candidates(false, true)
	}
	if r.Custom != "" {
		return r.Custom
	}
	return `WITH ` + ScopedShipments + `
			` + r.candidates(true, true)
}

// ScopedShipments defines the CTE scoped that the check's forms read: the
// seller $1's shipments among $3, each looked up alone by primary key (the
// subquery has no other condition to choose an index by, and OFFSET 0 keeps
// the seller's condition out of it), so the plan is the same whatever the
// planner believes about the table.
const ScopedShipments = `scoped AS MATERIALIZED (
			SELECT s.* FROM unnest($3::uuid[]) AS k(id)
			CROSS JOIN LATERAL (SELECT * FROM shipments WHERE id = k.id OFFSET 0) s
			WHERE s.seller_id = $1::uuid)`

// Scoped is the check's form of Candidates without its reading of the
// shipments: the statement around it defines scoped (ScopedShipments), so
// one statement can run every rule over a single reading of the shipments
// checked. A custom rule keeps its own query.
func (r Rule) Scoped() string {
	if r.Custom != "" {
		return r.Custom
	}
	return r.candidates(true, true)
}

// Matches is the sweep's form of Candidates without the messages (NULL):
// what finding the shipments whose flag changes needs. Formatting a
// message for each of tens of thousands of candidates that already carry
// their flag is most of the work a steady sweep would otherwise do per row.
// A custom rule keeps its own query.
func (r Rule) Matches() string { return r.candidates(false, false) }

func (r Rule) candidates(byID, messages bool) string {
	if r.Custom != "" {
		return r.Custom
	}
	from := `shipments sh WHERE sh.seller_id = se.id AND ($3::uuid[] IS NULL OR sh.id = ANY($3::uuid[]))`
	sellers := `($1::uuid IS NULL OR se.id = $1::uuid)`
	var b strings.Builder
	if byID {
		// The shipments come from scoped (ScopedShipments).
		from = `scoped sh WHERE sh.seller_id = se.id`
		sellers = `se.id = $1::uuid`
	}
	for i, c := range r.Cases {
		if i > 0 {
			b.WriteString("\n\t\t\tUNION ALL\n\t\t\t")
		}
		message, order := c.Message, ""
		if !messages {
			message = `NULL::text`
		}
		if !byID && c.Order != "" {
			order = `ORDER BY ` + c.Order + ` `
		}
		// OFFSET 0 keeps the planner from flattening the subquery into a
		// join that reads every seller's rows of the partial index.
		b.WriteString(`SELECT sh.id AS shipment_id, ` + message + ` AS message
			FROM sellers se CROSS JOIN LATERAL (
				SELECT sh.* FROM ` + from + `
					AND sh.cancelled_at IS NULL AND ` + c.Cond + `
				` + order + `OFFSET 0) sh ` + r.Join + `
			WHERE ` + sellers)
		if r.Where != "" {
			b.WriteString(` AND ` + r.Where)
		}
	}
	return b.String()
}

// localToday is the start of the seller's local day containing $2:
// promised dates (ship by, deliver by) are days in the seller's zone.
const localToday = `(date_trunc('day', $2::timestamptz AT TIME ZONE se.time_zone) AT TIME ZONE se.time_zone)`

// localDay is the date of a timestamptz column in the seller's zone.
func localDay(col string) string { return `(` + col + ` AT TIME ZONE se.time_zone)::date` }

// localDayText formats a timestamptz column as YYYY-MM-DD in the seller's zone.
func localDayText(col string) string {
	return `to_char(` + col + ` AT TIME ZONE se.time_zone, 'YYYY-MM-DD')`
}

const shippedAt = "coalesce(sh.shipped_at, sh.first_scan_at)"

// estimateLate: the carrier's estimate falls on a later local day than
// deliverBy.
var estimateLate = `(sh.estimated_delivery_at > sh.deliver_by AND ` + localDay("sh.estimated_delivery_at") + ` > ` + localDay("sh.deliver_by") + `)`

var shipmentRules = []Rule{
	{
		// The number fails the check. A carrier scan proves the number
		// real whatever our format tables say, so a scanned shipment is
		// not flagged (and its flag clears at the first scan).
		Kind: InvalidTracking, Severity: Critical,
		Cases: []Case{{
			Cond: `sh.normalized_tracking_number <> '' AND NOT sh.tracking_valid
				AND sh.tracking_reason <> 'CARRIER_MISMATCH' AND sh.first_scan_at IS NULL`,
			Message: `format('The tracking number %s %s.', sh.tracking_number, CASE sh.tracking_reason
				WHEN 'CHECK_DIGIT_MISMATCH' THEN 'fails its check digit'
				WHEN 'UNKNOWN_COUNTRY' THEN 'names an unknown country'
				ELSE 'matches no known carrier format' END)`,
		}},
	},
	{
		// The number is valid for another carrier than the declared one.
		Kind: CarrierMismatch, Severity: Warning,
		Cases: []Case{{
			Cond:    `sh.tracking_reason = 'CARRIER_MISMATCH'`,
			Message: `format('The tracking number is a %s number, but the shipment declares %s.', upper(sh.tracking_carrier), upper(sh.carrier))`,
		}},
	},
	{
		// The same number is on another of the seller's orders that is
		// not cancelled.
		Kind: DuplicateTracking, Severity: Warning,
		Cases: []Case{{
			Cond:    `sh.normalized_tracking_number <> ''`,
			Message: `format('The same tracking number is on order %s too.', d.orders)`,
		}},
		Join: `CROSS JOIN LATERAL (
				SELECT string_agg(o.order_id, ', ' ORDER BY o.order_id) AS orders
				FROM (SELECT o.order_id FROM shipments o
					WHERE o.seller_id = sh.seller_id AND o.normalized_tracking_number = sh.normalized_tracking_number
						AND o.order_id <> sh.order_id AND o.cancelled_at IS NULL
					ORDER BY o.order_id LIMIT 5) o) d`,
		Where: `d.orders IS NOT NULL`,
	},
	{
		// Shipped at least N hours ago (sellers.inactive_tracking_hours)
		// and never scanned: a label is not a scan.
		Kind: InactiveTracking, Severity: Warning, TimeBased: true,
		Cases: []Case{{
			Cond: inactiveCond + ` AND NOT ` + sourceDegraded,
			Message: `format('No carrier scan %s hours after the parcel shipped (threshold: %s hours).',
				floor(extract(epoch FROM $2::timestamptz - sh.shipped_at) / 3600)::bigint, se.inactive_tracking_hours)`,
			Order: `sh.shipped_at`,
		}},
	},
	{
		// Scanned, not delivered, not returned, and no event for N days
		// of 24 hours (sellers.stalled_days).
		Kind: Stalled, Severity: Warning, TimeBased: true,
		Cases: []Case{{
			Cond: stalledCond + ` AND NOT ` + sourceDegraded,
			Message: `format('No carrier event for %s days (threshold: %s days); the last status is %s.',
				floor(extract(epoch FROM $2::timestamptz - sh.last_event_at) / 86400)::bigint, se.stalled_days, sh.status)`,
			Order: `sh.last_event_at`,
		}},
	},
	{
		// INACTIVE_TRACKING's or STALLED's condition holds, but the source
		// that would bring the shipment's scans is failing: that source,
		// not the parcel, is the news. The held rule takes over when the
		// source recovers.
		Kind: SourceDegraded, Severity: Warning, TimeBased: true,
		Cases: []Case{{
			Cond:    inactiveCond + ` AND ` + sourceDegraded,
			Message: degradedMessage(`no carrier scan`),
			Order:   `sh.shipped_at`,
		}, {
			Cond:    stalledCond + ` AND ` + sourceDegraded,
			Message: degradedMessage(`no carrier event`),
			Order:   `sh.last_event_at`,
		}},
		Join: `CROSS JOIN LATERAL (` + degradedSourceOf + ` ORDER BY held.degraded_since, held.source_id LIMIT 1) ds`,
	},
	{
		// Shipped (shippedAt, else the first scan) on a later local day
		// than shipBy; or not shipped and shipBy's local day is over.
		Kind: LateShipment, Severity: Critical, TimeBased: true,
		Cases: []Case{{
			Cond: shippedAt + ` > sh.ship_by AND ` + localDay(shippedAt) + ` > ` + localDay("sh.ship_by"),
			Message: `format('Shipped on %s, after the ship-by date %s.', ` +
				localDayText(shippedAt) + `, ` + localDayText("sh.ship_by") + `)`,
		}, {
			Cond:    `sh.shipped_at IS NULL AND sh.first_scan_at IS NULL AND sh.ship_by < ` + localToday,
			Message: `format('Not shipped, and the ship-by date %s has passed.', ` + localDayText("sh.ship_by") + `)`,
			Order:   `sh.ship_by`,
		}},
	},
	{
		// Not delivered, deliverBy's day not over yet (once it is,
		// LATE_DELIVERY takes over and this flag clears), and either the
		// carrier's estimate falls on a later local day than deliverBy, or
		// the forecast's probability of missing it has passed the seller's
		// threshold (sellers.delivery_risk_threshold): the check of the
		// shipment stores when it does (shipments.forecast_risk_from,
		// internal/forecast RiskFrom), and the probability only grows with
		// time, so the sweep compares that instant with its time.
		Kind: DeliveryAtRisk, Severity: Warning, TimeBased: true,
		Cases: []Case{{
			Cond: `sh.delivered_at IS NULL AND ` + estimateLate + ` AND sh.status <> 'RETURNED_TO_SENDER'
				AND sh.deliver_by >= ` + localToday,
			Message: `format('The carrier expects delivery on %s, after the deliver-by date %s.', ` +
				localDayText("sh.estimated_delivery_at") + `, ` + localDayText("sh.deliver_by") + `)`,
			Order: `sh.deliver_by`,
		}, {
			Cond: `sh.delivered_at IS NULL AND sh.forecast_risk_from IS NOT NULL AND sh.forecast_risk_from <= $2::timestamptz
				AND sh.status <> 'RETURNED_TO_SENDER' AND sh.deliver_by >= ` + localToday + `
				AND NOT coalesce(` + estimateLate + `, false)`,
			Message: `format('The delivery forecast gives a %s%% or higher chance of missing the deliver-by date %s (threshold %s%%, lane %s).', ` +
				`round(100 * sh.forecast_miss_probability)::int, ` + localDayText("sh.deliver_by") +
				`, round(100 * se.delivery_risk_threshold)::int, sh.forecast_lane)`,
			Order: `sh.forecast_risk_from`,
		}},
	},
	{
		// Delivered on a later local day than deliverBy; or not delivered
		// and deliverBy's local day is over.
		Kind: LateDelivery, Severity: Critical, TimeBased: true,
		Cases: []Case{{
			Cond: `sh.delivered_at > sh.deliver_by AND ` + localDay("sh.delivered_at") + ` > ` + localDay("sh.deliver_by"),
			Message: `format('Delivered on %s, after the deliver-by date %s.', ` +
				localDayText("sh.delivered_at") + `, ` + localDayText("sh.deliver_by") + `)`,
		}, {
			Cond:    `sh.delivered_at IS NULL AND sh.deliver_by < ` + localToday,
			Message: `format('Not delivered, and the deliver-by date %s has passed.', ` + localDayText("sh.deliver_by") + `)`,
			Order:   `sh.deliver_by`,
		}},
	},
	{
		// The latest status is a delivery problem.
		Kind: DeliveryException, Severity: Warning,
		Cases: []Case{{
			Cond: `sh.status IN ('EXCEPTION', 'DELIVERY_ATTEMPTED', 'RETURNED_TO_SENDER')`,
			Message: `CASE sh.status
				WHEN 'EXCEPTION' THEN 'The carrier reports a delivery exception.'
				WHEN 'DELIVERY_ATTEMPTED' THEN 'The carrier attempted delivery and failed.'
				ELSE 'The carrier is returning the parcel to the sender.' END`,
		}},
	},
}

// inactiveCond: shipped at least N hours ago (sellers.inactive_tracking_hours)
// and never scanned.
const inactiveCond = `sh.first_scan_at IS NULL AND sh.normalized_tracking_number <> '' AND sh.shipped_at IS NOT NULL
				AND sh.shipped_at <= $2::timestamptz - make_interval(hours => se.inactive_tracking_hours)`

// stalledCond: scanned, not delivered, not returned, and no event for N
// days of 24 hours (sellers.stalled_days).
const stalledCond = `sh.delivered_at IS NULL AND sh.first_scan_at IS NOT NULL AND sh.status <> 'RETURNED_TO_SENDER'
				AND sh.last_event_at <= $2::timestamptz - make_interval(hours => 24 * se.stalled_days)`

// ShipmentCarrier is the carrier of sh as carrier accounts and the
// carrier check of webhook sources name it: the one its number belongs
// to, else the declared one, upper case ("USPS").
const ShipmentCarrier = `upper(CASE WHEN sh.tracking_carrier <> '' THEN sh.tracking_carrier ELSE sh.carrier END)`

// heldSources are the rows that can hold a seller's no-news rules: each
// failing source (source.Degraded; a carrier account's carrier, or a
// webhook source's id), and each carrier a working webhook source fails
// for (the carrier check, source.CarrierFlow). One relation, so that
// holding a shipment stays one EXISTS, which the planner turns into a join
// against the seller's rows, read once; both tables hold rows only while
// something fails, so for a seller with none (nearly always) it costs two
// index probes.
const heldSources = `SELECT h.seller_id, h.source_id, h.degraded_reason, h.degraded_since,
		ca.carrier AS account_carrier, ts.id AS webhook_id, NULL::text AS webhook_carrier,
		coalesce(ca.carrier || ' account', ts.provider || ' webhooks') AS source_name
	FROM source_health h
	LEFT JOIN carrier_accounts ca ON ca.id = h.source_id AND ca.seller_id = h.seller_id AND ca.deleted_at IS NULL
	LEFT JOIN tracking_sources ts ON ts.id = h.source_id AND ts.seller_id = h.seller_id AND ts.deleted_at IS NULL
	WHERE h.degraded_since IS NOT NULL
	UNION ALL
	SELECT c.seller_id, c.source_id, c.degraded_reason, c.degraded_since,
		NULL::text, ts.id, c.carrier, ts.provider || ' webhooks for ' || c.carrier
	FROM source_carrier_health c
	JOIN tracking_sources ts ON ts.id = c.source_id AND ts.seller_id = c.seller_id AND ts.deleted_at IS NULL`

// degradedSourceOf selects the sources holding sh's no-news rules: the
// seller's live carrier account for the shipment's carrier when it has one
// and it fails; else each of its live webhook sources that fails, or that
// fails for the shipment's carrier.
const degradedSourceOf = `SELECT held.source_id, held.degraded_reason, held.degraded_since, held.source_name
	FROM (` + heldSources + `) held
	WHERE held.seller_id = sh.seller_id
		AND (held.account_carrier = ` + ShipmentCarrier + `
			OR (held.webhook_id IS NOT NULL AND coalesce(held.webhook_carrier = ` + ShipmentCarrier + `, true)
				AND ` + servedByWebhooks + `))`

// servedByWebhooks holds for sh when the seller has no live carrier
// account for its carrier: its scans come by webhook.
const servedByWebhooks = `NOT EXISTS (SELECT 1 FROM carrier_accounts own
				WHERE own.seller_id = sh.seller_id AND own.deleted_at IS NULL AND own.carrier = ` + ShipmentCarrier + `)`

// AwaitingFirstScan and AwaitingNextScan are the two conditions under
// which an open shipment sh should be receiving scans by webhook at $2
// (the silence check of webhook sources, source.Quiet): shipped since $3 and not
// scanned yet; or scanned, not delivered or returned, and moved since $3.
// Both are served by webhooks and not cancelled. Each follows the partial
// index of the no-news rule it mirrors (INACTIVE_TRACKING, STALLED), by
// whose column a query orders it.
const (
	AwaitingFirstScan = `sh.first_scan_at IS NULL AND sh.cancelled_at IS NULL AND sh.normalized_tracking_number <> ''
				AND sh.shipped_at IS NOT NULL AND sh.shipped_at >= $3::timestamptz AND sh.shipped_at <= $2::timestamptz
				AND ` + servedByWebhooks
	AwaitingNextScan = `sh.delivered_at IS NULL AND sh.cancelled_at IS NULL AND sh.first_scan_at IS NOT NULL
				AND sh.status <> 'RETURNED_TO_SENDER' AND sh.last_event_at >= $3::timestamptz
				AND ` + servedByWebhooks
)

// sourceDegraded holds for sh when degradedSourceOf finds a source.
const sourceDegraded = `EXISTS (` + degradedSourceOf + `)`

// degradedMessage names the failing source, since when, and why.
func degradedMessage(what string) string {
	return `format('Tracking source %s is failing since %s (%s): ` + what + ` is not flagged until it recovers.',
		ds.source_name, to_char(ds.degraded_since AT TIME ZONE se.time_zone, 'YYYY-MM-DD HH24:MI'), ds.degraded_reason)`
}
