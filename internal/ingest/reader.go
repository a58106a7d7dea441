package ingest

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Reader streams the shipments of one file. It is not safe for concurrent
// use.
type Reader struct {
	s      *scanner
	lay    *layout
	opt    Options
	header string // raw header row, for checkpoints
	err    error  // sticky: io.EOF or a fatal read error

	// An Amazon shipment ends only at a line of another shipment, so that
	// line is read ahead and kept here, with where it starts, until the next
	// call to Next.
	hasAhead  bool
	ahead     Row
	aheadErr  error
	aheadOff  int64
	aheadLine int

	scratch []byte      // a row's strings, before they become one allocation
	times   []time.Time // slab the Row time pointers point into
}

// NewReader reads the header of a file and returns a Reader positioned at its
// first row. The delimiter (comma, semicolon or tab) is the one the header
// line uses most; a UTF-8 byte order mark is skipped. It returns an error
// wrapping ErrNotDelimited for input that is not a delimited text file with a
// known header, and a *HeaderError when required columns are missing.
func NewReader(r io.Reader, opt Options) (*Reader, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	s := newScanner(r, opt.MaxRowBytes)
	head, err := s.br.Peek(4096)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read header: %w", err)
	}
	if bytes.HasPrefix(head, utf8BOM) {
		head = head[len(utf8BOM):]
		if _, err := s.br.Discard(len(utf8BOM)); err != nil {
			return nil, fmt.Errorf("read header: %w", err)
		}
		s.off = int64(len(utf8BOM))
	}
	if err := sniffText(head); err != nil {
		return nil, err
	}
	if s.delim, err = sniffFirstLine(head); err != nil {
		return nil, err
	}
	return newReader(s, opt)
}

// NewReaderAt resumes reading a file at a checkpoint that an earlier Reader
// of the same file returned. r must deliver the file from cp.Offset on, for
// example an *os.File after Seek(cp.Offset, io.SeekStart) or an
// io.NewSectionReader; opt must be the options of the first read. Rows then
// come exactly as the first Reader would have returned them after the
// checkpoint, with the same line numbers, and Checkpoint goes on counting
// bytes from the start of the file.
func NewReaderAt(r io.Reader, cp Checkpoint, opt Options) (*Reader, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	// Line is 1 only for a header that ends the file without a line break.
	if cp.Line < 1 || cp.Offset < int64(len(cp.Header)) {
		return nil, fmt.Errorf("resume: checkpoint at line %d, offset %d is not after a header", cp.Line, cp.Offset)
	}
	// Reading the stored header through the same scanner as a first read
	// guarantees the same delimiter, columns and format.
	in := io.MultiReader(strings.NewReader(cp.Header+"\n"), r)
	s := newScanner(in, opt.MaxRowBytes)
	if s.delim, err = sniffFirstLine([]byte(cp.Header)); err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	rd, err := newReader(s, opt)
	if err != nil {
		return nil, fmt.Errorf("resume: %w", err)
	}
	if s.off != int64(len(cp.Header))+1 {
		return nil, fmt.Errorf("resume: checkpoint header %s is not one row", quote(cp.Header))
	}
	s.off, s.line = cp.Offset, cp.Line-1
	return rd, nil
}

var utf8BOM = []byte("\ufeff")

// newReader reads the header row with s, whose delimiter is known.
func newReader(s *scanner, opt Options) (*Reader, error) {
	if err := s.next(); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("%w: the file is empty", ErrNotDelimited)
		}
		return nil, fmt.Errorf("read header: %w", err)
	}
	switch {
	case s.tooLong:
		return nil, fmt.Errorf("%w: the first line is longer than %d bytes", ErrNotDelimited, s.max)
	case s.unclosed:
		return nil, fmt.Errorf("%w: a quote in the first line is never closed", ErrNotDelimited)
	case bytes.IndexByte(s.rec, 0) >= 0:
		return nil, fmt.Errorf("%w: a NUL byte in the header: the file is binary, not text", ErrNotDelimited)
	}
	lay, err := parseHeader(s.fields, opt.Format)
	if err != nil {
		return nil, err
	}
	return &Reader{s: s, lay: lay, opt: opt, header: string(s.rec)}, nil
}

func (o Options) withDefaults() (Options, error) {
	switch o.Format {
	case "":
		o.Format = FormatAuto
	case FormatAuto, FormatShipwatchCSV, FormatAmazonFlatFile:
	default:
		return o, fmt.Errorf("ingest: unknown format %q", o.Format)
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	switch {
	case o.MaxRowBytes <= 0:
		o.MaxRowBytes = DefaultMaxRowBytes
	case o.MaxRowBytes > MaxMaxRowBytes:
		return o, fmt.Errorf("ingest: MaxRowBytes %d is over %d", o.MaxRowBytes, MaxMaxRowBytes)
	}
	return o, nil
}

// sniffText rejects, by their first bytes, the files sellers upload by
// mistake, naming what they are when it can tell.
func sniffText(head []byte) error {
	var what string
	switch {
	case len(head) == 0:
		what = "the file is empty"
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		what = "the file is UTF-16 text (save it as CSV UTF-8)"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		what = "the file is a ZIP archive or an Excel workbook (export it as CSV)"
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0")):
		what = "the file is an Excel 97-2003 workbook (export it as CSV)"
	case bytes.HasPrefix(head, []byte("%PDF")):
		what = "the file is a PDF"
	case bytes.HasPrefix(head, []byte("\x1f\x8b")):
		what = "the file is gzip-compressed (upload it uncompressed)"
	default:
		// Binary files have NUL bytes early; in a later row one only
		// rejects that row.
		first, _, _ := bytes.Cut(head, []byte("\n"))
		if i := bytes.IndexByte(first, 0); i >= 0 {
			what = fmt.Sprintf("a NUL byte at offset %d: the file is binary, not text", i)
		}
	}
	if what != "" {
		return fmt.Errorf("%w: %s", ErrNotDelimited, what)
	}
	return nil
}

// sniffFirstLine finds the delimiter in the start of the file, which must
// end its lines with LF or CR LF.
func sniffFirstLine(head []byte) (byte, error) {
	first := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		first = head[:i]
	}
	// A fixed window, well inside what NewReader peeks even after a BOM,
	// makes a resumed read sniff exactly what the first read did.
	w := first[:min(len(first), 1024)]
	if i := bytes.IndexByte(w, '\r'); i >= 0 && i+1 < len(head) && head[i+1] != '\n' {
		return 0, fmt.Errorf("%w: lines end with CR alone, as in classic Mac files (save it with Windows or Unix line endings)", ErrNotDelimited)
	}
	d, ok := sniffDelimiter(w)
	if !ok {
		return 0, fmt.Errorf("%w: the first line %s has no comma, semicolon or tab", ErrNotDelimited, quote(string(trimEOL(first))))
	}
	return d, nil
}

// Format returns the format the file is read as, never FormatAuto.
func (r *Reader) Format() Format { return r.lay.format }

// Warnings returns what the header made the Reader ignore, such as unknown
// columns, each reported once.
func (r *Reader) Warnings() []string { return slices.Clone(r.lay.warn) }

// Next returns the next shipment. At the end of the file it returns io.EOF.
// A *RowError rejects one row and reading may go on; any other error is
// fatal and Next returns it again on every later call.
//
// In an Amazon flat file, adjacent lines with the same order-id and
// tracking-number make one Row, whose Items counts them; the first line's
// values win. A rejected line ends the shipment before it.
func (r *Reader) Next() (Row, error) {
	if r.lay.format != FormatAmazonFlatFile {
		return r.read()
	}
	var cur Row
	if r.hasAhead {
		r.hasAhead = false
		if r.aheadErr != nil {
			return Row{}, r.aheadErr
		}
		cur = r.ahead
	} else {
		row, err := r.read()
		if err != nil {
			return Row{}, err
		}
		cur = row
	}
	for {
		off, line := r.s.off, r.s.line+1
		row, err := r.read()
		if err == nil && row.OrderID == cur.OrderID && row.TrackingNumber == cur.TrackingNumber {
			cur.Items++
			continue
		}
		r.hasAhead, r.ahead, r.aheadErr = true, row, err
		r.aheadOff, r.aheadLine = off, line
		return cur, nil
	}
}

// read returns the next row that is not blank, or why it was rejected.
func (r *Reader) read() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	for {
		if err := r.s.next(); err != nil {
			if err != io.EOF {
				// Part of the row may be consumed: keep the checkpoint at
				// its start, where a resumed read must begin.
				r.s.off, r.s.line = r.s.startOff, r.s.startLine-1
				err = fmt.Errorf("read line %d: %w", r.s.startLine, err)
			}
			r.err = err
			return Row{}, err
		}
		row, rerr, blank := r.convert()
		switch {
		case blank:
			continue
		case rerr != nil:
			return Row{}, rerr
		}
		return row, nil
	}
}

// Checkpoint returns the boundary between the rows Next has returned and the
// rest, to resume from with NewReaderAt. A loader stores it in the same
// transaction as the rows (and row errors) before it.
func (r *Reader) Checkpoint() Checkpoint {
	off, line := r.s.off, r.s.line+1
	if r.hasAhead {
		off, line = r.aheadOff, r.aheadLine
	}
	return Checkpoint{Offset: off, Line: line, Header: r.header}
}

// Offset returns the bytes of the file, from its very start, that Next has
// returned or rejected: Checkpoint().Offset. It is meant for progress; the
// Reader itself may have read ahead by up to its buffer.
func (r *Reader) Offset() int64 { return r.Checkpoint().Offset }

// Line returns the line the next row starts on: Checkpoint().Line.
func (r *Reader) Line() int { return r.Checkpoint().Line }
