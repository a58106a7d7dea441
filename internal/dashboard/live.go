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
	// Subject is an account flag's (PROJECTED_MISS) subject, SubjectLabel
	// it in words and SubjectURL the page that shows it; "" for a
	// shipment flag.
	Subject      string `json:"subject,omitempty"`
	SubjectLabel string `json:"subjectLabel,omitempty"`
	SubjectURL   string `json:"subjectUrl,omitempty"`
	// AcknowledgedAt and ResolvedAt are "" while the flag is not
	// acknowledged or resolved; Resolution is AUTO or MANUAL once resolved.
	AcknowledgedAt string `json:"acknowledgedAt,omitempty"`
	ResolvedAt     string `json:"resolvedAt,omitempty"`
	Resolution     string `json:"resolution,omitempty"`
	ResolutionNote string `json:"resolutionNote,omitempty"`
}

// liveEvents names the server-sent event of each topic the flags page
// follows.
var liveEvents = map[string]string{
	pubsub.TopicFlagRaised:       "flag",
	pubsub.TopicFlagResolved:     "resolved",
	pubsub.TopicFlagAcknowledged: "acknowledged",
}

// PingInterval keeps an idle stream's connection open through proxies.
var PingInterval = 25 * time.Second

// live streams what happens to the flags of the seller's shipments, by any
// replica, as server-sent events: a flag raised ("flag"), resolved
// automatically or by hand ("resolved"), or marked seen ("acknowledged").
// They are the announcements Subscription.flagRaised follows, on one
// subscription so they arrive in commit order, each loaded for this seller
// only, with the flag as it is when loaded. The stream ends when the
// session's API key is revoked.
func (h *Dashboard) live(w http.ResponseWriter, r *http.Request, s session) {
	ctx := r.Context()
	if h.d.PubSub == nil {
		http.Error(w, "live updates are not available", http.StatusServiceUnavailable)
		return
	}
	msgs := h.d.PubSub.SubscribeTopics(ctx, s.Seller.ID, pubsub.TopicFlagRaised, pubsub.TopicFlagResolved, pubsub.TopicFlagAcknowledged)
	revoked := h.d.PubSub.WatchKey(ctx, s.Seller.ID, s.KeyPrefix)
	sse, ok := startSSE(w, r)
	if !ok {
		return
	}
	data := h.data(s, "", "", nil) // times in the seller's zone
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
			events, err := h.liveFlags(r, s.Seller.ID, data, m.IDs)
			if err != nil {
				h.d.Log.ErrorContext(ctx, "dashboard live: load flags", "topic", m.Topic, "err", err)
				continue
			}
			for _, ev := range events {
				if err := sse.send(liveEvents[m.Topic], ev); err != nil {
					return
				}
			}
		}
	}
}

// liveFlags loads the seller's flags with these ids, oldest raised first,
// with their orders, as the stream sends them.
func (h *Dashboard) liveFlags(r *http.Request, sellerID string, data pageData, ids []string) ([]liveFlag, error) {
	flags, err := h.d.Store.FlagsByID(r.Context(), sellerID, ids)
	if err != nil {
		return nil, err
	}
	sort.Slice(flags, func(i, j int) bool { return flags[i].RaisedAt.Before(flags[j].RaisedAt) })
	rows, err := h.flagRows(r, sellerID, flags)
	if err != nil {
		return nil, err
	}
	out := make([]liveFlag, len(rows))
	for i, f := range rows {
		ev := liveFlag{ID: f.ID, Kind: string(f.Kind), KindLabel: label(string(f.Kind)), Severity: string(f.Severity),
			Message: f.Message, RaisedAt: data.When(f.RaisedAt), ShipmentID: f.ShipmentID, OrderID: f.OrderID,
			TrackingNumber: f.TrackingNumber, Subject: f.Subject, SubjectLabel: f.SubjectLabel, SubjectURL: f.SubjectURL, Resolution: string(f.Resolution), ResolutionNote: f.ResolutionNote}
		if f.AcknowledgedAt != nil {
			ev.AcknowledgedAt = data.When(*f.AcknowledgedAt)
		}
		if f.ResolvedAt != nil {
			ev.ResolvedAt = data.When(*f.ResolvedAt)
		}
		out[i] = ev
	}
	return out, nil
}
