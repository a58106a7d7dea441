package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/ingest"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// importsView is the imports page: the upload form and the imports.
type importsView struct {
	Rows []store.Import
	Next string
}

// importsPage lists the seller's imports, newest first, under the upload
// form.
func (h *Dashboard) importsPage(w http.ResponseWriter, r *http.Request, s session) {
	var after store.Cursor
	if a := r.URL.Query().Get("after"); a != "" {
		c, err := store.DecodeCursor(a)
		if err != nil {
			h.badRequest(w, r, s, "That page link is not valid: go back to the first page.")
			return
		}
		after = c
	}
	page, err := h.d.Store.Imports(r.Context(), s.Seller.ID, pageSize, after)
	if err != nil {
		h.fail(w, r, "imports", err)
		return
	}
	v := importsView{Rows: page.Items}
	if page.HasNext {
		v.Next = "/app/imports?after=" + page.Cursors[len(page.Cursors)-1].Encode()
	}
	h.pages.render(w, r, http.StatusOK, "imports", h.data(s, "imports", "Imports", v))
}

// uploadAnswer is what the upload script reads.
type uploadAnswer struct {
	ID    string `json:"id,omitempty"`
	URL   string `json:"url,omitempty"`
	Error string `json:"error,omitempty"`
}

// upload streams a multipart form's file into an import, as
// Mutation.uploadShipments does (monitor.Importer.Upload): never held in
// memory, refused whole when it is not a file of shipments. The CSRF
// token comes as a header from the page's script, or as the form's first
// field without it.
func (h *Dashboard) upload(w http.ResponseWriter, r *http.Request, s session) {
	wantsJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	answer := func(code int, a uploadAnswer) {
		if wantsJSON {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			json.NewEncoder(w).Encode(a) //nolint:errcheck // the client went away
			return
		}
		if a.Error != "" {
			h.pages.render(w, r, code, "error", h.data(s, "imports", "Upload refused", errorView{Message: a.Error}))
			return
		}
		http.Redirect(w, r, a.URL, http.StatusSeeOther)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		answer(http.StatusBadRequest, uploadAnswer{Error: "Send the file from the upload form (a multipart form)."})
		return
	}
	csrfOK := r.Header.Get("X-CSRF-Token") != ""
	format := ingest.FormatAuto
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			answer(http.StatusBadRequest, uploadAnswer{Error: "Choose a file to upload."})
			return
		}
		if err != nil {
			answer(http.StatusBadRequest, uploadAnswer{Error: "The upload was cut short: " + err.Error()})
			return
		}
		switch part.FormName() {
		case "csrf":
			b, _ := io.ReadAll(io.LimitReader(part, 200)) //nolint:errcheck // a short read fails the comparison
			csrfOK = validToken(string(b), s.csrf)
		case "format":
			b, _ := io.ReadAll(io.LimitReader(part, 50)) //nolint:errcheck // as above
			if f := ingest.Format(strings.TrimSpace(string(b))); f != "" {
				format = f
			}
		case "file":
			if !csrfOK {
				answer(http.StatusForbidden, uploadAnswer{Error: "This form is stale or came from another site: reload the page and try again."})
				return
			}
			name := part.FileName()
			if name == "" {
				name = "upload"
			}
			im, err := h.d.Imports.Upload(r.Context(), s.Seller, name, format, part)
			var fe *shipment.FieldError
			if errors.As(err, &fe) {
				answer(http.StatusBadRequest, uploadAnswer{Error: "The file was refused: " + fe.Message})
				return
			}
			if err != nil {
				h.fail(w, r, "upload", err)
				return
			}
			answer(http.StatusOK, uploadAnswer{ID: im.ID, URL: "/app/imports/" + im.ID})
			return
		}
	}
}

// validToken compares a submitted CSRF token in constant time.
func validToken(got, want string) bool {
	return got != "" && len(got) == len(want) && hmacEqual(got, want)
}

// importView is one import's page.
type importView struct {
	Import  store.Import
	Errors  []store.ImportError
	More    bool
	Percent int
	Done    bool
}

// importPage shows an import's progress (live while it loads), its
// rejected rows and the link to the corrected-file download.
func (h *Dashboard) importPage(w http.ResponseWriter, r *http.Request, s session) {
	im, err := h.d.Imports.Import(r.Context(), s.Seller.ID, r.PathValue("id"))
	if err != nil {
		h.badRequestOr(w, r, s, "import", err)
		return
	}
	errs, err := h.d.Store.ImportErrors(r.Context(), s.Seller.ID, im.ID, 200, store.Cursor{})
	if err != nil {
		h.fail(w, r, "import errors", err)
		return
	}
	v := importView{Import: im, Errors: errs.Items, More: errs.HasNext, Percent: percent(im), Done: finished(im)}
	h.pages.render(w, r, http.StatusOK, "import", h.data(s, "imports", "Import "+im.Filename, v))
}

func finished(im store.Import) bool { return im.Status == "COMPLETED" || im.Status == "FAILED" }

// percent is how far an import has got, from 0 to 100.
func percent(im store.Import) int {
	switch {
	case finished(im):
		return 100
	case im.RowsTotal == nil || *im.RowsTotal == 0:
		return 0
	}
	return min(100, im.RowsProcessed*100 / *im.RowsTotal)
}

// progressEvent is one import progress event of the stream.
type progressEvent struct {
	Status        string `json:"status"`
	RowsProcessed int    `json:"rowsProcessed"`
	RowsTotal     *int   `json:"rowsTotal"`
	Created       int    `json:"created"`
	Updated       int    `json:"updated"`
	Rejected      int    `json:"rejected"`
	Percent       int    `json:"percent"`
	Done          bool   `json:"done"`
}

// ProgressInterval is how often the progress stream looks at an import,
// as the GraphQL subscription shipmentImportProgress does.
var ProgressInterval = 500 * time.Millisecond

// importProgress streams an import's progress as server-sent events, from
// the same watch as Subscription.shipmentImportProgress, until it is
// COMPLETED or FAILED.
func (h *Dashboard) importProgress(w http.ResponseWriter, r *http.Request, s session) {
	updates, err := h.d.Imports.Watch(r.Context(), s.Seller.ID, r.PathValue("id"), ProgressInterval)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			http.NotFound(w, r)
			return
		}
		h.fail(w, r, "import progress", err)
		return
	}
	sse, ok := startSSE(w, r)
	if !ok {
		return
	}
	for im := range updates {
		ev := progressEvent{Status: im.Status, RowsProcessed: im.RowsProcessed, RowsTotal: im.RowsTotal, Created: im.Created,
			Updated: im.Updated, Rejected: im.Rejected, Percent: percent(im), Done: finished(im)}
		if err := sse.send("progress", ev); err != nil {
			return
		}
	}
}

// sseWriter writes server-sent events.
type sseWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// startSSE answers a request with an event stream.
func startSSE(w http.ResponseWriter, r *http.Request) (*sseWriter, bool) {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return nil, false
	}
	// A stream lives longer than the server's write timeout.
	rc.SetWriteDeadline(time.Time{}) //nolint:errcheck // not every writer has deadlines
	return &sseWriter{w: w, rc: rc}, true
}

func (s *sseWriter) send(event string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, b); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s *sseWriter) ping() error {
	if _, err := io.WriteString(s.w, ": ping\n\n"); err != nil {
		return err
	}
	return s.rc.Flush()
}
