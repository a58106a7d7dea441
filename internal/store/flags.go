package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/flag"
)

// flagColumns reads an account flag's missing shipment as "" and a
// shipment flag's missing subject as "".
const flagColumns = `id, seller_id, coalesce(shipment_id::text, '') AS shipment_id, coalesce(subject, '') AS subject, kind, severity, message, raised_at, acknowledged_at,
	resolved_at, coalesce(resolution, '') AS resolution, resolution_note`

// RuleChanges is what one rule changed on some shipments.
type RuleChanges struct {
	Resolved, Raised []flag.Flag
}

// ApplyRule runs the rule on the seller's shipments with these ids, whose
// row locks q holds, at time at, in one statement: it resolves (AUTO) their
// open flags of the rule's kind whose condition no longer holds, lifting
// the suppression of flags resolved by hand whose condition stopped holding
// (so a new occurrence is raised again), and raises the flag on those that
// meet the condition and have no open flag of the kind (nor one resolved by
// hand while the condition still holds). Each shipment is read by key, and
// the condition is evaluated once for both: the shipments resolved are
// those not meeting it, the ones raised those meeting it, so the two
// writes never touch the same shipment. Two runs racing raise each flag
// once: the open-flag unique index decides.
func (s *Store) ApplyRule(ctx context.Context, q sqlx.QueryerContext, r flag.Rule, sellerID string, at time.Time, ids []string) (RuleChanges, error) {
	if len(ids) == 0 {
		return RuleChanges{Resolved: []flag.Flag{}, Raised: []flag.Flag{}}, nil
	}
	// At most a row per shipment: room for all of them up front, as a
	// first sweep raises a flag on nearly every shipment it is given
	// (growing the slices row by row copied them over and over).
	rows := make([]struct {
		Raised bool `db:"raised"`
		flag.Flag
	}, 0, len(ids))
	err := sqlx.SelectContext(ctx, q, &rows, applyRuleSQL(r), sellerID, at, pq.Array(ids), r.Kind, r.Severity)
	if err != nil {
		return RuleChanges{}, fmt.Errorf("apply %s: %w", r.Kind, mapErr(err))
	}
	out := RuleChanges{Resolved: []flag.Flag{}, Raised: make([]flag.Flag, 0, len(rows))}
	for _, row := range rows {
		if row.Raised {
			out.Raised = append(out.Raised, row.Flag)
		} else {
			out.Resolved = append(out.Resolved, row.Flag)
		}
	}
	return out, nil
}

// kindNotIndexed compares a flag's kind with $4 in a form no index
// matches, so a lookup of one shipment's flags of a kind reads that
// shipment's few flags (flags_shipment_idx) and never all the open flags of
// the kind (flags_open_kind_idx), which the planner picks when stale
// statistics make the kind look rare: a quadratic import.
const kindNotIndexed = `(kind || '') = $4`

// flagOfKind is a subquery for NOT EXISTS: the shipment's open (or
// suppressing) flag of kind $4. It reads the shipment's flags by
// shipment_id alone (OFFSET 0 keeps the other conditions out of the scan),
// so the planner cannot combine it with a bitmap of every open flag.
func flagOfKind(shipment string) string {
	return `SELECT 1 FROM (SELECT kind, resolved_at, suppressing FROM flags WHERE shipment_id = ` + shipment + ` OFFSET 0) f
		WHERE f.kind = $4 AND (f.resolved_at IS NULL OR f.suppressing)`
}

// applyRuleSQL is ApplyRule's statement for a rule: $1 the seller, $2 the
// time, $3 the shipments, $4 the kind, $5 its severity.
func applyRuleSQL(r flag.Rule) string {
	return `
		WITH c AS MATERIALIZED (` + r.Candidates(true) + `
		), target AS (` + resolveTarget + `
		), resolved AS (
			UPDATE flags f SET suppressing = false,
				resolved_at = coalesce(f.resolved_at, greatest($2::timestamptz, f.raised_at)),
				resolution = coalesce(f.resolution, 'AUTO')
			FROM target t WHERE f.id = t.id
			RETURNING f.*, t.was_open
		), raised AS (
			INSERT INTO flags (seller_id, shipment_id, kind, severity, message, raised_at)
			SELECT $1::uuid, c.shipment_id, $4, $5, c.message, $2::timestamptz
			FROM c
			WHERE NOT EXISTS (` + flagOfKind("c.shipment_id") + `)
			ON CONFLICT (shipment_id, kind) WHERE resolved_at IS NULL DO NOTHING
			RETURNING *
		)
		SELECT false AS raised, ` + flagColumns + ` FROM resolved WHERE was_open
		UNION ALL
		SELECT true, ` + flagColumns + ` FROM raised`
}

// resolveTarget selects and locks the flags ApplyRule may resolve: the
// open (or suppressing) flags of kind $4 of shipments $3 that are not in
// c. Each shipment's flags are read by shipment id, so the cost follows
// the shipments given, not the seller's open flags of the kind (which an
// import's checks would otherwise read again for every batch). NOT IN over
// c is a hashed subplan whatever c's size.
const resolveTarget = `
			SELECT f.id, f.resolved_at IS NULL AS was_open
			FROM (SELECT DISTINCT id FROM unnest($3::uuid[]) AS k(id) ORDER BY id) k
			CROSS JOIN LATERAL (
				SELECT * FROM flags WHERE shipment_id = k.id AND ` + kindNotIndexed + ` AND (resolved_at IS NULL OR suppressing)
				FOR UPDATE OFFSET 0) f
			WHERE f.seller_id = $1::uuid AND f.shipment_id NOT IN (SELECT shipment_id FROM c)`

// WrittenShipments returns the ids of the seller's shipments carrying
// one of the numbers: those a write touched, and the others with the same
// number, whose DUPLICATE_TRACKING flag a write can change.
func (s *Store) WrittenShipments(ctx context.Context, q sqlx.QueryerContext, sellerID string, numbers []string) ([]string, error) {
	ids := []string{}
	if len(numbers) == 0 {
		return ids, nil
	}
	err := sqlx.SelectContext(ctx, q, &ids, writtenShipmentsSQL, sellerID, pq.Array(numbers))
	if err != nil {
		return nil, fmt.Errorf("written shipments: %w", mapErr(err))
	}
	return ids, nil
}

// writtenShipmentsSQL reads each number's shipments by key (byNumber).
var writtenShipmentsSQL = `
	WITH seller AS MATERIALIZED (SELECT id FROM sellers WHERE id = $1)
	SELECT o.id FROM seller, (SELECT DISTINCT n FROM unnest($2::text[]) AS n) k
	CROSS JOIN LATERAL (` + byNumber("seller.id", "k.n") + `) o`

// FlagFilter narrows a flag list; zero fields do not filter.
type FlagFilter struct {
	Kinds []flag.Kind
	// Open is true for open flags only, false for resolved ones only.
	Open        *bool
	ShipmentID  string
	RaisedAfter *time.Time
}

func (f FlagFilter) params(sellerID string) []any {
	var kinds, shipment any
	if len(f.Kinds) > 0 {
		names := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			names[i] = string(k)
		}
		kinds = pq.Array(names)
	}
	if f.ShipmentID != "" {
		shipment = f.ShipmentID
	}
	return []any{sellerID, kinds, f.Open, shipment, f.RaisedAfter}
}

const flagFilterSQL = `seller_id = $1
	AND ($2::text[] IS NULL OR kind = ANY($2))
	AND ($3::boolean IS NULL OR (resolved_at IS NULL) = $3)
	AND ($4::uuid IS NULL OR shipment_id = $4)
	AND ($5::timestamptz IS NULL OR raised_at > $5)`

// Flags lists the seller's flags, newest first, limit at a time after a
// cursor.
func (s *Store) Flags(ctx context.Context, sellerID string, f FlagFilter, limit int, after Cursor) (Page[flag.Flag], error) {
	at, aid := after.after()
	rows := []flag.Flag{}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+flagColumns+` FROM flags WHERE `+flagFilterSQL+`
		AND ($6::timestamptz IS NULL OR (raised_at, id) < ($6, $7::uuid))
		ORDER BY raised_at DESC, id DESC LIMIT $8`, append(f.params(sellerID), at, aid, limit+1)...)
	if err != nil {
		return Page[flag.Flag]{}, fmt.Errorf("flags: %w", mapErr(err))
	}
	return pageOf(rows, limit, flagCursor), nil
}

func flagCursor(f flag.Flag) Cursor { return Cursor{Time: f.RaisedAt, ID: f.ID} }

// CountFlags counts the seller's flags matching a filter.
func (s *Store) CountFlags(ctx context.Context, sellerID string, f FlagFilter) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM flags WHERE `+flagFilterSQL, f.params(sellerID)...); err != nil {
		return 0, fmt.Errorf("count flags: %w", mapErr(err))
	}
	return n, nil
}

// ShipmentFlags returns, for each of the seller's shipments given, its
// newest flags (at most limit each; open only when open is true), in one
// query: the dataloader of Shipment.flags batches through it.
func (s *Store) ShipmentFlags(ctx context.Context, sellerID string, shipmentIDs []string, open *bool, limit int) (map[string][]flag.Flag, error) {
	rows := []flag.Flag{}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT `+flagColumns+` FROM unnest($2::uuid[]) AS k(sid)
		CROSS JOIN LATERAL (
			SELECT * FROM flags f
			WHERE f.seller_id = $1 AND f.shipment_id = k.sid
				AND ($3::boolean IS NULL OR (f.resolved_at IS NULL) = $3)
			ORDER BY f.raised_at DESC, f.id DESC LIMIT $4
		) f
		ORDER BY f.shipment_id, f.raised_at DESC, f.id DESC`, sellerID, pq.Array(shipmentIDs), open, limit)
	if err != nil {
		return nil, fmt.Errorf("shipment flags: %w", mapErr(err))
	}
	out := make(map[string][]flag.Flag, len(shipmentIDs))
	for _, f := range rows {
		out[f.ShipmentID] = append(out[f.ShipmentID], f)
	}
	return out, nil
}

// FlagsByID returns the seller's flags with the given ids, in no
// particular order; unknown ids and other sellers' flags are left out.
func (s *Store) FlagsByID(ctx context.Context, sellerID string, ids []string) ([]flag.Flag, error) {
	out := []flag.Flag{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+flagColumns+` FROM flags WHERE seller_id = $1 AND id = ANY($2::uuid[])`,
		sellerID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("flags by id: %w", mapErr(err))
	}
	return out, nil
}

// flag.Flag returns one of the seller's flags.
func (s *Store) Flag(ctx context.Context, sellerID, id string) (flag.Flag, error) {
	var f flag.Flag
	err := s.db.GetContext(ctx, &f, `SELECT `+flagColumns+` FROM flags WHERE seller_id = $1 AND id = $2`, sellerID, id)
	if err != nil {
		return flag.Flag{}, fmt.Errorf("flag: %w", mapErr(err))
	}
	return f, nil
}

// AcknowledgeFlag marks a flag seen; acknowledging twice keeps the first
// time. changed is false when the flag was already acknowledged: it is
// returned as it was.
func (s *Store) AcknowledgeFlag(ctx context.Context, q sqlx.ExtContext, sellerID, id string) (f flag.Flag, changed bool, err error) {
	err = sqlx.GetContext(ctx, q, &f, `
		UPDATE flags SET acknowledged_at = now()
		WHERE seller_id = $1 AND id = $2 AND acknowledged_at IS NULL
		RETURNING `+flagColumns, sellerID, id)
	if err == nil {
		return f, true, nil
	}
	if !errors.Is(mapErr(err), ErrNotFound) {
		return flag.Flag{}, false, fmt.Errorf("acknowledge flag: %w", mapErr(err))
	}
	if err := sqlx.GetContext(ctx, q, &f, `SELECT `+flagColumns+` FROM flags WHERE seller_id = $1 AND id = $2`, sellerID, id); err != nil {
		return flag.Flag{}, false, fmt.Errorf("acknowledge flag: %w", mapErr(err))
	}
	return f, false, nil
}

// ResolveFlag resolves an open flag by hand with a note. changed is false
// when the flag was already resolved: it is returned as it was.
func (s *Store) ResolveFlag(ctx context.Context, q sqlx.ExtContext, sellerID, id, note string) (f flag.Flag, changed bool, err error) {
	err = sqlx.GetContext(ctx, q, &f, `
		UPDATE flags SET resolved_at = now(), resolution = 'MANUAL', resolution_note = $3, suppressing = true
		WHERE seller_id = $1 AND id = $2 AND resolved_at IS NULL
		RETURNING `+flagColumns, sellerID, id, note)
	if err == nil {
		return f, true, nil
	}
	if !errors.Is(mapErr(err), ErrNotFound) {
		return flag.Flag{}, false, fmt.Errorf("resolve flag: %w", mapErr(err))
	}
	if err := sqlx.GetContext(ctx, q, &f, `SELECT `+flagColumns+` FROM flags WHERE seller_id = $1 AND id = $2`, sellerID, id); err != nil {
		return flag.Flag{}, false, fmt.Errorf("resolve flag: %w", mapErr(err))
	}
	return f, false, nil
}

// OpenFlagCounts returns the open flags by kind across sellers, for metrics.
func (s *Store) OpenFlagCounts(ctx context.Context) (map[string]int, error) {
	rows := []struct {
		Kind string `db:"kind"`
		N    int    `db:"n"`
	}{}
	// flag_counts is kept by triggers on flags (migration 0017): a few
	// rows per kind, whatever the number of flags.
	if err := s.db.SelectContext(ctx, &rows, `SELECT kind, sum(open) AS n FROM flag_counts GROUP BY kind HAVING sum(open) <> 0`); err != nil {
		return nil, fmt.Errorf("open flag counts: %w", mapErr(err))
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Kind] = r.N
	}
	return out, nil
}

// PrepareRuleTx tunes the transaction q for rule statements: the rules'
// per-seller plans can look expensive to the planner on a large table, and
// compiling them with JIT costs more than running them (hundreds of
// milliseconds per statement, measured). For a check (keyed), which reads
// every row by key, sequential scans are off too: a table analysed while
// nearly empty (flags, during a seller's first import) looks cheaper to
// scan whole for each key than to look up. The sweep reads whole partial
// indexes and hashes a seller's flags of a kind, where the planner's own
// choice is the better one (1.0 s against 1.2 s for a steady sweep of a
// million shipments, measured).
func (s *Store) PrepareRuleTx(ctx context.Context, q sqlx.ExecerContext, keyed bool) error {
	set := `SET LOCAL jit = off`
	if keyed {
		set += `; SET LOCAL enable_seqscan = off`
	}
	if _, err := q.ExecContext(ctx, set); err != nil {
		return fmt.Errorf("prepare rule transaction: %w", err)
	}
	return nil
}

// FlagPage makes a page of flags fetched with limit+1 rows, newest first.
func FlagPage(rows []flag.Flag, limit int) Page[flag.Flag] { return pageOf(rows, limit, flagCursor) }
