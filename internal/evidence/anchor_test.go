package evidence

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/checkpoint"
)

func leafOf(records []StoredRecord, chainID int64, n int) checkpoint.Leaf {
	l := checkpoint.Leaf{ChainID: chainID, Number: "1Z999AA10123456784", Records: int64(n)}
	if n > 0 {
		l.Head = records[n-1].ChainHash
	}
	return l
}

func TestCheckAnchor(t *testing.T) {
	records := chainOf5()
	leaf := leafOf(records, 7, 4)
	if b := CheckAnchor(records, 7, 3, leaf); b != nil {
		t.Errorf("CheckAnchor(chain ahead of its leaf) = %+v, want nil", b)
	}
	if b := CheckAnchor(records[:4], 7, 3, leaf); b != nil {
		t.Errorf("CheckAnchor(chain at its leaf) = %+v, want nil", b)
	}
	rewritten := Link([]Record{records[0].Record, records[1].Record, records[2].Record, records[4].Record, records[3].Record})
	for name, tc := range map[string]struct {
		records []StoredRecord
		chainID int64
		want    string
	}{
		"cut short":  {records[:3], 7, "holds 3 records, the checkpoint committed to 4"},
		"empty":      {nil, 0, "chain id 7"},
		"rewritten":  {rewritten, 7, "record 4 has chain hash"},
		"other id":   {records, 8, "chain id 7"},
		"no records": {records[:0], 7, "holds 0 records"},
	} {
		b := CheckAnchor(tc.records, tc.chainID, 3, leaf)
		if b == nil || b.Reason != ReasonBehindCheckpoint || b.Chain != leaf.Number ||
			!strings.Contains(b.Detail, "behind checkpoint 3") || !strings.Contains(b.Detail, tc.want) {
			t.Errorf("CheckAnchor(%s) = %+v, want BEHIND naming the chain and %q", name, b, tc.want)
		}
	}
}

// TestVerifyPack builds a pack the way the server does and tampers with
// each part VerifyPack checks.
func TestVerifyPack(t *testing.T) {
	records := chainOf5()
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := key.Public().(ed25519.PublicKey)
	leaves := []checkpoint.Leaf{{ChainID: 2, Number: "A", Records: 1, Head: checkpoint.Hash{9}}, leafOf(records, 7, 4)}
	tree, err := checkpoint.NewTree(leaves)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := tree.Proof(1)
	if err != nil {
		t.Fatal(err)
	}
	c := checkpoint.Sign(checkpoint.Checkpoint{SellerID: "s-1", Sequence: 3, TreeSize: 2, Root: tree.Root(),
		Time: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)}, key)
	pack := func() Pack {
		timeline, proofs, v := Chain(records)
		return Pack{Seller: Seller{ID: "s-1"}, Timeline: timeline, Proofs: proofs, Verification: v,
			Checkpoint: &Anchor{Checkpoint: c, Leaf: leaves[1], LeafIndex: 1, InclusionProof: append([]checkpoint.Hash(nil), proof...), PublicKey: checkpoint.EncodePublicKey(pub)}}
	}
	rep, err := VerifyPack(pack(), pub)
	if err != nil || rep.Records != 5 || rep.Leaf.Records != 4 {
		t.Fatalf("VerifyPack(good) = %+v, %v", rep, err)
	}
	for name, tc := range map[string]struct {
		tamper func(*Pack)
		key    ed25519.PublicKey
		want   error
	}{
		"record edited":   {func(p *Pack) { p.Timeline[0].Description = "edited" }, pub, ErrPackChain},
		"record dropped":  {func(p *Pack) { p.Timeline = p.Timeline[1:] }, pub, ErrPackChain},
		"chain cut":       {func(p *Pack) { p.Timeline, p.Proofs = cut(p, 3) }, pub, ErrPackBehind},
		"leaf edited":     {func(p *Pack) { p.Checkpoint.Leaf.Records = 3 }, pub, ErrPackInclusion},
		"proof edited":    {func(p *Pack) { p.Checkpoint.InclusionProof[0][0] ^= 1 }, pub, ErrPackInclusion},
		"index edited":    {func(p *Pack) { p.Checkpoint.LeafIndex = 0 }, pub, ErrPackInclusion},
		"root edited":     {func(p *Pack) { p.Checkpoint.Checkpoint.Root[0] ^= 1 }, pub, ErrPackSignature},
		"other seller":    {func(p *Pack) { p.Seller.ID = "s-2" }, pub, ErrPackSignature},
		"other key":       {func(*Pack) {}, ed25519.NewKeyFromSeed(append(make([]byte, 31), 1)).Public().(ed25519.PublicKey), ErrPackSignature},
		"no checkpoint":   {func(p *Pack) { p.Checkpoint = nil }, pub, ErrNoAnchor},
		"bad hash text":   {func(p *Pack) { p.Proofs[0].ChainHash = "zz" }, pub, ErrPackChain},
		"seq out of turn": {func(p *Pack) { p.Timeline[0].Seq = 9 }, pub, ErrPackChain},
	} {
		p := pack()
		tc.tamper(&p)
		if _, err := VerifyPack(p, tc.key); !errors.Is(err, tc.want) {
			t.Errorf("VerifyPack(%s) = %v, want %v", name, err, tc.want)
		}
	}
}

// cut keeps the pack's first n records.
func cut(p *Pack, n int) ([]TimelineEvent, []Proof) {
	var tl []TimelineEvent
	var pr []Proof
	for _, e := range p.Timeline {
		if e.Seq <= n {
			tl = append(tl, e)
		}
	}
	for _, e := range p.Proofs {
		if e.Seq <= n {
			pr = append(pr, e)
		}
	}
	return tl, pr
}
