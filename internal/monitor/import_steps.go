package monitor

import "time"

// The steps of an import batch, as ImportOptions.OnStep names them. A
// batch's time is the sum of its steps: parse is spent reading the file
// before the batch starts, the others inside (or, for commit and recheck,
// right after) its transaction.
const (
	StepParse         = "parse"         // read, parse and check the rows (tracking check included)
	StepUpsert        = "upsert"        // write the shipments (one upsert with the no-op guard)
	StepRefresh       = "refresh"       // event-derived state of the batch's numbers (locking every shipment of them, the ones to check), status announcements
	StepRegistrations = "registrations" // queue numbers with auto-registering sources, and their jobs
	StepRisk          = "risk"          // forecast risk of the shipments that can be at risk
	StepRules         = "rules"         // every rule in one statement: flags raised and resolved
	StepAnnounce      = "announce"      // flag messages and notifications
	StepErrors        = "errors"        // the rejected rows
	StepProgress      = "progress"      // the batch's range, counts and checkpoint
	StepCommit        = "commit"        // COMMIT
	StepRecheck       = "recheck"       // shipments that received an event while the batch was written
)

// stepClock times the steps of one batch: each lap reports the time since
// the previous one. A nil clock times nothing.
type stepClock struct {
	last    time.Time
	observe func(step string, d time.Duration)
}

func newStepClock(observe func(step string, d time.Duration)) *stepClock {
	if observe == nil {
		return nil
	}
	return &stepClock{last: time.Now(), observe: observe}
}

func (c *stepClock) lap(step string) {
	if c == nil {
		return
	}
	now := time.Now()
	c.observe(step, now.Sub(c.last))
	c.last = now
}
