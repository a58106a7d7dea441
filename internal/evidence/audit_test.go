package evidence

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAudit(t *testing.T) {
	chain := chainOf5()
	head := Head{Records: len(chain), ChainHash: chain[len(chain)-1].ChainHash}
	none := func(string) bool { return false }
	proofChanged := func(id string) bool { return id == "7" }
	edited := append([]StoredRecord(nil), chain...)
	e := edited[1].Record.(EventRecord)
	e.Description = "edited"
	edited[1].Record = e

	tests := []struct {
		name    string
		records []StoredRecord
		head    Head
		images  func(string) bool
		want    Verification
	}{
		{"intact", chain, head, none, Verification{Intact: true, Records: 5}},
		{"intact, images not checked", chain, head, nil, Verification{Intact: true, Records: 5}},
		{"empty chain with empty head", nil, Head{}, none, Verification{Intact: true}},
		{"image swapped", chain, head, proofChanged,
			Verification{Records: 5, FirstBroken: &BrokenRecord{Kind: KindProof, ID: "7", Index: 4, Reason: ReasonImageChanged}}},
		{"an earlier broken record wins over a later image", edited, head, proofChanged,
			Verification{Records: 5, FirstBroken: &BrokenRecord{Kind: KindEvent, ID: "2", Index: 1, Reason: ReasonContentChanged}}},
		{"tail removed", chain[:3], head, none,
			Verification{Records: 3, FirstBroken: &BrokenRecord{Index: 3, Reason: ReasonRecordsMissing}}},
		{"everything removed", nil, head, none,
			Verification{FirstBroken: &BrokenRecord{Index: 0, Reason: ReasonRecordsMissing}}},
		{"head rewound", chain, Head{Records: 3, ChainHash: chain[2].ChainHash}, none,
			Verification{Records: 5, FirstBroken: &BrokenRecord{Index: 5, Reason: ReasonHeadChanged}}},
		{"head rewritten", chain, Head{Records: 5, ChainHash: chain[3].ChainHash}, none,
			Verification{Records: 5, FirstBroken: &BrokenRecord{Index: 5, Reason: ReasonHeadChanged}}},
	}
	for _, tt := range tests {
		got := Audit(tt.records, tt.head, tt.images)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Audit() mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}
