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

// UPS Track API shapes (Tracking.yaml of UPS's published OpenAPI
// documents): only the fields Shipwatch reads; every one is optional.
type upsResponse struct {
	TrackResponse struct {
		Shipment []struct {
			InquiryNumber string `json:"inquiryNumber"`
			Package       []struct {
				TrackingNumber string        `json:"trackingNumber"`
				Activity       []upsActivity `json:"activity"`
				DeliveryDate   []struct {
					Type string `json:"type"`
					Date string `json:"date"`
				} `json:"deliveryDate"`
				DeliveryInformation *struct {
					ReceivedBy string `json:"receivedBy"`
				} `json:"deliveryInformation"`
			} `json:"package"`
			Warnings []struct{ Code, Message string } `json:"warnings"`
		} `json:"shipment"`
	} `json:"trackResponse"`
}

type upsActivity struct {
	Date      string `json:"date"` // YYYYMMDD, local to the scan
	Time      string `json:"time"` // HHMMSS, local to the scan
	GMTDate   string `json:"gmtDate"`
	GMTTime   string `json:"gmtTime"`
	GMTOffset string `json:"gmtOffset"`
	Location  *struct {
		Address *struct {
			City          string `json:"city"`
			StateProvince string `json:"stateProvince"`
			PostalCode    string `json:"postalCode"`
			Country       string `json:"country"`
			CountryCode   string `json:"countryCode"`
		} `json:"address"`
	} `json:"location"`
	Status *struct {
		Type        string `json:"type"`
		Code        string `json:"code"`
		Description string `json:"description"`
		StatusCode  string `json:"statusCode"`
	} `json:"status"`
}

func (c *Client) trackUPS(ctx context.Context, number string) ([]Result, error) {
	return c.trackOne(ctx, "UPS track", number, "UPS has no tracking information for this number", ParseUPS,
		func() (*http.Request, error) {
			u := c.base + "/api/track/v1/details/" + url.PathEscape(number) + "?locale=en_US&returnSignature=false"
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return nil, err
			}
			req.Header.Set("transId", transID())
			req.Header.Set("transactionSrc", "shipwatch")
			return req, nil
		})
}

// trackOne asks a carrier API that answers one number a request (UPS,
// USPS): a 404 is the number unknown to the carrier (its words, else
// notFound), any other answer is parsed.
func (c *Client) trackOne(ctx context.Context, what, number, notFound string, parse func([]byte, string) (Result, error),
	newRequest func() (*http.Request, error)) ([]Result, error) {
	status, raw, err := c.do(ctx, what, func(string) (*http.Request, error) { return newRequest() })
	if err != nil {
		return nil, err
	}
	if status == http.StatusNotFound {
		return []Result{{Number: number, NotFound: true, Reason: orDefault(errorText(raw), notFound)}}, nil
	}
	r, err := parse(raw, number)
	if err != nil {
		return nil, err
	}
	return []Result{r}, nil
}

// ParseUPS turns a UPS Track API answer about number into events.
// Activity times have no zone: they are read at the activity's location
// (Zone), else from its GMT fields, else as UTC; the carrier's text is
// kept in OccurredLocal either way.
func ParseUPS(raw []byte, number string) (Result, error) {
	var r upsResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return Result{}, fmt.Errorf("UPS answer: %w", err)
	}
	res := Result{Number: number}
	for _, sh := range r.TrackResponse.Shipment {
		if len(sh.Package) == 0 && len(sh.Warnings) > 0 {
			res.NotFound, res.Reason = true, strings.TrimSpace(sh.Warnings[0].Code+" "+sh.Warnings[0].Message)
		}
		for _, p := range sh.Package {
			var estimate *time.Time
			for _, d := range p.DeliveryDate {
				if d.Type == "SDD" || d.Type == "RDD" {
					if t, err := time.Parse("20060102", d.Date); err == nil {
						estimate = &t
					}
				}
			}
			for _, a := range p.Activity {
				e, ok := upsEvent(a)
				if !ok {
					continue
				}
				e.TrackingNumber = orDefault(p.TrackingNumber, number)
				e.EstimatedDeliveryAt = estimate
				if e.Status == shipment.StatusDelivered && p.DeliveryInformation != nil {
					e.SignedBy = p.DeliveryInformation.ReceivedBy
				}
				res.Events = append(res.Events, e)
			}
		}
	}
	if len(res.Events) == 0 && !res.NotFound {
		res.NotFound, res.Reason = true, "UPS returned no activity for this number"
	}
	return res, nil
}

func upsEvent(a upsActivity) (shipment.Event, bool) {
	if a.Date == "" {
		return shipment.Event{}, false
	}
	var loc shipment.Location
	if a.Location != nil && a.Location.Address != nil {
		ad := a.Location.Address
		loc = shipment.Location{City: ad.City, Region: ad.StateProvince, PostalCode: ad.PostalCode,
			Country: orDefault(ad.CountryCode, ad.Country)}
	}
	clock := orDefault(a.Time, "000000")
	local := a.Date + " " + clock
	at, resolved, err := LocalTime("20060102 150405", local, loc.Country, loc.Region, loc.PostalCode)
	if err != nil {
		return shipment.Event{}, false
	}
	if !resolved && a.GMTDate != "" && a.GMTTime != "" {
		gt := a.GMTTime
		for len(gt) < 6 {
			gt = "0" + gt // UPS writes 07:47:00 as "74700"
		}
		if t, err := time.Parse("20060102 150405", a.GMTDate+" "+gt); err == nil {
			at = t
		}
	}
	if !plausible(at) {
		return shipment.Event{}, false
	}
	e := shipment.Event{Carrier: "ups", OccurredAt: at, OccurredLocal: local, Location: loc, Source: shipment.SourceUPS,
		Status: shipment.StatusInTransit}
	if a.Status != nil {
		e.Status = upsStatus(a.Status.Type, a.Status.Description)
		e.ProviderStatus, e.ProviderDetail = a.Status.Type, a.Status.Code
		e.CarrierStatus, e.Description = a.Status.Code, a.Status.Description
	}
	return e, true
}

// upsStatus maps UPS activity status types (UPS Track API appendix): M
// billing information received, MV voided, P pickup, I in transit, O out
// for delivery, D delivered, X exception, RS returned to shipper.
func upsStatus(typ, description string) shipment.Status {
	switch strings.ToUpper(typ) {
	case "M":
		return shipment.StatusLabelCreated
	case "MV":
		return shipment.StatusCancelled
	case "O":
		return shipment.StatusOutForDelivery
	case "D":
		return shipment.StatusDelivered
	case "RS":
		return shipment.StatusReturnedToSender
	case "X":
		if strings.Contains(strings.ToLower(description), "attempt") {
			return shipment.StatusDeliveryAttempted
		}
		return shipment.StatusException
	}
	return shipment.StatusInTransit
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
