package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/health"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// pageSize is how many rows a dashboard list shows at once.
const pageSize = 50

// kindCount is one line of the open-flags summary.
type kindCount struct {
	Kind     flag.Kind
	Severity flag.Severity
	Open     int
}

// flagRow is a flag with what it is about: the order of a shipment flag,
// or, for an account flag, its subject in words and the page that shows it.
type flagRow struct {
	flag.Flag
	OrderID, TrackingNumber  string
	SubjectLabel, SubjectURL string
}

// flagsView is the flags page.
type flagsView struct {
	Kinds      []kindCount
	Kind       string
	Severity   string
	State      string
	Rows       []flagRow
	Total      int
	Next       string
	Severities []flag.Severity
	Back       string
	// Shown is the kinds the list shows, space-separated: the page's
	// script puts a flag raised live in the list only if its kind is one.
	Shown string
}

// flagFilter reads the page's filters: a kind, a severity (the kinds of
// that severity, the catalogue's and the account kinds) and open, resolved
// or all.
func flagFilter(q url.Values) (store.FlagFilter, string, string, string) {
	var f store.FlagFilter
	kind, sev, state := q.Get("kind"), q.Get("severity"), q.Get("state")
	for _, e := range flag.Kinds() {
		if (kind == "" || string(e.Kind) == kind) && (sev == "" || string(e.Severity) == sev) {
			f.Kinds = append(f.Kinds, e.Kind)
		}
	}
	if len(f.Kinds) == 0 { // an unknown kind or severity matches nothing
		f.Kinds = []flag.Kind{"NONE"}
	}
	switch state {
	case "resolved":
		open := false
		f.Open = &open
	case "all":
	default:
		state = "open"
		open := true
		f.Open = &open
	}
	return f, kind, sev, state
}

// flagsPage lists the seller's flags, open ones first by default, with a
// summary of open flags by kind and severity, and the forms to
// acknowledge and resolve each. Flags raised, resolved or acknowledged
// elsewhere change the page live (app.js, /app/live).
func (h *Dashboard) flagsPage(w http.ResponseWriter, r *http.Request, s session) {
	ctx := r.Context()
	q := r.URL.Query()
	f, kind, sev, state := flagFilter(q)
	var after store.Cursor
	if a := q.Get("after"); a != "" {
		c, err := store.DecodeCursor(a)
		if err != nil {
			h.badRequest(w, r, s, "That page link is not valid: go back to the first page.")
			return
		}
		after = c
	}
	page, err := h.d.Store.Flags(ctx, s.Seller.ID, f, pageSize, after)
	if err != nil {
		h.fail(w, r, "flags", err)
		return
	}
	total, err := h.d.Store.CountFlags(ctx, s.Seller.ID, f)
	if err != nil {
		h.fail(w, r, "count flags", err)
		return
	}
	v := flagsView{Kind: kind, Severity: sev, State: state, Total: total, Back: r.URL.RequestURI(),
		Severities: []flag.Severity{flag.Critical, flag.Warning, flag.Info}}
	for i, k := range f.Kinds {
		if i > 0 {
			v.Shown += " "
		}
		v.Shown += string(k)
	}
	open := true
	for _, e := range flag.Kinds() {
		n, err := h.d.Store.CountFlags(ctx, s.Seller.ID, store.FlagFilter{Kinds: []flag.Kind{e.Kind}, Open: &open})
		if err != nil {
			h.fail(w, r, "count flags", err)
			return
		}
		v.Kinds = append(v.Kinds, kindCount{Kind: e.Kind, Severity: e.Severity, Open: n})
	}
	if v.Rows, err = h.flagRows(r, s.Seller.ID, page.Items); err != nil {
		h.fail(w, r, "flags' shipments", err)
		return
	}
	if page.HasNext {
		nq := url.Values{"kind": {kind}, "severity": {sev}, "state": {state}, "after": {page.Cursors[len(page.Cursors)-1].Encode()}}
		v.Next = "/app/flags?" + nq.Encode()
	}
	h.pages.render(w, r, http.StatusOK, "flags", h.data(s, "flags", "Flags", v))
}

// flagRows joins flags to their shipments' order ids, in one query; an
// account flag (PROJECTED_MISS) has none.
func (h *Dashboard) flagRows(r *http.Request, sellerID string, flags []flag.Flag) ([]flagRow, error) {
	ids := make([]string, 0, len(flags))
	for _, f := range flags {
		if f.ShipmentID != "" { // an account flag has none
			ids = append(ids, f.ShipmentID)
		}
	}
	list, err := h.d.Store.ShipmentsByID(r.Context(), sellerID, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]store.Shipment, len(list))
	for _, sh := range list {
		byID[sh.ID] = sh
	}
	rows := make([]flagRow, len(flags))
	for i, f := range flags {
		sh := byID[f.ShipmentID]
		rows[i] = flagRow{Flag: f, OrderID: sh.OrderID, TrackingNumber: sh.TrackingNumber}
		if f.ShipmentID == "" {
			rows[i].SubjectLabel, rows[i].SubjectURL = subject(f.Subject)
		}
	}
	return rows, nil
}

// subject says what an account flag is about, in words, and links to the
// account-health page of its marketplace and window, where its projection
// and save queue are: "Amazon valid tracking rate over 7 days". A subject
// of another form is shown as it is, linked to the account-health page.
func subject(s string) (text, link string) {
	m, metric, days, ok := health.ParseSubject(s)
	if !ok {
		return s, "/app/health"
	}
	q := url.Values{"marketplace": {string(m)}, "days": {strconv.Itoa(days)}}
	return label(string(m)) + " " + strings.ToLower(label(string(metric))) + " over " + strconv.Itoa(days) + " days",
		"/app/health?" + q.Encode()
}

// back is where a form returns to: the page it was sent from, on the
// dashboard only.
func back(r *http.Request, fallback string) string {
	if b := r.PostFormValue("back"); strings.HasPrefix(b, "/app/") && !strings.HasPrefix(b, "//") && !strings.ContainsAny(b, "\\\r\n") {
		return b
	}
	return fallback
}

// acknowledge marks a flag seen (as Mutation.acknowledgeFlag).
func (h *Dashboard) acknowledge(w http.ResponseWriter, r *http.Request, s session) {
	if _, err := h.d.Monitor.AcknowledgeFlag(r.Context(), s.Seller.ID, r.PathValue("id")); err != nil {
		h.badRequestOr(w, r, s, "acknowledge flag", err)
		return
	}
	http.Redirect(w, r, back(r, "/app/flags"), http.StatusSeeOther)
}

// resolve resolves a flag by hand with a note (as Mutation.resolveFlag).
func (h *Dashboard) resolve(w http.ResponseWriter, r *http.Request, s session) {
	note := strings.TrimSpace(r.PostFormValue("note"))
	if note == "" {
		h.badRequest(w, r, s, "Say why the flag is resolved: the note is kept with it.")
		return
	}
	if _, err := h.d.Monitor.ResolveFlag(r.Context(), s.Seller.ID, r.PathValue("id"), note); err != nil {
		h.badRequestOr(w, r, s, "resolve flag", err)
		return
	}
	http.Redirect(w, r, back(r, "/app/flags"), http.StatusSeeOther)
}

// errorView is the page of a request that could not be done.
type errorView struct{ Message string }

// badRequest shows what was wrong with a request, with a way back.
func (h *Dashboard) badRequest(w http.ResponseWriter, r *http.Request, s session, msg string) {
	h.pages.render(w, r, http.StatusBadRequest, "error", h.data(s, "", "Not done", errorView{Message: msg}))
}

// badRequestOr shows a use case's input error or a missing row as such,
// and anything else as an internal error.
func (h *Dashboard) badRequestOr(w http.ResponseWriter, r *http.Request, s session, what string, err error) {
	var fe *shipment.FieldError
	switch {
	case errors.As(err, &fe):
		h.badRequest(w, r, s, label(fe.Field)+" "+fe.Message+".")
	case errors.Is(err, store.ErrNotFound):
		h.pages.render(w, r, http.StatusNotFound, "error", h.data(s, "", "Not found", errorView{Message: "There is no such " + strings.Fields(what)[len(strings.Fields(what))-1] + " in your account."}))
	default:
		h.fail(w, r, what, err)
	}
}
