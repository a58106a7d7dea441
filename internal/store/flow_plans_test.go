package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/store"
)

// The silence and flow checks read every busy webhook source's hourly
// counts each sweep: each window is read by the counts' primary key (a
// range of one source's hours), on a table never analysed (right after
// a load) as on one analysed, never by a scan of the table or of the
// retention index.
func TestSourceDeliveriesPlan(t *testing.T) {
	su, seller := planDB(t, "source_delivery_hours", "Busy")
	ctx := context.Background()
	// 500 sources, nine days of hours each: 108,000 rows.
	sources := insertWebhookSources(t, su, seller, 500)
	now := time.Now().UTC().Truncate(time.Hour)
	if _, err := su.ExecContext(ctx, `
		INSERT INTO source_delivery_hours (seller_id, source_id, hour, deliveries)
		SELECT $1, s, $3::timestamptz - h * interval '1 hour', 40
		FROM unnest($2::uuid[]) AS s, generate_series(1, 216) AS h`, seller, pq.Array(sources), now); err != nil {
		t.Fatal(err)
	}
	var sellers, ids []string
	var from, to []time.Time
	for d := 0; d <= 7; d++ {
		back := time.Duration(d) * 24 * time.Hour
		sellers, ids = append(sellers, seller), append(ids, sources[7])
		from, to = append(from, now.Add(-3*time.Hour-back)), append(to, now.Add(-back))
	}
	for _, analysed := range []bool{false, true} {
		if analysed {
			if _, err := su.ExecContext(ctx, `ANALYZE source_delivery_hours`); err != nil {
				t.Fatal(err)
			}
		}
		var raw []byte
		if err := su.QueryRowContext(ctx, `EXPLAIN (FORMAT JSON) `+store.SourceDeliveriesSQL,
			pq.Array(sellers), pq.Array(ids), pq.Array(from), pq.Array(to)).Scan(&raw); err != nil {
			t.Fatalf("EXPLAIN: %v", err)
		}
		var plans []struct{ Plan hoursPlan }
		if err := json.Unmarshal(raw, &plans); err != nil {
			t.Fatal(err)
		}
		scans := plans[0].Plan.scans(nil)
		if len(scans) == 0 {
			t.Fatalf("analysed %v: the statement reads no hourly counts", analysed)
		}
		for _, s := range scans {
			if s != "Index Scan source_delivery_hours_pkey" && s != "Bitmap Heap Scan source_delivery_hours_pkey" {
				t.Errorf("analysed %v: hourly counts read with %s, want the primary key", analysed, s)
			}
		}
	}
}

// hoursPlan is a node of a JSON plan, for the scans of source_delivery_hours.
type hoursPlan struct {
	NodeType string      `json:"Node Type"`
	Relation string      `json:"Relation Name"`
	Index    string      `json:"Index Name"`
	Plans    []hoursPlan `json:"Plans"`
}

func (n hoursPlan) scans(out []string) []string {
	if n.Relation == "source_delivery_hours" {
		index := n.Index
		for _, c := range n.Plans {
			if index == "" {
				index = c.Index
			}
		}
		out = append(out, n.NodeType+" "+index)
	}
	for _, c := range n.Plans {
		out = c.scans(out)
	}
	return out
}

// insertWebhookSources adds n EasyPost sources to the seller (as the
// superuser su) and returns their ids: the busy sources the plan tests of
// the silence, flow and carrier checks read.
func insertWebhookSources(t *testing.T, su *sqlx.DB, seller string, n int) []string {
	t.Helper()
	var sources []string
	if err := su.SelectContext(context.Background(), &sources, `
		INSERT INTO tracking_sources (seller_id, provider, secret_sealed, key_id)
		SELECT $1, 'EASYPOST', decode(repeat('ab', 40), 'hex'), 'k' FROM generate_series(1, $2::int)
		RETURNING id`, seller, n); err != nil {
		t.Fatal(err)
	}
	return sources
}
