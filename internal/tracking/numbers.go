package tracking

import "math"

// Numbers is a seller's recent valid tracking numbers, for ranking
// suggestions: a seller's labels come from a few shipper accounts (UPS's
// six characters after 1Z, USPS's mailer id, a carrier's account prefix),
// and within one account their serials run in sequence. The number the
// seller meant most likely continues one of their accounts, near their
// serials.
type Numbers struct {
	byLen map[int][]string
}

// Prior weights: a fix that stays in one of the seller's accounts is this
// much likelier than one that leaves them all (a seller rarely has a
// number outside their accounts), and one whose serial lies among theirs
// gains up to serialBoost more.
const (
	prefixBoost = 30.0
	serialBoost = 20.0
	minNumbers  = 2 // an account needs two numbers at least
)

// NewNumbers keeps the seller's recent numbers that are valid.
func NewNumbers(recent []string) *Numbers {
	n := &Numbers{byLen: map[int][]string{}}
	seen := map[string]bool{}
	for _, s := range recent {
		r := Check(s, "")
		if !r.Valid || seen[r.Normalized] {
			continue
		}
		seen[r.Normalized] = true
		n.byLen[len(r.Normalized)] = append(n.byLen[len(r.Normalized)], r.Normalized)
	}
	return n
}

// account follows candidate through the seller's numbers of its length,
// character by character, while they agree (a tenth of them may stray:
// another account's odd label): where they stop agreeing, the account ends
// and the serial starts. It returns the numbers of the account and the
// length of its prefix; none when candidate leaves every account first.
func (n *Numbers) account(candidate string) ([]string, int) {
	set := n.byLen[len(candidate)]
	if len(set) < minNumbers {
		return nil, 0
	}
	p := 0
	for ; p < len(candidate)-1; p++ {
		count := map[byte]int{}
		top := 0
		for _, s := range set {
			count[s[p]]++
			top = max(top, count[s[p]])
		}
		if len(set)-top > len(set)/10 {
			break // the numbers vary here: the serial
		}
		if count[candidate[p]] != top {
			return nil, 0
		}
		var kept []string
		for _, s := range set {
			if s[p] == candidate[p] {
				kept = append(kept, s)
			}
		}
		if len(kept) < minNumbers {
			return nil, 0
		}
		set = kept
	}
	return set, p
}

// serial is the value of the digits of s after prefix, its last character
// (the check character) left out.
func serial(s string, prefix int) float64 {
	v := 0.0
	for i := prefix; i < len(s)-1; i++ {
		if isDigit(s[i]) {
			v = v*10 + float64(s[i]-'0')
		}
	}
	return v
}

// prior is how much likelier the seller's numbers make candidate: 1 when
// it is in none of their accounts.
func (n *Numbers) prior(candidate string) float64 {
	set, prefix := n.account(candidate)
	if set == nil {
		return 1
	}
	// Within the account: the nearer its serial to the seller's, the
	// likelier (their next labels continue the sequence). gap is the
	// serials' typical spacing.
	lo, hi := math.Inf(1), math.Inf(-1)
	v, d := serial(candidate, prefix), math.Inf(1)
	for _, s := range set {
		x := serial(s, prefix)
		lo, hi = math.Min(lo, x), math.Max(hi, x)
		d = math.Min(d, math.Abs(v-x))
	}
	gap := (hi-lo)/float64(len(set)) + 1
	return prefixBoost * (1 + serialBoost/(1+d/gap))
}
