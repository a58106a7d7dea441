// Package ingest reads the shipment files sellers upload: Shipwatch's own CSV
// and Amazon's tab-delimited shipping-confirmation flat file. It streams: a
// Reader holds one row (at most Options.MaxRowBytes) and a read buffer, never
// the whole file, so a million-row upload costs the same memory as ten rows.
//
// Every good row comes out as a Row; every bad row comes out alone as a
// *RowError naming its line and column and carrying its raw text, and reading
// goes on. Only a file that is not delimited text at all, or whose header
// lacks a required column, stops the read. Checkpoint and NewReaderAt let a
// loader resume a half-read file after a crash.
//
// The package is pure: it reads an io.Reader and knows nothing of databases.
package ingest

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Format names a file layout. The values are public contracts (GraphQL enum
// values), so they never change.
type Format string

// The file formats a Reader understands.
const (
	// FormatAuto recognises the format from the header row.
	FormatAuto Format = "AUTO"
	// FormatShipwatchCSV is Shipwatch's own layout: order_id, tracking_number, ...
	FormatShipwatchCSV Format = "SHIPWATCH_CSV"
	// FormatAmazonFlatFile is Amazon's shipping-confirmation flat file:
	// order-id, order-item-id, ..., one line per order item.
	FormatAmazonFlatFile Format = "AMAZON_FLAT_FILE"
)

// Name returns the format's name for people: "Shipwatch CSV", "Amazon
// flat file".
func (f Format) Name() string {
	switch f {
	case FormatShipwatchCSV:
		return "Shipwatch CSV"
	case FormatAmazonFlatFile:
		return "Amazon flat file"
	}
	return string(f)
}

// Article returns the format's name for a sentence, with its article:
// "a Shipwatch CSV", "an Amazon flat file".
func (f Format) Article() string {
	switch f {
	case FormatShipwatchCSV:
		return "a " + f.Name()
	case FormatAmazonFlatFile:
		return "an " + f.Name()
	}
	return "a file of format " + string(f)
}

// DefaultMaxRowBytes is the longest row a Reader accepts when
// Options.MaxRowBytes is zero. Real rows are a few hundred bytes; the limit
// bounds memory and stops an unclosed quote from swallowing the file.
const DefaultMaxRowBytes = 64 << 10

// MaxMaxRowBytes is the largest Options.MaxRowBytes allowed: the Reader's
// buffer is that big, whatever the file.
const MaxMaxRowBytes = 16 << 20

// Options tune a Reader. The zero value reads either format in UTC.
type Options struct {
	// Format forces a format; "" or FormatAuto recognises it from the header.
	Format Format
	// Location is the seller's time zone, used for dates and times that carry
	// no zone or offset of their own. Nil means UTC.
	Location *time.Location
	// MaxRowBytes is the longest row accepted, line endings excluded, quoted
	// line breaks included. Zero or less means DefaultMaxRowBytes; more than
	// MaxMaxRowBytes is an error.
	MaxRowBytes int
	// ResolveCarrier maps a carrier as the seller wrote it ("UPS", "Fed Ex")
	// to a Shipwatch carrier code; ok false rejects the row as an unknown
	// carrier. Nil accepts any carrier, lower-cased. It is never called for
	// a blank carrier: blank means the seller did not declare one.
	ResolveCarrier func(name string) (code string, ok bool)
}

// Row is one shipment read from a file. Strings are trimmed of surrounding
// white space; times are in UTC and nil when the cell is blank.
type Row struct {
	// Line is the physical line the row starts on (the header is line 1).
	// For an Amazon shipment of several item lines it is the first one.
	Line int
	// OrderID is the seller's or marketplace's order id. Never empty.
	OrderID string
	// TrackingNumber is the carrier's tracking number as written. Never empty.
	TrackingNumber string
	// Carrier is the carrier code (see Options.ResolveCarrier); "" when the
	// file does not declare one.
	Carrier string
	// Service is the carrier service or ship method as written, e.g. "Ground".
	Service string
	// ShipBy is the latest time the seller promised to ship.
	ShipBy *time.Time
	// ShippedAt is when the parcel was handed to the carrier.
	ShippedAt *time.Time
	// DeliverBy is the latest promised delivery time.
	DeliverBy *time.Time
	// PostalCode is the destination postal code as written.
	PostalCode string
	// Country is the destination's ISO 3166 alpha-2 code, upper case, or "".
	Country string
	// OriginPostal and OriginCountry are where the parcel leaves from, as
	// the destination's; "" for the seller's default.
	OriginPostal  string
	OriginCountry string
	// Items is how many adjacent order-item lines of an Amazon flat file make
	// this shipment; 0 for formats that do not list items.
	Items int
}

// ErrNotDelimited is the error, wrapped with the reason, for input that is
// not a delimited text file: empty, binary, a spreadsheet, UTF-16, or a first
// line that is not a header of a known format.
var ErrNotDelimited = errors.New("not a delimited text file")

// HeaderError reports a header row that names a known format but cannot be
// read as one: required columns are missing, or a column appears twice.
type HeaderError struct {
	// Format is the format the header was read as.
	Format Format
	// Missing lists the required columns absent from the header.
	Missing []string
	// Duplicate lists columns named more than once.
	Duplicate []string
}

// Error implements error.
func (e *HeaderError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing required column(s) "+strings.Join(e.Missing, ", "))
	}
	if len(e.Duplicate) > 0 {
		parts = append(parts, "column(s) named twice: "+strings.Join(e.Duplicate, ", "))
	}
	return fmt.Sprintf("header of %s: %s", e.Format.Article(), strings.Join(parts, "; "))
}

// RowError is a rejected row. The Reader goes on with the next row after
// returning one.
type RowError struct {
	// Line is the physical line the row starts on.
	Line int
	// Column is the header name of the offending column, lower case as in
	// the format's documentation, or "" when the whole row is at fault.
	Column string
	// Message says what is wrong and, where it helps, how to fix it.
	Message string
	// Record is the raw text of the row as it appeared in the file (line
	// breaks inside quotes included, the final line ending excluded), so an
	// errors file can be fixed and uploaded again. A row longer than
	// Options.MaxRowBytes is cut to that length.
	Record string
}

// Error implements error, e.g.
// `line 12, column ship_by: "31/31/2026" is not a date (...)`.
func (e *RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Message)
}

// Checkpoint is a row boundary in a file: everything before Offset has been
// returned by Next, everything from Offset on has not. It is plain data, so a
// loader can store it with the rows it committed and, after a crash, pass it
// to NewReaderAt with the file positioned at Offset.
type Checkpoint struct {
	// Offset is the byte offset of the next unread row from the very start
	// of the file, byte order mark included.
	Offset int64
	// Line is the physical line number the next unread row starts on.
	Line int
	// Header is the header row as read (no byte order mark, no line ending),
	// from which a resumed Reader learns the delimiter and the columns.
	Header string
}
