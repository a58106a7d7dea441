package flag

import (
	"strings"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// disputeLabel names a dispute in flag messages: its kind as
// shipment.DisputeKind.Label words it and, when the seller gave one, the
// marketplace's reference ("A-to-z claim AZ-114"). The CASE is built from
// the kinds' labels, so the SQL and the Go wording cannot drift apart.
var disputeLabel = func() string {
	var b strings.Builder
	b.WriteString("CASE d.kind")
	for _, k := range []shipment.DisputeKind{shipment.DisputeNotReceived, shipment.DisputeAToZClaim,
		shipment.DisputeChargeback, shipment.DisputeDamaged} {
		// Kinds and labels are constants without quotes.
		b.WriteString(" WHEN '" + string(k) + "' THEN '" + k.Label() + "'")
	}
	b.WriteString(" ELSE '" + shipment.DisputeOther.Label() + "' END")
	b.WriteString("\n\t|| CASE WHEN d.external_reference <> '' THEN ' ' || d.external_reference ELSE '' END")
	return b.String()
}()

// disputeRules are the monitoring rules of disputes, both time-based:
//
//   - DISPUTE_DUE_SOON: an open dispute must be answered within 24 hours
//     of the sweep (or already should have been) and no evidence pack has
//     been generated for it.
//   - PROOF_MISSING: a delivered shipment has an open dispute and its
//     evidence chain holds no proof of delivery.
//
// Each returns one row per shipment: with several disputes, the one due
// first (or opened first) words the message. A dispute's shipment is read
// by primary key (OFFSET 0 keeps the seller's condition out of the
// lookup): joined on (seller, id), stale statistics that make the seller
// look empty had the planner read the seller's range of another index for
// each dispute.
var disputeRules = []Rule{
	{
		Kind: DisputeDueSoon, Severity: Critical, TimeBased: true,
		Custom: `
			SELECT DISTINCT ON (d.shipment_id) d.shipment_id,
				` + disputeLabel + `
				|| CASE WHEN d.respond_by < $2 THEN ' was due ' ELSE ' must be answered by ' END
				|| to_char(d.respond_by AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')
				|| ' UTC and no evidence pack has been generated' AS message
			FROM disputes d
			WHERE d.status = 'OPEN' AND d.packs_generated = 0
				AND d.respond_by <= $2::timestamptz + interval '24 hours'
				AND ($1::uuid IS NULL OR d.seller_id = $1)
				AND ($3::uuid[] IS NULL OR d.shipment_id = ANY($3))
			ORDER BY d.shipment_id, d.respond_by, d.id`,
	},
	{
		Kind: ProofMissing, Severity: Warning, TimeBased: true,
		Custom: `
			SELECT DISTINCT ON (sh.id) sh.id AS shipment_id,
				'Delivered ' || to_char(sh.delivered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')
				|| ' UTC and disputed (' || ` + disputeLabel + `
				|| ') but no proof of delivery is on file' AS message
			FROM disputes d
			CROSS JOIN LATERAL (SELECT * FROM shipments WHERE id = d.shipment_id OFFSET 0) sh
			WHERE sh.seller_id = d.seller_id AND d.status = 'OPEN' AND sh.delivered_at IS NOT NULL AND sh.delivered_at <= $2
				AND ($1::uuid IS NULL OR d.seller_id = $1)
				AND ($3::uuid[] IS NULL OR d.shipment_id = ANY($3))
				AND NOT EXISTS (
					SELECT 1 FROM evidence_chains c JOIN proof_of_delivery p ON p.seller_id = c.seller_id AND p.chain_id = c.id
					WHERE c.seller_id = sh.seller_id
						AND ((sh.normalized_tracking_number <> '' AND c.shipment_id IS NULL
								AND c.normalized_tracking_number = sh.normalized_tracking_number)
							OR (sh.normalized_tracking_number = '' AND c.shipment_id = sh.id)))
			ORDER BY sh.id, d.opened_at, d.id`,
	},
}
