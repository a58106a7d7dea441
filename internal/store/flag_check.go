package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/flag"
)

// ApplyRules is ApplyRule of every rule given, in one statement: what a
// check of given shipments runs. The shipments are read by key once, each
// rule's condition is evaluated over that one reading, the shipments' open
// (or suppressing) flags of the rules' kinds are read and locked once, and
// the flags that no longer hold are resolved and the new ones raised by one
// UPDATE and one INSERT. A rule per statement read the shipments and their
// flags again for each of the dozen rules, which was most of an import
// batch's time (docs/imports.md). The outcome is ApplyRule's for each rule
// in turn: the rules touch disjoint flags (one kind each), and each rule's
// resolved and raised shipments are disjoint. The flags come back in the
// order of rules, as a loop over ApplyRule returns them.
func (s *Store) ApplyRules(ctx context.Context, q sqlx.QueryerContext, rules []flag.Rule, sellerID string, at time.Time, ids []string) (RuleChanges, error) {
	out := RuleChanges{Resolved: []flag.Flag{}, Raised: []flag.Flag{}}
	if len(ids) == 0 || len(rules) == 0 {
		return out, nil
	}
	kinds := make([]string, len(rules))
	severities := make([]string, len(rules))
	order := make(map[flag.Kind]int, len(rules))
	for i, r := range rules {
		kinds[i], severities[i] = string(r.Kind), string(r.Severity)
		order[r.Kind] = i
	}
	rows := []struct {
		Raised bool `db:"raised"`
		flag.Flag
	}{}
	err := sqlx.SelectContext(ctx, q, &rows, applyRulesSQL(rules), sellerID, at, pq.Array(ids), pq.Array(kinds), pq.Array(severities))
	if err != nil {
		return RuleChanges{}, fmt.Errorf("apply rules: %w", mapErr(err))
	}
	sort.SliceStable(rows, func(i, j int) bool { return order[rows[i].Kind] < order[rows[j].Kind] })
	for _, row := range rows {
		if row.Raised {
			out.Raised = append(out.Raised, row.Flag)
		} else {
			out.Resolved = append(out.Resolved, row.Flag)
		}
	}
	return out, nil
}

// applyRulesSQL is ApplyRules' statement for rules: $1 the seller, $2 the
// time, $3 the shipments, $4 the rules' kinds and $5 their severities, in
// the order of rules (c.rule indexes them). The statement is built from
// the catalogue alone and kept, one per list of rules.
func applyRulesSQL(rules []flag.Rule) string {
	key := make([]string, len(rules))
	for i, r := range rules {
		key[i] = string(r.Kind)
	}
	k := strings.Join(key, ",")
	applyRulesMu.Lock()
	defer applyRulesMu.Unlock()
	if q, ok := applyRulesCache[k]; ok {
		return q
	}
	var c strings.Builder
	for i, r := range rules {
		if i > 0 {
			c.WriteString("\n\t\t\tUNION ALL\n\t\t\t")
		}
		// The rule's number is an int the catalogue gives, not input.
		c.WriteString(`SELECT ` + strconv.Itoa(i+1) + ` AS rule, r.shipment_id, r.message FROM (` + r.Scoped() + `) r`)
	}
	q := `
		WITH ` + flag.ScopedShipments + `,
		c AS MATERIALIZED (
			SELECT r.shipment_id, ($4::text[])[r.rule] AS kind, ($5::text[])[r.rule] AS severity, r.message
			FROM (` + c.String() + `) r
		), existing AS MATERIALIZED (` + openFlagsOf + `
		), target AS (
			SELECT e.id, e.was_open FROM existing e
			WHERE NOT EXISTS (SELECT 1 FROM c WHERE c.shipment_id = e.shipment_id AND c.kind = e.kind)
		), resolved AS (
			UPDATE flags f SET suppressing = false,
				resolved_at = coalesce(f.resolved_at, greatest($2::timestamptz, f.raised_at)),
				resolution = coalesce(f.resolution, 'AUTO')
			FROM target t WHERE f.id = t.id
			RETURNING f.*, t.was_open
		), raised AS (
			INSERT INTO flags (seller_id, shipment_id, kind, severity, message, raised_at)
			SELECT $1::uuid, c.shipment_id, c.kind, c.severity, c.message, $2::timestamptz
			FROM c
			WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.shipment_id = c.shipment_id AND e.kind = c.kind)
			ON CONFLICT (shipment_id, kind) WHERE resolved_at IS NULL DO NOTHING
			RETURNING *
		)
		SELECT false AS raised, ` + flagColumns + ` FROM resolved WHERE was_open
		UNION ALL
		SELECT true, ` + flagColumns + ` FROM raised`
	applyRulesCache[k] = q
	return q
}

var (
	applyRulesMu    sync.Mutex
	applyRulesCache = map[string]string{}
)

// openFlagsOf selects and locks the open (or suppressing) flags of kinds
// $4 of shipments $3, in ascending (shipment_id, kind): those a check may
// resolve, and those that keep it from raising a flag again. Each
// shipment's flags are read by shipment id (flags_shipment_idx) whatever
// the statistics say: the kinds are compared in a form no index matches
// (as kindNotIndexed), so the planner never reads every open flag of a
// kind instead.
const openFlagsOf = `
			SELECT f.id, f.shipment_id, f.kind, f.resolved_at IS NULL AS was_open
			FROM (SELECT DISTINCT id FROM unnest($3::uuid[]) AS k(id) ORDER BY id) k
			CROSS JOIN LATERAL (
				SELECT * FROM flags WHERE shipment_id = k.id AND (kind || '') = ANY($4::text[]) AND (resolved_at IS NULL OR suppressing)
				ORDER BY kind FOR UPDATE OFFSET 0) f
			WHERE f.seller_id = $1::uuid`
