package tracking

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSuggestions(t *testing.T) {
	tests := []struct {
		name, number, carrier string
		want                  string // must be among the suggestions
		first                 bool   // and first
	}{
		// The check digit keyed as its neighbour on the number row.
		{"ups check digit", "1Z12345E0205271687", "", "1Z12345E0205271686", true},
		// Two neighbours swapped.
		{"impb swap", "9400111999991234567869", "", "9400111999991234567896", false},
		{"fedex neighbour", "123456789013", "fedex", "123456789012", true},
		// A letter O read for a zero makes the shape unknown; one look-alike
		// replacement restores it.
		{"lookalike", "94O0111999991234567896", "", "9400111999991234567896", true},
		{"lookalike declared", "1Z12345E02O5271686", "ups", "1Z12345E0205271686", true},
		{"s10", "RR123456786CN", "", "RR123456785CN", false},
		// Declared FedEx, but a mistyped UPS number: no FedEx number is one
		// edit away, so the fixes are UPS's.
		{"typo of another carrier", "1Z12345E0205271687", "fedex", "1Z12345E0205271686", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(tt.number, tt.carrier).Suggestions()
			if len(got) > maxSuggestions {
				t.Errorf("Check(%q).Suggestions() = %d numbers, want at most %d", tt.number, len(got), maxSuggestions)
			}
			if !slices.Contains(got, tt.want) || tt.first && got[0] != tt.want {
				t.Errorf("Check(%q, %q).Suggestions() = %q, want %q in it (first: %v)", tt.number, tt.carrier, got, tt.want, tt.first)
			}
			for _, s := range got {
				if r := Check(s, ""); !r.Valid {
					t.Errorf("suggestion %q for %q is not valid: %s", s, tt.number, r.Message)
				}
			}
		})
	}
}

func TestSuggestionsKeepTheCarrier(t *testing.T) {
	// Every suggestion for a mistyped UPS number is a UPS number, and for a
	// declared carrier a number of that carrier.
	for _, tc := range []struct{ number, carrier, want string }{
		{"1Z12345E0205271687", "", "ups"},
		{"123456789013", "purolator", "purolator"},
		{"9400111999991234567869", "usps", "usps"},
	} {
		for _, s := range Check(tc.number, tc.carrier).Suggestions() {
			if r := Check(s, tc.want); !r.Valid || r.Carrier != tc.want {
				t.Errorf("suggestion %q for %q: Check = %v %q, want valid for %s", s, tc.number, r.Valid, r.Carrier, tc.want)
			}
		}
	}
}

func TestNoSuggestions(t *testing.T) {
	for _, tc := range []struct{ number, carrier string }{
		{"1Z12345E0205271686", ""},      // valid
		{"1Z12345E0205271686", "fedex"}, // valid for UPS: no other UPS number to offer
		{"", ""},                        // empty
		{"RR123456785XX", ""},           // unknown country: no edit fixes a made-up country
		{"12345678901234", ""},          // weak format
		{"HELLO", ""},                   // nothing close
		{"112-1234567-1234567", ""},     // an order number
	} {
		if got := Check(tc.number, tc.carrier).Suggestions(); len(got) != 0 {
			t.Errorf("Check(%q, %q).Suggestions() = %q, want none", tc.number, tc.carrier, got)
		}
	}
}

// TestSuggestionsFromSellerNumbers: a seller shipping from one UPS account
// (1Z12345E...) mistypes its account; the error model alone cannot tell
// which digit is wrong, the seller's numbers can.
func TestSuggestionsFromSellerNumbers(t *testing.T) {
	meant := "1Z12345E0205271686"
	recent := sameAccount(meant, 20, rand.New(rand.NewPCG(1, 2)))
	if len(recent) != 20 {
		t.Fatalf("sameAccount = %d numbers, want 20", len(recent))
	}
	entered := "1Z12845E0205271686" // the 3 of the account keyed as 8
	if Check(entered, "").Valid {
		t.Fatalf("%s is valid: not a typo the check catches", entered)
	}
	plain := Check(entered, "").Suggestions()
	if len(plain) > 0 && plain[0] == meant {
		t.Fatalf("Suggestions() = %q: already first without the seller's numbers, the test shows nothing", plain)
	}
	seller := NewNumbers(append(recent, "not a number", "1Z12345E0205271687"))
	if got := Check(entered, "").SuggestionsFrom(seller); len(got) == 0 || got[0] != meant {
		t.Errorf("SuggestionsFrom(seller) = %q, want %s first", got, meant)
	}
	// Numbers of another account, or too few, change nothing.
	for _, other := range [][]string{{meant}, sameAccount("1Z999AA10123456784", 20, rand.New(rand.NewPCG(3, 4)))} {
		got := Check(entered, "").SuggestionsFrom(NewNumbers(other))
		if !slices.Equal(got, plain) {
			t.Errorf("SuggestionsFrom(%d unrelated numbers) = %q, want %q as without them", len(other), got, plain)
		}
	}
}

// TestNumbersPrior works the prior out by hand: two numbers agree up to
// the 15-character prefix 1Z12345E0205271; their serials (the digits after
// it, check character excluded) are 68 and 70, so gap = (70-68)/2+1 = 2. A
// candidate with the prefix and serial 69 is d = 1 away:
// 30 * (1 + 20/(1+1/2)) = 430. One that leaves the prefix gets 1.
func TestNumbersPrior(t *testing.T) {
	a, b := "1Z12345E0205271686", ""
	for k := 0; k < 10; k++ { // the valid number with serial 70
		if r := Check("1Z12345E020527170"+string(rune('0'+k)), ""); r.Valid {
			b = r.Normalized
		}
	}
	n := NewNumbers([]string{a, b, "not a number"})
	if set, prefix := n.account("1Z12345E0205271690"); len(set) != 2 || prefix != 15 {
		t.Fatalf("account = %q, %d, want both numbers and a prefix of 15", set, prefix)
	}
	if got := n.prior("1Z12345E0205271690"); math.Abs(got-430) > 1e-9 {
		t.Errorf("prior(serial 69) = %v, want 430", got)
	}
	if got := n.prior("1Z12345E0205281690"); got != 1 {
		t.Errorf("prior(another prefix) = %v, want 1", got)
	}
	if got := n.prior("123456789012"); got != 1 {
		t.Errorf("prior(another length) = %v, want 1", got)
	}
}
