package shipment

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"
)

// fingerprintVersion starts every fingerprinted message, so a future change
// of the rule cannot collide with stored keys made by this one.
const fingerprintVersion = "shipwatch.event.v1"

// Fingerprint is the dedupe key of a carrier event: the same event received
// twice (AfterShip resends every checkpoint in every update, providers retry
// deliveries) gets the same key, so the store keeps it once.
//
// It is SHA-256 over, in order and each length-prefixed: the seller, the
// event's source, the normalised tracking number, the occurrence time in UTC
// truncated to the second, the status, the carrier status, the description
// and the location (city, region, postal code, country), text fields
// trimmed of surrounding space. The status is the provider's raw status and
// detail when the event has them, so that editing the mapping tables does
// not make every resent event look new; an event without them (back office)
// uses its Shipwatch status. Estimates, signatures and photo links are left
// out: they are added to an event later without making it another event.
func Fingerprint(sellerID, normalizedTracking string, e Event) [32]byte {
	h := sha256.New()
	var buf [binary.MaxVarintLen64]byte
	writeString := func(s string) {
		n := binary.PutUvarint(buf[:], uint64(len(s)))
		h.Write(buf[:n])
		h.Write([]byte(s))
	}
	writeInt := func(v int64) {
		n := binary.PutVarint(buf[:], v)
		h.Write(buf[:n])
	}

	writeString(fingerprintVersion)
	writeString(sellerID)
	writeString(string(e.Source))
	writeString(normalizedTracking)
	writeInt(e.OccurredAt.Unix())
	if e.ProviderStatus != "" || e.ProviderDetail != "" {
		writeString("provider")
		writeString(strings.TrimSpace(e.ProviderStatus))
		writeString(strings.TrimSpace(e.ProviderDetail))
	} else {
		writeString("status")
		writeString(string(e.Status))
	}
	writeString(strings.TrimSpace(e.CarrierStatus))
	writeString(strings.TrimSpace(e.Description))
	writeString(strings.TrimSpace(e.Location.City))
	writeString(strings.TrimSpace(e.Location.Region))
	writeString(strings.TrimSpace(e.Location.PostalCode))
	writeString(strings.TrimSpace(e.Location.Country))

	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}
