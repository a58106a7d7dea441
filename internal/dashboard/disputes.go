package dashboard

import (
	"net/http"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// disputeKinds are the kinds the open form offers.
var disputeKinds = []string{string(shipment.DisputeNotReceived), string(shipment.DisputeAToZClaim),
	string(shipment.DisputeChargeback), string(shipment.DisputeDamaged), string(shipment.DisputeOther)}

// disputeRow is a dispute with the order it is about.
type disputeRow struct {
	store.Dispute
	OrderID string
}

// disputesView is the disputes page.
type disputesView struct {
	Rows  []disputeRow
	Next  string
	Kinds []string
	// Order prefills the open form (from a shipment's page).
	Order string
}

// disputesPage lists the seller's disputes, newest first, each with its
// evidence pack, under the form that opens one.
func (h *Dashboard) disputesPage(w http.ResponseWriter, r *http.Request, s session) {
	ctx := r.Context()
	var after store.Cursor
	if a := r.URL.Query().Get("after"); a != "" {
		c, err := store.DecodeCursor(a)
		if err != nil {
			h.badRequest(w, r, s, "That page link is not valid: go back to the first page.")
			return
		}
		after = c
	}
	page, err := h.d.Store.Disputes(ctx, s.Seller.ID, store.DisputeFilter{}, pageSize, after)
	if err != nil {
		h.fail(w, r, "disputes", err)
		return
	}
	ids := make([]string, len(page.Items))
	for i, d := range page.Items {
		ids[i] = d.ShipmentID
	}
	list, err := h.d.Store.ShipmentsByID(ctx, s.Seller.ID, ids)
	if err != nil {
		h.fail(w, r, "disputes' shipments", err)
		return
	}
	orders := map[string]string{}
	for _, sh := range list {
		orders[sh.ID] = sh.OrderID
	}
	v := disputesView{Kinds: disputeKinds, Order: r.URL.Query().Get("order")}
	for _, d := range page.Items {
		v.Rows = append(v.Rows, disputeRow{Dispute: d, OrderID: orders[d.ShipmentID]})
	}
	if page.HasNext {
		v.Next = "/app/disputes?after=" + page.Cursors[len(page.Cursors)-1].Encode()
	}
	h.pages.render(w, r, http.StatusOK, "disputes", h.data(s, "disputes", "Disputes", v))
}

// openDispute opens a dispute (as Mutation.openDispute) on the shipment a
// form names by its id, or by an order id or tracking number that names
// exactly one shipment.
func (h *Dashboard) openDispute(w http.ResponseWriter, r *http.Request, s session) {
	ctx := r.Context()
	shipmentID := r.PostFormValue("shipment_id")
	if shipmentID == "" {
		ref := strings.TrimSpace(r.PostFormValue("order"))
		if ref == "" {
			h.badRequest(w, r, s, "Name the order: its order id or tracking number.")
			return
		}
		found, err := h.findShipments(r, s.Seller.ID, ref)
		if err != nil {
			h.fail(w, r, "find shipment", err)
			return
		}
		switch len(found) {
		case 0:
			h.badRequest(w, r, s, "No shipment has the order id or tracking number "+ref+".")
			return
		case 1:
			shipmentID = found[0].ID
		default:
			h.badRequest(w, r, s, ref+" names several shipments: open the dispute from the shipment's own page (Shipments, then the order).")
			return
		}
	}
	in := shipment.DisputeInput{
		Kind: shipment.DisputeKind(r.PostFormValue("kind")), ExternalReference: r.PostFormValue("external_reference"),
		Amount: r.PostFormValue("amount"), Currency: r.PostFormValue("currency"), Note: r.PostFormValue("note"),
	}
	if by := strings.TrimSpace(r.PostFormValue("respond_by")); by != "" {
		loc := time.UTC
		if l, err := time.LoadLocation(s.Seller.TimeZone); err == nil {
			loc = l
		}
		t, err := time.ParseInLocation("2006-01-02T15:04", by, loc)
		if err != nil {
			h.badRequest(w, r, s, "Respond by must be a date and time, such as 2026-12-01 17:00.")
			return
		}
		in.RespondBy = &t
	}
	if _, err := h.d.Monitor.OpenDispute(ctx, s.Seller.ID, shipmentID, in); err != nil {
		h.badRequestOr(w, r, s, "open dispute", err)
		return
	}
	http.Redirect(w, r, "/app/disputes", http.StatusSeeOther)
}

// findShipments returns the shipments a reference names: by tracking
// number (normalised) or order id.
func (h *Dashboard) findShipments(r *http.Request, sellerID, ref string) ([]store.Shipment, error) {
	var out []store.Shipment
	seen := map[string]bool{}
	if n := tracking.Normalize(ref); n != "" {
		list, err := h.d.Store.ShipmentsByTrackingNumber(r.Context(), sellerID, n)
		if err != nil {
			return nil, err
		}
		for _, sh := range list {
			seen[sh.ID] = true
			out = append(out, sh)
		}
	}
	page, err := h.d.Store.Shipments(r.Context(), sellerID, store.ShipmentFilter{OrderID: ref}, 10, store.Cursor{})
	if err != nil {
		return nil, err
	}
	for _, sh := range page.Items {
		if !seen[sh.ID] {
			out = append(out, sh)
		}
	}
	return out, nil
}
