package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/store"
)

// planNode is the part of EXPLAIN (FORMAT JSON) the test reads.
type planNode struct {
	NodeType string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Alias    string     `json:"Alias"`
	Index    string     `json:"Index Name"`
	Plans    []planNode `json:"Plans"`
}

// scans lists the node type and index of every scan of shipments.
func (n planNode) scans(out []string) []string {
	if n.Relation == "shipments" && n.NodeType != "ModifyTable" {
		out = append(out, fmt.Sprintf("%s %s (%s)", n.NodeType, n.Index, n.Alias))
	}
	for _, c := range n.Plans {
		out = c.scans(out)
	}
	return out
}

// TestRulePlans loads 60,000 shipments of a seller into a table whose
// statistics were taken when it held 100 of another seller's (as during a
// large import: nothing analyses it, and the seller looks like no rows),
// and checks each rule's plans. A check of 200 given shipments must read
// them by key, never a seller's range of a partial index (which the stale
// statistics make look like one row); the sweep's form of every time-based
// rule must read through an index, never the whole table.
func TestRulePlans(t *testing.T) {
	url := dbtest.URL(t)
	su := dbtest.Superuser(t, url)
	ctx := context.Background()
	var seller, other string
	if err := su.GetContext(ctx, &seller, `INSERT INTO sellers (name) VALUES ('Planner') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := su.GetContext(ctx, &other, `INSERT INTO sellers (name) VALUES ('Other') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	load := func(seller string, from, to int) {
		t.Helper()
		// Every rule's condition holds for some rows: unscanned and
		// shipped long ago, late, stalled, invalid.
		_, err := su.ExecContext(ctx, `
			INSERT INTO shipments (seller_id, order_id, tracking_number, normalized_tracking_number, tracking_valid,
				tracking_reason, ship_by, shipped_at, deliver_by, first_scan_at, last_event_at, status)
			SELECT $1, 'O-' || i, 'T' || i, 'T' || i, i % 7 <> 0, CASE WHEN i % 7 = 0 THEN 'UNKNOWN_FORMAT' ELSE '' END,
				now() - interval '10 days', now() - (i % 20) * interval '1 day', now() - (i % 5) * interval '1 day',
				CASE WHEN i % 3 = 0 THEN now() - interval '9 days' END, CASE WHEN i % 3 = 0 THEN now() - interval '8 days' END,
				CASE WHEN i % 3 = 0 THEN 'IN_TRANSIT' ELSE 'PENDING' END
			FROM generate_series($2::int, $3::int) AS i`, seller, from, to)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := su.ExecContext(ctx, `ALTER TABLE shipments SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	load(other, 1, 100)
	if _, err := su.ExecContext(ctx, `ANALYZE shipments`); err != nil {
		t.Fatal(err)
	}
	load(seller, 101, 60000)
	var ids []string
	if err := su.SelectContext(ctx, &ids, `SELECT id FROM shipments WHERE seller_id = $1 ORDER BY order_id LIMIT 200`, seller); err != nil {
		t.Fatal(err)
	}
	plan := func(t *testing.T, query string, args ...any) []string {
		t.Helper()
		var raw []byte
		if err := su.QueryRowContext(ctx, `EXPLAIN (FORMAT JSON) `+query, args...).Scan(&raw); err != nil {
			t.Fatalf("EXPLAIN: %v", err)
		}
		var plans []struct{ Plan planNode }
		if err := json.Unmarshal(raw, &plans); err != nil {
			t.Fatal(err)
		}
		return plans[0].Plan.scans(nil)
	}
	explain := func(t *testing.T, rule string, args ...any) []string {
		t.Helper()
		// $2 is typed outside for the rules that do not read the time.
		return plan(t, `SELECT * FROM (`+rule+`) c WHERE $2::timestamptz IS NOT NULL`, args...)
	}
	now := time.Now()
	var numbers []string
	if err := su.SelectContext(ctx, &numbers, `SELECT normalized_tracking_number FROM shipments WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		t.Fatal(err)
	}
	keyed := map[string]struct {
		sql  string
		args []any
	}{
		"LockChecked":      {store.LockCheckedSQL, []any{seller, pq.Array(ids)}},
		"WrittenShipments": {store.WrittenShipmentsSQL, []any{seller, pq.Array(numbers)}},
		"RefreshShipments": {store.RefreshSQL, []any{seller, pq.Array(numbers), nil}},
	}
	for name, k := range keyed {
		t.Run(name, func(t *testing.T) {
			for _, s := range plan(t, k.sql, k.args...) {
				s = s[:strings.LastIndex(s, " (")] // the alias does not matter here
				switch s {
				case "Index Scan shipments_pkey", "Index Scan shipments_seller_tracking_idx", "Index Only Scan shipments_seller_tracking_idx":
				default:
					t.Errorf("%s of 200 shipments reads shipments with %s, want by key", name, s)
				}
			}
		})
	}
	for _, r := range flag.Rules {
		if r.Custom != "" {
			continue // over disputes, a small table read by its own indexes
		}
		t.Run(string(r.Kind)+"/check", func(t *testing.T) {
			for _, s := range explain(t, r.Candidates(true), seller, now, pq.Array(ids)) {
				// The scoped shipments are read by key; the duplicate
				// rule's other orders by (seller, number).
				switch s {
				case "Index Scan shipments_seller_id_key (shipments)", "Index Scan shipments_pkey (shipments)",
					"Index Scan shipments_seller_tracking_idx (o)", "Index Only Scan shipments_seller_tracking_idx (o)":
				default:
					t.Errorf("a check of 200 shipments reads shipments with %s, want by key", s)
				}
			}
		})
		if !r.TimeBased {
			continue
		}
		t.Run(string(r.Kind)+"/sweep", func(t *testing.T) {
			for _, s := range explain(t, r.Candidates(false), seller, now, nil) {
				if s[:4] == "Seq " {
					t.Errorf("the sweep reads shipments with %s, want an index", s)
				}
			}
		})
	}
}
