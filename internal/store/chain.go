package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/evidence"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// ChainRef names an evidence chain. Carrier events belong to a tracking
// number, so a parcel's chain is the seller's normalised number, shared by
// every shipment carrying it; a shipment without a number keeps its
// proofs in a chain of its own.
type ChainRef struct {
	// Number is the normalised tracking number, "" for a shipment's own chain.
	Number string
	// ShipmentID names the shipment whose own chain this is; set only when
	// Number is "".
	ShipmentID string
}

// ChainOf returns the chain holding a shipment's evidence: that of its
// current number, or its own while it has none.
func ChainOf(sh Shipment) ChainRef {
	if sh.NormalizedTrackingNumber != "" {
		return ChainRef{Number: sh.NormalizedTrackingNumber}
	}
	return ChainRef{ShipmentID: sh.ID}
}

// chainLink is a locked chain being appended to.
type chainLink struct {
	ID         int64  `db:"id"`
	Number     string `db:"normalized_tracking_number"`
	ShipmentID string `db:"shipment_id"`
	Records    int64  `db:"records"`
	Head       []byte `db:"head"`
	dirty      bool
}

// append assigns the next position of the chain to rec and returns it with
// rec's content and chain hashes.
func (c *chainLink) append(rec evidence.Record) (seq int64, content, chain [32]byte) {
	var prev [32]byte
	copy(prev[:], c.Head)
	content = evidence.ContentHash(rec)
	chain = evidence.LinkHash(prev, content)
	c.Records++
	c.Head = chain[:]
	c.dirty = true
	return c.Records, content, chain
}

// lockChains creates the seller's chains that do not exist yet and locks
// every one named until the transaction ends, so that two writers never
// link to the same predecessor. Chains are locked in id order, and created
// in key order, so concurrent writers cannot deadlock on them.
func lockChains(ctx context.Context, tx *sqlx.Tx, sellerID string, refs []ChainRef) (map[ChainRef]*chainLink, error) {
	seen := map[ChainRef]bool{}
	var numbers, shipments []string
	for _, r := range refs {
		if !seen[r] {
			seen[r] = true
			numbers, shipments = append(numbers, r.Number), append(shipments, r.ShipmentID)
		}
	}
	out, err := selectChains(ctx, tx, sellerID, numbers, shipments)
	if err != nil || len(out) == len(seen) {
		return out, err
	}
	// Some chains are new: create them (a concurrent creator makes this
	// wait, then do nothing) and lock them all again.
	_, err = tx.ExecContext(ctx, `
		INSERT INTO evidence_chains (seller_id, normalized_tracking_number, shipment_id)
		SELECT $1, n, nullif(s, '')::uuid FROM unnest($2::text[], $3::text[]) AS u(n, s) ORDER BY n, s
		ON CONFLICT DO NOTHING`, sellerID, pq.Array(numbers), pq.Array(shipments))
	if err != nil {
		return nil, fmt.Errorf("create evidence chains: %w", mapErr(err))
	}
	if out, err = selectChains(ctx, tx, sellerID, numbers, shipments); err != nil {
		return nil, err
	}
	if len(out) != len(seen) {
		return nil, fmt.Errorf("lock evidence chains: %d of %d found", len(out), len(seen))
	}
	return out, nil
}

func selectChains(ctx context.Context, tx *sqlx.Tx, sellerID string, numbers, shipments []string) (map[ChainRef]*chainLink, error) {
	var rows []*chainLink
	err := sqlx.SelectContext(ctx, tx, &rows, `
		SELECT id, normalized_tracking_number, coalesce(shipment_id::text, '') AS shipment_id, records, head
		FROM evidence_chains
		WHERE seller_id = $1 AND (normalized_tracking_number, coalesce(shipment_id::text, '')) IN (
			SELECT * FROM unnest($2::text[], $3::text[]))
		ORDER BY id FOR UPDATE`, sellerID, pq.Array(numbers), pq.Array(shipments))
	if err != nil {
		return nil, fmt.Errorf("lock evidence chains: %w", mapErr(err))
	}
	out := make(map[ChainRef]*chainLink, len(rows))
	for _, c := range rows {
		out[ChainRef{Number: c.Number, ShipmentID: c.ShipmentID}] = c
	}
	return out, nil
}

// saveChainsSQL moves the heads of the chains appended to ($25, $26 and
// $27: ids, lengths and heads), as the tail of the statement that inserts
// their records, so that records and head are written together.
const saveChainsSQL = `UPDATE evidence_chains c SET records = u.records, head = u.head, updated_at = now()
	FROM unnest($25::bigint[], $26::bigint[], $27::bytea[]) AS u(id, records, head)
	WHERE c.id = u.id`

// heads are the new lengths and heads of the chains appended to.
type heads struct {
	ids, records []int64
	heads        [][]byte
}

func chainHeads(chains map[ChainRef]*chainLink) heads {
	var h heads
	for _, c := range chains {
		if c.dirty {
			h.ids, h.records, h.heads = append(h.ids, c.ID), append(h.records, c.Records), append(h.heads, c.Head)
		}
	}
	return h
}

// saveChains writes the new length and head of the chains appended to.
func saveChains(ctx context.Context, tx *sqlx.Tx, chains map[ChainRef]*chainLink) error {
	h := chainHeads(chains)
	if len(h.ids) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `
		UPDATE evidence_chains c SET records = u.records, head = u.head, updated_at = now()
		FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS u(id, records, head)
		WHERE c.id = u.id`, pq.Array(h.ids), pq.Array(h.records), pq.ByteaArray(h.heads))
	if err != nil {
		return fmt.Errorf("save evidence chains: %w", mapErr(err))
	}
	return nil
}

// ChainEvent is a chained carrier event with its position and hashes.
type ChainEvent struct {
	Event
	Seq         int64  `db:"seq"`
	ContentHash []byte `db:"content_hash"`
	ChainHash   []byte `db:"chain_hash"`
}

// Chain is one evidence chain as stored: its head and its records.
type Chain struct {
	Ref ChainRef
	// ID is 0 when the chain does not exist yet (no evidence).
	ID int64 `db:"id"`
	// Records and Head are the chain's stored length and last chain hash.
	Records int64  `db:"records"`
	Head    []byte `db:"head"`
	Events  []ChainEvent
	Proofs  []Proof
}

// Stored returns the chain's records in chain order, as the evidence
// package verifies them.
func (c Chain) Stored() []evidence.StoredRecord {
	out := make([]evidence.StoredRecord, 0, len(c.Events)+len(c.Proofs))
	i, j := 0, 0
	for i < len(c.Events) || j < len(c.Proofs) {
		if j == len(c.Proofs) || (i < len(c.Events) && c.Events[i].Seq < c.Proofs[j].Seq) {
			e := c.Events[i]
			out = append(out, stored(EventRecord(e.Event), e.ContentHash, e.ChainHash))
			i++
			continue
		}
		p := c.Proofs[j]
		out = append(out, stored(p.Record(), p.ContentHash, p.ChainHash))
		j++
	}
	return out
}

// HeadOf returns what the store keeps of the chain beside its records.
func (c Chain) HeadOf() evidence.Head {
	h := evidence.Head{Records: int(c.Records)}
	copy(h.ChainHash[:], c.Head)
	return h
}

// Audit verifies the chain against its records, its head and its images.
func (c Chain) Audit() evidence.Verification {
	changed := map[string]bool{}
	for _, p := range c.Proofs {
		if p.PhotoChanged || p.SignatureChanged {
			changed[p.ID] = true
		}
	}
	return evidence.Audit(c.Stored(), c.HeadOf(), func(id string) bool { return changed[id] })
}

func stored(rec evidence.Record, content, chain []byte) evidence.StoredRecord {
	sr := evidence.StoredRecord{Record: rec}
	copy(sr.ContentHash[:], content)
	copy(sr.ChainHash[:], chain)
	return sr
}

const chainEventColumns = eventColumns + `, seq, content_hash, chain_hash`

// chainEventsSQL and chainProofsSQL read a chain's records in order, by
// (seller_id, chain_id, seq): the chain indexes of both tables.
const (
	chainEventsSQL = `SELECT ` + chainEventColumns + ` FROM tracking_events
		WHERE seller_id = $1 AND chain_id = $2 ORDER BY seq`
	chainProofsSQL = `SELECT ` + proofColumns + `,
			p.photo_sha256 <> coalesce(encode(sha256(ph.data), 'hex'), '') AS photo_changed,
			p.signature_sha256 <> coalesce(encode(sha256(sg.data), 'hex'), '') AS signature_changed
		` + proofFrom + ` WHERE p.seller_id = $1 AND p.chain_id = $2 ORDER BY p.seq`
)

// ReadChain reads one of the seller's evidence chains whole, with each
// proof's images checked against their digests (in SQL: no image bytes
// travel). q may be a snapshot transaction for a consistent read.
func (s *Store) ReadChain(ctx context.Context, q sqlx.QueryerContext, sellerID string, ref ChainRef) (Chain, error) {
	c := Chain{Ref: ref, Events: []ChainEvent{}, Proofs: []Proof{}}
	err := sqlx.GetContext(ctx, q, &c, `
		SELECT id, records, head FROM evidence_chains
		WHERE seller_id = $1 AND normalized_tracking_number = $2
			AND shipment_id IS NOT DISTINCT FROM nullif($3, '')::uuid`, sellerID, ref.Number, ref.ShipmentID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return Chain{}, fmt.Errorf("read evidence chain: %w", mapErr(err))
	}
	err = sqlx.SelectContext(ctx, q, &c.Events, chainEventsSQL, sellerID, c.ID)
	if err != nil {
		return Chain{}, fmt.Errorf("read evidence chain events: %w", mapErr(err))
	}
	err = sqlx.SelectContext(ctx, q, &c.Proofs, chainProofsSQL, sellerID, c.ID)
	if err != nil {
		return Chain{}, fmt.Errorf("read evidence chain proofs: %w", mapErr(err))
	}
	return c, nil
}

// InSnapshot runs fn in a read-only transaction that sees one snapshot of
// the database, so that what it reads in several queries is consistent.
func (s *Store) InSnapshot(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to keep
	return fn(tx)
}

// EventRecord returns a stored event as it is hashed into its chain.
func EventRecord(e Event) evidence.EventRecord {
	return evidence.EventRecord{
		ID:             strconv.FormatInt(e.ID, 10),
		OccurredAt:     e.OccurredAt,
		Status:         shipment.Status(e.Status),
		CarrierStatus:  e.CarrierStatus,
		ProviderStatus: e.ProviderStatus,
		ProviderDetail: e.ProviderDetail,
		Description:    e.Description,
		Location: shipment.Location{City: e.City, Region: e.Region,
			PostalCode: e.PostalCode, Country: e.Country},
		EstimatedDeliveryAt: e.EstimatedDeliveryAt,
		SignedBy:            e.SignedBy,
		PhotoURL:            e.PhotoURL,
		Source:              shipment.Source(e.Source),
		ReceivedAt:          e.ReceivedAt,
	}
}

// micro truncates t to PostgreSQL's precision, so that what is hashed
// before an insert is what is read back.
func micro(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

func microPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	m := micro(*t)
	return &m
}
