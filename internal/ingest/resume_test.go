package ingest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/shipwatch/shipwatch/internal/ingest/ingesttest"
)

// resumeInputs are files with everything that could shift a resumed read:
// quoted line breaks, rejected rows, blank lines, a BOM, CRLF, grouping, and
// a last row without a line break; and two generated files of that many
// lines.
func resumeInputs(t testing.TB, generated int) map[string]string {
	var amazon bytes.Buffer
	if err := ingesttest.WriteAmazonFlatFile(&amazon, generated, 7, nil); err != nil {
		t.Fatalf("WriteAmazonFlatFile: %v", err)
	}
	var shipwatch bytes.Buffer
	if err := ingesttest.WriteShipwatchCSV(&shipwatch, generated, 7, nil); err != nil {
		t.Fatalf("WriteShipwatchCSV: %v", err)
	}
	return map[string]string{
		"shipwatch": "\ufefforder_id;tracking_number;service;ship_by\r\n" +
			"A1;T1;\"multi\r\nline\";2026-11-21\r\n" +
			"\r\n" +
			"A2;;x;\r\n" +
			"A3;T3;\"a;b\";11/21/2026\r\n" +
			"A4;T4;y;31/31/2026\r\n" +
			";;;\r\n" +
			"A5;T5;\"\n\n\";\r\n" +
			"A6;T6;z;2026-11-22",
		"amazon": amazonHeader +
			"1\t1\t1\t\tUPS\t\tT1\t\n" +
			"1\t2\t1\t\tUPS\t\tT1\t\n" +
			"1\t3\t1\tbad\tUPS\t\tT1\t\n" +
			"1\t4\t1\t\tUPS\t\tT1\t\n" +
			"\n" +
			"2\t1\t1\t\tUSPS\t\tT2\t\"quoted\n method\"\n" +
			"2\t2\t1\t\tUSPS\t\tT2\t\n" +
			"3\t1\t1\t\tUSPS\t\tT3\t\n",
		"generated amazon":    amazon.String(),
		"generated shipwatch": shipwatch.String(),
	}
}

func TestCheckpointResume(t *testing.T) {
	for name, in := range resumeInputs(t, 60) {
		t.Run(name, func(t *testing.T) {
			_, all := readAll(t, in, Options{})
			for k := 0; k <= len(all); k++ {
				r, err := NewReader(strings.NewReader(in), Options{})
				if err != nil {
					t.Fatalf("NewReader: %v", err)
				}
				if got := drainN(t, r, k); !cmp.Equal(all[:k], got, cmpopts.EquateEmpty()) {
					t.Fatalf("first %d results differ from a full read", k)
				}
				cp := r.Checkpoint()
				if r.Offset() != cp.Offset || r.Line() != cp.Line {
					t.Errorf("Offset(), Line() = %d, %d; want the checkpoint's %d, %d", r.Offset(), r.Line(), cp.Offset, cp.Line)
				}
				// Resume on a fresh reader from the byte offset, as after a crash.
				resumed, err := NewReaderAt(strings.NewReader(in[cp.Offset:]), cp, Options{})
				if err != nil {
					t.Fatalf("NewReaderAt(%+v): %v", cp, err)
				}
				if diff := cmp.Diff(all[k:], drain(t, resumed), cmpopts.EquateEmpty()); diff != "" {
					t.Fatalf("after %d results, resumed at %+v (-want +got):\n%s", k, cp, diff)
				}
				if got := resumed.Checkpoint().Offset; got != int64(len(in)) {
					t.Errorf("resumed reader ends at offset %d, want %d", got, len(in))
				}
			}
		})
	}
}

func TestCheckpointChain(t *testing.T) {
	// A loader may crash more than once: resume from a resumed reader.
	in := resumeInputs(t, 60)["generated amazon"]
	_, all := readAll(t, in, Options{})
	var got []result
	cp := Checkpoint{}
	for {
		var r *Reader
		var err error
		if cp.Line == 0 {
			r, err = NewReader(strings.NewReader(in), Options{})
		} else {
			r, err = NewReaderAt(io.NewSectionReader(strings.NewReader(in), cp.Offset, int64(len(in))-cp.Offset), cp, Options{})
		}
		if err != nil {
			t.Fatalf("open at %+v: %v", cp, err)
		}
		part := drainN(t, r, 7)
		got = append(got, part...)
		cp = r.Checkpoint()
		if len(part) < 7 {
			break
		}
	}
	if diff := cmp.Diff(all, got); diff != "" {
		t.Errorf("rows read in resumed pieces (-want +got):\n%s", diff)
	}
}

func TestResumeAfterReadError(t *testing.T) {
	// The upload breaks in the middle of a quoted row: the checkpoint stays
	// at the start of that row, and resuming there reads it whole.
	in := "order_id,tracking_number,service\n" + strings.Repeat("A1,T1,x\n", 1000) + "A2,T2,\"two\nlines\"\nA3,T3,y\n"
	broken := strings.Index(in, "lines")
	r, err := NewReader(io.MultiReader(strings.NewReader(in[:broken]), iotest.ErrReader(errBroken)), Options{})
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	for range 1000 {
		if row, err := r.Next(); err != nil || row.OrderID != "A1" {
			t.Fatalf("Next() = %+v, %v; want A1", row, err)
		}
	}
	if _, err := r.Next(); !errors.Is(err, errBroken) {
		t.Fatalf("Next() error = %v, want %v", err, errBroken)
	}
	if _, err := r.Next(); !errors.Is(err, errBroken) {
		t.Errorf("Next() after a fatal error = %v, want it again", err)
	}
	cp := r.Checkpoint()
	if want := int64(strings.Index(in, "A2")); cp.Offset != want || cp.Line != 1002 {
		t.Fatalf("Checkpoint() = %+v, want offset %d, line 1002", cp, want)
	}
	resumed, err := NewReaderAt(strings.NewReader(in[cp.Offset:]), cp, Options{})
	if err != nil {
		t.Fatalf("NewReaderAt: %v", err)
	}
	want := []result{
		{Row: Row{Line: 1002, OrderID: "A2", TrackingNumber: "T2", Service: "two\nlines"}},
		{Row: Row{Line: 1004, OrderID: "A3", TrackingNumber: "T3", Service: "y"}},
	}
	if diff := cmp.Diff(want, drain(t, resumed)); diff != "" {
		t.Errorf("resumed rows (-want +got):\n%s", diff)
	}
}

var errBroken = errors.New("connection reset")

func TestNewReaderAtErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cp   Checkpoint
		want string
	}{
		{"zero checkpoint", Checkpoint{}, "not after a header"},
		{"header of two rows", Checkpoint{Offset: 40, Line: 3, Header: "order_id,tracking_number\nx,y"}, "is not one row"},
		{"unclosed quote in header", Checkpoint{Offset: 40, Line: 3, Header: "order_id,\"tracking_number"}, "never closed"},
		{"no header", Checkpoint{Offset: 40, Line: 3, Header: "hello"}, "no comma, semicolon or tab"},
		{"NUL in header", Checkpoint{Offset: 40, Line: 3, Header: "order_id,\x00"}, "NUL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReaderAt(strings.NewReader("A1,T1\n"), tc.cp, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewReaderAt(%+v) error = %v, want one saying %q", tc.cp, err, tc.want)
			}
		})
	}
}

// drainN returns up to n results of r.
func drainN(t testing.TB, r *Reader, n int) []result {
	t.Helper()
	var out []result
	for len(out) < n {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var rerr *RowError
		switch {
		case errors.As(err, &rerr):
			out = append(out, result{Err: rerr.Error()})
		case err != nil:
			t.Fatalf("Next() fatal error: %v", err)
		default:
			out = append(out, result{Row: row})
		}
	}
	return out
}
