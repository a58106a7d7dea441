package tracking

import "testing"

// formatVectors holds, per format, a number whose check character was
// worked out from the carrier's documented algorithm (independently of this
// package's code) and the same number with a wrong check character.
var formatVectors = []struct{ format, valid, invalid string }{
	{"ups_1z", "1Z12345E0205271686", "1Z12345E0205271687"},
	{"ups_1z", "1ZA84V0W6601234566", "1ZA84V0W6601234567"},
	{"ups_1z", "1Z4A7R23YW12345675", "1Z4A7R23YW12345676"},
	{"ups_waybill", "K1234567895", "K1234567896"},
	{"ups_waybill", "J9876543215", "J9876543216"},
	{"ups_waybill", "V5550001116", "V5550001117"},
	{"usps_20", "03012345678901234567", "03012345678901234568"},
	{"usps_20", "23123456789876543218", "23123456789876543219"},
	{"usps_impb", "9400111999991234567896", "9400111999991234567897"},
	{"usps_impb", "9205591234567812345674", "9205591234567812345675"},
	{"usps_impb", "9300101234512345678909", "9300101234512345678900"},
	{"usps_impb", "9505512345678901234568", "9505512345678901234569"},
	{"usps_impb", "94055109123456789012345674", "94055109123456789012345675"},
	{"usps_impb", "93005123456123456789012343", "93005123456123456789012344"},
	{"usps_impb", "420902109400111999991234567896", "420902109400111999991234567897"},
	{"usps_impb", "4206060112349205591234567812345674", "4206060112349205591234567812345675"},
	{"usps_impb", "4201000194055109123456789012345674", "4201000194055109123456789012345675"},
	{"usps_legacy", "9101123456789000000129", "9101123456789000000120"},
	{"usps_legacy", "9123123456789000045672", "9123123456789000045673"},
	{"usps_legacy", "03123456789123456788", "03123456789123456789"},
	{"usps_legacy", "420902109101123456789000000129", "420902109101123456789000000120"},
	{"fedex_express_12", "123456789012", "123456789013"},
	{"fedex_express_12", "987654321098", "987654321099"},
	{"fedex_express_12", "400000000001", "400000000002"},
	{"fedex_express_34", "1234567890123459021012345678901230", "1234567890123459021012345678901231"},
	{"fedex_astra_32", "31111122223334441234567890120000", "31111122223334441234567890130000"},
	{"fedex_ground_15", "123456789012343", "123456789012344"},
	{"fedex_ground_15", "987654321098767", "987654321098768"},
	{"fedex_ground_96", "9612019123456712345678", "9612019123456712345679"},
	{"fedex_sscc_18", "001234567890123452", "001234567890123453"},
	{"fedex_sscc_18", "106141419999999991", "106141419999999992"},
	{"fedex_ground_gsn", "9622001561234567890100123456789012", "9622001561234567890100123456789013"},
	{"dhl_express", "1234567891", "1234567892"},
	{"dhl_express", "9999999995", "9999999996"},
	{"dhl_express", "12345678903", "12345678904"},
	{"ontrac", "C12345678901236", "C12345678901237"},
	{"ontrac", "D10000000000003", "D10000000000004"},
	{"canada_post_16", "1234567890123452", "1234567890123453"},
	{"canada_post_16", "0000000000000017", "0000000000000018"},
	{"purolator_12", "314159265359", "314159265350"},
	{"purolator_12", "100000000008", "100000000009"},
	{"purolator_12", "543210987656", "543210987657"},
	{"dpd_28", "0012345678901234567890123404", "0012345678901234567890123405"},
	{"dpd_14", "012345678901233", "012345678901234"},
	{"dpd_14", "12345678901234E", "12345678901234Z"},
	{"dpd_14", "00000000000000U", "00000000000000Z"},
	{"old_dominion", "07212345677", "07212345678"},
	{"old_dominion", "77700000050", "77700000051"},
	{"old_dominion", "77800000018", "77800000019"},
	{"old_dominion", "78099999993", "78099999994"},
	{"old_dominion_guaranteed", "80000000010", "80000000011"},
	{"old_dominion_guaranteed", "80123456784", "80123456785"},
	{"upu_s10", "RR123456785CN", "RR123456786CN"},
	{"upu_s10", "EE000000005US", "EE000000006US"},
	{"upu_s10", "CP876543216DE", "CP876543217DE"},
	{"upu_s10", "LX555555555BR", "LX555555556BR"},
	{"upu_s10", "UA000000014FR", "UA000000015FR"},
	{"upu_s10", "RB999999995CV", "RB999999996CV"},
}

func TestFormatVectors(t *testing.T) {
	for _, v := range formatVectors {
		t.Run(v.format+"/"+v.valid, func(t *testing.T) {
			f := formatByID(t, v.format)
			if got := candidateFor(Check(v.valid, ""), v.format); got == nil || !got.Valid {
				t.Errorf("Check(%q) candidates lack a valid %s: %+v", v.valid, v.format, Check(v.valid, "").Candidates())
			}
			code := carriers[f.carrier].code
			if f.carrier == noCarrier {
				code = "" // S10: the operator follows from the country
			}
			if r := Check(v.valid, code); !r.Valid {
				t.Errorf("Check(%q, %q) = invalid (%s: %s), want valid", v.valid, code, r.Reason, r.Message)
			}
			r := Check(v.invalid, code)
			if r.Valid || r.Reason != ReasonCheckDigit {
				t.Errorf("Check(%q, %q) = %v %s, want invalid %s", v.invalid, code, r.Valid, r.Reason, ReasonCheckDigit)
			}
			if got := candidateFor(r, v.format); got == nil || got.Valid {
				t.Errorf("Check(%q) candidate %s = %+v, want one whose check fails", v.invalid, v.format, got)
			}
		})
	}
}

// shapeVectors covers the formats without a check character: numbers that
// have the shape and numbers that just miss it.
var shapeVectors = []struct {
	format string
	number string
	fits   bool
}{
	{"amazon_logistics", "TBA123456789012", true},
	{"amazon_logistics", "TBM000000000001", true},
	{"amazon_logistics", "TBD123456789012", false},
	{"amazon_logistics", "TBA12345678901", false},
	{"amazon_international", "F1234567890", true},
	{"amazon_international", "B1234567890", false},
	{"dhl_piece_id", "JJD000123456", true},
	{"dhl_piece_id", "JVGL1234567890", true},
	{"dhl_piece_id", "KJD0001234567", false},
	{"dhl_ecommerce", "GM60511234500000001", true},
	{"dhl_ecommerce", "CNABCDEF12345", true},
	{"dhl_ecommerce", "GMABCDEFGHIJKL", false},
	{"dhl_ecommerce", "GX605112345000000", false},
	{"dhl_ecommerce_14", "12345678901234", true},
	{"lasership_lx", "LX21234567", true},
	{"lasership_lx", "LE31000000", true},
	{"lasership_lx", "LX41234567", false},
	{"lasership_lx", "LB21234567", false},
	{"lasership_1ls7", "1LS721234567890", true},
	{"lasership_1ls7", "1LS731234567890", false},
	{"lasership_1ls7_18", "1LS7212014123456-1", true},
	{"lasership_1ls7_18", "1LS7212014123456-2", false},
	{"lasership_1ls7_18", "1LS7212024123456-1", false},
	{"lasership_1lscx", "1LSCXAB12CD34EF", true},
	{"purolator_alpha", "ABC123456789", true},
	{"purolator_alpha", "AB1123456789", false},
	{"canpar_22", "Z123456789012345678901", true},
	{"canpar_22", "A123456789012345678901", false},
	{"yodel", "JD1234567890123456", true},
	{"yodel", "JJD1234567890123456", true},
	{"yodel", "JJ1234567890123456", false},
	{"landmark_ltn", "LTN12345678N1", true},
	{"landmark_ltn", "LTN12345678N2", false},
	{"yunexpress", "YT1234567890123456", true},
	{"yunexpress", "YT123456789012345A", false},
	{"gofo_us", "GFUS12345678901234", true},
	{"gofo_us", "GFCA12345678901234", false},
	{"speedee", "SP123456789012345678", true},
	{"speedee", "SP12345678901234567", false},
}

func TestShapeVectors(t *testing.T) {
	for _, v := range shapeVectors {
		formatByID(t, v.format)
		got := candidateFor(Check(v.number, ""), v.format)
		if (got != nil) != v.fits || got != nil && !got.Valid {
			t.Errorf("Check(%q) candidate %s = %+v, want present: %v", v.number, v.format, got, v.fits)
		}
	}
}

// formatByID returns the format with the given public code.
func formatByID(t *testing.T, id string) *format {
	t.Helper()
	for i := range formats {
		if formats[i].id == id {
			return &formats[i]
		}
	}
	t.Fatalf("no format %q", id)
	return nil
}

// candidateFor returns r's candidate of the given format, or nil.
func candidateFor(r Result, format string) *Candidate {
	for _, c := range r.Candidates() {
		if c.Format == format {
			return &c
		}
	}
	return nil
}
