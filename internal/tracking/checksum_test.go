package tracking

import "testing"

// The check-digit algorithms on data worked out by hand from their
// published definitions.
func TestCheckAlgorithms(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) byte
		data string
		want byte
	}{
		// GS1 mod 10, weights 3,1 from the right: digits from the right
		// 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 0 give 3*34 + 26 = 128, so 2.
		{"gs1/sscc", gs1Check, "00123456789012345", '2'},
		{"gs1/zero", gs1Check, "000000000000000", '0'},
		{"gs1/impb", gs1Check, "940011199999123456789", '6'},
		// UPS: values (E = 69-3 mod 10 = 6) weighted 1,2,1,2,... from the
		// left: 1+4+3+8+5+12+0+4+0+10+2+14+1+12+8 = 84, so 6.
		{"ups/letters", alt12Check, "12345E020527168", '6'},
		{"ups/waybill", alt12Check, "123456789", '5'},
		// OnTrac: C counts as 4 in the same scheme.
		{"ups/ontrac", alt12Check, "C1234567890123", '6'},
		// Luhn: 3 1 4 1 5 9 2 6 5 3 5 from the right, doubling the first.
		{"luhn", luhnCheck, "31415926535", '9'},
		{"luhn/zero", luhnCheck, "0000000000", '0'},
		// DHL: 123456789 = 7 * 17636684 + 1.
		{"mod7", mod7Check, "123456789", '1'},
		{"mod7/ten digits", mod7Check, "9999999999", '3'},
		// FedEx: weights 1,3,7 from the right over 1 0 9 8 7 6 5 4 3 2 1:
		// 1+0+63+8+21+42+5+12+21+2+3 = 178 = 16*11 + 2, so 2.
		{"fedex/12", fedexCheck, "12345678901", '2'},
		// 1*7 + 7*1 = 10: modulo 11 is 10, modulo 10 is 0.
		{"fedex/remainder 10", fedexCheck, "00000000017", '0'},
		// S10: 1*8+2*6+3*4+4*2+5*3+6*5+7*9+8*7 = 204 = 18*11 + 6; 11-6 = 5.
		{"s10", s10Check, "12345678", '5'},
		// Remainder 0: 11 becomes 5.
		{"s10/remainder 0", s10Check, "00000000", '5'},
		// Remainder 1: 8*7 = 56 = 5*11 + 1, and 10 becomes 0.
		{"s10/remainder 1", s10Check, "00000008", '0'},
		{"mod37,36/digits", mod3736Check, "12345678901234", 'E'},
		{"mod37,36/zeros", mod3736Check, "00000000000000", 'U'},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.data); got != tt.want {
			t.Errorf("%s(%q) = %q, want %q", tt.name, tt.data, got, tt.want)
		}
	}
}
