package tracking

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalize returns s as Shipwatch compares tracking numbers: without
// surrounding or inner white space, without the separators sellers paste in
// (hyphens and dashes, dots, slashes, underscores, quotes, invisible format
// characters such as zero-width spaces), with full-width characters folded
// to ASCII and letters upper-cased. Anything else is kept, so a stray
// character still makes the number unrecognisable instead of silently
// vanishing. Normalize is idempotent and does not allocate when s is already
// normalised or only needs trimming.
func Normalize(s string) string {
	if isClean(s) {
		return s
	}
	if t := strings.TrimSpace(s); isClean(t) {
		return t
	}
	return normalizeSlow(s)
}

// isClean reports whether s holds only digits and upper-case ASCII letters,
// the normal form of every tracking number.
func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// normalizeSlow builds the normal form of a string that needs more than
// trimming.
func normalizeSlow(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c >= 'a' && c <= 'z':
				b.WriteByte(c - 'a' + 'A')
			case isASCIISeparator(c):
			default:
				b.WriteByte(c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0xFF01 && r <= 0xFF5E {
			// Full-width forms of ASCII, as pasted from East Asian pages.
			c := byte(r - 0xFEE0)
			switch {
			case c >= 'a' && c <= 'z':
				b.WriteByte(c - 'a' + 'A')
			case isASCIISeparator(c):
			default:
				b.WriteByte(c)
			}
			continue
		}
		if isSeparator(r) {
			continue
		}
		b.WriteRune(upper(r))
	}
	return b.String()
}

// isASCIISeparator reports whether c is white space or one of the ASCII
// separators found between groups of digits in pasted numbers.
func isASCIISeparator(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r', '-', '.', '/', '_', '\'', '"':
		return true
	}
	return false
}

// isSeparator reports whether the non-ASCII rune r is white space, a dash,
// a quotation mark or an invisible format character (zero-width space,
// byte-order mark, soft hyphen).
func isSeparator(r rune) bool {
	return unicode.IsSpace(r) ||
		unicode.In(r, unicode.Pd, unicode.Cf, unicode.Pi, unicode.Pf, unicode.Zs)
}

// upper upper-cases r unless that is not stable: Normalize must be
// idempotent, and a rune whose upper case upper-cases again differently is
// kept as it is. No carrier uses non-ASCII characters, so such a number is
// rejected either way.
func upper(r rune) rune {
	u := unicode.ToUpper(r)
	if u >= 0xFF01 && u <= 0xFF5E || u < utf8.RuneSelf && (isASCIISeparator(byte(u)) || u >= 'a' && u <= 'z') {
		return r
	}
	if unicode.ToUpper(u) != u || isSeparator(u) {
		return r
	}
	return u
}
