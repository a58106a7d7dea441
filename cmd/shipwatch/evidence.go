package main

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/shipwatch/shipwatch/internal/checkpoint"
	"github.com/shipwatch/shipwatch/internal/config"
	"github.com/shipwatch/shipwatch/internal/evidence"
)

const evidenceVerifyHelp = `Usage: shipwatch evidence verify --pack evidence.json --key KEY

Verifies an evidence pack (GET /disputes/{id}/evidence.json) offline, with
nothing but the server's public key: every record's content hash is
recomputed from its fields and linked to the one before, the checkpoint in
the pack must be signed by KEY, the chain's leaf must be in the checkpoint's
Merkle tree (inclusion proof), and the records must replay to the head the
checkpoint committed to. No database and no network are used.

KEY is a file holding the public key, or the key itself: base64 of its 32
bytes (what "shipwatch checkpoint-key" and GET /checkpoint-key give) or a
PEM PUBLIC KEY block.

Exit status: 0 when the pack verifies; 1 when it does not (the reason is
printed); 2 for bad usage or a pack or key that cannot be read.

Flags:
`

// runEvidence dispatches "shipwatch evidence ...".
func runEvidence(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "verify" {
		return runEvidenceVerify(args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, "usage: shipwatch evidence verify --pack evidence.json --key KEY")
	return 2
}

func runEvidenceVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("evidence verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	packPath := fs.String("pack", "", "the evidence pack, as downloaded from /disputes/{id}/evidence.json")
	keyArg := fs.String("key", "", "the server's public key: a file, or base64 of its 32 bytes")
	fs.Usage = func() { fmt.Fprint(fs.Output(), evidenceVerifyHelp); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "shipwatch evidence verify: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *packPath == "":
		fmt.Fprintln(stderr, "shipwatch evidence verify: --pack is required")
		return 2
	case *keyArg == "":
		fmt.Fprintln(stderr, "shipwatch evidence verify: --key is required")
		return 2
	}
	pub, err := readPublicKey(*keyArg)
	if err != nil {
		fmt.Fprintf(stderr, "shipwatch evidence verify: --key: %v\n", err)
		return 2
	}
	p, err := readPack(*packPath)
	if err != nil {
		fmt.Fprintf(stderr, "shipwatch evidence verify: --pack %s: %v\n", *packPath, err)
		return 2
	}
	rep, err := evidence.VerifyPack(p, pub)
	if err != nil {
		fmt.Fprintf(stdout, "FAILED: %s: %v\n", *packPath, err)
		return 1
	}
	c := rep.Checkpoint
	fmt.Fprintf(stdout, "OK: %s: dispute %s, order %s, chain %s\n", *packPath, p.Dispute.ID, p.Shipment.OrderID, rep.Leaf.Key())
	fmt.Fprintf(stdout, "  %d records; records 1-%d are committed by checkpoint %d of seller %s\n",
		rep.Records, rep.Leaf.Records, c.Sequence, c.SellerID)
	fmt.Fprintf(stdout, "  checkpoint signed %s, tree of %d chains, root %s\n", c.Time.UTC().Format("2006-01-02 15:04:05 UTC"), c.TreeSize, c.Root)
	fmt.Fprintf(stdout, "  key %s\n", checkpoint.Fingerprint(pub))
	if n := int64(rep.Records) - rep.Leaf.Records; n > 0 {
		fmt.Fprintf(stdout, "  %d newer records are linked to them but not yet in a checkpoint\n", n)
	}
	return 0
}

// readPublicKey reads --key: a file holding the key, else the key itself.
func readPublicKey(arg string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(arg)
	switch {
	case err == nil:
		pub, err := checkpoint.ParsePublicKey(string(b))
		if err != nil {
			return nil, fmt.Errorf("file %s: %w", arg, err)
		}
		return pub, nil
	case errors.Is(err, os.ErrNotExist):
		pub, perr := checkpoint.ParsePublicKey(arg)
		if perr != nil {
			return nil, fmt.Errorf("no file %s, and not a key either: %w", arg, perr)
		}
		return pub, nil
	}
	return nil, err
}

func readPack(path string) (evidence.Pack, error) {
	f, err := os.Open(path)
	if err != nil {
		return evidence.Pack{}, err
	}
	defer f.Close()
	var p evidence.Pack
	if err := json.NewDecoder(f).Decode(&p); err != nil {
		return evidence.Pack{}, fmt.Errorf("not an evidence pack (JSON): %w", err)
	}
	return p, nil
}

const checkpointKeyHelp = `Usage: shipwatch checkpoint-key [--pem]

Prints the public key evidence checkpoints are signed with: base64 of its 32
bytes (or a PEM PUBLIC KEY block with --pem), read from the key file
SHIPWATCH_CHECKPOINT_KEY_FILE names (created, as serve would, when missing).
Its fingerprint goes to standard error. Give the key to whoever verifies
evidence packs: "shipwatch evidence verify --key".

Flags:
`

func runCheckpointKey(args []string, stdout, stderr io.Writer, getenv config.Env) int {
	fs := flag.NewFlagSet("checkpoint-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asPEM := fs.Bool("pem", false, "print a PEM PUBLIC KEY block instead of base64")
	fs.Usage = func() { fmt.Fprint(fs.Output(), checkpointKeyHelp); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	path := config.CheckpointKeyFile(getenv)
	key, created, err := checkpoint.LoadKeyFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "shipwatch checkpoint-key: SHIPWATCH_CHECKPOINT_KEY_FILE: %v\n", err)
		return 2
	}
	pub := key.Public().(ed25519.PublicKey)
	if created {
		fmt.Fprintf(stderr, "created a new checkpoint key in %s: back it up\n", path)
	}
	fmt.Fprintf(stderr, "fingerprint %s\n", checkpoint.Fingerprint(pub))
	if !*asPEM {
		fmt.Fprintln(stdout, checkpoint.EncodePublicKey(pub))
		return 0
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		fmt.Fprintf(stderr, "shipwatch checkpoint-key: %v\n", err)
		return 1
	}
	if err := pem.Encode(stdout, &pem.Block{Type: "PUBLIC KEY", Bytes: der}); err != nil {
		return 1
	}
	return 0
}
