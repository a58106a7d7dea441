package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"
)

// StandardCount names one count of a published marketplace metric: which
// shipments form its denominator and which of those its numerator.
type StandardCount string

// The counts (internal/health maps each metric to one; docs/health.md
// states each definition).
const (
	CountScanned         StandardCount = "scanned"
	CountShippedLate     StandardCount = "shipped_late"
	CountDeliveredOnTime StandardCount = "delivered_on_time"
	CountSellerCancelled StandardCount = "seller_cancelled"
	CountFirstScanOnTime StandardCount = "first_scan_on_time"
	CountTrackingOnTime  StandardCount = "tracking_on_time"
	CountNotReceived     StandardCount = "not_received"
	CountReturned        StandardCount = "returned"
)

// localDay is a timestamptz column's date in the seller's zone (w.tz).
func localDay(col string) string { return `((` + col + `) AT TIME ZONE w.tz)::date` }

// standardCounts holds each count's SQL conditions on sh (a shipments
// row) and w (tz, now: the end of the query's window): the denominator,
// then the numerator among it.
var standardCounts = map[StandardCount][2]string{
	CountScanned: {`sh.cancelled_at IS NULL AND sh.normalized_tracking_number <> ''`,
		`sh.first_scan_at IS NOT NULL`},
	CountShippedLate: {`sh.cancelled_at IS NULL AND sh.ship_by IS NOT NULL`,
		`(sh.shipped_at IS NULL OR sh.shipped_at > sh.ship_by)`},
	CountDeliveredOnTime: {`sh.cancelled_at IS NULL AND sh.deliver_by IS NOT NULL AND (sh.delivered_at IS NOT NULL OR sh.deliver_by < w.now)`,
		`sh.delivered_at <= sh.deliver_by`},
	// Every order counts, cancelled or not; the seller's cancellations
	// before shipping are the failures.
	CountSellerCancelled: {`true`,
		`sh.cancelled_by = 'SELLER' AND (sh.shipped_at IS NULL OR sh.cancelled_at < sh.shipped_at)`},
	// On time: the first scan on or before the ship-by's local day, or
	// delivered by deliver-by even though scanned late.
	CountFirstScanOnTime: {`sh.cancelled_at IS NULL AND sh.ship_by IS NOT NULL`,
		`(sh.first_scan_at IS NOT NULL AND ` + localDay("sh.first_scan_at") + ` <= ` + localDay("sh.ship_by") + `
			OR sh.delivered_at <= sh.deliver_by)`},
	CountTrackingOnTime: {`sh.cancelled_at IS NULL AND sh.ship_by IS NOT NULL`,
		`sh.normalized_tracking_number <> '' AND sh.first_scan_at IS NOT NULL
			AND ` + localDay("coalesce(sh.tracking_received_at, sh.created_at)") + ` <= ` + localDay("sh.ship_by")},
	CountNotReceived: {`sh.cancelled_at IS NULL AND (sh.shipped_at IS NOT NULL OR sh.first_scan_at IS NOT NULL)`,
		`EXISTS (SELECT 1 FROM disputes d WHERE d.seller_id = sh.seller_id AND d.shipment_id = sh.id AND d.kind = 'NOT_RECEIVED')`},
	CountReturned: {`sh.cancelled_at IS NULL AND sh.delivered_at IS NOT NULL`,
		`sh.returned_at IS NOT NULL`},
}

// standardKeys holds the date expression of each keying (the values of
// health.Keying).
var standardKeys = map[string]string{
	"PROMISED_DELIVERY": `coalesce(sh.deliver_by, sh.shipped_at, sh.created_at)`,
	"SHIP_BY":           `sh.ship_by`,
	"ORDERED":           `sh.created_at`,
	"SHIPPED":           `coalesce(sh.shipped_at, sh.created_at)`,
	"DELIVERED":         `sh.delivered_at`,
}

// standardKeysBound is an upper bound of every keying's date: a shipment
// whose bound is before a window's start is in no window starting then.
// shipments_standard_key_idx (migration 0110) indexes exactly this
// expression, without the sh. qualifier; TestStandardKeysBoundIndexed
// fails when the two part.
func standardKeysBound() string {
	names := make([]string, 0, len(standardKeys))
	for k := range standardKeys {
		names = append(names, k)
	}
	sort.Strings(names)
	exprs := make([]string, len(names))
	for i, k := range names {
		exprs[i] = standardKeys[k]
	}
	return `greatest(` + strings.Join(exprs, ", ") + `)`
}

// StandardQuery asks for one count over the last Days local days (today
// included) up to now, shipments placed by the Keying date.
type StandardQuery struct {
	Count  StandardCount
	Keying string
	Days   int
	// At counts the window as it stands at At, with the outcomes known
	// now, instead of now (zero): a window ending on a day to come.
	At time.Time
}

// StandardResult is a StandardQuery's answer.
type StandardResult struct {
	From, To               time.Time
	Numerator, Denominator int
}

// StandardCounts answers each query in order, from one snapshot and one
// pass over the seller's shipments some window can hold (each query a
// pair of FILTERed counts): those whose keys' bound is on or after the
// earliest window start, through shipments_standard_key_idx. now zero
// means the database's clock; a query's At, when set, replaces now as the
// end of its window.
func (s *Store) StandardCounts(ctx context.Context, sellerID string, qs []StandardQuery, now time.Time) ([]StandardResult, error) {
	return s.standardCounts(ctx, sellerID, qs, now, true)
}

// StandardCountsDirect is StandardCounts by a pass over every shipment of
// the seller, as they were counted before the keys' bound: the reference
// the benchmarks time StandardCounts against and the tests compare it
// with.
func (s *Store) StandardCountsDirect(ctx context.Context, sellerID string, qs []StandardQuery, now time.Time) ([]StandardResult, error) {
	return s.standardCounts(ctx, sellerID, qs, now, false)
}

// countsWindows is the head of the counts' statements: the seller ($1)
// with its time zone and the windows' ends ($2), starts ($3), instants
// ($5) and each window's places among them ($6, $7), read once. The
// statement's $4 bounds the rows read (countsGrouped, countsPerWindow).
const countsWindows = `
	WITH w AS MATERIALIZED (
		SELECT se.time_zone AS tz, $2::timestamptz[] AS nows, $3::timestamptz[] AS froms,
			$5::timestamptz[] AS t, $6::int[] AS pfroms, $7::int[] AS pnows
		FROM sellers se WHERE se.id = $1)
	`

// places sorts the windows' starts and ends, without repeats, and returns
// them with each start's and end's place in them (from 1, as width_bucket
// counts).
func places(froms, nows []time.Time) ([]time.Time, []int64, []int64) {
	t := append(append([]time.Time{}, froms...), nows...)
	sort.Slice(t, func(i, j int) bool { return t[i].Before(t[j]) })
	t = slices.CompactFunc(t, time.Time.Equal)
	place := func(ts []time.Time) []int64 {
		out := make([]int64, len(ts))
		for i, x := range ts {
			out[i] = int64(sort.Search(len(t), func(j int) bool { return !t[j].Before(x) })) + 1
		}
		return out
	}
	return t, place(froms), place(nows)
}

func (s *Store) standardCounts(ctx context.Context, sellerID string, qs []StandardQuery, now time.Time, bounded bool) ([]StandardResult, error) {
	if len(qs) == 0 {
		return []StandardResult{}, nil
	}
	var at any
	if !now.IsZero() {
		at = now
	}
	days := make([]int64, len(qs))
	ats := make([]*time.Time, len(qs))
	for i, q := range qs {
		_, ok := standardCounts[q.Count]
		_, okKey := standardKeys[q.Keying]
		if !ok || !okKey || q.Days < 1 {
			return nil, fmt.Errorf("standard counts: no count %q keyed by %q over %d days", q.Count, q.Keying, q.Days)
		}
		days[i] = int64(q.Days)
		if !q.At.IsZero() {
			ats[i] = &q.At
		}
	}
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("standard counts: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read only: nothing to keep
	// Each window starts at local midnight of its first day, as in Health.
	rows := []struct {
		Now  time.Time `db:"now"`
		From time.Time `db:"from_"`
	}{}
	err = tx.SelectContext(ctx, &rows, `
		SELECT coalesce(d.at, n.now) AS now, (date_trunc('day', coalesce(d.at, n.now) AT TIME ZONE se.time_zone) - (d.days - 1) * interval '1 day')
			AT TIME ZONE se.time_zone AS from_
		FROM sellers se, (SELECT coalesce($2::timestamptz, clock_timestamp()) AS now) n,
			unnest($3::int[], $4::timestamptz[]) WITH ORDINALITY AS d(days, at, ord)
		WHERE se.id = $1
		ORDER BY d.ord`, sellerID, at, pq.Array(days), pq.Array(ats))
	if err != nil {
		return nil, fmt.Errorf("standard counts: window: %w", mapErr(err))
	}
	if len(rows) != len(qs) {
		return nil, fmt.Errorf("standard counts: window: %w", ErrNotFound)
	}
	froms, nows := make([]time.Time, len(rows)), make([]time.Time, len(rows))
	for i, r := range rows {
		froms[i], nows[i] = r.From, r.Now
	}
	// Only the shipments some window can hold are counted: the bound is a
	// cheap filter before the FILTERed counts, and through
	// shipments_standard_key_idx the seller's history before the longest
	// window is not even read. Either plan counts the same rows; the
	// planner picks (the index when few rows are recent enough).
	var earliest any
	bound := `$4::timestamptz IS NULL`
	if bounded {
		bound = standardKeysBound() + ` >= $4`
		e := froms[0]
		for _, f := range froms {
			if f.Before(e) {
				e = f
			}
		}
		earliest = e
	}
	count := countsGrouped
	if !bounded {
		count = countsPerWindow
	}
	t, pfroms, pnows := places(froms, nows)
	var raw []int64
	err = tx.QueryRowxContext(ctx, countsWindows+count(qs, bound), sellerID, pq.Array(nows), pq.Array(froms), earliest,
		pq.Array(t), pq.Array(pfroms), pq.Array(pnows)).Scan(pq.Array(&raw))
	if err != nil {
		return nil, fmt.Errorf("standard counts: %w", mapErr(err))
	}
	out := make([]StandardResult, len(qs))
	for i := range qs {
		out[i] = StandardResult{From: froms[i], To: nows[i], Numerator: int(raw[1+2*i]), Denominator: int(raw[2+2*i])}
	}
	return out, nil
}
