// Package checkpoint anchors evidence outside the database: a Merkle tree
// over every evidence chain of a seller (RFC 9162, section 2.1), and a
// checkpoint, the tree's size and root signed with the server's Ed25519
// key like a transparency log's signed tree head. Whoever holds a
// checkpoint and the public key can tell that a chain the checkpoint
// committed to was later cut short or rewritten, even by someone who can
// change every row of the database.
//
// The package is pure: no database, no clock; the key file is the only
// I/O (key.go). docs/evidence.md defines the encodings byte for byte.
package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Hash is a SHA-256 digest; in JSON and text it is lower-case hex.
type Hash [32]byte

// String returns h in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText implements encoding.TextMarshaler.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *Hash) UnmarshalText(b []byte) error {
	n, err := hex.Decode(h[:], b)
	if err != nil || n != len(h) || len(b) != 2*len(h) {
		return fmt.Errorf("hash %q: want 64 hex digits", truncate(string(b)))
	}
	return nil
}

// The domain-separation prefixes of RFC 9162: a leaf can never be taken
// for a node.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// LeafHash is the hash of a leaf's bytes: SHA-256(0x00 || data).
func LeafHash(data []byte) Hash {
	h := sha256.New()
	h.Write([]byte{leafPrefix})
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash is the hash of an inner node: SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash {
	var b [65]byte
	b[0] = nodePrefix
	copy(b[1:33], left[:])
	copy(b[33:], right[:])
	return sha256.Sum256(b[:])
}

// EmptyRoot is the root of a tree with no leaves: SHA-256 of nothing.
var EmptyRoot = Hash(sha256.Sum256(nil))

// Root is the Merkle tree hash of the leaf hashes, in order (RFC 9162
// 2.1.1: a tree of n > 1 leaves splits at the largest power of two
// below n).
func Root(leaves []Hash) Hash {
	switch len(leaves) {
	case 0:
		return EmptyRoot
	case 1:
		return leaves[0]
	}
	k := split(len(leaves))
	return NodeHash(Root(leaves[:k]), Root(leaves[k:]))
}

// InclusionProof is the audit path of leaf index in the tree of leaves
// (RFC 9162 2.1.3.1): the sibling hashes from the leaf up to the root.
func InclusionProof(leaves []Hash, index int) ([]Hash, error) {
	if index < 0 || index >= len(leaves) {
		return nil, fmt.Errorf("inclusion proof: leaf %d of a tree of %d", index, len(leaves))
	}
	return path(leaves, index), nil
}

func path(leaves []Hash, m int) []Hash {
	if len(leaves) <= 1 {
		return nil
	}
	k := split(len(leaves))
	if m < k {
		return append(path(leaves[:k], m), Root(leaves[k:]))
	}
	return append(path(leaves[k:], m-k), Root(leaves[:k]))
}

// split is the largest power of two smaller than n (n > 1).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

// ErrInclusion says an inclusion proof does not lead to the root.
var ErrInclusion = errors.New("inclusion proof does not match the root")

// VerifyInclusion checks that leaf is the leaf at index of a tree of size
// leaves whose root is root, given its audit path (RFC 9162 2.1.3.2).
func VerifyInclusion(index, size int64, leaf Hash, proof []Hash, root Hash) error {
	if index < 0 || index >= size {
		return fmt.Errorf("%w: leaf %d is outside a tree of %d", ErrInclusion, index, size)
	}
	fn, sn := index, size-1
	r := leaf
	for _, p := range proof {
		if sn == 0 {
			return fmt.Errorf("%w: the proof is longer than the tree is deep", ErrInclusion)
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: the proof is shorter than the tree is deep", ErrInclusion)
	}
	if r != root {
		return ErrInclusion
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
