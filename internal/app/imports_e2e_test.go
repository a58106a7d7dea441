package app_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shipwatch/shipwatch/internal/app/apptest"
	"github.com/shipwatch/shipwatch/internal/config"
)

const importFields = `id filename format status fileSize rowsTotal rowsProcessed created updated rejected
	invalidTracking warnings failure createdAt startedAt finishedAt`

type importJSON struct {
	ID              string
	Filename        string
	Format          string
	Status          string
	FileSize        int64
	RowsTotal       *int
	RowsProcessed   int
	Created         int
	Updated         int
	Rejected        int
	InvalidTracking int
	Warnings        []string
	Failure         *string
	StartedAt       *string
	FinishedAt      *string
}

type importErrorJSON struct {
	Line    int
	Column  *string
	Message string
}

// uploadFile uploads a file and returns the import the mutation answers.
func uploadFile(t *testing.T, env *apptest.Env, key, name string, file []byte) importJSON {
	t.Helper()
	r := env.Upload(t, key, name, file, "")
	if len(r.Errors) > 0 {
		t.Fatalf("uploadShipments errors: %+v", r.Errors)
	}
	var out struct{ UploadShipments importJSON }
	r.Decode(t, &out)
	return out.UploadShipments
}

// waitImport polls the import until it is COMPLETED or FAILED.
func waitImport(t *testing.T, env *apptest.Env, key, id string, within time.Duration) importJSON {
	t.Helper()
	var im importJSON
	apptest.Eventually(t, within, "import "+id+" to finish", func() bool {
		var out struct{ ShipmentImport importJSON }
		env.MustGraphQL(t, key, `query($id: ID!) { shipmentImport(id: $id) { `+importFields+` } }`, map[string]any{"id": id}, &out)
		im = out.ShipmentImport
		return im.Status == "COMPLETED" || im.Status == "FAILED"
	})
	return im
}

func importErrors(t *testing.T, env *apptest.Env, key, id string) []importErrorJSON {
	t.Helper()
	var out struct {
		ShipmentImport struct {
			Errors struct {
				Edges      []struct{ Node importErrorJSON }
				TotalCount int
			}
		}
	}
	env.MustGraphQL(t, key, `query($id: ID!) { shipmentImport(id: $id) { errors(first: 500) {
		edges { node { line column message } } totalCount } } }`, map[string]any{"id": id}, &out)
	var list []importErrorJSON
	for _, e := range out.ShipmentImport.Errors.Edges {
		list = append(list, e.Node)
	}
	if out.ShipmentImport.Errors.TotalCount != len(list) {
		t.Errorf("errors totalCount = %d, listed %d", out.ShipmentImport.Errors.TotalCount, len(list))
	}
	return list
}

// getErrorsCSV downloads GET /imports/{id}/errors.csv.
func getErrorsCSV(t *testing.T, env *apptest.Env, key, id string) (int, http.Header, string) {
	t.Helper()
	return getErrorsFile(t, env, key, id, "errors.csv")
}

// getErrorsFile downloads GET /imports/{id}/{name}.
func getErrorsFile(t *testing.T, env *apptest.Env, key, id, name string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, env.URL+"/imports/"+id+"/"+name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET errors.csv: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func str(s string) *string { return &s }

// mixedCSV is a Shipwatch CSV in the forms spreadsheets write (byte order
// mark, CR LF, quotes, an extra column) with a bad row of every kind.
var mixedCSV = "\ufefforder_id,tracking_number,carrier,service,ship_by,shipped_at,deliver_by,destination_postal_code,destination_country,gift_note\r\n" +
	"A-1,1Z999AA10123456784,UPS,Ground,2026-11-21,2026-11-21 14:05,2026-11-25,98109,US,hi\r\n" +
	"A-2,9400111206206406260787,USPS,\"Priority, Mail\",11/21/2026,,,10001,us,\r\n" +
	"A-3,,UPS,Ground,,,,,,\r\n" +
	"A-4,1Z999AA10123456784,UPS,Ground,31/31/2026,,,,,\r\n" +
	"A-5,1Z999AA10123456784,Fedx,,,,,,,\r\n" +
	"A-6,1Z999AA10123456785,UPS,,,,,,,\r\n" +
	"A-7,1Z999AA10123456784,UPS,Ground,2026-11-25,,2026-11-21,,,\r\n" +
	"A-1,1Z999AA10123456784,UPS,Next Day Air,,,,,,\r\n" +
	"A-8,1Z999AA10123456784,UPS," + strings.Repeat("x", 2000) + ",,,,,,\r\n" +
	"\r\n"

func TestUploadShipments(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t, func(c *config.Config) { c.MaxRowBytes = 1024 })
	_, key := env.Seller(t, "Acme")
	env.MustGraphQL(t, key, `mutation { updateSellerSettings(input: {timeZone: "America/New_York"}) { timeZone } }`, nil, nil)

	up := uploadFile(t, env, key, "shipments.csv", []byte(mixedCSV))
	if up.Status != "QUEUED" || up.Format != "SHIPWATCH_CSV" || up.RowsTotal == nil || *up.RowsTotal != 10 {
		t.Errorf("upload = %+v, want QUEUED SHIPWATCH_CSV with 10 rows", up)
	}
	if len(up.Warnings) != 1 || !strings.Contains(up.Warnings[0], "gift_note") {
		t.Errorf("warnings = %q, want the unknown column named", up.Warnings)
	}
	im := waitImport(t, env, key, up.ID, 30*time.Second)
	want := importJSON{ID: up.ID, Filename: "shipments.csv", Format: "SHIPWATCH_CSV", Status: "COMPLETED",
		FileSize: int64(len(mixedCSV)), RowsTotal: up.RowsTotal, RowsProcessed: 10,
		Created: 3, Updated: 1, Rejected: 5, InvalidTracking: 1, Warnings: up.Warnings}
	if diff := cmp.Diff(want, im, cmpIgnoreTimes); diff != "" || im.StartedAt == nil || im.FinishedAt == nil {
		t.Errorf("import (-want +got):\n%s", diff)
	}
	wantErrs := []importErrorJSON{
		{4, str("tracking_number"), "required, but empty"},
		{5, str("ship_by"), `"31/31/2026" is not a date (use 2026-11-21, 11/21/2026 or RFC 3339)`},
		{6, str("carrier"), `"Fedx" is not a known carrier`},
		{8, str("deliver_by"), "is before shipBy"},
		{10, nil, "row is longer than 1024 bytes"},
	}
	if diff := cmp.Diff(wantErrs, importErrors(t, env, key, up.ID)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}

	// Pages of errors follow one another by line.
	var page struct {
		ShipmentImport struct {
			Errors struct {
				Edges    []struct{ Node importErrorJSON }
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
	}
	const pageQuery = `query($id: ID!, $after: String) { shipmentImport(id: $id) { errors(first: 3, after: $after) {
		edges { node { line } } pageInfo { hasNextPage endCursor } } } }`
	env.MustGraphQL(t, key, pageQuery, map[string]any{"id": up.ID}, &page)
	first := page.ShipmentImport.Errors
	env.MustGraphQL(t, key, pageQuery, map[string]any{"id": up.ID, "after": first.PageInfo.EndCursor}, &page)
	second := page.ShipmentImport.Errors
	if len(first.Edges) != 3 || !first.PageInfo.HasNextPage || len(second.Edges) != 2 || second.PageInfo.HasNextPage ||
		second.Edges[0].Node.Line != 8 {
		t.Errorf("error pages = %+v then %+v, want lines 4 5 6, then 8 10", first, second)
	}

	var list struct {
		ShipmentsByTrackingNumber []struct {
			OrderID, Service, ShippedAt, ShipBy string
		}
	}
	env.MustGraphQL(t, key, `{ shipmentsByTrackingNumber(trackingNumber: "1Z999AA10123456784") { orderId service shippedAt shipBy } }`, nil, &list)
	got := list.ShipmentsByTrackingNumber
	if len(got) != 1 || got[0].OrderID != "A-1" || got[0].Service != "Next Day Air" {
		t.Fatalf("shipments with A-1's number = %+v, want A-1 once, its last row winning", got)
	}

	status, header, body := getErrorsCSV(t, env, key, up.ID)
	if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(header.Get("Content-Disposition"), "shipments-errors.csv") {
		t.Fatalf("errors.csv: %d %v", status, header)
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	if len(lines) != 6 || lines[0] != "line,column,error,order_id,tracking_number,carrier,service,ship_by,shipped_at,deliver_by,destination_postal_code,destination_country,gift_note" ||
		lines[1] != `4,tracking_number,"required, but empty",A-3,,UPS,Ground,,,,,,` ||
		lines[3] != `6,carrier,"""Fedx"" is not a known carrier",A-5,1Z999AA10123456784,Fedx,,,,,,,` ||
		lines[4] != `8,deliver_by,is before shipBy,A-7,1Z999AA10123456784,UPS,Ground,2026-11-25,,2026-11-21,,,` {
		t.Errorf("errors.csv =\n%s", body)
	}

	// The errors file goes back in as it is: its extra columns are ignored
	// and its rows (not fixed here) are rejected again for the same reasons.
	back := waitImport(t, env, key, uploadFile(t, env, key, "shipments-errors.csv", []byte(body)).ID, 30*time.Second)
	if back.Status != "COMPLETED" || back.Rejected != 5 || back.Created+back.Updated != 0 || len(back.Warnings) != 4 ||
		!strings.Contains(back.Warnings[0], `"line"`) {
		t.Errorf("errors file uploaded back = %+v, want its 5 rows rejected again and its extra columns ignored", back)
	}
	var backErrs []string
	for _, e := range importErrors(t, env, key, back.ID) {
		backErrs = append(backErrs, e.Message)
	}
	var firstErrs []string
	for _, e := range wantErrs {
		firstErrs = append(firstErrs, e.Message)
	}
	if diff := cmp.Diff(firstErrs, backErrs); diff != "" {
		t.Errorf("errors of the errors file (-first upload +second):\n%s", diff)
	}

	// Uploading the same file again creates nothing.
	again := waitImport(t, env, key, uploadFile(t, env, key, "shipments.csv", []byte(mixedCSV)).ID, 30*time.Second)
	if again.Created != 0 || again.Updated != 4 || again.Rejected != 5 {
		t.Errorf("second upload = %+v, want 0 created, 4 updated, 5 rejected", again)
	}
	var count struct{ Shipments struct{ TotalCount int } }
	env.MustGraphQL(t, key, `{ shipments { totalCount } }`, nil, &count)
	if count.Shipments.TotalCount != 3 {
		t.Errorf("shipments = %d after two uploads of one file, want 3", count.Shipments.TotalCount)
	}
	resp, err := http.Get(env.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{`shipwatch_import_rows_total{result="created"} 3`, `shipwatch_import_rows_total{result="updated"} 5`,
		`shipwatch_import_rows_total{result="rejected"} 15`} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	// Three uploads of a few rows: one batch each, every step timed once.
	for _, step := range []string{"parse", "upsert", "refresh", "registrations", "risk", "rules",
		"announce", "errors", "progress", "commit", "recheck"} {
		m := `shipwatch_import_batch_step_seconds_count{step="` + step + `"} 3`
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}

	var imports struct {
		ShipmentImports struct{ Edges []struct{ Node importJSON } }
	}
	env.MustGraphQL(t, key, `{ shipmentImports(first: 10) { edges { node { id } } } }`, nil, &imports)
	if e := imports.ShipmentImports.Edges; len(e) != 3 || e[0].Node.ID != again.ID || e[1].Node.ID != back.ID || e[2].Node.ID != up.ID {
		t.Errorf("shipmentImports = %+v, want the three, newest first", e)
	}
}

var cmpIgnoreTimes = cmp.FilterPath(func(p cmp.Path) bool {
	f := p.Last().String()
	return f == ".StartedAt" || f == ".FinishedAt"
}, cmp.Ignore())

func TestUploadTimeZone(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	file := "order_id,tracking_number,ship_by,shipped_at,deliver_by\n" +
		"A-1,1Z999AA10123456784,2026-11-21,2026-11-21 14:05,2026-11-25T12:00:00Z\n"
	env.MustGraphQL(t, key, `mutation { updateSellerSettings(input: {timeZone: "America/New_York"}) { timeZone } }`, nil, nil)
	waitImport(t, env, key, uploadFile(t, env, key, "a.csv", []byte(file)).ID, 30*time.Second)
	var list struct {
		ShipmentsByTrackingNumber []struct{ ShipBy, ShippedAt, DeliverBy string }
	}
	env.MustGraphQL(t, key, `{ shipmentsByTrackingNumber(trackingNumber: "1Z999AA10123456784") { shipBy shippedAt deliverBy } }`, nil, &list)
	want := []struct{ ShipBy, ShippedAt, DeliverBy string }{{
		ShipBy:    "2026-11-22T04:59:59.999999Z", // the end of Nov 21 in New York
		ShippedAt: "2026-11-21T19:05:00Z",
		DeliverBy: "2026-11-25T12:00:00Z", // a zone of its own is kept
	}}
	if diff := cmp.Diff(want, list.ShipmentsByTrackingNumber); diff != "" {
		t.Errorf("dates (-want +got):\n%s", diff)
	}

}

// TestUploadRefused checks that a file that is not delimited text, lacks a
// required column or is too large is refused with a clear error, and that
// nothing of it is stored.
func TestUploadRefused(t *testing.T) {
	t.Parallel()
	const limit = 64 << 10
	env := apptest.Start(t, func(c *config.Config) { c.MaxUploadBytes = limit })
	_, key := env.Seller(t, "Acme")
	big := []byte("order_id,tracking_number\n" + strings.Repeat("A-1,1Z999AA10123456784\n", 2*limit/23))
	for _, tt := range []struct {
		name    string
		file    []byte
		chunked bool
		want    string
	}{
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), false, "not a delimited text file: the file is a PDF"},
		{"xlsx", append([]byte("PK\x03\x04"), make([]byte, 100)...), false, "Excel"},
		{"empty", nil, false, "the file is empty"},
		{"no header", []byte("hello,world\n1,2\n"), false, "is not a header"},
		{"missing column", []byte("order_id,carrier\nA-1,UPS\n"), false, "missing required column(s) tracking_number"},
		{"too large", big, false, "is larger than this server's limit"},
		{"too large, chunked", big, true, "is larger than this server's limit"},
	} {
		size := int64(len(tt.file))
		if tt.chunked {
			size = -1
		}
		r := env.Do(t, env.UploadRequest(t, key, apptest.UploadQuery, map[string]any{"file": nil}, "f.csv", bytes.NewReader(tt.file), size))
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "file" ||
			!strings.Contains(r.Errors[0].Message, tt.want) {
			t.Errorf("%s: status %d errors %+v, want BAD_USER_INPUT on file containing %q", tt.name, r.Status, r.Errors, tt.want)
		}
	}
	// A body announced over the limit is refused before it is read.
	huge := int64(limit + config.Default().MaxBodyBytes + 1)
	req := env.UploadRequest(t, key, apptest.UploadQuery, map[string]any{"file": nil}, "f.csv", io.LimitReader(zeros{}, huge), huge)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(msg), "above the limit") {
		t.Errorf("huge upload: %d %s, want 413", resp.StatusCode, msg)
	}

	var n int
	if err := env.App.DB.GetContext(context.Background(), &n, `SELECT (SELECT count(*) FROM shipment_imports) + (SELECT count(*) FROM shipment_import_chunks)`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d import rows and chunks stored by refused uploads, want none", n)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestImportTenancy(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, keyA := env.Seller(t, "A")
	_, keyB := env.Seller(t, "B")
	a := waitImport(t, env, keyA, uploadFile(t, env, keyA, "a.csv", []byte(mixedCSV)).ID, 30*time.Second)

	r := env.GraphQL(t, keyB, `query($id: ID!) { shipmentImport(id: $id) { id } }`, map[string]any{"id": a.ID})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "NOT_FOUND" {
		t.Errorf("B shipmentImport(A's id): errors = %+v, want NOT_FOUND", r.Errors)
	}
	var list struct {
		ShipmentImports struct{ Edges []struct{ Node importJSON } }
	}
	env.MustGraphQL(t, keyB, `{ shipmentImports { edges { node { id } } } }`, nil, &list)
	if len(list.ShipmentImports.Edges) != 0 {
		t.Errorf("B lists %d of A's imports", len(list.ShipmentImports.Edges))
	}
	if status, _, body := getErrorsCSV(t, env, keyB, a.ID); status != http.StatusNotFound || strings.Contains(body, "A-3") {
		t.Errorf("B GET A's errors.csv: %d %s, want 404", status, body)
	}
	if status, _, _ := getErrorsCSV(t, env, "", a.ID); status != http.StatusUnauthorized {
		t.Errorf("GET errors.csv without a key: %d, want 401", status)
	}
	if status, _, _ := getErrorsCSV(t, env, keyB, "not-a-uuid"); status != http.StatusNotFound {
		t.Errorf("GET errors.csv of a garbage id: %d, want 404", status)
	}
	var count struct{ Shipments struct{ TotalCount int } }
	env.MustGraphQL(t, keyB, `{ shipments { totalCount } }`, nil, &count)
	if count.Shipments.TotalCount != 0 {
		t.Errorf("B counts %d shipments after A's import", count.Shipments.TotalCount)
	}
	// Without a key, the upload is refused before the file is read.
	r = env.Upload(t, "", "a.csv", []byte(mixedCSV), "")
	if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" {
		t.Errorf("upload without a key: errors = %+v", r.Errors)
	}
}

// TestUploadRequestShape checks that the streaming transport refuses
// requests that break the multipart request spec, and takes several files.
func TestUploadRequestShape(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	ops := `{"query":"mutation($file: Upload!) { uploadShipments(file: $file) { id status } }","variables":{"file":null}}`
	file := "order_id,tracking_number\nA-1,1Z999AA10123456784\n"
	for _, tt := range []struct {
		name  string
		parts [][3]string // name, filename, content
		want  string
	}{
		{"map first", [][3]string{{"map", "", `{"0":["variables.file"]}`}, {"operations", "", ops}}, "first part must be operations"},
		{"no map", [][3]string{{"operations", "", ops}, {"0", "f.csv", file}}, "second part must be map"},
		{"bad path", [][3]string{{"operations", "", ops}, {"map", "", `{"0":["variables.0"]}`}, {"0", "f.csv", file}}, "invalid operations path"},
		{"missing file", [][3]string{{"operations", "", ops}, {"map", "", `{"0":["variables.file"]}`}}, `expected 1 more file parts`},
		{"unknown file", [][3]string{{"operations", "", ops}, {"map", "", `{"0":["variables.file"]}`}, {"1", "f.csv", file}}, `file part "1" is not in map`},
		// Files before the last are spooled to disk, so these work.
		{"two files", [][3]string{{"operations", "", ops}, {"map", "", `{"0":["variables.file"],"1":["variables.other"]}`},
			{"0", "f.csv", file}, {"1", "g.csv", "not read"}}, ""},
		{"one file, two variables", [][3]string{{"operations", "", ops}, {"map", "", `{"0":["variables.file","variables.again"]}`}, {"0", "f.csv", file}}, ""},
	} {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for _, p := range tt.parts {
			var w io.Writer
			var err error
			if p[1] != "" {
				w, err = mw.CreateFormFile(p[0], p[1])
			} else {
				w, err = mw.CreateFormField(p[0])
			}
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, p[2]) //nolint:errcheck // a bytes.Buffer
		}
		mw.Close()
		req, err := http.NewRequest(http.MethodPost, env.URL+"/graphql", &body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+key)
		r := env.Do(t, req)
		if tt.want == "" {
			var out struct{ UploadShipments struct{ Status string } }
			if len(r.Errors) == 0 {
				r.Decode(t, &out)
			}
			if out.UploadShipments.Status != "QUEUED" {
				t.Errorf("%s: %d %+v, want the upload queued", tt.name, r.Status, r.Errors)
			}
			continue
		}
		if r.Status != http.StatusUnprocessableEntity || len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, tt.want) {
			t.Errorf("%s: %d %+v, want 422 saying %q", tt.name, r.Status, r.Errors, tt.want)
		}
	}
}

// An Amazon flat file's errors come back tab-separated, named .txt, from
// /imports/{id}/errors; errors.txt and errors.csv answer the same file.
func TestFlatFileErrorsFile(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	_, key := env.Seller(t, "Acme")
	flat := "order-id\torder-item-id\tquantity\tship-date\tcarrier-code\tcarrier-name\ttracking-number\tship-method\tgift-wrap\n" +
		"111-0000001-0000001\t1\t1\t2026-11-21\tUPS\t\t1Z999AA10123456784\tGround\tno\n" +
		"111-0000001-0000002\t1\t1\tyesterday\tUPS\t\t1Z999AA10123456784\tGround\tno\n"
	up := waitImport(t, env, key, uploadFile(t, env, key, "confirm.txt", []byte(flat)).ID, 30*time.Second)
	if up.Format != "AMAZON_FLAT_FILE" || up.Rejected != 1 || len(up.Warnings) != 1 ||
		up.Warnings[0] != `column "gift-wrap" is not a column of an Amazon flat file: ignored` {
		t.Fatalf("flat file import = %+v, want one row rejected and gift-wrap ignored in words", up)
	}
	var first string
	for _, name := range []string{"errors", "errors.txt", "errors.csv"} {
		status, header, body := getErrorsFile(t, env, key, up.ID, name)
		if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "text/tab-separated-values") ||
			!strings.Contains(header.Get("Content-Disposition"), `filename=confirm-errors.txt`) {
			t.Errorf("GET /imports/ID/%s = %d %v, want the tab-separated confirm-errors.txt", name, status, header)
		}
		if !strings.HasPrefix(body, "line\tcolumn\terror\torder-id\t") || !strings.Contains(body, "\n3\tship-date\t") {
			t.Errorf("GET /imports/ID/%s =\n%s", name, body)
		}
		if first == "" {
			first = body
		} else if body != first {
			t.Errorf("GET /imports/ID/%s differs from /errors", name)
		}
	}
}
