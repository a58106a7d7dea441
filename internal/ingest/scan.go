package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// scanner splits a byte stream into records (rows) and fields. Records end at
// a line break outside quotes. A field opens a quote only at its start (after
// optional spaces); a quote anywhere else is an ordinary character, because
// sellers write `12" box` in unquoted cells far more often than they write
// broken RFC 4180. Inside quotes, "" is a quote and line breaks belong to the
// value.
//
// Lines without a quote, nearly all of them, take a fast path: their fields
// are slices of the bufio buffer, valid until the next call to next.
type scanner struct {
	br    *bufio.Reader
	delim byte
	max   int // longest record, line ending excluded

	off  int64 // bytes consumed from the input
	line int   // line breaks consumed

	// The current record.
	startOff  int64
	startLine int
	rec       []byte   // raw text, no final line ending (cut at max if tooLong)
	fields    [][]byte // field values, unquoted, untrimmed
	tooLong   bool     // longer than max; fields are not set
	unclosed  bool     // a quote was still open at the end of input

	raw  []byte   // record text of multi-line or cut records
	sp   splitter // the slow path's quote state
	fbuf []byte   // unquoted field values of the slow path
	ends []int    // ends of fields in fbuf
}

func newScanner(r io.Reader, max int) *scanner {
	size := max + 2 // room for CR LF, so a line that fills the buffer is too long
	if size < 64<<10 {
		size = 64 << 10
	}
	return &scanner{br: bufio.NewReaderSize(r, size), max: max}
}

// next reads the next record. It returns io.EOF when the input is exhausted
// and any other read error as it is.
func (s *scanner) next() error {
	s.startOff, s.startLine = s.off, s.line+1
	s.tooLong, s.unclosed = false, false
	line, err := s.br.ReadSlice('\n')
	if len(line) == 0 {
		if err == nil {
			err = io.ErrNoProgress
		}
		return err
	}
	if errors.Is(err, bufio.ErrBufferFull) {
		s.raw = append(s.raw[:0], line[:s.max]...)
		s.consume(line)
		return s.cut()
	}
	if err != nil && err != io.EOF {
		return err
	}
	s.consume(line)
	body := trimEOL(line)
	if len(body) > s.max {
		s.raw = append(s.raw[:0], body[:s.max]...)
		s.rec, s.tooLong = s.raw, true
		return nil
	}
	if bytes.IndexByte(body, '"') < 0 {
		s.rec = body
		s.splitFast(body)
		return nil
	}
	return s.slow(line)
}

func (s *scanner) consume(b []byte) {
	s.off += int64(len(b))
	if len(b) > 0 && b[len(b)-1] == '\n' {
		s.line++
	}
}

// cut ends a record that outgrew the limit: it discards input up to the end of
// the current physical line and reports the record as too long, its text cut
// at max. Resuming at the next line, rather than where an open quote would
// close, keeps one stray quote from swallowing the rest of the file.
func (s *scanner) cut() error {
	s.rec, s.tooLong = s.raw[:min(len(s.raw), s.max)], true
	for {
		line, err := s.br.ReadSlice('\n')
		s.consume(line)
		switch {
		case err == nil || err == io.EOF:
			return nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return err
		}
	}
}

// slow reads a record whose first line contains a quote, following it over
// line breaks inside quotes.
func (s *scanner) slow(line []byte) error {
	s.raw = append(s.raw[:0], line...)
	s.sp = splitter{atStart: true}
	s.fbuf, s.ends = s.fbuf[:0], s.ends[:0]
	s.feed(trimEOL(line))
	for s.sp.quoted {
		if line[len(line)-1] != '\n' { // end of input inside quotes
			s.unclosed = true
			break
		}
		s.fbuf = append(s.fbuf, '\n')
		next, err := s.br.ReadSlice('\n')
		if len(next) == 0 {
			if err == io.EOF {
				s.unclosed = true
				break
			}
			if err == nil {
				err = io.ErrNoProgress
			}
			return err
		}
		if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
		s.consume(next)
		s.raw = append(s.raw, next...)
		if len(trimEOL(s.raw)) > s.max {
			if next[len(next)-1] == '\n' {
				s.rec, s.tooLong = s.raw[:s.max], true
				return nil
			}
			return s.cut()
		}
		line = next
		s.feed(trimEOL(line))
	}
	s.ends = append(s.ends, len(s.fbuf)) // the last field
	s.rec = trimEOL(s.raw)
	s.fields = s.fields[:0]
	start := 0
	for _, end := range s.ends {
		s.fields = append(s.fields, s.fbuf[start:end])
		start = end
	}
	return nil
}

// splitFast splits a line without quotes at the delimiter.
func (s *scanner) splitFast(b []byte) {
	f, d, start := s.fields[:0], s.delim, 0
	for i, c := range b { // fields are short: a loop beats IndexByte's setup
		if c == d {
			f = append(f, b[start:i:i])
			start = i + 1
		}
	}
	s.fields = append(f, b[start:])
}

// splitter is the quote-aware field state machine, fed a line at a time so a
// quoted value can span lines.
type splitter struct {
	quoted     bool // inside a quoted value
	afterQuote bool // just read a quote inside a quoted value
	atStart    bool // only spaces read since the field began
	start      int  // where the current field begins in fbuf
}

// feed runs one line, without its line ending, through the splitter,
// appending values to s.fbuf and the ends of all but the last field to s.ends.
func (s *scanner) feed(b []byte) {
	sp, fbuf, ends, delim := &s.sp, s.fbuf, s.ends, s.delim
	for _, c := range b {
		switch {
		case sp.quoted && sp.afterQuote:
			sp.afterQuote = false
			if c == '"' {
				fbuf = append(fbuf, '"')
				continue
			}
			sp.quoted = false
			if c == delim {
				ends = append(ends, len(fbuf))
				sp.start, sp.atStart = len(fbuf), true
				continue
			}
			fbuf = append(fbuf, c) // text after the closing quote: keep it
		case sp.quoted:
			if c == '"' {
				sp.afterQuote = true
				continue
			}
			fbuf = append(fbuf, c)
		case c == delim:
			ends = append(ends, len(fbuf))
			sp.start, sp.atStart = len(fbuf), true
		case c == '"' && sp.atStart:
			fbuf = fbuf[:sp.start] // drop the spaces before the quote
			sp.quoted, sp.atStart = true, false
		default:
			fbuf = append(fbuf, c)
			sp.atStart = sp.atStart && c == ' '
		}
	}
	if sp.quoted && sp.afterQuote { // the line ended right after a closing quote
		sp.quoted, sp.afterQuote = false, false
	}
	s.fbuf, s.ends = fbuf, ends
}

// trimEOL removes one trailing LF or CR LF.
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}
