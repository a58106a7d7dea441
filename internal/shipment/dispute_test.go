package shipment

import (
	"testing"
	"time"
)

func TestDisputeInputValidate(t *testing.T) {
	tests := []struct {
		in        DisputeInput
		wantField string
		wantAmt   string
	}{
		{DisputeInput{Kind: DisputeAToZClaim, Amount: " 049.990 ", Currency: "usd"}, "", "49.990"},
		{DisputeInput{Kind: DisputeChargeback, Amount: "0.5", Currency: "EUR"}, "", "0.5"},
		{DisputeInput{Kind: DisputeChargeback, Amount: "000", Currency: "JPY"}, "", "0"},
		{DisputeInput{Kind: DisputeOther}, "", ""},
		{DisputeInput{Kind: "LOST"}, "kind", ""},
		{DisputeInput{Kind: DisputeDamaged, Amount: "-1", Currency: "USD"}, "amount", "-1"},
		{DisputeInput{Kind: DisputeDamaged, Amount: "1.23456", Currency: "USD"}, "amount", "1.23456"},
		{DisputeInput{Kind: DisputeDamaged, Amount: "1e3", Currency: "USD"}, "amount", "1e3"},
		{DisputeInput{Kind: DisputeDamaged, Amount: "10"}, "currency", "10"},
		{DisputeInput{Kind: DisputeDamaged, Currency: "USD"}, "amount", ""},
		{DisputeInput{Kind: DisputeDamaged, Amount: "10", Currency: "US$"}, "currency", "10"},
	}
	for _, tt := range tests {
		c := tt.in.Clean()
		err := c.Validate()
		field := ""
		if err != nil {
			field = err.Field
		}
		if field != tt.wantField || c.Amount != tt.wantAmt {
			t.Errorf("Validate(%+v) = %v with amount %q, want field %q, amount %q", tt.in, err, c.Amount, tt.wantField, tt.wantAmt)
		}
	}
}

func TestProofInputValidate(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	f := func(v float64) *float64 { return &v }
	ok := ProofInput{DeliveredAt: now.Add(-time.Hour), SignedBy: "Ann"}
	tests := []struct {
		change func(*ProofInput)
		want   string
	}{
		{func(*ProofInput) {}, ""},
		{func(p *ProofInput) { p.DeliveredAt = time.Time{} }, "deliveredAt"},
		{func(p *ProofInput) { p.DeliveredAt = now.Add(time.Hour) }, "deliveredAt"},
		{func(p *ProofInput) { p.DeliveredAt = now.Add(4 * time.Minute) }, ""},
		{func(p *ProofInput) { p.Latitude = f(45) }, "location"},
		{func(p *ProofInput) { p.Latitude, p.Longitude = f(91), f(0) }, "location.latitude"},
		{func(p *ProofInput) { p.Latitude, p.Longitude = f(0), f(-180.5) }, "location.longitude"},
		{func(p *ProofInput) { p.SignedBy = "" }, "input"},
		{func(p *ProofInput) { p.SignedBy, p.Photo = "", []byte{1} }, ""},
		{func(p *ProofInput) { p.SignedBy, p.CarrierReference = "", "POD-1" }, ""},
	}
	for i, tt := range tests {
		in := ok
		tt.change(&in)
		err := in.Clean().Validate(now)
		got := ""
		if err != nil {
			got = err.Field
		}
		if got != tt.want {
			t.Errorf("case %d: Validate() = %v, want field %q", i, err, tt.want)
		}
	}
}

// Labels are how evidence packs and flag messages name a dispute.
func TestDisputeKindLabel(t *testing.T) {
	for k, want := range map[DisputeKind]string{DisputeAToZClaim: "A-to-z claim", DisputeNotReceived: "Not-received dispute",
		DisputeChargeback: "Chargeback", DisputeDamaged: "Damage dispute", DisputeOther: "Dispute"} {
		if got := k.Label(); got != want {
			t.Errorf("%s.Label() = %q, want %q", k, got, want)
		}
	}
}
