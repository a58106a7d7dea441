package dashboard

import (
	"net/http"
	"sort"
	"time"

	"github.com/shipwatch/shipwatch/internal/pubsub"
)

// liveFlag is a flag as the live stream sends it to the flags page.
type liveFlag struct {
	ID             string `json:"id"`
	Kind           string `json:"kind"`
	KindLabel      string `json:"kindLabel"`
	Severity       string `json:"severity"`
	Message        string `json:"message"`
	RaisedAt       string `json:"raisedAt"`
	ShipmentID     string `json:"shipmentId"`
	OrderID        string `json:"orderId"`
	TrackingNumber string `json:"trackingNumber"`
}

// PingInterval keeps an idle stream's connection open through proxies.
var PingInterval = 25 * time.Second

// live streams the flags raised on the seller's shipments, by any replica,
// as server-sent events: the same announcements as Subscription.flagRaised,
// loaded for this seller only. The stream ends when the session's API key
// is revoked.
func (h *Dashboard) live(w http.ResponseWriter, r *http.Request, s session) {
	ctx := r.Context()
	if h.d.PubSub == nil {
		http.Error(w, "live updates are not available", http.StatusServiceUnavailable)
		return
	}
	msgs := h.d.PubSub.Subscribe(ctx, pubsub.TopicFlagRaised, s.Seller.ID)
	revoked := h.d.PubSub.WatchKey(ctx, s.Seller.ID, s.KeyPrefix)
	sse, ok := startSSE(w, r)
	if !ok {
		return
	}
	data := h.data(s, "", "", nil)
	tick := time.NewTicker(PingInterval)
	defer tick.Stop()
	if err := sse.send("ready", map[string]string{}); err != nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-revoked:
			sse.send("ended", map[string]string{"reason": "the session's API key was revoked"}) //nolint:errcheck // closing anyway
			return
		case <-tick.C:
			if err := sse.ping(); err != nil {
				return
			}
		case m, ok := <-msgs:
			if !ok {
				return
			}
			flags, err := h.d.Store.FlagsByID(ctx, s.Seller.ID, m.IDs)
			if err != nil {
				h.d.Log.ErrorContext(ctx, "dashboard live: load flags", "err", err)
				continue
			}
			sort.Slice(flags, func(i, j int) bool { return flags[i].RaisedAt.Before(flags[j].RaisedAt) })
			rows, err := h.flagRows(r, s.Seller.ID, flags)
			if err != nil {
				h.d.Log.ErrorContext(ctx, "dashboard live: load shipments", "err", err)
				continue
			}
			for _, f := range rows {
				ev := liveFlag{ID: f.ID, Kind: string(f.Kind), KindLabel: label(string(f.Kind)), Severity: string(f.Severity),
					Message: f.Message, RaisedAt: data.When(f.RaisedAt), ShipmentID: f.ShipmentID, OrderID: f.OrderID,
					TrackingNumber: f.TrackingNumber}
				if err := sse.send("flag", ev); err != nil {
					return
				}
			}
		}
	}
}
