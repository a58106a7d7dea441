package apptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"testing"
)

// UploadQuery is the upload mutation of docs/imports.md.
const UploadQuery = `mutation($file: Upload!, $format: ShipmentFileFormat) {
  uploadShipments(file: $file, format: $format) { id status format rowsTotal warnings }
}`

// UploadRequest builds the request `curl -F operations=... -F map=...
// -F 0=@file` sends, following the GraphQL multipart request spec: the
// parts operations, map and 0, the file streamed from body as the request
// goes out. vars must hold "file": nil. size is the file's length, for a
// Content-Length as curl sends; -1 sends the body chunked instead.
func (e *Env) UploadRequest(t testing.TB, key, query string, vars map[string]any, filename string, body io.Reader, size int64) *http.Request {
	t.Helper()
	ops, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatalf("encode operations: %v", err)
	}
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	if err := mw.WriteField("operations", string(ops)); err != nil {
		t.Fatal(err)
	}
	if err := mw.WriteField("map", `{"0":["variables.file"]}`); err != nil {
		t.Fatal(err)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="0"; filename=%q`, filename))
	h.Set("Content-Type", "application/octet-stream")
	if _, err := mw.CreatePart(h); err != nil {
		t.Fatal(err)
	}
	prefix := bytes.Clone(head.Bytes())
	head.Reset()
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	suffix := head.Bytes()
	req, err := http.NewRequest(http.MethodPost, e.URL+"/graphql",
		io.MultiReader(bytes.NewReader(prefix), body, bytes.NewReader(suffix)))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.ContentLength = -1
	if size >= 0 {
		req.ContentLength = int64(len(prefix)) + size + int64(len(suffix))
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return req
}

// Upload sends a file with UploadQuery and returns the response.
func (e *Env) Upload(t testing.TB, key, filename string, file []byte, format string) Response {
	t.Helper()
	vars := map[string]any{"file": nil}
	if format != "" {
		vars["format"] = format
	}
	return e.Do(t, e.UploadRequest(t, key, UploadQuery, vars, filename, bytes.NewReader(file), int64(len(file))))
}
