package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/evidence"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/store"
)

// evidenceHandler serves evidence packs and proof images, each to the
// seller whose API key comes with the request; another seller's ids are
// not found.
type evidenceHandler struct {
	svc       *monitor.Service
	st        *store.Store
	log       *slog.Logger
	publicURL string
	now       func() time.Time
}

// EvidenceRoutes returns the routes of delivery evidence, for Deps.Routes:
//
//	GET /disputes/{id}/evidence.pdf   the evidence pack as a PDF
//	GET /disputes/{id}/evidence.json  the same pack as JSON, images included
//	GET /proofs/{id}/photo            a proof of delivery's photo
//	GET /proofs/{id}/signature        and its signature
func EvidenceRoutes(svc *monitor.Service, st *store.Store, log *slog.Logger, publicURL string) func(*http.ServeMux) {
	h := &evidenceHandler{svc: svc, st: st, log: log, publicURL: publicURL, now: time.Now}
	return func(mux *http.ServeMux) {
		mux.HandleFunc("GET /disputes/{id}/evidence.pdf", h.pdf)
		mux.HandleFunc("GET /disputes/{id}/evidence.json", h.json)
		mux.HandleFunc("GET /proofs/{id}/photo", func(w http.ResponseWriter, r *http.Request) { h.image(w, r, store.ImagePhoto) })
		mux.HandleFunc("GET /proofs/{id}/signature", func(w http.ResponseWriter, r *http.Request) { h.image(w, r, store.ImageSignature) })
	}
}

// EvidencePDF is the handler of GET /disputes/{id}/evidence.pdf on its
// own, for the dashboard, which serves it to a signed-in seller.
func EvidencePDF(svc *monitor.Service, st *store.Store, log *slog.Logger, publicURL string) http.Handler {
	h := &evidenceHandler{svc: svc, st: st, log: log, publicURL: publicURL, now: time.Now}
	return http.HandlerFunc(h.pdf)
}

// pack builds the pack of the request's dispute, answering the request
// itself when it cannot.
func (h *evidenceHandler) pack(w http.ResponseWriter, r *http.Request) (evidence.Pack, bool) {
	seller, ok := RequestSeller(w, r)
	if !ok {
		return evidence.Pack{}, false
	}
	imageURL := func(proofID, kind string) string { return monitor.ProofImageURL(h.publicURL, proofID, kind) }
	p, err := h.svc.EvidencePack(r.Context(), seller, r.PathValue("id"), h.now(), imageURL)
	if err != nil {
		h.fail(w, r, "evidence pack", err)
		return evidence.Pack{}, false
	}
	return p, true
}

func (h *evidenceHandler) pdf(w http.ResponseWriter, r *http.Request) {
	p, ok := h.pack(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := evidence.RenderPDF(&buf, p); err != nil {
		h.fail(w, r, "render evidence pdf", err)
		return
	}
	h.send(w, "application/pdf", "evidence-"+p.Dispute.ID+".pdf", buf.Bytes())
}

func (h *evidenceHandler) json(w http.ResponseWriter, r *http.Request) {
	p, ok := h.pack(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		h.fail(w, r, "encode evidence json", err)
		return
	}
	h.send(w, "application/json", "evidence-"+p.Dispute.ID+".json", buf.Bytes())
}

// send writes a generated document. Packs hold personal data and change
// with every generation: nothing may cache them.
func (h *evidenceHandler) send(w http.ResponseWriter, contentType, filename string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `inline; filename="`+filename+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(body) //nolint:errcheck // the client went away
}

func (h *evidenceHandler) image(w http.ResponseWriter, r *http.Request, kind string) {
	seller, ok := RequestSeller(w, r)
	if !ok {
		return
	}
	img, err := h.st.ProofImage(r.Context(), seller.ID, r.PathValue("id"), kind)
	if err != nil {
		h.fail(w, r, "proof image", err)
		return
	}
	// Evidence never changes: its digest is a perfect validator, and a
	// private cache may keep it.
	w.Header().Set("Content-Type", img.ContentType)
	w.Header().Set("ETag", `"`+digestHex(img.Data)+`"`)
	w.Header().Set("Cache-Control", "private, max-age=86400, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(img.Data))
}

// fail answers an error: 404 for what the seller does not have, else 500
// with the request id, logged; never the error's text.
func (h *evidenceHandler) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
		return
	}
	id := auth.RequestID(r.Context())
	h.log.ErrorContext(r.Context(), what, "request_id", id, "err", err)
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error (request " + id + ")"})
}

func digestHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
