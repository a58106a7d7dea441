package ingest

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestNeutralizeCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"1Z999AA10123456784", "1Z999AA10123456784"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"'=1", "''=1"},
		{"''@x", "'''@x"},
		{"'quoted", "'quoted"},
		{"'", "'"},
		{" =1", " =1"},
	} {
		got := NeutralizeCell(tc.in)
		if got != tc.want {
			t.Errorf("NeutralizeCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if back := StripNeutralized(got); back != tc.in {
			t.Errorf("StripNeutralized(%q) = %q, want %q", got, back, tc.in)
		}
	}
}

func TestNeutralizeRecord(t *testing.T) {
	for _, tc := range []struct {
		in    string
		delim byte
		want  string
	}{
		{"A-1,=cmd|' /C calc'!A0,UPS", ',', "A-1,'=cmd|' /C calc'!A0,UPS"},
		{`A-2,"=1+2, or so",@x`, ',', `A-2,"'=1+2, or so",'@x`},
		{"A-3;12\" box;-5", ';', "A-3;\"12\"\" box\";'-5"},
		{"1\t+33 1 23\tUPS", '\t', "1\t'+33 1 23\tUPS"},
		{`A-4,"multi` + "\n" + `line"`, ',', `A-4,"multi` + "\n" + `line"`},
	} {
		if got := string(NeutralizeRecord([]byte(tc.in), tc.delim)); got != tc.want {
			t.Errorf("NeutralizeRecord(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A file written back with every cell neutralized reads as the original.
func TestNeutralizedFileReadsAsOriginal(t *testing.T) {
	orig := "order_id,tracking_number,service,destination_postal_code\n" +
		"=A1,1Z999AA10123456784,+Ground,-12\n" +
		"'=A2,@T2,\"=x, y\",\t=3\n" +
		"'plain,T3,'@svc,'\n"
	var fixed bytes.Buffer
	for _, line := range strings.Split(strings.TrimSuffix(orig, "\n"), "\n") {
		fixed.Write(NeutralizeRecord([]byte(line), ','))
		fixed.WriteByte('\n')
	}
	want := readCells(t, orig)
	got := readCells(t, fixed.String())
	if len(got) != len(want) {
		t.Fatalf("read %d rows from the neutralized file, %d from the original", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: %+v from the neutralized file, want %+v", i, got[i], want[i])
		}
	}
	// A quote before a formula character is the escape, in any upload.
	if want[0].OrderID != "=A1" || want[1].OrderID != "=A2" || want[2].Service != "@svc" || want[2].OrderID != "'plain" {
		t.Errorf("original rows = %+v", want)
	}
}

type cells struct{ OrderID, TrackingNumber, Service, PostalCode string }

func readCells(t *testing.T, file string) []cells {
	t.Helper()
	r, err := NewReader(strings.NewReader(file), Options{})
	if err != nil {
		t.Fatalf("NewReader() error = %v", err)
	}
	var out []cells
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next() error = %v", err)
		}
		out = append(out, cells{row.OrderID, row.TrackingNumber, row.Service, row.PostalCode})
	}
	return out
}

func FuzzNeutralize(f *testing.F) {
	for _, s := range []string{"", "=1", "'=1", "''", "'-", "\t", "\r\n", "a,b", `"q"`, "@", "'''+x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		n := NeutralizeCell(v)
		if n != "" && formulaStart(n[0]) {
			t.Fatalf("NeutralizeCell(%q) = %q starts a formula", v, n)
		}
		if back := StripNeutralized(n); back != v {
			t.Fatalf("StripNeutralized(NeutralizeCell(%q)) = %q", v, back)
		}
		if (v == "" || v[0] != '\'') && StripNeutralized(v) != v {
			t.Fatalf("StripNeutralized(%q) = %q changed a cell without a quote", v, StripNeutralized(v))
		}
		// One cell written with AppendCell reads back as one cell of the
		// same value (the reader trims spaces, and CR/LF are line ends in
		// a lone unquoted cell, so compare what the reader compares).
		rec := AppendCell(nil, []byte(v), ',')
		s := &scanner{delim: ','}
		s.sp = splitter{atStart: true}
		s.feed(rec)
		s.ends = append(s.ends, len(s.fbuf))
		if len(s.ends) != 1 {
			t.Fatalf("AppendCell(%q) = %q splits into %d cells", v, rec, len(s.ends))
		}
		if got := string(stripNeutralized(s.fbuf)); got != v {
			t.Fatalf("AppendCell(%q) = %q reads back as %q", v, rec, got)
		}
		// A raw cell rewritten by NeutralizeRecord reads as the raw cell
		// did, and starts no formula.
		if strings.ContainsAny(v, ",\"\n") {
			return // more than one cell, or quotes: FuzzNeutralizeRecord's
		}
		out := NeutralizeRecord([]byte(v), ',')
		if len(out) > 0 && formulaStart(out[0]) {
			t.Fatalf("NeutralizeRecord(%q) = %q starts a formula", v, out)
		}
		s = &scanner{delim: ','}
		s.sp = splitter{atStart: true}
		s.feed(out)
		if got, want := string(cellValue(s.fbuf)), string(cellValue([]byte(v))); got != want {
			t.Fatalf("NeutralizeRecord(%q) = %q reads as %q, want %q", v, out, got, want)
		}
	})
}

// FuzzNeutralizeRecord: a record rewritten by NeutralizeRecord has the
// same cells, read as the reader reads them, and none starts a formula.
func FuzzNeutralizeRecord(f *testing.F) {
	for _, s := range []string{"a,=b,c", `"=x, y",@z`, "'=1,''-2, +3", `12" box,"q""uote"`, "\t=1;2", "a,\"b\nc\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rec string) {
		var raw [][]byte // the last split's cells as a spreadsheet sees them
		split := func(b []byte) ([][]byte, bool) {
			s := &scanner{delim: ','}
			s.sp = splitter{atStart: true}
			s.feed(b)
			s.ends = append(s.ends, len(s.fbuf))
			var out [][]byte
			raw = raw[:0]
			start := 0
			for _, end := range s.ends {
				raw = append(raw, s.fbuf[start:end])
				out = append(out, cellValue(s.fbuf[start:end]))
				start = end
			}
			return out, !s.sp.quoted
		}
		orig, closed := split([]byte(rec))
		if !closed {
			return // an unclosed quote: the reader rejects the row
		}
		out := NeutralizeRecord([]byte(rec), ',')
		got, _ := split(out)
		if len(got) != len(orig) {
			t.Fatalf("NeutralizeRecord(%q) = %q has %d cells, want %d", rec, out, len(got), len(orig))
		}
		for i := range orig {
			if !bytes.Equal(got[i], orig[i]) {
				t.Fatalf("NeutralizeRecord(%q) = %q: cell %d reads %q, want %q", rec, out, i, got[i], orig[i])
			}
		}
		for i, cell := range raw {
			if len(cell) > 0 && formulaStart(cell[0]) {
				t.Fatalf("NeutralizeRecord(%q) = %q: cell %d %q starts a formula", rec, out, i, cell)
			}
		}
	})
}
