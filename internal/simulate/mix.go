// Package simulate plays carriers for a Shipwatch server under test. It
// invents a plausible carrier life for each shipment (label, acceptance,
// hops through US hubs, out for delivery, delivery or one of the ways it
// goes wrong), renders it as the webhooks EasyPost or AfterShip would send,
// signs them, and posts them to the server through its public API only.
//
// Life generation and the payload builders are pure and deterministic for
// a given seed; Run does the HTTP.
package simulate

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Outcome is how a simulated shipment's carrier life ends.
type Outcome string

// The outcomes a Mix weighs. Their names are the keys of the --mix flag.
const (
	// OutcomeDelivered is a normal delivery, on time, signed for.
	OutcomeDelivered Outcome = "delivered"
	// OutcomeInactive is a label that the carrier never scans.
	OutcomeInactive Outcome = "inactive"
	// OutcomeStalled is a parcel scanned in and then silent mid-route.
	OutcomeStalled Outcome = "stalled"
	// OutcomeException ends in a carrier exception (damage, bad address).
	OutcomeException Outcome = "exception"
	// OutcomeAttempt is a failed delivery attempt, delivered the next day.
	OutcomeAttempt Outcome = "attempt"
	// OutcomeReturned is a failed attempt and a return to the sender.
	OutcomeReturned Outcome = "returned"
	// OutcomeLate is delivered and signed for, after the promised date.
	OutcomeLate Outcome = "late"
)

// Outcomes lists every outcome, in the order Mix.String writes them.
var Outcomes = []Outcome{
	OutcomeDelivered, OutcomeInactive, OutcomeStalled, OutcomeException,
	OutcomeAttempt, OutcomeReturned, OutcomeLate,
}

// maxWeight bounds one weight so that the total cannot overflow.
const maxWeight = 1_000_000

// Mix weighs the outcomes: a shipment ends in outcome o with probability
// Mix[o] / Mix.Total(). Missing outcomes weigh zero.
type Mix map[Outcome]int

// DefaultMix is mostly normal deliveries with a few of each problem.
func DefaultMix() Mix {
	return Mix{
		OutcomeDelivered: 70, OutcomeInactive: 5, OutcomeStalled: 5, OutcomeException: 5,
		OutcomeAttempt: 5, OutcomeReturned: 5, OutcomeLate: 5,
	}
}

// ParseMix reads a mix written as comma-separated outcome=weight pairs,
// e.g. "delivered=70,inactive=5,late=25". Weights are whole numbers from 0
// to 1,000,000; at least one must be positive; each outcome appears once.
func ParseMix(s string) (Mix, error) {
	m := Mix{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("mix: %q is not outcome=weight", part)
		}
		o := Outcome(strings.ToLower(strings.TrimSpace(name)))
		if !o.valid() {
			return nil, fmt.Errorf("mix: unknown outcome %q (want one of %s)", name, outcomeNames())
		}
		if _, dup := m[o]; dup {
			return nil, fmt.Errorf("mix: %s given twice", o)
		}
		w, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || w < 0 || w > maxWeight {
			return nil, fmt.Errorf("mix: weight of %s must be a whole number from 0 to %d, not %q", o, maxWeight, value)
		}
		m[o] = w
	}
	if m.Total() == 0 {
		return nil, fmt.Errorf("mix: %q gives no outcome a positive weight", s)
	}
	return m, nil
}

// Total is the sum of the weights of the known outcomes.
func (m Mix) Total() int {
	total := 0
	for _, o := range Outcomes {
		if w := m[o]; w > 0 {
			total += w
		}
	}
	return total
}

// String writes the mix the way ParseMix reads it, outcomes in order,
// zero weights left out.
func (m Mix) String() string {
	var parts []string
	for _, o := range Outcomes {
		if w := m[o]; w > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", o, w))
		}
	}
	return strings.Join(parts, ",")
}

// Pick draws an outcome with the mix's weights. An empty mix always
// delivers.
func (m Mix) Pick(r *rand.Rand) Outcome {
	total := m.Total()
	if total == 0 {
		return OutcomeDelivered
	}
	n := r.IntN(total)
	for _, o := range Outcomes {
		if w := m[o]; w > 0 {
			if n < w {
				return o
			}
			n -= w
		}
	}
	return OutcomeDelivered
}

func (o Outcome) valid() bool {
	for _, v := range Outcomes {
		if o == v {
			return true
		}
	}
	return false
}

func outcomeNames() string {
	names := make([]string, len(Outcomes))
	for i, o := range Outcomes {
		names[i] = string(o)
	}
	return strings.Join(names, ", ")
}
