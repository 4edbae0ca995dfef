package main

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/avail"
)

// timeline mirrors the confirmation logic of an avail.Tracker for one
// signal and records its confirmed transitions with the back-dated start
// the tracker attributes them to. The line is the combination of its
// signals over time; combining timelines (not the current states) keeps the
// line's seconds exactly as exact as the signals' (a line confirmed down
// after 3 lost probes is down from the first lost probe, like its signal).
type timeline struct {
	rule      avail.Rule
	created   time.Time
	started   bool
	last      time.Time
	state     avail.State
	cand      avail.State
	candN     int
	candStart time.Time
	trans     []transition // confirmed state changes not yet applied to the line, time-ordered
	cur       avail.State  // state as last applied to the line
}

type transition struct {
	at time.Time
	s  avail.State
}

func newTimeline(rule avail.Rule, created time.Time) *timeline {
	if rule.DownAfter <= 0 {
		rule.DownAfter = 1
	}
	if rule.UpAfter <= 0 {
		rule.UpAfter = 1
	}
	return &timeline{rule: rule, created: created, trans: []transition{{created, avail.Unknown}}}
}

func (tl *timeline) set(at time.Time, s avail.State) {
	if tl.state == s {
		return
	}
	tl.state = s
	tl.trans = append(tl.trans, transition{at, s})
}

// observe applies evidence s at time at, exactly like avail.Tracker.Observe.
func (tl *timeline) observe(at time.Time, s avail.State) {
	if !tl.started {
		tl.started = true
		tl.last = at
		tl.apply(at, 0, s)
		return
	}
	dt := at.Sub(tl.last)
	if dt < 0 {
		tl.apply(at, 0, s)
		return
	}
	prev := tl.last
	tl.last = at
	if tl.rule.MaxGap > 0 && dt > tl.rule.MaxGap {
		tl.cand, tl.candN = avail.Unknown, 0
		tl.set(prev, avail.Unknown)
		tl.apply(at, 0, s)
		return
	}
	tl.apply(at, dt, s)
}

func (tl *timeline) apply(at time.Time, dt time.Duration, s avail.State) {
	if s == avail.Unknown {
		tl.cand, tl.candN = avail.Unknown, 0
		tl.set(at.Add(-dt), avail.Unknown)
		return
	}
	if s == tl.state {
		tl.cand, tl.candN = avail.Unknown, 0
		return
	}
	if tl.cand != s {
		tl.cand = s
		tl.candN = 0
		tl.candStart = at.Add(-dt)
	}
	tl.candN++
	need := tl.rule.UpAfter
	if s == avail.Down {
		need = tl.rule.DownAfter
	}
	if tl.candN >= need {
		tl.set(tl.candStart, s)
		tl.cand, tl.candN = avail.Unknown, 0
	}
}

// settled is the time up to which the timeline is final.
func (tl *timeline) settled() time.Time {
	if tl.cand != avail.Unknown {
		return tl.candStart
	}
	if !tl.started {
		return tl.created
	}
	return tl.last
}

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
	tl     *timeline
	reason string // short code why it is not up ("" when up): metric label
	detail string // human text for the landing page
	// extend: a polled signal whose last poll is fresh holds its state until now.
	fresh time.Duration
}

// observe records evidence with a reason (short code) and a detail (text)
// and re-evaluates the line.
func (s *signal) observe(at time.Time, st avail.State, reason, detail string) {
	s.mu.Lock()
	s.tl.observe(at, st)
	s.tracker.Observe(at, st)
	if st == avail.Up {
		reason, detail = "", ""
	} else if reason == "" {
		reason = "unknown"
	}
	if st == avail.Down && s.tl.state != avail.Down {
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
	stale := s.tl.started && now.Sub(s.tl.last) > s.fresh && s.tl.state != avail.Unknown
	last := s.tl.last
	s.mu.Unlock()
	if stale {
		s.observe(now, avail.Unknown, "stale", "no poll result since "+last.Format(time.RFC3339))
	}
}

func (s *signal) settled(now time.Time) time.Time {
	t := s.tl.settled()
	if s.fresh > 0 && s.tl.cand == avail.Unknown && s.tl.started && now.Sub(s.tl.last) <= s.fresh && now.After(t) {
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
	return s.tl.state, d
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
		n := 0
		for _, tr := range s.tl.trans {
			if tr.at.After(S) {
				break
			}
			at := tr.at
			if at.Before(l.lastEval) {
				at = l.lastEval
			}
			evs = append(evs, event{at, i, tr.s})
			n++
		}
		s.tl.trans = s.tl.trans[n:]
	}
	if len(evs) == 0 && !S.After(l.lastEval) {
		return
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].at.Before(evs[j].at) })
	states := make([]avail.State, len(l.signals))
	cur := func() avail.State {
		for i, s := range l.signals {
			states[i] = s.tl.cur
		}
		return combine(states)
	}
	for _, e := range evs {
		l.tracker.Observe(e.at, cur())
		l.signals[e.sig].tl.cur = e.s
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
