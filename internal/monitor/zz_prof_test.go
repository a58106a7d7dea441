package monitor_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/ingest"
	"github.com/shipwatch/shipwatch/internal/ingest/ingesttest"
)

func TestZZProf(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PROF_LINES"))
	if n == 0 {
		t.Skip()
	}
	ctx := context.Background()
	im, st := newImporter(t, 10000)
	var file bytes.Buffer
	ingesttest.WriteAmazonFlatFile(&file, n, 1, nil)
	s, _ := st.InsertSeller(ctx, "x")
	t0 := time.Now()
	up, err := im.Upload(ctx, s, "f.txt", ingest.FormatAuto, bytes.NewReader(file.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	t1 := time.Now()
	if err := im.LoadImport(ctx, s.ID, up.ID); err != nil {
		t.Fatal(err)
	}
	t.Logf("upload %s load %s", t1.Sub(t0), time.Since(t1))
}
