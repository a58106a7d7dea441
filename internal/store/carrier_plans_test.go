package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// The carrier check reads every working webhook source's counts per
// carrier each sweep: each source's hours by the primary key (the source
// and a range of hours), on a table never analysed as on one analysed,
// never by a scan of the table or of the retention index. And its count of
// a seller's open shipments of one carrier reads the no-news rules'
// partial indexes, like the silence check's.
func TestCarrierDeliveriesPlan(t *testing.T) {
	su, seller := planDB(t, "source_carrier_hours", "Busy")
	ctx := context.Background()
	// 200 sources, nine days of hours each, three carriers: 129,600 rows.
	sources := insertWebhookSources(t, su, seller, 200)
	now := time.Now().UTC().Truncate(time.Hour)
	if _, err := su.ExecContext(ctx, `
		INSERT INTO source_carrier_hours (seller_id, source_id, hour, carrier, deliveries)
		SELECT $1, s, $3::timestamptz - h * interval '1 hour', c, 20
		FROM unnest($2::uuid[]) AS s, generate_series(1, 216) AS h, unnest(ARRAY['UPS', 'USPS', 'FEDEX']) AS c`,
		seller, pq.Array(sources), now); err != nil {
		t.Fatal(err)
	}
	// What the carrier check asks: the last 24 hours and the same hours a
	// week before (two ranges), then the six days between (one range).
	type ranges struct {
		from, to []time.Time
		first    []int
	}
	asked := []ranges{
		{[]time.Time{now.Add(-24 * time.Hour), now.Add(-8 * 24 * time.Hour)}, []time.Time{now, now.Add(-7 * 24 * time.Hour)}, []int{0, 24}},
		{[]time.Time{now.Add(-7 * 24 * time.Hour)}, []time.Time{now.Add(-24 * time.Hour)}, []int{0}},
	}
	sellers, ids := []string{seller, seller}, []string{sources[7], sources[8]}
	for _, analysed := range []bool{false, true} {
		if analysed {
			if _, err := su.ExecContext(ctx, `ANALYZE source_carrier_hours`); err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range asked {
			var raw []byte
			if err := su.QueryRowContext(ctx, `EXPLAIN (FORMAT JSON) `+store.CarrierDeliveriesSQL,
				pq.Array(sellers), pq.Array(ids), pq.Array(r.from), pq.Array(r.to), pq.Array(r.first)).Scan(&raw); err != nil {
				t.Fatalf("EXPLAIN: %v", err)
			}
			var plans []struct{ Plan hoursPlan }
			if err := json.Unmarshal(raw, &plans); err != nil {
				t.Fatal(err)
			}
			scans := plans[0].Plan.scansOf("source_carrier_hours", nil)
			if len(scans) == 0 {
				t.Fatalf("analysed %v: the statement reads no hourly counts", analysed)
			}
			for _, s := range scans {
				if s != "Index Scan source_carrier_hours_pkey" && s != "Bitmap Heap Scan source_carrier_hours_pkey" &&
					s != "Index Only Scan source_carrier_hours_pkey" {
					t.Errorf("analysed %v, %d ranges: hourly counts per carrier read with %s, want the primary key", analysed, len(r.from), s)
				}
			}
		}
	}
	// The counts themselves: each carrier's hours, in the hours' order,
	// an hour without a row counting nothing.
	got, err := store.New(su).CarrierDeliveries(ctx, []string{seller}, []string{sources[7]},
		[]time.Time{now.Add(-time.Hour), now.Add(time.Hour), now.Add(-2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var carriers []string
	for _, c := range got {
		carriers = append(carriers, c.Carrier)
		if c.Source != 0 || len(c.Counts) != 3 || c.Counts[0] != 20 || c.Counts[1] != 0 || c.Counts[2] != 20 {
			t.Errorf("CarrierDeliveries() %s = source %d, %v; want source 0, [20 0 20]", c.Carrier, c.Source, c.Counts)
		}
	}
	if strings.Join(carriers, ",") != "FEDEX,UPS,USPS" {
		t.Errorf("CarrierDeliveries() carriers = %v, want FEDEX, UPS, USPS in order", carriers)
	}
	// Runs of consecutive hours are read as ranges, each count at its
	// hour's place in the list.
	if _, err := su.ExecContext(ctx, `
		UPDATE source_carrier_hours SET deliveries = CASE hour WHEN $2 THEN 7 ELSE 9 END
		WHERE source_id = $1 AND carrier = 'USPS' AND hour IN ($2, $3)`, sources[7], now.Add(-2*time.Hour), now.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err = store.New(su).CarrierDeliveries(ctx, []string{seller, seller}, []string{sources[8], sources[7]}, []time.Time{
		now.Add(-3 * time.Hour), now.Add(-2 * time.Hour), now.Add(-time.Hour), now, now.Add(-25 * time.Hour), now.Add(-24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 || got[5].Source != 1 || got[5].Carrier != "USPS" || !slices.Equal(got[5].Counts, []int{20, 7, 20, 0, 20, 9}) ||
		got[0].Source != 0 || !slices.Equal(got[0].Counts, []int{20, 20, 20, 0, 20, 20}) {
		t.Errorf("CarrierDeliveries() over two runs = %+v; want source 1's USPS [20 7 20 0 20 9] last, source 0's [20 20 20 0 20 20] first", got)
	}
}

// scansOf lists the scans of the relation rel, with their index.
func (n hoursPlan) scansOf(rel string, out []string) []string {
	if n.Relation == rel {
		index := n.Index
		for _, c := range n.Plans {
			if index == "" {
				index = c.Index
			}
		}
		out = append(out, n.NodeType+" "+index)
	}
	for _, c := range n.Plans {
		out = c.scansOf(rel, out)
	}
	return out
}

// The count of a seller's open shipments of one carrier awaiting webhook
// scans reads the no-news rules' partial indexes, with and without
// statistics, like the silence check's count.
func TestAwaitingCarrierScansPlan(t *testing.T) {
	url := dbtest.URL(t)
	su := dbtest.Superuser(t, url)
	ctx := context.Background()
	if _, err := su.ExecContext(ctx, `ALTER TABLE shipments SET (autovacuum_enabled = false)`); err != nil {
		t.Fatal(err)
	}
	var seller, other string
	if err := su.GetContext(ctx, &seller, `INSERT INTO sellers (name) VALUES ('Aggregated') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := su.GetContext(ctx, &other, `INSERT INTO sellers (name) VALUES ('Other') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	loadPlanShipments(t, su, other, 1, 60000)
	loadPlanShipments(t, su, seller, 60001, 120000)
	now := time.Now()
	// The carrier is not indexed: when the statistics say few shipments
	// are of it, a bitmap scan of the same partial index (the window's
	// range, which the shipped or moved bound keeps to 14 days) is as good
	// as reading it in order.
	want := map[string]bool{"Index Scan Backward shipments_unscanned_idx": true, "Index Scan Backward shipments_moving_idx": true,
		"Index Scan shipments_unscanned_idx": true, "Index Scan shipments_moving_idx": true,
		"Bitmap Heap Scan shipments_unscanned_idx": true, "Bitmap Heap Scan shipments_moving_idx": true}
	for _, analysed := range []bool{false, true} {
		if analysed {
			if _, err := su.ExecContext(ctx, `ANALYZE shipments`); err != nil {
				t.Fatal(err)
			}
		}
		scans := planScans(t, su, store.AwaitingCarrierScansSQL, pq.Array([]string{seller}), now, now.Add(-14*24*time.Hour), 10,
			pq.Array([]string{"USPS"}))
		if len(scans) == 0 {
			t.Fatalf("analysed %v: the count reads no shipments", analysed)
		}
		for _, s := range scans {
			if !want[withoutAlias(s)] {
				t.Errorf("analysed %v: the count reads shipments with %s, want the no-news rules' partial indexes", analysed, s)
			}
		}
	}
}
