package tracking

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name            string
		number, carrier string
		valid           bool
		wantCarrier     string
		wantFormat      string
		reason          Reason
	}{
		{"ups", "1Z12345E0205271686", "", true, "ups", "ups_1z", ReasonNone},
		{"ups spaced lower-case", " 1z 12345e 02 0527168 6", "", true, "ups", "ups_1z", ReasonNone},
		{"ups declared by alias", "1Z12345E0205271686", "United Parcel Service", true, "ups", "ups_1z", ReasonNone},
		{"ups typo", "1Z12345E0205271687", "", false, "ups", "ups_1z", ReasonCheckDigit},
		{"usps impb", "9400111999991234567896", "", true, "usps", "usps_impb", ReasonNone},
		{"usps impb with routing", "420902109400111999991234567896", "", true, "usps", "usps_impb", ReasonNone},
		// A 34 digit IMpb with ZIP+4 also passes FedEx's 34 digit rule only
		// by chance; the IMpb structure outweighs it either way.
		{"usps impb 34 is not fedex", "4206060112349205591234567812345674", "", true, "usps", "usps_impb", ReasonNone},
		{"fedex 12", "123456789012", "", true, "fedex", "fedex_express_12", ReasonNone},
		{"amazon", "TBA123456789012", "AMZN_US", true, "amazon", "amazon_logistics", ReasonNone},
		{"s10 country operator", "RR123456785CN", "", true, "china_post", "upu_s10", ReasonNone},
		{"s10 generic operator", "RB999999995CV", "", true, "post_cv", "upu_s10", ReasonNone},
		{"s10 unknown country", "RR123456785XX", "", false, "", "upu_s10", ReasonUnknownCountry},
		{"s10 bad check", "RR123456786CN", "", false, "china_post", "upu_s10", ReasonCheckDigit},
		{"empty", "", "", false, "", "", ReasonUnknownFormat},
		{"blank", "  - ", "ups", false, "", "", ReasonUnknownFormat},
		{"order number", "112-1234567-1234567", "", false, "", "", ReasonUnknownFormat},
		{"punctuation", "#1001", "", false, "", "", ReasonUnknownFormat},
		{"too long", strings.Repeat("1", 100), "", false, "", "", ReasonUnknownFormat},
		// Weak: 14 bare digits are DHL eCommerce only when DHL is declared.
		{"weak undeclared", "12345678901234", "", false, "", "", ReasonUnknownFormat},
		{"weak declared", "12345678901234", "dhl", true, "dhl", "dhl_ecommerce_14", ReasonNone},
		{"weak for another carrier", "12345678901234", "ups", false, "", "", ReasonUnknownFormat},

		// Declared carriers.
		{"mismatch ups as fedex", "1Z12345E0205271686", "fedex", false, "ups", "ups_1z", ReasonCarrierMismatch},
		{"mismatch fedex as usps", "123456789012", "usps", false, "fedex", "fedex_express_12", ReasonCarrierMismatch},
		{"mismatch usps as ups", "9400111999991234567896", "UPS", false, "usps", "usps_impb", ReasonCarrierMismatch},
		{"mismatch s10 as ups", "RR123456785CN", "ups", false, "china_post", "upu_s10", ReasonCarrierMismatch},
		{"typo of another carrier", "1Z12345E0205271687", "fedex", false, "ups", "ups_1z", ReasonCheckDigit},
		{"unknown declared counts as none", "1Z12345E0205271686", "Pony Express", true, "ups", "ups_1z", ReasonNone},
		// Purolator and FedEx share 12 digit numbers: each is valid when declared.
		{"purolator declared", "314159265359", "purolator", true, "purolator", "purolator_12", ReasonNone},
		// A FedEx typo that happens to pass Purolator's rule stays a FedEx typo.
		{"fedex typo not purolator", "314159265359", "fedex", false, "fedex", "fedex_express_12", ReasonCheckDigit},

		// Partners: SmartPost, SurePost and DHL eCommerce parcels travel
		// under USPS IMpb numbers with a commercial mailer ID.
		{"smartpost", "9205591234567812345674", "FedEx SmartPost", true, "fedex", "usps_impb", ReasonNone},
		{"surepost", "9205591234567812345674", "ups", true, "ups", "usps_impb", ReasonNone},
		{"impb 94 is not fedex", "9400111999991234567896", "fedex", false, "usps", "usps_impb", ReasonCarrierMismatch},
		// Inbound S10 items are tracked by the destination post.
		{"s10 inbound", "RR123456785CN", "usps", true, "usps", "upu_s10", ReasonNone},
		{"s10 own operator", "RR123456785CN", "china_post", true, "china_post", "upu_s10", ReasonNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(tt.number, tt.carrier)
			if r.Valid != tt.valid || r.Carrier != tt.wantCarrier || r.Format != tt.wantFormat || r.Reason != tt.reason {
				t.Errorf("Check(%q, %q) = valid %v, %q/%q, %q (%s), want %v, %q/%q, %q",
					tt.number, tt.carrier, r.Valid, r.Carrier, r.Format, r.Reason, r.Message,
					tt.valid, tt.wantCarrier, tt.wantFormat, tt.reason)
			}
			if r.Valid != (r.Reason == ReasonNone) {
				t.Errorf("Check(%q, %q): valid %v with reason %q", tt.number, tt.carrier, r.Valid, r.Reason)
			}
			if !r.Valid && r.Message == "" {
				t.Errorf("Check(%q, %q): invalid without a message", tt.number, tt.carrier)
			}
		})
	}
}

func TestMessages(t *testing.T) {
	tests := []struct{ number, carrier, want string }{
		{"1Z12345E0205271687", "", "check digit 7 does not match: the UPS 1Z algorithm gives 6"},
		{"1Z12345E0205271686", "fedex", "valid UPS 1Z number: this is a UPS number, not a FedEx one"},
		{"1Z12345E0205271687", "fedex", "not a FedEx number; as a UPS 1Z number, its check digit 7 does not match: the UPS 1Z algorithm gives 6"},
		{"RR123456785XX", "", "S10 number ending in XX, which is not an ISO 3166 country code"},
		{"", "", "empty tracking number"},
		{"12345678901234", "", "could be a DHL eCommerce 14 digit number, which has no check digit to tell it from an order number; declare the carrier to accept it"},
		{"ABC", "usps", "no USPS format matches this number (3 characters)"},
		{"9205591234567812345674", "fedex", partnerNote(fUSPSIMpb)},
		{"1Z12345E0205271686", "", ""},
	}
	for _, tt := range tests {
		if got := Check(tt.number, tt.carrier).Message; got != tt.want {
			t.Errorf("Check(%q, %q).Message = %q, want %q", tt.number, tt.carrier, got, tt.want)
		}
	}
}

func TestFields(t *testing.T) {
	tests := []struct {
		number string
		want   Fields
	}{
		{"1Z12345E0205271686", Fields{ShipperID: "12345E", ServiceType: "02", Service: "UPS 2nd Day Air"}},
		{"9400111999991234567896", Fields{ServiceType: "001", MailerID: "119999", Service: "Online or PC Postage label"}},
		{"420902109400111999991234567896", Fields{
			ServiceType: "001", MailerID: "119999", Service: "Online or PC Postage label",
			RoutingZIP: "90210", TrackingNumber: "9400111999991234567896",
		}},
		{"4206060112349205591234567812345674", Fields{
			ServiceType: "055", MailerID: "912345678", Service: "Commercial mailer label (9 digit mailer ID)",
			RoutingZIP: "606011234", TrackingNumber: "9205591234567812345674",
		}},
		{"9101123456789000000129", Fields{ServiceType: "01", Service: "Delivery Confirmation", MailerID: "123456789"}},
		{"RR123456785CN", Fields{ServiceType: "RR", Service: "Registered letter post", Country: "CN", PostalOperator: "china_post"}},
		{"RB999999995CV", Fields{ServiceType: "RB", Service: "Registered letter post", Country: "CV", PostalOperator: "post_cv"}},
		{"9612019123456712345678", Fields{ServiceType: "019", ShipperID: "1234567", TrackingNumber: "123456712345678"}},
		{"0012345678901234567890123404", Fields{RoutingZIP: "0012345", TrackingNumber: "67890123456789", ServiceType: "012", Service: ""}},
		{"123456789012", Fields{}},
	}
	for _, tt := range tests {
		r := Check(tt.number, "")
		if diff := cmp.Diff(tt.want, r.Fields); diff != "" {
			t.Errorf("Check(%q).Fields mismatch (-want +got):\n%s", tt.number, diff)
		}
	}
}

func TestTrackingURL(t *testing.T) {
	tests := []struct{ number, carrier, want string }{
		{"1Z12345E0205271686", "", "https://www.ups.com/track?tracknum=1Z12345E0205271686"},
		{"420902109400111999991234567896", "", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111999991234567896"},
		{"9205591234567812345674", "fedex", "https://www.fedex.com/fedextrack/?trknbr=9205591234567812345674"},
		{"RR123456785CN", "usps", "https://tools.usps.com/go/TrackConfirmAction?tLabels=RR123456785CN"},
		{"RR123456785GB", "", "https://www.royalmail.com/track-your-item#/tracking-results/RR123456785GB"},
		{"GM60511234500000001", "", "https://www.dhl.com/us-en/home/tracking/tracking-ecommerce.html?submit=1&tracking-id=GM60511234500000001"},
		{"1Z12345E0205271686", "fedex", "https://www.ups.com/track?tracknum=1Z12345E0205271686"}, // mismatch: the real carrier's page
		{"1Z12345E0205271687", "", ""},
		{"RB999999995CV", "", ""}, // no public page that takes the number
	}
	for _, tt := range tests {
		if got := Check(tt.number, tt.carrier).TrackingURL(); got != tt.want {
			t.Errorf("Check(%q, %q).TrackingURL() = %q, want %q", tt.number, tt.carrier, got, tt.want)
		}
	}
}

func TestCandidatesRanked(t *testing.T) {
	// Valid for both FedEx 12 and Purolator 12: both listed, FedEx first
	// (far more common), confidences adding up to less than 1.
	r := Check("100000000008", "")
	got := r.Candidates()
	if len(got) != 2 || got[0].Format != "fedex_express_12" && got[0].Format != "purolator_12" {
		t.Fatalf("Check(%q).Candidates() = %+v, want FedEx 12 and Purolator 12", "100000000008", got)
	}
	sum := 0.0
	for i, c := range got {
		sum += c.Confidence
		if i > 0 && c.Valid == got[i-1].Valid && c.Confidence > got[i-1].Confidence {
			t.Errorf("candidates out of order: %+v", got)
		}
	}
	if sum > 1.0001 {
		t.Errorf("confidences add up to %v, want at most 1", sum)
	}
	// An IMpb number with a routing prefix is USPS before FedEx 34.
	r = Check("4206060112349205591234567812345674", "")
	if c := r.Candidates(); c[0].Carrier != "usps" || c[0].Confidence < 0.9 {
		t.Errorf("Check(IMpb 34).Candidates() = %+v, want USPS first and confident", c)
	}
}
