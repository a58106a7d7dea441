package ingest

import "time"

// dateHint is the end of every "not a date" message.
const dateHint = "(use 2026-11-21, 11/21/2026 or RFC 3339)"

// dayEnd says what a date without a time of day means.
type dayEnd bool

const (
	startOfDay dayEnd = false // shipped_at: the parcel left that day, from its start
	endOfDay   dayEnd = true  // ship_by, deliver_by: the promise holds until the day is over
)

// lastInstant is how far before midnight a date-only promise ends. PostgreSQL
// keeps microseconds and rounds the rest, so a nanosecond before midnight
// would be stored as the next day.
const lastInstant = time.Microsecond

// parseTime reads the date forms sellers use, returning the instant in UTC:
//
//	2026-11-21               2026-11-21T14:05:00Z      2026-11-21T14:05:00.250+01:00
//	11/21/2026               2026-11-21 14:05          2026-11-21T14:05:00-0800
//	11/21/2026 2:05 PM       11/21/2026 14:05:00 UTC   2026-11-21 14:05 +01
//
// Slashed dates are month/day/year, as US sellers and Amazon write them. A
// time without a zone or offset is in loc. A date alone is the start or the
// end of that day in loc, as end says. It is written by hand because it runs
// for every date cell of a million-row file; time.Parse over a list of
// layouts costs several times more.
func parseTime(b []byte, loc *time.Location, end dayEnd) (time.Time, bool) {
	p := parser{b: b}
	var y, m, d int
	if len(b) > 4 && b[4] == '-' {
		y, _ = p.num(4, 4)
		m, _ = p.sepNum('-', 1, 2)
		d, _ = p.sepNum('-', 1, 2)
	} else {
		m, _ = p.num(1, 2)
		d, _ = p.sepNum('/', 1, 2)
		y, _ = p.sepNum('/', 4, 4)
	}
	if p.bad || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return time.Time{}, false
	}
	if p.done() {
		t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, loc)
		if end {
			t = time.Date(y, time.Month(m), d+1, 0, 0, 0, 0, loc).Add(-lastInstant)
		}
		return t.UTC(), true
	}
	if c := p.peek(); c == 'T' || c == 't' {
		p.i++
	} else if !p.spaces() {
		return time.Time{}, false
	}
	h, _ := p.num(1, 2)
	mi, _ := p.sepNum(':', 2, 2)
	var sec, ns int
	if p.peek() == ':' {
		sec, _ = p.sepNum(':', 2, 2)
		if c := p.peek(); c == '.' || c == ',' {
			p.i++
			ns = p.fraction()
		}
	}
	if p.bad || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	p.spaces()
	if pm, ok := p.meridiem(); ok {
		if h < 1 || h > 12 {
			return time.Time{}, false
		}
		h %= 12
		if pm {
			h += 12
		}
		p.spaces()
	}
	if p.done() {
		return time.Date(y, time.Month(m), d, h, mi, sec, ns, loc).UTC(), true
	}
	offset, ok := p.zone()
	if !ok || !p.done() {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, h, mi, sec, ns, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

// parser walks a date cell. Once bad is set every further read fails.
type parser struct {
	b   []byte
	i   int
	bad bool
}

func (p *parser) done() bool { return !p.bad && p.i == len(p.b) }

func (p *parser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// num reads between lo and hi decimal digits.
func (p *parser) num(lo, hi int) (int, bool) {
	n, k := 0, 0
	for k < hi && p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		n = n*10 + int(p.b[p.i]-'0')
		p.i++
		k++
	}
	if k < lo {
		p.bad = true
	}
	return n, !p.bad
}

// sepNum reads the separator sep, then a number as num does.
func (p *parser) sepNum(sep byte, lo, hi int) (int, bool) {
	if p.peek() != sep {
		p.bad = true
		return 0, false
	}
	p.i++
	return p.num(lo, hi)
}

// fraction reads 1 to 9 digits of a second as nanoseconds.
func (p *parser) fraction() int {
	start := p.i
	n, _ := p.num(1, 9)
	for k := p.i - start; k < 9; k++ {
		n *= 10
	}
	return n
}

// spaces skips spaces and reports whether there were any.
func (p *parser) spaces() bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] == ' ' {
		p.i++
	}
	return p.i > start
}

// meridiem reads AM or PM in any case.
func (p *parser) meridiem() (pm, ok bool) {
	if p.i+2 > len(p.b) || p.b[p.i+1]|0x20 != 'm' {
		return false, false
	}
	switch p.b[p.i] | 0x20 {
	case 'a':
	case 'p':
		pm = true
	default:
		return false, false
	}
	p.i += 2
	return pm, true
}

// zone reads Z, UTC, GMT or an offset +hh, +hhmm or +hh:mm, returning the
// offset east of UTC in seconds. UTC and GMT may carry an offset too.
func (p *parser) zone() (int, bool) {
	switch c := p.peek(); {
	case c == 'Z' || c == 'z':
		p.i++
		return 0, true
	case p.word("UTC") || p.word("GMT"):
		if p.done() {
			return 0, true
		}
	}
	sign := 1
	switch p.peek() {
	case '+':
	case '-':
		sign = -1
	default:
		return 0, false
	}
	p.i++
	h, _ := p.num(2, 2)
	var m int
	if p.peek() == ':' {
		m, _ = p.sepNum(':', 2, 2)
	} else if p.i < len(p.b) {
		m, _ = p.num(2, 2)
	}
	if p.bad || h > 23 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

// word reads w, ignoring the case of the input.
func (p *parser) word(w string) bool {
	if len(p.b)-p.i < len(w) {
		return false
	}
	for k := 0; k < len(w); k++ {
		if p.b[p.i+k]&^0x20 != w[k] {
			return false
		}
	}
	p.i += len(w)
	return true
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
