package ingest

import "bytes"

// A spreadsheet opening a CSV runs a cell that starts with =, +, -, @, a
// tab or a carriage return as a formula ("CSV injection"): a cell such as
// =HYPERLINK(...) in a file Shipwatch hands back to a seller would run on
// the seller's machine. OWASP's rule is to prefix such a cell with a single
// quote, which spreadsheets show as text. Every CSV Shipwatch writes goes
// through NeutralizeCell, and the reader takes exactly that prefix off
// again (StripNeutralized), so a file downloaded, fixed and uploaded again
// reads as the original did.
//
// A cell that already starts with quotes before such a character gets one
// more, so that stripping one quote always gives back the original:
// "'=x" is written "''=x" and read back as "'=x". A cell starting with a
// quote followed by anything else is neither changed nor stripped.

// formulaStart reports whether c makes a spreadsheet read a cell as a
// formula when the cell starts with it.
func formulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// needsQuotePrefix reports whether v, after any leading single quotes,
// starts with a formula character.
func needsQuotePrefix(v []byte) bool {
	i := 0
	for i < len(v) && v[i] == '\'' {
		i++
	}
	return i < len(v) && formulaStart(v[i])
}

// NeutralizeCell returns v as it must be written in a CSV cell: with a
// single quote in front when a spreadsheet would otherwise run it.
func NeutralizeCell(v string) string {
	if needsQuotePrefix([]byte(v)) {
		return "'" + v
	}
	return v
}

// StripNeutralized undoes NeutralizeCell: StripNeutralized(NeutralizeCell(v))
// is v for every v.
func StripNeutralized(v string) string {
	return string(stripNeutralized([]byte(v)))
}

func stripNeutralized(v []byte) []byte {
	if len(v) > 0 && v[0] == '\'' && needsQuotePrefix(v) {
		return v[1:]
	}
	return v
}

// cellValue is what the reader makes of a cell: trimmed of white space,
// and of the quote NeutralizeCell would have put in front of it.
func cellValue(v []byte) []byte {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '\'' {
		v = bytes.TrimSpace(stripNeutralized(v))
	}
	return v
}

// NeutralizeRecord rewrites one raw record (a row as it was uploaded),
// split as the reader splits it with delimiter delim, with each cell
// written as the value the reader read from it, neutralized (AppendCell):
// reading the rewritten record gives the values the original gave, and
// no cell starts a formula. White space around values, which the reader
// ignores, is dropped.
func NeutralizeRecord(rec []byte, delim byte) []byte {
	s := &scanner{delim: delim}
	s.sp = splitter{atStart: true}
	s.feed(rec)
	s.ends = append(s.ends, len(s.fbuf))
	out := make([]byte, 0, len(rec)+8)
	start := 0
	for i, end := range s.ends {
		if i > 0 {
			out = append(out, delim)
		}
		out = AppendCell(out, cellValue(s.fbuf[start:end]), delim)
		start = end
	}
	return out
}

// AppendCell appends v to a CSV line as one neutralized cell, quoted when
// it holds the delimiter, a quote or a line break.
func AppendCell(out, v []byte, delim byte) []byte {
	prefix := needsQuotePrefix(v)
	if bytes.IndexByte(v, delim) < 0 && bytes.IndexByte(v, '"') < 0 && bytes.IndexByte(v, '\n') < 0 && bytes.IndexByte(v, '\r') < 0 {
		if prefix {
			out = append(out, '\'')
		}
		return append(out, v...)
	}
	out = append(out, '"')
	if prefix {
		out = append(out, '\'')
	}
	for _, c := range v {
		if c == '"' {
			out = append(out, '"')
		}
		out = append(out, c)
	}
	return append(out, '"')
}
