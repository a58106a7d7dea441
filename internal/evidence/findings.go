package evidence

import (
	"strings"
	"unicode"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// Finding is something in the evidence that a marketplace's reviewer
// would notice and the seller should see first: the pack points it out
// rather than leaving two tables to be compared.
type Finding struct {
	// Kind is one of the Finding* values.
	Kind string `json:"kind"`
	// Message says what was found, for people.
	Message string `json:"message"`
}

// The kinds of finding.
const (
	// FindingLocationMismatch: the carrier's delivery scan is in another
	// postal code than the one the order was sent to.
	FindingLocationMismatch = "DELIVERY_LOCATION_MISMATCH"
	// FindingSignersDiffer: the carrier and the seller's back office (or
	// two proofs) name different people as having signed.
	FindingSignersDiffer = "SIGNERS_DIFFER"
)

// Findings compares the pack's records with each other and with the
// order: where the parcel was delivered against where it was sent, and
// who signed according to each source.
func Findings(p Pack) []Finding {
	out := []Finding{}
	if f, ok := locationMismatch(p); ok {
		out = append(out, f)
	}
	if f, ok := signersDiffer(p); ok {
		out = append(out, f)
	}
	return out
}

// deliveryScan is the latest DELIVERED event of the timeline.
func deliveryScan(p Pack) (TimelineEvent, bool) {
	var last TimelineEvent
	found := false
	for _, e := range p.Timeline {
		if e.Status == shipment.StatusDelivered && (!found || !e.OccurredAt.Before(last.OccurredAt)) {
			last, found = e, true
		}
	}
	return last, found
}

// zip5 is a postal code as compared: a US ZIP+4 by its five digits, any
// other code without spaces, upper case.
func zip5(s string) string {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if len(s) == 10 && s[5] == '-' {
		s = s[:5]
	}
	return s
}

func locationMismatch(p Pack) (Finding, bool) {
	scan, ok := deliveryScan(p)
	dest := zip5(p.Shipment.Destination.PostalCode)
	got := zip5(scan.Location.PostalCode)
	if !ok || dest == "" || got == "" || got == dest {
		return Finding{}, false
	}
	return Finding{Kind: FindingLocationMismatch, Message: "The carrier's delivery scan is in " + place(scan.Location) +
		", but the order was sent to postal code " + p.Shipment.Destination.PostalCode + "."}, true
}

// signer is one party's account of who signed.
type signer struct{ name, by string }

func signersDiffer(p Pack) (Finding, bool) {
	var list []signer
	for _, e := range p.Timeline {
		if e.Status == shipment.StatusDelivered && e.SignedBy != "" {
			list = append(list, signer{e.SignedBy, sourceName(e.Source) + " delivery scan"})
		}
	}
	for _, pr := range p.Proofs {
		if pr.SignedBy != "" {
			list = append(list, signer{pr.SignedBy, sourceName(pr.Source) + " proof of delivery"})
		}
	}
	seen := map[string]bool{}
	var parts []string
	for _, s := range list {
		k := signerKey(s.name)
		if seen[k] {
			continue
		}
		seen[k] = true
		parts = append(parts, `"`+s.name+`" (`+s.by+`)`)
	}
	if len(parts) < 2 {
		return Finding{}, false
	}
	return Finding{Kind: FindingSignersDiffer, Message: "The records name different signers: " + strings.Join(parts, ", ") + "."}, true
}

// signerKey compares names as carriers write them: "J. DOE" and "j doe"
// are one signer.
func signerKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}
