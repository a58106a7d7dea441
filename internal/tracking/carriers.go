package tracking

import "strings"

// carrierID indexes carriers. The first entries are fixed; one postal
// operator per remaining ISO 3166 country (post_<cc>) is appended at init.
type carrierID uint16

// The carriers Shipwatch names in code. noCarrier is the zero value.
const (
	noCarrier carrierID = iota
	cUPS
	cUSPS
	cFedEx
	cDHL
	cAmazon
	cOnTrac
	cLaserShip
	cCanadaPost
	cPurolator
	cDPD
	cCanpar
	cOldDominion
	cYodel
	cLandmark
	cYunExpress
	cGOFO
	cSpeeDee
	cRoyalMail
	cChinaPost
	cDeutschePost
	cLaPoste
	cJapanPost
	cAustraliaPost
	cPostNL
	cHongkongPost
	numFixedCarriers
)

// carrier describes one carrier: its public code (the contract of the API,
// the CLI and the database), a display name for messages, the tracking page
// the number is appended to, and for a postal operator its country.
type carrier struct {
	code, name, url string
	country         string
}

// carriers is indexed by carrierID. Tracking pages are the carriers' public
// ones; an empty url means the operator publishes none that takes the number
// in the address.
var carriers = []carrier{
	noCarrier:    {},
	cUPS:         {code: "ups", name: "UPS", url: "https://www.ups.com/track?tracknum="},
	cUSPS:        {code: "usps", name: "USPS", url: "https://tools.usps.com/go/TrackConfirmAction?tLabels=", country: "US"},
	cFedEx:       {code: "fedex", name: "FedEx", url: "https://www.fedex.com/fedextrack/?trknbr="},
	cDHL:         {code: "dhl", name: "DHL", url: "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id="},
	cAmazon:      {code: "amazon", name: "Amazon Logistics", url: "https://track.amazon.com/tracking/"},
	cOnTrac:      {code: "ontrac", name: "OnTrac", url: "https://www.ontrac.com/tracking/?number="},
	cLaserShip:   {code: "lasership", name: "LaserShip", url: "https://www.ontrac.com/tracking/?number="},
	cCanadaPost:  {code: "canada_post", name: "Canada Post", url: "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=", country: "CA"},
	cPurolator:   {code: "purolator", name: "Purolator", url: "https://www.purolator.com/en/shipping/tracker?pins="},
	cDPD:         {code: "dpd", name: "DPD", url: "https://www.dpdgroup.com/nl/mydpd/my-parcels/track?lang=en&parcelNumber="},
	cCanpar:      {code: "canpar", name: "Canpar", url: "https://www.canpar.com/en/tracking/track.htm?barcode="},
	cOldDominion: {code: "old_dominion", name: "Old Dominion", url: "https://www.odfl.com/us/en/tools/trace-track-ltl-freight/trace.html?proNumbers="},
	cYodel:       {code: "yodel", name: "Yodel", url: "https://www.yodel.co.uk/tracking/"},
	cLandmark:    {code: "landmark", name: "Landmark Global", url: "https://track.landmarkglobal.com/?search="},
	cYunExpress:  {code: "yunexpress", name: "YunExpress", url: "https://www.yuntrack.com/parcelTracking?id="},
	cGOFO:        {code: "gofo", name: "GOFO Express", url: "https://www.gofoexpress.com/tracking.html?searchID="},
	cSpeeDee:     {code: "speedee", name: "Spee-Dee Delivery", url: "https://www.speedeedelivery.com/track/?tracking="},

	cRoyalMail:     {code: "royal_mail", name: "Royal Mail", url: "https://www.royalmail.com/track-your-item#/tracking-results/", country: "GB"},
	cChinaPost:     {code: "china_post", name: "China Post", country: "CN"},
	cDeutschePost:  {code: "deutsche_post", name: "Deutsche Post", url: "https://www.dhl.de/en/privatkunden/pakete-empfangen/verfolgen.html?piececode=", country: "DE"},
	cLaPoste:       {code: "la_poste", name: "La Poste", url: "https://www.laposte.fr/outils/suivre-vos-envois?code=", country: "FR"},
	cJapanPost:     {code: "japan_post", name: "Japan Post", url: "https://trackings.post.japanpost.jp/services/srv/search/direct?locale=en&reqCodeNo1=", country: "JP"},
	cAustraliaPost: {code: "australia_post", name: "Australia Post", url: "https://auspost.com.au/mypost/track/details/", country: "AU"},
	cPostNL:        {code: "postnl", name: "PostNL", country: "NL"},
	cHongkongPost:  {code: "hongkong_post", name: "Hongkong Post", country: "HK"},
}

// countryOperator maps a country code (as countryIndex) to the carrier of its
// postal operator; zero means the code is not an ISO 3166 country.
var countryOperator [26 * 26]carrierID

// countryName maps a country code (as countryIndex) to its English name.
var countryName [26 * 26]string

// aliases maps an alias key (see aliasKey) to a carrier.
var aliases = map[string]carrierID{}

// countryIndex returns the table index of the two upper-case letters
// cc[0], cc[1], or -1.
func countryIndex(a, b byte) int {
	if a < 'A' || a > 'Z' || b < 'A' || b > 'Z' {
		return -1
	}
	return int(a-'A')*26 + int(b-'A')
}

func init() {
	named := map[string]carrierID{}
	for id := cUSPS; id < numFixedCarriers; id++ {
		if cc := carriers[id].country; cc != "" {
			named[cc] = id
		}
	}
	for _, c := range countries {
		i := countryIndex(c.code[0], c.code[1])
		countryName[i] = c.name
		if id, ok := named[c.code]; ok {
			countryOperator[i] = id
			continue
		}
		countryOperator[i] = carrierID(len(carriers))
		carriers = append(carriers, carrier{
			code:    "post_" + strings.ToLower(c.code),
			name:    "the postal operator of " + c.name,
			country: c.code,
		})
	}
	for id := carrierID(1); int(id) < len(carriers); id++ {
		aliases[aliasKey(carriers[id].code)] = id
		aliases[aliasKey(carriers[id].name)] = id
		if cc := carriers[id].country; cc != "" {
			aliases["post"+strings.ToLower(cc)] = id
		}
	}
	for name, id := range carrierAliases {
		aliases[aliasKey(name)] = id
	}
	for name, cc := range postalAliases {
		aliases[aliasKey(name)] = countryOperator[countryIndex(cc[0], cc[1])]
	}
}

// isPostal reports whether id is a postal operator, which hands inbound
// international items on under their S10 number.
func isPostal(id carrierID) bool {
	return carriers[id].country != ""
}

// aliasKeyInto reduces a carrier name to the letters and digits that identify
// it, lower-cased: "FEDEX_GROUND", "FedEx Ground" and "fedex-ground" share a
// key. buf receives the key when non-nil; the returned length is -1 when the
// key does not fit.
func aliasKeyInto(buf []byte, name string) int {
	n := 0
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		default:
			continue
		}
		if n == len(buf) {
			return -1
		}
		buf[n] = c
		n++
	}
	return n
}

// aliasKey is aliasKeyInto for building the table.
func aliasKey(name string) string {
	buf := make([]byte, len(name))
	return string(buf[:aliasKeyInto(buf, name)])
}

// ResolveCarrier returns the canonical carrier code for a code or an alias,
// matched without regard to case, spaces or punctuation: "UPS",
// "FEDEX_GROUND", "United States Postal Service", "DHL eCommerce",
// "AMZN_US", "Royal Mail", "post_it". An empty or unknown name gives "", false.
func ResolveCarrier(name string) (code string, ok bool) {
	id := resolve(name)
	if id == noCarrier {
		return "", false
	}
	return carriers[id].code, true
}

// CarrierName returns the carrier's name as people write it ("UPS",
// "FedEx", "Amazon Logistics") for a code or an alias; a name it does not
// know comes back as given.
func CarrierName(code string) string {
	id := resolve(code)
	if id == noCarrier || carriers[id].name == "" {
		return code
	}
	return carriers[id].name
}

// resolve is ResolveCarrier returning the carrier's index; it does not
// allocate.
func resolve(name string) carrierID {
	var buf [48]byte
	n := aliasKeyInto(buf[:], name)
	if n <= 0 {
		return noCarrier
	}
	return aliases[string(buf[:n])]
}

// Carriers returns the canonical codes of the carriers Shipwatch knows
// by name, in a fixed order; the post_<cc> operators of other countries
// are left out of the list but resolve all the same.
func Carriers() []string {
	codes := make([]string, 0, numFixedCarriers-1)
	for id := carrierID(1); id < numFixedCarriers; id++ {
		codes = append(codes, carriers[id].code)
	}
	return codes
}
