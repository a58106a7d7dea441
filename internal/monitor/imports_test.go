package monitor_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/dbtest"
	"github.com/shipwatch/shipwatch/internal/ingest"
	"github.com/shipwatch/shipwatch/internal/ingest/ingesttest"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/monitor/monitortest"
	"github.com/shipwatch/shipwatch/internal/store"
)

func newImporter(t *testing.T, batch int) (*monitor.Importer, *store.Store, *sqlx.DB) {
	t.Helper()
	db := dbtest.DB(t)
	svc, st := monitortest.New(t, db)
	im := svc.Importer(monitor.ImportOptions{
		MaxFileBytes: 1 << 30, BatchRows: batch,
		Enqueue: func(context.Context, *sqlx.Tx, string, string) error { return nil }, // loads run by hand
	})
	return im, st, db
}

type shipmentKey struct {
	Order, Number, Service string
	Shipped                time.Time
}

func shipmentsOf(t *testing.T, db *sqlx.DB, sellerID string) map[shipmentKey]int {
	t.Helper()
	var rows []struct {
		OrderID   string    `db:"order_id"`
		Number    string    `db:"normalized_tracking_number"`
		Service   string    `db:"service"`
		ShippedAt time.Time `db:"shipped_at"`
	}
	if err := db.Select(&rows, `SELECT order_id, normalized_tracking_number, service, coalesce(shipped_at, 'epoch') AS shipped_at FROM shipments WHERE seller_id = $1`, sellerID); err != nil {
		t.Fatal(err)
	}
	out := map[shipmentKey]int{}
	for _, r := range rows {
		out[shipmentKey{r.OrderID, r.Number, r.Service, r.ShippedAt.UTC()}]++
	}
	return out
}

// TestLoadImportResumes stops a load after some batches committed and runs
// it again: the result must be exactly that of a load never stopped.
func TestLoadImportResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	im, st, db := newImporter(t, 500)
	var file bytes.Buffer
	if err := ingesttest.WriteAmazonFlatFile(&file, 20_000, 11, nil); err != nil {
		t.Fatal(err)
	}
	load := func(name string, stop bool) store.Import {
		s, err := st.InsertSeller(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		up, err := im.Upload(ctx, s, "f.txt", ingest.FormatAuto, bytes.NewReader(file.Bytes()))
		if err != nil {
			t.Fatalf("Upload() error = %v", err)
		}
		if stop {
			lctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- im.LoadImport(lctx, s.ID, up.ID) }()
			for {
				cur, err := im.Import(ctx, s.ID, up.ID)
				if err != nil {
					t.Fatal(err)
				}
				if cur.RowsProcessed > 0 {
					break
				}
				time.Sleep(time.Millisecond)
			}
			cancel()
			if err := <-done; err == nil {
				t.Fatalf("LoadImport() finished before it was stopped; make the file bigger")
			}
			cur, err := im.Import(ctx, s.ID, up.ID)
			// Batches commit in any order: what committed is a checkpoint,
			// batches beyond it, or both.
			if err != nil || cur.Status != store.ImportProcessing || cur.RowsProcessed == 0 {
				t.Fatalf("stopped import = %+v, %v; want PROCESSING with rows committed", cur, err)
			}
			t.Logf("stopped after %d rows", cur.RowsProcessed)
		}
		// The stopped loader's session may take a moment to end and free
		// the import: until then it is busy, as a job would find it.
		deadline := time.Now().Add(10 * time.Second)
		for err := im.LoadImport(ctx, s.ID, up.ID); err != nil; err = im.LoadImport(ctx, s.ID, up.ID) {
			if !errors.Is(err, monitor.ErrImportBusy) || time.Now().After(deadline) {
				t.Fatalf("LoadImport() error = %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		done, err := im.Import(ctx, s.ID, up.ID)
		if err != nil {
			t.Fatal(err)
		}
		return done
	}
	whole, resumed := load("whole", false), load("resumed", true)
	counts := func(i store.Import) [6]int {
		return [6]int{i.RowsProcessed, *i.RowsTotal, i.Created, i.Updated, i.Rejected, i.InvalidTracking}
	}
	if resumed.Status != store.ImportCompleted || counts(resumed) != counts(whole) {
		t.Errorf("resumed import counts %v, status %s; an uninterrupted one counts %v", counts(resumed), resumed.Status, counts(whole))
	}
	if whole.Created == 0 || whole.RowsProcessed != 20_000 {
		t.Errorf("import = %+v", whole)
	}
	a, b := shipmentsOf(t, db, whole.SellerID), shipmentsOf(t, db, resumed.SellerID)
	if len(a) != whole.Created || len(b) != len(a) {
		t.Fatalf("%d and %d distinct shipments, want %d", len(a), len(b), whole.Created)
	}
	for k, n := range b {
		if n != 1 || a[k] != 1 {
			t.Fatalf("shipment %+v stored %d times after resuming, %d without", k, n, a[k])
		}
	}
	var chunks int
	if err := db.Get(&chunks, `SELECT count(*) FROM shipment_import_chunks`); err != nil || chunks != 0 {
		t.Errorf("%d chunks left after completion (%v), want the files deleted", chunks, err)
	}
}

// TestLoadImportBusy checks that a second loader of one import steps back
// while the first holds it.
func TestLoadImportBusy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	im, st, _ := newImporter(t, 0)
	s, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	up, err := im.Upload(ctx, s, "f.csv", ingest.FormatAuto, bytes.NewReader([]byte("order_id,tracking_number\nA-1,1Z999AA10123456784\n")))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := st.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if ok, err := st.LockImport(ctx, conn, up.ID); !ok || err != nil {
		t.Fatalf("LockImport() = %v, %v", ok, err)
	}
	if err := im.LoadImport(ctx, s.ID, up.ID); !errors.Is(err, monitor.ErrImportBusy) {
		t.Fatalf("LoadImport() with the lock held elsewhere = %v, want ErrImportBusy", err)
	}
	if err := st.UnlockImport(ctx, conn, up.ID); err != nil {
		t.Fatal(err)
	}
	if err := im.LoadImport(ctx, s.ID, up.ID); err != nil {
		t.Fatalf("LoadImport() = %v", err)
	}
	if err := im.LoadImport(ctx, s.ID, up.ID); err != nil {
		t.Fatalf("LoadImport() of a completed import = %v, want a no-op", err)
	}
	got, err := im.Import(ctx, s.ID, up.ID)
	if err != nil || got.Status != store.ImportCompleted || got.Created != 1 {
		t.Errorf("import = %+v, %v", got, err)
	}
}

// TestResumeImports checks that the sweep queues again exactly the loads
// whose loader is gone: PROCESSING, stale and not locked.
func TestResumeImports(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := dbtest.DB(t)
	svc, st := monitortest.New(t, db)
	var queued []string
	im := svc.Importer(monitor.ImportOptions{MaxFileBytes: 1 << 20,
		Enqueue: func(_ context.Context, _ *sqlx.Tx, _, id string) error { queued = append(queued, id); return nil }})
	s, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	file := []byte("order_id,tracking_number\nA-1,1Z999AA10123456784\n")
	var ids []string
	for range 3 {
		up, err := im.Upload(ctx, s, "f.csv", ingest.FormatAuto, bytes.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, up.ID)
	}
	queued = nil
	// 0: a dead loader's, 1: a live loader's (locked), 2: queued, never started.
	for _, id := range ids[:2] {
		if _, err := st.StartImport(ctx, db, s.ID, id); err != nil { // the pool: these "loaders" hold no lock
			t.Fatal(err)
		}
	}
	if n, err := im.ResumeImports(ctx); err != nil || n != 0 {
		t.Fatalf("ResumeImports() with fresh heartbeats = %d, %v; want 0", n, err)
	}
	if _, err := db.Exec(`UPDATE shipment_imports SET heartbeat_at = now() - interval '1 minute'`); err != nil {
		t.Fatal(err)
	}
	conn, err := st.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if ok, err := st.LockImport(ctx, conn, ids[1]); !ok || err != nil {
		t.Fatalf("LockImport() = %v, %v", ok, err)
	}
	if n, err := im.ResumeImports(ctx); err != nil || n != 1 || len(queued) != 1 || queued[0] != ids[0] {
		t.Fatalf("ResumeImports() = %d, %v, queued %v; want only %s", n, err, queued, ids[0])
	}
	if n, err := im.ResumeImports(ctx); err != nil || n != 0 {
		t.Errorf("ResumeImports() again at once = %d, %v; want 0: the claim refreshed the heartbeat", n, err)
	}
}

// TestLoadImportSharedNumbers loads a file whose batches share tracking
// numbers and identities, so batches in flight together would lock the
// same shipments: they must be written one after the other, with exact
// counts.
func TestLoadImportSharedNumbers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	im, st, db := newImporter(t, 100)
	s, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	numbers := []string{"1Z999AA10123456784", "9400111206206406260787", "1Z999AA10123456785"}
	var file bytes.Buffer
	file.WriteString("order_id,tracking_number,service\n")
	for i := range 3000 {
		// 500 orders, each on 6 lines spread over the file, numbers shared by all.
		fmt.Fprintf(&file, "O-%d,%s,s%d\n", i%500, numbers[i%3], i)
	}
	up, err := im.Upload(ctx, s, "f.csv", ingest.FormatAuto, bytes.NewReader(file.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- im.LoadImport(ctx, s.ID, up.ID) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("LoadImport() = %v", err)
		}
	case <-time.After(hangLimit(t)):
		t.Fatal("LoadImport() hangs: batches sharing numbers waited on each other")
	}
	got, err := im.Import(ctx, s.ID, up.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Order O-n appears with numbers[n%3] and numbers[(n+500)%3]...: each
	// (order, number) pair is an identity.
	identities := map[[2]int]bool{}
	for i := range 3000 {
		identities[[2]int{i % 500, i % 3}] = true
	}
	if got.Created != len(identities) || got.Updated != 3000-len(identities) || got.InvalidTracking != 1000 {
		t.Errorf("import = created %d updated %d invalid %d; want %d, %d, 1000", got.Created, got.Updated, got.InvalidTracking, len(identities), 3000-len(identities))
	}
	if n := len(shipmentsOf(t, db, s.ID)); n != len(identities) {
		t.Errorf("%d shipments stored, want %d", n, len(identities))
	}
}

// TestLoadImportOrigin: a file's origin columns reach the shipment, and a
// bad origin country rejects its row naming the column.
func TestLoadImportOrigin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	im, st, db := newImporter(t, 0)
	s, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	file := "order_id,tracking_number,origin_postal_code,origin_country\nA-1,1Z999AA10123456784,10001,us\nA-2,1Z999AA10123456793,60601,USA\n"
	up, err := im.Upload(ctx, s, "f.csv", ingest.FormatAuto, bytes.NewReader([]byte(file)))
	if err != nil {
		t.Fatal(err)
	}
	if err := im.LoadImport(ctx, s.ID, up.ID); err != nil {
		t.Fatal(err)
	}
	got, err := im.Import(ctx, s.ID, up.ID)
	if err != nil || got.Created != 1 || got.Rejected != 1 {
		t.Fatalf("import = %+v, %v, want 1 created and 1 rejected", got, err)
	}
	var origin struct {
		PostalCode string `db:"origin_postal_code"`
		Country    string `db:"origin_country"`
	}
	if err := db.Get(&origin, `SELECT origin_postal_code, origin_country FROM shipments WHERE seller_id = $1 AND order_id = 'A-1'`, s.ID); err != nil {
		t.Fatal(err)
	}
	if origin.PostalCode != "10001" || origin.Country != "US" {
		t.Errorf("origin = %+v, want 10001 US", origin)
	}
}

// hangLimit is how long a test waits for something that would otherwise
// wait forever: until shortly before the test binary's deadline, so a hang
// fails with its own message while a slow run on a crowded machine (the 3,000
// rows above took 23 s at load average 16 and over 60 s at 25) still passes.
func hangLimit(t *testing.T) time.Duration {
	d, ok := t.Deadline()
	if !ok {
		return 10 * time.Minute
	}
	return max(time.Until(d)-30*time.Second, time.Minute)
}
