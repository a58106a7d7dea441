package checkpoint

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testKey(t *testing.T, seed byte) ed25519.PrivateKey {
	t.Helper()
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return ed25519.NewKeyFromSeed(s)
}

func testCheckpoint() Checkpoint {
	return Checkpoint{SellerID: "6f1c7a52-1d2b-4c9e-9a55-2f1d0c7b9e01", Sequence: 7, TreeSize: 3,
		Root: LeafHash([]byte("root")), Time: time.Date(2026, 11, 20, 12, 0, 0, 123456789, time.UTC)}
}

func TestSignVerify(t *testing.T) {
	key := testKey(t, 1)
	pub := key.Public().(ed25519.PublicKey)
	c := Sign(testCheckpoint(), key)
	if err := c.Verify(pub); err != nil {
		t.Fatalf("Verify() = %v, want nil", err)
	}
	if c.Time.Nanosecond() != 123456000 {
		t.Errorf("signed time %v, want microseconds", c.Time)
	}
	if c.KeyFingerprint != Fingerprint(pub) {
		t.Errorf("KeyFingerprint = %s, want %s", c.KeyFingerprint, Fingerprint(pub))
	}
	for name, tamper := range map[string]func(*Checkpoint){
		"seller":    func(c *Checkpoint) { c.SellerID = "6f1c7a52-1d2b-4c9e-9a55-2f1d0c7b9e02" },
		"sequence":  func(c *Checkpoint) { c.Sequence++ },
		"size":      func(c *Checkpoint) { c.TreeSize-- },
		"root":      func(c *Checkpoint) { c.Root[31] ^= 1 },
		"time":      func(c *Checkpoint) { c.Time = c.Time.Add(-time.Microsecond) },
		"signature": func(c *Checkpoint) { c.Signature = append([]byte{c.Signature[0] ^ 1}, c.Signature[1:]...) },
	} {
		bad := c
		tamper(&bad)
		if err := bad.Verify(pub); !errors.Is(err, ErrSignature) {
			t.Errorf("Verify() with the %s changed = %v, want ErrSignature", name, err)
		}
	}
	other := testKey(t, 2).Public().(ed25519.PublicKey)
	err := c.Verify(other)
	if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), c.KeyFingerprint[:16]) {
		t.Errorf("Verify(another key) = %v, want ErrSignature naming the signing key", err)
	}
	if err := c.Verify(pub[:16]); !errors.Is(err, ErrSignature) {
		t.Errorf("Verify(short key) = %v, want ErrSignature", err)
	}
}

func TestBody(t *testing.T) {
	c := Sign(testCheckpoint(), testKey(t, 1))
	want := "shipwatch-checkpoint-v1\nseller 6f1c7a52-1d2b-4c9e-9a55-2f1d0c7b9e01\nsequence 7\nsize 3\nroot " +
		c.Root.String() + "\ntime 2026-11-20T12:00:00.123456Z\n"
	if got := string(c.Body()); got != want {
		t.Errorf("Body() = %q, want %q", got, want)
	}
	back, err := ParseBody(c.Body())
	if err != nil {
		t.Fatal(err)
	}
	back.KeyFingerprint, back.Signature = c.KeyFingerprint, c.Signature
	if err := back.Verify(c.publicKeyForTest(t)); err != nil {
		t.Errorf("ParseBody(Body()) does not verify: %v", err)
	}
	for _, bad := range []string{"", "shipwatch-checkpoint-v2\n", strings.Replace(want, "size 3", "size three", 1),
		strings.Replace(want, "sequence 7", "sequence 07", 1), strings.Replace(want, "\nroot", "\nroots", 1)} {
		if _, err := ParseBody([]byte(bad)); err == nil {
			t.Errorf("ParseBody(%q) = nil error, want one", bad)
		}
	}
}

func (c Checkpoint) publicKeyForTest(t *testing.T) ed25519.PublicKey {
	t.Helper()
	return testKey(t, 1).Public().(ed25519.PublicKey)
}

func TestLeafEncoding(t *testing.T) {
	l := Leaf{ChainID: 42, Number: "1Z999AA10123456784", Records: 12, Head: Hash{1}}
	enc := l.Encode()
	want := "\x00\x00\x00\x1cshipwatch-checkpoint-leaf-v1\x00\x00\x00\x0242\x00\x00\x00\x121Z999AA10123456784\x00\x00\x00\x00\x00\x00\x00\x0212\x00\x00\x00\x20\x01" + strings.Repeat("\x00", 31)
	if string(enc) != want {
		t.Errorf("Encode() = %q, want %q", enc, want)
	}
	// Moving bytes between fields changes the encoding.
	if (Leaf{ChainID: 4, Number: "21Z"}).Hash() == (Leaf{ChainID: 42, Number: "1Z"}).Hash() {
		t.Error("leaves differing only in where a field ends hash the same")
	}
	if l.Key() != "1Z999AA10123456784" || (Leaf{ShipmentID: "s-1"}).Key() != "shipment s-1" {
		t.Errorf("Key() = %q", l.Key())
	}
}

func TestTree(t *testing.T) {
	ls := []Leaf{{ChainID: 3, Records: 1}, {ChainID: 8, Records: 2}, {ChainID: 9, Records: 5}}
	tr, err := NewTree(ls)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range ls {
		if got := tr.Find(l.ChainID); got != i {
			t.Errorf("Find(%d) = %d, want %d", l.ChainID, got, i)
		}
		proof, err := tr.Proof(i)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyInclusion(int64(i), 3, l.Hash(), proof, tr.Root()); err != nil {
			t.Errorf("leaf %d: %v", i, err)
		}
	}
	if tr.Find(4) != -1 || tr.Find(10) != -1 {
		t.Error("Find() of a missing chain is not -1")
	}
	if _, err := NewTree([]Leaf{{ChainID: 2}, {ChainID: 2}}); err == nil {
		t.Error("NewTree(unsorted) = nil error")
	}
}

func TestLoadKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "checkpoint.key")
	key, created, err := LoadKeyFile(path)
	if err != nil || !created {
		t.Fatalf("LoadKeyFile(new) = %v, %v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	again, created, err := LoadKeyFile(path)
	if err != nil || created || !again.Equal(key) {
		t.Errorf("LoadKeyFile(existing) = %v, %v: want the same key", created, err)
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	if err := os.WriteFile(bad, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadKeyFile(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("LoadKeyFile(garbage) = %v, want an error naming the file", err)
	}
	pub := key.Public().(ed25519.PublicKey)
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{EncodePublicKey(pub), " " + EncodePublicKey(pub) + "\n",
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))} {
		got, err := ParsePublicKey(text)
		if err != nil || !got.Equal(pub) {
			t.Errorf("ParsePublicKey(%q) = %v, want the key", text, err)
		}
	}
	for _, text := range []string{"", "abc", EncodePublicKey(pub[:31])} {
		if _, err := ParsePublicKey(text); err == nil {
			t.Errorf("ParsePublicKey(%q) = nil error", text)
		}
	}
}
