package monitor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"github.com/shipwatch/shipwatch/internal/flag"
	"github.com/shipwatch/shipwatch/internal/jobs"
	"github.com/shipwatch/shipwatch/internal/netguard"
	"github.com/shipwatch/shipwatch/internal/notify"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// WithEndpointGuard sets the guard that refuses notification endpoints in
// the operator's networks (by default, a guard that allows no private
// range).
func WithEndpointGuard(g *netguard.Guard) Option { return func(s *Service) { s.guard = g } }

// SetNotificationEndpoint sets the seller's notification endpoint and
// returns it with a new signing secret, which is shown this once: only its
// sealed form is stored. Setting it again replaces the URL and the secret.
// The URL must reach the seller's back office on the internet: loopback,
// private, link-local, multicast and metadata addresses, literal or
// resolved, are refused unless the operator allowed their range (and the
// delivery checks again on the address it dials).
func (s *Service) SetNotificationEndpoint(ctx context.Context, sellerID, rawURL string) (store.NotificationEndpoint, string, error) {
	rawURL = strings.TrimSpace(rawURL)
	u, err := url.Parse(rawURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "":
		return store.NotificationEndpoint{}, "", &shipment.FieldError{Field: "url", Message: "must be an http:// or https:// URL with a host"}
	case len(rawURL) > 2000:
		return store.NotificationEndpoint{}, "", &shipment.FieldError{Field: "url", Message: "is longer than 2000 characters"}
	case u.User != nil:
		return store.NotificationEndpoint{}, "", &shipment.FieldError{Field: "url", Message: "must not carry a user or password: requests are signed instead"}
	}
	if err := s.guard.CheckURL(ctx, u); err != nil {
		return store.NotificationEndpoint{}, "", &shipment.FieldError{Field: "url", Message: err.Error()}
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return store.NotificationEndpoint{}, "", fmt.Errorf("signing secret: %w", err)
	}
	signing := "swsec_" + hex.EncodeToString(raw[:])
	sealed, err := s.key.Seal([]byte(signing), []byte(notify.SecretContext))
	if err != nil {
		return store.NotificationEndpoint{}, "", fmt.Errorf("seal signing secret: %w", err)
	}
	ep, err := s.store.SetNotificationEndpoint(ctx, sellerID, u.String(), sealed)
	if err != nil {
		return store.NotificationEndpoint{}, "", err
	}
	return ep, signing, nil
}

// notifyFlags records a notification per raised and resolved flag of the
// sellers with an endpoint, and enqueues their delivery. An account flag
// (no shipment) is sent without a shipment.
func (s *Service) notifyFlags(ctx context.Context, tx *sqlx.Tx, raised, resolved []flag.Flag) error {
	type event struct {
		typ  string
		flag flag.Flag
	}
	var events []event
	for _, f := range raised {
		events = append(events, event{notify.EventFlagRaised, f})
	}
	for _, f := range resolved {
		events = append(events, event{notify.EventFlagResolved, f})
	}
	sellers := map[string][]string{} // seller -> shipment ids
	for _, e := range events {
		ids := sellers[e.flag.SellerID]
		if e.flag.ShipmentID != "" {
			ids = append(ids, e.flag.ShipmentID)
		}
		sellers[e.flag.SellerID] = ids
	}
	notified, shipments, err := s.notifiedShipments(ctx, tx, sellers)
	if err != nil || len(notified) == 0 {
		return err
	}
	var ds []store.NewDelivery
	for _, e := range events {
		f := e.flag
		p := notify.Payload{Type: e.typ, SellerID: f.SellerID,
			Flag: &notify.Flag{ID: f.ID, Kind: f.Kind, Severity: f.Severity, Message: f.Message, Subject: f.Subject,
				RaisedAt: f.RaisedAt, ResolvedAt: f.ResolvedAt, Resolution: f.Resolution, ResolutionNote: f.ResolutionNote}}
		if !notified[f.SellerID] {
			continue
		}
		if f.ShipmentID != "" {
			sh, ok := shipments[f.ShipmentID]
			if !ok {
				continue
			}
			p.Shipment = payloadShipment(sh)
		}
		d, err := s.newDelivery(p)
		if err != nil {
			return err
		}
		ds = append(ds, d)
	}
	return s.enqueueDeliveries(ctx, tx, ds)
}

// notifyStatus records a notification per status change when the seller
// has an endpoint, and enqueues their delivery.
func (s *Service) notifyStatus(ctx context.Context, tx *sqlx.Tx, sellerID string, changes []store.StatusChange) error {
	ids := make([]string, len(changes))
	for i, c := range changes {
		ids[i] = c.ShipmentID
	}
	_, shipments, err := s.notifiedShipments(ctx, tx, map[string][]string{sellerID: ids})
	if err != nil || len(shipments) == 0 {
		return err
	}
	var ds []store.NewDelivery
	for _, c := range changes {
		sh, ok := shipments[c.ShipmentID]
		if !ok {
			continue
		}
		d, err := s.newDelivery(notify.Payload{
			Type: notify.EventStatusChanged, SellerID: sellerID, Shipment: payloadShipment(sh), PreviousStatus: c.From,
		})
		if err != nil {
			return err
		}
		ds = append(ds, d)
	}
	return s.enqueueDeliveries(ctx, tx, ds)
}

// notifiedShipments returns, inside tx, the sellers that have an endpoint
// and their given shipments; the other sellers get no notification.
func (s *Service) notifiedShipments(ctx context.Context, tx *sqlx.Tx, sellers map[string][]string) (map[string]bool, map[string]store.Shipment, error) {
	ids := make([]string, 0, len(sellers))
	for id := range sellers {
		ids = append(ids, id)
	}
	notified, err := s.store.NotifiedSellers(ctx, tx, ids)
	if err != nil || len(notified) == 0 {
		return nil, nil, err
	}
	out := map[string]store.Shipment{}
	for seller := range notified {
		if len(sellers[seller]) == 0 {
			continue
		}
		list, err := s.store.ShipmentsByIDTx(ctx, tx, seller, sellers[seller])
		if err != nil {
			return nil, nil, err
		}
		for _, sh := range list {
			out[sh.ID] = sh
		}
	}
	return notified, out, nil
}

// newDelivery gives a payload its id and time and encodes it: the bytes
// stored are the bytes signed and sent, on every attempt.
func (s *Service) newDelivery(p notify.Payload) (store.NewDelivery, error) {
	p.ID, p.CreatedAt = notify.NewID(), s.now().UTC()
	body, err := json.Marshal(p)
	if err != nil {
		return store.NewDelivery{}, fmt.Errorf("encode notification: %w", err)
	}
	return store.NewDelivery{ID: p.ID, SellerID: p.SellerID, Event: p.Type, Payload: body}, nil
}

func (s *Service) enqueueDeliveries(ctx context.Context, tx *sqlx.Tx, ds []store.NewDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	if err := s.store.InsertDeliveries(ctx, tx, ds); err != nil {
		return err
	}
	params := make([]river.InsertManyParams, len(ds))
	for i, d := range ds {
		params[i] = river.InsertManyParams{Args: jobs.DeliverArgs{SellerID: d.SellerID, DeliveryID: d.ID}}
	}
	if _, err := s.jobs.InsertManyFastTx(ctx, tx.Tx, params); err != nil {
		return fmt.Errorf("enqueue deliveries: %w", err)
	}
	return nil
}

func payloadShipment(sh store.Shipment) notify.Shipment {
	return notify.Shipment{ID: sh.ID, OrderID: sh.OrderID, TrackingNumber: sh.TrackingNumber, Carrier: sh.Carrier,
		Status: sh.Status, ShipBy: sh.ShipBy, DeliverBy: sh.DeliverBy, LastEventAt: sh.LastEventAt}
}
