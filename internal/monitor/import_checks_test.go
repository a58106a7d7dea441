package monitor_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/ingest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// TestLoadImportChecks loads a file with no job worker running: when the
// load returns (the import is COMPLETED), every row is checked and its
// flags are raised, and the load queued no check job for the shared
// workers, so it cannot delay another seller's checks.
func TestLoadImportChecks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	im, st, db := newImporter(t, 100)
	s, err := st.InsertSeller(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	file.WriteString("order_id,tracking_number\n")
	for i := range 950 {
		number := "1Z999AA10123456784" // valid
		switch {
		case i%10 == 3:
			number = fmt.Sprintf("NOTANUMBER%04d", i) // invalid
		case i%10 == 7:
			number = "1Z999AA10123456785" // fails its check digit
		}
		fmt.Fprintf(&file, "O-%d,%s\n", i, number)
	}
	// The same number on two orders in batches far apart.
	file.WriteString("DUP-1,9400111206206406260787\n")
	for i := range 150 {
		fmt.Fprintf(&file, "P-%d,\n", i)
	}
	file.WriteString("DUP-2,9400111206206406260787\n")
	up, err := im.Upload(ctx, s, "f.csv", ingest.FormatAuto, bytes.NewReader(file.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := im.LoadImport(ctx, s.ID, up.ID); err != nil {
		t.Fatalf("LoadImport() = %v", err)
	}
	got, err := im.Import(ctx, s.ID, up.ID)
	if err != nil || got.Status != "COMPLETED" {
		t.Fatalf("import = %+v, %v; want COMPLETED", got, err)
	}
	count := func(kind flag.Kind) int {
		t.Helper()
		open := true
		n, err := st.CountFlags(ctx, s.ID, store.FlagFilter{Kinds: []flag.Kind{kind}, Open: &open})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(flag.InvalidTracking); n != 190 {
		t.Errorf("%d open INVALID_TRACKING flags at COMPLETED, want 190", n)
	}
	// The 760 valid rows share one number, the 95 with a bad check digit
	// another, and the two DUP orders a third: each of them is flagged.
	if n := count(flag.DuplicateTracking); n != 760+95+2 {
		t.Errorf("%d open DUPLICATE_TRACKING flags at COMPLETED, want %d", n, 760+95+2)
	}
	var queued int
	if err := db.GetContext(ctx, &queued, `SELECT count(*) FROM river_job WHERE kind = 'shipwatch.monitor.check'`); err != nil {
		t.Fatal(err)
	}
	if queued != 0 {
		t.Errorf("the load queued %d check jobs, want none", queued)
	}
}
