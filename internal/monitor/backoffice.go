package monitor

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shipwatch/shipwatch/internal/clip"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
	"github.com/shipwatch/shipwatch/internal/tracking"
)

// EventInput is one carrier event a seller's back office reports, for the
// shipment with ShipmentID or for TrackingNumber. Event.TrackingNumber and
// Event.Source are filled in here.
type EventInput struct {
	ShipmentID     string
	TrackingNumber string
	Carrier        string
	Event          shipment.Event
}

// EventItemError says why one item of a batch of events was refused.
type EventItemError struct {
	Index int
	*shipment.FieldError
	// NotFound is set when ShipmentID names no shipment of the seller.
	NotFound bool
}

// RecordResult is what recording a batch of back-office events did.
type RecordResult struct {
	Recorded, Duplicates int
	Errors               []EventItemError
	// Shipments are those the recorded events apply to, after them.
	Shipments []store.Shipment
}

// Limits on back-office event text, like those on shipments.
const (
	maxEventText        = 1000
	maxEventShortText   = 200
	maxPhotoURLLen      = 2048
	maxFutureEventSlack = 24 * time.Hour
	maxResultShipments  = 5000
)

// RecordBackOfficeEvents validates and records carrier events reported by
// the seller's own systems. Each item succeeds or fails on its own. An
// event for a number no shipment carries yet is kept and attaches later.
func (s *Service) RecordBackOfficeEvents(ctx context.Context, sellerID string, items []EventInput) (RecordResult, error) {
	var res RecordResult
	if len(items) > MaxBatch {
		return res, &shipment.FieldError{Field: "input", Message: fmt.Sprintf("has %d items; at most %d at once", len(items), MaxBatch)}
	}
	now := s.now()
	events := make([]*shipment.Event, len(items))
	fail := func(i int, field, msg string, notFound bool) {
		events[i] = nil
		res.Errors = append(res.Errors, EventItemError{Index: i, FieldError: &shipment.FieldError{Field: field, Message: msg}, NotFound: notFound})
	}
	var ids []string
	for i, in := range items {
		e, ferr := backOfficeEvent(in, now)
		if ferr != nil {
			fail(i, ferr.Field, ferr.Message, false)
			continue
		}
		events[i] = &e
		if in.ShipmentID = strings.TrimSpace(in.ShipmentID); in.ShipmentID != "" && store.IsUUID(in.ShipmentID) {
			ids = append(ids, in.ShipmentID)
		}
	}
	byID, err := s.shipmentsByID(ctx, sellerID, ids)
	if err != nil {
		return res, err
	}
	var valid []shipment.Event
	for i, in := range items {
		e := events[i]
		if e == nil {
			continue
		}
		if id := strings.TrimSpace(in.ShipmentID); id != "" {
			sh, ok := byID[id]
			switch {
			case !ok:
				fail(i, "shipmentId", "no shipment with this id", true)
				continue
			case sh.NormalizedTrackingNumber == "":
				fail(i, "shipmentId", "the shipment has no tracking number: set one before recording its events", false)
				continue
			case e.TrackingNumber != "" && tracking.Normalize(e.TrackingNumber) != sh.NormalizedTrackingNumber:
				fail(i, "trackingNumber", "is not the tracking number of the shipment named by shipmentId", false)
				continue
			}
			e.TrackingNumber = sh.TrackingNumber
			if e.Carrier == "" {
				e.Carrier = sh.Carrier
			}
		}
		valid = append(valid, *e)
	}
	slices.SortFunc(res.Errors, func(a, b EventItemError) int { return a.Index - b.Index })
	if len(valid) == 0 {
		res.Shipments = []store.Shipment{}
		return res, nil
	}
	out, err := s.RecordEvents(ctx, sellerID, valid)
	if err != nil {
		return RecordResult{}, err
	}
	res.Recorded, res.Duplicates = len(out.Inserted), out.Duplicates
	numbers := map[string]bool{}
	var list []string
	for _, e := range valid {
		if n := tracking.Normalize(e.TrackingNumber); !numbers[n] {
			numbers[n] = true
			list = append(list, n)
		}
	}
	if res.Shipments, err = s.store.ShipmentsByTrackingNumbers(ctx, sellerID, list, maxResultShipments); err != nil {
		return RecordResult{}, err
	}
	return res, nil
}

func (s *Service) shipmentsByID(ctx context.Context, sellerID string, ids []string) (map[string]store.Shipment, error) {
	out := map[string]store.Shipment{}
	if len(ids) == 0 {
		return out, nil
	}
	list, err := s.store.ShipmentsByID(ctx, sellerID, ids)
	if err != nil {
		return nil, err
	}
	for _, sh := range list {
		out[sh.ID] = sh
	}
	return out, nil
}

// backOfficeEvent checks one item and returns its event.
func backOfficeEvent(in EventInput, now time.Time) (shipment.Event, *shipment.FieldError) {
	e := in.Event
	e.Source = shipment.SourceBackOffice
	e.ProviderStatus, e.ProviderDetail = "", ""
	e.TrackingNumber = strings.TrimSpace(in.TrackingNumber)
	e.CarrierStatus = strings.TrimSpace(e.CarrierStatus)
	e.Description = strings.TrimSpace(e.Description)
	e.SignedBy = strings.TrimSpace(e.SignedBy)
	e.PhotoURL = strings.TrimSpace(e.PhotoURL)
	e.Location = shipment.Location{
		City:       strings.TrimSpace(e.Location.City),
		Region:     strings.TrimSpace(e.Location.Region),
		PostalCode: strings.TrimSpace(e.Location.PostalCode),
		Country:    strings.ToUpper(strings.TrimSpace(e.Location.Country)),
	}
	if strings.TrimSpace(in.ShipmentID) == "" && e.TrackingNumber == "" {
		return e, &shipment.FieldError{Field: "trackingNumber", Message: "is required when shipmentId is not given"}
	}
	if e.TrackingNumber != "" {
		switch {
		case len(e.TrackingNumber) > shipment.MaxTrackingNumberLen:
			return e, &shipment.FieldError{Field: "trackingNumber", Message: fmt.Sprintf("is longer than %d characters", shipment.MaxTrackingNumberLen)}
		case tracking.Normalize(e.TrackingNumber) == "":
			return e, &shipment.FieldError{Field: "trackingNumber", Message: "has no letters or digits"}
		}
	}
	if c := strings.TrimSpace(in.Carrier); c != "" {
		code, ok := tracking.ResolveCarrier(c)
		if !ok {
			return e, &shipment.FieldError{Field: "carrier", Message: clip.Quote(c) + " is not a known carrier"}
		}
		e.Carrier = code
	}
	if !e.Status.Valid() {
		return e, &shipment.FieldError{Field: "status", Message: clip.Quote(string(e.Status)) + " is not a shipment status"}
	}
	if e.OccurredAt.IsZero() {
		return e, &shipment.FieldError{Field: "occurredAt", Message: "is required"}
	}
	if e.OccurredAt.After(now.Add(maxFutureEventSlack)) {
		// It would stay the latest event, and so decide the status, for good.
		return e, &shipment.FieldError{Field: "occurredAt", Message: "is more than a day in the future"}
	}
	for _, f := range []struct {
		field, value string
		max          int
	}{
		{"carrierStatus", e.CarrierStatus, maxEventShortText},
		{"description", e.Description, maxEventText},
		{"location.city", e.Location.City, maxEventShortText},
		{"location.region", e.Location.Region, maxEventShortText},
		{"location.postalCode", e.Location.PostalCode, shipment.MaxPostalCodeLen},
		{"signedBy", e.SignedBy, maxEventShortText},
	} {
		if utf8.RuneCountInString(f.value) > f.max {
			return e, &shipment.FieldError{Field: f.field, Message: fmt.Sprintf("is longer than %d characters", f.max)}
		}
	}
	if c := e.Location.Country; c != "" && !isCountryCode(c) {
		return e, &shipment.FieldError{Field: "location.country", Message: clip.Quote(c) + " is not an ISO 3166 alpha-2 or alpha-3 country code"}
	}
	if e.PhotoURL != "" {
		u, err := url.Parse(e.PhotoURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(e.PhotoURL) > maxPhotoURLLen {
			return e, &shipment.FieldError{Field: "photoUrl", Message: "is not an http(s) URL of at most 2048 characters"}
		}
	}
	return e, nil
}

func isCountryCode(s string) bool {
	if len(s) != 2 && len(s) != 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
