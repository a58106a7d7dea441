package carrier

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// USPS Tracking API 3.0 shapes (GET /tracking/v3/tracking/{trackingNumber}
// with expand=DETAIL): only the fields Shipwatch reads; all optional.
type uspsResponse struct {
	TrackingNumber            string `json:"trackingNumber"`
	ExpectedDeliveryTimeStamp string `json:"expectedDeliveryTimeStamp"`
	TrackingEvents            []struct {
		EventType      string `json:"eventType"`
		EventTimestamp string `json:"eventTimestamp"` // local to the scan, no zone
		GMTTimestamp   string `json:"GMTTimestamp"`
		EventCountry   string `json:"eventCountry"`
		EventCity      string `json:"eventCity"`
		EventState     string `json:"eventState"`
		EventZIPCode   string `json:"eventZIPCode"`
		EventCode      string `json:"eventCode"`
		RecipientName  string `json:"recipientName"`
	} `json:"trackingEvents"`
}

func (c *Client) trackUSPS(ctx context.Context, number string) ([]Result, error) {
	return c.trackOne(ctx, "USPS track", number, "USPS has no record of this number", ParseUSPS,
		func() (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/tracking/v3/tracking/"+url.PathEscape(number)+"?expand=DETAIL", nil)
		})
}

// ParseUSPS turns a USPS Tracking API answer into events. eventTimestamp
// is local to the scan: read at the scan's ZIP Code or state, else from
// GMTTimestamp, else as UTC, its text kept in OccurredLocal.
func ParseUSPS(raw []byte, number string) (Result, error) {
	var r uspsResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return Result{}, fmt.Errorf("USPS answer: %w", err)
	}
	res := Result{Number: number}
	var estimate *time.Time
	if t, err := time.Parse("2006-01-02T15:04:05", r.ExpectedDeliveryTimeStamp); err == nil {
		estimate = &t
	}
	for _, ev := range r.TrackingEvents {
		country := orDefault(ev.EventCountry, "US")
		loc := shipment.Location{City: ev.EventCity, Region: ev.EventState, PostalCode: ev.EventZIPCode, Country: country}
		local := strings.TrimSuffix(ev.EventTimestamp, "Z")
		at, resolved, err := LocalTime("2006-01-02T15:04:05", local, country, ev.EventState, ev.EventZIPCode)
		if err != nil {
			continue
		}
		if !resolved {
			if t, err := time.Parse(time.RFC3339, ev.GMTTimestamp); err == nil {
				at = t.UTC()
			}
		}
		if !plausible(at) {
			continue
		}
		e := shipment.Event{TrackingNumber: orDefault(r.TrackingNumber, number), Carrier: "usps", OccurredAt: at,
			OccurredLocal: local, Status: uspsStatus(ev.EventCode, ev.EventType), ProviderStatus: ev.EventCode,
			ProviderDetail: ev.EventType, CarrierStatus: ev.EventCode, Description: ev.EventType, Location: loc,
			EstimatedDeliveryAt: estimate, Source: shipment.SourceUSPS}
		if e.Status == shipment.StatusDelivered {
			e.SignedBy = ev.RecipientName
		}
		res.Events = append(res.Events, e)
	}
	if len(res.Events) == 0 {
		res.NotFound, res.Reason = true, "USPS returned no events for this number"
	}
	return res, nil
}

// uspsStatus maps USPS event codes (Publication 199, Appendix G), then
// the event's words for codes not listed.
func uspsStatus(code, typ string) shipment.Status {
	switch strings.ToUpper(code) {
	case "MA":
		return shipment.StatusLabelCreated
	case "GX":
		return shipment.StatusCancelled
	case "01", "17":
		return shipment.StatusDelivered
	case "02", "53":
		return shipment.StatusDeliveryAttempted
	case "OF":
		return shipment.StatusOutForDelivery
	case "14", "16":
		return shipment.StatusAvailableForPickup
	case "09", "28", "29":
		return shipment.StatusReturnedToSender
	case "04", "05", "21":
		return shipment.StatusException
	}
	t := strings.ToLower(typ)
	switch {
	case strings.Contains(t, "out for delivery"):
		return shipment.StatusOutForDelivery
	case strings.Contains(t, "delivered"):
		return shipment.StatusDelivered
	case strings.Contains(t, "available for pickup"):
		return shipment.StatusAvailableForPickup
	case strings.Contains(t, "pre-shipment") || strings.Contains(t, "label created"):
		return shipment.StatusLabelCreated
	case strings.Contains(t, "return to sender"):
		return shipment.StatusReturnedToSender
	case strings.Contains(t, "notice left") || strings.Contains(t, "attempt"):
		return shipment.StatusDeliveryAttempted
	}
	return shipment.StatusInTransit
}
