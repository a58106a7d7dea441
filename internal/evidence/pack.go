package evidence

import (
	"encoding/hex"
	"strconv"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// Pack is the evidence pack of one dispute: everything a seller shows a
// marketplace to prove a delivery. Marshalled as JSON it is the
// evidence.json document a back office attaches to its response, images
// included (base64), so the one file is complete; RenderPDF draws it.
type Pack struct {
	// GeneratedAt is when the pack was put together.
	GeneratedAt time.Time `json:"generated_at"`
	Seller      Seller    `json:"seller"`
	Dispute     Dispute   `json:"dispute"`
	Shipment    Shipment  `json:"shipment"`
	Promise     Promise   `json:"promise"`
	// Timeline holds the shipment's carrier events and Proofs its proofs
	// of delivery, each in chain order; Seq interleaves the two.
	Timeline []TimelineEvent `json:"timeline"`
	Proofs   []Proof         `json:"proofs"`
	// Verification is the result of Verify over the chain the timeline and
	// proofs were read from, and of the chain against Checkpoint.
	Verification Verification `json:"verification"`
	// Checkpoint anchors the chain outside the database: nil until a
	// checkpoint covers the chain.
	Checkpoint *Anchor `json:"checkpoint,omitempty"`
	// Findings are what the records say against each other or against
	// the order (Findings fills them).
	Findings []Finding `json:"findings"`
}

// Seller is the seller the pack is made for.
type Seller struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// TimeZone is the seller's IANA zone: the PDF prints times in it as
	// well as in UTC.
	TimeZone string `json:"time_zone,omitempty"`
}

// Dispute is the buyer's complaint the pack answers.
type Dispute struct {
	ID string `json:"id"`
	// Kind is the dispute kind as the store names it (a not-received
	// complaint, an A-to-z claim, a chargeback).
	Kind string `json:"kind"`
	// ExternalReference is the marketplace's or card network's id.
	ExternalReference string     `json:"external_reference,omitempty"`
	RespondBy         *time.Time `json:"respond_by,omitempty"`
	// Amount is the disputed amount as a decimal string ("49.99"), kept as
	// text so that no rounding happens on the way.
	Amount   string    `json:"amount,omitempty"`
	Currency string    `json:"currency,omitempty"`
	Status   string    `json:"status"`
	OpenedAt time.Time `json:"opened_at"`
}

// Shipment is the order and shipment the dispute is about.
type Shipment struct {
	ID             string            `json:"id"`
	OrderID        string            `json:"order_id"`
	Carrier        string            `json:"carrier,omitempty"`
	TrackingNumber string            `json:"tracking_number,omitempty"`
	Service        string            `json:"service,omitempty"`
	ShipBy         *time.Time        `json:"ship_by,omitempty"`
	ShippedAt      *time.Time        `json:"shipped_at,omitempty"`
	DeliverBy      *time.Time        `json:"deliver_by,omitempty"`
	DeliveredAt    *time.Time        `json:"delivered_at,omitempty"`
	Status         shipment.Status   `json:"status"`
	Destination    shipment.Location `json:"destination"`
}

// Promise compares the delivery with the delivery promise. NewPromise
// fills it.
type Promise struct {
	DeliverBy   *time.Time `json:"deliver_by"`
	DeliveredAt *time.Time `json:"delivered_at"`
	// OnTime is true when delivered at or before DeliverBy, false when
	// delivered after it or not delivered by a deadline that has passed,
	// and null when there is nothing to judge yet.
	OnTime *bool `json:"on_time"`
	// Verdict says the same in one sentence for a person.
	Verdict string `json:"verdict"`
}

// TimelineEvent is one carrier event of the timeline: every hashed field
// of the record, so anyone can recompute its content hash from the JSON,
// and the two stored hashes.
type TimelineEvent struct {
	// Seq is the record's 1-based position in the shipment's chain.
	Seq int `json:"seq"`
	EventRecord
	// ContentHash and ChainHash are the stored hashes, lower-case hex.
	ContentHash string `json:"content_hash"`
	ChainHash   string `json:"chain_hash"`
}

// Proof is one proof of delivery with its images.
type Proof struct {
	// Seq is the record's 1-based position in the shipment's chain.
	Seq int `json:"seq"`
	ProofRecord
	// EventID is the carrier event the proof came from ("" for a proof
	// the seller recorded); the PDF shows that event's location.
	EventID string `json:"event_id,omitempty"`
	// Photo and Signature are the images, nil when there is none. Their
	// SHA256 is of the bytes attached; the record's PhotoSHA256 and
	// SignatureSHA256 are what was hashed into the chain, and the PDF says
	// whether the two agree.
	Photo     *Image `json:"photo,omitempty"`
	Signature *Image `json:"signature,omitempty"`
	// ContentHash and ChainHash are the stored hashes, lower-case hex.
	ContentHash string `json:"content_hash"`
	ChainHash   string `json:"chain_hash"`
}

// Image is a photo or signature image. In JSON, Bytes is base64 so that
// the evidence.json file is complete on its own; URL is where the image
// can be fetched too, if anywhere.
type Image struct {
	ContentType string `json:"content_type,omitempty"`
	// SHA256 is the lower-case hex SHA-256 of Bytes.
	SHA256 string `json:"sha256,omitempty"`
	Bytes  []byte `json:"bytes,omitempty"`
	URL    string `json:"url,omitempty"`
}

// Chain turns a shipment's chain, in chain order, into the pack's timeline
// and proofs and verifies it. The proofs carry no images: the caller
// attaches them with NewImage.
func Chain(records []StoredRecord) (timeline []TimelineEvent, proofs []Proof, v Verification) {
	timeline, proofs = []TimelineEvent{}, []Proof{}
	for i, sr := range records {
		content, chain := hex.EncodeToString(sr.ContentHash[:]), hex.EncodeToString(sr.ChainHash[:])
		switch r := deref(sr.Record).(type) {
		case EventRecord:
			timeline = append(timeline, TimelineEvent{Seq: i + 1, EventRecord: r, ContentHash: content, ChainHash: chain})
		case ProofRecord:
			proofs = append(proofs, Proof{Seq: i + 1, ProofRecord: r, ContentHash: content, ChainHash: chain})
		}
	}
	return timeline, proofs, Verify(records)
}

// NewPromise judges a delivery against its promise as of now, all in UTC:
// on time means delivered at or before deliverBy. The verdict counts whole
// calendar days, e.g. "Delivered 2026-11-19 14:02 UTC, 1 day before the
// promised 2026-11-20".
func NewPromise(deliverBy, deliveredAt *time.Time, now time.Time) Promise {
	p := Promise{DeliverBy: utcPtr(deliverBy), DeliveredAt: utcPtr(deliveredAt)}
	switch {
	case deliveredAt == nil && deliverBy == nil:
		p.Verdict = "Not delivered yet; no delivery promise on file."
	case deliveredAt == nil && now.After(*deliverBy):
		p.OnTime = boolPtr(false)
		p.Verdict = "Not delivered; the promised " + deadline(*deliverBy) + " has passed."
	case deliveredAt == nil:
		p.Verdict = "Not delivered yet; promised by " + deadline(*deliverBy) + "."
	case deliverBy == nil:
		p.Verdict = "Delivered " + stamp(*deliveredAt) + "; no delivery promise on file."
	default:
		p.OnTime = boolPtr(!deliveredAt.After(*deliverBy))
		p.Verdict = "Delivered " + stamp(*deliveredAt) + ", " + margin(*deliverBy, *deliveredAt) +
			" the promised " + deadline(*deliverBy) + "."
	}
	return p
}

// margin says how far before or after the deadline a delivery was:
// calendar days when they differ, else hours and minutes.
func margin(by, at time.Time) string {
	days := calendarDays(at, by)
	switch {
	case !at.After(by) && days > 0:
		return plural(days, "day") + " before"
	case !at.After(by):
		return "on time for"
	case days < 0:
		return plural(-days, "day") + " after"
	}
	d := at.Sub(by).Round(time.Minute)
	if d < time.Hour {
		return plural(int(max(d/time.Minute, 1)), "minute") + " after"
	}
	return plural(int(d/time.Hour), "hour") + " after"
}

// calendarDays is the number of UTC calendar days from a to b.
func calendarDays(a, b time.Time) int {
	ay, am, ad := a.UTC().Date()
	by, bm, bd := b.UTC().Date()
	da := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	db := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// deadline prints a promise: a bare date when it is the end of a UTC day
// (how marketplaces state "deliver by" dates), else date and time.
func deadline(t time.Time) string {
	t = t.UTC()
	if t.Hour() == 23 && t.Minute() == 59 {
		return t.Format("2006-01-02")
	}
	return stamp(t)
}

// stamp prints an instant the way the evidence pack does everywhere; the
// zero time prints as nothing.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04") + " UTC"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func boolPtr(b bool) *bool { return &b }
