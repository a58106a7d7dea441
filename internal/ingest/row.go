package ingest

import (
	"bytes"
	"fmt"
	"time"
	"unicode/utf8"
)

// convert turns the scanner's current record into a Row, or says why not.
// blank reports a row with nothing but white space, which is skipped: sheets
// exported to CSV often end in empty rows.
func (r *Reader) convert() (row Row, rerr *RowError, blank bool) {
	s, l := r.s, r.lay
	reject := func(col, msg string) (Row, *RowError, bool) {
		return Row{}, &RowError{Line: s.startLine, Column: col, Message: msg, Record: string(s.rec)}, false
	}
	switch {
	case s.tooLong:
		msg := fmt.Sprintf("row is longer than %d bytes", s.max)
		if bytes.IndexByte(s.rec, '"') >= 0 {
			msg += " (is a quote left open?)"
		}
		return reject("", msg)
	case s.unclosed:
		return reject("", "a quoted value has no closing quote")
	}
	if !utf8.Valid(s.rec) || bytes.IndexByte(s.rec, 0) >= 0 {
		for i, f := range s.fields {
			if !utf8.Valid(f) {
				return reject(l.col(i), "not UTF-8 text (save the file as CSV UTF-8)")
			}
			if bytes.IndexByte(f, 0) >= 0 {
				return reject(l.col(i), "contains a NUL byte")
			}
		}
		return reject("", "not UTF-8 text (save the file as CSV UTF-8)")
	}
	if isBlank(s.fields) {
		return Row{}, nil, true
	}
	if len(s.fields) > l.ncols && !isBlank(s.fields[l.ncols:]) {
		return reject("", fmt.Sprintf("row has %d values but the header has %d columns (quote values that contain %s)",
			len(s.fields), l.ncols, delimName(s.delim)))
	}

	b := r.scratch[:0]
	var at [numFields][2]int // where each string field lies in b
	put := func(f field, v []byte) {
		at[f][0] = len(b)
		b = append(b, v...)
		at[f][1] = len(b)
	}
	orderID, tracking := r.get(fOrderID), r.get(fTracking)
	if len(orderID) == 0 {
		return reject(l.name[fOrderID], "required, but empty")
	}
	if len(tracking) == 0 {
		return reject(l.name[fTracking], "required, but empty")
	}
	put(fOrderID, orderID)
	put(fTracking, tracking)
	put(fService, r.get(fService))
	put(fPostalCode, r.get(fPostalCode))
	put(fOriginPostalCode, r.get(fOriginPostalCode))

	carrierCol, carrier := fCarrier, r.get(fCarrier)
	if l.format == FormatAmazonFlatFile && (len(carrier) == 0 || bytes.EqualFold(carrier, []byte("other"))) {
		carrierCol, carrier = fCarrierName, r.get(fCarrierName)
	}
	var code string
	switch {
	case len(carrier) == 0:
	case r.opt.ResolveCarrier != nil:
		var ok bool
		if code, ok = r.opt.ResolveCarrier(string(carrier)); !ok {
			return reject(l.name[carrierCol], quote(string(carrier))+" is not a known carrier")
		}
	default:
		at[fCarrier][0] = len(b)
		b = appendLower(b, carrier)
		at[fCarrier][1] = len(b)
	}

	for _, f := range [2]field{fCountry, fOriginCountry} {
		c := r.get(f)
		if len(c) == 0 {
			continue
		}
		if len(c) != 2 || !isLetter(c[0]) || !isLetter(c[1]) {
			return reject(l.name[f], quote(string(c))+" is not a two-letter ISO 3166 country code (e.g. US)")
		}
		at[f][0] = len(b)
		b = append(b, c[0]&^0x20, c[1]&^0x20)
		at[f][1] = len(b)
	}

	var times [3]time.Time
	var have [3]bool
	for k, f := range [3]field{fShipBy, fShippedAt, fDeliverBy} {
		v := r.get(f)
		if len(v) == 0 {
			continue
		}
		end := endOfDay
		if f == fShippedAt {
			end = startOfDay
		}
		t, ok := parseTime(v, r.opt.Location, end)
		if !ok {
			return reject(l.name[f], quote(string(v))+" is not a date "+dateHint)
		}
		times[k], have[k] = t, true
	}

	r.scratch = b
	str := string(b) // one allocation for every string of the row
	sub := func(f field) string { return str[at[f][0]:at[f][1]] }
	row = Row{
		Line:           s.startLine,
		OrderID:        sub(fOrderID),
		TrackingNumber: sub(fTracking),
		Carrier:        sub(fCarrier),
		Service:        sub(fService),
		PostalCode:     sub(fPostalCode),
		Country:        sub(fCountry),
		OriginPostal:   sub(fOriginPostalCode),
		OriginCountry:  sub(fOriginCountry),
	}
	if code != "" {
		row.Carrier = code
	}
	row.ShipBy = r.timeOf(times[0], have[0])
	row.ShippedAt = r.timeOf(times[1], have[1])
	row.DeliverBy = r.timeOf(times[2], have[2])
	if l.format == FormatAmazonFlatFile {
		row.Items = 1
	}
	return row, nil, false
}

// get returns the trimmed value of field f, nil when the file has no such
// column or the row stops short of it (spreadsheets drop trailing empty
// cells, so a short row reads as blanks). The quote NeutralizeCell puts in
// front of a formula-like cell is taken off (formula.go).
func (r *Reader) get(f field) []byte {
	i := r.lay.idx[f]
	if i < 0 || i >= len(r.s.fields) {
		return nil
	}
	return cellValue(r.s.fields[i])
}

// timeOf returns a pointer to t, carved from a slab so that a row costs one
// allocation for its times only once in a while.
func (r *Reader) timeOf(t time.Time, ok bool) *time.Time {
	if !ok {
		return nil
	}
	if len(r.times) == cap(r.times) {
		r.times = make([]time.Time, 0, 256)
	}
	r.times = append(r.times, t)
	return &r.times[len(r.times)-1]
}

func isBlank(fields [][]byte) bool {
	for _, f := range fields {
		if len(bytes.TrimSpace(f)) > 0 {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// appendLower appends v lower-cased, without allocating for ASCII.
func appendLower(b, v []byte) []byte {
	for _, c := range v {
		if c >= utf8.RuneSelf {
			return append(b, bytes.ToLower(v)...)
		}
	}
	for _, c := range v {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

func delimName(d byte) string {
	if d == '\t' {
		return "a tab"
	}
	return fmt.Sprintf("%q", string(d))
}
