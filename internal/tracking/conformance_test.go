package tracking

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// conformancePath is the conformance set: every test number of the open
// tracking_number_data dataset, kept in testdata with its source and
// licence (see the README there).
const conformancePath = "testdata/conformance/tracking-numbers.jsonl"

// conformanceRow is one line of the conformance set.
type conformanceRow struct {
	Courier     string   `json:"courier"`
	FormatID    string   `json:"format_id"`
	Number      string   `json:"number"`
	Valid       bool     `json:"valid"`
	AlsoValidAs []string `json:"also_valid_as"`
}

// datasetFormats maps the dataset's format ids to Shipwatch's.
var datasetFormats = map[string]string{
	"amazon_logistics": "amazon_logistics", "amazon_international": "amazon_international",
	"canada_post": "canada_post_16", "canpar_22": "canpar_22",
	"dhl_express": "dhl_express", "dhl_express_piece_id": "dhl_piece_id",
	"dhl_ecommerce": "dhl_ecommerce", "dhl_ecommerce_14": "dhl_ecommerce_14",
	"dpd": "dpd_28", "dpd_14": "dpd_14",
	"fedex_12": "fedex_express_12", "fedex_34": "fedex_express_34", "fedex_astra_32": "fedex_astra_32",
	"fedex_ground": "fedex_ground_15", "fedex_ground_sscc_18": "fedex_sscc_18",
	"fedex_ground_96": "fedex_ground_96", "fedex_ground_gsn": "fedex_ground_gsn",
	"gofo_us": "gofo_us", "landmark_global": "landmark_ltn",
	"lasership_lx": "lasership_lx", "lasership_1ls7": "lasership_1ls7",
	"lasership-1ls7-18": "lasership_1ls7_18", "lasership_1lscx": "lasership_1lscx",
	"old-dominion": "old_dominion", "old-dominion-guaranteed-shipment": "old_dominion_guaranteed",
	"ontrac_c": "ontrac", "ontrac_d": "ontrac",
	"purolator_numeric": "purolator_12", "purolator_alpha": "purolator_alpha",
	"s10": "upu_s10", "speedee": "speedee", "ups": "ups_1z", "ups-waybill": "ups_waybill",
	"usps_20": "usps_20", "usps_impb_n": "usps_impb", "usps_impb_c": "usps_impb",
	"usps_legacy": "usps_legacy", "yodel": "yodel", "yunexpress": "yunexpress",
}

// deliberate lists the rows where Shipwatch disagrees with the dataset on
// purpose, keyed by format id and number, with the reason.
var deliberate = map[string]string{
	// DHL eCommerce 14 accepts any 14 digits: no check digit, no prefix. An
	// order or invoice number of 14 digits would pass, so Shipwatch accepts
	// these only when DHL is declared (and then agrees with the dataset).
	"dhl_ecommerce_14|60120172242323":  "weak format: valid only with DHL declared",
	"dhl_ecommerce_14|5108 7693037816": "weak format: valid only with DHL declared",
	"dhl_ecommerce_14|60120174971147":  "weak format: valid only with DHL declared",
}

func TestConformance(t *testing.T) {
	rows := readConformance(t)
	agreed, disagreed := 0, 0
	for _, row := range rows {
		id := datasetFormats[row.FormatID]
		if id == "" {
			t.Errorf("conformance row %q: unknown dataset format %q: map it in datasetFormats", row.Number, row.FormatID)
			continue
		}
		key := row.FormatID + "|" + row.Number
		var problems []string
		// The verdict for the row's own format.
		if c := candidateFor(Check(row.Number, ""), id); (c != nil && c.Valid) != row.Valid {
			problems = append(problems, "as "+id+": "+verdict(c != nil && c.Valid)+", label "+verdict(row.Valid))
		}
		// The other formats the dataset says accept the number.
		for _, other := range row.AlsoValidAs {
			oid := datasetFormats[other[strings.IndexByte(other, '/')+1:]]
			if c := candidateFor(Check(row.Number, ""), oid); c == nil || !c.Valid {
				problems = append(problems, "not valid as "+oid+", which the dataset also accepts it as")
			}
		}
		// The whole answer with the row's carrier declared: valid rows are
		// valid, invalid rows invalid unless another format of the same
		// carrier takes them.
		declared := row.Courier
		if declared == "s10" {
			declared = ""
		}
		want := row.Valid
		for _, other := range row.AlsoValidAs {
			want = want || strings.HasPrefix(other, row.Courier+"/")
		}
		if r := Check(row.Number, declared); r.Valid != want {
			problems = append(problems, "Check(number, "+declared+") "+verdict(r.Valid)+" ("+string(r.Reason)+"), want "+verdict(want))
		}
		// No false alarm: a valid row is valid with no carrier declared.
		if r := Check(row.Number, ""); row.Valid && !r.Valid {
			problems = append(problems, "Check(number, \"\") invalid ("+string(r.Reason)+")")
		}
		reason, ok := deliberate[key]
		switch {
		case len(problems) == 0 && ok:
			t.Errorf("row %s agrees now: remove it from deliberate (%s)", key, reason)
		case len(problems) == 0:
			agreed++
		case ok:
			disagreed++
			t.Logf("deliberate disagreement on %s: %s (%s)", key, strings.Join(problems, "; "), reason)
		default:
			t.Errorf("row %s: %s", key, strings.Join(problems, "; "))
		}
	}
	t.Logf("conformance: %d rows agree, %d disagree deliberately", agreed, disagreed)
	for key := range deliberate {
		if !hasRow(rows, key) {
			t.Errorf("deliberate lists %s, which the conformance set no longer has", key)
		}
	}
}

// readConformance reads the conformance set, failing (not skipping) when it
// is missing: CI must run it.
func readConformance(t *testing.T) []conformanceRow {
	t.Helper()
	f, err := os.Open(conformancePath)
	if err != nil {
		t.Fatalf("conformance set missing: %v (it is part of the repository: restore %s)", err, conformancePath)
	}
	defer f.Close()
	var rows []conformanceRow
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		var row conformanceRow
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("%s:%d: %v", conformancePath, line, err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", conformancePath, err)
	}
	if len(rows) == 0 {
		t.Fatalf("%s has no rows", conformancePath)
	}
	return rows
}

func hasRow(rows []conformanceRow, key string) bool {
	for _, row := range rows {
		if row.FormatID+"|"+row.Number == key {
			return true
		}
	}
	return false
}

func verdict(valid bool) string {
	if valid {
		return "valid"
	}
	return "invalid"
}
