package simulate

import (
	"math/rand/v2"
	"time"

	"github.com/shipwatch/shipwatch/internal/shipment"
)

// Shipment is what the simulator knows of a shipment: what the server's
// GraphQL API lists.
type Shipment struct {
	ID             string
	TrackingNumber string
	Carrier        string
	ShippedAt      time.Time
	// DeliverBy is the promised delivery time; zero when none was given.
	DeliverBy time.Time
	// DestinationZIP is the US ZIP code the parcel goes to; "" when none
	// was given (the life then ends in a city of its own choosing).
	DestinationZIP string
}

// Life is the carrier's story of one shipment: its outcome and the events
// a carrier would report, in the order they happen.
type Life struct {
	Shipment Shipment
	Outcome  Outcome
	Events   []shipment.Event
}

// Before returns the events that happened by t: a prefix, since a life's
// events are in the order they happen.
func (l Life) Before(t time.Time) []shipment.Event {
	n := 0
	for n < len(l.Events) && !l.Events[n].OccurredAt.After(t) {
		n++
	}
	return l.Events[:n]
}

// NewLife draws an outcome from m and plans the shipment's life with r.
func NewLife(s Shipment, m Mix, r *rand.Rand) Life {
	return Plan(s, m.Pick(r), r)
}

// Plan invents the carrier events of a shipment that ends in outcome o: a
// label at about ShippedAt, then (unless the label is never scanned) an
// acceptance scan, arrival and departure scans through one to three hubs,
// and out for delivery in the destination city, with times spread over the
// days up to DeliverBy (or after it, for a late delivery). Events carry the
// carrier's own codes and wording, a location, the delivery estimate and,
// on delivery, who signed. The same r state gives the same life.
func Plan(s Shipment, o Outcome, r *rand.Rand) Life {
	p := newPlanner(s, r)
	switch o {
	case OutcomeInactive:
		p.label()
	case OutcomeStalled:
		p.label()
		p.accept()
		p.transit(r.IntN(len(p.route)))
	case OutcomeException:
		p.label()
		p.accept()
		p.transit(1 + r.IntN(len(p.route)))
		p.exception()
	case OutcomeAttempt:
		p.label()
		p.accept()
		p.transit(len(p.route))
		p.attempt(p.deliverAt(false))
		p.deliver(p.nextDay(p.last(), 10, 18))
	case OutcomeReturned:
		p.label()
		p.accept()
		p.transit(len(p.route))
		p.attempt(p.deliverAt(false))
		p.returnToSender()
	case OutcomeLate:
		p.label()
		p.accept()
		p.transit(len(p.route))
		p.deliver(p.deliverAt(true))
	default:
		o = OutcomeDelivered
		p.label()
		p.accept()
		p.transit(len(p.route))
		p.deliver(p.deliverAt(false))
	}
	return Life{Shipment: s, Outcome: o, Events: p.events}
}

// planner accumulates one life's events.
type planner struct {
	s        Shipment
	r        *rand.Rand
	words    vocabulary
	origin   place
	dest     place
	route    []hop // scans between acceptance and the destination
	estimate time.Time
	events   []shipment.Event
}

// hop is one scan on the way: arriving at or departing from a place.
type hop struct {
	at     place
	arrive bool
}

func newPlanner(s Shipment, r *rand.Rand) *planner {
	p := &planner{s: s, r: r, words: wordsFor(s.Carrier)}
	p.origin = cities[r.IntN(len(cities))]
	if d, ok := destination(s.DestinationZIP); ok {
		p.dest = d
		for p.origin.city == p.dest.city {
			p.origin = cities[r.IntN(len(cities))]
		}
	} else {
		for p.dest = p.origin; p.dest == p.origin; {
			p.dest = cities[r.IntN(len(cities))]
		}
	}
	p.route = append(p.route, hop{p.origin, false})
	for _, i := range r.Perm(len(hubs))[:1+r.IntN(3)] {
		h := hubs[i]
		p.route = append(p.route, hop{h, true}, hop{h, false})
	}
	p.route = append(p.route, hop{p.dest, true})

	promised := s.DeliverBy
	if promised.IsZero() || !promised.After(s.ShippedAt) {
		promised = s.ShippedAt.AddDate(0, 0, 3+r.IntN(3))
	}
	// Carriers estimate a day, which providers write as midnight UTC.
	p.estimate = promised.UTC().Truncate(24 * time.Hour)
	return p
}

// promised is the latest on-time delivery moment.
func (p *planner) promised() time.Time {
	if !p.s.DeliverBy.IsZero() && p.s.DeliverBy.After(p.s.ShippedAt) {
		return p.s.DeliverBy
	}
	return p.estimate.Add(20 * time.Hour)
}

func (p *planner) add(at time.Time, status shipment.Status, w phrase, where place) {
	edd := p.estimate
	p.events = append(p.events, shipment.Event{
		TrackingNumber:      p.s.TrackingNumber,
		Carrier:             p.s.Carrier,
		OccurredAt:          at.UTC().Truncate(time.Minute),
		Status:              status,
		CarrierStatus:       w.code,
		Description:         w.text,
		Location:            where.location(),
		EstimatedDeliveryAt: &edd,
	})
}

func (p *planner) last() time.Time { return p.events[len(p.events)-1].OccurredAt }

// minutes is a random duration between lo and hi minutes.
func (p *planner) minutes(lo, hi int) time.Duration {
	return time.Duration(lo+p.r.IntN(hi-lo+1)) * time.Minute
}

// label is created up to four hours before the seller ships.
func (p *planner) label() {
	p.add(p.s.ShippedAt.Add(-p.minutes(5, 240)), shipment.StatusLabelCreated, p.words.label, p.origin)
}

// accept is the first carrier scan, the same day or the next.
func (p *planner) accept() {
	p.add(p.last().Add(p.minutes(60, 26*60)), shipment.StatusInTransit, p.words.accept, p.origin)
}

// transit plays the first n hops of the route, 60 to 100% of an even
// share apart, so that the last one leaves time to deliver before the
// promise.
func (p *planner) transit(n int) {
	start := p.last()
	end := p.promised().Add(-14 * time.Hour)
	if earliest := start.Add(time.Duration(len(p.route)) * 2 * time.Hour); end.Before(earliest) {
		end = earliest
	}
	step := end.Sub(start) / time.Duration(len(p.route)+1)
	at := start
	for _, h := range p.route[:n] {
		at = at.Add(step*6/10 + time.Duration(p.r.Int64N(int64(step*4/10)+1))).Truncate(time.Minute)
		if !at.After(p.last()) {
			at = p.last().Add(time.Minute)
		}
		w := p.words.depart
		if h.arrive {
			w = p.words.arrive
		}
		p.add(at, shipment.StatusInTransit, w, h.at)
	}
}

// deliverAt picks the delivery moment: a weekday-agnostic daytime after the
// last scan and before the promise, or one to four days after it when late.
func (p *planner) deliverAt(late bool) time.Time {
	after := p.last().Add(2 * time.Hour)
	if late {
		return p.daytime(p.promised().AddDate(0, 0, 1+p.r.IntN(4)), 10, 18)
	}
	at := p.daytime(p.promised(), 10, 18)
	if at.After(p.promised()) {
		at = p.promised().Add(-p.minutes(30, 120))
	}
	if at.Before(after) {
		at = after
	}
	return at
}

// daytime is a random moment between hours lo and hi on t's day.
func (p *planner) daytime(t time.Time, lo, hi int) time.Time {
	day := t.UTC().Truncate(24 * time.Hour)
	return day.Add(time.Duration(lo)*time.Hour + p.minutes(0, (hi-lo)*60))
}

func (p *planner) nextDay(t time.Time, lo, hi int) time.Time {
	return p.daytime(t.AddDate(0, 0, 1), lo, hi)
}

// outForDelivery loads the van early on the delivery day.
func (p *planner) outForDelivery(at time.Time) {
	ofd := p.daytime(at, 6, 9)
	if !ofd.Before(at) {
		ofd = at.Add(-p.minutes(30, 90))
	}
	if !ofd.After(p.last()) {
		ofd = p.last().Add(time.Minute)
	}
	p.add(ofd, shipment.StatusOutForDelivery, p.words.outForDelivery, p.dest)
}

func (p *planner) after(at time.Time) time.Time {
	if !at.After(p.last()) {
		return p.last().Add(time.Minute)
	}
	return at
}

func (p *planner) deliver(at time.Time) {
	p.outForDelivery(at)
	p.add(p.after(at), shipment.StatusDelivered, p.words.delivered, p.dest)
	p.events[len(p.events)-1].SignedBy = signers[p.r.IntN(len(signers))]
}

func (p *planner) attempt(at time.Time) {
	p.outForDelivery(at)
	p.add(p.after(at), shipment.StatusDeliveryAttempted, p.words.attempt, p.dest)
}

// exception strikes where the parcel last was, hours after its last scan.
func (p *planner) exception() {
	w := p.words.exceptions[p.r.IntN(len(p.words.exceptions))]
	last := p.events[len(p.events)-1].Location
	where := place{last.City, last.Region, last.PostalCode}
	p.add(p.last().Add(p.minutes(120, 20*60)), shipment.StatusException, w, where)
}

// returnToSender: the carrier gives up after the attempt and the parcel
// travels back to its origin over a few days.
func (p *planner) returnToSender() {
	p.add(p.nextDay(p.last(), 8, 16), shipment.StatusReturnedToSender, p.words.returning, p.dest)
	p.add(p.daytime(p.last().AddDate(0, 0, 2+p.r.IntN(3)), 9, 17), shipment.StatusReturnedToSender, p.words.returned, p.origin)
}
