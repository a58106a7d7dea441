package ingest

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/ingest/ingesttest"
)

// BenchmarkReader reads generated 100,000-line files. rows/s counts lines of
// the file (what COPY would count), not grouped shipments.
func BenchmarkReader(b *testing.B) {
	for _, bc := range []struct {
		name  string
		write func(io.Writer, int, int64, func(int) (string, string)) error
	}{
		{"amazon", ingesttest.WriteAmazonFlatFile},
		{"shipwatch", ingesttest.WriteShipwatchCSV},
	} {
		var buf bytes.Buffer
		if err := bc.write(&buf, 100_000, 1, nil); err != nil {
			b.Fatalf("write %s: %v", bc.name, err)
		}
		data := buf.Bytes()
		lines := bytes.Count(data, []byte("\n")) - 1
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				r, err := NewReader(bytes.NewReader(data), Options{})
				if err != nil {
					b.Fatalf("NewReader: %v", err)
				}
				for {
					_, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatalf("Next: %v", err)
					}
				}
				n++
			}
			b.ReportMetric(float64(lines)*float64(n)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkParseTime(b *testing.B) {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		b.Fatalf("LoadLocation: %v", err)
	}
	for _, in := range []string{"2026-11-21", "2026-11-21T14:05:00-08:00", "11/21/2026 2:05 PM"} {
		b.Run(in, func(b *testing.B) {
			v := []byte(in)
			for b.Loop() {
				if _, ok := parseTime(v, loc, endOfDay); !ok {
					b.Fatalf("parseTime(%q) failed", in)
				}
			}
		})
	}
}

// TestMillionRowsBoundedMemory streams a million-line file through a pipe, as
// an upload arrives, and checks the heap stays small: the Reader never holds
// the file.
func TestMillionRowsBoundedMemory(t *testing.T) {
	const lines = 1_000_000
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(ingesttest.WriteAmazonFlatFile(pw, lines, 42, nil))
	}()
	r, err := NewReader(pr, Options{})
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	items, shipments := 0, 0
	var peak uint64
	var ms runtime.MemStats
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var rerr *RowError
		if errors.As(err, &rerr) {
			t.Fatalf("generated file has a bad row: %v", rerr)
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		items += row.Items
		shipments++
		if shipments%100_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if items != lines {
		t.Errorf("items = %d, want %d (one per line)", items, lines)
	}
	if shipments < lines*3/4 || shipments == lines {
		t.Errorf("shipments = %d for %d lines, want most lines alone and some grouped", shipments, lines)
	}
	if peak > 16<<20 {
		t.Errorf("live heap reached %d bytes reading a streamed file", peak)
	}
	t.Logf("%d lines, %d shipments, live heap at most %d KiB", lines, shipments, peak>>10)
}
