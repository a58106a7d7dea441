package evidence

import (
	"strings"
	"unicode"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// The PDF uses the PDF core fonts (Helvetica, Courier): nothing to embed,
// and text that any PDF reader extracts. Their encoding is Windows-1252,
// so every string is translated before it is drawn: runes of Windows-1252
// as they are, accented letters outside it as their base letter ("Łukasz Dvořák"
// becomes "Lukasz Dvorák"), and anything else (CJK, emoji) as "?". The JSON
// keeps the original text; only the PDF is lossy.

// folds are letters without a Unicode decomposition that still read well
// as an ASCII letter.
var folds = map[rune]string{
	'Ł': "L", 'ł': "l", 'Đ': "D", 'đ': "d", 'Ħ': "H", 'ħ': "h",
	'ı': "i", 'Ŧ': "T", 'ŧ': "t", 'Ŋ': "N", 'ŋ': "n", 'ĸ': "k",
	'‐': "-", '‑': "-", '−': "-", '→': "->", '←': "<-", '≤': "<=", '≥': ">=",
	'\u00a0': " ", '\u2009': " ", '\u202f': " ",
}

// pdfText translates s to Windows-1252 bytes for the core fonts. Control
// characters become spaces: table cells are laid out by the renderer.
func pdfText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteString(pdfRune(r))
	}
	return b.String()
}

func pdfRune(r rune) string {
	switch {
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return " "
	case r < 0x7f:
		return string(byte(r))
	}
	if c, ok := charmap.Windows1252.EncodeRune(r); ok {
		return string([]byte{c})
	}
	if f, ok := folds[r]; ok {
		return f
	}
	// A letter with marks ("ź", "ő"): keep the base letter when it can
	// be drawn, dropping the marks.
	if d := []rune(norm.NFD.String(string(r))); len(d) > 1 && !unicode.Is(unicode.Mn, d[0]) {
		if c, ok := charmap.Windows1252.EncodeRune(d[0]); ok {
			return string([]byte{c})
		}
	}
	return "?"
}
