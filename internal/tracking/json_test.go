package tracking

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMarshalJSON(t *testing.T) {
	b, err := json.Marshal(Check("1z12345e0205271687", "UPS"))
	if err != nil {
		t.Fatalf("json.Marshal(Check(...)): %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("json.Unmarshal(%s): %v", b, err)
	}
	want := map[string]any{
		"input":       "1z12345e0205271687",
		"normalized":  "1Z12345E0205271687",
		"valid":       false,
		"carrier":     "ups",
		"format":      "ups_1z",
		"reason":      "CHECK_DIGIT_MISMATCH",
		"message":     "check digit 7 does not match: the UPS 1Z algorithm gives 6",
		"declared":    "ups",
		"candidates":  []any{map[string]any{"carrier": "ups", "format": "ups_1z", "valid": false, "confidence": 0.999}},
		"suggestions": []any{"1Z12345E0205271686", "1Z12245E0205271687", "1Z12344E0205271687", "1Z12345E0205171687", "1Z12345E0205271677"},
		"trackingUrl": "",
		"fields":      map[string]any{"shipperId": "12345E", "serviceType": "02", "service": "UPS 2nd Day Air"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON of Check mismatch (-want +got):\n%s", diff)
	}
}

func TestMarshalJSONEmptyLists(t *testing.T) {
	b, err := json.Marshal(Check("", ""))
	if err != nil {
		t.Fatalf("json.Marshal(Check(\"\")): %v", err)
	}
	want := `{"input":"","normalized":"","valid":false,"carrier":"","format":"","reason":"UNKNOWN_FORMAT",` +
		`"message":"empty tracking number","candidates":[],"suggestions":[],"trackingUrl":"","fields":{}}`
	if string(b) != want {
		t.Errorf("json.Marshal(Check(\"\")) = %s, want %s", b, want)
	}
}
