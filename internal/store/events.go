package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// Event is a tracking_events row: one carrier event for one normalised
// tracking number of one seller.
type Event struct {
	ID                       int64      `db:"id"`
	SellerID                 string     `db:"seller_id"`
	NormalizedTrackingNumber string     `db:"normalized_tracking_number"`
	Source                   string     `db:"source"`
	OccurredAt               time.Time  `db:"occurred_at"`
	OccurredLocal            string     `db:"occurred_local"`
	Status                   string     `db:"status"`
	Carrier                  string     `db:"carrier"`
	CarrierStatus            string     `db:"carrier_status"`
	ProviderStatus           string     `db:"provider_status"`
	ProviderDetail           string     `db:"provider_detail"`
	Description              string     `db:"description"`
	City                     string     `db:"city"`
	Region                   string     `db:"region"`
	PostalCode               string     `db:"postal_code"`
	Country                  string     `db:"country"`
	EstimatedDeliveryAt      *time.Time `db:"estimated_delivery_at"`
	SignedBy                 string     `db:"signed_by"`
	PhotoURL                 string     `db:"photo_url"`
	ReceivedAt               time.Time  `db:"received_at"`
}

const eventColumns = `id, seller_id, normalized_tracking_number, source, occurred_at, occurred_local, status, carrier,
	carrier_status, provider_status, provider_detail, description, city, region, postal_code, country,
	estimated_delivery_at, signed_by, photo_url, received_at`

// NewEvent is an event to store under a normalised number.
type NewEvent struct {
	Normalized string
	Event      shipment.Event
}

// InsertEvents stores events, skipping any whose fingerprint the seller
// already has (a resend or a retry), and returns the rows it inserted.
// Each new event is appended to its number's evidence chain with its
// content and chain hashes (docs/evidence.md), under a lock on the chain
// held until tx ends: the duplicate check and the hashes hold because
// every insert for a number takes that lock.
func (s *Store) InsertEvents(ctx context.Context, tx *sqlx.Tx, sellerID string, evs []NewEvent) ([]Event, error) {
	inserted := []Event{}
	if len(evs) == 0 {
		return inserted, nil
	}
	fps := make([][]byte, len(evs))
	refs := make([]ChainRef, len(evs))
	for i, ne := range evs {
		fp := shipment.Fingerprint(sellerID, ne.Normalized, ne.Event)
		fps[i], refs[i] = fp[:], ChainRef{Number: ne.Normalized}
	}
	chains, err := lockChains(ctx, tx, sellerID, refs)
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", err)
	}
	// One round trip tells the fingerprints already stored and draws ids
	// for the others (ids are hashed, so they are drawn before the insert;
	// a fingerprint repeated within the batch wastes one, harmlessly).
	var known struct {
		Fingerprints pq.ByteaArray `db:"fingerprints"`
		IDs          pq.Int64Array `db:"ids"`
		Now          time.Time     `db:"now"`
	}
	err = tx.GetContext(ctx, &known, `
		WITH f AS (
			SELECT fp, EXISTS (SELECT 1 FROM tracking_events t WHERE t.seller_id = $1 AND t.fingerprint = fp) AS known
			FROM unnest($2::bytea[]) AS fp
		)
		SELECT coalesce(array_agg(fp) FILTER (WHERE known), '{}') AS fingerprints,
			coalesce(array_agg(nextval(pg_get_serial_sequence('tracking_events', 'id'))) FILTER (WHERE NOT known), '{}') AS ids,
			now() AS now
		FROM f`, sellerID, pq.ByteaArray(fps))
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", mapErr(err))
	}
	seen := map[string]bool{}
	for _, fp := range known.Fingerprints {
		seen[string(fp)] = true
	}
	fresh := make([]int, 0, len(evs))
	for i := range evs {
		if !seen[string(fps[i])] {
			seen[string(fps[i])] = true
			fresh = append(fresh, i)
		}
	}
	if len(fresh) == 0 {
		return inserted, nil
	}
	ids := known.IDs
	if len(ids) < len(fresh) {
		return nil, fmt.Errorf("insert events: %d ids drawn for %d events", len(ids), len(fresh))
	}
	n := len(fresh)
	var (
		norms, sources, statuses, carriers, cstatuses, pstatuses, pdetails = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		descs, cities, regions, postals, countries, signers, photos        = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		fpArr, contents, links                                             = make([][]byte, n), make([][]byte, n), make([][]byte, n)
		occurred                                                           = make([]time.Time, n)
		locals                                                             = make([]string, n)
		estimates                                                          = make([]*time.Time, n)
		chainIDs, seqs                                                     = make([]int64, n), make([]int64, n)
	)
	received := micro(known.Now)
	for k, i := range fresh {
		ne, e := evs[i], evs[i].Event
		row := Event{
			ID: ids[k], SellerID: sellerID, NormalizedTrackingNumber: ne.Normalized, Source: string(e.Source),
			OccurredAt: micro(e.OccurredAt), OccurredLocal: e.OccurredLocal, Status: string(e.Status), Carrier: e.Carrier,
			CarrierStatus: e.CarrierStatus, ProviderStatus: e.ProviderStatus, ProviderDetail: e.ProviderDetail,
			Description: e.Description, City: e.Location.City, Region: e.Location.Region,
			PostalCode: e.Location.PostalCode, Country: e.Location.Country,
			EstimatedDeliveryAt: microPtr(e.EstimatedDeliveryAt), SignedBy: e.SignedBy, PhotoURL: e.PhotoURL,
			ReceivedAt: received,
		}
		chain := chains[refs[i]]
		seq, content, link := chain.append(EventRecord(row))
		inserted = append(inserted, row)
		norms[k], fpArr[k], sources[k], occurred[k], statuses[k] = row.NormalizedTrackingNumber, fps[i], row.Source, row.OccurredAt, row.Status
		carriers[k], cstatuses[k], pstatuses[k], pdetails[k], descs[k] = row.Carrier, row.CarrierStatus, row.ProviderStatus, row.ProviderDetail, row.Description
		cities[k], regions[k], postals[k], countries[k] = row.City, row.Region, row.PostalCode, row.Country
		estimates[k], signers[k], photos[k] = row.EstimatedDeliveryAt, row.SignedBy, row.PhotoURL
		chainIDs[k], seqs[k], contents[k], links[k] = chain.ID, seq, content[:], link[:]
		locals[k] = row.OccurredLocal
	}
	hd := chainHeads(chains)
	_, err = tx.ExecContext(ctx, `
		WITH inserted AS (
			INSERT INTO tracking_events (seller_id, received_at, id, normalized_tracking_number, fingerprint, source, occurred_at,
				status, carrier, carrier_status, provider_status, provider_detail, description, city, region, postal_code,
				country, estimated_delivery_at, signed_by, photo_url, chain_id, seq, content_hash, chain_hash, occurred_local)
			OVERRIDING SYSTEM VALUE
			SELECT $1, $2, * FROM unnest($3::bigint[], $4::text[], $5::bytea[], $6::text[], $7::timestamptz[], $8::text[],
				$9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
				$17::text[], $18::timestamptz[], $19::text[], $20::text[], $21::bigint[], $22::bigint[], $23::bytea[], $24::bytea[],
				$28::text[])
		)
		`+saveChainsSQL,
		sellerID, received, pq.Array([]int64(ids[:n])), pq.Array(norms), pq.ByteaArray(fpArr), pq.Array(sources),
		pq.Array(occurred), pq.Array(statuses), pq.Array(carriers), pq.Array(cstatuses), pq.Array(pstatuses),
		pq.Array(pdetails), pq.Array(descs), pq.Array(cities), pq.Array(regions), pq.Array(postals),
		pq.Array(countries), pq.Array(estimates), pq.Array(signers), pq.Array(photos), pq.Array(chainIDs),
		pq.Array(seqs), pq.ByteaArray(contents), pq.ByteaArray(links),
		pq.Array(hd.ids), pq.Array(hd.records), pq.ByteaArray(hd.heads), pq.Array(locals))
	if err != nil {
		return nil, fmt.Errorf("insert events: %w", mapErr(err))
	}
	return inserted, nil
}

// Events lists the timeline of a seller's normalised number, oldest first.
func (s *Store) Events(ctx context.Context, sellerID, normalized string, limit int, after Cursor) (Page[Event], error) {
	at, aid := after.after()
	rows := []Event{}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+eventColumns+` FROM tracking_events
		WHERE seller_id = $1 AND normalized_tracking_number = $2
			AND ($3::timestamptz IS NULL OR (occurred_at, id) > ($3, $4::bigint))
		ORDER BY occurred_at, id LIMIT $5`, sellerID, normalized, at, aid, limit+1)
	if err != nil {
		return Page[Event]{}, fmt.Errorf("events: %w", mapErr(err))
	}
	return pageOf(rows, limit, eventCursor), nil
}

func eventCursor(e Event) Cursor {
	return Cursor{Time: e.OccurredAt, ID: strconv.FormatInt(e.ID, 10)}
}
