package avail

import (
	"fmt"
	"math"
	"time"
)

// Persistence across exporter restarts (docs/metrics.md, "State across
// restarts"). An exporter saves every tracker of its families (SaveState)
// on a clean stop and periodically, and installs the saved trackers before
// its first configuration creates its trackers (RestoreState); Tracker
// then creates a tracker whose identity (label values) was saved from the
// saved state instead of from nothing:
//
//   - Continue (the file was written by a clean stop, after the last
//     scrape could have been served): the counters continue from the saved
//     values and NS_start_time_seconds keeps its saved value, so a report
//     sees one lifetime and no reset. The time from the tracker's last
//     observation before the stop to the restore is added to
//     NS_unknown_seconds_total: the exporter was not running.
//   - Not Continue (a periodic save: the process may have been scraped with
//     higher counters after it, e.g. it was killed): continuing would make
//     the counters go down, which reports and Prometheus read as a reset
//     and count twice; so the counters start at 0 with a new start time (a
//     new lifetime, as without persistence).
//
// Either way the confirmed state, the state before an unknown spell, the
// start of the current state and the last transition are restored: a line
// down before and after a restart continues the same outage, and confirming
// the same state again is not a state change. A change that was pending
// (not yet confirmed) at the save is dropped, its held time counted as the
// confirmed state's, as when an unknown observation interrupts it.

// SavedCounters are a tracker's counters in a state file.
type SavedCounters struct {
	Observed        float64 `json:"observed_seconds"`
	Down            float64 `json:"down_seconds"`
	Maintenance     float64 `json:"maintenance_seconds"`
	MaintenanceDown float64 `json:"maintenance_down_seconds"`
	Unknown         float64 `json:"unknown_seconds"`
	StateChanges    uint64  `json:"state_changes"`
}

// SavedTracker is one tracker in a state file. Times are Unix nanoseconds
// (0: none).
type SavedTracker struct {
	Labels       []string      `json:"labels"`
	StartTime    float64       `json:"start_time_seconds"` // NS_start_time_seconds
	State        string        `json:"state"`              // up, down, unknown
	LastKnown    string        `json:"last_known_state"`   // the confirmed state before an unknown spell
	Since        int64         `json:"since_unix_ns"`
	LastChange   int64         `json:"last_change_unix_ns"`
	LastObserved int64         `json:"last_observed_unix_ns"`
	Counters     SavedCounters `json:"counters"`
}

// SavedFamily is one family in a state file.
type SavedFamily struct {
	Namespace string         `json:"namespace"`
	Labels    []string       `json:"labels"`
	Trackers  []SavedTracker `json:"trackers"`
}

// RestoreStats says what a family did with its restored state.
type RestoreStats struct {
	Offered   int // valid saved trackers of the family
	Invalid   int // saved trackers ignored as invalid (bad labels, counters, states, duplicates)
	Restored  int // trackers created from the saved state
	Dropped   int // saved trackers the configuration no longer has
	ClockBack int // restored trackers whose last observation was after the restore (wall clock stepped back)
}

func parseState(s string) (State, bool) {
	switch s {
	case "up":
		return Up, true
	case "down":
		return Down, true
	case "unknown":
		return Unknown, true
	}
	return Unknown, false
}

func unixNS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNS(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// saved returns the tracker's state for a state file: held (unconfirmed)
// time counted as the confirmed state's, as flushHeld would.
func (t *Tracker) saved() SavedTracker {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.c
	addCounters(&c, t.state, t.heldTotal, t.heldMaint)
	st := SavedTracker{State: t.state.String(), LastKnown: t.lastKnown.String(),
		Since: unixNS(t.since), LastChange: unixNS(c.LastChange),
		Counters: SavedCounters{Observed: c.ObservedSeconds, Down: c.DownSeconds, Maintenance: c.MaintenanceSeconds,
			MaintenanceDown: c.MaintenanceDownSeconds, Unknown: c.UnknownSeconds, StateChanges: c.StateChanges}}
	if t.started {
		st.LastObserved = unixNS(t.last)
	}
	return st
}

// restore sets a new tracker from a saved one at now. With cont the
// counters continue, the time since the last observation counted as
// unknown; it returns the gap and whether the wall clock went back (the
// last observation is after now: no gap is counted).
func (t *Tracker) restore(s *SavedTracker, now time.Time, cont bool) (gap time.Duration, clockBack bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.state, _ = parseState(s.State)
	t.lastKnown, _ = parseState(s.LastKnown)
	t.since = fromNS(s.Since)
	t.c.LastChange = fromNS(s.LastChange)
	if s.LastObserved == 0 {
		// Never observed before the stop: nothing was counted, nothing is
		// owed; the first observation starts it as in a new tracker.
		return 0, false
	}
	gap = now.Sub(fromNS(s.LastObserved))
	if gap < 0 {
		gap, clockBack = 0, true
	}
	if cont {
		c := s.Counters
		t.c.ObservedSeconds, t.c.DownSeconds, t.c.MaintenanceSeconds = c.Observed, c.Down, c.Maintenance
		t.c.MaintenanceDownSeconds, t.c.UnknownSeconds, t.c.StateChanges = c.MaintenanceDown, c.Unknown+gap.Seconds(), c.StateChanges
	}
	if t.rule.MaxGap > 0 && gap > t.rule.MaxGap {
		// As in Observe: a gap longer than max_gap forgets the confirmed state.
		t.state = Unknown
	}
	t.started, t.last = true, now
	return gap, clockBack
}

// valid checks a saved tracker against a family with n labels.
func (s *SavedTracker) valid(n int) error {
	if len(s.Labels) != n {
		return fmt.Errorf("%d label values, the family has %d labels", len(s.Labels), n)
	}
	if _, ok := parseState(s.State); !ok {
		return fmt.Errorf("state %q", s.State)
	}
	if _, ok := parseState(s.LastKnown); !ok {
		return fmt.Errorf("last known state %q", s.LastKnown)
	}
	c := s.Counters
	for _, v := range []float64{c.Observed, c.Down, c.Maintenance, c.MaintenanceDown, c.Unknown, s.StartTime} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("counter or start time %v", v)
		}
	}
	if c.Down > c.Observed+1e-6 || c.Maintenance > c.Observed+1e-6 || c.MaintenanceDown > c.Maintenance+1e-6 {
		return fmt.Errorf("inconsistent counters (down %v, maintenance %v, maintenance down %v, observed %v)",
			c.Down, c.Maintenance, c.MaintenanceDown, c.Observed)
	}
	if s.Since < 0 || s.LastChange < 0 || s.LastObserved < 0 {
		return fmt.Errorf("negative time")
	}
	return nil
}

// pending is a saved tracker waiting for Tracker to create it.
type pending struct {
	saved *SavedTracker
}

// SaveState returns every tracker of the family for a state file, sorted
// by label values.
func (f *Family) SaveState() SavedFamily {
	es := f.entries()
	out := SavedFamily{Namespace: f.opts.Namespace, Labels: append([]string(nil), f.opts.Labels...),
		Trackers: make([]SavedTracker, 0, len(es))}
	for _, e := range es {
		st := e.t.saved()
		st.Labels = e.values
		st.StartTime = e.started
		out.Trackers = append(out.Trackers, st)
	}
	// Saved trackers not created yet (still restorable, see EndRestore)
	// stay in the file as they were, when their counters may continue:
	// this process never exported them.
	f.mu.RLock()
	if f.restoreCont {
		for _, p := range f.restore {
			out.Trackers = append(out.Trackers, *p.saved)
		}
	}
	f.mu.RUnlock()
	return out
}

// RestoreProgress returns what the restore did so far; Dropped counts the
// saved trackers not created yet.
func (f *Family) RestoreProgress() RestoreStats {
	f.mu.RLock()
	defer f.mu.RUnlock()
	st := f.restoreStats
	st.Dropped = len(f.restore)
	return st
}

// RestoreState installs saved trackers: each tracker Tracker creates from
// now on whose label values are among them starts from its saved state
// (see the top of this file; cont: the counters continue). Call it before
// the first configuration creates the trackers, and EndRestore after it.
// A family saved under another namespace or other labels is ignored
// (returned error); invalid saved trackers are skipped and counted.
func (f *Family) RestoreState(s SavedFamily, cont bool) (RestoreStats, error) {
	var st RestoreStats
	if s.Namespace != f.opts.Namespace || key(s.Labels) != key(f.opts.Labels) || len(s.Labels) != len(f.opts.Labels) {
		return st, fmt.Errorf("saved family %s%v does not match %s%v", s.Namespace, s.Labels, f.opts.Namespace, f.opts.Labels)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.restore = map[string]pending{}
	f.restoreCont = cont
	f.restoreStats = RestoreStats{}
	maxStart := 0.0
	for i := range s.Trackers {
		t := &s.Trackers[i]
		k := key(t.Labels)
		if err := t.valid(len(f.opts.Labels)); err != nil {
			st.Invalid++
			continue
		}
		if _, dup := f.restore[k]; dup {
			st.Invalid++
			continue
		}
		f.restore[k] = pending{saved: t}
		st.Offered++
		maxStart = math.Max(maxStart, t.StartTime)
	}
	// New lifetimes (new trackers, or counters not continued) must start
	// strictly after every saved one, also if the wall clock went back.
	if b := time.UnixMilli(int64(math.Round(maxStart * 1e3))); maxStart > 0 && b.After(f.batch) {
		f.batch = b
	}
	f.restoreStats = st
	return st, nil
}

// EndRestore drops the saved trackers no tracker was created for (no
// longer configured) and returns what the restore did. The frame calls it
// a grace time after the first configuration was applied, so that
// trackers a service creates only after its first polls (env_exporter's
// conditions of devices identified by profile: auto) are restored too.
func (f *Family) EndRestore() RestoreStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.restoreStats
	st.Dropped = len(f.restore)
	f.restore = nil
	f.restoreStats = RestoreStats{}
	return st
}
