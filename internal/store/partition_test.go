package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	neturl "net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// evidenceTables are the tables an operator may partition by hash of
// seller_id (docs/evidence.md, Partitioning).
var evidenceTables = []string{
	"tracking_events", "evidence_chains", "proof_of_delivery", "proof_images",
	"evidence_checkpoints", "evidence_checkpoint_leaves",
}

// partitionKeyExceptions are the keys of evidenceTables allowed not to
// lead with seller_id, with the reason.
var partitionKeyExceptions = map[string]string{
	"evidence_chains_pkey": "evidence_chains stays one table for now: the lookups by chain id alone " +
		"(the purge's pick, saveChains, the proofs' join to their chain) use it, and every foreign key " +
		"to it references the unique (seller_id, id) evidence_chains_tenant (migration 0019)",
}

// TestEvidenceKeysArePartitionReady reads every primary key, unique
// constraint, unique index and foreign key of the evidence tables, and
// every foreign key pointing at them, and fails when one does not lead
// with seller_id: PostgreSQL refuses such a key on a table partitioned by
// seller_id.
func TestEvidenceKeysArePartitionReady(t *testing.T) {
	t.Parallel()
	db := dbtest.DB(t)
	var keys []struct {
		Table string `db:"tbl"`
		Name  string `db:"name"`
		Kind  string `db:"kind"`
		First string `db:"first"`
		Def   string `db:"def"`
	}
	// Constraints (p, u, f) on the tables, the referenced side of foreign
	// keys into them, and unique indexes backing no constraint.
	err := db.Select(&keys, `
		SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, c.contype::text AS kind,
			a.attname AS first, pg_get_constraintdef(c.oid) AS def
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype IN ('p', 'u', 'f') AND c.conrelid::regclass::text = ANY($1)
		UNION ALL
		SELECT c.confrelid::regclass::text, c.conname || ' (referenced side, from ' || c.conrelid::regclass::text || ')',
			'r', a.attname, pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = c.confkey[1]
		WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY($1)
		UNION ALL
		SELECT i.indrelid::regclass::text, i.indexrelid::regclass::text, 'i', coalesce(a.attname, '(expression)'),
			pg_get_indexdef(i.indexrelid)
		FROM pg_index i LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
		WHERE i.indisunique AND i.indrelid::regclass::text = ANY($1)
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u'))
		ORDER BY 1, 2`, pq.Array(evidenceTables))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatal("no keys read")
	}
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k.Name] = true
		if k.First == "seller_id" {
			continue
		}
		if _, ok := partitionKeyExceptions[k.Name]; ok {
			continue
		}
		t.Errorf("%s: key %s (%s) leads with %s, not seller_id: a table partitioned by seller_id refuses it", k.Table, k.Name, k.Def, k.First)
	}
	for name := range partitionKeyExceptions {
		if !seen[name] {
			t.Errorf("exception %s names no key any more: remove it", name)
		}
	}
}

// TestEvidenceKeysMakeAPartitionedTable builds hash-partitioned copies of
// tracking_events, proof_of_delivery and proof_images with their columns
// and every key read from the catalog (unique keys, unique indexes and
// foreign keys, the ones between these tables pointing at the copies),
// which PostgreSQL refuses if a key lacks the partition key, and writes
// rows through them. A key without seller_id is refused, so the test can
// fail.
func TestEvidenceKeysMakeAPartitionedTable(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	su := dbtest.Superuser(t, url)
	ctx := context.Background()
	tx, err := su.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()                                                        //nolint:errcheck // nothing here is kept
	copied := []string{"tracking_events", "proof_of_delivery", "proof_images"} // referenced before referencing
	exec := func(stmt string) {
		t.Helper()
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	for _, table := range copied {
		var cols string
		if err := tx.GetContext(ctx, &cols, `
			SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod)
				|| CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
			FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, table); err != nil {
			t.Fatal(err)
		}
		part := "part_" + table
		exec(`CREATE TABLE ` + part + ` (` + cols + `) PARTITION BY HASH (seller_id)`)
		for r := 0; r < 4; r++ {
			exec(fmt.Sprintf(`CREATE TABLE %s_%d PARTITION OF %s FOR VALUES WITH (MODULUS 4, REMAINDER %d)`, part, r, part, r))
		}
		var keys []struct {
			Name string `db:"name"`
			Def  string `db:"def"`
		}
		if err := tx.SelectContext(ctx, &keys, `
			SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
			WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'f') ORDER BY contype DESC, conname`, table); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			def := k.Def
			for _, other := range copied {
				def = strings.ReplaceAll(def, "REFERENCES "+other+"(", "REFERENCES part_"+other+"(")
			}
			exec(`ALTER TABLE ` + part + ` ADD CONSTRAINT part_` + k.Name + ` ` + def)
		}
		var indexes []string
		if err := tx.SelectContext(ctx, &indexes, `
			SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
			WHERE i.indrelid = $1::regclass AND i.indisunique
				AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u'))`, table); err != nil {
			t.Fatal(err)
		}
		on := regexp.MustCompile(`^CREATE UNIQUE INDEX (\S+) ON public\.` + table + ` `)
		for _, def := range indexes {
			if !on.MatchString(def) {
				t.Fatalf("unexpected index definition %s", def)
			}
			exec(on.ReplaceAllString(def, `CREATE UNIQUE INDEX part_$1 ON `+part+` `))
		}
	}

	// Rows go through the copies' keys: an event, a proof made from it
	// and its photo, for a real seller and chain.
	var seller string
	var chain int64
	if err := tx.GetContext(ctx, &seller, `INSERT INTO sellers (name) VALUES ('Partitioned') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := tx.GetContext(ctx, &chain, `INSERT INTO evidence_chains (seller_id, normalized_tracking_number) VALUES ($1, 'T1') RETURNING id`, seller); err != nil {
		t.Fatal(err)
	}
	hash := make([]byte, 32)
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO part_tracking_events (id, seller_id, normalized_tracking_number, fingerprint, source, occurred_at, status,
			carrier, carrier_status, provider_status, provider_detail, description, city, region, postal_code, country,
			signed_by, photo_url, received_at, chain_id, seq, content_hash, chain_hash, occurred_local)
		VALUES (1, $1, 'T1', '\x01', 'EASYPOST', now(), 'DELIVERED', '', '', '', '', '', '', '', '', '', 'A', '', now(), $2, 1, $3, $3, '')`,
		seller, chain, hash); err != nil {
		t.Fatalf("insert event into the partitioned copy: %v", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO part_proof_of_delivery (id, seller_id, chain_id, seq, event_id, delivered_at, signed_by, location_description,
			photo_sha256, signature_sha256, carrier_reference, source, recorded_at, content_hash, chain_hash)
		VALUES ('00000000-0000-0000-0000-000000000001', $1, $2, 2, 1, now(), 'A', '', '', '', '', 'EASYPOST', now(), $3, $3)`,
		seller, chain, hash); err != nil {
		t.Fatalf("insert proof into the partitioned copy: %v", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO part_proof_images (seller_id, proof_id, kind, content_type, data)
		VALUES ($1, '00000000-0000-0000-0000-000000000001', 'photo', 'image/png', '\x00')`, seller); err != nil {
		t.Fatalf("insert image into the partitioned copy: %v", err)
	}
	// The copied foreign key holds: a proof of an event that is not there
	// is refused.
	if _, err := tx.ExecContext(ctx, `SAVEPOINT fk`); err != nil {
		t.Fatal(err)
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO part_proof_of_delivery (id, seller_id, chain_id, seq, event_id, delivered_at, signed_by, location_description,
			photo_sha256, signature_sha256, carrier_reference, source, recorded_at, content_hash, chain_hash)
		VALUES ('00000000-0000-0000-0000-000000000002', $1, $2, 3, 99, now(), 'A', '', '', '', '', 'EASYPOST', now(), $3, $3)`,
		seller, chain, hash)
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "23503" {
		t.Errorf("proof of a missing event in the partitioned copy: got %v, want a foreign key violation", err)
	}
	if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT fk`); err != nil {
		t.Fatal(err)
	}

	// The control: PostgreSQL refuses a key without the partition key, as
	// it would have refused tracking_events' old primary key (id).
	_, err = tx.ExecContext(ctx, `ALTER TABLE part_tracking_events ADD CONSTRAINT part_by_id UNIQUE (id)`)
	if !errors.As(err, &pqErr) || !strings.Contains(pqErr.Message, "partition") {
		t.Errorf("UNIQUE (id) on the partitioned copy: got %v, want a refusal naming the partition key", err)
	}
}

// evidencePlan is the part of EXPLAIN (FORMAT JSON) the evidence plan
// test reads.
type evidencePlan struct {
	NodeType  string         `json:"Node Type"`
	Relation  string         `json:"Relation Name"`
	Alias     string         `json:"Alias"`
	Index     string         `json:"Index Name"`
	IndexCond string         `json:"Index Cond"`
	Plans     []evidencePlan `json:"Plans"`
}

// evidenceScans lists how each of the partitionable evidence tables is
// read: by an index whose condition names seller_id (the leading column
// of every key now) and the column after it, or not. A bitmap heap scan is judged by its index
// scans below it.
func (n evidencePlan) evidenceScans(out []string) []string {
	switch n.Relation {
	case "tracking_events", "proof_of_delivery", "proof_images":
		if n.NodeType == "ModifyTable" {
			break
		}
		conds, index := n.IndexCond, n.Index
		if n.NodeType == "Bitmap Heap Scan" {
			for _, c := range n.Plans {
				conds, index = conds+" "+c.IndexCond, index+" "+c.Index
			}
		}
		// seller_id and more: a condition on seller_id alone reads a
		// seller's whole range of the index.
		verdict := "by key"
		if index == "" || !strings.Contains(conds, "seller_id") || !strings.Contains(conds, " AND ") {
			verdict = "NOT by key"
		}
		out = append(out, fmt.Sprintf("%s: %s %s %s (%s)", verdict, n.NodeType, n.Relation, strings.TrimSpace(index), strings.TrimSpace(conds)))
	}
	for _, c := range n.Plans {
		out = c.evidenceScans(out)
	}
	return out
}

// loadEvidence gives seller chains of other parcels, each with events, a
// proof and its photo, and analyses the tables: the lookups below must
// pick out one chain's or one proof's rows among them, and the planner
// must know there are many.
func loadEvidence(t *testing.T, su *sqlx.DB, seller string, chains int) {
	t.Helper()
	ctx := context.Background()
	if _, err := su.ExecContext(ctx, `
		INSERT INTO evidence_chains (seller_id, normalized_tracking_number, records)
		SELECT $1, 'LOAD' || i, 6 FROM generate_series(1, $2::int) AS i`, seller, chains); err != nil {
		t.Fatalf("load evidence: %v", err)
	}
	for _, stmt := range []string{`
		INSERT INTO tracking_events (seller_id, normalized_tracking_number, fingerprint, source, occurred_at, status,
			chain_id, seq, content_hash, chain_hash)
		SELECT c.seller_id, c.normalized_tracking_number, sha256((c.id || '/' || s)::bytea), 'EASYPOST', now(), 'IN_TRANSIT',
			c.id, s, sha256('c'::bytea), sha256('h'::bytea)
		FROM evidence_chains c, generate_series(1, 5) AS s WHERE c.seller_id = $1 AND c.normalized_tracking_number LIKE 'LOAD%'`, `
		INSERT INTO proof_of_delivery (seller_id, chain_id, seq, event_id, delivered_at, signed_by, source, recorded_at,
			content_hash, chain_hash, photo_sha256)
		SELECT e.seller_id, e.chain_id, 6, e.id, now(), 'Ann', 'EASYPOST', now(), sha256('c'::bytea), sha256('h'::bytea),
			encode(sha256('\x00'::bytea), 'hex')
		FROM tracking_events e WHERE e.seller_id = $1 AND e.seq = 5 AND e.normalized_tracking_number LIKE 'LOAD%'`, `
		INSERT INTO proof_images (seller_id, proof_id, kind, content_type, data)
		SELECT p.seller_id, p.id, 'photo', 'image/png', '\x00' FROM proof_of_delivery p
		WHERE p.seller_id = $1 AND p.seq = 6`,
	} {
		if _, err := su.ExecContext(ctx, stmt, seller); err != nil {
			t.Fatalf("load evidence: %v", err)
		}
	}
	if _, err := su.ExecContext(ctx, `ANALYZE evidence_chains, tracking_events, proof_of_delivery, proof_images`); err != nil {
		t.Fatal(err)
	}
}

// TestEvidenceLookupPlans EXPLAINs every lookup that used the evidence
// tables' old keys, sequential scans disabled, and fails when one cannot
// read a table through an index led by seller_id (a scan that only
// filters on chain_id or proof_id would read a whole index).
func TestEvidenceLookupPlans(t *testing.T) {
	t.Parallel()
	url := dbtest.URL(t)
	su := dbtest.Superuser(t, url)
	ctx := context.Background()
	var seller, other, shipmentID string
	if err := su.GetContext(ctx, &seller, `INSERT INTO sellers (name) VALUES ('Plans') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := su.GetContext(ctx, &other, `INSERT INTO sellers (name) VALUES ('Other') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if err := su.GetContext(ctx, &shipmentID, `
		INSERT INTO shipments (seller_id, order_id, tracking_number, normalized_tracking_number)
		VALUES ($1, 'O-1', 'T1', 'T1') RETURNING id`, seller); err != nil {
		t.Fatal(err)
	}
	loadEvidence(t, su, seller, 2000)
	loadEvidence(t, su, other, 200)
	tx, err := su.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	plan := func(t *testing.T, q sqlx.QueryerContext, query string, args ...any) []string {
		t.Helper()
		var raw []byte
		if err := q.QueryRowxContext(ctx, `EXPLAIN (FORMAT JSON) `+query, args...).Scan(&raw); err != nil {
			t.Fatalf("EXPLAIN: %v", err)
		}
		var plans []struct{ Plan evidencePlan }
		if err := json.Unmarshal(raw, &plans); err != nil {
			t.Fatal(err)
		}
		return plans[0].Plan.evidenceScans(nil)
	}
	proof := "00000000-0000-0000-0000-000000000001"
	ids := pq.Array([]int64{1, 2})
	var missing flag.Rule
	for _, r := range flag.Rules {
		if r.Kind == flag.ProofMissing {
			missing = r
		}
	}
	if missing.Custom == "" {
		t.Fatal("no PROOF_MISSING rule")
	}
	lookups := []struct {
		name  string
		query string
		args  []any
	}{
		{"ReadChain events", store.ChainEventsSQL, []any{seller, 1}},
		{"ReadChain proofs", store.ChainProofsSQL, []any{seller, 1}},
		{"ChainHashesAt", store.ChainHashesSQL, []any{seller, ids, ids}},
		{"Proof", store.ProofSelectSQL + ` WHERE p.seller_id = $1 AND p.id = $2`, []any{seller, proof}},
		{"ProofImage", `SELECT content_type, data FROM proof_images WHERE seller_id = $1 AND proof_id = $2 AND kind = $3`, []any{seller, proof, "photo"}},
		{"ProofImages", `SELECT proof_id, kind, content_type, data FROM proof_images WHERE seller_id = $1 AND proof_id = ANY($2::uuid[])`, []any{seller, pq.Array([]string{proof})}},
		{"PROOF_MISSING", `SELECT * FROM (` + missing.Candidates(true) + `) c WHERE $2::timestamptz IS NOT NULL`, []any{seller, "2026-01-01T00:00:00Z", pq.Array([]string{shipmentID})}},
		// The checks of the foreign keys into the changed keys, as
		// PostgreSQL runs them when the purge deletes a referenced row.
		{"event foreign key check", `SELECT 1 FROM proof_of_delivery WHERE seller_id = $1 AND event_id = $2 FOR KEY SHARE`, []any{seller, 1}},
		{"chain foreign key check on events", `SELECT 1 FROM tracking_events WHERE seller_id = $1 AND chain_id = $2 FOR KEY SHARE`, []any{seller, 1}},
		{"chain foreign key check on proofs", `SELECT 1 FROM proof_of_delivery WHERE seller_id = $1 AND chain_id = $2 FOR KEY SHARE`, []any{seller, 1}},
		{"proof foreign key check on images", `SELECT 1 FROM proof_images WHERE seller_id = $1 AND proof_id = $2 FOR KEY SHARE`, []any{seller, proof}},
	}
	for _, l := range lookups {
		t.Run(l.name, func(t *testing.T) {
			scans := plan(t, tx, l.query, l.args...)
			if len(scans) == 0 {
				t.Fatalf("%s reads no evidence table", l.name)
			}
			for _, s := range scans {
				if !strings.HasPrefix(s, "by key") {
					t.Errorf("%s reads %s", l.name, s)
				}
			}
		})
	}
}

// TestPurgePlans runs the retention purge with auto_explain reporting the
// plan of every statement inside it, the foreign key checks of its deletes
// included, sequential scans disabled, and fails when one reads an
// evidence table other than through an index led by seller_id.
func TestPurgePlans(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	sh := f.shipment("quiet", number)
	e := ev("2023-01-10T10:00:00Z", shipment.StatusDelivered, "Delivered")
	e.Event.SignedBy = "Ann"
	f.insert(e)
	err := f.st.Transact(ctx, func(tx *sqlx.Tx) error {
		ps, err := f.st.EventProofs(ctx, tx, f.seller, []store.NewEvent{e})
		if err != nil {
			return err
		}
		_, err = f.st.InsertProofs(ctx, tx, f.seller, ps)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	f.proofs(store.NewProof{Chain: store.ChainOf(sh), ShipmentID: sh.ID, DeliveredAt: at("2023-01-10T10:00:00Z"),
		SignedBy: "Ann", Source: shipment.SourceBackOffice, Photo: &store.Image{ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\n")}})
	old := now.Add(-3 * 365 * 24 * time.Hour)
	f.tamper(`UPDATE evidence_chains SET updated_at = $1`, old)
	f.tamper(`UPDATE shipments SET updated_at = $1, last_event_at = $1`, old)
	loadEvidence(t, f.super, f.seller, 2000)

	var plans []string
	connector, err := pq.NewConnector(dbtest.SuperuserURL(f.url))
	if err != nil {
		t.Fatal(err)
	}
	db := sqlx.NewDb(sql.OpenDB(pq.ConnectorWithNoticeHandler(connector, func(n *pq.Error) {
		plans = append(plans, n.Message)
	})), "postgres")
	defer db.Close()
	conn, err := db.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range []string{
		`LOAD 'auto_explain'`, `SET auto_explain.log_min_duration = 0`, `SET auto_explain.log_nested_statements = on`,
		`SET auto_explain.log_format = json`, `SET auto_explain.log_level = notice`, `SET enable_seqscan = off`,
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	var n store.Purged
	if err := conn.QueryRowxContext(ctx, `SELECT chains, events, proofs, images FROM shipwatch_purge_evidence($1, 10)`,
		now.Add(-2*365*24*time.Hour)).Scan(&n.Chains, &n.Events, &n.Proofs, &n.Images); err != nil {
		t.Fatal(err)
	}
	if want := (store.Purged{Chains: 1, Events: 1, Proofs: 2, Images: 1}); n != want {
		t.Fatalf("purge = %+v, want %+v", n, want)
	}
	var scans []string
	for _, p := range plans {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			continue
		}
		var explained struct {
			Query string       `json:"Query Text"`
			Plan  evidencePlan `json:"Plan"`
		}
		if err := json.Unmarshal([]byte(p[i:]), &explained); err != nil {
			t.Fatalf("auto_explain output %q: %v", p, err)
		}
		for _, s := range explained.Plan.evidenceScans(nil) {
			scans = append(scans, s)
			if !strings.HasPrefix(s, "by key") {
				t.Errorf("the purge reads %s in %s", s, strings.Join(strings.Fields(explained.Query), " "))
			}
		}
	}
	t.Logf("evidence reads in the purge: %q", scans)
	// Three deletes, the images' join, the foreign key checks.
	if len(scans) < 5 {
		t.Errorf("auto_explain reported %d reads of evidence tables in the purge, want at least 5: %q", len(scans), scans)
	}
}

// TestMigration0019OnPopulatedTables applies migration 0019 to a database
// migrated to 0018 that holds a chain of events, a proof made from one of
// them and its photo: the rows stay, the new foreign keys are validated
// and enforced (another seller's event is refused too), and the file runs
// again on the migrated tables without error, as a file run outside a
// transaction must.
func TestMigration0019OnPopulatedTables(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	su := dbtest.Superuser(t, dbtest.URL(t))
	suffix := make([]byte, 6)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	name := "shipwatch_m0019_" + hex.EncodeToString(suffix)
	if _, err := su.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { su.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`) }) //nolint:errcheck // best effort
	u, err := neturl.Parse(dbtest.SuperuserURL(dbtest.URL(t)))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db := sqlx.MustOpen("postgres", u.String())
	t.Cleanup(func() { db.Close() })

	const m19 = "0019_partition_ready_evidence_keys.sql"
	all := withMigrations(t, nil)
	before := fstest.MapFS{}
	for p, f := range all {
		if p < "0019" {
			before[p] = f
		}
	}
	if err := store.MigrateFS(ctx, db.DB, before); err != nil {
		t.Fatalf("migrate to 0018: %v", err)
	}
	var seller, other string
	var chain, event int64
	var proof string
	hash := make([]byte, 32)
	get := func(dest any, query string, args ...any) {
		t.Helper()
		if err := db.QueryRowxContext(ctx, query, args...).Scan(dest); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	get(&seller, `INSERT INTO sellers (name) VALUES ('Before') RETURNING id`)
	get(&other, `INSERT INTO sellers (name) VALUES ('Other') RETURNING id`)
	get(&chain, `INSERT INTO evidence_chains (seller_id, normalized_tracking_number, records) VALUES ($1, 'T1', 4) RETURNING id`, seller)
	get(&event, `
		INSERT INTO tracking_events (seller_id, normalized_tracking_number, fingerprint, source, occurred_at, status, chain_id, seq, content_hash, chain_hash)
		SELECT $1, 'T1', sha256(s::text::bytea), 'EASYPOST', now(), 'DELIVERED', $2, s, $3, $3 FROM generate_series(1, 3) AS s
		RETURNING id`, seller, chain, hash)
	get(&proof, `
		INSERT INTO proof_of_delivery (seller_id, chain_id, seq, event_id, delivered_at, signed_by, source, recorded_at, content_hash, chain_hash)
		VALUES ($1, $2, 4, $3, now(), 'Ann', 'EASYPOST', now(), $4, $4) RETURNING id`, seller, chain, event, hash)
	get(new(string), `INSERT INTO proof_images (seller_id, proof_id, kind, content_type, data)
		VALUES ($1, $2, 'photo', 'image/png', '\x00') RETURNING kind`, seller, proof)

	if err := store.MigrateFS(ctx, db.DB, all); err != nil {
		t.Fatalf("migrate 0019 over populated tables: %v", err)
	}
	// The file again, as a later version: every statement can run twice.
	again := withMigrations(t, map[string]string{"9019_again.sql": string(all[m19].Data)})
	if err := store.MigrateFS(ctx, db.DB, again); err != nil {
		t.Fatalf("0019 run a second time: %v", err)
	}
	var counts [3]int
	if err := db.QueryRowxContext(ctx, `SELECT (SELECT count(*) FROM tracking_events), (SELECT count(*) FROM proof_of_delivery),
		(SELECT count(*) FROM proof_images)`).Scan(&counts[0], &counts[1], &counts[2]); err != nil {
		t.Fatal(err)
	}
	if counts != [3]int{3, 1, 1} {
		t.Errorf("rows after 0019 (events, proofs, images) = %v, want [3 1 1]", counts)
	}
	var defs []string
	if err := db.SelectContext(ctx, &defs, `
		SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' NOT VALID' END
		FROM pg_constraint WHERE conrelid = ANY('{tracking_events,proof_of_delivery,proof_images}'::regclass[]) AND contype IN ('p', 'u', 'f')
		ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"proof_images proof_images_pkey PRIMARY KEY (seller_id, proof_id, kind)",
		"proof_images proof_images_proof_fk FOREIGN KEY (seller_id, proof_id) REFERENCES proof_of_delivery(seller_id, id)",
		"proof_of_delivery proof_of_delivery_event_fk FOREIGN KEY (seller_id, event_id) REFERENCES tracking_events(seller_id, id)",
		"proof_of_delivery proof_of_delivery_pkey PRIMARY KEY (seller_id, id)",
		"proof_of_delivery proof_of_delivery_seq UNIQUE (seller_id, chain_id, seq)",
		"tracking_events tracking_events_pkey PRIMARY KEY (seller_id, id)",
	}
	got := strings.Join(defs, "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("after 0019 no constraint %q; have:\n%s", w, got)
		}
	}
	var invalid int
	if err := db.GetContext(ctx, &invalid, `SELECT count(*) FROM pg_index WHERE NOT indisvalid`); err != nil || invalid != 0 {
		t.Errorf("invalid indexes after 0019: %d, %v", invalid, err)
	}
	// A proof naming another seller's event was let through by the old
	// foreign key (event_id alone); the new one refuses it.
	var otherChain int64
	if err := db.GetContext(ctx, &otherChain, `INSERT INTO evidence_chains (seller_id, normalized_tracking_number) VALUES ($1, 'T1') RETURNING id`, other); err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `
		INSERT INTO proof_of_delivery (seller_id, chain_id, seq, event_id, delivered_at, signed_by, source, recorded_at, content_hash, chain_hash)
		VALUES ($1, $2, 1, $3, now(), 'Ann', 'EASYPOST', now(), $4, $4)`, other, otherChain, event, hash)
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "23503" || pqErr.Constraint != "proof_of_delivery_event_fk" {
		t.Errorf("proof naming another seller's event: got %v, want a violation of proof_of_delivery_event_fk", err)
	}
}
