package tracking

import "testing"

func TestResolveCarrier(t *testing.T) {
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"ups", "ups", true},
		{"UPS", "ups", true},
		{"United Parcel Service", "ups", true},
		{"FedEx", "fedex", true},
		{"FEDEX_GROUND", "fedex", true},
		{"fedex-smartpost", "fedex", true},
		{"United States Postal Service", "usps", true},
		{"U.S.P.S.", "usps", true},
		{"DHL eCommerce", "dhl", true},
		{"dhl_express", "dhl", true},
		{"Amazon Logistics", "amazon", true},
		{"AMZN_US", "amazon", true},
		{"OnTrac", "ontrac", true},
		{"LaserShip", "lasership", true},
		{"Canada Post", "canada_post", true},
		{"canada_post", "canada_post", true},
		{"Purolator", "purolator", true},
		{"DPD UK", "dpd", true},
		{"Canpar", "canpar", true},
		{"Old Dominion Freight Line", "old_dominion", true},
		{"ODFL", "old_dominion", true},
		{"Yodel", "yodel", true},
		{"Landmark Global", "landmark", true},
		{"YunExpress", "yunexpress", true},
		{"GOFO", "gofo", true},
		{"Spee-Dee", "speedee", true},
		{"speedee", "speedee", true},
		{"Royal Mail", "royal_mail", true},
		{"ROYAL_MAIL", "royal_mail", true},
		{"China Post", "china_post", true},
		{"Deutsche Post", "deutsche_post", true},
		{"La Poste", "la_poste", true},
		{"Colissimo", "la_poste", true},
		{"Japan Post", "japan_post", true},
		{"Australia Post", "australia_post", true},
		{"PostNL", "postnl", true},
		{"Hongkong Post", "hongkong_post", true},
		{"Hong Kong Post", "hongkong_post", true},
		{"post_it", "post_it", true},
		{"POST_CV", "post_cv", true},
		{"Poste Italiane", "post_it", true},
		{"Swiss Post", "post_ch", true},
		{"post_us", "usps", true},
		{"post_gb", "royal_mail", true},
		{"", "", false},
		{"   ", "", false},
		{"post_xx", "", false},
		{"Pony Express", "", false},
		{"a carrier name far longer than any alias Shipwatch knows of", "", false},
	}
	for _, tt := range tests {
		got, ok := ResolveCarrier(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ResolveCarrier(%q) = %q, %v, want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCarriersAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range carriers[1:] {
		if seen[c.code] {
			t.Errorf("carrier code %q appears twice", c.code)
		}
		seen[c.code] = true
	}
	// One operator for every ISO 3166 country.
	for _, c := range countries {
		if countryOperator[countryIndex(c.code[0], c.code[1])] == noCarrier {
			t.Errorf("country %s has no postal operator", c.code)
		}
	}
	if len(countries) != 249 {
		t.Errorf("len(countries) = %d, want the 249 ISO 3166-1 codes", len(countries))
	}
	for _, code := range Carriers() {
		if got, ok := ResolveCarrier(code); !ok || got != code {
			t.Errorf("ResolveCarrier(%q) = %q, %v, want itself", code, got, ok)
		}
	}
}

func TestCarrierName(t *testing.T) {
	for code, want := range map[string]string{"ups": "UPS", "fedex": "FedEx", "FEDEX_GROUND": "FedEx", "usps": "USPS",
		"amazon": "Amazon Logistics", "Acme Freight": "Acme Freight", "": ""} {
		if got := CarrierName(code); got != want {
			t.Errorf("CarrierName(%q) = %q, want %q", code, got, want)
		}
	}
}
