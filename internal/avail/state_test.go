package avail

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// proc is one exporter process: a family with a controllable clock.
type proc struct {
	f   *Family
	now time.Time
}

func newProc(start time.Time) *proc {
	p := &proc{now: start}
	p.f = NewFamily(FamilyOpts{Namespace: "line", Labels: []string{"line"}, What: "line"})
	p.f.now = func() time.Time { return p.now }
	return p
}

// observe feeds pattern ('u', 'd', '?', '_' none) every second from from.
func observe(tr *Tracker, from time.Time, pattern string) time.Time {
	at := from
	for _, ch := range pattern {
		switch ch {
		case 'u':
			tr.Observe(at, Up)
		case 'd':
			tr.Observe(at, Down)
		case '?':
			tr.Observe(at, Unknown)
		}
		at = at.Add(time.Second)
	}
	return at.Add(-time.Second)
}

// roundTrip passes saved state through JSON, as the state file does.
func roundTrip(t *testing.T, s SavedFamily) SavedFamily {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out SavedFamily
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func startTime(f *Family, v ...string) float64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.trackers[key(v)].started
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// restart saves p's family (a clean stop when clean), starts a new process
// gap later and restores into it.
func restart(t *testing.T, p *proc, gap time.Duration, clean bool) *proc {
	t.Helper()
	saved := roundTrip(t, p.f.SaveState())
	q := newProc(p.now.Add(gap))
	if _, err := q.f.RestoreState(saved, clean); err != nil {
		t.Fatal(err)
	}
	return q
}

// TestDefect17_10_RestartDuringOutage: issue 17 item 10 — a 47 s outage
// with an exporter restart inside came out as 14 s down + 33 s unknown.
// With the state kept: the down seconds continue, unknown is the real gap
// only, one outage (its start kept), no spurious state change, and the
// start time is unchanged (one lifetime for reports).
func TestDefect17_10_RestartDuringOutage(t *testing.T) {
	for _, rule := range []Rule{{DownAfter: 1, UpAfter: 1}, {DownAfter: 3, UpAfter: 3}} {
		a := newProc(t0)
		tr := a.f.Tracker(rule, nil, "l1")
		last := observe(tr, t0, "uuuuuuuuuu"+"dddddddddddddd") // up t0..t9, down t10..t23 (14 s down at t23... counted to t23)
		a.now = last
		before := tr.Snapshot(last)
		if before.State != Down || before.StateChanges != 1 || !before.Since.Equal(t0.Add(9500*time.Millisecond)) {
			t.Fatalf("%+v: before restart: %+v", rule, before)
		}
		startA := startTime(a.f, "l1")

		const gap = 2500 * time.Millisecond // the exporter is not running
		b := restart(t, a, gap, true)
		tr2 := b.f.Tracker(rule, nil, "l1")
		if st := b.f.EndRestore(); st.Restored != 1 || st.Dropped != 0 || st.ClockBack != 0 {
			t.Fatalf("restore stats %+v", st)
		}
		if got := startTime(b.f, "l1"); got != startA {
			t.Errorf("%+v: start time %v after the restart, %v before: a report would see a reset and count twice", rule, got, startA)
		}
		s := tr2.Snapshot(b.now)
		if s.State != Down || s.StateChanges != 1 || !s.Since.Equal(before.Since) || !s.LastChange.Equal(before.LastChange) {
			t.Errorf("%+v: restored %+v, want the outage continued (down since %v, 1 change)", rule, s, before.Since)
		}
		if !near(s.UnknownSeconds, before.UnknownSeconds+gap.Seconds()) || !near(s.DownSeconds, before.DownSeconds) {
			t.Errorf("%+v: restored unknown %v down %v, want %v and %v", rule, s.UnknownSeconds, s.DownSeconds, before.UnknownSeconds+gap.Seconds(), before.DownSeconds)
		}
		// Down for 30 s more after the restart (first probe 1 s after it), then up.
		first := b.now.Add(time.Second)
		end := observe(tr2, first, "dddddddddddddddddddddddddddddd"+"uuuuu")
		s = tr2.Snapshot(end)
		recovered := first.Add(29500 * time.Millisecond) // midway between the last down probe and the first up one
		wantDown := recovered.Sub(t0.Add(9500*time.Millisecond)).Seconds() - gap.Seconds()
		if !near(s.DownSeconds, wantDown) {
			t.Errorf("%+v: down %v s, want %v (the whole outage but the gap)", rule, s.DownSeconds, wantDown)
		}
		if !near(s.UnknownSeconds, gap.Seconds()) {
			t.Errorf("%+v: unknown %v s, want the real gap %v", rule, s.UnknownSeconds, gap.Seconds())
		}
		if s.StateChanges != 2 || !s.LastChange.Equal(recovered) {
			t.Errorf("%+v: %d changes, last %v; want 2 (one outage), last %v", rule, s.StateChanges, s.LastChange, recovered)
		}
		total := end.Sub(t0).Seconds()
		if got := s.ObservedSeconds + s.UnknownSeconds; !near(got, total) {
			t.Errorf("%+v: observed+unknown %v, want the whole %v s", rule, got, total)
		}
	}
}

// TestDefect17_10_CleanRestartWhileUp: issue 17 item 10 — a clean 30 s
// restart while the line was up came out as 41 s unknown; with the state
// kept, unknown is the 30 s the exporter was not running and nothing
// counted before is lost.
func TestDefect17_10_CleanRestartWhileUp(t *testing.T) {
	a := newProc(t0)
	tr := a.f.Tracker(Rule{DownAfter: 3, UpAfter: 3}, nil, "l1")
	a.now = observe(tr, t0, "uuuuuuuuuuuuuuuuuuuu") // 19 s up
	startA := startTime(a.f, "l1")
	b := restart(t, a, 30*time.Second, true)
	tr2 := b.f.Tracker(Rule{DownAfter: 3, UpAfter: 3}, nil, "l1")
	b.f.EndRestore()
	end := observe(tr2, b.now.Add(time.Second), "uuuuuuuuuu")
	s := tr2.Snapshot(end)
	if !near(s.UnknownSeconds, 30) || !near(s.ObservedSeconds, 19+10) || s.DownSeconds != 0 || s.StateChanges != 0 || s.State != Up {
		t.Errorf("after a clean 30 s restart: %+v; want unknown 30, observed 29, no change", s)
	}
	if startTime(b.f, "l1") != startA {
		t.Error("start time changed across a clean restart")
	}
}

// TestStateRestoreCases: the other restore paths.
func TestStateRestoreCases(t *testing.T) {
	type check func(t *testing.T, a, b *proc, st RestoreStats)
	tests := []struct {
		name  string
		gap   time.Duration
		clean bool
		keep  []string // trackers the new configuration creates
		check check
	}{
		{name: "clock went back between save and restore", gap: -time.Hour, clean: true, keep: []string{"l1", "l2"},
			check: func(t *testing.T, a, b *proc, st RestoreStats) {
				if st.ClockBack != 2 {
					t.Errorf("clock back %d, want 2", st.ClockBack)
				}
				s := b.f.Get("l1").Snapshot(b.now)
				if s.UnknownSeconds != 0 || !near(s.ObservedSeconds, 9) {
					t.Errorf("%+v: want no negative or added time", s)
				}
				// Time then runs on from the restore instant, not backwards.
				end := observe(b.f.Get("l1"), b.now.Add(time.Second), "uu")
				if s := b.f.Get("l1").Snapshot(end); !near(s.ObservedSeconds, 11) {
					t.Errorf("observed %v after two probes, want 11", s.ObservedSeconds)
				}
			}},
		{name: "tracker removed from the configuration is dropped", gap: 5 * time.Second, clean: true, keep: []string{"l1"},
			check: func(t *testing.T, a, b *proc, st RestoreStats) {
				if st.Restored != 1 || st.Dropped != 1 {
					t.Errorf("stats %+v, want 1 restored, 1 dropped", st)
				}
				// Added back later: a new lifetime from 0 with a later start time.
				b.now = b.now.Add(time.Minute)
				tr := b.f.Tracker(Rule{}, nil, "l2")
				if s := tr.Snapshot(b.now); s.ObservedSeconds != 0 || s.StateChanges != 0 || s.State != Unknown {
					t.Errorf("re-added tracker not fresh: %+v", s)
				}
				if startTime(b.f, "l2") <= startTime(a.f, "l2") {
					t.Errorf("re-added tracker's start time %v not after the saved %v", startTime(b.f, "l2"), startTime(a.f, "l2"))
				}
			}},
		{name: "periodic save (not a clean stop): states only, new lifetime", gap: 5 * time.Second, clean: false, keep: []string{"l1", "l2"},
			check: func(t *testing.T, a, b *proc, st RestoreStats) {
				s := b.f.Get("l2").Snapshot(b.now)
				if s.State != Down || s.ObservedSeconds != 0 || s.UnknownSeconds != 0 || s.StateChanges != 0 {
					t.Errorf("%+v: want the state restored and the counters at 0", s)
				}
				if !s.Since.Equal(a.f.Get("l2").Snapshot(a.now).Since) {
					t.Error("outage start not restored")
				}
				if startTime(b.f, "l2") <= startTime(a.f, "l2") {
					t.Errorf("new lifetime's start time %v not after the saved %v", startTime(b.f, "l2"), startTime(a.f, "l2"))
				}
				// Down confirmed again: the same outage, no change counted.
				observe(b.f.Get("l2"), b.now.Add(time.Second), "ddd")
				if s := b.f.Get("l2").Snapshot(b.now); s.StateChanges != 0 || s.DownSeconds != 3 {
					t.Errorf("%+v: want 3 s down and no change", s)
				}
			}},
		{name: "not a clean stop and the clock 48 h back: the new lifetime still starts after the saved one", gap: -48 * time.Hour, clean: false, keep: []string{"l1"},
			check: func(t *testing.T, a, b *proc, st RestoreStats) {
				if startTime(b.f, "l1") <= startTime(a.f, "l1") {
					t.Errorf("start time %v not after the saved %v although the clock went back", startTime(b.f, "l1"), startTime(a.f, "l1"))
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newProc(t0)
			l1 := a.f.Tracker(Rule{}, nil, "l1")
			l2 := a.f.Tracker(Rule{}, nil, "l2")
			observe(l1, t0, "uuuuuuuuuu")
			a.now = observe(l2, t0, "uuuuudddddd")
			b := restart(t, a, tc.gap, tc.clean)
			for _, k := range tc.keep {
				b.f.Tracker(Rule{}, nil, k)
			}
			tc.check(t, a, b, b.f.EndRestore())
		})
	}
}

// TestStateMaxGap: a restart longer than the rule's max_gap forgets the
// confirmed state (as a gap between observations does), the last known
// state is kept (confirming it again is no change).
func TestStateMaxGap(t *testing.T) {
	rule := Rule{MaxGap: 10 * time.Second}
	a := newProc(t0)
	a.now = observe(a.f.Tracker(rule, nil, "h"), t0, "uuuddd")
	b := restart(t, a, time.Minute, true)
	tr := b.f.Tracker(rule, nil, "h")
	if s := tr.Snapshot(b.now); s.State != Unknown || !near(s.UnknownSeconds, 60) {
		t.Fatalf("after a restart longer than max_gap: %+v", s)
	}
	observe(tr, b.now.Add(time.Second), "dd")
	if s := tr.Snapshot(b.now); s.State != Down || s.StateChanges != 1 || !near(s.DownSeconds, 2+2.5) {
		t.Errorf("down again after the gap: %+v, want the same outage", s)
	}
}

// TestStateInvalidTrackers: invalid saved trackers are skipped, the valid
// ones restored; another family's state is refused.
func TestStateInvalidTrackers(t *testing.T) {
	good := SavedTracker{Labels: []string{"a"}, State: "up", LastKnown: "up", Counters: SavedCounters{Observed: 5}}
	bad := []SavedTracker{
		{Labels: []string{"b", "x"}, State: "up", LastKnown: "up"},
		{Labels: []string{"c"}, State: "sideways", LastKnown: "up"},
		{Labels: []string{"d"}, State: "up", LastKnown: "up", Counters: SavedCounters{Observed: -1}},
		{Labels: []string{"e"}, State: "up", LastKnown: "up", Counters: SavedCounters{Observed: 1, Down: 5}},
		{Labels: []string{"f"}, State: "up", LastKnown: "up", StartTime: math.Inf(1)},
		good, // duplicate
	}
	p := newProc(t0)
	st, err := p.f.RestoreState(SavedFamily{Namespace: "line", Labels: []string{"line"}, Trackers: append([]SavedTracker{good}, bad...)}, true)
	if err != nil || st.Offered != 1 || st.Invalid != len(bad) {
		t.Fatalf("stats %+v err %v", st, err)
	}
	if _, err := p.f.RestoreState(SavedFamily{Namespace: "host", Labels: []string{"line"}}, true); err == nil {
		t.Error("another namespace's state accepted")
	}
	if _, err := p.f.RestoreState(SavedFamily{Namespace: "line", Labels: []string{"line", "site"}}, true); err == nil {
		t.Error("other labels accepted")
	}
}

// TestStateSaveFlushesHeld: a change pending at the save is dropped, its
// held time counted as the confirmed state's; the live tracker is not
// changed by saving.
func TestStateSaveFlushesHeld(t *testing.T) {
	p := newProc(t0)
	tr := p.f.Tracker(Rule{DownAfter: 3}, nil, "l")
	p.now = observe(tr, t0, "uuuudd") // 2 s held
	sv := p.f.SaveState().Trackers[0]
	if sv.Counters.Observed != 5 || sv.Counters.Down != 0 || sv.State != "up" {
		t.Errorf("saved %+v, want 5 s observed up", sv)
	}
	if s := tr.Snapshot(p.now); s.ObservedSeconds != 3.5 || s.Pending != Down {
		t.Errorf("saving changed the live tracker: %+v", s)
	}
}

// TestStateRestartsProperty: over random schedules of outages, unknown
// spells and restarts (gaps of 0.1 s to 2 min), an exporter restarted from
// clean saves counts exactly what one that ran through would count had it
// seen "unknown" for each gap: nothing counted is lost, only the gaps are
// unknown, transitions and the last change are the same. (Rule 1/1: with
// confirmation counts above 1 the restarted one confirms the remembered
// state at once, which a running one that saw unknown does not.)
func TestStateRestartsProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 10))
	for run := 0; run < 300; run++ {
		rule := Rule{DownAfter: 1, UpAfter: 1}
		ref := NewTracker(rule, nil)
		p := newProc(t0)
		tr := p.f.Tracker(rule, nil, "l")
		start := startTime(p.f, "l")
		at := t0
		st := Up
		restarted := false // the last step was a restart: the restored state stands, the reference saw unknown
		for step := 0; step < 200; step++ {
			restarted = false
			switch r := rng.IntN(100); {
			case r < 5:
				st = Down
			case r < 10:
				st = Up
			case r < 12:
				st = Unknown
			case r < 15: // a restart
				p.now = at
				saved := roundTrip(t, p.f.SaveState())
				gap := time.Duration(100+rng.IntN(120_000)) * time.Millisecond
				at = at.Add(gap)
				p = newProc(at)
				if _, err := p.f.RestoreState(saved, true); err != nil {
					t.Fatal(err)
				}
				tr = p.f.Tracker(rule, nil, "l")
				if st := p.f.EndRestore(); st.Restored != 1 {
					t.Fatalf("run %d: %+v", run, st)
				}
				if startTime(p.f, "l") != start {
					t.Fatalf("run %d: start time changed", run)
				}
				if ref.started { // a tracker never observed counts nothing before its first observation, restarted or not
					ref.Observe(at, Unknown)
				}
				restarted = true
				continue
			}
			at = at.Add(time.Duration(200+rng.IntN(1800)) * time.Millisecond)
			tr.Observe(at, st)
			ref.Observe(at, st)
		}
		got, want := tr.Snapshot(at), ref.Snapshot(at)
		c, w := got.Counters, want.Counters
		if !near(c.ObservedSeconds, w.ObservedSeconds) || !near(c.DownSeconds, w.DownSeconds) || !near(c.UnknownSeconds, w.UnknownSeconds) ||
			c.StateChanges != w.StateChanges || !c.LastChange.Equal(w.LastChange) || (got.State != want.State && !restarted) {
			t.Fatalf("run %d: restarted %+v state %v\nran through %+v state %v", run, c, got.State, w, want.State)
		}
	}
}

// TestStatePendingKeptUntilEndRestore: a saved tracker the configuration
// has not created yet (env_exporter creates a device's conditions after
// identifying it) is restored when created later, stays in saves until
// EndRestore (only when its counters may continue), and is dropped then.
func TestStatePendingKeptUntilEndRestore(t *testing.T) {
	a := newProc(t0)
	observe(a.f.Tracker(Rule{}, nil, "l1"), t0, "uuu")
	a.now = observe(a.f.Tracker(Rule{}, nil, "l2"), t0, "uuddd")
	for _, clean := range []bool{true, false} {
		b := restart(t, a, 10*time.Second, clean)
		b.f.Tracker(Rule{}, nil, "l1")
		if st := b.f.RestoreProgress(); st.Restored != 1 || st.Dropped != 1 {
			t.Errorf("clean=%v: progress %+v, want 1 restored, 1 not created yet", clean, st)
		}
		want := 1
		if clean {
			want = 2
		}
		if n := len(b.f.SaveState().Trackers); n != want {
			t.Errorf("clean=%v: %d trackers saved before EndRestore, want %d", clean, n, want)
		}
		// Created late (after a first poll): restored with the time since its last observation unknown.
		b.now = b.now.Add(30 * time.Second)
		s := b.f.Tracker(Rule{}, nil, "l2").Snapshot(b.now)
		if s.State != Down || (clean && (!near(s.DownSeconds, 2.5) || !near(s.UnknownSeconds, 40))) {
			t.Errorf("clean=%v: late tracker %+v, want down, 2.5 s down, 40 s unknown when clean", clean, s)
		}
		b2 := restart(t, a, 10*time.Second, clean)
		b2.f.Tracker(Rule{}, nil, "l1")
		if st := b2.f.EndRestore(); st.Dropped != 1 {
			t.Errorf("clean=%v: EndRestore %+v, want 1 dropped", clean, st)
		}
		if n := len(b2.f.SaveState().Trackers); n != 1 {
			t.Errorf("clean=%v: %d trackers saved after EndRestore, want 1", clean, n)
		}
	}
}
