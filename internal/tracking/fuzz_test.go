package tracking

import (
	"encoding/json"
	"testing"
)

// fuzzCarriers are the declared carriers FuzzCheck picks from.
var fuzzCarriers = []string{"", "ups", "USPS", "FedEx", "dhl", "amazon", "canada_post", "royal_mail", "post_cv", "Pony Express"}

// FuzzCheck: Check never panics, normalising twice changes nothing, and
// whatever is valid passes its own check.
func FuzzCheck(f *testing.F) {
	for _, v := range formatVectors {
		f.Add(v.valid, uint8(0))
		f.Add(v.invalid, uint8(1))
	}
	for _, v := range shapeVectors {
		f.Add(v.number, uint8(3))
	}
	for _, s := range []string{"", " ", "1z 999 aa1 01 2345 6784", "\u00a0RR123456785CN\u200b", "\xff", "ǅ", "ß", "ﬀ"} {
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, number string, pick uint8) {
		carrier := fuzzCarriers[int(pick)%len(fuzzCarriers)]
		n := Normalize(number)
		if again := Normalize(n); again != n {
			t.Fatalf("Normalize(Normalize(%q)) = %q, want %q", number, again, n)
		}
		r := Check(number, carrier)
		if r.Normalized != n {
			t.Fatalf("Check(%q).Normalized = %q, want Normalize's %q", number, r.Normalized, n)
		}
		if r.Valid != (r.Reason == ReasonNone) {
			t.Fatalf("Check(%q, %q): valid %v with reason %q", number, carrier, r.Valid, r.Reason)
		}
		if !r.Valid && r.Message == "" {
			t.Fatalf("Check(%q, %q): invalid without a message", number, carrier)
		}
		for _, c := range r.Candidates() {
			if c.Confidence < 0 || c.Confidence > 1 {
				t.Fatalf("Check(%q): confidence %v out of [0, 1]", number, c.Confidence)
			}
		}
		for i := 0; i < int(r.n); i++ {
			c := r.cands[i]
			f := &formats[c.f]
			if c.reason == 0 && f.check != nil {
				if pos, want := f.check(n); n[pos] != want {
					t.Fatalf("Check(%q): candidate %s valid but its check character %q is not %q", number, f.id, n[pos], want)
				}
			}
		}
		if r.Valid {
			// Valid for the declared carrier it names, or for its own.
			again := Check(n, r.Carrier)
			if !again.Valid || again.Format != r.Format {
				t.Fatalf("Check(%q, %q) valid as %s, but Check(%q, %q) = %v %s", number, carrier, r.Format, n, r.Carrier, again.Valid, again.Format)
			}
		}
		for _, s := range r.Suggestions() {
			if !Check(s, "").Valid && !Check(s, carrier).Valid {
				t.Fatalf("Check(%q).Suggestions() offers %q, which is not valid", number, s)
			}
		}
		if _, err := json.Marshal(r); err != nil {
			t.Fatalf("json.Marshal(Check(%q)): %v", number, err)
		}
		r.TrackingURL()
	})
}
