// Package secret seals small secrets at rest (notification signing
// secrets) with AES-256-GCM under the server's key, SHIPWATCH_SECRET_KEY.
// A sealed value is a version byte, a random 12-byte nonce and the
// ciphertext with its tag: Open refuses anything altered.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the key length: AES-256.
const KeySize = 32

const version = 1

// ErrOpen is returned for a sealed value that is malformed, altered or
// sealed under another key.
var ErrOpen = errors.New("secret: cannot open sealed value (altered, or sealed under another key)")

// DevKey is the key used when SHIPWATCH_SECRET_KEY is not set: fine on a
// developer's machine, never in production, where anyone reading this
// source could open what it sealed.
var DevKey = func() []byte {
	k := sha256.Sum256([]byte("shipwatch development key: set SHIPWATCH_SECRET_KEY"))
	return k[:]
}()

// ParseKey reads a key written as 64 hex digits or as base64 of 32 bytes
// (`openssl rand -hex 32` or `openssl rand -base64 32`).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("want %d bytes as 64 hex digits or base64 (openssl rand -hex 32)", KeySize)
}

func aead(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext under key.
func Seal(key, plaintext []byte) ([]byte, error) {
	g, err := aead(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+g.NonceSize(), 1+g.NonceSize()+len(plaintext)+g.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("secret: nonce: %w", err)
	}
	return g.Seal(out, out[1:], plaintext, out[:1]), nil
}

// Open decrypts what Seal returned.
func Open(key, sealed []byte) ([]byte, error) {
	g, err := aead(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+g.NonceSize()+g.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	nonce, body := sealed[1:1+g.NonceSize()], sealed[1+g.NonceSize():]
	plain, err := g.Open(nil, nonce, body, sealed[:1])
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
