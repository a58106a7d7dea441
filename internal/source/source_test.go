package source_test

import (
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/source"
)

func TestHealthStateAndErrorRate(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name  string
		h     source.Health
		state source.State
		rate  float64
	}{
		{"nothing yet", source.Health{}, source.Unknown, 0},
		{"working", source.Health{LastSuccessAt: &now, OKCurrent: 3, OKPrevious: 1}, source.OK, 0},
		{"one failure", source.Health{LastSuccessAt: &now, LastFailureAt: &now, OKCurrent: 3, FailedCurrent: 1}, source.OK, 0.25},
		{"failing", source.Health{LastFailureAt: &now, DegradedSince: &now, FailedCurrent: 2, FailedPrevious: 1, OKPrevious: 1}, source.Degraded, 0.75},
	} {
		if got := tc.h.State(); got != tc.state {
			t.Errorf("%s: State() = %s, want %s", tc.name, got, tc.state)
		}
		if got := tc.h.ErrorRate(); got != tc.rate {
			t.Errorf("%s: ErrorRate() = %v, want %v", tc.name, got, tc.rate)
		}
	}
}
