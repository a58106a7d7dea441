package carrier

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// FedEx Track API shapes (Track API 1.0, POST /track/v1/trackingnumbers):
// only the fields Shipwatch reads; every one is optional.
type fedexRequest struct {
	IncludeDetailedScans bool `json:"includeDetailedScans"`
	TrackingInfo         []struct {
		TrackingNumberInfo struct {
			TrackingNumber string `json:"trackingNumber"`
		} `json:"trackingNumberInfo"`
	} `json:"trackingInfo"`
}

type fedexResponse struct {
	Output struct {
		CompleteTrackResults []struct {
			TrackingNumber string `json:"trackingNumber"`
			TrackResults   []struct {
				ScanEvents []struct {
					Date                 string `json:"date"`
					EventType            string `json:"eventType"`
					EventDescription     string `json:"eventDescription"`
					DerivedStatusCode    string `json:"derivedStatusCode"`
					ExceptionDescription string `json:"exceptionDescription"`
					ScanLocation         *struct {
						City                string `json:"city"`
						StateOrProvinceCode string `json:"stateOrProvinceCode"`
						PostalCode          string `json:"postalCode"`
						CountryCode         string `json:"countryCode"`
					} `json:"scanLocation"`
				} `json:"scanEvents"`
				DeliveryDetails *struct {
					ReceivedByName string `json:"receivedByName"`
				} `json:"deliveryDetails"`
				EstimatedDeliveryTimeWindow *struct {
					Window *struct {
						Ends string `json:"ends"`
					} `json:"window"`
				} `json:"estimatedDeliveryTimeWindow"`
				Error *struct{ Code, Message string } `json:"error"`
			} `json:"trackResults"`
		} `json:"completeTrackResults"`
	} `json:"output"`
}

func (c *Client) trackFedEx(ctx context.Context, numbers []string) ([]Result, error) {
	var body fedexRequest
	body.IncludeDetailedScans = true
	body.TrackingInfo = make([]struct {
		TrackingNumberInfo struct {
			TrackingNumber string `json:"trackingNumber"`
		} `json:"trackingNumberInfo"`
	}, len(numbers))
	for i, n := range numbers {
		body.TrackingInfo[i].TrackingNumberInfo.TrackingNumber = n
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("FedEx track: %w", err)
	}
	_, raw, err := c.do(ctx, "FedEx track", func(string) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/track/v1/trackingnumbers", bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-locale", "en_US")
		return req, nil
	})
	if err != nil {
		return nil, err
	}
	return ParseFedEx(raw, numbers)
}

// ParseFedEx turns a FedEx Track API answer into one Result per number
// asked, in order. Scan dates carry their offset; one without is read at
// the scan's location.
func ParseFedEx(raw []byte, numbers []string) ([]Result, error) {
	var r fedexResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("FedEx answer: %w", err)
	}
	byNumber := map[string]*Result{}
	out := make([]Result, len(numbers))
	for i, n := range numbers {
		out[i] = Result{Number: n, NotFound: true, Reason: "FedEx returned nothing for this number"}
		byNumber[n] = &out[i]
	}
	for _, ctr := range r.Output.CompleteTrackResults {
		res, ok := byNumber[ctr.TrackingNumber]
		if !ok {
			continue
		}
		for _, tr := range ctr.TrackResults {
			if tr.Error != nil && tr.Error.Code != "" {
				res.Reason = strings.TrimSpace(tr.Error.Code + " " + tr.Error.Message)
				continue
			}
			var estimate *time.Time
			if w := tr.EstimatedDeliveryTimeWindow; w != nil && w.Window != nil && w.Window.Ends != "" {
				if t, err := time.Parse(time.RFC3339, w.Window.Ends); err == nil {
					estimate = &t
				}
			}
			for _, s := range tr.ScanEvents {
				var loc shipment.Location
				if s.ScanLocation != nil {
					loc = shipment.Location{City: s.ScanLocation.City, Region: s.ScanLocation.StateOrProvinceCode,
						PostalCode: s.ScanLocation.PostalCode, Country: s.ScanLocation.CountryCode}
				}
				at, local, ok := fedexTime(s.Date, loc)
				if !ok || !plausible(at) {
					continue
				}
				e := shipment.Event{TrackingNumber: ctr.TrackingNumber, Carrier: "fedex", OccurredAt: at, OccurredLocal: local,
					Status: fedexStatus(s.EventType), ProviderStatus: s.EventType, ProviderDetail: s.DerivedStatusCode,
					CarrierStatus: s.EventType, Description: orDefault(s.EventDescription, s.ExceptionDescription),
					Location: loc, EstimatedDeliveryAt: estimate, Source: shipment.SourceFedEx}
				if e.Status == shipment.StatusDelivered && tr.DeliveryDetails != nil {
					e.SignedBy = tr.DeliveryDetails.ReceivedByName
				}
				res.Events = append(res.Events, e)
			}
			if len(res.Events) > 0 {
				res.NotFound, res.Reason = false, ""
			}
		}
	}
	return out, nil
}

// fedexTime reads a scan date: RFC 3339 with its offset as FedEx documents
// it; a date without one is local to the scan and its text kept.
func fedexTime(v string, loc shipment.Location) (time.Time, string, bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), "", true
	}
	t, _, err := LocalTime("2006-01-02T15:04:05", v, loc.Country, loc.Region, loc.PostalCode)
	if err != nil {
		return time.Time{}, "", false
	}
	return t, v, true
}

// fedexStatus maps FedEx scan event types (Track API appendix): OC label
// created, PU picked up, OD on vehicle for delivery, DL delivered, DE
// delivery exception, SE shipment exception, RS return to shipper, CA
// cancelled, HL/HP held or ready for pickup; the rest are movements.
func fedexStatus(typ string) shipment.Status {
	switch strings.ToUpper(typ) {
	case "OC":
		return shipment.StatusLabelCreated
	case "OD":
		return shipment.StatusOutForDelivery
	case "DL":
		return shipment.StatusDelivered
	case "DE":
		return shipment.StatusDeliveryAttempted
	case "SE", "CD", "DY":
		return shipment.StatusException
	case "RS":
		return shipment.StatusReturnedToSender
	case "CA":
		return shipment.StatusCancelled
	case "HL", "HP":
		return shipment.StatusAvailableForPickup
	}
	return shipment.StatusInTransit
}
