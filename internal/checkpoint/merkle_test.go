package checkpoint

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func hexHash(t *testing.T, s string) Hash {
	t.Helper()
	var h Hash
	if err := h.UnmarshalText([]byte(s)); err != nil {
		t.Fatal(err)
	}
	return h
}

func leaves(n int) []Hash {
	out := make([]Hash, n)
	for i := range n {
		out[i] = LeafHash([]byte{'a' + byte(i)})
	}
	return out
}

// TestRootVectors checks roots worked out by hand from RFC 9162's
// definition (and recomputed with Python's hashlib) over the leaves "a",
// "b", "c", ...: 1 leaf is its leaf hash, 2 are one node, 3 split 2+1 and
// 5 split 4+1.
func TestRootVectors(t *testing.T) {
	l := leaves(5)
	for _, tc := range []struct {
		n         int
		structure Hash
		want      string
	}{
		{0, EmptyRoot, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{1, l[0], "022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c"},
		{2, NodeHash(l[0], l[1]), "b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb"},
		{3, NodeHash(NodeHash(l[0], l[1]), l[2]), "36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1"},
		{5, NodeHash(NodeHash(NodeHash(l[0], l[1]), NodeHash(l[2], l[3])), l[4]), "fe14a5426fbd70c0fa73f52342afed0da0bd23c4838662ccf6b88a3070ead97b"},
	} {
		want := hexHash(t, tc.want)
		if tc.structure != want {
			t.Errorf("hand-built tree of %d = %s, want %s", tc.n, tc.structure, want)
		}
		if got := Root(l[:tc.n]); got != want {
			t.Errorf("Root(%d leaves) = %s, want %s", tc.n, got, want)
		}
	}
}

// TestInclusionProofVectors checks every audit path of the 3- and 5-leaf
// trees against the siblings read off the trees by hand.
func TestInclusionProofVectors(t *testing.T) {
	l := leaves(5)
	ab, cd := NodeHash(l[0], l[1]), NodeHash(l[2], l[3])
	for _, tc := range []struct {
		n, index int
		want     []Hash
	}{
		{1, 0, nil},
		{2, 0, []Hash{l[1]}},
		{2, 1, []Hash{l[0]}},
		{3, 0, []Hash{l[1], l[2]}},
		{3, 1, []Hash{l[0], l[2]}},
		{3, 2, []Hash{ab}},
		{5, 0, []Hash{l[1], cd, l[4]}},
		{5, 1, []Hash{l[0], cd, l[4]}},
		{5, 2, []Hash{l[3], ab, l[4]}},
		{5, 3, []Hash{l[2], ab, l[4]}},
		{5, 4, []Hash{NodeHash(ab, cd)}},
	} {
		got, err := InclusionProof(l[:tc.n], tc.index)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("InclusionProof(%d leaves, %d) mismatch (-want +got):\n%s", tc.n, tc.index, diff)
		}
	}
}

// TestInclusionEveryIndex proves and verifies every leaf of every tree up
// to 33 leaves, and refuses each proof for a wrong leaf or index, or a
// proof altered, cut short or lengthened.
func TestInclusionEveryIndex(t *testing.T) {
	all := leaves(33)
	for n := 1; n <= len(all); n++ {
		l := all[:n]
		root := Root(l)
		for i := range n {
			proof, err := InclusionProof(l, i)
			if err != nil {
				t.Fatal(err)
			}
			size, idx := int64(n), int64(i)
			if err := VerifyInclusion(idx, size, l[i], proof, root); err != nil {
				t.Fatalf("VerifyInclusion(%d of %d) = %v, want nil", i, n, err)
			}
			other := LeafHash([]byte("not in the tree"))
			if err := VerifyInclusion(idx, size, other, proof, root); !errors.Is(err, ErrInclusion) {
				t.Errorf("VerifyInclusion(%d of %d, wrong leaf) = %v, want ErrInclusion", i, n, err)
			}
			if n > 1 {
				if err := VerifyInclusion((idx+1)%size, size, l[i], proof, root); err == nil {
					t.Errorf("VerifyInclusion(%d of %d at index %d) = nil, want an error", i, n, (i+1)%n)
				}
				if err := VerifyInclusion(idx, size, l[i], proof[:len(proof)-1], root); err == nil {
					t.Errorf("VerifyInclusion(%d of %d, proof cut short) = nil, want an error", i, n)
				}
				bad := append([]Hash(nil), proof...)
				bad[0][0] ^= 1
				if err := VerifyInclusion(idx, size, l[i], bad, root); err == nil {
					t.Errorf("VerifyInclusion(%d of %d, proof altered) = nil, want an error", i, n)
				}
			}
			if err := VerifyInclusion(idx, size, l[i], append(proof, l[0]), root); err == nil {
				t.Errorf("VerifyInclusion(%d of %d, proof lengthened) = nil, want an error", i, n)
			}
		}
		if _, err := InclusionProof(l, n); err == nil {
			t.Errorf("InclusionProof(%d leaves, %d) = nil error, want one", n, n)
		}
	}
}

func TestHashText(t *testing.T) {
	for _, s := range []string{"", "zz", "00", string(make([]byte, 64))} {
		var h Hash
		if err := h.UnmarshalText([]byte(s)); err == nil {
			t.Errorf("UnmarshalText(%q) = nil, want an error", s)
		}
	}
}
