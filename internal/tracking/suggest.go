package tracking

import "sort"

// maxSuggestions caps Suggestions.
const maxSuggestions = 5

// Suggestions returns, for a number whose check fails, the numbers one edit
// away (one character replaced, or two neighbours swapped) that are valid
// for the declared carrier, or else for the carrier the number looks like:
// at most 5, most likely first. For an UNKNOWN_FORMAT number it tries only
// the look-alike replacements (O for 0, I for 1, ...) that a scan or a
// handwritten label causes, and the swaps of two neighbours. It returns nil
// when there is nothing to suggest.
func (r Result) Suggestions() []string { return r.SuggestionsFrom(nil) }

// SuggestionsFrom is Suggestions ranked also by the seller's own recent
// numbers: a fix that lands on the shipper account, mailer id or prefix
// the seller's numbers share, close to their sequence, is the likelier one.
// A nil Numbers ranks by the error model alone.
func (r Result) SuggestionsFrom(seller *Numbers) []string {
	return r.suggestions(seller, likelihood, true)
}

// suggestions ranks the fixes by rank and the seller's numbers; without
// unknownSwaps, an UNKNOWN_FORMAT number gets look-alike fixes only (as
// Suggestions did before: the benchmark's baseline).
func (r Result) suggestions(seller *Numbers, rank func(fix) float64, unknownSwaps bool) []string {
	switch {
	case (r.Reason == ReasonCheckDigit || r.Reason == ReasonCarrierMismatch) && r.best >= 0 && r.best < int8(r.n):
		// The declared carrier first. A number that fits none of its formats
		// may still be a typo in its own carrier's; one that is valid for
		// its own carrier is not.
		own := r.cands[r.best].car
		if r.declared == noCarrier && seller != nil {
			// A number that looks like one carrier's may be a typo of
			// another's (12 digits: FedEx or Purolator): with the seller's
			// numbers to tell, every carrier's fixes compete.
			return top(r.fixes(noCarrier, false, true), seller, rank)
		}
		if r.declared == noCarrier {
			return top(r.fixes(own, false, true), seller, rank)
		}
		s := top(r.fixes(r.declared, false, true), seller, rank)
		if len(s) > 0 || own == r.declared || r.Reason == ReasonCarrierMismatch {
			return s
		}
		return top(r.fixes(own, false, true), seller, rank)
	case r.Reason == ReasonUnknownFormat && r.Normalized != "" && len(r.Normalized) <= maxLen:
		return top(r.fixes(r.declared, true, unknownSwaps), seller, rank)
	}
	return nil
}

// fix is one candidate correction: the edit that turns the entered number
// into it, and the strength of the format it lands on.
type fix struct {
	number  string
	swapped bool // pos and pos+1 swapped; else pos replaced
	pos     int
	from    byte // the entered character, for a replacement
	to      byte
	format  float64
	score   float64
}

// likelihood scores a fix by the error model: how likely the typing error
// behind it is, times the strength of the format it lands on.
func likelihood(f fix) float64 {
	if f.swapped {
		return swap * f.format
	}
	p := substitution(f.from, f.to) * f.format
	if f.pos == len(f.number)-1 {
		p *= checkChar
	}
	return p
}

// fixes returns every one-edit variant of the number that is valid for
// target (any carrier when noCarrier); with lookalikesOnly, the
// replacements tried are only the look-alike ones; swaps says whether to
// try swapping neighbours.
func (r Result) fixes(target carrierID, lookalikesOnly, swaps bool) []fix {
	s := r.Normalized
	var found []fix
	try := func(b []byte, e fix) {
		t := Result{Normalized: string(b), best: -1, declared: target}
		t.detect()
		for i := 0; i < int(t.n); i++ {
			c := t.cands[i]
			if c.reason != 0 || formats[c.f].weak {
				continue
			}
			if target == noCarrier || t.accepts(c) {
				e.number, e.format = t.Normalized, weightFactor(c)
				found = append(found, e)
				return
			}
		}
	}
	b := []byte(s)
	// Swaps are tried for an unknown shape too: swapping two neighbours
	// moves a carrier's prefix or a letter out of place, and there are only
	// len-1 of them to try.
	for i := 0; i+1 < len(b) && swaps; i++ {
		if b[i] == b[i+1] {
			continue
		}
		b[i], b[i+1] = b[i+1], b[i]
		try(b, fix{swapped: true, pos: i})
		b[i], b[i+1] = b[i+1], b[i]
	}
	for i := range b {
		orig := b[i]
		for k := 0; k < len(base36); k++ {
			c := base36[k]
			if c == orig || lookalikesOnly && !isLookalike(orig, c) {
				continue
			}
			b[i] = c
			try(b, fix{pos: i, from: orig, to: c})
		}
		b[i] = orig
	}
	return found
}

// top ranks fixes by rank (times the seller's prior when there is one)
// and keeps the best maxSuggestions.
func top(found []fix, seller *Numbers, rank func(fix) float64) []string {
	for i := range found {
		found[i].score = rank(found[i])
		if seller != nil {
			found[i].score *= seller.prior(found[i].number)
		}
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].score != found[j].score {
			return found[i].score > found[j].score
		}
		return found[i].number < found[j].number
	})
	var out []string
	for _, f := range found {
		if len(out) == maxSuggestions {
			break
		}
		out = append(out, f.number)
	}
	return out
}

// weightFactor scales a fix's plausibility by the strength of the format it
// lands on: w/(w+1) is near 1 for a common, well-checked format and small
// for one that accepts almost anything, without upsetting the order of the
// edit kinds between strong formats.
func weightFactor(c cand) float64 {
	w := float64(c.w)
	return w / (w + 1)
}

// Plausibility of an edit, relative to an arbitrary digit keyed as
// another (1). Studies of keyed numbers find about eight replacements for
// one swap of neighbours, but replacements spread over every position and
// every wrong character: one given swap is about three times as likely as
// one given arbitrary replacement, and so is one given replacement by a
// neighbouring key, since most replacements hit a neighbour.
const (
	swap      = 3.0
	lookalike = 4.0  // a letter read for the digit it resembles: O for 0, I for 1
	neighbour = 3.0  // adjacent keys on a keypad or on the number row
	reverse   = 1.0  // a digit read for the letter it resembles: letters are the rarer
	other     = 1.0  // any other replacement
	crossing  = 0.25 // a letter for a digit that does not resemble it, or the reverse
	checkChar = 1.2  // factor for the last character, often keyed apart
)

// lookalikes pairs a letter with the digit it is read for.
var lookalikes = [...]string{"O0", "D0", "Q0", "I1", "L1", "T1", "Z2", "S5", "G6", "B8", "G9", "T7", "A4"}

// keypad gives each digit's position on a numeric keypad (row, column).
var keypad = [10][2]int8{{3, 1}, {2, 0}, {2, 1}, {2, 2}, {1, 0}, {1, 1}, {1, 2}, {0, 0}, {0, 1}, {0, 2}}

// substitution scores replacing the entered a by b to reach the number
// the seller meant.
func substitution(a, b byte) float64 {
	p := other
	switch {
	case isLookalike(a, b):
		p = lookalike
	case isLookalike(b, a):
		p = reverse
	case isDigit(a) != isDigit(b):
		p = crossing
	case isDigit(a) && isNeighbour(a, b):
		p = neighbour
	}
	return p
}

// isLookalike reports whether the entered letter a is read for the digit b.
func isLookalike(a, b byte) bool {
	for _, p := range lookalikes {
		if a == p[0] && b == p[1] {
			return true
		}
	}
	return false
}

// isNeighbour reports whether digits a and b are adjacent keys on a
// numeric keypad or on the number row (1 2 ... 9 0).
func isNeighbour(a, b byte) bool {
	ka, kb := keypad[a-'0'], keypad[b-'0']
	pad := abs(int(ka[0])-int(kb[0])) + abs(int(ka[1])-int(kb[1]))
	row := abs(int((a-'0'+9)%10) - int((b-'0'+9)%10))
	return pad == 1 || row == 1
}

// abs is the absolute value of an int.
func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
