// Package notify defines what Shipwatch POSTs to a seller's back office:
// the JSON payloads, and the Shipwatch-Signature header that proves a
// request came from Shipwatch and was not replayed. It does no I/O; the
// delivery job sends and retries.
package notify

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/flag"
)

// SignatureHeader is the header carrying the signature.
const SignatureHeader = "Shipwatch-Signature"

// Event types, the payload's "type".
const (
	EventFlagRaised    = "flag.raised"
	EventFlagResolved  = "flag.resolved"
	EventStatusChanged = "shipment.status_changed"
	EventCheckpoint    = "evidence.checkpoint"
)

// Payload is the JSON body of a notification. docs/monitoring.md shows
// each type.
type Payload struct {
	// ID identifies the notification: a receiver that sees it twice (a
	// retry after a lost answer) can drop the second.
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"createdAt"`
	SellerID  string    `json:"sellerId"`
	// Shipment is absent from evidence.checkpoint, which is about every
	// chain of the seller, and from an account flag's flag.raised and
	// flag.resolved.
	Shipment Shipment `json:"shipment,omitzero"`
	Flag     *Flag    `json:"flag,omitempty"`
	// Checkpoint is set on evidence.checkpoint.
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"`
	// PreviousStatus is set on shipment.status_changed.
	PreviousStatus string `json:"previousStatus,omitempty"`
}

// Shipment is the shipment a notification is about.
type Shipment struct {
	ID             string     `json:"id"`
	OrderID        string     `json:"orderId"`
	TrackingNumber string     `json:"trackingNumber,omitempty"`
	Carrier        string     `json:"carrier,omitempty"`
	Status         string     `json:"status"`
	ShipBy         *time.Time `json:"shipBy,omitempty"`
	DeliverBy      *time.Time `json:"deliverBy,omitempty"`
	LastEventAt    *time.Time `json:"lastEventAt,omitempty"`
}

// Flag is the flag a notification is about.
type Flag struct {
	ID       string        `json:"id"`
	Kind     flag.Kind     `json:"kind"`
	Severity flag.Severity `json:"severity"`
	Message  string        `json:"message"`
	// Subject is set on an account flag (PROJECTED_MISS): the standard it
	// is about, MARKETPLACE/METRIC/WINDOW_DAYS. Such a notification has no
	// shipment.
	Subject        string          `json:"subject,omitempty"`
	RaisedAt       time.Time       `json:"raisedAt"`
	ResolvedAt     *time.Time      `json:"resolvedAt,omitempty"`
	Resolution     flag.Resolution `json:"resolution,omitempty"`
	ResolutionNote string          `json:"resolutionNote,omitempty"`
}

// Checkpoint is a signed evidence checkpoint (docs/evidence.md). Body is
// the exact text that was signed; Signature and PublicKey are base64. A
// seller keeps these: a checkpoint held outside the server is what shows a
// later rewind of the server's database.
type Checkpoint struct {
	Sequence       int64     `json:"sequence"`
	TreeSize       int64     `json:"treeSize"`
	Root           string    `json:"root"`
	Time           time.Time `json:"time"`
	Body           string    `json:"body"`
	Signature      string    `json:"signature"`
	PublicKey      string    `json:"publicKey"`
	KeyFingerprint string    `json:"keyFingerprint"`
}

// NewID returns a random UUID (version 4).
func NewID() string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand does not fail on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Sign returns the Shipwatch-Signature value for body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 over "<t>.<body>">", keyed with the
// signing secret as given to the seller.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Errors of Verify.
var (
	ErrBadSignature = errors.New("signature does not match")
	ErrTooOld       = errors.New("signature timestamp outside the tolerance")
)

// Verify checks a Shipwatch-Signature header against the body as received,
// in constant time, and refuses a timestamp further than tolerance from
// now (a replay). It is what a Go receiver calls; docs/monitoring.md shows
// the same in shell.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: malformed header", ErrBadSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrTooOld
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return ErrBadSignature
}

// SecretContext binds sealed endpoint signing secrets to their use, so a
// sealed webhook secret cannot be passed off as one.
const SecretContext = "shipwatch notification signing secret v1"
