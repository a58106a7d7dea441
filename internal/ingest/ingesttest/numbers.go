package ingesttest

// Numbers returns the default tracking numbers of the generators: for the
// i-th shipment a UPS 1Z (35%), a USPS 22-digit IMpb (45%) or a FedEx Express
// 12-digit number (20%), each with the check digit its carrier's algorithm
// gives, unique for i below 10,000,000, and the carrier code that Amazon's
// carrier-code column uses for it ("UPS", "USPS", "FedEx").
func Numbers(seed int64) func(i int) (trackingNumber, carrierCode string) {
	g := rng{state: uint64(seed) ^ 0x5eed}
	var shipper [3][6]byte // a seller ships from a few UPS accounts
	for k := range shipper {
		for j := range shipper[k] {
			shipper[k][j] = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"[g.intn(33)]
		}
	}
	mailer := appendDigits([]byte{'9'}, g.next()%100_000_000, 8) // a 9-digit USPS mailer id
	fedex := appendDigits([]byte{'7'}, g.next()%1000, 3)
	return func(i int) (string, string) {
		h := rng{state: uint64(seed) ^ uint64(i)*0x9e3779b97f4a7c15}
		serial := uint64(i) % 10_000_000
		switch p := h.intn(100); {
		case p < 35:
			b := append([]byte("1Z"), shipper[h.intn(3)][:]...)
			b = append(b, []string{"03", "01", "02", "12"}[h.intn(4)]...)
			b = appendDigits(b, serial, 7)
			return string(append(b, UPSCheckDigit(string(b[2:])))), "UPS"
		case p < 80:
			b := append([]byte("94001"), mailer...)
			b = appendDigits(b, serial, 7)
			return string(append(b, USPSCheckDigit(string(b)))), "USPS"
		default:
			b := appendDigits(append([]byte(nil), fedex...), serial, 7)
			return string(append(b, FedExCheckDigit(string(b)))), "FedEx"
		}
	}
}

// UPSCheckDigit returns the check digit of the 15 characters after "1Z" of a
// UPS tracking number: digits count as themselves and letters as
// (ASCII code - 3) mod 10 (A=2, B=3, ...); every second character is doubled;
// the check digit brings the sum to a multiple of ten.
func UPSCheckDigit(s string) byte {
	sum := 0
	for k := 0; k < len(s); k++ {
		v := int(s[k] - '0')
		if s[k] >= 'A' {
			v = (int(s[k]) - 3) % 10
		}
		if k%2 == 1 {
			v *= 2
		}
		sum += v
	}
	return byte('0' + (10-sum%10)%10)
}

// USPSCheckDigit returns the mod 10 check digit of a USPS IMpb tracking
// number's digits: weights 3 and 1 alternate from the rightmost digit, which
// weighs 3; the check digit brings the sum to a multiple of ten.
func USPSCheckDigit(digits string) byte {
	sum := 0
	for k := len(digits) - 1; k >= 0; k-- {
		v := int(digits[k] - '0')
		if (len(digits)-1-k)%2 == 0 {
			v *= 3
		}
		sum += v
	}
	return byte('0' + (10-sum%10)%10)
}

// FedExCheckDigit returns the check digit of the first 11 digits of a FedEx
// Express 12-digit tracking number: weights 1, 3, 7 repeat from the rightmost
// digit (3, 1, 7 from the leftmost of the 11), and the check digit is the sum
// mod 11 mod 10. Published FedEx numbers (986578788855, 477179081230) check
// out with this order, not with 1, 7, 3.
func FedExCheckDigit(digits string) byte {
	weights := [3]int{1, 3, 7}
	sum := 0
	for k := len(digits) - 1; k >= 0; k-- {
		sum += int(digits[k]-'0') * weights[(len(digits)-1-k)%3]
	}
	return byte('0' + sum%11%10)
}
