// Package clip bounds what an error message repeats of a user's input: a
// value quoted in a message is cut to a fixed length and says how long it
// was, so a megabyte cell, argument or webhook field makes a message of a
// few hundred bytes, not a megabyte.
package clip

import (
	"strconv"
	"unicode/utf8"
)

// MaxQuoted is how many bytes of a value a message repeats.
const MaxQuoted = 64

// MaxMessage is the longest message Text lets through.
const MaxMessage = 1024

// Quote returns s as a Go-quoted string, cut at MaxQuoted bytes (on a
// rune boundary) and followed by "…(N bytes)" when it was longer. Control
// characters, NUL bytes and invalid UTF-8 are escaped, never repeated raw.
func Quote(s string) string {
	if len(s) <= MaxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:cut(s, MaxQuoted)]) + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// Text bounds a whole message that may repeat input it does not quote
// itself (a parser's or validator's message): cut at MaxMessage bytes and
// followed by "…(N bytes)" when it was longer.
func Text(s string) string {
	if len(s) <= MaxMessage {
		return s
	}
	return s[:cut(s, MaxMessage)] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// cut returns the largest n <= max at which s may be cut without
// splitting a rune.
func cut(s string, max int) int {
	n := max
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}
