package main

import (
	"math"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/avail"
)

func newTestLine(rules ...avail.Rule) *line {
	l := &line{tracker: avail.NewTracker(avail.Rule{DownAfter: 1, UpAfter: 1}, nil)}
	for _, r := range rules {
		l.signals = append(l.signals, &signal{kind: "icmp", line: l, tracker: avail.NewTracker(r, nil)})
	}
	return l
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// A line with one signal must count exactly what the signal counts, for
// any rule and any sequence of observations (the transition sweep loses
// nothing of what the signal's tracker attributes).
func TestLineOfOneSignalEqualsSignal(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for run := 0; run < 1000; run++ {
		rule := avail.Rule{DownAfter: 1 + rng.Intn(4), UpAfter: 1 + rng.Intn(4)}
		if rng.Intn(3) == 0 {
			rule.MaxGap = 3 * time.Second
		}
		l := newTestLine(rule)
		s := l.signals[0]
		s.tracker.RecordTransitions(t0)
		at := t0
		n := 20 + rng.Intn(200)
		for i := 0; i < n; i++ {
			var st avail.State
			switch x := rng.Intn(10); {
			case x < 5:
				st = avail.Up
			case x < 9:
				st = avail.Down
			default:
				st = avail.Unknown
			}
			if i > 0 {
				at = at.Add(time.Duration(100+rng.Intn(4000)) * time.Millisecond)
			}
			s.observe(at, st, "r", "")
			l.evaluate(at)
		}
		a := s.tracker.Snapshot(at)
		b := l.tracker.Snapshot(at)
		if !near(a.DownSeconds, b.DownSeconds) || !near(a.ObservedSeconds, b.ObservedSeconds) ||
			!near(a.UnknownSeconds, b.UnknownSeconds) || a.StateChanges != b.StateChanges || a.State != b.State && a.Pending == avail.Unknown {
			t.Fatalf("run %d rule %+v: signal %+v\nline %+v", run, rule, a, b)
		}
	}
}

func TestCombine(t *testing.T) {
	U, D, X := avail.Up, avail.Down, avail.Unknown
	for _, tc := range []struct {
		in   []avail.State
		want avail.State
	}{
		{nil, X}, {[]avail.State{U}, U}, {[]avail.State{U, U, U}, U}, {[]avail.State{U, D}, D},
		{[]avail.State{U, X}, X}, {[]avail.State{X, D}, D}, {[]avail.State{X}, X}, {[]avail.State{D, D}, D},
	} {
		if got := combine(tc.in); got != tc.want {
			t.Errorf("combine(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// Two signals: ICMP every second (down after 3, up after 3) and a polled
// signal every 5 s (1/1, held fresh between polls). The line is down
// exactly when either is down.
func TestLineOfTwoSignals(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	icmpRule, snmpRule := avail.Rule{DownAfter: 3, UpAfter: 3}, avail.Rule{DownAfter: 1, UpAfter: 1}
	l := newTestLine(icmpRule, snmpRule)
	a, b := l.signals[0], l.signals[1]
	a.tracker.RecordTransitions(t0)
	b.tracker.RecordTransitions(t0)
	b.fresh = 11 * time.Second
	// ICMP lost from 10.5 s to 20.5 s (probes at 11..20 lost), BGP down
	// between polls at 40 and 50 (observed down at 45 only).
	for ms := 0; ms <= 70_000; ms += 250 {
		now := t0.Add(time.Duration(ms) * time.Millisecond)
		if ms%1000 == 0 {
			st := avail.Up
			if ms >= 11_000 && ms <= 20_000 {
				st = avail.Down
			}
			a.observe(now, st, "timeout", "")
		}
		if ms%5000 == 0 {
			st := avail.Up
			if ms == 45_000 {
				st = avail.Down
			}
			b.observe(now, st, "bgp_active", "")
		}
		l.evaluate(now)
		if ms == 16_000 && l.tracker.State() != avail.Down {
			t.Fatalf("line not down during the ICMP outage")
		}
		if ms == 46_000 && l.tracker.State() != avail.Down {
			t.Fatalf("line not down during the BGP outage")
		}
	}
	sa, sb, sl := a.tracker.Snapshot(t0), b.tracker.Snapshot(t0), l.tracker.Snapshot(t0)
	if !near(sa.DownSeconds, 10) {
		t.Fatalf("icmp signal down %v, want 10", sa.DownSeconds)
	}
	if !near(sb.DownSeconds, 5) {
		t.Fatalf("bgp signal down %v, want 5 (one poll interval)", sb.DownSeconds)
	}
	// The line: ICMP's 10 s exactly; BGP's outage within one poll interval.
	if sl.DownSeconds < 10+5-5 || sl.DownSeconds > 10+5+5 {
		t.Fatalf("line down %v, want 15 ± 5", sl.DownSeconds)
	}
	if sl.StateChanges != 4 {
		t.Fatalf("line state changes %d, want 4", sl.StateChanges)
	}
	if sl.State != avail.Up {
		t.Fatalf("line state %v", sl.State)
	}
}

// Unknown signals never make a line up.
func TestLineUnknownSignal(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	r := avail.Rule{DownAfter: 1, UpAfter: 1}
	l := newTestLine(r, r)
	a, b := l.signals[0], l.signals[1]
	a.tracker.RecordTransitions(t0)
	b.tracker.RecordTransitions(t0)
	for i := 0; i <= 10; i++ {
		now := t0.Add(time.Duration(i) * time.Second)
		a.observe(now, avail.Up, "", "")
		b.observe(now, avail.Unknown, "interface_not_found", "")
		l.evaluate(now)
	}
	s := l.tracker.Snapshot(t0)
	if s.State != avail.Unknown || s.ObservedSeconds != 0 || s.UnknownSeconds != 10 {
		t.Fatalf("%+v", s)
	}
	if st, why := b.snapshot(); st != avail.Unknown || why != "interface_not_found" {
		t.Fatalf("%v %q", st, why)
	}
}

// A polled signal with no result for longer than it may be held goes
// unknown: the line is not left "up".
func TestStalePolledSignal(t *testing.T) {
	t0 := time.Now().Add(-time.Minute)
	r := avail.Rule{DownAfter: 1, UpAfter: 1}
	l := newTestLine(r)
	s := l.signals[0]
	s.tracker.RecordTransitions(t0)
	s.fresh = 5 * time.Second
	s.observe(t0, avail.Up, "", "")
	s.observe(t0.Add(time.Second), avail.Up, "", "")
	l.evaluate(t0.Add(3 * time.Second))
	if l.tracker.State() != avail.Up {
		t.Fatal("not up")
	}
	s.checkStale(t0.Add(4 * time.Second))
	if st, _ := s.snapshot(); st != avail.Up {
		t.Fatal("fresh signal turned unknown")
	}
	s.checkStale(t0.Add(10 * time.Second))
	l.evaluate(t0.Add(10 * time.Second))
	if st, why := s.snapshot(); st != avail.Unknown || !strings.HasPrefix(why, "stale") {
		t.Fatalf("%v %q", st, why)
	}
	if l.tracker.State() != avail.Unknown {
		t.Fatal("line still up with a stale signal")
	}
}

func TestNotificationText(t *testing.T) {
	for _, tc := range []struct {
		c, s byte
		want string
	}{{4, 0, "Hold Timer Expired (4/0)"}, {6, 2, "Cease (6/2)"}, {9, 1, "code (9/1)"}} {
		if got := notificationText(tc.c, tc.s); got != tc.want {
			t.Errorf("%d/%d: %q", tc.c, tc.s, got)
		}
	}
}
