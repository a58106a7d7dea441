package flag

import "testing"

// TestKinds lists every rule's kind once, in the catalogue's order, then
// PROJECTED_MISS as an account kind.
func TestKinds(t *testing.T) {
	got := Kinds()
	if len(got) != len(Rules)+1 {
		t.Fatalf("Kinds() has %d entries, want %d rules and PROJECTED_MISS", len(got), len(Rules))
	}
	for i, r := range Rules {
		if got[i].Kind != r.Kind || got[i].Severity != r.Severity || got[i].Account {
			t.Errorf("Kinds()[%d] = %+v, want %s %s, not an account kind", i, got[i], r.Kind, r.Severity)
		}
	}
	last := got[len(got)-1]
	if last != (Entry{Kind: ProjectedMiss, Severity: Warning, Account: true}) {
		t.Errorf("Kinds()'s last = %+v, want PROJECTED_MISS WARNING, an account kind", last)
	}
	for _, e := range got {
		if !e.Kind.Valid() {
			t.Errorf("Kinds() lists %s, which Kind.Valid refuses", e.Kind)
		}
	}
}
