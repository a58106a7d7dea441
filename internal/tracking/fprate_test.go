package tracking

import (
	"math/rand/v2"
	"testing"
)

// fpCeilings is the highest share of random digit strings of each common
// length that Check may call valid with no carrier declared: the rate the
// check digits allow, with some margin for sampling. docs/tracking.md
// reports the measured rates; run
//
//	go test ./internal/tracking -run TestFalsePositiveRate -v
var fpCeilings = []struct {
	length  int
	ceiling float64
	why     string
}{
	{10, 0.11, "DHL Express mod 7"},
	{11, 0.11, "DHL Express mod 7, Old Dominion Luhn on 4 prefixes"},
	{12, 0.17, "FedEx Express mod 11 (1 in 10) or Purolator Luhn on [0-5] (6 in 100)"},
	{14, 0.001, "only DHL eCommerce 14, which needs DHL declared"},
	{15, 0.14, "FedEx Ground GS1 mod 10, DPD mod 37,36 when its check is a digit"},
	{16, 0.11, "Canada Post GS1 mod 10"},
	{18, 0.11, "SSCC-18 GS1 mod 10"},
	{20, 0.21, "USPS 20 and USPS 91 with the 91 implied: two exclusive mod 10 checks"},
	{22, 0.01, "USPS IMpb and 91 (structure first), FedEx Ground 96"},
	{26, 0.01, "USPS IMpb"},
	{28, 0.04, "DPD 28, USPS 91 with routing"},
	{30, 0.01, "USPS IMpb and 91 with routing"},
	{32, 0.02, "FedEx ASTRA, USPS 91 with routing"},
	{34, 0.11, "FedEx Express 34 (nine in ten shapes fit), FedEx GSN, USPS with routing"},
}

// fpSamples is how many random strings TestFalsePositiveRate checks per
// length.
const fpSamples = 100_000

func TestFalsePositiveRate(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	buf := make([]byte, 40)
	for _, fp := range fpCeilings {
		valid := 0
		for range fpSamples {
			b := buf[:fp.length]
			for i := range b {
				b[i] = '0' + byte(rng.IntN(10))
			}
			if Check(string(b), "").Valid {
				valid++
			}
		}
		rate := float64(valid) / fpSamples
		t.Logf("%2d digits: %6.3f%% of random strings valid (%s)", fp.length, 100*rate, fp.why)
		if rate > fp.ceiling {
			t.Errorf("%d digits: %.4f of random strings valid, want at most %.4f", fp.length, rate, fp.ceiling)
		}
	}
}
