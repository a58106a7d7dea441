package dashboard

import (
	"net/http"
	"strings"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// shipmentsView is the shipments page: a search by order id or tracking
// number, or the newest shipments.
type shipmentsView struct {
	Query string
	Rows  []store.Shipment
	Next  string
}

// shipmentsPage searches the seller's shipments: a tracking number as the
// API's shipmentsByTrackingNumber reads it (normalised), or an order id
// exactly; without a search, the newest first.
func (h *Dashboard) shipmentsPage(w http.ResponseWriter, r *http.Request, s session) {
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	v := shipmentsView{Query: q}
	if q == "" {
		var after store.Cursor
		if a := r.URL.Query().Get("after"); a != "" {
			c, err := store.DecodeCursor(a)
			if err != nil {
				h.badRequest(w, r, s, "That page link is not valid: go back to the first page.")
				return
			}
			after = c
		}
		page, err := h.d.Store.Shipments(ctx, s.Seller.ID, store.ShipmentFilter{}, pageSize, after)
		if err != nil {
			h.fail(w, r, "shipments", err)
			return
		}
		v.Rows = page.Items
		if page.HasNext {
			v.Next = "/app/shipments?after=" + page.Cursors[len(page.Cursors)-1].Encode()
		}
		h.pages.render(w, r, http.StatusOK, "shipments", h.data(s, "shipments", "Shipments", v))
		return
	}
	seen := map[string]bool{}
	if n := tracking.Normalize(q); n != "" {
		list, err := h.d.Store.ShipmentsByTrackingNumber(ctx, s.Seller.ID, n)
		if err != nil {
			h.fail(w, r, "shipments by number", err)
			return
		}
		for _, sh := range list {
			seen[sh.ID] = true
			v.Rows = append(v.Rows, sh)
		}
	}
	page, err := h.d.Store.Shipments(ctx, s.Seller.ID, store.ShipmentFilter{OrderID: q}, pageSize, store.Cursor{})
	if err != nil {
		h.fail(w, r, "shipments by order", err)
		return
	}
	for _, sh := range page.Items {
		if !seen[sh.ID] {
			v.Rows = append(v.Rows, sh)
		}
	}
	if len(v.Rows) == 1 {
		http.Redirect(w, r, "/app/shipments/"+v.Rows[0].ID, http.StatusSeeOther)
		return
	}
	h.pages.render(w, r, http.StatusOK, "shipments", h.data(s, "shipments", "Shipments", v))
}

// shipmentView is one shipment's page.
type shipmentView struct {
	Shipment store.Shipment
	Check    tracking.Result
	Events   []store.Event
	More     bool
	Flags    []flag.Flag
	Proofs   []store.Proof
	Disputes []store.Dispute
	Kinds    []string
	// ScanPlaces is where the delivery scan a carrier's proof came from
	// happened, by proof id: a carrier rarely gives more.
	ScanPlaces map[string]string
}

// maxTimeline is how many events the shipment page shows; a longer
// timeline says so and the API pages through the rest.
const maxTimeline = 500

// shipmentPage shows a shipment with its timeline (each event's source),
// its flags, its proofs of delivery and its disputes, read as the API's
// Shipment fields read them.
func (h *Dashboard) shipmentPage(w http.ResponseWriter, r *http.Request, s session) {
	ctx := r.Context()
	sh, err := h.d.Store.Shipment(ctx, s.Seller.ID, r.PathValue("id"))
	if err != nil {
		h.badRequestOr(w, r, s, "shipment", err)
		return
	}
	v := shipmentView{Shipment: sh, Kinds: disputeKinds}
	if sh.TrackingNumber != "" {
		v.Check = tracking.Check(sh.TrackingNumber, sh.Carrier)
	}
	if sh.NormalizedTrackingNumber != "" {
		page, err := h.d.Store.Events(ctx, s.Seller.ID, sh.NormalizedTrackingNumber, maxTimeline, store.Cursor{})
		if err != nil {
			h.fail(w, r, "timeline", err)
			return
		}
		v.Events, v.More = page.Items, page.HasNext
	}
	flags, err := h.d.Store.Flags(ctx, s.Seller.ID, store.FlagFilter{ShipmentID: sh.ID}, 100, store.Cursor{})
	if err != nil {
		h.fail(w, r, "shipment flags", err)
		return
	}
	v.Flags = flags.Items
	proofs, err := h.d.Store.ProofsOf(ctx, s.Seller.ID, []store.ChainRef{store.ChainOf(sh)})
	if err != nil {
		h.fail(w, r, "proofs", err)
		return
	}
	v.Proofs = proofs[store.ChainOf(sh)]
	v.ScanPlaces = map[string]string{}
	for _, p := range v.Proofs {
		for _, e := range v.Events {
			if p.EventID != nil && *p.EventID == e.ID {
				v.ScanPlaces[p.ID] = strings.TrimSpace(strings.Join(strings.Fields(e.City+" "+e.Region+" "+e.PostalCode), " "))
			}
		}
	}
	disputes, err := h.d.Store.Disputes(ctx, s.Seller.ID, store.DisputeFilter{ShipmentID: sh.ID}, 100, store.Cursor{})
	if err != nil {
		h.fail(w, r, "disputes", err)
		return
	}
	v.Disputes = disputes.Items
	h.pages.render(w, r, http.StatusOK, "shipment", h.data(s, "shipments", "Order "+sh.OrderID, v))
}
