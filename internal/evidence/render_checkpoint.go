package evidence

import (
	"crypto/ed25519"
	"encoding/base64"
	"strconv"

	"github.com/shipwatch/shipwatch/internal/checkpoint"
)

// checkpoint draws the checkpoint that anchors the chain outside the
// database: what it committed to, when, and which key signed it, so a
// reader can check it with `shipwatch evidence verify` or against a copy
// the seller was sent.
func (r *renderer) checkpoint() {
	a := r.p.Checkpoint
	r.heading("Checkpoint", 30)
	r.font("", 8, colorMuted)
	intro := "Not yet covered by a signed checkpoint: checkpoints are made every few minutes at most; a pack downloaded later carries one."
	if a != nil {
		intro = "The server signs (Ed25519) a Merkle tree over all of the seller's evidence chains. This chain's leaf, " +
			"its inclusion proof and the public key are in the JSON pack; `shipwatch evidence verify --pack FILE --key KEY` " +
			"checks them offline. A database rewound after the checkpoint no longer matches it."
	}
	for _, l := range r.lines(intro, r.width, 4) {
		r.f.CellFormat(r.width, 3.8, l, "", 1, "L", false, 0, "")
	}
	r.f.Ln(1.5)
	if a == nil {
		return
	}
	c := a.Checkpoint
	r.grid(4, []field{
		{label: "Checkpoint", value: "#" + strconv.FormatInt(c.Sequence, 10), bold: true},
		{label: "Signed at", value: stamp(c.Time)},
		{label: "Tree size", value: plural(int(c.TreeSize), "chain")},
		{label: "This chain", value: "leaf " + strconv.FormatInt(a.LeafIndex+1, 10) + ", " + plural(int(a.Leaf.Records), "record")},
	})
	fp := c.KeyFingerprint
	if raw, err := base64.StdEncoding.DecodeString(a.PublicKey); err == nil && len(raw) == ed25519.PublicKeySize {
		fp = checkpoint.Fingerprint(raw)
	}
	r.grid(1, []field{
		{label: "Root hash (SHA-256, RFC 9162)", value: c.Root.String()},
		{label: "Signing key fingerprint (SHA-256 of the Ed25519 public key)", value: fp},
	})
}
