package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
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
	Cond     string     `json:"Index Cond"`
	Parent   string     `json:"Parent Relationship"`
	Subplan  string     `json:"Subplan Name"`
	Plans    []planNode `json:"Plans"`
}

// perRowSubplans lists the subplans run again for each row (not hashed):
// over a large set, a quadratic plan.
func (n planNode) perRowSubplans(out []string) []string {
	if n.Parent == "SubPlan" && !strings.HasPrefix(n.Subplan, "hashed ") {
		out = append(out, n.Subplan+": "+n.NodeType+" "+n.Relation+n.Alias)
	}
	for _, c := range n.Plans {
		out = c.perRowSubplans(out)
	}
	return out
}

// scans lists the node type and index of every scan of shipments.
func (n planNode) scans(out []string) []string {
	if n.Relation == "shipments" && n.NodeType != "ModifyTable" {
		index := n.Index
		if n.NodeType == "Bitmap Heap Scan" {
			index = bitmapIndexes(n)
		}
		if (index == "shipments_pkey" || index == "shipments_seller_id_key") && !strings.Contains(n.Cond, "(id = ") {
			index += " without an id" // a range of the seller, not a read by key
		}
		out = append(out, fmt.Sprintf("%s %s (%s)", n.NodeType, index, n.Alias))
	}
	for _, c := range n.Plans {
		out = c.scans(out)
	}
	return out
}

// bitmapIndexes names the indexes a bitmap heap scan reads.
func bitmapIndexes(n planNode) string {
	var names []string
	for _, c := range n.Plans {
		if c.Index != "" {
			names = append(names, c.Index)
		}
		if rest := bitmapIndexes(c); rest != "" {
			names = append(names, rest)
		}
	}
	return strings.Join(names, "+")
}

// TestRulePlans loads 60,000 shipments of a seller into a table whose
// statistics were taken when it held 100 of another seller's (as during a
// large import: nothing analyses it, and the seller looks like no rows),
// and checks each rule's plans. A check of 200 given shipments must read
// them by key, never a seller's range of a partial index (which the stale
// statistics make look like one row), and so must applying a rule to them
// (store.ApplyRule, checks and sweeps alike); the sweep's form of every
// time-based rule must read the partial index made for each of its cases,
// and finding the sweep's changes (store.FlagChanges) those indexes.
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
	load := func(seller string, from, to int) { loadPlanShipments(t, su, seller, from, to) }
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
	plan := func(t *testing.T, query string, args ...any) []string { return planScans(t, su, query, args...) }
	explain := func(t *testing.T, rule string, args ...any) []string { return ruleScans(t, su, rule, args...) }
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
		// The forecast risk of an import batch's shipments, and a check's
		// refresh: read by key, or every batch reads the seller's range.
		"RiskCandidates":    {store.RiskCandidatesSQL, []any{seller, pq.Array(ids)}},
		"TrackingNumbersOf": {store.TrackingNumbersOfSQL, []any{seller, pq.Array(ids)}},
		"SetForecastRisk": {store.SetForecastRiskSQL, []any{seller, pq.Array(ids),
			pq.Array(make([]*time.Time, len(ids))), pq.Array(make([]float64, len(ids))), pq.Array(make([]string, len(ids)))}},
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
	t.Run("ApplyRules", func(t *testing.T) {
		kinds, severities := ruleArrays(flag.Rules)
		for _, s := range plan(t, store.ApplyRulesSQL(flag.Rules), seller, now, pq.Array(ids), kinds, severities) {
			s = s[:strings.LastIndex(s, " (")] // the alias does not matter here
			switch s {
			case "Index Scan shipments_pkey", "Index Scan shipments_seller_id_key",
				"Index Scan shipments_seller_tracking_idx", "Index Only Scan shipments_seller_tracking_idx":
			default:
				t.Errorf("applying every rule to 200 shipments reads shipments with %s, want by key", s)
			}
		}
	})
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
		t.Run(string(r.Kind)+"/apply", func(t *testing.T) {
			for _, s := range plan(t, store.ApplyRuleSQL(r), seller, now, pq.Array(ids), r.Kind, r.Severity) {
				switch s {
				case "Index Scan shipments_seller_id_key (shipments)", "Index Scan shipments_pkey (shipments)",
					"Index Scan shipments_seller_tracking_idx (o)", "Index Only Scan shipments_seller_tracking_idx (o)":
				default:
					t.Errorf("applying the rule to 200 shipments reads shipments with %s, want by key", s)
				}
			}
		})
		if !r.TimeBased {
			continue
		}
		checkSweepPlans(t, su, r, seller, now)
	}
}

// TestSweepPlansWithoutStatistics checks the sweep's plans on a table that
// was never analysed (as right after a large load, before autovacuum
// comes): every partial index of the seller then looks like one row, and
// the sweep must still read each case's own index.
func TestSweepPlansWithoutStatistics(t *testing.T) {
	su, seller := planDB(t, "shipments", "Planner")
	ctx := context.Background()
	loadPlanShipments(t, su, seller, 1, 60000)
	for _, r := range flag.Rules {
		if r.TimeBased && r.Custom == "" {
			checkSweepPlans(t, su, r, seller, time.Now())
		}
	}
	// The sweep locks the changes it found by primary key, whatever the
	// statistics say about the seller.
	var ids []string
	if err := su.SelectContext(ctx, &ids, `SELECT id FROM shipments WHERE seller_id = $1 ORDER BY id DESC LIMIT 500`, seller); err != nil {
		t.Fatal(err)
	}
	for _, s := range planScans(t, su, store.LockUnlockedSQL, seller, pq.Array(ids)) {
		if withoutAlias(s) != "Index Scan shipments_pkey" {
			t.Errorf("locking the sweep's changes reads shipments with %s, want by primary key", s)
		}
	}
}

// checkSweepPlans checks that the sweep's form of a time-based rule reads
// the partial index made for each of its cases (flag.Case.Order), and
// that finding its changes (store.FlagChanges) reads those indexes.
func checkSweepPlans(t *testing.T, su *sqlx.DB, r flag.Rule, seller string, now time.Time) {
	t.Helper()
	want := sweepIndexes[r.Kind]
	t.Run(string(r.Kind)+"/sweep", func(t *testing.T) {
		for _, s := range ruleScans(t, su, r.Candidates(false), seller, now, nil) {
			if !want[withoutAlias(s)] {
				t.Errorf("the sweep reads shipments with %s, want one of %v", s, want)
			}
		}
	})
	t.Run(string(r.Kind)+"/changes", func(t *testing.T) {
		for _, s := range planScans(t, su, store.FlagChangesSQL(r), seller, now, nil, r.Kind) {
			if s = withoutAlias(s); !want[s] && s != "Index Scan shipments_pkey" && s != "Index Scan shipments_seller_id_key" {
				t.Errorf("finding the sweep's changes reads shipments with %s, want one of %v or by key", s, want)
			}
		}
		// With candidates and flags that look larger than work_mem (the
		// smallest here), the comparison of the two must still not test
		// every flag against every candidate.
		tx := su.MustBegin()
		defer tx.Rollback() //nolint:errcheck // read only
		if _, err := tx.Exec(`SET LOCAL work_mem = '64kB'`); err != nil {
			t.Fatal(err)
		}
		var raw []byte
		if err := tx.QueryRow(`EXPLAIN (FORMAT JSON) `+store.FlagChangesSQL(r), seller, now, nil, r.Kind).Scan(&raw); err != nil {
			t.Fatalf("EXPLAIN: %v", err)
		}
		var plans []struct{ Plan planNode }
		if err := json.Unmarshal(raw, &plans); err != nil {
			t.Fatal(err)
		}
		// A per-row probe of the seller's own carrier accounts (the
		// degraded-source condition, met only by a seller with a failing
		// source) reads a handful of rows by index: not a comparison.
		var sub []string
		for _, p := range plans[0].Plan.perRowSubplans(nil) {
			if !strings.Contains(p, "carrier_accounts") {
				sub = append(sub, p)
			}
		}
		if len(sub) > 0 {
			t.Errorf("finding the sweep's changes with little work_mem runs subplans per row: %v", sub)
		}
	})
}

// sweepIndexes are the partial indexes (migration 0004) each time-based
// rule's sweep reads, as its plan names them: an index scan, or a bitmap
// scan of the same index (either reads only the range the time bounds).
var sweepIndexes = map[flag.Kind]map[string]bool{
	flag.InactiveTracking: scansOf("shipments_unscanned_idx"),
	flag.Stalled:          scansOf("shipments_moving_idx"),
	flag.SourceDegraded:   scansOf("shipments_unscanned_idx", "shipments_moving_idx"),
	flag.LateShipment:     scansOf("shipments_shipped_late_idx", "shipments_unshipped_idx"),
	flag.DeliveryAtRisk:   scansOf("shipments_estimate_late_idx", "shipments_forecast_risk_idx"),
	flag.LateDelivery:     scansOf("shipments_delivered_late_idx", "shipments_undelivered_idx"),
}

func scansOf(indexes ...string) map[string]bool {
	m := map[string]bool{}
	for _, i := range indexes {
		m["Index Scan "+i], m["Bitmap Heap Scan "+i] = true, true
	}
	return m
}

// withoutAlias drops the alias scans adds ("(sh_1)").
func withoutAlias(s string) string {
	if i := strings.LastIndex(s, " ("); i >= 0 {
		return s[:i]
	}
	return s
}

// planDB returns the superuser on a fresh database whose table
// autovacuum never analyses (as right after a large load, before it
// comes), with one seller named name.
func planDB(t *testing.T, table, name string) (*sqlx.DB, string) {
	t.Helper()
	su := dbtest.Superuser(t, dbtest.URL(t))
	if _, err := su.Exec(`ALTER TABLE ` + table + ` SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	var seller string
	if err := su.Get(&seller, `INSERT INTO sellers (name) VALUES ($1) RETURNING id`, name); err != nil {
		t.Fatal(err)
	}
	return su, seller
}

// loadPlanShipments inserts the seller's shipments numbered from to to:
// every rule's condition holds for some rows (unscanned and shipped long
// ago, late, stalled, invalid).
func loadPlanShipments(t *testing.T, su *sqlx.DB, seller string, from, to int) {
	t.Helper()
	ctx := context.Background()
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

// ruleArrays are ApplyRules' kinds and severities of rules.
func ruleArrays(rules []flag.Rule) (kinds, severities any) {
	var k, v []string
	for _, r := range rules {
		k, v = append(k, string(r.Kind)), append(v, string(r.Severity))
	}
	return pq.Array(k), pq.Array(v)
}

// planScans explains query and lists its scans of shipments.
func planScans(t *testing.T, su *sqlx.DB, query string, args ...any) []string {
	t.Helper()
	var raw []byte
	if err := su.QueryRowContext(context.Background(), `EXPLAIN (FORMAT JSON) `+query, args...).Scan(&raw); err != nil {
		t.Fatalf("EXPLAIN: %v", err)
	}
	var plans []struct{ Plan planNode }
	if err := json.Unmarshal(raw, &plans); err != nil {
		t.Fatal(err)
	}
	return plans[0].Plan.scans(nil)
}

// ruleScans is planScans of a rule's candidates; $2 is typed outside for
// the rules that do not read the time.
func ruleScans(t *testing.T, su *sqlx.DB, rule string, args ...any) []string {
	t.Helper()
	return planScans(t, su, `SELECT * FROM (`+rule+`) c WHERE $2::timestamptz IS NOT NULL`, args...)
}
