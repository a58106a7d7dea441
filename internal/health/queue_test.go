package health

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/store"
)

// TestTopRanked checks the partial ranking of a save queue's first page
// against a sort of the whole queue, on queues with many ties of effect
// and deadline (so the shipment id often decides), for every page end.
func TestTopRanked(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	base := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for _, n := range []int{0, 1, 2, 7, 40, 300} {
		shs := make([]store.Shipment, n)
		os := make([]outcome, n)
		cs := make([]candidate, n)
		ids := rng.Perm(10000) // a shipment is in a queue once
		for i := range cs {
			shs[i].ID = fmt.Sprintf("s%04d", ids[i])
			os[i] = outcome{shipment: &shs[i]}
			if rng.IntN(3) > 0 {
				d := base.Add(time.Duration(rng.IntN(3)) * time.Hour)
				os[i].deadline = &d
			}
			cs[i] = candidate{o: &os[i], effect: float64(rng.IntN(4)) / 8}
		}
		want := append([]candidate(nil), cs...)
		sort.SliceStable(want, func(i, j int) bool { return ranksBefore(&want[i], &want[j]) })
		for k := 0; k <= n; k++ {
			got := topRanked(append([]candidate(nil), cs...), k)
			if len(got) != k {
				t.Fatalf("topRanked(%d of %d) has %d candidates", k, n, len(got))
			}
			for i := range got {
				if got[i].o != want[i].o {
					t.Fatalf("topRanked(%d of %d)[%d] = %s, want %s", k, n, i, got[i].o.shipment.ID, want[i].o.shipment.ID)
				}
			}
		}
	}
}
