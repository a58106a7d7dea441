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

const eventColumns = `id, seller_id, normalized_tracking_number, source, occurred_at, status, carrier,
	carrier_status, provider_status, provider_detail, description, city, region, postal_code, country,
	estimated_delivery_at, signed_by, photo_url, received_at`

// NewEvent is an event to store under a normalised number.
type NewEvent struct {
	Normalized string
	Event      shipment.Event
}

// InsertEvents stores events, skipping any whose fingerprint the seller
// already has (a resend or a retry), and returns the rows it inserted.
func (s *Store) InsertEvents(ctx context.Context, q sqlx.ExtContext, sellerID string, evs []NewEvent) ([]Event, error) {
	inserted := []Event{}
	if len(evs) == 0 {
		return inserted, nil
	}
	n := len(evs)
	var (
		norms, sources, statuses, carriers, cstatuses, pstatuses, pdetails = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		descs, cities, regions, postals, countries, signers, photos        = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		fps                                                                = make([][]byte, n)
		occurred                                                           = make([]time.Time, n)
		estimates                                                          = make([]*time.Time, n)
	)
	for i, ne := range evs {
		e := ne.Event
		fp := shipment.Fingerprint(sellerID, ne.Normalized, e)
		norms[i], fps[i], sources[i], occurred[i], statuses[i] = ne.Normalized, fp[:], string(e.Source), e.OccurredAt, string(e.Status)
		carriers[i], cstatuses[i], pstatuses[i], pdetails[i], descs[i] = e.Carrier, e.CarrierStatus, e.ProviderStatus, e.ProviderDetail, e.Description
		cities[i], regions[i], postals[i], countries[i] = e.Location.City, e.Location.Region, e.Location.PostalCode, e.Location.Country
		estimates[i], signers[i], photos[i] = e.EstimatedDeliveryAt, e.SignedBy, e.PhotoURL
	}
	err := sqlx.SelectContext(ctx, q, &inserted, `
		INSERT INTO tracking_events (seller_id, normalized_tracking_number, fingerprint, source, occurred_at, status,
			carrier, carrier_status, provider_status, provider_detail, description, city, region, postal_code, country,
			estimated_delivery_at, signed_by, photo_url)
		SELECT $1, * FROM unnest($2::text[], $3::bytea[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::text[],
			$9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::timestamptz[],
			$17::text[], $18::text[])
		ON CONFLICT ON CONSTRAINT tracking_events_once DO NOTHING
		RETURNING `+eventColumns,
		sellerID, pq.Array(norms), pq.Array(fps), pq.Array(sources), pq.Array(occurred), pq.Array(statuses),
		pq.Array(carriers), pq.Array(cstatuses), pq.Array(pstatuses), pq.Array(pdetails), pq.Array(descs),
		pq.Array(cities), pq.Array(regions), pq.Array(postals), pq.Array(countries), pq.Array(estimates),
		pq.Array(signers), pq.Array(photos))
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
