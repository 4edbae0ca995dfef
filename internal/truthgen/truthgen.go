// Package truthgen is an independent scenario generator for the report
// engine's end-to-end tests (issue 17): entities are described by events (the
// probed state changes, the exporter stops and starts, Prometheus stops
// scraping, the target is removed), the exporter is modelled from those
// events alone, and the truth — down, observed and unknown seconds of any
// period and the confirmed outages — is computed in closed form from the
// same events by interval arithmetic, not by sampling.
//
// It shares no code with the report engine (internal/report) or the
// exporters' counters (internal/avail), and none with the older generator
// (internal/simhistory): a defect in those cannot hide in the expected
// values. It writes OpenMetrics for `promtool tsdb create-blocks-from
// openmetrics` and the Prometheus text format with millisecond timestamps
// for VictoriaMetrics' /api/v1/import/prometheus.
//
// The exporter model (docs/metrics.md, "Availability counters"):
//
//   - while running, NS_observed_seconds_total grows 1 s/s when the state is
//     known (up or down), NS_down_seconds_total when it is down, and
//     NS_unknown_seconds_total when unknown; the maintenance counters stay 0
//     (no maintenance in these scenarios);
//   - a start begins a lifetime: counters at 0, NS_start_time_seconds = the
//     start instant, the state unknown for StartupUnknown;
//   - NS_state_changes_total counts changes between confirmed states (up ↔
//     down, across unknown spells: down → unknown → up is one change at the
//     up instant); the first known state of a lifetime is no change;
//     NS_last_change_timestamp_seconds is the instant of the lifetime's last
//     change (0 before the first);
//   - a scrape at instant t sees the state of t and the counters integrated
//     over [lifetime start, t);
//   - a stop, a removal and the end of a scrape gap take effect at the event
//     instant; a sample exactly at a stop or removal instant is still taken.
package truthgen

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/metricnames"
)

// State is a probed state.
type State int

// States.
const (
	Up State = iota
	Down
	Unknown
	notRunning // the exporter is not running (internal)
)

func (s State) String() string {
	return [...]string{"up", "down", "unknown", "not running"}[s]
}

// EventKind is what happens at an Event.
type EventKind int

// Event kinds.
const (
	// SetState: the probed state becomes State (for the exporter: unless
	// inside its start-up unknown spell).
	SetState EventKind = iota
	// Start: the exporter (re)starts: a new lifetime.
	Start
	// Stop: the exporter stops; its counters are lost.
	Stop
	// GapStart / GapEnd: Prometheus does not scrape in [GapStart, GapEnd)
	// while the exporter keeps running and counting.
	GapStart
	GapEnd
	// Remove: the target is removed: no sample after this instant.
	Remove
)

// Event is one thing that happens to an entity.
type Event struct {
	At    time.Time
	Kind  EventKind
	State State // SetState only
}

// StartupUnknown is how long a started exporter has no decision.
const StartupUnknown = 10 * time.Second

// Entity is one checked thing: a line (NS "line", identity label "line") or
// an environment condition (NS "env_condition", identity label "device").
type Entity struct {
	NS     string
	Labels map[string]string
	Events []Event // sorted by At; the first is a Start
}

// Name is the entity's identity label value.
func (e *Entity) Name() string {
	if e.NS == "env_condition" {
		return e.Labels["device"]
	}
	return e.Labels["line"]
}

// GaugeSample is one sample of a gauge.
type GaugeSample struct {
	T time.Time
	V float64
}

// Gauge is a series with explicit samples (temperatures and the like).
type Gauge struct {
	Name    string
	Labels  map[string]string
	Samples []GaugeSample // sorted by T
}

// Scenario is a history to load into a backend.
type Scenario struct {
	From, To time.Time     // scrapes at From + Phase + k·Step within [From, To]
	Step     time.Duration // scrape interval
	Phase    time.Duration // offset of the scrapes from From
	Entities []*Entity
	Gauges   []Gauge
}

// segment is a stretch of constant exporter state.
type segment struct {
	from, to time.Time
	st       State // notRunning outside lifetimes
	life     int   // lifetime index (-1: not running)
	gap      bool  // not scraped
	removed  bool
}

// timeline turns the events into segments over [first event, end).
func (e *Entity) timeline(end time.Time) []segment {
	var segs []segment
	probed := Up
	running, gap, removed := false, false, false
	life := -1
	var lifeStart time.Time
	cur := segment{st: notRunning, life: -1}
	started := false
	emit := func(t time.Time) {
		if !started {
			cur.from, started = t, true
			return
		}
		if t.After(cur.from) {
			cur.to = t
			segs = append(segs, cur)
			cur.from = t
		}
	}
	state := func(t time.Time) State {
		switch {
		case !running || removed:
			return notRunning
		case t.Sub(lifeStart) < StartupUnknown:
			return Unknown
		}
		return probed
	}
	evs := append([]Event(nil), e.Events...)
	// The end of each start-up spell is an event of its own.
	for _, ev := range e.Events {
		if ev.Kind == Start {
			evs = append(evs, Event{At: ev.At.Add(StartupUnknown), Kind: -1})
		}
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
	for _, ev := range evs {
		if !ev.At.Before(end) {
			break
		}
		emit(ev.At)
		switch ev.Kind {
		case SetState:
			probed = ev.State
		case Start:
			running, life, lifeStart = true, life+1, ev.At
		case Stop:
			running = false
		case GapStart:
			gap = true
		case GapEnd:
			gap = false
		case Remove:
			removed = true
		}
		cur.st, cur.gap, cur.removed = state(ev.At), gap, removed
		cur.life = life
		if cur.st == notRunning {
			cur.life = -1
		}
	}
	emit(end)
	return segs
}

// Exporter values at one scrape.
type sample struct {
	up, unknown                   float64
	observed, down, unknownS, chg float64
	last, start                   float64
	ok                            bool
}

// samples returns the scrape instants of the scenario.
func (sc *Scenario) scrapes() []time.Time {
	var ts []time.Time
	for t := sc.From.Add(sc.Phase); !t.After(sc.To); t = t.Add(sc.Step) {
		ts = append(ts, t)
	}
	return ts
}

// exporterAt returns the exporter's values at each scrape instant (ok
// false: no sample), each integrated from its lifetime's start.
func (e *Entity) exporterAt(ts []time.Time, end time.Time) []sample {
	segs := e.timeline(end.Add(time.Nanosecond))
	out := make([]sample, len(ts))
	for i, t := range ts {
		j := sort.Search(len(segs), func(k int) bool { return segs[k].to.After(t) })
		if j == len(segs) || segs[j].from.After(t) {
			continue
		}
		s := segs[j]
		switch {
		case s.st != notRunning && !s.gap:
		case s.st == notRunning && j > 0 && s.from.Equal(t) && segs[j-1].st != notRunning && !segs[j-1].gap:
			s = segs[j-1] // stopped or removed at t: the sample at t is still taken
		default:
			continue
		}
		v := sample{ok: true, up: b2f(s.st == Up), unknown: b2f(s.st == Unknown)}
		conf := notRunning
		first := true
		for _, x := range segs {
			if !x.from.Before(t) && !(x.from.Equal(t) && x.life == s.life) {
				break
			}
			if x.life != s.life {
				continue
			}
			if first {
				v.start, first = float64(x.from.UnixMilli())/1e3, false
			}
			if x.st == Up || x.st == Down {
				if conf != notRunning && x.st != conf {
					v.chg++
					v.last = float64(x.from.UnixMilli()) / 1e3
				}
				conf = x.st
			}
			b := x.to
			if b.After(t) {
				b = t
			}
			d := b.Sub(x.from).Seconds()
			if d <= 0 {
				continue
			}
			switch x.st {
			case Up:
				v.observed += d
			case Down:
				v.observed += d
				v.down += d
			case Unknown:
				v.unknownS += d
			}
		}
		out[i] = v
	}
	return out
}

func maxT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func labelString(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Quote(l[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func fmtF(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Format is an exposition format.
type Format int

// Formats.
const (
	// OpenMetrics with timestamps in seconds (fractions allowed), # TYPE
	// lines and # EOF: for promtool's backfill.
	OpenMetrics Format = iota
	// PromText is the Prometheus text format with millisecond timestamps
	// and no metadata: for VictoriaMetrics' /api/v1/import/prometheus.
	PromText
)

// Write writes the samples with lo <= t < hi in format f, grouped by metric
// name (promtool wants a family's samples together).
func (sc *Scenario) Write(w io.Writer, f Format, lo, hi time.Time) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	ts := sc.scrapes()
	var idx []int
	for i, t := range ts {
		if !t.Before(lo) && t.Before(hi) {
			idx = append(idx, i)
		}
	}
	stamp := func(t time.Time) string {
		if f == PromText {
			return strconv.FormatInt(t.UnixMilli(), 10)
		}
		return fmtF(float64(t.UnixMilli()) / 1e3)
	}
	byNS := map[string][]*Entity{}
	var nss []string
	for _, e := range sc.Entities {
		if _, ok := byNS[e.NS]; !ok {
			nss = append(nss, e.NS)
		}
		byNS[e.NS] = append(byNS[e.NS], e)
	}
	for _, ns := range nss {
		ents := byNS[ns]
		vals := make([][]sample, len(ents))
		for i, e := range ents {
			vals[i] = e.exporterAt(ts, sc.To)
		}
		nf := metricnames.Lookup(ns) // env_condition: _ok, _active_seconds_total
		fams := []struct {
			name string
			get  func(s sample) float64
		}{
			{nf.Up(), func(s sample) float64 { return s.up }},
			{nf.Unknown(), func(s sample) float64 { return s.unknown }},
			{nf.InMaintenance(), func(sample) float64 { return 0 }},
			{nf.Observed(), func(s sample) float64 { return s.observed }},
			{nf.Down(), func(s sample) float64 { return s.down }},
			{nf.Maintenance(), func(sample) float64 { return 0 }},
			{nf.MaintenanceDown(), func(sample) float64 { return 0 }},
			{nf.StateChanges(), func(s sample) float64 { return s.chg }},
			{nf.LastChange(), func(s sample) float64 { return s.last }},
			{nf.StartTime(), func(s sample) float64 { return s.start }},
		}
		for _, fam := range fams {
			if f == OpenMetrics {
				typ := "gauge"
				if strings.HasSuffix(fam.name, "_total") {
					typ = "counter"
				}
				fmt.Fprintf(bw, "# TYPE %s %s\n", strings.TrimSuffix(fam.name, "_total"), typ)
			}
			for i, e := range ents {
				ls := labelString(e.Labels)
				for _, j := range idx {
					s := vals[i][j]
					if !s.ok {
						continue
					}
					fmt.Fprintf(bw, "%s%s %s %s\n", fam.name, ls, fmtF(fam.get(s)), stamp(ts[j]))
				}
			}
		}
	}
	byName := map[string][]Gauge{}
	var names []string
	for _, g := range sc.Gauges {
		if _, ok := byName[g.Name]; !ok {
			names = append(names, g.Name)
		}
		byName[g.Name] = append(byName[g.Name], g)
	}
	for _, n := range names {
		if f == OpenMetrics {
			fmt.Fprintf(bw, "# TYPE %s gauge\n", n)
		}
		for _, g := range byName[n] {
			ls := labelString(g.Labels)
			for _, s := range g.Samples {
				if !s.T.Before(lo) && s.T.Before(hi) {
					fmt.Fprintf(bw, "%s%s %s %s\n", n, ls, fmtF(s.V), stamp(s.T))
				}
			}
		}
	}
	if f == OpenMetrics {
		bw.WriteString("# EOF\n")
	}
	return bw.Flush()
}

// ---- truth ----

// Incident is a confirmed outage of the truth.
type Incident struct {
	Start, End  time.Time // End: the recovery, or the last sample when Interrupted
	Ongoing     bool      // not recovered by the period end
	Interrupted bool      // the series ended while down (monitoring stopped)
}

// Truth is what a correct report states for one entity and period.
type Truth struct {
	Observed, Down, Unknown float64 // seconds in [start, end)
	Resets                  int
	Incidents               []Incident
}

// TruthFor computes the truth of [start, end) by interval arithmetic over
// the exporter's state segments. Time after a removal or while the exporter
// is not running is unknown; time in a scrape gap counts as the exporter
// counted it (its counters say so at the next scrape).
func (sc *Scenario) TruthFor(e *Entity, start, end time.Time) Truth {
	var tr Truth
	segs := e.timeline(sc.To.Add(time.Nanosecond))
	period := end.Sub(start).Seconds()
	lives := map[int]bool{}
	for _, s := range segs {
		a, b := maxT(s.from, start), s.to
		if b.After(end) {
			b = end
		}
		if s.life >= 0 && s.from.After(start) && s.from.Before(end) && !lives[s.life] {
			lives[s.life] = true
		}
		d := b.Sub(a).Seconds()
		if d <= 0 || s.removed {
			continue
		}
		switch s.st {
		case Up:
			tr.Observed += d
		case Down:
			tr.Observed += d
			tr.Down += d
		}
	}
	// lifetimes that began inside the period after an earlier one
	for l := range lives {
		if l > 0 {
			tr.Resets++
		}
	}
	tr.Unknown = period - tr.Observed
	tr.Incidents = sc.incidents(e, segs, start, end)
	return tr
}

// incidents: a confirmed outage starts where down is first seen after up
// (or at the first known state), runs through unknown spells, scrape gaps
// and exporter restarts while the next known state is down, and ends at the
// first up instant; when no known state follows (removed, or data ends) it
// ends at the last sample, interrupted if removed.
func (sc *Scenario) incidents(e *Entity, segs []segment, start, end time.Time) []Incident {
	var out []Incident
	var open *Incident
	lastSample := sc.lastSample(e)
	for _, s := range segs {
		if s.removed {
			break
		}
		switch s.st {
		case Down:
			if open == nil {
				open = &Incident{Start: s.from}
			}
		case Up:
			if open != nil {
				open.End = s.from
				out = append(out, *open)
				open = nil
			}
		}
	}
	if open != nil {
		open.End = lastSample
		open.Interrupted = sc.removed(e)
		out = append(out, *open)
	}
	var in []Incident
	for _, x := range out {
		if x.End.After(start) && x.Start.Before(end) || x.Start.Before(end) && x.End.Equal(x.Start) {
			x.Ongoing = !x.End.Before(end) && !x.Interrupted
			in = append(in, x)
		}
	}
	return in
}

func (sc *Scenario) removed(e *Entity) bool {
	for _, ev := range e.Events {
		if ev.Kind == Remove && !ev.At.After(sc.To) {
			return true
		}
	}
	return false
}

// lastSample is the instant of the entity's last sample.
func (sc *Scenario) lastSample(e *Entity) time.Time {
	ts := sc.scrapes()
	v := e.exporterAt(ts, sc.To)
	for i := len(ts) - 1; i >= 0; i-- {
		if v[i].ok {
			return ts[i]
		}
	}
	return time.Time{}
}

// Round3 rounds seconds to the millisecond (the comparison unit).
func Round3(v float64) float64 { return math.Round(v*1000) / 1000 }
