package evidence

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"strings"
	"time"
)

// Encoding is the name and version of the canonical content encoding that
// ContentHash hashes. It is the first field of every encoded record, so a
// future version can never produce the same bytes as this one. Changing the
// encoding of a kind means a new version and a way for the store to tell
// which version each row was hashed with; rows hashed so far stay v1.
const Encoding = "shipwatch-evidence-v1"

// The tags that open the encoding of each kind of record.
const (
	eventTag = Encoding + "/event"
	proofTag = Encoding + "/proof"
)

// Reason says why a record of the chain does not verify.
type Reason string

// The reasons a chain can be broken.
const (
	// ReasonContentChanged: the record's fields no longer hash to the
	// content hash stored with it.
	ReasonContentChanged Reason = "content changed"
	// ReasonLinkChanged: the stored chain hash is not the link of the
	// previous record's chain hash and this record's content hash, so a
	// record was changed together with its content hash, or removed,
	// inserted or moved.
	ReasonLinkChanged Reason = "chain link changed"
)

// Verification is the result of recomputing a shipment's evidence chain.
type Verification struct {
	// Intact is true when every record's content and link hash match.
	Intact bool `json:"intact"`
	// Records is how many records the chain holds.
	Records int `json:"records"`
	// FirstBroken is the first record that does not verify, nil when the
	// chain is intact. Records after it are not checked: once a link is
	// broken nothing after it can be trusted.
	FirstBroken *BrokenRecord `json:"first_broken"`
}

// BrokenRecord names the first record of a chain that does not verify.
type BrokenRecord struct {
	Kind Kind   `json:"kind"`
	ID   string `json:"id"`
	// Index is the record's 0-based position in the chain.
	Index  int    `json:"index"`
	Reason Reason `json:"reason"`
	// Chain and Detail are set when the chain as a whole is at fault
	// against a checkpoint: the chain's key (its tracking number) and a
	// sentence saying how.
	Chain  string `json:"chain,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// encoder builds the canonical encoding: a sequence of fields, each a
// 4-byte big-endian length followed by that many bytes.
type encoder struct {
	b []byte
}

func (e *encoder) str(s string) {
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(s)))
	e.b = append(e.b, s...)
}

// time encodes t in UTC, RFC 3339 with up to 6 fractional digits (PostgreSQL
// keeps microseconds, so the hash computed before an insert matches the
// one recomputed from the row); the zero time is the empty string.
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.str("")
		return
	}
	e.str(t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano))
}

func (e *encoder) timePtr(t *time.Time) {
	if t == nil {
		e.str("")
		return
	}
	e.time(*t)
}

// coord encodes a coordinate with exactly 7 decimals; nil is empty.
func (e *encoder) coord(v *float64) {
	if v == nil {
		e.str("")
		return
	}
	e.str(strconv.FormatFloat(*v, 'f', 7, 64))
}

func (r EventRecord) encode(e *encoder) {
	e.str(eventTag)
	e.str(r.ID)
	e.time(r.OccurredAt)
	e.str(string(r.Status))
	e.str(r.CarrierStatus)
	e.str(r.ProviderStatus)
	e.str(r.ProviderDetail)
	e.str(r.Description)
	e.str(r.Location.City)
	e.str(r.Location.Region)
	e.str(r.Location.PostalCode)
	e.str(r.Location.Country)
	e.timePtr(r.EstimatedDeliveryAt)
	e.str(r.SignedBy)
	e.str(r.PhotoURL)
	e.str(string(r.Source))
	e.time(r.ReceivedAt)
}

func (r ProofRecord) encode(e *encoder) {
	e.str(proofTag)
	e.str(r.ID)
	e.time(r.DeliveredAt)
	e.str(r.SignedBy)
	e.coord(r.Latitude)
	e.coord(r.Longitude)
	e.str(r.LocationDescription)
	e.str(strings.ToLower(r.PhotoSHA256))
	e.str(strings.ToLower(r.SignatureSHA256))
	e.str(r.CarrierReference)
	e.str(string(r.Source))
	e.time(r.RecordedAt)
}

// Canonical returns the canonical content encoding of rec, the bytes that
// ContentHash hashes (see docs/evidence.md). It is nil for a nil record.
func Canonical(rec Record) []byte {
	rec = deref(rec)
	if rec == nil {
		return nil
	}
	var e encoder
	rec.encode(&e)
	return e.b
}

// ContentHash is the SHA-256 of rec's canonical encoding. A nil record has
// the zero hash, which no stored hash matches.
func ContentHash(rec Record) [32]byte {
	b := Canonical(rec)
	if b == nil {
		return [32]byte{}
	}
	return sha256.Sum256(b)
}

// LinkHash is the chain hash of a record: the SHA-256 of the previous
// record's chain hash followed by this record's content hash (64 bytes).
// The first record of a chain links to the zero hash. It is plain
// SHA-256 over the concatenation so that SQL can recompute it too:
// sha256(prev || content) in PostgreSQL.
func LinkHash(prev [32]byte, content [32]byte) [32]byte {
	var b [64]byte
	copy(b[:32], prev[:])
	copy(b[32:], content[:])
	return sha256.Sum256(b[:])
}

// Verify recomputes a chain given in chain order, first record first, and
// reports whether it is intact or which record is the first to break it.
// Each record's content is rehashed and compared with its stored content
// hash, then the stored content hash is linked to the previous stored
// chain hash and compared with the stored chain hash. An empty chain is
// intact. Verify cannot see records removed from the end of a chain: the
// store compares the last chain hash with the one it keeps for the
// shipment.
func Verify(records []StoredRecord) Verification {
	v := Verification{Intact: true, Records: len(records)}
	var prev [32]byte
	for i, sr := range records {
		reason := Reason("")
		switch {
		case ContentHash(sr.Record) != sr.ContentHash:
			reason = ReasonContentChanged
		case LinkHash(prev, sr.ContentHash) != sr.ChainHash:
			reason = ReasonLinkChanged
		}
		if reason != "" {
			v.Intact = false
			v.FirstBroken = &BrokenRecord{Index: i, Reason: reason}
			if rec := deref(sr.Record); rec != nil {
				v.FirstBroken.Kind = rec.Kind()
				v.FirstBroken.ID = rec.recordID()
			}
			return v
		}
		prev = sr.ChainHash
	}
	return v
}

// Link returns records as the store would write them: each with its
// content hash and its chain hash linked to the record before it.
func Link(records []Record) []StoredRecord {
	out := make([]StoredRecord, len(records))
	var prev [32]byte
	for i, rec := range records {
		content := ContentHash(rec)
		prev = LinkHash(prev, content)
		out[i] = StoredRecord{Record: rec, ContentHash: content, ChainHash: prev}
	}
	return out
}

// deref turns a nil pointer record into a nil Record and a pointer into
// its value, so the rest of the package sees values only.
func deref(rec Record) Record {
	switch r := rec.(type) {
	case *EventRecord:
		if r == nil {
			return nil
		}
		return *r
	case *ProofRecord:
		if r == nil {
			return nil
		}
		return *r
	}
	return rec
}
