package ingest

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/shipwatch/shipwatch/internal/clip"
)

// field is a value the Reader extracts, whatever the column is called.
type field int

const (
	fOrderID field = iota
	fTracking
	fCarrier
	fCarrierName // Amazon: used when carrier-code is "Other" or blank
	fService
	fShipBy
	fShippedAt
	fDeliverBy
	fPostalCode
	fCountry
	fOriginPostalCode
	fOriginCountry
	numFields
)

// column is one header name of a format.
type column struct {
	name     string
	field    field
	required bool
}

// Shipwatch CSV columns. Only the two that identify a shipment are required:
// a tracking number alone is enough to start monitoring, and every other
// value can come later from the carrier.
var shipwatchColumns = []column{
	{"order_id", fOrderID, true},
	{"tracking_number", fTracking, true},
	{"carrier", fCarrier, false},
	{"service", fService, false},
	{"ship_by", fShipBy, false},
	{"shipped_at", fShippedAt, false},
	{"deliver_by", fDeliverBy, false},
	{"destination_postal_code", fPostalCode, false},
	{"destination_country", fCountry, false},
	{"origin_postal_code", fOriginPostalCode, false},
	{"origin_country", fOriginCountry, false},
}

// Amazon shipping-confirmation columns. order-item-id and quantity are known
// (no warning) but not read: a Row counts item lines instead.
var amazonColumns = []column{
	{"order-id", fOrderID, true},
	{"order-item-id", -1, false},
	{"quantity", -1, false},
	{"ship-date", fShippedAt, false},
	{"carrier-code", fCarrier, false},
	{"carrier-name", fCarrierName, false},
	{"tracking-number", fTracking, true},
	{"ship-method", fService, false},
}

func columnsOf(f Format) []column {
	if f == FormatAmazonFlatFile {
		return amazonColumns
	}
	return shipwatchColumns
}

// layout maps a file's columns to fields.
type layout struct {
	format Format
	idx    [numFields]int    // column index of each field, -1 if absent
	name   [numFields]string // canonical header name of each field
	names  []string          // every header name, trimmed and lower-cased
	ncols  int               // columns up to the last named one
	warn   []string
}

// col returns the header name of column i for error messages.
func (l *layout) col(i int) string {
	if i < len(l.names) && l.names[i] != "" {
		return l.names[i]
	}
	return fmt.Sprintf("#%d", i+1)
}

// parseHeader reads header fields as format f (FormatAuto: recognise it).
func parseHeader(fields [][]byte, f Format) (*layout, error) {
	l := &layout{}
	for _, b := range fields {
		b = cellValue(b)
		if !utf8.Valid(b) {
			return nil, fmt.Errorf("%w: the first line is not UTF-8 text (save the file as UTF-8)", ErrNotDelimited)
		}
		l.names = append(l.names, strings.ToLower(string(b)))
	}
	l.ncols = len(l.names)
	for l.ncols > 0 && l.names[l.ncols-1] == "" {
		l.ncols-- // trailing delimiters after the last name
	}
	if f == FormatAuto || f == "" {
		f = recognise(l.names)
		if f == "" {
			return nil, fmt.Errorf("%w: the first line %s is not a header of a Shipwatch CSV or an Amazon flat file (it needs columns order_id and tracking_number, or order-id and tracking-number)",
				ErrNotDelimited, quote(strings.Join(l.names, ", ")))
		}
	}
	l.format = f
	for i := range l.idx {
		l.idx[i] = -1
	}
	cols := columnsOf(f)
	seen := map[string]bool{}
	herr := &HeaderError{Format: f}
	for i, n := range l.names[:l.ncols] {
		if seen[n] && n != "" && !slices.Contains(herr.Duplicate, n) {
			herr.Duplicate = append(herr.Duplicate, n)
		}
		seen[n] = true
		k := slices.IndexFunc(cols, func(c column) bool { return c.name == n })
		switch {
		case k >= 0 && cols[k].field >= 0:
			l.idx[cols[k].field], l.name[cols[k].field] = i, n
		case k >= 0:
		case n == "":
			l.warn = append(l.warn, fmt.Sprintf("column %d has no name: ignored", i+1))
		default:
			l.warn = append(l.warn, fmt.Sprintf("column %s is not a column of %s: ignored", clip.Quote(n), f.Article()))
		}
	}
	for _, c := range cols {
		if c.required && !seen[c.name] {
			herr.Missing = append(herr.Missing, c.name)
		}
	}
	if len(herr.Missing) > 0 || len(herr.Duplicate) > 0 {
		return nil, herr
	}
	return l, nil
}

// recognise picks the format whose column names the header uses most.
func recognise(names []string) Format {
	count := func(cols []column) int {
		n := 0
		for _, c := range cols {
			if slices.Contains(names, c.name) {
				n++
			}
		}
		return n
	}
	sw, az := count(shipwatchColumns), count(amazonColumns)
	switch {
	case sw == 0 && az == 0:
		return ""
	case az > sw:
		return FormatAmazonFlatFile
	}
	return FormatShipwatchCSV
}

// sniffDelimiter picks the comma, semicolon or tab that occurs most often
// outside quotes in line, the start of the file's first line.
func sniffDelimiter(line []byte) (byte, bool) {
	var n [3]int
	quoted := false
	for _, c := range line {
		switch c {
		case '"':
			quoted = !quoted
		case ',', ';', '\t':
			if !quoted {
				n[strings.IndexByte(",;\t", c)]++
			}
		}
	}
	best := -1
	for i, k := range n {
		if k > 0 && (best < 0 || k > n[best]) {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	return ",;\t"[best], true
}

// quote quotes a cell for a message, shortened so one runaway cell cannot
// make a message of kilobytes.
func quote(s string) string { return clip.Quote(s) }
