package main

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/avail"
)

// signal is one signal of a line: an ICMP target, the router interface or
// a BGP peer.
type signal struct {
	kind   string // icmp | interface | bgp
	target string
	line   *line

	tracker *avail.Tracker

	problem *prometheus.GaugeVec
	labels  []string // line labels + signal, target

	mu     sync.Mutex
	cur    avail.State // state as last applied to the line
	reason string      // short code why it is not up ("" when up): metric label
	detail string      // human text for the landing page
	// extend: a polled signal whose last poll is fresh holds its state until now.
	fresh time.Duration
}

// observe records evidence with a reason (short code) and a detail (text)
// and re-evaluates the line.
func (s *signal) observe(at time.Time, st avail.State, reason, detail string) {
	s.mu.Lock()
	s.tracker.Observe(at, st)
	if st == avail.Up {
		reason, detail = "", ""
	} else if reason == "" {
		reason = "unknown"
	}
	if st == avail.Down && s.tracker.State() != avail.Down {
		// Pending: not confirmed yet, show the evidence anyway.
		reason = "pending_" + reason
	}
	if reason != s.reason && s.problem != nil {
		if s.reason != "" {
			s.problem.DeleteLabelValues(append(append([]string(nil), s.labels...), s.reason)...)
		}
		if reason != "" {
			s.problem.WithLabelValues(append(append([]string(nil), s.labels...), reason)...).Set(1)
		}
	}
	s.reason, s.detail = reason, detail
	s.mu.Unlock()
	s.line.evaluate(time.Now())
}

// checkStale turns a polled signal unknown when no poll result arrived for
// longer than it may be held (a stuck poller must never leave a line "up").
func (s *signal) checkStale(now time.Time) {
	if s.fresh <= 0 {
		return
	}
	s.mu.Lock()
	snap := s.tracker.Snapshot(now)
	last := snap.LastObserved
	stale := !last.IsZero() && now.Sub(last) > s.fresh && snap.State != avail.Unknown
	s.mu.Unlock()
	if stale {
		s.observe(now, avail.Unknown, "stale", "no poll result since "+last.Format(time.RFC3339))
	}
}

func (s *signal) settled(now time.Time) time.Time {
	t := s.tracker.Settled()
	if s.fresh <= 0 {
		return t
	}
	snap := s.tracker.Snapshot(now)
	if snap.Pending == avail.Unknown && !snap.LastObserved.IsZero() && now.Sub(snap.LastObserved) <= s.fresh && now.After(t) {
		return now
	}
	return t
}

func (s *signal) snapshot() (avail.State, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.reason
	if s.detail != "" {
		d += ": " + s.detail
	}
	return s.tracker.State(), d
}

// line combines its signals: up when every signal is up, down when any
// signal is down, unknown otherwise.
type line struct {
	cfg     Line
	labels  []string // line, kind, provider, site
	tracker *avail.Tracker

	evalMu   sync.Mutex
	lastEval time.Time
	signals  []*signal
}

func combine(states []avail.State) avail.State {
	out := avail.Up
	for _, s := range states {
		switch s {
		case avail.Down:
			return avail.Down
		case avail.Unknown:
			out = avail.Unknown
		}
	}
	if len(states) == 0 {
		return avail.Unknown
	}
	return out
}

// evaluate feeds the line tracker with the combined state of the signals
// up to the time S when every signal is settled. Each signal transition is
// applied at its (back-dated) time: the interval before it with the old
// combination, then a zero-length observation of the new one, so even a
// state that lasted zero seconds is seen as the signal's tracker saw it.
func (l *line) evaluate(now time.Time) {
	l.evalMu.Lock()
	defer l.evalMu.Unlock()
	if len(l.signals) == 0 {
		return
	}
	for _, s := range l.signals {
		s.mu.Lock()
	}
	defer func() {
		for _, s := range l.signals {
			s.mu.Unlock()
		}
	}()
	var S time.Time
	for i, s := range l.signals {
		t := s.settled(now)
		if i == 0 || t.Before(S) {
			S = t
		}
	}
	if S.Before(l.lastEval) {
		S = l.lastEval
	}
	type event struct {
		at  time.Time
		sig int
		s   avail.State
	}
	var evs []event
	for i, s := range l.signals {
		for _, tr := range s.tracker.TakeTransitions(S) {
			at := tr.At
			if at.Before(l.lastEval) {
				at = l.lastEval
			}
			evs = append(evs, event{at, i, tr.State})
		}
	}
	if len(evs) == 0 && !S.After(l.lastEval) {
		return
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	states := make([]avail.State, len(l.signals))
	cur := func() avail.State {
		for i, s := range l.signals {
			states[i] = s.cur
		}
		return combine(states)
	}
	for _, e := range evs {
		l.tracker.Observe(e.at, cur())
		l.signals[e.sig].cur = e.s
		l.tracker.Observe(e.at, cur())
	}
	l.tracker.Observe(S, cur())
	l.lastEval = S
}

// status summarises the line for the landing page.
func (l *line) status() (avail.State, string) {
	st := l.tracker.State()
	var parts []string
	for _, s := range l.signals {
		ss, reason := s.snapshot()
		p := s.kind + " " + s.target + ": " + ss.String()
		if reason != "" && ss != avail.Up {
			p += " (" + reason + ")"
		}
		parts = append(parts, p)
	}
	return st, strings.Join(parts, "; ")
}
