// Package avail is the availability engine shared by every prober in
// jianguan (lines, hosts, websites, machine-room conditions).
//
// A Tracker turns timestamped observations (up / down / unknown) into a
// confirmed state and into seconds counters (design.md §2). The interval
// between two observations is attributed to the evidence of the later one,
// except where the evidence changes between up and down: the change is then
// dated at the midpoint of the two observations, the
// first half counted in the old state and the second in the new; while a
// change is still unconfirmed (fewer than DownAfter/UpAfter
// consecutive observations), its time is held and attributed once the change
// is confirmed or rejected, so counters only ever go up and each transition
// is exact to half an observation interval. Time during maintenance windows is split out exactly
// at the window boundaries. Unknown is a state of its own: its time is never
// counted as up, nor as observed.
package avail

import (
	"fmt"
	"sync"
	"time"
)

// State is the confirmed state of one checked thing.
type State int8

const (
	Unknown State = iota
	Up
	Down
)

func (s State) String() string {
	switch s {
	case Up:
		return "up"
	case Down:
		return "down"
	default:
		return "unknown"
	}
}

// Rule says when a change of state is confirmed.
type Rule struct {
	// DownAfter is the number of consecutive bad observations that confirm
	// "down" (default 1).
	DownAfter int `yaml:"down_after"`
	// UpAfter is the number of consecutive good observations that confirm
	// "up" (default 1).
	UpAfter int `yaml:"up_after"`
	// MaxGap: a gap between observations longer than this is the prober
	// not observing (stalled, suspended): the gap counts as unknown and
	// the confirmed state is forgotten. 0 means no limit.
	MaxGap time.Duration `yaml:"max_gap"`
}

// Validate checks a rule; zero values are replaced by defaults.
func (r *Rule) Validate() error {
	if r.DownAfter < 0 || r.UpAfter < 0 || r.MaxGap < 0 {
		return fmt.Errorf("down_after, up_after and max_gap must not be negative")
	}
	if r.DownAfter == 0 {
		r.DownAfter = 1
	}
	if r.UpAfter == 0 {
		r.UpAfter = 1
	}
	return nil
}

// Counters are the accumulated seconds and transitions of one tracker.
type Counters struct {
	ObservedSeconds        float64 // known state (up or down), maintenance included
	DownSeconds            float64 // confirmed down outside maintenance
	MaintenanceSeconds     float64 // known state inside maintenance
	MaintenanceDownSeconds float64 // confirmed down inside maintenance
	UnknownSeconds         float64 // prober running, state unknown
	StateChanges           uint64  // confirmed up↔down transitions
	LastChange             time.Time
}

// Snapshot is a consistent view of a tracker.
type Snapshot struct {
	Counters
	State         State
	Since         time.Time // start of the current confirmed state (zero if never confirmed)
	InMaintenance bool
	LastObserved  time.Time
	Pending       State // candidate state awaiting confirmation (Unknown if none)
}

// Tracker tracks one checked thing. It is safe for concurrent use.
type Tracker struct {
	mu   sync.Mutex
	rule Rule
	cal  Calendar

	started   bool
	last      time.Time
	state     State
	lastKnown State // last confirmed known state, survives unknown spells
	lastEv    State // evidence of the last observation (Unknown after a restore: not observed since)
	since     time.Time

	cand      State
	candN     int
	candStart time.Time
	heldTotal time.Duration
	heldMaint time.Duration

	c Counters

	// Transition recording (see RecordTransitions).
	record  bool
	created time.Time
	trans   []Transition
}

// Transition is a change of the tracker's state (unknown included), dated
// where the tracker attributes it: a confirmed up↔down change at the
// midpoint between the last observation of the old state and the first of
// the new; a change from or to unknown at the start of the interval of its
// first observation.
type Transition struct {
	At    time.Time
	State State
}

// NewTracker returns a tracker in state Unknown. cal may be nil (no
// maintenance). The rule must have been validated.
func NewTracker(rule Rule, cal Calendar) *Tracker {
	if rule.DownAfter <= 0 {
		rule.DownAfter = 1
	}
	if rule.UpAfter <= 0 {
		rule.UpAfter = 1
	}
	return &Tracker{rule: rule, cal: cal}
}

// SetRule replaces the confirmation rule and calendar (config reload);
// counters and state are kept.
func (t *Tracker) SetRule(rule Rule, cal Calendar) {
	if rule.DownAfter <= 0 {
		rule.DownAfter = 1
	}
	if rule.UpAfter <= 0 {
		rule.UpAfter = 1
	}
	t.mu.Lock()
	t.rule, t.cal = rule, cal
	t.mu.Unlock()
}

// Observe records evidence s observed at time at. Pass time.Now() in
// production (it carries the monotonic clock, so wall-clock steps do not
// distort the seconds); tests inject any time. Observations older than the
// last one are applied with zero duration.
func (t *Tracker) Observe(at time.Time, s State) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.started {
		t.started = true
		t.last = at
		t.apply(at, 0, 0, s)
		return
	}
	dt := at.Sub(t.last)
	if dt < 0 {
		dt = 0
	} else {
		prev := t.last
		t.last = at
		if t.rule.MaxGap > 0 && dt > t.rule.MaxGap {
			// The prober was not looking: the gap is unknown and what
			// was confirmed before is no longer known.
			t.flushHeld()
			t.c.UnknownSeconds += dt.Seconds()
			t.setState(prev, Unknown)
			t.apply(at, 0, 0, s)
			return
		}
		t.apply(at, dt, t.maintOverlap(prev, at), s)
		return
	}
	t.apply(at, 0, 0, s)
}

// apply attributes an interval of length dt (maint of it in maintenance)
// that ended with evidence s.
func (t *Tracker) apply(at time.Time, dt, maint time.Duration, s State) {
	prevEv := t.lastEv
	t.lastEv = s
	if s == Unknown {
		t.flushHeld()
		t.c.UnknownSeconds += dt.Seconds()
		t.setState(at.Add(-dt), Unknown)
		return
	}
	if s == t.state {
		t.flushHeld()
		t.add(s, dt, maint)
		return
	}
	if t.cand != s {
		t.flushHeld()
		t.cand = s
		t.candN = 0
		t.candStart = at.Add(-dt)
		if t.state != Unknown && prevEv == t.state && dt > 0 {
			// Up↔down (the last observation saw the old state): the
			// change happened somewhere between it and this one; estimate it at
			// the midpoint (error at most dt/2 instead of dt, and zero on
			// average). The first half is the old state's for good, so
			// it is counted now; the second half is held.
			mid := at.Add(-dt + dt/2)
			first := t.maintOverlap(at.Add(-dt), mid)
			t.add(t.state, dt/2, first)
			dt -= dt / 2
			maint -= first
			if maint < 0 {
				maint = 0
			}
			t.candStart = mid
		}
	}
	t.candN++
	t.heldTotal += dt
	t.heldMaint += maint
	need := t.rule.UpAfter
	if s == Down {
		need = t.rule.DownAfter
	}
	if t.candN >= need {
		t.add(s, t.heldTotal, t.heldMaint)
		t.heldTotal, t.heldMaint = 0, 0
		start := t.candStart
		t.cand, t.candN = Unknown, 0
		if t.lastKnown != Unknown && t.lastKnown != s {
			t.c.StateChanges++
			t.c.LastChange = start
			t.since = start
		} else if t.lastKnown == Unknown || t.since.IsZero() {
			t.since = start
		}
		t.setState(start, s)
		t.lastKnown = s
	}
}

func (t *Tracker) setState(at time.Time, s State) {
	if t.state == s {
		return
	}
	t.state = s
	if t.record {
		t.trans = append(t.trans, Transition{At: at, State: s})
	}
}

// RecordTransitions makes the tracker keep its state changes for
// TakeTransitions, starting with its current state at created. A prober
// that combines several trackers into one (a line made of ICMP, interface
// and BGP signals) sweeps their transitions in time order, so the combined
// seconds are exactly as exact as the parts'. Calling it again (reload)
// restarts the record at created.
func (t *Tracker) RecordTransitions(created time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.record = true
	t.created = created
	t.trans = []Transition{{At: created, State: t.state}}
}

// TakeTransitions removes and returns the recorded transitions dated at or
// before until, oldest first.
func (t *Tracker) TakeTransitions(until time.Time) []Transition {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for n < len(t.trans) && !t.trans[n].At.After(until) {
		n++
	}
	out := append([]Transition(nil), t.trans[:n]...)
	t.trans = t.trans[n:]
	return out
}

// Settled returns the time up to which the tracker's state is final: the
// start of a pending (unconfirmed) change, else the last observation (the
// RecordTransitions time before any observation).
func (t *Tracker) Settled() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cand != Unknown {
		return t.candStart
	}
	if !t.started {
		return t.created
	}
	return t.last
}

// flushHeld gives held (unconfirmed) time back to the current state.
func (t *Tracker) flushHeld() {
	if t.heldTotal > 0 || t.heldMaint > 0 {
		t.add(t.state, t.heldTotal, t.heldMaint)
	}
	t.heldTotal, t.heldMaint = 0, 0
	t.cand, t.candN = Unknown, 0
}

func (t *Tracker) add(s State, total, maint time.Duration) { addCounters(&t.c, s, total, maint) }

func addCounters(c *Counters, s State, total, maint time.Duration) {
	switch s {
	case Up:
		c.ObservedSeconds += total.Seconds()
		c.MaintenanceSeconds += maint.Seconds()
	case Down:
		c.ObservedSeconds += total.Seconds()
		c.MaintenanceSeconds += maint.Seconds()
		c.DownSeconds += (total - maint).Seconds()
		c.MaintenanceDownSeconds += maint.Seconds()
	default:
		c.UnknownSeconds += total.Seconds()
	}
}

func (t *Tracker) maintOverlap(from, to time.Time) time.Duration {
	if t.cal == nil {
		return 0
	}
	m := t.cal.Overlap(from, to)
	if d := to.Sub(from); m > d {
		m = d
	}
	return m
}

// State returns the confirmed state.
func (t *Tracker) State() State {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state
}

// Snapshot returns the counters and state. now is used only to tell
// whether a maintenance window is active.
func (t *Tracker) Snapshot(now time.Time) Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := Snapshot{Counters: t.c, State: t.state, Since: t.since, LastObserved: t.last, Pending: t.cand}
	if t.cal != nil {
		s.InMaintenance = t.cal.Active(now)
	}
	return s
}
