package evidence

// The reasons only Audit reports: Verify sees records, not what the store
// keeps beside them.
const (
	// ReasonImageChanged: a proof's photo or signature bytes no longer
	// hash to the digest in the proof (swapped, removed or added).
	ReasonImageChanged Reason = "image changed"
	// ReasonRecordsMissing: the chain is shorter than its stored head
	// says: records were removed from its end.
	ReasonRecordsMissing Reason = "records missing at the end"
	// ReasonHeadChanged: the last record's chain hash is not the stored
	// head, or the chain is longer than the head says.
	ReasonHeadChanged Reason = "chain head changed"
)

// Head is what the store keeps about a chain beside its records: how many
// it holds and the chain hash of the last one (zero for none).
type Head struct {
	Records   int
	ChainHash [32]byte
}

// Audit verifies a chain as Verify does and also what Verify cannot see:
// proofs whose images no longer match their digests (imageChanged says so
// for a proof id; nil checks nothing) and records removed from or added to
// the end of the chain (head). It reports the first problem in chain
// order; a head mismatch comes after every record, at Index len(records),
// with no kind or id.
func Audit(records []StoredRecord, head Head, imageChanged func(proofID string) bool) Verification {
	v := Verify(records)
	limit := len(records)
	if v.FirstBroken != nil {
		limit = v.FirstBroken.Index
	}
	if imageChanged != nil {
		for i, sr := range records[:limit] {
			p, ok := deref(sr.Record).(ProofRecord)
			if ok && imageChanged(p.ID) {
				return Verification{Records: len(records), FirstBroken: &BrokenRecord{
					Kind: KindProof, ID: p.ID, Index: i, Reason: ReasonImageChanged}}
			}
		}
	}
	if !v.Intact {
		return v
	}
	var last [32]byte
	if n := len(records); n > 0 {
		last = records[n-1].ChainHash
	}
	switch {
	case len(records) < head.Records:
		v.Intact, v.FirstBroken = false, &BrokenRecord{Index: len(records), Reason: ReasonRecordsMissing}
	case len(records) > head.Records || last != head.ChainHash:
		v.Intact, v.FirstBroken = false, &BrokenRecord{Index: len(records), Reason: ReasonHeadChanged}
	}
	return v
}
