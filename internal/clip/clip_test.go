package clip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"UPS", `"UPS"`},
		{"a\x00b", `"a\x00b"`},
		{strings.Repeat("x", 64), `"` + strings.Repeat("x", 64) + `"`},
		{strings.Repeat("x", 65), `"` + strings.Repeat("x", 64) + `"…(65 bytes)`},
		{strings.Repeat("x", 63) + "é", `"` + strings.Repeat("x", 63) + `"…(65 bytes)`},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("Quote(%.80q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// A megabyte value quotes as a few hundred bytes, whatever it holds.
func TestQuoteBounded(t *testing.T) {
	for _, unit := range []string{"x", "\x00", "é", "\xff", "\u2028"} {
		in := strings.Repeat(unit, 1<<20/len(unit))
		got := Quote(in)
		if len(got) > 300 {
			t.Errorf("Quote(1 MB of %q) is %d bytes, want at most 300", unit, len(got))
		}
		if !strings.HasSuffix(got, "bytes)") {
			t.Errorf("Quote(1 MB of %q) = %.80s..., want the length at the end", unit, got)
		}
	}
}

func TestText(t *testing.T) {
	if got := Text("short"); got != "short" {
		t.Errorf(`Text("short") = %q`, got)
	}
	got := Text(strings.Repeat("é", 1<<19))
	if len(got) > MaxMessage+32 || !utf8.ValidString(got) || !strings.HasSuffix(got, "…(1048576 bytes)") {
		t.Errorf("Text(1 MB) = %d bytes ending %q, want at most %d valid bytes ending with the length", len(got), got[len(got)-20:], MaxMessage+32)
	}
}

func FuzzQuote(f *testing.F) {
	f.Add("abc")
	f.Add(strings.Repeat("é", 40))
	f.Fuzz(func(t *testing.T, s string) {
		if got := Quote(s); len(got) > 4*MaxQuoted+32 {
			t.Fatalf("Quote(%q) is %d bytes", s, len(got))
		}
		if got := Text(s); len(got) > MaxMessage+32 || (utf8.ValidString(s) && !utf8.ValidString(got)) {
			t.Fatalf("Text(%q) = %q", s, got)
		}
	})
}
