package ingest

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func FuzzReader(f *testing.F) {
	for _, in := range resumeInputs(f, 6) { // small: the fuzzer minimises what it finds
		f.Add([]byte(in), uint16(3))
	}
	for _, in := range []string{
		"order_id,tracking_number\nA1,T1\n",
		"order_id;tracking_number;ship_by\n\"A\n1\";T1;11/21/2026 2:05 PM\n",
		"order-id\ttracking-number\tcarrier-code\tcarrier-name\n1\tT\tOther\tOnTrac\n1\tT\tOther\tOnTrac\n",
		"order_id,tracking_number\nA1,\"T1\n" + string(bytes.Repeat([]byte("A2,T2\n"), 60)),
		"\ufefforder_id,tracking_number,destination_country\r\nA1,T\xff,us\r\n,,\r\nA2,T2,USA\r\n",
	} {
		f.Add([]byte(in), uint16(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		opt := Options{MaxRowBytes: 256} // small, to reach the too-long paths
		r, err := NewReader(bytes.NewReader(data), opt)
		if err != nil {
			var herr *HeaderError
			if !errors.Is(err, ErrNotDelimited) && !errors.As(err, &herr) {
				t.Fatalf("NewReader error %v is neither ErrNotDelimited nor a *HeaderError", err)
			}
			return
		}
		var all []result
		var cps []Checkpoint
		last := 1
		for {
			cps = append(cps, r.Checkpoint())
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if len(all) > len(data) {
				t.Fatalf("%d results from %d bytes", len(all), len(data))
			}
			var rerr *RowError
			switch {
			case errors.As(err, &rerr):
				if rerr.Line <= last {
					t.Fatalf("row error on line %d after line %d", rerr.Line, last)
				}
				last = rerr.Line
				all = append(all, result{Err: rerr.Error()})
			case err != nil:
				t.Fatalf("Next() fatal error reading from memory: %v", err)
			default:
				if row.Line <= last {
					t.Fatalf("row on line %d after line %d", row.Line, last)
				}
				last = row.Line
				checkRow(t, row)
				all = append(all, result{Row: row})
			}
		}
		// Resuming at any checkpoint gives exactly the rest.
		k := int(cut) % len(cps)
		cp := cps[k]
		resumed, err := NewReaderAt(bytes.NewReader(data[cp.Offset:]), cp, opt)
		if err != nil {
			t.Fatalf("NewReaderAt(%+v): %v", cp, err)
		}
		if diff := cmp.Diff(all[k:], drain(t, resumed), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("resumed after %d results at %+v (-want +got):\n%s", k, cp, diff)
		}
	})
}

func checkRow(t *testing.T, row Row) {
	t.Helper()
	if row.OrderID == "" || row.TrackingNumber == "" {
		t.Fatalf("row %+v lacks a required value", row)
	}
	for _, s := range []string{row.OrderID, row.TrackingNumber, row.Carrier, row.Service, row.PostalCode, row.Country} {
		if !utf8.ValidString(s) {
			t.Fatalf("row %+v has invalid UTF-8", row)
		}
	}
	if c := row.Country; c != "" && (len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z') {
		t.Fatalf("row %+v has country %q", row, c)
	}
}
