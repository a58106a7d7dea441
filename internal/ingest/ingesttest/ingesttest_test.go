package ingesttest

import (
	"bytes"
	"strings"
	"testing"
)

func TestCheckDigits(t *testing.T) {
	// Published valid numbers of each carrier.
	for _, tc := range []struct {
		number string
		check  func(string) byte
		body   func(string) string
	}{
		{"1Z999AA10123456784", UPSCheckDigit, ups},
		{"1Z5R89390357567127", UPSCheckDigit, ups},
		{"1Z879E930346834440", UPSCheckDigit, ups},
		{"1ZXX3150YW44070023", UPSCheckDigit, ups},
		{"9400111206206406260787", USPSCheckDigit, digits},
		{"9405803699300124287899", USPSCheckDigit, digits},
		{"9434611206206407667136", USPSCheckDigit, digits},
		{"986578788855", FedExCheckDigit, digits},
		{"477179081230", FedExCheckDigit, digits},
		{"799531274483", FedExCheckDigit, digits},
		{"974367662710", FedExCheckDigit, digits},
	} {
		want := tc.number[len(tc.number)-1]
		if got := tc.check(tc.body(tc.number)); got != want {
			t.Errorf("check digit of %s = %c, want %c", tc.number, got, want)
		}
	}
}

func ups(n string) string    { return n[2 : len(n)-1] }
func digits(n string) string { return n[:len(n)-1] }

func TestNumbers(t *testing.T) {
	numbers := Numbers(1)
	seen := map[string]bool{}
	count := map[string]int{}
	for i := range 100_000 {
		n, code := numbers(i)
		if seen[n] {
			t.Fatalf("Numbers(1)(%d) = %s, a repeat", i, n)
		}
		seen[n] = true
		count[code]++
		var ok bool
		switch code {
		case "UPS":
			ok = len(n) == 18 && strings.HasPrefix(n, "1Z") && UPSCheckDigit(ups(n)) == n[17]
		case "USPS":
			ok = len(n) == 22 && strings.HasPrefix(n, "94") && USPSCheckDigit(digits(n)) == n[21]
		case "FedEx":
			ok = len(n) == 12 && FedExCheckDigit(digits(n)) == n[11]
		}
		if !ok {
			t.Fatalf("Numbers(1)(%d) = %s, %s: not a valid number of that carrier", i, n, code)
		}
	}
	for code, share := range map[string]int{"UPS": 35, "USPS": 45, "FedEx": 20} {
		if got := count[code] * 100 / 100_000; got < share-2 || got > share+2 {
			t.Errorf("%s is %d%% of numbers, want about %d%%", code, got, share)
		}
	}
}

func TestWriteAmazonFlatFile(t *testing.T) {
	var a, b bytes.Buffer
	if err := WriteAmazonFlatFile(&a, 1000, 3, nil); err != nil {
		t.Fatalf("WriteAmazonFlatFile: %v", err)
	}
	if err := WriteAmazonFlatFile(&b, 1000, 3, nil); err != nil {
		t.Fatalf("WriteAmazonFlatFile: %v", err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("WriteAmazonFlatFile with the same seed wrote different files")
	}
	lines := strings.Split(strings.TrimSuffix(a.String(), "\n"), "\n")
	if len(lines) != 1001 || lines[0] != AmazonHeader {
		t.Fatalf("WriteAmazonFlatFile(1000) wrote %d lines starting %q, want the header and 1000 lines", len(lines), lines[0])
	}
	for _, l := range lines[1:] {
		if f := strings.Split(l, "\t"); len(f) != 8 {
			t.Fatalf("line %q has %d fields, want 8", l, len(f))
		}
	}
	custom := func(i int) (string, string) { return "X" + string(rune('A'+i%26)), "Other" }
	var c bytes.Buffer
	if err := WriteAmazonFlatFile(&c, 5, 3, custom); err != nil || !strings.Contains(c.String(), "\tOther\t\tXA\t") {
		t.Errorf("WriteAmazonFlatFile with custom numbers = %q, %v; want them used", c.String(), err)
	}
}
