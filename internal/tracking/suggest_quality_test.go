package tracking

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// Held-out typos: every valid number of the conformance set, mistyped by
// one adjacent transposition (every position) or one single-digit
// substitution (a seeded sample: a random digit position keyed as a
// uniformly random other digit, which no keyboard model favours). Only
// typos the check rejects count: the others cannot be caught.
//
// Each number also gets a seller: sellerNumbers recent numbers of the same
// account (its prefix kept, its serial moved by up to ±2,000 and the
// number made valid again), the number itself held out.

const (
	sellerNumbers      = 20
	substitutionsPerNo = 12
)

type typo struct {
	entered, meant string
	seller         *Numbers
}

type heldOut struct {
	transpositions, substitutions []typo
	undetected                    int // typos the check accepts
}

// conformanceValid returns the normalised valid numbers of the conformance set.
func conformanceValid(t testing.TB) []string {
	f, err := os.Open("testdata/conformance/tracking-numbers.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var row struct {
			Number string `json:"number"`
			Valid  bool   `json:"valid"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		r := Check(row.Number, "")
		if row.Valid && r.Valid && !seen[r.Normalized] {
			seen[r.Normalized] = true
			out = append(out, r.Normalized)
		}
	}
	return out
}

// sameAccount returns up to n valid numbers of the same carrier and length
// as meant, sharing its characters up to the serial: the last third of its
// digits before the check character moved by up to ±2,000, then the check
// character (or, failing that, the digit before it) repaired.
func sameAccount(meant string, n int, rng *rand.Rand) []string {
	carrier := Check(meant, "").Carrier
	var digits []int // positions of digits before the last character
	for i := 0; i < len(meant)-1; i++ {
		if isDigit(meant[i]) {
			digits = append(digits, i)
		}
	}
	if len(digits) < 4 {
		return nil
	}
	ser := digits[len(digits)-max(3, len(digits)/3):]
	var out []string
	seen := map[string]bool{meant: true}
	for tries := 0; len(out) < n && tries < 50*n; tries++ {
		b := []byte(meant)
		v := 0
		for _, p := range ser {
			v = v*10 + int(b[p]-'0')
		}
		v += rng.IntN(4001) - 2000
		if v < 0 {
			continue
		}
		for i := len(ser) - 1; i >= 0; i-- {
			b[ser[i]] = byte('0' + v%10)
			v /= 10
		}
		if s, ok := repair(b, carrier); ok && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// repair makes b valid for carrier by changing its last character, else
// the last digit before it.
func repair(b []byte, carrier string) (string, bool) {
	for _, p := range []int{len(b) - 1, len(b) - 2} {
		orig := b[p]
		for k := 0; k < len(base36); k++ {
			b[p] = base36[k]
			if r := Check(string(b), ""); r.Valid && r.Carrier == carrier {
				return r.Normalized, true
			}
		}
		b[p] = orig
	}
	return "", false
}

func makeHeldOut(t testing.TB) heldOut {
	rng := rand.New(rand.NewPCG(14, 2026))
	var h heldOut
	for _, meant := range conformanceValid(t) {
		seller := NewNumbers(sameAccount(meant, sellerNumbers, rng))
		add := func(list *[]typo, entered string) {
			if Check(entered, "").Valid {
				h.undetected++
				return
			}
			*list = append(*list, typo{entered, meant, seller})
		}
		for i := 0; i+1 < len(meant); i++ {
			if meant[i] != meant[i+1] {
				b := []byte(meant)
				b[i], b[i+1] = b[i+1], b[i]
				add(&h.transpositions, string(b))
			}
		}
		var digits []int
		for i := range meant {
			if isDigit(meant[i]) {
				digits = append(digits, i)
			}
		}
		for range substitutionsPerNo {
			if len(digits) == 0 {
				break
			}
			b := []byte(meant)
			p := digits[rng.IntN(len(digits))]
			d := byte('0' + rng.IntN(9))
			if d >= b[p] {
				d++
			}
			b[p] = d
			add(&h.substitutions, string(b))
		}
	}
	return h
}

// ranking is one way of ordering suggestions.
type ranking struct {
	name string
	rank func(r Result, seller *Numbers) []string
}

var rankings = []ranking{
	{"baseline (previous Suggestions)", func(r Result, _ *Numbers) []string { return r.suggestions(nil, likelihood, false) }},
	{"Suggestions (no seller numbers)", func(r Result, _ *Numbers) []string { return r.Suggestions() }},
	{"SuggestionsFrom(seller's numbers)", func(r Result, s *Numbers) []string { return r.SuggestionsFrom(s) }},
}

// accuracy returns the share of typos whose meant number is first, and
// among the first five, of the suggestions.
func accuracy(typos []typo, rank func(Result, *Numbers) []string) (top1, top5 float64) {
	var n1, n5 int
	for _, ty := range typos {
		got := rank(Check(ty.entered, ""), ty.seller)
		for i, s := range got {
			if s == ty.meant {
				if i == 0 {
					n1++
				}
				n5++
			}
		}
	}
	return float64(n1) / float64(len(typos)), float64(n5) / float64(len(typos))
}

// TestSuggestionQuality holds the goals: the meant number among the first
// five suggestions for 97% of transpositions and 80% of substitutions,
// for a seller with 20 recent numbers of the same account.
func TestSuggestionQuality(t *testing.T) {
	h := makeHeldOut(t)
	if len(h.transpositions) < 1000 || len(h.substitutions) < 1000 {
		t.Fatalf("held out %d transpositions and %d substitutions, want at least 1000 each", len(h.transpositions), len(h.substitutions))
	}
	withSeller := rankings[2].rank
	if _, top5 := accuracy(h.transpositions, withSeller); top5 < 0.97 {
		t.Errorf("transpositions: top-5 %.3f, want at least 0.97", top5)
	}
	if _, top5 := accuracy(h.substitutions, withSeller); top5 < 0.80 {
		t.Errorf("substitutions: top-5 %.3f, want at least 0.80", top5)
	}
}

// BenchmarkSuggestionQuality prints top-1 and top-5 for each ranking on
// the held-out typos (make bench-suggest). It measures accuracy, not
// speed; ns/op is one suggestion with the seller's numbers.
func BenchmarkSuggestionQuality(b *testing.B) {
	h := makeHeldOut(b)
	var lines []string
	lines = append(lines, fmt.Sprintf("held-out typos of %d valid conformance numbers: %d transpositions, %d substitutions (%d more accepted by the check: undetectable); %d recent numbers of the same account per seller",
		len(conformanceValid(b)), len(h.transpositions), len(h.substitutions), h.undetected, sellerNumbers))
	for _, rk := range rankings {
		t1, t5 := accuracy(h.transpositions, rk.rank)
		s1, s5 := accuracy(h.substitutions, rk.rank)
		lines = append(lines, fmt.Sprintf("%-32s transpositions top-1 %5.1f%% top-5 %5.1f%% | substitutions top-1 %5.1f%% top-5 %5.1f%%", rk.name+":", 100*t1, 100*t5, 100*s1, 100*s5))
		if rk.name == rankings[2].name {
			b.ReportMetric(100*t5, "transp-top5-%")
			b.ReportMetric(100*s5, "subst-top5-%")
		}
	}
	b.Log("\n" + strings.Join(lines, "\n"))
	fmt.Println(strings.Join(lines, "\n"))
	ty := h.substitutions[0]
	r := Check(ty.entered, "")
	b.ResetTimer()
	for b.Loop() {
		r.SuggestionsFrom(ty.seller)
	}
}
