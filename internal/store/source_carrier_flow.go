package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/source"
)

// CarrierSource is a live webhook source the carrier check reads, with the
// carriers it holds for it.
type CarrierSource struct {
	SellerID string         `db:"seller_id"`
	SourceID string         `db:"source_id"`
	Provider string         `db:"provider"`
	Held     pq.StringArray `db:"held"`
}

// CarrierSources lists the live webhook sources, of every seller, that the
// carrier check reads: those that work (not degraded) and delivered after
// since, and those it holds a carrier of, to see whether it recovered.
// Like the sweep, it spans sellers; each source is then read and marked in
// its seller's scope.
func (s *Store) CarrierSources(ctx context.Context, since time.Time) ([]CarrierSource, error) {
	rows := []CarrierSource{}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT h.seller_id, h.source_id, ts.provider,
			ARRAY(SELECT c.carrier FROM source_carrier_health c
				WHERE c.seller_id = h.seller_id AND c.source_id = h.source_id ORDER BY c.carrier) AS held
		FROM source_health h
		JOIN tracking_sources ts ON ts.seller_id = h.seller_id AND ts.id = h.source_id AND ts.deleted_at IS NULL
		WHERE h.kind = 'WEBHOOK' AND ((h.degraded_since IS NULL AND h.last_success_at > $1)
			OR EXISTS (SELECT 1 FROM source_carrier_health c WHERE c.seller_id = h.seller_id AND c.source_id = h.source_id))
		ORDER BY h.seller_id, h.source_id`, since)
	if err != nil {
		return nil, fmt.Errorf("carrier sources: %w", mapErr(err))
	}
	return rows, nil
}

// CarrierHours is one carrier's deliveries through one source in each of
// a list of hours.
type CarrierHours struct {
	// Source indexes the sources CarrierDeliveries was given.
	Source  int
	Carrier string
	// Counts holds the deliveries in each hour, in the hours' order.
	Counts []int
}

// CarrierDeliveries returns, for each of the sources (seller's and
// source's ids, in pairs) and each carrier that delivered through it in
// any of hours, its deliveries in each of them, by source then carrier:
// one statement for a batch of sources, each read by the counts' primary
// key whatever the statistics say, one range of the source's hours for
// each run of consecutive hours in the list (the carrier check asks for
// two or one: the last day and the same day a week before, or the week).
func (s *Store) CarrierDeliveries(ctx context.Context, sellerIDs, sourceIDs []string, hours []time.Time) ([]CarrierHours, error) {
	// Runs of consecutive hours: [from, to), the first one's index.
	var from, to []time.Time
	var first []int
	for i, h := range hours {
		if n := len(to) - 1; n >= 0 && h.Equal(to[n]) {
			to[n] = h.Add(time.Hour)
			continue
		}
		from, to, first = append(from, h), append(to, h.Add(time.Hour)), append(first, i)
	}
	var rows []struct {
		N       int           `db:"n"`
		Carrier string        `db:"carrier"`
		At      pq.Int64Array `db:"at"`
		Count   pq.Int64Array `db:"deliveries"`
	}
	err := s.db.SelectContext(ctx, &rows, carrierDeliveriesSQL, pq.Array(sellerIDs), pq.Array(sourceIDs),
		pq.Array(from), pq.Array(to), pq.Array(first))
	if err != nil {
		return nil, fmt.Errorf("carrier deliveries: %w", mapErr(err))
	}
	res := make([]CarrierHours, len(rows))
	for i, r := range rows {
		res[i] = CarrierHours{Source: r.N - 1, Carrier: r.Carrier, Counts: make([]int, len(hours))}
		for j, at := range r.At {
			res[i].Counts[at] += int(r.Count[j])
		}
	}
	return res, nil
}

// carrierDeliveriesSQL reads each source's counts in the ranges of hours
// [$3, $4) by the primary key (source_id, hour, carrier): an equality on
// the source and a range of hours, one source and range at a time
// (LATERAL), each count placed at its hour's index in the caller's list
// ($5, the index of each range's first hour). Joined as a set, the
// planner, once the table was analysed, sometimes read every source's
// hours through the retention index instead (TestCarrierDeliveriesPlan).
// The counts are grouped by carrier within each source: grouped over the
// whole batch, a day of hours of a thousand sources was sorted at once,
// on disk past work_mem.
const carrierDeliveriesSQL = `
		SELECT w.n, d.carrier, d.at, d.deliveries
		FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS w (seller_id, source_id, n)
		CROSS JOIN LATERAL (
			SELECT c.carrier, array_agg(r.i + (extract(epoch FROM c.hour - r.f)::int / 3600)) AS at,
				array_agg(c.deliveries) AS deliveries
			FROM unnest($3::timestamptz[], $4::timestamptz[], $5::int[]) AS r (f, t, i)
			CROSS JOIN LATERAL (
				SELECT c.carrier, c.hour, c.deliveries FROM source_carrier_hours c
				WHERE c.source_id = w.source_id AND c.seller_id = w.seller_id AND c.hour >= r.f AND c.hour < r.t
				OFFSET 0) c
			GROUP BY c.carrier) d
		ORDER BY w.n, d.carrier`

// ShipmentsAwaitingCarrierScans counts, for each seller and carrier (in
// pairs), the seller's open shipments of that carrier (as the rules name
// it, flag.ShipmentCarrier) that should be receiving scans by webhook at
// now, up to limit of each kind, in one statement, in the pairs' order.
func (s *Store) ShipmentsAwaitingCarrierScans(ctx context.Context, sellerIDs, carriers []string, now time.Time, limit int) ([]int, error) {
	got := make([]int, 0, len(sellerIDs))
	err := s.db.SelectContext(ctx, &got, awaitingCarrierScansSQL, pq.Array(sellerIDs), now, now.Add(-source.SilenceScanWindow), limit, pq.Array(carriers))
	if err != nil {
		return nil, fmt.Errorf("shipments awaiting carrier scans: %w", mapErr(err))
	}
	return got, nil
}

// awaitingCarrierScansSQL is awaitingWebhookScansSQL for one carrier of
// each seller: each half reads its no-news rule's partial index, newest
// first, and stops at $4 shipments of the carrier.
const awaitingCarrierScansSQL = `
		SELECT (SELECT count(*) FROM (
			(SELECT 1 FROM shipments sh WHERE sh.seller_id = se.id AND ` + flag.AwaitingFirstScan + `
				AND ` + flag.ShipmentCarrier + ` = se.carrier
				ORDER BY sh.shipped_at DESC LIMIT $4)
			UNION ALL
			(SELECT 1 FROM shipments sh WHERE sh.seller_id = se.id AND ` + flag.AwaitingNextScan + `
				AND ` + flag.ShipmentCarrier + ` = se.carrier
				ORDER BY sh.last_event_at DESC LIMIT $4)) a)
		FROM unnest($1::uuid[], $5::text[]) WITH ORDINALITY AS se (id, carrier, n)
		ORDER BY se.n`

// MarkCarrierDegraded holds a carrier of a working webhook source whose
// flow failed since since; only RecoverCarrier ends it. It says whether
// the carrier was marked (not held already).
func (s *Store) MarkCarrierDegraded(ctx context.Context, sellerID, sourceID, carrier string, since, now time.Time, why string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		INSERT INTO source_carrier_health (seller_id, source_id, carrier, degraded_since, degraded_reason, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (source_id, carrier) DO NOTHING`, sellerID, sourceID, carrier, since, reason(why), now)
	if err != nil {
		return false, fmt.Errorf("mark carrier degraded: %w", mapErr(err))
	}
	return affectedOne(res, "mark carrier degraded")
}

// RecoverCarrier ends the carrier check's hold on a carrier of a source.
// It says whether the carrier was held.
func (s *Store) RecoverCarrier(ctx context.Context, sellerID, sourceID, carrier string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		DELETE FROM source_carrier_health WHERE seller_id = $1 AND source_id = $2 AND carrier = $3`,
		sellerID, sourceID, carrier)
	if err != nil {
		return false, fmt.Errorf("recover carrier: %w", mapErr(err))
	}
	return affectedOne(res, "recover carrier")
}
