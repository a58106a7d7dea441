package tracking

import "math"

// formatID indexes formats.
type formatID uint8

// format describes one tracking-number format: how to recognise its shape,
// where its check character is and what it must be, what fields it carries,
// and the figures that rank it against other formats of the same shape.
type format struct {
	id      string    // public code: the API's and the CLI's "format"
	name    string    // display name for messages
	carrier carrierID // issuer; S10 numbers take their operator's instead
	lengths []int     // normalised lengths the shape accepts

	// numeric marks a format of digits only: detect tries it only on
	// strings of digits, and its shape and check need not test for them.
	numeric bool
	// shape reports whether s (of one of lengths, and all digits for a
	// numeric format) has this format's structure, check character aside.
	shape func(s string) bool
	// check returns the position of the check character in s and the
	// character the format's algorithm calls for; nil when the format has
	// no check character.
	check func(s string) (pos int, want byte)
	// fields returns what the number encodes. It returns a value: a
	// pointer passed through a function value would make Result escape.
	fields func(s string) Fields

	// weak marks a format whose shape and check match too many strings that
	// are not tracking numbers: it is accepted only for its declared carrier.
	weak bool
	// url, when set, replaces the carrier's tracking page.
	url string

	// prior is the share of parcels Shipwatch expects in this format;
	// shapeRate is the chance that a random string of the same length and
	// the same letter/digit pattern has this shape; checkRate the chance
	// that such a string's check character is right. Together they weigh
	// the candidates: see wValid and wInvalid, and docs/tracking.md.
	prior, shapeRate, checkRate float64

	// wValid is prior / (shapeRate * checkRate), the weight of a candidate
	// whose check holds; wInvalid is prior * typoRate / shapeRate, the
	// weight of one whose check fails. Set at init.
	wValid, wInvalid float64
}

// typoRate is the share of entered numbers that carry a typo: it weighs a
// shape that matches with a wrong check character against a shape that
// matches with a right one.
const typoRate = 0.05

// noiseWeight is the weight of "not a tracking number of any known format",
// the remainder in every confidence. Strings of digits alone are often
// something else (order, invoice and phone numbers); strings that mix
// letters and digits in a carrier's pattern rarely are.
func noiseWeight(s string) float64 {
	if allDigits(s) {
		return 0.5
	}
	return 0.05
}

// maxLen is the longest normalised number any format accepts.
const maxLen = 41

// byLen lists, for each normalised length, the formats that accept it.
var byLen [maxLen + 1][]formatID

// maxCands is the most candidates one number can have: the largest byLen
// entry, checked at init.
const maxCands = 8

func init() {
	for i := range formats {
		f := &formats[i]
		f.wValid = f.prior / (f.shapeRate * f.checkRate)
		f.wInvalid = f.prior * typoRate / f.shapeRate
		for _, n := range f.lengths {
			byLen[n] = append(byLen[n], formatID(i))
			if len(byLen[n]) > maxCands {
				panic("tracking: more than maxCands formats of length " + itoa(n))
			}
		}
		if math.IsInf(f.wValid, 0) || f.wValid <= 0 {
			panic("tracking: format " + f.id + " has no weight")
		}
	}
}

// itoa formats a non-negative integer for messages and init panics.
func itoa(n int) string {
	if n < 10 {
		return base36[n : n+1]
	}
	return itoa(n/10) + base36[n%10:n%10+1]
}

// span returns the integers from lo to hi inclusive.
func span(lo, hi int) []int {
	s := make([]int, 0, hi-lo+1)
	for n := lo; n <= hi; n++ {
		s = append(s, n)
	}
	return s
}

// isDigit and isUpper classify bytes of a normalised number.
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// anyDigits is the shape of a numeric format whose every digit string
// of its lengths fits.
func anyDigits(string) bool { return true }

// allDigits reports whether s is non-empty ASCII digits only.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

// allUpper reports whether s is upper-case ASCII letters only.
func allUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isUpper(s[i]) {
			return false
		}
	}
	return true
}

// oneOf reports whether c is one of the bytes of set.
func oneOf(c byte, set string) bool {
	for i := 0; i < len(set); i++ {
		if set[i] == c {
			return true
		}
	}
	return false
}

// last is the position of the last character, where most formats keep the
// check character.
func last(s string) int { return len(s) - 1 }
