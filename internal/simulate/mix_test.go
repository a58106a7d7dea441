package simulate

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMix(t *testing.T) {
	tests := []struct {
		in      string
		want    Mix
		wantErr string
	}{
		{"delivered=70,inactive=5,stalled=5,exception=5,attempt=5,returned=5,late=5", DefaultMix(), ""},
		{"delivered=1", Mix{OutcomeDelivered: 1}, ""},
		{" Late = 3 , delivered=0,", Mix{OutcomeLate: 3, OutcomeDelivered: 0}, ""},
		{"", nil, "no outcome a positive weight"},
		{"delivered=0", nil, "no outcome a positive weight"},
		{"delivered", nil, `"delivered" is not outcome=weight`},
		{"lost=5", nil, `unknown outcome "lost"`},
		{"delivered=5,delivered=6", nil, "delivered given twice"},
		{"delivered=-1", nil, "whole number from 0 to 1000000"},
		{"delivered=1.5", nil, "whole number"},
		{"delivered=1000001", nil, "whole number"},
	}
	for _, tt := range tests {
		got, err := ParseMix(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseMix(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMix(%q) error = %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseMix(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestMixString(t *testing.T) {
	tests := []struct {
		mix  Mix
		want string
	}{
		{DefaultMix(), "delivered=70,inactive=5,stalled=5,exception=5,attempt=5,returned=5,late=5"},
		{Mix{OutcomeLate: 2, OutcomeDelivered: 0, OutcomeStalled: 1}, "stalled=1,late=2"},
		{Mix{}, ""},
	}
	for _, tt := range tests {
		if got := tt.mix.String(); got != tt.want {
			t.Errorf("%v.String() = %q, want %q", tt.mix, got, tt.want)
		}
	}
}

func TestMixPick(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	m := Mix{OutcomeDelivered: 3, OutcomeLate: 1}
	counts := map[Outcome]int{}
	const n = 20000
	for range n {
		counts[m.Pick(r)]++
	}
	if len(counts) != 2 || counts[OutcomeDelivered] < n*70/100 || counts[OutcomeDelivered] > n*80/100 {
		t.Errorf("Pick() counts = %v, want about 75%% delivered and 25%% late only", counts)
	}
	if got := (Mix{}).Pick(r); got != OutcomeDelivered {
		t.Errorf("empty Mix.Pick() = %v, want %v", got, OutcomeDelivered)
	}
}

func FuzzParseMix(f *testing.F) {
	for _, s := range []string{DefaultMix().String(), "", "late=1", "a=b=c", ",,,", "delivered=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMix(s)
		if err != nil {
			return
		}
		if m.Total() <= 0 {
			t.Fatalf("ParseMix(%q) accepted a mix without weight: %v", s, m)
		}
		again, err := ParseMix(m.String())
		if err != nil || again.String() != m.String() {
			t.Fatalf("ParseMix(%q).String() = %q does not parse back: %v, %v", s, m.String(), again, err)
		}
	})
}
