package avail

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/jianguan/jianguan/internal/calendar"
)

var t0 = time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC) // 2026-11-01 00:00 Asia/Shanghai

// seq builds observations every step from t0: 'u' up, 'd' down, '?' unknown,
// '_' no observation (a gap).
func run(tr *Tracker, step time.Duration, pattern string) time.Time {
	at := t0
	for _, ch := range pattern {
		switch ch {
		case 'u':
			tr.Observe(at, Up)
		case 'd':
			tr.Observe(at, Down)
		case '?':
			tr.Observe(at, Unknown)
		}
		at = at.Add(step)
	}
	return at
}

func TestTracker(t *testing.T) {
	win := func(s, e string) Calendar {
		w, err := calendar.NewWindows([]calendar.MaintenanceWindow{{Name: "m", Start: s, End: e}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	tests := []struct {
		name      string
		rule      Rule
		cal       Calendar
		pattern   string
		state     State
		observed  float64
		down      float64
		maint     float64
		maintDown float64
		unknown   float64
		changes   uint64
	}{
		{name: "all up", pattern: "uuuuuuuuuuu", state: Up, observed: 10},
		{name: "plain outage 3s", pattern: "uuuudddu", state: Up, observed: 7, down: 3, changes: 2},
		{name: "confirm-before-down: short loss is not an outage", rule: Rule{DownAfter: 3}, pattern: "uuuduudduuu", state: Up, observed: 10},
		{name: "confirmed outage counts from the first bad probe", rule: Rule{DownAfter: 3}, pattern: "uuuddddduuu", state: Up, observed: 10, down: 5, changes: 2},
		{name: "confirm-before-up: flapping recovery stays down", rule: Rule{UpAfter: 3}, pattern: "uuuudduudduuuu", state: Up, observed: 13, down: 6, changes: 2},
		{name: "still pending at the end is not yet counted", rule: Rule{DownAfter: 5}, pattern: "uuuuudd", state: Up, observed: 4.5, changes: 0},
		{name: "unknown at start is not up", pattern: "???uuu", state: Up, observed: 3, unknown: 2},
		{name: "unknown spell in the middle", pattern: "uuu???uuu", state: Up, observed: 5, unknown: 3},
		{name: "unknown while down then down again: one outage", pattern: "uddd??dddu", state: Up, observed: 7, down: 6, unknown: 2, changes: 2},
		{name: "gap longer than max_gap is unknown", rule: Rule{MaxGap: 2 * time.Second}, pattern: "uuu_____uuu", state: Up, observed: 4, unknown: 6},
		{name: "gap within max_gap is observed", rule: Rule{MaxGap: 5 * time.Second}, pattern: "uuu__uuu", state: Up, observed: 7},
		{name: "long outage", pattern: "uuddddddu", state: Up, observed: 8, down: 6, changes: 2},
		{name: "outage inside maintenance", cal: win("2026-11-01 00:00", "2026-11-01 00:01"), pattern: "uuddddddu", state: Up, observed: 8, maint: 8, maintDown: 6, changes: 2},
		{name: "first observation down", pattern: "ddddu", state: Up, observed: 4, down: 3.5, changes: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cal := tc.cal
			r := tc.rule
			if err := r.Validate(); err != nil {
				t.Fatal(err)
			}
			tr := NewTracker(r, cal)
			run(tr, time.Second, tc.pattern)
			s := tr.Snapshot(t0)
			if s.State != tc.state {
				t.Errorf("state %v, want %v", s.State, tc.state)
			}
			check := func(what string, got, want float64) {
				if math.Abs(got-want) > 1e-9 {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			check("observed", s.ObservedSeconds, tc.observed)
			check("down", s.DownSeconds, tc.down)
			check("maintenance", s.MaintenanceSeconds, tc.maint)
			check("maintenance down", s.MaintenanceDownSeconds, tc.maintDown)
			check("unknown", s.UnknownSeconds, tc.unknown)
			if s.StateChanges != tc.changes {
				t.Errorf("changes %d, want %d", s.StateChanges, tc.changes)
			}
		})
	}
}

func TestTrackerMaintenanceSplitAtBoundary(t *testing.T) {
	// Window 00:00:03–00:00:06 is not expressible in minutes; use minutes.
	w, err := calendar.NewWindows([]calendar.MaintenanceWindow{{Name: "cutover", Start: "2026-11-01 00:02", End: "2026-11-01 00:05"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(Rule{}, w)
	// Down from minute 1 to minute 7 (probes every 30 s), up otherwise, until minute 10.
	for at := t0; !at.After(t0.Add(10 * time.Minute)); at = at.Add(30 * time.Second) {
		s := Up
		if at.After(t0.Add(time.Minute)) && !at.After(t0.Add(7*time.Minute)) {
			s = Down
		}
		tr.Observe(at, s)
	}
	s := tr.Snapshot(t0.Add(3 * time.Minute))
	if !s.InMaintenance {
		t.Error("in maintenance at minute 3")
	}
	if s.ObservedSeconds != 600 || s.MaintenanceSeconds != 180 || s.MaintenanceDownSeconds != 180 || s.DownSeconds != 180 {
		t.Errorf("observed %v maint %v maintDown %v down %v; want 600 180 180 180",
			s.ObservedSeconds, s.MaintenanceSeconds, s.MaintenanceDownSeconds, s.DownSeconds)
	}
	if got := s.LastChange; !got.Equal(t0.Add(7*time.Minute + 15*time.Second)) { // midway between 7:00 (down) and 7:30 (up)
		t.Errorf("last change %v", got)
	}
}

func TestTrackerLastChangeIsOutageStart(t *testing.T) {
	tr := NewTracker(Rule{DownAfter: 3}, nil)
	run(tr, time.Second, "uuuuddddd")
	s := tr.Snapshot(t0)
	// last good probe at t0+3s, first bad one at t0+4s: the outage is dated midway.
	if !s.LastChange.Equal(t0.Add(3500*time.Millisecond)) || s.State != Down || s.DownSeconds != 4.5 {
		t.Fatalf("last change %v state %v down %v", s.LastChange, s.State, s.DownSeconds)
	}
}

func TestTrackerRestartIsCounterReset(t *testing.T) {
	// An exporter restart is a new tracker: counters start from zero and
	// the state is unknown until the first decision; increase() in
	// Prometheus handles the reset.
	tr := NewTracker(Rule{DownAfter: 2}, nil)
	if tr.State() != Unknown {
		t.Fatal("new tracker must be unknown")
	}
	tr.Observe(t0, Down)
	if tr.State() != Unknown {
		t.Fatal("one bad probe must not confirm down under down_after=2")
	}
	tr.Observe(t0.Add(time.Second), Down)
	if tr.State() != Down {
		t.Fatal("two bad probes confirm down")
	}
}

func TestTrackerOutOfOrderObservation(t *testing.T) {
	tr := NewTracker(Rule{}, nil)
	tr.Observe(t0.Add(10*time.Second), Up)
	tr.Observe(t0, Up) // older: zero duration
	tr.Observe(t0.Add(12*time.Second), Up)
	if s := tr.Snapshot(t0); s.ObservedSeconds != 2 {
		t.Fatalf("observed %v, want 2", s.ObservedSeconds)
	}
}

func TestFamilyExport(t *testing.T) {
	f := NewFamily(FamilyOpts{Namespace: "line", Labels: []string{"line", "site"}, What: "line"})
	tr := f.Tracker(Rule{}, nil, "bgp-1", "dc1")
	run(tr, time.Second, "uuudddu")
	f.Tracker(Rule{}, nil, "leased-1", "dc1")
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(f)
	want := `
# HELP line_down_seconds_total Seconds the line was confirmed down outside maintenance windows.
# TYPE line_down_seconds_total counter
line_down_seconds_total{line="bgp-1",site="dc1"} 3
line_down_seconds_total{line="leased-1",site="dc1"} 0
# HELP line_up 1 if the line is confirmed up now, 0 if confirmed down or unknown.
# TYPE line_up gauge
line_up{line="bgp-1",site="dc1"} 1
line_up{line="leased-1",site="dc1"} 0
# HELP line_unknown 1 if the state of the line is unknown now (no decision yet or no data).
# TYPE line_unknown gauge
line_unknown{line="bgp-1",site="dc1"} 0
line_unknown{line="leased-1",site="dc1"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "line_down_seconds_total", "line_up", "line_unknown"); err != nil {
		t.Fatal(err)
	}
	// Reload keeping one target: the other's counters survive.
	f.Retain([][]string{{"bgp-1", "dc1"}})
	if f.Len() != 1 || f.Get("bgp-1", "dc1").Snapshot(t0).DownSeconds != 3 {
		t.Fatal("retain lost the kept tracker's counters")
	}
	env := NewFamily(FamilyOpts{Namespace: "env_condition", Labels: []string{"condition"}, GoodName: "ok", BadName: "active"})
	reg2 := prometheus.NewPedanticRegistry()
	reg2.MustRegister(env)
	env.Tracker(Rule{}, nil, "leak")
	n, err := testutil.GatherAndCount(reg2, "env_condition_ok", "env_condition_active_seconds_total", "env_condition_maintenance_active_seconds_total")
	if err != nil || n != 3 {
		t.Fatalf("env condition names: %d %v", n, err)
	}
}

func TestTrackerTransitions(t *testing.T) {
	tr := NewTracker(Rule{DownAfter: 3, UpAfter: 2}, nil)
	tr.RecordTransitions(t0)
	if got := tr.Settled(); !got.Equal(t0) {
		t.Fatalf("settled before any observation %v", got)
	}
	// u at 0..3, d at 4..8 (confirmed at 6, dated 3.5: midway between the
	// last u and the first d), ? at 9 (the interval from 8), u at 10, 11
	// (confirmed at 11, dated 9: a change from unknown is not estimated).
	run(tr, time.Second, "uuuuddddd?uu")
	want := []Transition{{t0, Unknown}, {t0, Up}, {t0.Add(3500 * time.Millisecond), Down}, {t0.Add(8 * time.Second), Unknown}, {t0.Add(9 * time.Second), Up}}
	got := tr.TakeTransitions(t0.Add(time.Hour))
	if len(got) != len(want) {
		t.Fatalf("transitions %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].At.Equal(want[i].At) || got[i].State != want[i].State {
			t.Errorf("transition %d = %v, want %v", i, got[i], want[i])
		}
	}
	if len(tr.TakeTransitions(t0.Add(time.Hour))) != 0 {
		t.Error("transitions not drained")
	}
	tr.Observe(t0.Add(12*time.Second), Down)
	if got := tr.Settled(); !got.Equal(t0.Add(11500 * time.Millisecond)) {
		t.Errorf("settled with a pending change = %v, want its start", got)
	}
}

// BenchmarkFamilyGather10k: one scrape of 10 000 hosts' availability family.
func BenchmarkFamilyGather10k(b *testing.B) {
	f := NewFamily(FamilyOpts{Namespace: "host", Labels: []string{"host", "address", "unit", "provider", "system", "site", "path"}})
	for i := 0; i < 10000; i++ {
		tr := f.Tracker(Rule{}, nil, fmt.Sprintf("host-%05d", i), fmt.Sprintf("127.10.%d.%d", i/250, i%250), "unit", "provider", "system", "dc1", "")
		tr.Observe(t0, Up)
		tr.Observe(t0.Add(time.Second), Up)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(f)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFamilyStartTime: trackers created together (a start, a reload) share
// one NS_start_time_seconds; a tracker created after a collection gets a
// later one, and a tracker dropped and re-created is a new lifetime.
func TestFamilyStartTime(t *testing.T) {
	f := NewFamily(FamilyOpts{Namespace: "host", Labels: []string{"host"}, What: "host"})
	clock := time.Unix(1_790_000_000, 0)
	f.now = func() time.Time { return clock }
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(f)
	started := func() map[string]float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, mf := range mfs {
			if mf.GetName() == "host_start_time_seconds" {
				for _, m := range mf.Metric {
					out[m.Label[0].GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
		return out
	}
	f.Tracker(Rule{}, nil, "a")
	clock = clock.Add(1500 * time.Millisecond) // a slow start: still one batch
	f.Tracker(Rule{}, nil, "b")
	got := started()
	if got["a"] != 1_790_000_000 || got["b"] != 1_790_000_000 {
		t.Fatalf("one start, one start time: %v", got)
	}
	// A reload after a scrape: re-adding "a" is a new lifetime, "b" keeps its value.
	clock = clock.Add(10*time.Second + 250*time.Millisecond)
	f.Retain([][]string{{"b"}})
	f.Tracker(Rule{}, nil, "b")
	f.Tracker(Rule{}, nil, "a")
	clock = clock.Add(time.Second)
	f.Tracker(Rule{}, nil, "c")
	got = started()
	if got["b"] != 1_790_000_000 || got["a"] != 1_790_000_011.75 || got["c"] != 1_790_000_011.75 {
		t.Fatalf("reload: %v", got)
	}
	// The wall clock stepped back (NTP) before the next reload: the new
	// lifetime still gets a later start time, so it is always told apart.
	clock = clock.Add(-5 * time.Second)
	f.Retain([][]string{{"b"}, {"c"}})
	f.Tracker(Rule{}, nil, "a")
	if got = started(); got["a"] != 1_790_000_011.751 {
		t.Fatalf("same millisecond: %v", got)
	}
}
