package checkpoint

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// LeafEncoding names and versions the canonical encoding of a leaf; it is
// the leaf's first field, so another version can never give the same bytes.
const LeafEncoding = "shipwatch-checkpoint-leaf-v1"

// BodyHeader is the first line of a checkpoint's signed body.
const BodyHeader = "shipwatch-checkpoint-v1"

// Leaf is what a checkpoint commits to for one evidence chain: which chain
// it is and how far it had grown.
type Leaf struct {
	// ChainID is the chain's id in the database.
	ChainID int64 `json:"chain_id"`
	// Number is the chain's normalised tracking number; "" for the chain of
	// a shipment without one, which ShipmentID names.
	Number     string `json:"number"`
	ShipmentID string `json:"shipment_id,omitempty"`
	// Records is the chain's length and Head the chain hash of its last
	// record (zero for none).
	Records int64 `json:"records"`
	Head    Hash  `json:"head"`
}

// Key names the chain for a person: its tracking number, or
// "shipment <id>" for a shipment's own chain.
func (l Leaf) Key() string {
	if l.Number != "" {
		return l.Number
	}
	return "shipment " + l.ShipmentID
}

// Encode returns the leaf's canonical encoding: fields each a 4-byte
// big-endian length and that many bytes: LeafEncoding, the chain id in
// decimal, the number, the shipment id, the record count in decimal and
// the 32 bytes of the head.
func (l Leaf) Encode() []byte {
	var b []byte
	field := func(s []byte) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	field([]byte(LeafEncoding))
	field(strconv.AppendInt(nil, l.ChainID, 10))
	field([]byte(l.Number))
	field([]byte(l.ShipmentID))
	field(strconv.AppendInt(nil, l.Records, 10))
	field(l.Head[:])
	return b
}

// Hash is the leaf's hash in the tree.
func (l Leaf) Hash() Hash { return LeafHash(l.Encode()) }

// Checkpoint is one signed tree head: a seller's evidence chains as of
// Time, as a tree of TreeSize leaves sorted by chain id.
type Checkpoint struct {
	SellerID string `json:"seller_id"`
	// Sequence counts the seller's checkpoints from 1.
	Sequence int64     `json:"sequence"`
	TreeSize int64     `json:"tree_size"`
	Root     Hash      `json:"root"`
	Time     time.Time `json:"time"`
	// KeyFingerprint names the key that signed it (Fingerprint); it is not
	// signed, only a hint for which key to verify with.
	KeyFingerprint string `json:"key_fingerprint"`
	// Signature is the Ed25519 signature of Body().
	Signature []byte `json:"signature"`
}

// Body returns the bytes that are signed, one field a line:
//
//	shipwatch-checkpoint-v1
//	seller <uuid>
//	sequence <decimal>
//	size <decimal>
//	root <hex>
//	time <RFC 3339, UTC, microseconds at most>
func (c Checkpoint) Body() []byte {
	var b bytes.Buffer
	b.WriteString(BodyHeader + "\n")
	b.WriteString("seller " + c.SellerID + "\n")
	b.WriteString("sequence " + strconv.FormatInt(c.Sequence, 10) + "\n")
	b.WriteString("size " + strconv.FormatInt(c.TreeSize, 10) + "\n")
	b.WriteString("root " + c.Root.String() + "\n")
	b.WriteString("time " + c.Time.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano) + "\n")
	return b.Bytes()
}

// Sign fills c's time precision, key fingerprint and signature with key.
func Sign(c Checkpoint, key ed25519.PrivateKey) Checkpoint {
	c.Time = c.Time.UTC().Truncate(time.Microsecond)
	c.KeyFingerprint = Fingerprint(key.Public().(ed25519.PublicKey))
	c.Signature = ed25519.Sign(key, c.Body())
	return c
}

// ErrSignature says a checkpoint's signature does not verify with the key.
var ErrSignature = errors.New("checkpoint signature does not verify")

// Verify checks c's signature with pub. The error says when c names
// another key than pub.
func (c Checkpoint) Verify(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: the public key is %d bytes, want %d", ErrSignature, len(pub), ed25519.PublicKeySize)
	}
	if ed25519.Verify(pub, c.Body(), c.Signature) {
		return nil
	}
	if fp := Fingerprint(pub); c.KeyFingerprint != "" && c.KeyFingerprint != fp {
		return fmt.Errorf("%w: it names key %s, the key given is %s", ErrSignature, short(c.KeyFingerprint), short(fp))
	}
	return ErrSignature
}

// Tree is a seller's leaves in tree order (by chain id) and their hashes.
type Tree struct {
	Leaves []Leaf
	hashes []Hash
}

// NewTree sorts nothing: leaves must come sorted by chain id, which it
// checks, so that two builders of the same set get the same root.
func NewTree(leaves []Leaf) (Tree, error) {
	t := Tree{Leaves: leaves, hashes: make([]Hash, len(leaves))}
	for i, l := range leaves {
		if i > 0 && leaves[i-1].ChainID >= l.ChainID {
			return Tree{}, fmt.Errorf("checkpoint tree: chain %d comes after chain %d", l.ChainID, leaves[i-1].ChainID)
		}
		t.hashes[i] = l.Hash()
	}
	return t, nil
}

// Root is the tree's root hash.
func (t Tree) Root() Hash { return Root(t.hashes) }

// Find returns the index of chain's leaf, or -1.
func (t Tree) Find(chainID int64) int {
	lo, hi := 0, len(t.Leaves)
	for lo < hi {
		m := (lo + hi) / 2
		if t.Leaves[m].ChainID < chainID {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(t.Leaves) && t.Leaves[lo].ChainID == chainID {
		return lo
	}
	return -1
}

// Proof returns the inclusion proof of the leaf at index.
func (t Tree) Proof(index int) ([]Hash, error) { return InclusionProof(t.hashes, index) }

func short(fp string) string {
	if len(fp) > 16 {
		return fp[:16] + "..."
	}
	return fp
}

// ParseBody reads a body made by Body back into a checkpoint without
// signature, refusing anything else; a receiver of a notification can use
// it on the body it was sent.
func ParseBody(body []byte) (Checkpoint, error) {
	lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if len(lines) != 6 || lines[0] != BodyHeader {
		return Checkpoint{}, fmt.Errorf("checkpoint body: want 6 lines starting %q", BodyHeader)
	}
	var c Checkpoint
	var err error
	field := func(i int, name string) string {
		v, ok := strings.CutPrefix(lines[i], name+" ")
		if !ok && err == nil {
			err = fmt.Errorf("checkpoint body: line %d: want %q", i+1, name)
		}
		return v
	}
	c.SellerID = field(1, "seller")
	seq, size, root, ts := field(2, "sequence"), field(3, "size"), field(4, "root"), field(5, "time")
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Sequence, err = strconv.ParseInt(seq, 10, 64); err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint body: sequence %q: %w", seq, err)
	}
	if c.TreeSize, err = strconv.ParseInt(size, 10, 64); err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint body: size %q: %w", size, err)
	}
	if err = c.Root.UnmarshalText([]byte(root)); err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint body: root: %w", err)
	}
	if c.Time, err = time.Parse(time.RFC3339Nano, ts); err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint body: time %q: %w", ts, err)
	}
	if !bytes.Equal(c.Body(), body) {
		return Checkpoint{}, errors.New("checkpoint body: not in canonical form")
	}
	return c, nil
}
