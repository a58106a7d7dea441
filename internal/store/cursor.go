package store

import (
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// ErrBadCursor is returned for an `after` cursor this server did not issue.
var ErrBadCursor = errors.New("invalid cursor")

// Cursor is a keyset position: the sort time and id of the last row seen.
// It is opaque to clients.
type Cursor struct {
	Time time.Time
	ID   string
}

// Encode returns the cursor's opaque text.
func (c Cursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.Time.UTC().Format(time.RFC3339Nano) + "|" + c.ID))
}

// DecodeCursor parses a cursor from Encode; "" is the zero Cursor, the
// start of the list.
func DecodeCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil || !cursorID(id) {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{Time: t, ID: id}, nil
}

// cursorID reports whether id is what this API puts in cursors: a UUID or
// a whole number that fits a bigint. Anything else (a NUL byte, text that
// is not a UUID) would reach PostgreSQL and fail there as an internal
// error rather than as a bad cursor.
func cursorID(id string) bool {
	if n := len(id); n >= 1 && n <= 18 && strings.Trim(id, "0123456789") == "" {
		return true
	}
	return IsUUID(id)
}

// IsUUID reports whether s is a UUID in its usual text form (any case):
// anything else is an unknown id, refused before it reaches SQL, where it
// would fail as an internal error.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// after returns the cursor's time and id as query parameters: NULLs for the
// zero cursor, so one SQL text serves the first page and the next ones.
func (c Cursor) after() (any, any) {
	if c.ID == "" {
		return nil, nil
	}
	return c.Time, c.ID
}

// Page is one page of a keyset-paginated list.
type Page[T any] struct {
	Items   []T
	Cursors []Cursor
	HasNext bool
}

// pageOf trims a list fetched with limit+1 rows into a page.
func pageOf[T any](rows []T, limit int, cursor func(T) Cursor) Page[T] {
	p := Page[T]{Items: rows}
	if len(rows) > limit {
		p.Items = rows[:limit]
		p.HasNext = true
	}
	p.Cursors = make([]Cursor, len(p.Items))
	for i, r := range p.Items {
		p.Cursors[i] = cursor(r)
	}
	return p
}
