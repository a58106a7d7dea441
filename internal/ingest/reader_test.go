package ingest

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readAll reads every row of in, returning rows and row errors in order as
// one list of results.
func readAll(t testing.TB, in string, opt Options) (*Reader, []result) {
	t.Helper()
	r, err := NewReader(strings.NewReader(in), opt)
	if err != nil {
		t.Fatalf("NewReader(%q) error: %v", in, err)
	}
	return r, drain(t, r)
}

// result is one outcome of Next: a row, or the text of a row error.
type result struct {
	Row Row
	Err string
}

func drain(t testing.TB, r *Reader) []result {
	t.Helper()
	var out []result
	for {
		row, err := r.Next()
		if err == io.EOF {
			return out
		}
		var rerr *RowError
		if errors.As(err, &rerr) {
			out = append(out, result{Err: rerr.Error()})
			continue
		}
		if err != nil {
			t.Fatalf("Next() fatal error: %v", err)
		}
		out = append(out, result{Row: row})
	}
}

func ts(s string) *time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestShipwatchRows(t *testing.T) {
	const h = "order_id,tracking_number,carrier,service,ship_by,shipped_at,deliver_by,destination_postal_code,destination_country\n"
	full := Row{Line: 2, OrderID: "A1", TrackingNumber: "1Z999AA10123456784", Carrier: "ups", Service: "Ground",
		ShipBy: ts("2026-11-21T23:59:59.999999Z"), ShippedAt: ts("2026-11-21T14:05:00Z"), DeliverBy: ts("2026-11-25T23:59:59.999999Z"),
		PostalCode: "98109", Country: "US"}
	for _, tc := range []struct {
		name string
		in   string
		want []result
	}{
		{"all columns", h + "A1,1Z999AA10123456784,UPS,Ground,2026-11-21,2026-11-21 14:05,2026-11-25,98109,us\n",
			[]result{{Row: full}}},
		{"CRLF", strings.ReplaceAll(h, "\n", "\r\n") + "A1,1Z999AA10123456784,UPS,Ground,2026-11-21,2026-11-21 14:05,2026-11-25,98109,us\r\n",
			[]result{{Row: full}}},
		{"BOM", "\ufeff" + h + "A1,1Z999AA10123456784,UPS,Ground,2026-11-21,2026-11-21 14:05,2026-11-25,98109,us",
			[]result{{Row: full}}},
		{"semicolons", strings.ReplaceAll(h, ",", ";") + "A1;1Z999AA10123456784;UPS;Ground;2026-11-21;2026-11-21 14:05;2026-11-25;98109;us\n",
			[]result{{Row: full}}},
		{"origin", "order_id,tracking_number,origin_postal_code,origin_country\nA1,T1, 10001 ,us\n",
			[]result{{Row: Row{Line: 2, OrderID: "A1", TrackingNumber: "T1", OriginPostal: "10001", OriginCountry: "US"}}}},
		{"tabs", strings.ReplaceAll(h, ",", "\t") + "A1\t1Z999AA10123456784\tUPS\tGround\t2026-11-21\t2026-11-21 14:05\t2026-11-25\t98109\tus\n",
			[]result{{Row: full}}},
		{"any order and case, spaces trimmed", "Tracking_Number , ORDER_ID\n 1Z9 , A1 \n",
			[]result{{Row: Row{Line: 2, OrderID: "A1", TrackingNumber: "1Z9"}}}},
		{"blank optional cells", h + "A1,T1,,,,,,,\n",
			[]result{{Row: Row{Line: 2, OrderID: "A1", TrackingNumber: "T1"}}}},
		{"short row reads as blanks", h + "A1,T1,usps\n",
			[]result{{Row: Row{Line: 2, OrderID: "A1", TrackingNumber: "T1", Carrier: "usps"}}}},
		{"trailing delimiters", "order_id,tracking_number,\nA1,T1,,\n",
			[]result{{Row: Row{Line: 2, OrderID: "A1", TrackingNumber: "T1"}}}},
		{"blank rows skipped", h + "\n,,,,,,,,\n  \nA1,T1\n\n",
			[]result{{Row: Row{Line: 5, OrderID: "A1", TrackingNumber: "T1"}}}},
		{"quoted delimiter and quote", "order_id,tracking_number,service\n\"A,1\",T1,\"12\"\" box, \"\"fragile\"\"\"\n",
			[]result{{Row: Row{Line: 2, OrderID: "A,1", TrackingNumber: "T1", Service: `12" box, "fragile"`}}}},
		{"bare quote inside a value", "order_id,tracking_number,service\nA1,T1,12\" box\n",
			[]result{{Row: Row{Line: 2, OrderID: "A1", TrackingNumber: "T1", Service: `12" box`}}}},
		{"space before an opening quote", "order_id,tracking_number\nA1, \"T,1\"\n",
			[]result{{Row: Row{Line: 2, OrderID: "A1", TrackingNumber: "T,1"}}}},
		{"quoted newlines keep line numbers", "order_id,tracking_number,service\n\"A\n1\",T1,x\nA2,T2,\"two\r\nlines\"\r\nA3,T3,y\n",
			[]result{
				{Row: Row{Line: 2, OrderID: "A\n1", TrackingNumber: "T1", Service: "x"}},
				{Row: Row{Line: 4, OrderID: "A2", TrackingNumber: "T2", Service: "two\nlines"}},
				{Row: Row{Line: 6, OrderID: "A3", TrackingNumber: "T3", Service: "y"}},
			}},
		{"non-ASCII text", "order_id,tracking_number,carrier,destination_postal_code\nA1,T1,Colissimo Expert,75001 Paris-Été\n",
			[]result{{Row: Row{Line: 2, OrderID: "A1", TrackingNumber: "T1", Carrier: "colissimo expert", PostalCode: "75001 Paris-Été"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, got := readAll(t, tc.in, Options{})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rows of %q (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestRejections(t *testing.T) {
	const h = "order_id,tracking_number,carrier,ship_by,shipped_at,deliver_by,destination_country\n"
	long := "A1,T1," + strings.Repeat("x", 200)
	for _, tc := range []struct {
		name, in string
		opt      Options
		want     string
	}{
		{"missing order id", h + " ,T1\n", Options{}, "line 2, column order_id: required, but empty"},
		{"missing tracking number", h + "A1,\n", Options{}, "line 2, column tracking_number: required, but empty"},
		{"bad ship_by", h + "A1,T1,,31/31/2026\n", Options{},
			`line 2, column ship_by: "31/31/2026" is not a date (use 2026-11-21, 11/21/2026 or RFC 3339)`},
		{"bad shipped_at", h + "A1,T1,,,2026-02-29\n", Options{},
			`line 2, column shipped_at: "2026-02-29" is not a date (use 2026-11-21, 11/21/2026 or RFC 3339)`},
		{"bad deliver_by", h + "A1,T1,,,,tomorrow\n", Options{},
			`line 2, column deliver_by: "tomorrow" is not a date (use 2026-11-21, 11/21/2026 or RFC 3339)`},
		{"bad country", h + "A1,T1,,,,,USA\n", Options{},
			`line 2, column destination_country: "USA" is not a two-letter ISO 3166 country code (e.g. US)`},
		{"bad origin country", "order_id,tracking_number,origin_country\nA1,T1,USA\n", Options{},
			`line 2, column origin_country: "USA" is not a two-letter ISO 3166 country code (e.g. US)`},
		{"unknown carrier", h + "A1,T1,Fedx\n", Options{ResolveCarrier: func(string) (string, bool) { return "", false }},
			`line 2, column carrier: "Fedx" is not a known carrier`},
		{"too many values", h + "A1,T1,ups,,,,US,oops\n", Options{},
			`line 2: row has 8 values but the header has 7 columns (quote values that contain ",")`},
		{"too many values, tab", strings.ReplaceAll(h, ",", "\t") + "A1\tT1\tups\t\t\t\tUS\toops\nA9\tT9\n", Options{},
			`line 2: row has 8 values but the header has 7 columns (quote values that contain a tab)`},
		{"row too long", h + long + "\n", Options{MaxRowBytes: 100}, "line 2: row is longer than 100 bytes"},
		{"row too long with a quote", h + "A1,\"T1\"," + long + "\n", Options{MaxRowBytes: 100}, "line 2: row is longer than 100 bytes (is a quote left open?)"},
		{"quote left open to the end", h + "A1,\"T1\nA9,T9\n", Options{}, "line 2: a quoted value has no closing quote"},
		{"invalid UTF-8", h + "A1,T\xff1\n", Options{}, "line 2, column tracking_number: not UTF-8 text (save the file as CSV UTF-8)"},
		{"NUL byte", h + "A1,T\x001\n", Options{}, "line 2, column tracking_number: contains a NUL byte"},
		{"unknown column invalid", "order_id,tracking_number,notes\nA1,T1,\xff\nA9,T9\n", Options{},
			"line 2, column notes: not UTF-8 text (save the file as CSV UTF-8)"},
		{"long value is shortened", h + "A1,T1,,," + strings.Repeat("9", 100) + "\n", Options{},
			`line 2, column shipped_at: "` + strings.Repeat("9", 64) + `"…(100 bytes) is not a date (use 2026-11-21, 11/21/2026 or RFC 3339)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if !strings.HasSuffix(in, "T9\n") {
				in += "A9,T9\n" // reading goes on after the rejected row
			}
			r, err := NewReader(strings.NewReader(in), tc.opt)
			if err != nil {
				t.Fatalf("NewReader(%q) error: %v", in, err)
			}
			_, err = r.Next()
			var rerr *RowError
			if !errors.As(err, &rerr) {
				t.Fatalf("Next() = %v, want a *RowError", err)
			}
			if got := rerr.Error(); got != tc.want {
				t.Errorf("Next() error = %q, want %q", got, tc.want)
			}
			raw := strings.Split(tc.in, "\n")[1]
			switch {
			case tc.opt.MaxRowBytes > 0:
				raw = raw[:tc.opt.MaxRowBytes]
			case strings.Contains(tc.name, "quote left open"):
				raw = "A1,\"T1\nA9,T9"
			}
			if rerr.Record != raw {
				t.Errorf("Next() error Record = %q, want %q", rerr.Record, raw)
			}
			row, err := r.Next()
			if tc.name == "quote left open to the end" {
				if err != io.EOF {
					t.Errorf("Next() after an unclosed quote = %+v, %v; want io.EOF", row, err)
				}
				return
			}
			if err != nil || row.OrderID != "A9" || row.Line != 3 {
				t.Errorf("Next() after the rejected row = %+v, %v; want order A9 on line 3", row, err)
			}
		})
	}
}

func TestOpenQuoteCannotSwallowTheFile(t *testing.T) {
	// A stray opening quote makes the record run on; at the limit the Reader
	// gives up on it and resumes at the next line.
	in := "order_id,tracking_number\nA1,\"T1\n" + strings.Repeat("A2,T2\n", 30) + "A3,T3\n"
	_, got := readAll(t, in, Options{MaxRowBytes: 100})
	if len(got) == 0 || !strings.HasPrefix(got[0].Err, "line 2: row is longer than 100 bytes") {
		t.Fatalf("first result = %+v, want a too-long row on line 2", got)
	}
	last := got[len(got)-1]
	if last.Row.OrderID != "A3" || last.Row.Line != 33 {
		t.Errorf("last result = %+v, want order A3 on line 33", last)
	}
}

func TestHugeLineIsBounded(t *testing.T) {
	// 64 MiB without a line break must not be held in memory.
	huge := io.LimitReader(repeatReader('x'), 64<<20)
	in := io.MultiReader(strings.NewReader("order_id,tracking_number\n"), huge, strings.NewReader("\nA1,T1\n"))
	r, err := NewReader(in, Options{})
	if err != nil {
		t.Fatalf("NewReader error: %v", err)
	}
	_, err = r.Next()
	var rerr *RowError
	if !errors.As(err, &rerr) || rerr.Line != 2 || len(rerr.Record) != DefaultMaxRowBytes {
		t.Fatalf("Next() = %v, want a too-long row on line 2 with its first %d bytes", err, DefaultMaxRowBytes)
	}
	if row, err := r.Next(); err != nil || row.Line != 3 {
		t.Errorf("Next() = %+v, %v; want the row on line 3", row, err)
	}
	if cap(r.s.raw) > 2*DefaultMaxRowBytes+(64<<10) {
		t.Errorf("record buffer grew to %d bytes", cap(r.s.raw))
	}
}

type repeatReader byte

func (c repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

func TestNotDelimited(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "the file is empty"},
		{"only a BOM", "\ufeff", "the file is empty"},
		{"NUL bytes", "order_id,tracking_number\x00\n", "NUL byte at offset 24"},
		{"NUL bytes in a quoted header line", "order_id,tracking_number,\"\n\x00\"\n", "NUL byte in the header"},
		{"xlsx", "PK\x03\x04\x14\x00\x06\x00", "Excel workbook"},
		{"xls", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel 97-2003"},
		{"pdf", "%PDF-1.7\n", "PDF"},
		{"gzip", "\x1f\x8b\x08\x00", "gzip"},
		{"UTF-16", "\xff\xfeo\x00r\x00", "UTF-16"},
		{"CR line endings", "order_id,tracking_number\rA1,T1\r", "CR alone"},
		{"no delimiter", "hello world\nfoo\n", `the first line "hello world" has no comma, semicolon or tab`},
		{"unknown header", "name,email\nBob,bob@example.com\n", "is not a header of a Shipwatch CSV or an Amazon flat file"},
		{"header not UTF-8", "order_id,tr\xffck\n", "not UTF-8"},
		{"header too long", "order_id,tracking_number," + strings.Repeat("x", 200) + "\n", "longer than 100 bytes"},
		{"header quote never closed", "order_id,\"tracking_number\n", "never closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tc.in), Options{MaxRowBytes: 100})
			if !errors.Is(err, ErrNotDelimited) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewReader(%q) error = %v, want ErrNotDelimited saying %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestHeaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		format   Format
		want     HeaderError
	}{
		{"shipwatch missing", "order_id,carrier\n", FormatAuto,
			HeaderError{Format: FormatShipwatchCSV, Missing: []string{"tracking_number"}}},
		{"amazon missing", "order-id\tship-date\tcarrier-code\n", FormatAuto,
			HeaderError{Format: FormatAmazonFlatFile, Missing: []string{"tracking-number"}}},
		{"forced format", "order-id,tracking-number\n", FormatShipwatchCSV,
			HeaderError{Format: FormatShipwatchCSV, Missing: []string{"order_id", "tracking_number"}}},
		{"duplicate", "order_id,tracking_number,Tracking_Number\n", FormatAuto,
			HeaderError{Format: FormatShipwatchCSV, Duplicate: []string{"tracking_number"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tc.in), Options{Format: tc.format})
			var herr *HeaderError
			if !errors.As(err, &herr) {
				t.Fatalf("NewReader(%q) error = %v, want a *HeaderError", tc.in, err)
			}
			if diff := cmp.Diff(tc.want, *herr); diff != "" {
				t.Errorf("NewReader(%q) header error (-want +got):\n%s", tc.in, diff)
			}
		})
	}
	_, err := NewReader(strings.NewReader("order_id,carrier\n"), Options{})
	if want := "header of a Shipwatch CSV: missing required column(s) tracking_number"; err == nil || err.Error() != want {
		t.Errorf("NewReader error = %v, want %q", err, want)
	}
	if _, err := NewReader(strings.NewReader("order_id,tracking_number\n"), Options{Format: "XLSX"}); err == nil {
		t.Errorf("NewReader with Format XLSX succeeded, want an error")
	}
}

func TestFormatAndWarnings(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		opt      Options
		format   Format
		warnings []string
	}{
		{"shipwatch", "order_id,tracking_number\n", Options{}, FormatShipwatchCSV, nil},
		{"amazon", "order-id\torder-item-id\tquantity\ttracking-number\n", Options{}, FormatAmazonFlatFile, nil},
		{"amazon forced", "order-id,tracking-number\n", Options{Format: FormatAmazonFlatFile}, FormatAmazonFlatFile, nil},
		{"unknown columns", "order_id,notes,tracking_number,,sku\n", Options{}, FormatShipwatchCSV, []string{
			`column "notes" is not a column of a Shipwatch CSV: ignored`,
			"column 4 has no name: ignored",
			`column "sku" is not a column of a Shipwatch CSV: ignored`,
		}},
		{"amazon extra columns", "order-id\ttracking-number\ttransparency-code\n", Options{}, FormatAmazonFlatFile, []string{
			`column "transparency-code" is not a column of an Amazon flat file: ignored`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Warnings come from the header alone: many rows do not repeat them.
			r, _ := readAll(t, tc.in+strings.Repeat("A1,x,T1,y,z\n", 3), tc.opt)
			if got := r.Format(); got != tc.format {
				t.Errorf("Format() = %q, want %q", got, tc.format)
			}
			if diff := cmp.Diff(tc.warnings, r.Warnings()); diff != "" {
				t.Errorf("Warnings() (-want +got):\n%s", diff)
			}
		})
	}
}
