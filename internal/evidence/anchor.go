package evidence

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"

	"github.com/shipwatch/shipwatch/internal/checkpoint"
)

// The reasons that come from comparing a chain with a checkpoint.
const (
	// ReasonBehindCheckpoint: the chain holds fewer records than the
	// latest checkpoint committed to, or its record at the committed
	// count does not have the committed head: it was cut short or
	// rewritten after the checkpoint.
	ReasonBehindCheckpoint Reason = "behind checkpoint"
	// ReasonCheckpointInvalid: the latest checkpoint's signature does not
	// verify with the server's key, or its stored leaves do not make its
	// root: the checkpoint itself cannot be trusted.
	ReasonCheckpointInvalid Reason = "checkpoint invalid"
)

// Anchor is what ties a chain to a checkpoint: the signed checkpoint, the
// chain's leaf in it and the inclusion proof of that leaf, and the public
// key that verifies the signature. With it, a pack can be checked by
// anyone holding the server's public key, without the database.
type Anchor struct {
	Checkpoint checkpoint.Checkpoint `json:"checkpoint"`
	// Leaf is what the checkpoint committed to for this chain, at
	// LeafIndex of a tree of Checkpoint.TreeSize leaves.
	Leaf           checkpoint.Leaf   `json:"leaf"`
	LeafIndex      int64             `json:"leaf_index"`
	InclusionProof []checkpoint.Hash `json:"inclusion_proof"`
	// PublicKey is the server's key, base64 of 32 bytes. It says which key
	// signed; a verifier uses the key it got from the operator instead.
	PublicKey string `json:"public_key"`
}

// CheckAnchor compares a chain's records, in chain order, with what a
// checkpoint committed to for it: the chain that now holds the key must be
// the committed one (chainID), hold at least the committed number of
// records, and its record at that count must have the committed head.
// Records appended after the checkpoint are not its concern. It returns
// nil when the chain is at or ahead of the checkpoint.
func CheckAnchor(records []StoredRecord, chainID int64, sequence int64, leaf checkpoint.Leaf) *BrokenRecord {
	behind := func(index int, detail string) *BrokenRecord {
		b := &BrokenRecord{Index: index, Reason: ReasonBehindCheckpoint, Chain: leaf.Key(),
			Detail: fmt.Sprintf("chain %s is behind checkpoint %d: %s", leaf.Key(), sequence, detail)}
		if index < len(records) {
			if rec := deref(records[index].Record); rec != nil {
				b.Kind, b.ID = rec.Kind(), rec.recordID()
			}
		}
		return b
	}
	switch {
	case chainID != leaf.ChainID:
		return behind(0, fmt.Sprintf("the checkpoint committed to chain id %d with %d records, the chain now is id %d",
			leaf.ChainID, leaf.Records, chainID))
	case int64(len(records)) < leaf.Records:
		return behind(len(records), fmt.Sprintf("it holds %d records, the checkpoint committed to %d", len(records), leaf.Records))
	case leaf.Records > 0 && checkpoint.Hash(records[leaf.Records-1].ChainHash) != leaf.Head:
		return behind(int(leaf.Records-1), fmt.Sprintf("record %d has chain hash %s, the checkpoint committed to %s",
			leaf.Records, hex.EncodeToString(records[leaf.Records-1].ChainHash[:]), leaf.Head))
	}
	return nil
}

// PackReport is what VerifyPack found in a pack that verifies.
type PackReport struct {
	Checkpoint checkpoint.Checkpoint
	Leaf       checkpoint.Leaf
	// Records is how many records the pack holds; those past
	// Leaf.Records are newer than the checkpoint and not yet anchored.
	Records int
}

// Errors of VerifyPack, so a caller can tell which check failed.
var (
	ErrNoAnchor      = errors.New("the pack carries no checkpoint for its chain")
	ErrPackChain     = errors.New("the pack's records do not verify")
	ErrPackSignature = errors.New("the checkpoint's signature does not verify")
	ErrPackInclusion = errors.New("the chain's leaf is not in the checkpoint")
	ErrPackBehind    = errors.New("the chain does not replay to the committed head")
)

// VerifyPack checks an evidence pack with nothing but the server's public
// key: every record's content hash recomputed from its fields and linked
// in order, the checkpoint's signature, the inclusion of the chain's leaf
// in the checkpoint's tree, and that the records replay to the head the
// checkpoint committed to.
func VerifyPack(p Pack, pub ed25519.PublicKey) (PackReport, error) {
	records, err := packRecords(p)
	if err != nil {
		return PackReport{}, fmt.Errorf("%w: %w", ErrPackChain, err)
	}
	if v := Verify(records); !v.Intact {
		b := v.FirstBroken
		return PackReport{}, fmt.Errorf("%w: %s %s (record %d): %s", ErrPackChain, b.Kind, b.ID, b.Index+1, b.Reason)
	}
	a := p.Checkpoint
	if a == nil {
		return PackReport{}, ErrNoAnchor
	}
	c := a.Checkpoint
	if err := c.Verify(pub); err != nil {
		return PackReport{}, fmt.Errorf("%w: %w", ErrPackSignature, err)
	}
	if c.SellerID != p.Seller.ID {
		return PackReport{}, fmt.Errorf("%w: the checkpoint is seller %s's, the pack seller %s's", ErrPackSignature, c.SellerID, p.Seller.ID)
	}
	if err := checkpoint.VerifyInclusion(a.LeafIndex, c.TreeSize, a.Leaf.Hash(), a.InclusionProof, c.Root); err != nil {
		return PackReport{}, fmt.Errorf("%w: leaf %d of %d: %w", ErrPackInclusion, a.LeafIndex, c.TreeSize, err)
	}
	if b := CheckAnchor(records, a.Leaf.ChainID, c.Sequence, a.Leaf); b != nil {
		return PackReport{}, fmt.Errorf("%w: %s", ErrPackBehind, b.Detail)
	}
	return PackReport{Checkpoint: c, Leaf: a.Leaf, Records: len(records)}, nil
}

// packRecords rebuilds the chain from a pack's timeline and proofs, in
// chain order, with the hashes the pack lists.
func packRecords(p Pack) ([]StoredRecord, error) {
	type seqRecord struct {
		seq            int
		rec            Record
		content, chain string
	}
	var all []seqRecord
	for _, e := range p.Timeline {
		all = append(all, seqRecord{e.Seq, e.EventRecord, e.ContentHash, e.ChainHash})
	}
	for _, pr := range p.Proofs {
		all = append(all, seqRecord{pr.Seq, pr.ProofRecord, pr.ContentHash, pr.ChainHash})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	out := make([]StoredRecord, len(all))
	for i, r := range all {
		if r.seq != i+1 {
			return nil, fmt.Errorf("record %d has seq %d: records are missing or doubled", i+1, r.seq)
		}
		out[i].Record = r.rec
		if err := decodeHash(r.content, &out[i].ContentHash); err != nil {
			return nil, fmt.Errorf("record %d: content_hash: %w", r.seq, err)
		}
		if err := decodeHash(r.chain, &out[i].ChainHash); err != nil {
			return nil, fmt.Errorf("record %d: chain_hash: %w", r.seq, err)
		}
	}
	return out, nil
}

func decodeHash(s string, h *[32]byte) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return fmt.Errorf("%q is not 64 hex digits", s)
	}
	copy(h[:], b)
	return nil
}
