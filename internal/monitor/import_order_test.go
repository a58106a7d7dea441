package monitor_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/ingest"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestLoadImportCommitsOutOfOrder holds a lock the first batch of a load
// needs: the batches after it commit meanwhile (none waits for the batch
// before it), the checkpoint stays before the first batch, and a load
// stopped then and run again skips what was committed beyond the
// checkpoint: its counts and shipments are exactly those of a load never
// held up.
func TestLoadImportCommitsOutOfOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	im, st, db := newImporter(t, 100)
	var file bytes.Buffer
	file.WriteString("order_id,tracking_number\n")
	for i := range 1000 {
		fmt.Fprintf(&file, "O-%d,N%06d\n", i, i)
	}
	fmt.Fprintf(&file, "O-7,N%06d\n", 7) // a repeat, in the last batch
	load := func(t *testing.T, s store.Seller, hold bool) store.Import {
		t.Helper()
		// The first row's shipment exists: the load's first batch locks it.
		first, err := im.Upload(ctx, s, "first.csv", ingest.FormatAuto, bytes.NewReader([]byte("order_id,tracking_number\nO-0,N000000\n")))
		if err != nil {
			t.Fatal(err)
		}
		if err := im.LoadImport(ctx, s.ID, first.ID); err != nil {
			t.Fatal(err)
		}
		up, err := im.Upload(ctx, s, "f.csv", ingest.FormatAuto, bytes.NewReader(file.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if hold {
			tx, err := db.BeginTxx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback() //nolint:errcheck // released below
			if _, err := tx.Exec(`SELECT id FROM shipments WHERE seller_id = $1 AND order_id = 'O-0' FOR UPDATE`, s.ID); err != nil {
				t.Fatal(err)
			}
			lctx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- im.LoadImport(lctx, s.ID, up.ID) }()
			deadline := time.Now().Add(30 * time.Second)
			for {
				var ahead int
				if err := db.Get(&ahead, `SELECT count(*) FROM shipment_import_batches WHERE import_id = $1`, up.ID); err != nil {
					t.Fatal(err)
				}
				if ahead >= 3 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d batches committed while the first waits, want the later ones to commit", ahead)
				}
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			if err := <-done; err == nil {
				t.Fatal("LoadImport() finished while its first batch was held")
			}
			cur, err := im.Import(ctx, s.ID, up.ID)
			if err != nil || cur.Status != store.ImportProcessing || cur.CheckpointOffset != nil || cur.RowsProcessed < 300 {
				t.Fatalf("stopped import = %+v, %v; want PROCESSING, later batches counted, no checkpoint yet", cur, err)
			}
			tx.Rollback() //nolint:errcheck // the first batch may go on
		}
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
	whole, err := st.InsertSeller(ctx, "whole")
	if err != nil {
		t.Fatal(err)
	}
	held, err := st.InsertSeller(ctx, "held")
	if err != nil {
		t.Fatal(err)
	}
	a, b := load(t, whole, false), load(t, held, true)
	counts := func(i store.Import) [5]int {
		return [5]int{i.RowsProcessed, i.Created, i.Updated, i.Rejected, i.InvalidTracking}
	}
	if c := counts(a); c[0] != 1001 || c[1] != 999 || c[2] != 2 || c[3] != 0 {
		t.Errorf("uninterrupted import counts %v, want 1001 rows, 999 created, 2 updated, 0 rejected", c)
	}
	if b.Status != store.ImportCompleted || counts(b) != counts(a) {
		t.Errorf("resumed import = %s, counts %v; an uninterrupted one counts %v", b.Status, counts(b), counts(a))
	}
	sa, sb := shipmentsOf(t, db, whole.ID), shipmentsOf(t, db, held.ID)
	if len(sa) != 1000 || len(sb) != len(sa) {
		t.Fatalf("%d and %d distinct shipments, want 1000", len(sa), len(sb))
	}
	for k, n := range sb {
		if n != 1 || sa[k] != 1 {
			t.Fatalf("shipment %+v stored %d times after resuming, %d without", k, n, sa[k])
		}
	}
	var left int
	if err := db.Get(&left, `SELECT count(*) FROM shipment_import_batches`); err != nil || left != 0 {
		t.Errorf("%d batch ranges left after completion (%v), want none", left, err)
	}
}
