// Package keyring encrypts the secrets Shipwatch must read back, such as the
// webhook secrets of tracking sources, with AES-256-GCM under one key from
// the configuration. It never logs or returns the key; a key is known to
// others only by its ID, a digest that cannot be turned back into it.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

// ErrDecrypt means a sealed value could not be opened: another key sealed
// it, or it was altered.
var ErrDecrypt = errors.New("keyring: cannot decrypt: wrong key or altered data")

// Key seals and opens values. The zero Key is not usable; build one with
// New, Parse or LoadFile.
type Key struct {
	aead   cipher.AEAD
	id     string
	derive []byte // HMAC key for Derive, itself derived from the key
}

// New returns a Key over 32 raw bytes.
func New(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("keyring: a key is %d bytes, not %d", KeySize, len(raw))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	mac := hmac.New(sha256.New, raw)
	mac.Write([]byte("shipwatch key id v1"))
	id := hex.EncodeToString(mac.Sum(nil))[:16]
	mac = hmac.New(sha256.New, raw)
	mac.Write([]byte("shipwatch derived secrets v1"))
	return &Key{aead: aead, id: id, derive: mac.Sum(nil)}, nil
}

// Parse reads a key written in standard base64, as SHIPWATCH_SECRET_KEY
// holds it (`openssl rand -base64 32`).
func Parse(s string) (*Key, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(raw) != KeySize {
		return nil, fmt.Errorf("keyring: want %d bytes in base64, such as the output of `openssl rand -base64 32`", KeySize)
	}
	return New(raw)
}

// Generate returns a new random key and its base64 text.
func Generate() (*Key, string, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", fmt.Errorf("keyring: generate: %w", err)
	}
	k, err := New(raw)
	if err != nil {
		return nil, "", err
	}
	return k, base64.StdEncoding.EncodeToString(raw), nil
}

// LoadFile reads the key in path, creating the file with a new key (mode
// 0600, its folder 0700) when it does not exist. created says whether it did.
func LoadFile(path string) (k *Key, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := Parse(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("key file %s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("read key file: %w", err)
	}
	k, text, err := Generate()
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("create key file: %w", err)
	}
	// O_EXCL: two processes starting at once must not each write a key and
	// end up with different ones; the loser reads the winner's.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadFile(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("create key file: %w", err)
	}
	if _, err := f.WriteString(text + "\n"); err != nil {
		f.Close()
		return nil, false, fmt.Errorf("write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, false, fmt.Errorf("write key file: %w", err)
	}
	return k, true, nil
}

// Derive returns a 32-byte secret for purpose, the same for every process
// holding the key (the database password Shipwatch gives the role it sets
// up), and telling nothing of the key or of other purposes' secrets.
func (k *Key) Derive(purpose string) []byte {
	mac := hmac.New(sha256.New, k.derive)
	mac.Write([]byte(purpose))
	return mac.Sum(nil)
}

// ID names the key without revealing it: the first 16 hex digits of an
// HMAC-SHA256 keyed with it. Sealed values are stored with it, so that a
// process holding another key can say so.
func (k *Key) ID() string { return k.id }

// Seal encrypts plaintext; context binds the result to where it is stored
// (a row id), so a sealed value copied to another row does not open.
func (k *Key) Seal(plaintext, context []byte) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("keyring: nonce: %w", err)
	}
	return k.aead.Seal(nonce, nonce, plaintext, context), nil
}

// Open decrypts what Seal returned for the same context.
func (k *Key) Open(sealed, context []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return nil, ErrDecrypt
	}
	out, err := k.aead.Open(nil, sealed[:n], sealed[n:], context)
	if err != nil {
		return nil, ErrDecrypt
	}
	return out, nil
}
