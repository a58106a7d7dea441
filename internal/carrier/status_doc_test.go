package carrier

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// TestStatusMappingDocumented keeps docs/carriers.md's status table and
// the mappings in step: every row maps as written, and every code the
// mappings name has a row.
func TestStatusMappingDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "carriers.md"))
	if err != nil {
		t.Fatalf("read docs/carriers.md: %v", err)
	}
	rows := regexp.MustCompile("(?m)^\\| `(UPS|FEDEX|USPS)` \\| `([A-Z0-9]+)` \\| `([A-Z_]+)` \\|$").FindAllSubmatch(doc, -1)
	if len(rows) < 30 {
		t.Fatalf("docs/carriers.md has %d status rows, want the whole table", len(rows))
	}
	documented := map[string]bool{}
	for _, r := range rows {
		c, code, want := string(r[1]), string(r[2]), shipment.Status(r[3])
		documented[c+" "+code] = true
		var got shipment.Status
		switch c {
		case "UPS":
			got = upsStatus(code, "")
		case "FEDEX":
			got = fedexStatus(code)
		default:
			got = uspsStatus(code, "")
		}
		if got != want {
			t.Errorf("%s %s maps to %s, docs say %s", c, code, got, want)
		}
	}
	for _, code := range []string{"M", "MV", "O", "D", "RS", "X"} {
		if !documented["UPS "+code] {
			t.Errorf("UPS %s is mapped but not documented", code)
		}
	}
	for _, code := range []string{"OC", "OD", "DL", "DE", "SE", "CD", "DY", "RS", "CA", "HL", "HP"} {
		if !documented["FEDEX "+code] {
			t.Errorf("FedEx %s is mapped but not documented", code)
		}
	}
	for _, code := range []string{"MA", "GX", "01", "17", "02", "53", "OF", "14", "16", "09", "28", "29", "04", "05", "21"} {
		if !documented["USPS "+code] {
			t.Errorf("USPS %s is mapped but not documented", code)
		}
	}
}
