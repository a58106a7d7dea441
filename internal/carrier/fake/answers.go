package fake

import (
	"net/http"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// Carrier codes for each Shipwatch status, the inverse of the client's
// mappings: {UPS type, FedEx event type, USPS event code, words}.
var codes = map[shipment.Status][4]string{
	shipment.StatusLabelCreated:       {"M", "OC", "MA", "Shipping Label Created"},
	shipment.StatusInTransit:          {"I", "AR", "10", "Arrived at Facility"},
	shipment.StatusOutForDelivery:     {"O", "OD", "OF", "Out for Delivery"},
	shipment.StatusAvailableForPickup: {"I", "HL", "14", "Available for Pickup"},
	shipment.StatusDeliveryAttempted:  {"X", "DE", "02", "Delivery Attempted"},
	shipment.StatusDelivered:          {"D", "DL", "01", "Delivered"},
	shipment.StatusException:          {"X", "SE", "04", "Exception"},
	shipment.StatusReturnedToSender:   {"RS", "RS", "09", "Return to Sender"},
	shipment.StatusCancelled:          {"MV", "CA", "GX", "Label Cancelled"},
}

func (f *Carrier) answerUPS(w http.ResponseWriter, number string, p *Parcel) {
	if p == nil {
		writeJSON(w, http.StatusNotFound, errorBody(f.carrier, "151044", "Tracking Information Not Found"))
		return
	}
	acts := []any{}
	for _, s := range p.Scans {
		t := local(s)
		if p.Sparse {
			t = s.At.UTC() // without a location, the time is read as UTC
		}
		a := map[string]any{"date": t.Format("20060102"), "time": t.Format("150405"),
			"status": map[string]any{"type": codes[s.Status][0], "code": codes[s.Status][1]}}
		if !p.Sparse {
			a["status"].(map[string]any)["description"] = codes[s.Status][3]
			a["location"] = map[string]any{"address": map[string]any{"city": s.City, "stateProvince": s.State,
				"postalCode": s.ZIP, "countryCode": s.Country, "country": s.Country}}
		}
		acts = append(acts, a)
	}
	pkg := map[string]any{"trackingNumber": number, "activity": acts}
	if p.SignedBy != "" && delivered(p) {
		pkg["deliveryInformation"] = map[string]any{"receivedBy": p.SignedBy}
	}
	writeJSON(w, http.StatusOK, map[string]any{"trackResponse": map[string]any{"shipment": []any{map[string]any{
		"inquiryNumber": number, "package": []any{pkg}}}}})
}

func answerFedEx(w http.ResponseWriter, numbers []string, ps []*Parcel) {
	results := []any{}
	for i, n := range numbers {
		p := ps[i]
		if p == nil {
			results = append(results, map[string]any{"trackingNumber": n, "trackResults": []any{map[string]any{
				"trackingNumberInfo": map[string]any{"trackingNumber": n},
				"error": map[string]string{"code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
					"message": "Tracking number cannot be found. Please correct the tracking number and try again."}}}})
			continue
		}
		scans := []any{}
		for _, s := range p.Scans {
			e := map[string]any{"date": local(s).Format("2006-01-02T15:04:05-07:00"), "eventType": codes[s.Status][1]}
			if !p.Sparse {
				e["eventDescription"] = codes[s.Status][3]
				e["derivedStatusCode"] = codes[s.Status][1]
				e["scanLocation"] = map[string]any{"city": s.City, "stateOrProvinceCode": s.State, "postalCode": s.ZIP,
					"countryCode": s.Country}
			}
			scans = append(scans, e)
		}
		tr := map[string]any{"trackingNumberInfo": map[string]any{"trackingNumber": n}, "scanEvents": scans}
		if p.SignedBy != "" && delivered(p) {
			tr["deliveryDetails"] = map[string]any{"receivedByName": p.SignedBy}
		}
		results = append(results, map[string]any{"trackingNumber": n, "trackResults": []any{tr}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"transactionId": "fake", "output": map[string]any{"completeTrackResults": results}})
}

func answerUSPS(w http.ResponseWriter, number string, p *Parcel) {
	if p == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"apiVersion": "v3", "error": map[string]any{"code": "404",
			"message": "The tracking number " + number + " is not found."}})
		return
	}
	evs := []any{}
	for _, s := range p.Scans {
		e := map[string]any{"eventTimestamp": local(s).Format("2006-01-02T15:04:05"), "eventCode": codes[s.Status][2],
			"GMTTimestamp": s.At.UTC().Format("2006-01-02T15:04:05Z")}
		if s.Status == shipment.StatusDelivered && p.SignedBy != "" {
			e["recipientName"] = p.SignedBy
		}
		if !p.Sparse {
			e["eventType"] = codes[s.Status][3]
			e["eventCity"], e["eventState"], e["eventZIPCode"], e["eventCountry"] = s.City, s.State, s.ZIP, s.Country
		}
		evs = append(evs, e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"trackingNumber": number, "trackingEvents": evs})
}

// delivered reports whether the parcel's visible scans include its delivery.
func delivered(p *Parcel) bool {
	for _, s := range p.Scans {
		if s.Status == shipment.StatusDelivered {
			return true
		}
	}
	return false
}
