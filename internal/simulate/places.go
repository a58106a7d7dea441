package simulate

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// place is a US location with a real city, state and ZIP code.
type place struct {
	city, state, zip string
}

func (p place) location() shipment.Location {
	return shipment.Location{City: p.city, Region: p.state, PostalCode: p.zip, Country: "US"}
}

// cities are where parcels start and end.
var cities = []place{
	{"BROOKLYN", "NY", "11201"}, {"BOSTON", "MA", "02118"}, {"PHILADELPHIA", "PA", "19103"},
	{"BALTIMORE", "MD", "21201"}, {"RALEIGH", "NC", "27601"}, {"CHARLOTTE", "NC", "28202"},
	{"ORLANDO", "FL", "32809"}, {"MIAMI", "FL", "33130"}, {"TAMPA", "FL", "33602"},
	{"NASHVILLE", "TN", "37203"}, {"COLUMBUS", "OH", "43215"}, {"DETROIT", "MI", "48226"},
	{"MINNEAPOLIS", "MN", "55401"}, {"MILWAUKEE", "WI", "53202"}, {"KANSAS CITY", "MO", "64105"},
	{"AUSTIN", "TX", "78701"}, {"HOUSTON", "TX", "77002"}, {"SAN ANTONIO", "TX", "78205"},
	{"DENVER", "CO", "80202"}, {"SALT LAKE CITY", "UT", "84101"}, {"PHOENIX", "AZ", "85004"},
	{"LAS VEGAS", "NV", "89101"}, {"SAN DIEGO", "CA", "92101"}, {"LOS ANGELES", "CA", "90012"},
	{"OAKLAND", "CA", "94612"}, {"SACRAMENTO", "CA", "95814"}, {"PORTLAND", "OR", "97204"},
	{"SEATTLE", "WA", "98104"}, {"BOISE", "ID", "83702"}, {"ALBUQUERQUE", "NM", "87102"},
}

// destination is where a parcel to a US ZIP code is delivered: the city of
// that ZIP when it is one of cities; otherwise the city whose ZIP is
// nearest (ZIP codes are numbered by region, so it is in the same part of
// the country) with the parcel's own ZIP, so the delivery scan always names
// the ZIP the shipment was sent to. false when the ZIP is not five digits.
func destination(zip string) (place, bool) {
	zip, _, _ = strings.Cut(strings.TrimSpace(zip), "-") // ZIP+4
	n, err := strconv.Atoi(zip)
	if len(zip) != 5 || err != nil {
		return place{}, false
	}
	best, dist := cities[0], 1<<30
	for _, c := range cities {
		cn, _ := strconv.Atoi(c.zip)
		d := max(cn-n, n-cn)
		if d < dist {
			best, dist = c, d
		}
	}
	best.zip = zip
	return best, true
}

// DestinationZIP picks the ZIP code of one of the cities lives deliver
// to, so a demo shipment sent there is delivered in the city of its ZIP.
func DestinationZIP(r *rand.Rand) string {
	return cities[r.IntN(len(cities))].zip
}

// hubs are the sorting centres parcels pass through.
var hubs = []place{
	{"MEMPHIS", "TN", "38118"}, {"LOUISVILLE", "KY", "40209"}, {"INDIANAPOLIS", "IN", "46241"},
	{"CHICAGO", "IL", "60638"}, {"DALLAS", "TX", "75261"}, {"ATLANTA", "GA", "30320"},
	{"NEWARK", "NJ", "07114"}, {"ONTARIO", "CA", "91761"}, {"JACKSONVILLE", "FL", "32218"},
	{"SALT LAKE CITY", "UT", "84116"}, {"ST LOUIS", "MO", "63134"}, {"COLUMBUS", "OH", "43217"},
}

// signers are who signs for a parcel, as carriers record them.
var signers = []string{
	"J SMITH", "M GARCIA", "A NGUYEN", "R PATEL", "K JOHNSON", "L CHEN", "D WILLIAMS",
	"S BROWN", "T LEE", "FRONT DESK", "MAILROOM", "E MARTINEZ", "C DAVIS", "P KOWALSKI",
}

// phrase is what a carrier writes for an event: its own code and text.
type phrase struct{ code, text string }

// vocabulary is one carrier family's wording. The payload builders read
// the IN_TRANSIT texts' first word (Accepted/Picked/Origin, Arrived,
// Departed) to choose the provider's detail, so keep those prefixes.
type vocabulary struct {
	label, accept, arrive, depart, outForDelivery, delivered, attempt phrase
	returning, returned                                               phrase
	exceptions                                                        []phrase
}

var (
	uspsWords = vocabulary{
		label:          phrase{"GX", "Shipping Label Created, USPS Awaiting Item"},
		accept:         phrase{"OA", "Accepted at USPS Origin Facility"},
		arrive:         phrase{"10", "Arrived at USPS Regional Facility"},
		depart:         phrase{"T1", "Departed USPS Regional Facility"},
		outForDelivery: phrase{"OF", "Out for Delivery"},
		delivered:      phrase{"01", "Delivered, Left with Individual"},
		attempt:        phrase{"02", "Notice Left (No Authorized Recipient Available)"},
		returning:      phrase{"09", "Return to Sender Processed"},
		returned:       phrase{"01", "Returned to Sender, Delivered to Original Sender"},
		exceptions: []phrase{
			{"21", "No Such Number: insufficient address"},
			{"53", "Damaged: item found damaged in processing"},
		},
	}
	upsWords = vocabulary{
		label:          phrase{"MP", "Shipper created a label, UPS has not received the package yet."},
		accept:         phrase{"OR", "Origin Scan"},
		arrive:         phrase{"AR", "Arrived at Facility"},
		depart:         phrase{"DP", "Departed from Facility"},
		outForDelivery: phrase{"OT", "Out For Delivery Today"},
		delivered:      phrase{"KB", "Delivered"},
		attempt:        phrase{"48", "The receiver was not available for delivery. We'll make a second attempt the next business day."},
		returning:      phrase{"RS", "Return to sender requested: the package is on its way back"},
		returned:       phrase{"KB", "Returned to Sender: delivered to the shipper"},
		exceptions: []phrase{
			{"X1", "The address is incomplete. The receiver has been contacted."},
			{"X2", "Package damaged in transit. The sender has been notified."},
		},
	}
	fedexWords = vocabulary{
		label:          phrase{"OC", "Shipment information sent to FedEx"},
		accept:         phrase{"PU", "Picked up"},
		arrive:         phrase{"AR", "Arrived at FedEx location"},
		depart:         phrase{"DP", "Departed FedEx location"},
		outForDelivery: phrase{"OD", "On FedEx vehicle for delivery"},
		delivered:      phrase{"DL", "Delivered"},
		attempt:        phrase{"DE", "Delivery exception: customer not available or business closed"},
		returning:      phrase{"RS", "Return to shipper: package is being returned"},
		returned:       phrase{"DL", "Returned to shipper: delivered"},
		exceptions: []phrase{
			{"SE", "Shipment exception: incorrect address"},
			{"DY", "Shipment exception: package damaged"},
		},
	}
	genericWords = vocabulary{
		label:          phrase{"LC", "Label created, carrier awaiting item"},
		accept:         phrase{"PU", "Picked up by carrier"},
		arrive:         phrase{"AR", "Arrived at sort facility"},
		depart:         phrase{"DP", "Departed sort facility"},
		outForDelivery: phrase{"OD", "Out for delivery"},
		delivered:      phrase{"DL", "Delivered"},
		attempt:        phrase{"AT", "Delivery attempted: recipient not available"},
		returning:      phrase{"RS", "Return to sender: in transit"},
		returned:       phrase{"RD", "Returned to sender"},
		exceptions: []phrase{
			{"EX", "Exception: address could not be found"},
			{"DM", "Exception: package damaged"},
		},
	}
)

// wordsFor picks the vocabulary of the carrier code the server knows.
func wordsFor(carrier string) vocabulary {
	c := strings.ToLower(strings.TrimSpace(carrier))
	switch {
	case strings.Contains(c, "usps"):
		return uspsWords
	case c == "ups" || strings.HasPrefix(c, "ups_") || strings.HasPrefix(c, "ups-"):
		return upsWords
	case strings.Contains(c, "fedex"):
		return fedexWords
	}
	return genericWords
}
