package tracking

// Reason says why a number is not valid. The string values are a public
// contract (JSON, GraphQL, the CLI).
type Reason string

// The reasons Check gives; ReasonNone for a valid number.
const (
	ReasonNone            Reason = ""
	ReasonUnknownFormat   Reason = "UNKNOWN_FORMAT"       // no format of any carrier (or of the declared one) has this shape
	ReasonCheckDigit      Reason = "CHECK_DIGIT_MISMATCH" // the shape fits but the check character is wrong
	ReasonUnknownCountry  Reason = "UNKNOWN_COUNTRY"      // an S10 number whose country code is not ISO 3166
	ReasonCarrierMismatch Reason = "CARRIER_MISMATCH"     // valid, but for another carrier than the declared one
)

// Fields holds what a format encodes, as substrings of the normalised
// number or names from the carriers' published tables. Empty when the
// format does not carry it.
type Fields struct {
	ServiceType    string `json:"serviceType,omitempty"`    // service code: UPS 2 characters, USPS 2 or 3 digits, S10 2 letters, DPD 3 digits
	Service        string `json:"service,omitempty"`        // the service code's name, when known
	MailerID       string `json:"mailerId,omitempty"`       // USPS mailer ID (6 or 9 digits)
	ShipperID      string `json:"shipperId,omitempty"`      // UPS shipper account, FedEx Ground shipper
	Country        string `json:"country,omitempty"`        // S10 country of the issuing postal operator
	PostalOperator string `json:"postalOperator,omitempty"` // S10 issuing postal operator's carrier code
	RoutingZIP     string `json:"routingZip,omitempty"`     // destination ZIP (USPS 420 prefix, FedEx 34) or DPD postcode
	TrackingNumber string `json:"trackingNumber,omitempty"` // the part the carrier tracks, when the barcode carries more
}

// cand is one format that fits a number, kept compact so that a Result
// holds all of them without allocating.
type cand struct {
	f      formatID
	reason uint8 // index into candReasons
	car    carrierID
	w      float32 // weight, declared-carrier boost included
}

// candReasons are the reasons a single candidate can carry.
var candReasons = [...]Reason{ReasonNone, ReasonCheckDigit, ReasonUnknownCountry}

// declaredBoost multiplies the weight of the declared carrier's candidates:
// a seller who names the carrier is usually right.
const declaredBoost = 20

// Result is what Check finds out about one number.
type Result struct {
	Input      string // as given
	Normalized string // see Normalize
	Valid      bool   // valid for the declared carrier, or for some carrier when none is declared
	Carrier    string // the best carrier's code; the declared one when it accepts the number
	Format     string // the best format's code
	Reason     Reason // why not valid; ReasonNone when valid
	Message    string // a sentence for people: why not valid, or a note on a valid number
	Declared   string // the declared carrier's code; "" when none was given or it is unknown
	Fields     Fields // what the best format encodes

	cands    [maxCands]cand // ranked, best first
	n        uint8          // number of cands
	best     int8           // index of the best candidate, -1 for none
	declared carrierID
}

// Check recognises number, checks it and, with a declared carrier (a code
// or any alias ResolveCarrier knows; "" for none, and an unknown name counts
// as none), checks it against that carrier. It does no I/O and does not
// allocate for a valid number that is already normalised or only needs
// trimming.
func Check(number, carrier string) Result {
	r := Result{Input: number, Normalized: Normalize(number), best: -1}
	if carrier != "" {
		r.declared = resolve(carrier)
		r.Declared = carriers[r.declared].code
	}
	r.detect()
	r.decide()
	return r
}

// detect fills the candidates: every format whose shape fits, with whether
// its check character holds, ranked by weight.
func (r *Result) detect() {
	s := r.Normalized
	if len(s) == 0 || len(s) > maxLen {
		return
	}
	numeric := allDigits(s)
	for _, id := range byLen[len(s)] {
		f := &formats[id]
		if f.numeric && !numeric || !f.shape(s) {
			continue
		}
		c := cand{f: id, car: f.carrier}
		w := f.wValid
		if f.check != nil {
			if pos, want := f.check(s); s[pos] != want {
				c.reason, w = 1, f.wInvalid
			}
		}
		if id == fS10 {
			c.car = countryOperator[countryIndex(s[11], s[12])]
			if c.car == noCarrier && c.reason == 0 {
				c.reason, w = 2, f.wInvalid
			}
		}
		if r.declared != noCarrier && r.accepts(c) {
			w *= declaredBoost
		}
		c.w = float32(w)
		// Insertion keeps the array ranked: valid before invalid, then by weight.
		i := int(r.n)
		for i > 0 && less(r.cands[i-1], c) {
			r.cands[i] = r.cands[i-1]
			i--
		}
		r.cands[i] = c
		r.n++
	}
}

// less reports whether a ranks below b.
func less(a, b cand) bool {
	if (a.reason == 0) != (b.reason == 0) {
		return b.reason == 0
	}
	return a.w < b.w
}

// accepts reports whether the declared carrier accepts candidate c: it
// issued the format, or takes the number over from its issuer. FedEx
// (SmartPost, Ground Economy), UPS (SurePost, Mail Innovations) and DHL
// eCommerce hand parcels to USPS under IMpb numbers with a commercial mailer
// ID; a destination post tracks an inbound S10 item by its number, and so
// does DHL, whose eCommerce arm ships through the posts.
func (r *Result) accepts(c cand) bool {
	d := r.declared
	switch {
	case c.car == d:
		return true
	case c.f == fS10:
		return isPostal(d) || d == cDHL
	case c.f == fUSPSIMpb:
		_, body, _ := impbSplit(r.Normalized)
		return (d == cFedEx || d == cUPS || d == cDHL) && (body[1] == '2' || body[1] == '3')
	}
	return false
}

// decide picks the best candidate and sets validity, reason, message and
// fields.
func (r *Result) decide() {
	if r.declared == noCarrier {
		r.decideUndeclared()
	} else {
		r.decideDeclared()
	}
	if r.best < 0 {
		r.Reason = ReasonUnknownFormat
		r.Message = r.unknownMessage()
		return
	}
	c := r.cands[r.best]
	f := &formats[c.f]
	r.Format = f.id
	r.Carrier = carriers[c.car].code
	if r.Valid && c.car != r.declared && r.declared != noCarrier {
		r.Carrier = r.Declared
		r.Message = partnerNote(c.f)
	}
	if f.fields != nil {
		r.Fields = f.fields(r.Normalized)
		if r.Fields.TrackingNumber == r.Normalized {
			r.Fields.TrackingNumber = ""
		}
	}
	if !r.Valid {
		r.Message = r.invalidMessage(c)
	}
}

// decideUndeclared: valid when any format that is not weak holds; else the
// heaviest candidate explains why not.
func (r *Result) decideUndeclared() {
	for i := 0; i < int(r.n); i++ {
		if c := r.cands[i]; c.reason == 0 && !formats[c.f].weak {
			r.best, r.Valid = int8(i), true
			return
		}
	}
	r.explainInvalid()
}

// explainInvalid makes the heaviest candidate whose check fails the best
// one, with its reason; with none, the result stays UNKNOWN_FORMAT.
func (r *Result) explainInvalid() {
	var w float32
	for i := 0; i < int(r.n); i++ {
		if c := r.cands[i]; c.reason != 0 && c.w > w {
			r.best, w = int8(i), c.w
		}
	}
	if r.best >= 0 {
		r.Reason = candReasons[r.cands[r.best].reason]
	}
}

// decideDeclared: valid when a format the declared carrier accepts holds;
// otherwise a valid number of another carrier is a CARRIER_MISMATCH unless
// a typo in one of the declared carrier's own formats weighs more.
func (r *Result) decideDeclared() {
	own, other := -1, -1
	for i := 0; i < int(r.n); i++ {
		c := r.cands[i]
		ok := r.accepts(c)
		switch {
		case ok && c.reason == 0:
			r.best, r.Valid = int8(i), true
			return
		case ok && (own < 0 || c.w > r.cands[own].w):
			own = i
		case !ok && c.reason == 0 && !formats[c.f].weak && other < 0:
			other = i
		}
	}
	switch {
	case other >= 0 && (own < 0 || r.cands[other].w > r.cands[own].w):
		r.best, r.Reason = int8(other), ReasonCarrierMismatch
	case own >= 0:
		r.best, r.Reason = int8(own), candReasons[r.cands[own].reason]
	default:
		// Not a number of the declared carrier. A mistyped number of another
		// carrier is still worth naming, with its reason.
		r.explainInvalid()
	}
}
