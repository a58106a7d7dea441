package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// CountsKeptFor is how long after the instant it was counted at a
// CountsKept answers: the rows keyed (or due) within that span after it
// are the ones each call counts again.
const CountsKeptFor = 10 * time.Minute

// CountsKept is what StandardCountsKept keeps of its pass over the
// seller's shipments so that a later call, its windows starting on the
// same days, reads only the few rows the clock or the writes since can
// have moved: the groups of the pass (as countsGrouped groups them,
// without the sums, with their rows' ids), and the ids of the rows with a
// key or a deliverBy from the instant counted (At) to CountsKeptFor after
// it, and of the rows written since the pass (which leave their groups:
// follow). A row outside that span is on the same side of every window's
// end at any instant of the span, and its on-time-delivery denominator
// (the only condition reading the clock: deliver_by < w.now, checked by
// TestStandardCountsClock) is the same; each call counts the rows inside
// it afresh at its own instant. Read only after it is made; safe to share.
type CountsKept struct {
	mark        Mark
	sig         string
	froms, ends []time.Time // the windows' starts; the ends of the windows ahead (zero: now)
	at, until   time.Time
	t           []time.Time // every bound of the pass, sorted
	cols        groupedCols
	groups      []countGroup
	boundary    []string
}

// At is the instant the kept pass counted at.
func (k *CountsKept) At() time.Time { return k.at }

// countGroup is one group of the pass: its rows' number and ids (16
// bytes each, one after the other) and each column's value (a key's
// place, -1 for none; a condition 1 or 0, NULL as 0).
type countGroup struct {
	n    int64
	ids  []byte
	vals []int64
}

// querySig names the queries, for matching a CountsKept to a call.
func querySig(qs []StandardQuery) string {
	var b strings.Builder
	for _, q := range qs {
		fmt.Fprintf(&b, "%s/%s/%d/%v;", q.Count, q.Keying, q.Days, !q.At.IsZero())
	}
	return b.String()
}

// StandardCountsKept is StandardCounts at now (not zero) answered, when
// kept still holds (see CountsKept), from kept and the rows near now, and
// otherwise by a pass that it returns kept for the next call. The answers
// are StandardCounts' exactly.
func (s *Store) StandardCountsKept(ctx context.Context, sellerID string, qs []StandardQuery, now time.Time, kept *CountsKept) ([]StandardResult, *CountsKept, error) {
	if len(qs) == 0 {
		return []StandardResult{}, kept, nil
	}
	if now.IsZero() {
		return nil, nil, fmt.Errorf("standard counts: kept counts need an instant")
	}
	days := make([]int64, len(qs))
	ats := make([]*time.Time, len(qs))
	for i, q := range qs {
		_, ok := standardCounts[q.Count]
		_, okKey := standardKeys[q.Keying]
		if !ok || !okKey || q.Days < 1 {
			return nil, nil, fmt.Errorf("standard counts: no count %q keyed by %q over %d days", q.Count, q.Keying, q.Days)
		}
		days[i] = int64(q.Days)
		if !q.At.IsZero() {
			ats[i] = &q.At
		}
	}
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, nil, fmt.Errorf("standard counts: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read only: nothing to keep
	froms, nows, err := windowBounds(ctx, tx, sellerID, days, ats, now)
	if err != nil {
		return nil, nil, err
	}
	mark, err := readMark(ctx, tx, sellerID)
	if err != nil {
		return nil, nil, err
	}
	ends := make([]time.Time, len(qs))
	for i, q := range qs {
		if !q.At.IsZero() {
			ends[i] = nows[i]
		}
	}
	sig := querySig(qs)
	fresh := kept == nil || kept.mark.others != mark.others || kept.sig != sig || now.Before(kept.at) || !now.Before(kept.until) ||
		!slices.EqualFunc(kept.froms, froms, time.Time.Equal) || !slices.EqualFunc(kept.ends, ends, time.Time.Equal)
	if !fresh && kept.mark != mark {
		if kept, err = kept.follow(ctx, tx, sellerID, mark); err != nil {
			return nil, nil, err
		}
		fresh = kept == nil
	}
	if fresh {
		if kept, err = keepCounts(ctx, tx, sellerID, qs, froms, nows, now); err != nil {
			return nil, nil, err
		}
		kept.mark, kept.sig, kept.ends = mark, sig, ends
	}
	out := make([]StandardResult, len(qs))
	for i := range qs {
		out[i] = StandardResult{From: froms[i], To: nows[i]}
	}
	kept.sum(out)
	if len(kept.boundary) > 0 {
		t, pfroms, pnows := places(froms, nows)
		var raw []int64
		err = tx.QueryRowxContext(ctx, countsWindows+countsGrouped(qs, `$4::timestamptz IS NULL AND sh.id = ANY($8::uuid[])`), sellerID, pq.Array(nows), pq.Array(froms), nil,
			pq.Array(t), pq.Array(pfroms), pq.Array(pnows), pq.Array(kept.boundary)).Scan(pq.Array(&raw))
		if err != nil {
			return nil, nil, fmt.Errorf("standard counts: near now: %w", mapErr(err))
		}
		for i := range out {
			out[i].Numerator += int(raw[1+2*i])
			out[i].Denominator += int(raw[2+2*i])
		}
	}
	return out, kept, nil
}

// windowBounds returns each window's start (local midnight of its first
// day) and end (its At, or now), as StandardCounts computes them.
func windowBounds(ctx context.Context, tx *sqlx.Tx, sellerID string, days []int64, ats []*time.Time, now time.Time) ([]time.Time, []time.Time, error) {
	rows := []struct {
		Now  time.Time `db:"now"`
		From time.Time `db:"from_"`
	}{}
	err := tx.SelectContext(ctx, &rows, `
		SELECT coalesce(d.at, $2) AS now, (date_trunc('day', coalesce(d.at, $2) AT TIME ZONE se.time_zone) - (d.days - 1) * interval '1 day')
			AT TIME ZONE se.time_zone AS from_
		FROM sellers se, unnest($3::int[], $4::timestamptz[]) WITH ORDINALITY AS d(days, at, ord)
		WHERE se.id = $1
		ORDER BY d.ord`, sellerID, now, pq.Array(days), pq.Array(ats))
	if err != nil {
		return nil, nil, fmt.Errorf("standard counts: window: %w", mapErr(err))
	}
	if len(rows) != len(days) {
		return nil, nil, fmt.Errorf("standard counts: window: %w", ErrNotFound)
	}
	froms, nows := make([]time.Time, len(rows)), make([]time.Time, len(rows))
	for i, r := range rows {
		froms[i], nows[i] = r.From, r.Now
	}
	return froms, nows, nil
}

// keepCounts makes the pass CountsKept keeps, at now: the rows some window
// can hold grouped as countsGrouped groups them, with the windows' bounds
// and now+CountsKeptFor among the places, except the rows with a key or a
// deliverBy within [now, now+CountsKeptFor), whose ids it keeps instead.
func keepCounts(ctx context.Context, tx *sqlx.Tx, sellerID string, qs []StandardQuery, froms, nows []time.Time, now time.Time) (*CountsKept, error) {
	until := now.Add(CountsKeptFor)
	k := &CountsKept{froms: froms, at: now, until: until}
	t := append(append(append([]time.Time{}, froms...), nows...), until)
	sort.Slice(t, func(i, j int) bool { return t[i].Before(t[j]) })
	k.t = slices.CompactFunc(t, time.Time.Equal)
	k.cols = groupColumns(qs)
	var near []string
	for _, key := range k.cols.keyings {
		near = append(near, `(`+standardKeys[key]+` >= $5 AND `+standardKeys[key]+` < $6)`)
	}
	near = append(near, `(sh.deliver_by >= $5 AND sh.deliver_by < $6)`)
	earliest := froms[0]
	for _, f := range froms {
		if f.Before(earliest) {
			earliest = f
		}
	}
	names := make([]string, len(k.cols.exprs))
	var cols strings.Builder
	for i, e := range k.cols.exprs {
		names[i] = fmt.Sprintf("c%d", i)
		fmt.Fprintf(&cols, ", %s AS %s", e, names[i])
	}
	rows, err := tx.QueryContext(ctx, `
		WITH w AS MATERIALIZED (
			SELECT se.time_zone AS tz, $2::timestamptz[] AS nows, $3::timestamptz[] AS t
			FROM sellers se WHERE se.id = $1)
		SELECT count(*), string_agg(uuid_send(id), ''::bytea), b`+prefixed(", ", names)+`
		FROM (SELECT sh.id, CASE WHEN `+strings.Join(near, " OR ")+` THEN sh.id END AS b`+cols.String()+`
			FROM w JOIN shipments sh ON sh.seller_id = $1 AND `+standardKeysBound()+` >= $4) g
		GROUP BY b`+prefixed(", ", names),
		sellerID, pq.Array(nows), pq.Array(k.t), earliest, now, until)
	if err != nil {
		return nil, fmt.Errorf("standard counts: keep: %w", mapErr(err))
	}
	defer rows.Close()
	dest := make([]any, 3+len(names))
	var n int64
	var ids []byte
	var b sql.NullString
	dest[0], dest[1], dest[2] = &n, &ids, &b
	ints := make([]sql.NullInt64, len(names))
	bools := make([]sql.NullBool, len(names))
	for i := range names {
		if k.cols.isKey[i] {
			dest[3+i] = &ints[i]
		} else {
			dest[3+i] = &bools[i]
		}
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("standard counts: keep: %w", mapErr(err))
		}
		if b.Valid {
			k.boundary = append(k.boundary, b.String)
			continue
		}
		g := countGroup{n: n, ids: slices.Clone(ids), vals: make([]int64, len(names))}
		for i := range names {
			switch {
			case k.cols.isKey[i] && ints[i].Valid:
				g.vals[i] = ints[i].Int64
			case k.cols.isKey[i]:
				g.vals[i] = -1
			case bools[i].Valid && bools[i].Bool:
				g.vals[i] = 1
			}
		}
		k.groups = append(k.groups, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("standard counts: keep: %w", mapErr(err))
	}
	return k, nil
}

func prefixed(sep string, names []string) string {
	if len(names) == 0 {
		return ""
	}
	return sep + strings.Join(names, sep)
}

// sum adds the kept groups in each window to out: key >= from is a place
// at or after from's, key < end before end's (the kept instant's for a
// window ending now: the rows between it and now are the boundary's).
func (k *CountsKept) sum(out []StandardResult) {
	place := func(x time.Time) int64 {
		return int64(sort.Search(len(k.t), func(j int) bool { return !k.t[j].Before(x) })) + 1
	}
	for i := range out {
		end := k.at
		if !k.ends[i].IsZero() {
			end = k.ends[i]
		}
		pf, pe := place(k.froms[i]), place(end)
		q := k.cols.queries[i]
		for _, g := range k.groups {
			if key := g.vals[q.key]; key >= pf && key < pe && g.vals[q.den] == 1 {
				out[i].Denominator += int(g.n)
				if g.vals[q.num] == 1 {
					out[i].Numerator += int(g.n)
				}
			}
		}
	}
}

// countsFollowMax is how many rows a kept pass counts again by id (those
// near its instant and those written since it) before a pass afresh is
// cheaper.
const countsFollowMax = 20000

// follow is k brought to the snapshot of m (its others the same as k's):
// the shipments written since k's snapshot leave the groups they were
// counted in and join the rows each call counts again by id (deleted
// rows cannot be among them: a deletion changes others). nil when they
// are too many.
func (k *CountsKept) follow(ctx context.Context, tx *sqlx.Tx, sellerID string, m Mark) (*CountsKept, error) {
	var ids []string
	if err := tx.SelectContext(ctx, &ids, `SELECT sh.id FROM shipments sh WHERE `+changedSince("$2"), sellerID, k.mark.snapshot); err != nil {
		return nil, fmt.Errorf("standard counts: changed: %w", mapErr(err))
	}
	if len(k.boundary)+len(ids) > countsFollowMax {
		return nil, nil
	}
	next := *k
	next.mark = m
	if len(ids) == 0 {
		return &next, nil
	}
	changed := make(map[[16]byte]bool, len(ids))
	inBoundary := make(map[string]bool, len(k.boundary))
	for _, id := range k.boundary {
		inBoundary[id] = true
	}
	next.boundary = slices.Clip(k.boundary)
	for _, id := range ids {
		u, err := uuidBytes(id)
		if err != nil {
			return nil, fmt.Errorf("standard counts: changed: %w", err)
		}
		changed[u] = true
		if !inBoundary[id] {
			next.boundary = append(next.boundary, id)
		}
	}
	next.groups = make([]countGroup, 0, len(k.groups))
	for _, g := range k.groups {
		var gone int64
		for off := 0; off < len(g.ids); off += 16 {
			if changed[[16]byte(g.ids[off:off+16])] {
				gone++
			}
		}
		if gone == 0 {
			next.groups = append(next.groups, g)
			continue
		}
		if gone == g.n {
			continue
		}
		ng := countGroup{n: g.n - gone, ids: make([]byte, 0, len(g.ids)-16*int(gone)), vals: g.vals}
		for off := 0; off < len(g.ids); off += 16 {
			if !changed[[16]byte(g.ids[off:off+16])] {
				ng.ids = append(ng.ids, g.ids[off:off+16]...)
			}
		}
		next.groups = append(next.groups, ng)
	}
	return &next, nil
}

// uuidBytes is a UUID's text (as PostgreSQL writes it) as its 16 bytes.
func uuidBytes(s string) ([16]byte, error) {
	var u [16]byte
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 {
		return u, fmt.Errorf("uuid %q", s)
	}
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, fmt.Errorf("uuid %q: %w", s, err)
	}
	return u, nil
}
