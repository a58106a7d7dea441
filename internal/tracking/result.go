package tracking

import (
	"bytes"
	"encoding/json"
	"math"
)

// Candidate is one format a number fits.
type Candidate struct {
	Carrier    string  `json:"carrier"`    // the format's issuer; for S10 the postal operator of its country
	Format     string  `json:"format"`     // the format's code
	Valid      bool    `json:"valid"`      // the check character (and for S10 the country) holds
	Confidence float64 `json:"confidence"` // 0 to 1: how likely the number was meant as this format
}

// Candidates returns every format the number fits, best first: those whose
// check holds before those whose check fails, then by confidence. The
// confidences and a share left for "not a tracking number" add up to 1.
func (r Result) Candidates() []Candidate {
	out := make([]Candidate, r.n)
	total := noiseWeight(r.Normalized)
	for i := 0; i < int(r.n); i++ {
		total += float64(r.cands[i].w)
	}
	for i := range out {
		c := r.cands[i]
		out[i] = Candidate{
			Carrier:    carriers[c.car].code,
			Format:     formats[c.f].id,
			Valid:      c.reason == 0,
			Confidence: math.Round(float64(c.w)/total*1000) / 1000,
		}
	}
	return out
}

// TrackingURL returns the carrier's public tracking page for the number,
// or "" when the number is not valid for any carrier or the carrier has no
// such page. It is a method, not a field, because building it allocates and
// Check must not.
func (r Result) TrackingURL() string {
	if r.best < 0 || r.best >= int8(r.n) || r.cands[r.best].reason != 0 {
		return ""
	}
	c := r.cands[r.best]
	url := formats[c.f].url
	if url == "" {
		url = carriers[c.car].url
	}
	if r.Valid && r.declared != noCarrier && c.car != r.declared && carriers[r.declared].url != "" {
		// Taken over by the declared carrier, which tracks it too.
		url = carriers[r.declared].url
	}
	if url == "" {
		return ""
	}
	if r.Fields.TrackingNumber != "" {
		return url + r.Fields.TrackingNumber
	}
	return url + r.Normalized
}

// partnerNote explains why a number of another issuer is valid for the
// declared carrier. The notes are constants so that Check stays free of
// allocation.
func partnerNote(f formatID) string {
	if f == fS10 {
		return "international postal item: the destination post tracks it by its S10 number"
	}
	return "USPS IMpb number with a commercial mailer ID: the declared carrier hands such parcels to USPS for delivery"
}

// unknownMessage explains an UNKNOWN_FORMAT result.
func (r *Result) unknownMessage() string {
	s := r.Normalized
	switch {
	case s == "":
		return "empty tracking number"
	case len(s) > maxLen:
		return "too long for a tracking number (" + itoa(len(s)) + " characters)"
	case !isClean(s):
		return "tracking numbers hold only letters and digits; this one has other characters"
	}
	for i := 0; i < int(r.n); i++ {
		if c := r.cands[i]; formats[c.f].weak && c.reason == 0 {
			f := &formats[c.f]
			if r.declared != noCarrier {
				return "not a " + carriers[r.declared].name + " number; it could be a " + f.name +
					" number, which has no check digit"
			}
			return "could be a " + f.name + " number, which has no check digit to tell it from an order number; declare the carrier to accept it"
		}
	}
	if r.declared != noCarrier {
		return "no " + carriers[r.declared].name + " format matches this number (" + itoa(len(s)) + " characters)"
	}
	return "no carrier's format matches this number (" + itoa(len(s)) + " characters)"
}

// invalidMessage explains why candidate c, the best one, is not valid.
func (r *Result) invalidMessage(c cand) string {
	s := r.Normalized
	f := &formats[c.f]
	switch r.Reason {
	case ReasonCarrierMismatch:
		return "valid " + f.name + " number: this is a " + carriers[c.car].name + " number, not a " +
			carriers[r.declared].name + " one"
	case ReasonUnknownCountry:
		return "S10 number ending in " + s[11:] + ", which is not an ISO 3166 country code"
	}
	pos, want := f.check(s)
	msg := "check digit " + s[pos:pos+1] + " does not match: the " + f.name + " algorithm gives " + string(want)
	if r.declared != noCarrier && !r.accepts(c) {
		msg = "not a " + carriers[r.declared].name + " number; as a " + f.name + " number, its " + msg
	}
	return msg
}

// resultJSON is the JSON form of a Result.
type resultJSON struct {
	Input       string      `json:"input"`
	Normalized  string      `json:"normalized"`
	Valid       bool        `json:"valid"`
	Carrier     string      `json:"carrier"`
	Format      string      `json:"format"`
	Reason      Reason      `json:"reason"`
	Message     string      `json:"message"`
	Declared    string      `json:"declared,omitempty"`
	Candidates  []Candidate `json:"candidates"`
	Suggestions []string    `json:"suggestions"`
	TrackingURL string      `json:"trackingUrl"`
	Fields      Fields      `json:"fields"`
}

// MarshalJSON writes the result with the keys input, normalized, valid,
// carrier, format, reason, message, candidates, suggestions, trackingUrl and
// fields (and declared, when a carrier was declared). Lists are never null.
// Tracking URLs keep their "&": encode with SetEscapeHTML(false) to keep
// it in the outer document too.
func (r Result) MarshalJSON() ([]byte, error) {
	sugg := r.Suggestions()
	if sugg == nil {
		sugg = []string{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(resultJSON{
		Input: r.Input, Normalized: r.Normalized, Valid: r.Valid,
		Carrier: r.Carrier, Format: r.Format, Reason: r.Reason, Message: r.Message,
		Declared: r.Declared, Candidates: r.Candidates(), Suggestions: sugg,
		TrackingURL: r.TrackingURL(), Fields: r.Fields,
	})
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
