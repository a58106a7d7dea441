// Package ingesttest writes realistic shipment files for the tests and
// benchmarks of the import path: Amazon shipping-confirmation flat files and
// Shipwatch CSVs with valid tracking numbers, of any length, from a seed. The
// same seed always gives the same bytes.
package ingesttest

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// AmazonHeader is the header row of Amazon's shipping-confirmation flat file.
const AmazonHeader = "order-id\torder-item-id\tquantity\tship-date\tcarrier-code\tcarrier-name\ttracking-number\tship-method"

// ShipwatchHeader is the header row of a Shipwatch CSV with every column.
const ShipwatchHeader = "order_id,tracking_number,carrier,service,ship_by,shipped_at,deliver_by,destination_postal_code,destination_country"

// WriteAmazonFlatFile writes an Amazon shipping-confirmation flat file of
// rows item lines after the header. Most shipments are one line; about one in
// five has two or three adjacent item lines with the same order-id and
// tracking-number, as Amazon sellers' files do. numbers(i) gives the tracking
// number and carrier code of the i-th shipment (from 0); nil means
// Numbers(seed). Ship dates are mixed date-only and RFC 3339 with offsets.
func WriteAmazonFlatFile(w io.Writer, rows int, seed int64, numbers func(i int) (trackingNumber, carrierCode string)) error {
	return write(w, rows, seed, numbers, AmazonHeader, appendAmazon)
}

// WriteShipwatchCSV writes a Shipwatch CSV of rows shipments after the
// header, every column filled in the forms sellers use (dates ISO and US,
// some quoted values), one line per shipment. numbers is as for
// WriteAmazonFlatFile.
func WriteShipwatchCSV(w io.Writer, rows int, seed int64, numbers func(i int) (trackingNumber, carrierCode string)) error {
	return write(w, rows, seed, numbers, ShipwatchHeader, appendShipwatch)
}

// shipment is what one generated shipment's lines have in common.
type shipment struct {
	i               int
	orderID         []byte
	tracking, code  string
	month, day      int
	hour, min, sec  int
	zone            string
	dateOnly        bool
	service, postal string
	country         string
}

func write(w io.Writer, rows int, seed int64, numbers func(int) (string, string), header string,
	appendLines func([]byte, *shipment, *rng, int) []byte) error {
	if rows < 0 {
		return fmt.Errorf("write shipments: %d rows", rows)
	}
	if numbers == nil {
		numbers = Numbers(seed)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(header + "\n"); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	g := &rng{state: uint64(seed)}
	var line []byte
	var sh shipment
	for i, written := 0, 0; written < rows; i++ {
		items := 1
		if p := g.intn(100); p >= 95 {
			items = 3
		} else if p >= 80 {
			items = 2
		}
		items = min(items, rows-written)
		sh.fill(i, g, numbers)
		line = appendLines(line[:0], &sh, g, items)
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("write shipment %d: %w", i, err)
		}
		written += items
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write shipments: %w", err)
	}
	return nil
}

var (
	zones    = []string{"-08:00", "-07:00", "-05:00", "+00:00", "Z"}
	postals  = []string{"98109", "10001", "60601", "94105", "30301", "73301", "02108", "80202"}
	services = map[string][]string{
		"UPS":   {"UPS Ground", "UPS 2nd Day Air", "UPS Next Day Air"},
		"USPS":  {"USPS Ground Advantage", "Priority Mail", "Priority Mail Express"},
		"FedEx": {"FedEx Ground", "FedEx Home Delivery", "FedEx 2Day"},
	}
)

func (sh *shipment) fill(i int, g *rng, numbers func(int) (string, string)) {
	sh.i = i
	sh.tracking, sh.code = numbers(i)
	sh.orderID = append(sh.orderID[:0], "11"...)
	sh.orderID = strconv.AppendInt(sh.orderID, int64(1+g.intn(4)), 10)
	sh.orderID = append(sh.orderID, '-')
	sh.orderID = appendDigits(sh.orderID, uint64(g.intn(10_000_000)), 7)
	sh.orderID = append(sh.orderID, '-')
	sh.orderID = appendDigits(sh.orderID, uint64(i), 7)
	sh.month, sh.day = 11+g.intn(2), 1+g.intn(30)
	sh.hour, sh.min, sh.sec = g.intn(24), g.intn(60), g.intn(60)
	sh.zone = zones[g.intn(len(zones))]
	sh.dateOnly = g.intn(10) < 3
	sh.service = "Standard"
	if s := services[sh.code]; s != nil {
		sh.service = s[g.intn(len(s))]
	}
	sh.postal = postals[g.intn(len(postals))]
	sh.country = "US"
}

func appendAmazon(b []byte, sh *shipment, g *rng, items int) []byte {
	for range items {
		b = append(b, sh.orderID...)
		b = append(b, '\t')
		b = appendDigits(b, g.next()%100_000_000_000_000, 14)
		b = append(b, '\t')
		b = strconv.AppendInt(b, int64(1+g.intn(3)), 10)
		b = append(b, '\t')
		b = appendISO(b, sh, sh.month, sh.day, !sh.dateOnly)
		b = append(b, '\t')
		b = append(b, sh.code...)
		b = append(b, "\t\t"...) // carrier-name: Amazon wants it only for "Other"
		b = append(b, sh.tracking...)
		b = append(b, '\t')
		b = append(b, sh.service...)
		b = append(b, '\n')
	}
	return b
}

func appendShipwatch(b []byte, sh *shipment, g *rng, _ int) []byte {
	b = append(b, sh.orderID...)
	b = append(b, ',')
	b = append(b, sh.tracking...)
	b = append(b, ',')
	b = append(b, sh.code...)
	b = append(b, ',')
	if g.intn(10) == 0 { // a quoted value, as spreadsheets write some
		b = append(b, '"')
		b = append(b, sh.service...)
		b = append(b, ", signature\"\"s required\""...)
	} else {
		b = append(b, sh.service...)
	}
	b = append(b, ',')
	b = appendISO(b, sh, sh.month, sh.day, false) // ship_by: the end of that day
	b = append(b, ',')
	if g.intn(2) == 0 {
		b = appendISO(b, sh, sh.month, sh.day, true)
	} else { // 11/21/2026 2:05 PM, in the seller's zone
		b = strconv.AppendInt(b, int64(sh.month), 10)
		b = append(b, '/')
		b = strconv.AppendInt(b, int64(sh.day), 10)
		b = append(b, "/2026 "...)
		b = strconv.AppendInt(b, int64((sh.hour+11)%12+1), 10)
		b = append(b, ':')
		b = appendDigits(b, uint64(sh.min), 2)
		if sh.hour < 12 {
			b = append(b, " AM"...)
		} else {
			b = append(b, " PM"...)
		}
	}
	b = append(b, ',')
	b = appendISO(b, sh, sh.month, min(sh.day+3, 30), false) // deliver_by
	b = append(b, ',')
	b = append(b, sh.postal...)
	b = append(b, ',')
	b = append(b, sh.country...)
	return append(b, '\n')
}

// appendISO appends 2026-mm-dd, with the shipment's time and zone if withTime.
func appendISO(b []byte, sh *shipment, month, day int, withTime bool) []byte {
	b = append(b, "2026-"...)
	b = appendDigits(b, uint64(month), 2)
	b = append(b, '-')
	b = appendDigits(b, uint64(day), 2)
	if !withTime {
		return b
	}
	b = append(b, 'T')
	b = appendDigits(b, uint64(sh.hour), 2)
	b = append(b, ':')
	b = appendDigits(b, uint64(sh.min), 2)
	b = append(b, ':')
	b = appendDigits(b, uint64(sh.sec), 2)
	return append(b, sh.zone...)
}

// appendDigits appends v as exactly n decimal digits, zero-padded.
func appendDigits(b []byte, v uint64, n int) []byte {
	start := len(b)
	for range n {
		b = append(b, '0')
	}
	for k := len(b) - 1; k >= start; k-- {
		b[k] = byte('0' + v%10)
		v /= 10
	}
	return b
}

// rng is splitmix64: tiny, fast and the same on every platform and Go
// version, so a seed names the same file forever.
type rng struct{ state uint64 }

func (g *rng) next() uint64 {
	g.state += 0x9e3779b97f4a7c15
	z := g.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (g *rng) intn(n int) int { return int(g.next() % uint64(n)) }
