package health

import "testing"

func TestEvaluate(t *testing.T) {
	amazon, walmart, ebay := policies[Amazon], policies[Walmart], policies[EBay]
	tests := []struct {
		name   string
		target Target
		n, d   int
		want   Status
	}{
		{"no shipments", amazon[ValidTrackingRate], 0, 0, OK},
		{"VTR 99%", amazon[ValidTrackingRate], 99, 100, OK},
		{"VTR just above three quarters of the allowance", amazon[ValidTrackingRate], 386, 400, OK},
		{"VTR at three quarters of the allowance", amazon[ValidTrackingRate], 385, 400, AtRisk},
		{"VTR exactly 95% meets at least 95%", amazon[ValidTrackingRate], 95, 100, AtRisk},
		{"VTR 94.99%", amazon[ValidTrackingRate], 9499, 10000, Failing},
		{"LSR 2.99%", amazon[LateShipmentRate], 299, 10000, OK},
		{"LSR 3%", amazon[LateShipmentRate], 3, 100, AtRisk},
		{"LSR exactly 4% is not under 4%", amazon[LateShipmentRate], 4, 100, Failing},
		{"OTD 98%", amazon[OnTimeDeliveryRate], 98, 100, OK},
		{"OTD 97.75%", amazon[OnTimeDeliveryRate], 9775, 10000, AtRisk},
		{"OTD 99.3%", amazon[OnTimeDeliveryRate], 993, 1000, OK},
		{"OTD exactly 97% is not above 97%", amazon[OnTimeDeliveryRate], 97, 100, Failing},
		{"ITR 5% is at most 5%", amazon[InvalidTrackingRate], 5, 100, AtRisk},
		{"ITR 5.01%", amazon[InvalidTrackingRate], 501, 10000, Failing},
		{"Walmart VTR exactly 99% is at least 99%", walmart[ValidTrackingRate], 99, 100, AtRisk},
		{"Walmart VTR 98.99%", walmart[ValidTrackingRate], 9899, 10000, Failing},
		{"Walmart OTD exactly 90% is at least 90%", walmart[OnTimeDeliveryRate], 90, 100, AtRisk},
		{"Walmart OTD 89.99%", walmart[OnTimeDeliveryRate], 8999, 10000, Failing},
		{"Walmart VTR 99.25%", walmart[ValidTrackingRate], 9925, 10000, AtRisk},
		{"Walmart VTR 99.26%", walmart[ValidTrackingRate], 9926, 10000, OK},
		{"Walmart LSR 1%", walmart[LateShipmentRate], 1, 100, Failing},
		{"eBay LSR exactly 3% is at most 3%", ebay[LateShipmentRate], 3, 100, AtRisk},
		{"eBay LSR 3.01%", ebay[LateShipmentRate], 301, 10000, Failing},
		{"a million shipments", amazon[ValidTrackingRate], 999_000, 1_000_000, OK},
	}
	for _, tt := range tests {
		if got := tt.target.Evaluate(tt.n, tt.d); got != tt.want {
			t.Errorf("%s: Evaluate(%d, %d) = %s, want %s", tt.name, tt.n, tt.d, got, tt.want)
		}
	}
}

func TestPolicies(t *testing.T) {
	for _, m := range []Marketplace{Amazon, Walmart, EBay} {
		p, err := PolicyFor(m)
		if err != nil {
			t.Fatal(err)
		}
		for metric, target := range p {
			if target.Source == "" || target.WindowDays < 1 || target.BasisPoints <= 0 || target.BasisPoints >= 10000 {
				t.Errorf("%s %s = %+v, want a source, a window and a threshold strictly between 0 and 100%%", m, metric, target)
			}
			if metric.HigherIsBetter() != (target.Comparison == Above || target.Comparison == AtLeast) {
				t.Errorf("%s %s compares %s", m, metric, target.Comparison)
			}
		}
		if _, ok := p[ValidTrackingRate]; !ok {
			t.Errorf("%s has no valid tracking target", m)
		}
	}
	if _, ok := policies[EBay][OnTimeDeliveryRate]; ok {
		t.Errorf("eBay publishes no on-time delivery target of its own; want none")
	}
	if itr := policies[Walmart][InvalidTrackingRate]; itr.Comparison != AtMost || itr.BasisPoints != 100 {
		t.Errorf("Walmart invalid tracking = %+v, want at most 1%% (from VTR at least 99%%)", itr)
	}
	if _, err := PolicyFor("ETSY"); err == nil {
		t.Errorf("PolicyFor(ETSY) error = nil, want unknown marketplace")
	}
}
