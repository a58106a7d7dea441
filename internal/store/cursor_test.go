package store

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDecodeCursor(t *testing.T) {
	at := time.Date(2026, 11, 21, 14, 5, 0, 123, time.UTC)
	for _, c := range []Cursor{{at, "6f1c0f5e-8a4b-4c1e-9d2a-0123456789ab"}, {time.Unix(0, 0).UTC(), "42"}} {
		got, err := DecodeCursor(c.Encode())
		if err != nil || !got.Time.Equal(c.Time) || got.ID != c.ID {
			t.Errorf("DecodeCursor(%v.Encode()) = %v, %v", c, got, err)
		}
	}
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, bad := range []string{"!", enc("2026-11-21T14:05:00Z"), enc("2026-11-21T14:05:00Z|"), enc("yesterday|42"),
		enc("2026-11-21T14:05:00Z|4\x002"), enc("2026-11-21T14:05:00Z|not-a-uuid"), enc("2026-11-21T14:05:00Z|9999999999999999999"),
		enc("2026-11-21T14:05:00Z|6f1c0f5e-8a4b-4c1e-9d2a-0123456789a\x00"), enc("2026-11-21T14:05:00Z|-1")} {
		if _, err := DecodeCursor(bad); err != ErrBadCursor {
			t.Errorf("DecodeCursor(%q) error = %v, want ErrBadCursor", bad, err)
		}
	}
}

// FuzzDecodeCursor: whatever a client sends, DecodeCursor never panics,
// and a cursor it accepts holds only what may reach PostgreSQL and encodes
// back to a cursor that decodes the same.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("")
	f.Add(Cursor{time.Date(2026, 11, 21, 14, 5, 0, 0, time.UTC), "6f1c0f5e-8a4b-4c1e-9d2a-0123456789ab"}.Encode())
	f.Add(Cursor{time.Unix(0, 0), "17"}.Encode())
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("2026-11-21T14:05:00+02:00|1")))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := DecodeCursor(s)
		if err != nil {
			if err != ErrBadCursor {
				t.Fatalf("DecodeCursor(%q) error = %v, want ErrBadCursor", s, err)
			}
			return
		}
		if s == "" {
			return
		}
		if !utf8.ValidString(c.ID) || strings.ContainsRune(c.ID, 0) || !cursorID(c.ID) {
			t.Fatalf("DecodeCursor(%q) = id %q", s, c.ID)
		}
		again, err := DecodeCursor(c.Encode())
		if err != nil || !again.Time.Equal(c.Time) || again.ID != c.ID {
			t.Fatalf("DecodeCursor(%q) = %v, whose Encode decodes to %v, %v", s, c, again, err)
		}
	})
}
