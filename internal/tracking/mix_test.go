package tracking

import (
	"flag"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// mixPath is the benchmark mix: numbers as they arrive in sellers' files,
// shared by BenchmarkCheck and the trackbench tool (which also runs the
// JavaScript library over it). Regenerate with
//
//	go test ./internal/tracking -run TestMixFile -update-mix
const mixPath = "testdata/mix.txt"

var updateMix = flag.Bool("update-mix", false, "rewrite "+mixPath)

// mixShare is the share of each kind of number in the mix, after US
// e-commerce parcel volumes: USPS and UPS lead, then FedEx and Amazon.
var mixShare = []struct {
	kind  string
	share int // per thousand
}{
	{"usps_impb", 330}, {"usps_impb_routed", 30}, {"ups_1z", 200}, {"fedex_express_12", 100},
	{"fedex_ground_15", 40}, {"fedex_ground_96", 20}, {"fedex_express_34", 20},
	{"amazon_logistics", 80}, {"dhl_express", 25}, {"dhl_ecommerce", 15}, {"upu_s10", 30},
	{"ontrac", 20}, {"lasership_lx", 10}, {"canada_post_16", 10}, {"typo", 50}, {"junk", 20},
}

func TestMixFile(t *testing.T) {
	got := strings.Join(genMix(2000), "\n") + "\n"
	if *updateMix {
		if err := os.WriteFile(mixPath, []byte(got), 0o644); err != nil {
			t.Fatalf("write %s: %v", mixPath, err)
		}
	}
	b, err := os.ReadFile(mixPath)
	if err != nil {
		t.Fatalf("read %s: %v (regenerate it with -update-mix)", mixPath, err)
	}
	if string(b) != got {
		t.Fatalf("%s is not what genMix makes: regenerate it with -update-mix", mixPath)
	}
}

// genMix makes n numbers, deterministically: valid numbers of the common
// formats (a tenth of them spaced out or lower-cased as pasted), numbers
// with one digit mistyped, and strings that are not tracking numbers.
func genMix(n int) []string {
	rng := rand.New(rand.NewPCG(2026, 11))
	total := 0
	for _, m := range mixShare {
		total += m.share
	}
	out := make([]string, 0, n)
	for len(out) < n {
		k := rng.IntN(total)
		kind := ""
		for _, m := range mixShare {
			if k < m.share {
				kind = m.kind
				break
			}
			k -= m.share
		}
		var s string
		switch kind {
		case "typo":
			s = genValid(rng, mixShare[rng.IntN(6)].kind)
			b := []byte(s)
			i := len(b) - 1 - rng.IntN(6)
			b[i] = '0' + (b[i]-'0'+1+byte(rng.IntN(9)))%10
			s = string(b)
		case "junk":
			s = [...]string{"112-" + digits(rng, 7) + "-" + digits(rng, 7), "#" + digits(rng, 4),
				digits(rng, 9), "N/A", "ORDER" + digits(rng, 6), digits(rng, 13)}[rng.IntN(6)]
		default:
			s = genValid(rng, kind)
		}
		switch rng.IntN(20) {
		case 0:
			s = spaced(s)
		case 1:
			s = strings.ToLower(s)
		}
		out = append(out, s)
	}
	return out
}

// genValid makes a valid number of the given kind with the check
// functions under test: fine for a benchmark, never used as a test vector.
func genValid(rng *rand.Rand, kind string) string {
	switch kind {
	case "usps_impb", "usps_impb_routed":
		var body string
		switch rng.IntN(4) {
		case 0, 1:
			body = "94001" + digits(rng, 2) + "9" + digits(rng, 13)
		case 2:
			body = "92055" + "9" + digits(rng, 15)
		default:
			body = "9361" + digits(rng, 1) + "1" + digits(rng, 15)
		}
		body += string(gs1Check(body))
		if kind == "usps_impb_routed" {
			return "420" + digits(rng, 5) + body
		}
		return body
	case "ups_1z":
		d := alnum(rng, 6) + [...]string{"01", "02", "03", "12", "YW", "A8"}[rng.IntN(6)] + digits(rng, 7)
		return "1Z" + d + string(alt12Check(d))
	case "fedex_express_12":
		d := digits(rng, 11)
		return d + string(fedexCheck(d))
	case "fedex_ground_15":
		d := digits(rng, 14)
		return d + string(gs1Check(d))
	case "fedex_ground_96":
		d := digits(rng, 14)
		return "9611020" + d + string(gs1Check(d))
	case "fedex_express_34":
		d := "1" + digits(rng, 32)
		return d + string(fedexCheck(d[20:]))
	case "amazon_logistics":
		return "TB" + string("ACM"[rng.IntN(3)]) + digits(rng, 12)
	case "dhl_express":
		d := digits(rng, 9)
		return d + string(mod7Check(d))
	case "dhl_ecommerce":
		return "GM" + digits(rng, 18)
	case "upu_s10":
		d := digits(rng, 8)
		return [...]string{"RR", "LX", "UA", "CP", "EE"}[rng.IntN(5)] + d + string(s10Check(d)) +
			[...]string{"CN", "GB", "DE", "US", "HK", "JP"}[rng.IntN(6)]
	case "ontrac":
		d := "C" + digits(rng, 13)
		return d + string(alt12Check(d))
	case "lasership_lx":
		return "L" + string("AIEHNX"[rng.IntN(6)]) + "2" + digits(rng, 7)
	case "canada_post_16":
		d := digits(rng, 15)
		return d + string(gs1Check(d))
	}
	panic("genValid: unknown kind " + kind)
}

func digits(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0' + byte(rng.IntN(10))
	}
	return string(b)
}

func alnum(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = base36[rng.IntN(36)]
	}
	return string(b)
}

// spaced groups s by four characters, as labels print numbers.
func spaced(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}
