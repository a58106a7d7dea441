package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// readingExecutor stands in for gqlgen's executor: it reads every upload
// to its end, as the upload resolver does, and answers empty data.
type readingExecutor struct{}

func (readingExecutor) CreateOperationContext(_ context.Context, p *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case graphql.Upload:
			io.Copy(io.Discard, x.File) //nolint:errcheck // a broken body is one of the inputs
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(p.Variables)
	return &graphql.OperationContext{RawQuery: p.Query, Variables: p.Variables}, nil
}

func (readingExecutor) DispatchOperation(ctx context.Context, _ *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	return func(context.Context) *graphql.Response { return &graphql.Response{Data: []byte(`{}`)} }, ctx
}

func (readingExecutor) DispatchError(_ context.Context, list gqlerror.List) *graphql.Response {
	return &graphql.Response{Errors: list}
}

// FuzzMultipartUpload feeds any body to the multipart upload reader: it
// never panics, always answers JSON, and a refusal is short whatever the
// body held.
func FuzzMultipartUpload(f *testing.F) {
	part := func(name, filename, body string) string {
		disp := `form-data; name="` + name + `"`
		if filename != "" {
			disp += `; filename="` + filename + `"`
		}
		return "--B\r\nContent-Disposition: " + disp + "\r\n\r\n" + body + "\r\n"
	}
	ops := `{"query":"mutation($file: Upload!) { u(file: $file) }","variables":{"file":null}}`
	f.Add(part("operations", "", ops) + part("map", "", `{"0":["variables.file"]}`) + part("0", "f.csv", "a,b\n1,2\n") + "--B--\r\n")
	f.Add(part("operations", "", `{"query":"q","variables":{"a":null,"b":[null]}}`) + part("map", "", `{"0":["variables.a","variables.b.0"],"1":["variables.b"]}`) +
		part("0", "f", "x") + part("1", "g", "y") + "--B--\r\n")
	f.Add(part("operations", "", ops) + part("map", "", `{"0":["variables.nope.deeper"]}`) + part("0", "f", "x") + "--B--\r\n")
	f.Add(part("operations", "", ops) + part("map", "", `{"9":["variables.file"]}`) + part("0", "f", "x") + "--B--\r\n")
	f.Add(part("map", "", "{}"))
	f.Add("--B\r\n")
	f.Fuzz(func(t *testing.T, text string) {
		body := []byte(text)
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		w := httptest.NewRecorder()
		multipartStream{maxFile: 1 << 20}.Do(w, req, readingExecutor{})
		var resp struct {
			Errors []struct{ Message string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("response %q is not JSON: %v", w.Body.String(), err)
		}
		if w.Code != http.StatusOK && w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", w.Code)
		}
		for _, e := range resp.Errors {
			if len(e.Message) > 2*1024 {
				t.Fatalf("error of %d bytes for a body of %d", len(e.Message), len(body))
			}
		}
	})
}
