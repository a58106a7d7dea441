package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/checkpoint"
)

// Checkpoint is a stored checkpoint and the sum of its leaves' records.
type Checkpoint struct {
	checkpoint.Checkpoint
	TotalRecords int64
}

type checkpointRow struct {
	SellerID       string    `db:"seller_id"`
	Sequence       int64     `db:"sequence"`
	TreeSize       int64     `db:"tree_size"`
	TotalRecords   int64     `db:"total_records"`
	Root           []byte    `db:"root"`
	SignedAt       time.Time `db:"signed_at"`
	KeyFingerprint string    `db:"key_fingerprint"`
	Signature      []byte    `db:"signature"`
}

func (r checkpointRow) checkpoint() Checkpoint {
	c := Checkpoint{TotalRecords: r.TotalRecords, Checkpoint: checkpoint.Checkpoint{
		SellerID: r.SellerID, Sequence: r.Sequence, TreeSize: r.TreeSize, Time: r.SignedAt.UTC(),
		KeyFingerprint: r.KeyFingerprint, Signature: r.Signature}}
	copy(c.Root[:], r.Root)
	return c
}

const checkpointColumns = `seller_id, sequence, tree_size, total_records, root, signed_at, key_fingerprint, signature`

// CheckpointCandidates returns the sellers that may need a checkpoint:
// those whose chains' count or total of records differs from their latest
// checkpoint's (records only grow, so an append always shows; a purge
// changes the count), and those whose latest checkpoint another key
// signed. It reads each seller's latest checkpoint by key and aggregates
// evidence_chains once.
func (s *Store) CheckpointCandidates(ctx context.Context, keyFingerprint string) ([]string, error) {
	var ids []string
	err := s.db.SelectContext(ctx, &ids, `
		WITH cur AS (
			SELECT seller_id, count(*) AS chains, sum(records) AS records
			FROM evidence_chains GROUP BY seller_id)
		SELECT s.id FROM sellers s
		LEFT JOIN cur ON cur.seller_id = s.id
		LEFT JOIN LATERAL (
			SELECT tree_size, total_records, key_fingerprint FROM evidence_checkpoints c
			WHERE c.seller_id = s.id ORDER BY sequence DESC LIMIT 1) last ON true
		WHERE coalesce(cur.chains, 0) <> coalesce(last.tree_size, 0)
			OR coalesce(cur.records, 0) <> coalesce(last.total_records, 0)
			OR last.key_fingerprint <> $1
		ORDER BY s.id`, keyFingerprint)
	if err != nil {
		return nil, fmt.Errorf("checkpoint candidates: %w", mapErr(err))
	}
	return ids, nil
}

// LockCheckpoints takes the seller's checkpoint lock until tx ends, so
// that two replicas never build the seller's next checkpoint at once.
func (s *Store) LockCheckpoints(ctx context.Context, tx *sqlx.Tx, sellerID string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('shipwatch.checkpoint'), hashtext($1))`, sellerID); err != nil {
		return fmt.Errorf("lock checkpoints: %w", mapErr(err))
	}
	return nil
}

// LatestCheckpoint returns the seller's latest checkpoint, ErrNotFound
// when there is none.
func (s *Store) LatestCheckpoint(ctx context.Context, q sqlx.QueryerContext, sellerID string) (Checkpoint, error) {
	var r checkpointRow
	err := sqlx.GetContext(ctx, q, &r, `SELECT `+checkpointColumns+` FROM evidence_checkpoints
		WHERE seller_id = $1 ORDER BY sequence DESC LIMIT 1`, sellerID)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("latest checkpoint: %w", mapErr(err))
	}
	return r.checkpoint(), nil
}

type leafRow struct {
	ChainID    int64  `db:"chain_id"`
	Number     string `db:"normalized_tracking_number"`
	ShipmentID string `db:"shipment_id"`
	Records    int64  `db:"records"`
	Head       []byte `db:"head"`
}

func (r leafRow) leaf() checkpoint.Leaf {
	l := checkpoint.Leaf{ChainID: r.ChainID, Number: r.Number, ShipmentID: r.ShipmentID, Records: r.Records}
	copy(l.Head[:], r.Head)
	return l
}

func leaves(rows []leafRow) []checkpoint.Leaf {
	out := make([]checkpoint.Leaf, len(rows))
	for i, r := range rows {
		out[i] = r.leaf()
	}
	return out
}

// CurrentLeaves returns the seller's chains as they stand, as leaves in
// tree order (by chain id).
func (s *Store) CurrentLeaves(ctx context.Context, q sqlx.QueryerContext, sellerID string) ([]checkpoint.Leaf, error) {
	var rows []leafRow
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT id AS chain_id, normalized_tracking_number, coalesce(shipment_id::text, '') AS shipment_id, records, head
		FROM evidence_chains WHERE seller_id = $1 ORDER BY id`, sellerID)
	if err != nil {
		return nil, fmt.Errorf("current leaves: %w", mapErr(err))
	}
	return leaves(rows), nil
}

// CheckpointLeaves returns the leaves of the seller's checkpoint sequence,
// in tree order: each chain's latest stored leaf up to it, unless that
// leaf says the chain was removed.
func (s *Store) CheckpointLeaves(ctx context.Context, q sqlx.QueryerContext, sellerID string, sequence int64) ([]checkpoint.Leaf, error) {
	var rows []leafRow
	err := sqlx.SelectContext(ctx, q, &rows, `
		SELECT chain_id, normalized_tracking_number, shipment_id, records, head FROM (
			SELECT DISTINCT ON (chain_id) chain_id, normalized_tracking_number,
				coalesce(shipment_id::text, '') AS shipment_id, records, head, removed
			FROM evidence_checkpoint_leaves
			WHERE seller_id = $1 AND sequence <= $2
			ORDER BY chain_id, sequence DESC) l
		WHERE NOT removed ORDER BY chain_id`, sellerID, sequence)
	if err != nil {
		return nil, fmt.Errorf("checkpoint leaves: %w", mapErr(err))
	}
	return leaves(rows), nil
}

// chainHashesSQL is the statement of ChainHashesAt.
const chainHashesSQL = `
		SELECT e.chain_id, e.chain_hash FROM unnest($2::bigint[], $3::bigint[]) AS u(chain_id, seq)
			JOIN tracking_events e ON e.seller_id = $1 AND e.chain_id = u.chain_id AND e.seq = u.seq
		UNION ALL
		SELECT p.chain_id, p.chain_hash FROM unnest($2::bigint[], $3::bigint[]) AS u(chain_id, seq)
			JOIN proof_of_delivery p ON p.seller_id = $1 AND p.chain_id = u.chain_id AND p.seq = u.seq`

// ChainHashesAt returns, for each chain id, the chain hash of its record
// at the position given at the same index (missing when the chain has no
// record there). Both record tables are read by (seller_id, chain_id, seq).
func (s *Store) ChainHashesAt(ctx context.Context, q sqlx.QueryerContext, sellerID string, chainIDs, seqs []int64) (map[int64]checkpoint.Hash, error) {
	var rows []struct {
		ChainID   int64  `db:"chain_id"`
		ChainHash []byte `db:"chain_hash"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, chainHashesSQL, sellerID, pq.Array(chainIDs), pq.Array(seqs))
	if err != nil {
		return nil, fmt.Errorf("chain hashes: %w", mapErr(err))
	}
	out := make(map[int64]checkpoint.Hash, len(rows))
	for _, r := range rows {
		var h checkpoint.Hash
		copy(h[:], r.ChainHash)
		out[r.ChainID] = h
	}
	return out, nil
}

// LeafChange is a leaf stored with a new checkpoint: a chain's new state,
// or its removal.
type LeafChange struct {
	checkpoint.Leaf
	Removed bool
}

// InsertCheckpoint stores a signed checkpoint and the leaves that changed
// since the seller's previous one, in one statement each.
func (s *Store) InsertCheckpoint(ctx context.Context, tx *sqlx.Tx, c Checkpoint, changes []LeafChange) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO evidence_checkpoints (`+checkpointColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.SellerID, c.Sequence, c.TreeSize, c.TotalRecords, c.Root[:],
		c.Time, c.KeyFingerprint, c.Signature)
	if err != nil {
		return fmt.Errorf("insert checkpoint: %w", mapErr(err))
	}
	if len(changes) == 0 {
		return nil
	}
	n := len(changes)
	ids, records, numbers, shipments := make([]int64, n), make([]int64, n), make([]string, n), make([]string, n)
	heads, removed := make([][]byte, n), make([]bool, n)
	for i, l := range changes {
		ids[i], records[i], numbers[i], shipments[i] = l.ChainID, l.Records, l.Number, l.ShipmentID
		heads[i], removed[i] = append([]byte(nil), l.Head[:]...), l.Removed
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO evidence_checkpoint_leaves
			(seller_id, sequence, chain_id, normalized_tracking_number, shipment_id, records, head, removed)
		SELECT $1, $2, u.id, u.n, nullif(u.s, '')::uuid, u.r, u.h, u.rm
		FROM unnest($3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::bytea[], $8::boolean[]) AS u(id, n, s, r, h, rm)`,
		c.SellerID, c.Sequence, pq.Array(ids), pq.Array(numbers), pq.Array(shipments), pq.Array(records),
		pq.ByteaArray(heads), pq.Array(removed))
	if err != nil {
		return fmt.Errorf("insert checkpoint leaves: %w", mapErr(err))
	}
	return nil
}
