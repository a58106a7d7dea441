package tracking

import (
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
