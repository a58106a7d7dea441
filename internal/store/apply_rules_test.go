package store_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestApplyRulesIsApplyRuleOfEach checks that the one statement of a
// check (ApplyRules) changes exactly what ApplyRule of each rule in turn
// changes, and returns the same flags, on shipments in many states whose
// flags are open, resolved by hand (suppressing) and already resolved: run
// both on the same data, each in a transaction rolled back, and compare the
// flags they return and the flags table they leave.
func TestApplyRulesIsApplyRuleOfEach(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.URL(t)
	su := dbtest.Superuser(t, url)
	db := sqlx.MustOpen("postgres", url)
	t.Cleanup(func() { db.Close() })
	st := store.New(db)
	var seller string
	if err := su.GetContext(ctx, &seller, `INSERT INTO sellers (name) VALUES ('Rules') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	loadPlanShipments(t, su, seller, 1, 600)
	// Two orders sharing a number, and a carrier mismatch, a delivery
	// exception, a late delivery and a cancelled shipment.
	for _, q := range []string{
		`UPDATE shipments SET normalized_tracking_number = 'T1' WHERE order_id IN ('O-1', 'O-2', 'O-3')`,
		`UPDATE shipments SET tracking_reason = 'CARRIER_MISMATCH', tracking_carrier = 'ups', carrier = 'fedex' WHERE order_id = 'O-10'`,
		`UPDATE shipments SET status = 'EXCEPTION' WHERE order_id IN ('O-3', 'O-6', 'O-9')`,
		`UPDATE shipments SET delivered_at = now() - interval '1 day', status = 'DELIVERED' WHERE order_id IN ('O-12', 'O-15')`,
		`UPDATE shipments SET cancelled_at = now() WHERE order_id = 'O-18'`,
	} {
		if _, err := su.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var ids []string
	if err := su.SelectContext(ctx, &ids, `SELECT id FROM shipments WHERE seller_id = $1 ORDER BY id`, seller); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-48 * time.Hour)
	// The flags of two days ago, committed; then some are resolved by
	// hand, and some shipments change so their flags no longer hold.
	if err := st.Transact(ctx, func(tx *sqlx.Tx) error {
		_, err := st.ApplyRules(ctx, tx, flag.Rules, seller, before, ids)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE flags SET resolved_at = now(), resolution = 'MANUAL', suppressing = true
			WHERE id IN (SELECT id FROM flags WHERE resolved_at IS NULL ORDER BY shipment_id, kind LIMIT 40)`,
		`UPDATE shipments SET first_scan_at = now() - interval '1 hour', last_event_at = now() - interval '1 hour', status = 'IN_TRANSIT'
			WHERE order_id IN (SELECT 'O-' || i FROM generate_series(1, 600, 4) AS i)`,
		`UPDATE shipments SET tracking_valid = true, tracking_reason = '' WHERE order_id IN ('O-7', 'O-14', 'O-21', 'O-10')`,
		`UPDATE shipments SET cancelled_at = now() WHERE order_id IN ('O-2', 'O-28')`,
	} {
		if _, err := su.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	now := time.Now()
	run := func(apply func(tx *sqlx.Tx) (store.RuleChanges, error)) (changes, table []string) {
		t.Helper()
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback() //nolint:errcheck // rolled back on purpose
		ch, err := apply(tx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ch.Raised {
			changes = append(changes, fmt.Sprintf("raised %s %s %s %s %q", f.ShipmentID, f.Kind, f.Severity, f.RaisedAt.UTC(), f.Message))
		}
		for _, f := range ch.Resolved {
			changes = append(changes, fmt.Sprintf("resolved %s %s %s", f.ShipmentID, f.Kind, f.Resolution))
		}
		var rows []struct {
			Shipment, Kind, Message, Resolution string
			Open, Suppressing                   bool
		}
		if err := tx.SelectContext(ctx, &rows, `SELECT shipment_id AS shipment, kind, message, coalesce(resolution, '') AS resolution,
			resolved_at IS NULL AS open, suppressing FROM flags WHERE seller_id = $1`, seller); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			table = append(table, fmt.Sprintf("%+v", r))
		}
		sort.Strings(table)
		return changes, table
	}
	eachChanges, eachTable := run(func(tx *sqlx.Tx) (store.RuleChanges, error) {
		var out store.RuleChanges
		for _, r := range flag.Rules {
			ch, err := st.ApplyRule(ctx, tx, r, seller, now, ids)
			if err != nil {
				return out, err
			}
			out.Raised, out.Resolved = append(out.Raised, ch.Raised...), append(out.Resolved, ch.Resolved...)
		}
		return out, nil
	})
	oneChanges, oneTable := run(func(tx *sqlx.Tx) (store.RuleChanges, error) {
		return st.ApplyRules(ctx, tx, flag.Rules, seller, now, ids)
	})
	if len(eachChanges) < 100 {
		t.Fatalf("ApplyRule of each rule changed %d flags: the fixture exercises too little", len(eachChanges))
	}
	// Within a rule the order of shipments is the statement's own.
	sort.Strings(eachChanges)
	sort.Strings(oneChanges)
	if diff := cmp.Diff(eachChanges, oneChanges); diff != "" {
		t.Errorf("ApplyRules returned other changes than ApplyRule of each rule (-each +one):\n%s", diff)
	}
	if diff := cmp.Diff(eachTable, oneTable); diff != "" {
		t.Errorf("ApplyRules left other flags than ApplyRule of each rule (-each +one):\n%s", diff)
	}
}
