// Package simhistory generates exact, deterministic exporter history (the
// availability counter family of docs/metrics.md §1 plus a few gauges) as
// OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`, and
// computes the ground truth (down seconds, incidents) the report engine must
// reproduce. The e2e tests, `make demo` and `make bench-report` use it.
//
// Counters are computed analytically from interval arithmetic (no per-second
// simulation), so 35 days × 1 000 entities is cheap to generate.
package simhistory

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

// Window is a half-open time interval [Start, End).
type Window struct {
	Start, End time.Time
}

func (w Window) contains(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// Entity is one checked thing of an availability namespace.
type Entity struct {
	// NS is the namespace: line, host, website, env_condition.
	NS     string
	Labels map[string]string
	// Outages are confirmed-down windows (inside maintenance they count as
	// maintenance_down, outside as down).
	Outages []Window
	// Maintenance windows declared in config.
	Maintenance []Window
	// Gaps: the exporter was not running (no samples); it restarts at the gap
	// end with counters at zero (a counter reset).
	Gaps []Window
	// Unknown: the prober ran but had no known state.
	Unknown []Window
	// Unscraped: Prometheus missed the scrapes (a network cut between it
	// and the exporter): no sample of the entity's series or of its
	// gauges, while the exporter runs on and its counters keep counting
	// (the truth is unchanged).
	Unscraped []Window
	// ProcessStart is when the exporter first started (counters begin at 0).
	ProcessStart time.Time
}

// Incident is one confirmed outage as seen inside a report window.
type Incident struct {
	Start, End  time.Time
	Maintenance bool
}

// Truth is what a correct report states for one entity and window.
type Truth struct {
	Down, Maintenance, MaintenanceDown, Observed, Unknown float64
	Incidents                                             []Incident
}

// class of one instant.
const (
	clsNone = iota // process not running
	clsUnknown
	clsUp
	clsDown
	clsMaintUp
	clsMaintDown
)

// StartupUnknown is how long after each (re)start the prober has no decision.
const StartupUnknown = 10 * time.Second

func (e *Entity) classify(t time.Time) int {
	if t.Before(e.ProcessStart) {
		return clsNone
	}
	for _, g := range e.Gaps {
		if g.contains(t) {
			return clsNone
		}
	}
	// Time since last (re)start.
	start := e.ProcessStart
	for _, g := range e.Gaps {
		if !g.End.After(t) && g.End.After(start) {
			start = g.End
		}
	}
	if t.Sub(start) < StartupUnknown {
		return clsUnknown
	}
	for _, u := range e.Unknown {
		if u.contains(t) {
			return clsUnknown
		}
	}
	down := false
	for _, o := range e.Outages {
		if o.contains(t) {
			down = true
			break
		}
	}
	maint := false
	for _, m := range e.Maintenance {
		if m.contains(t) {
			maint = true
			break
		}
	}
	switch {
	case maint && down:
		return clsMaintDown
	case maint:
		return clsMaintUp
	case down:
		return clsDown
	}
	return clsUp
}

// boundaries returns the sorted instants where the class may change.
func (e *Entity) boundaries() []time.Time {
	var b []time.Time
	add := func(ws []Window) {
		for _, w := range ws {
			b = append(b, w.Start, w.End)
		}
	}
	add(e.Outages)
	add(e.Maintenance)
	add(e.Gaps)
	add(e.Unknown)
	b = append(b, e.ProcessStart, e.ProcessStart.Add(StartupUnknown))
	for _, g := range e.Gaps {
		b = append(b, g.End.Add(StartupUnknown))
	}
	sort.Slice(b, func(i, j int) bool { return b[i].Before(b[j]) })
	out := b[:0]
	for i, t := range b {
		if i == 0 || !t.Equal(out[len(out)-1]) {
			out = append(out, t)
		}
	}
	return out
}

// counters is the exporter's state at an instant.
type counters struct {
	running                                                  bool
	observed, down, maint, maintDown, unknown, changes, last float64
	start                                                    float64 // NS_start_time_seconds
	cls                                                      int
}

// sim walks time forward computing counters exactly.
type sim struct {
	e      *Entity
	bounds []time.Time
	bi     int
	t      time.Time
	c      counters
	state  int // last confirmed state: 0 none, 1 up, 2 down
}

func newSim(e *Entity) *sim {
	return &sim{e: e, bounds: e.boundaries(), t: e.ProcessStart.Add(-time.Second)}
}

// advance moves the simulation to t (t must not go backwards).
func (s *sim) advance(t time.Time) counters {
	for s.t.Before(t) {
		next := t
		for s.bi < len(s.bounds) && !s.bounds[s.bi].After(s.t) {
			s.bi++
		}
		if s.bi < len(s.bounds) && s.bounds[s.bi].Before(next) {
			next = s.bounds[s.bi]
		}
		cls := s.e.classify(s.t)
		// Transition handling at s.t (start of this segment).
		if cls == clsNone {
			if s.c.running {
				s.c = counters{} // process gone; restart from zero later
				s.state = 0
			}
		} else {
			if !s.c.running { // (re)started now, counters at 0
				s.c.start = float64(s.t.UnixMilli()) / 1e3
			}
			s.c.running = true
			conf := 0
			switch cls {
			case clsUp, clsMaintUp:
				conf = 1
			case clsDown, clsMaintDown:
				conf = 2
			}
			if conf != 0 {
				if s.state != 0 && conf != s.state {
					s.c.changes++
					s.c.last = float64(s.t.Unix())
				}
				s.state = conf
			}
			d := next.Sub(s.t).Seconds()
			switch cls {
			case clsUnknown:
				s.c.unknown += d
			case clsUp:
				s.c.observed += d
			case clsDown:
				s.c.observed += d
				s.c.down += d
			case clsMaintUp:
				s.c.observed += d
				s.c.maint += d
			case clsMaintDown:
				s.c.observed += d
				s.c.maint += d
				s.c.maintDown += d
			}
		}
		s.c.cls = cls
		s.t = next
	}
	c := s.c
	c.cls = s.e.classify(t)
	if c.cls == clsNone {
		c.running = false
	} else if conf := confirmed(c.cls); c.running && conf != 0 && s.state != 0 && conf != s.state {
		// A scrape at a transition instant sees the transition in the
		// counters as in the state: an exporter publishes them together.
		c.changes++
		c.last = float64(t.Unix())
	}
	return c
}

// confirmed is the confirmed state of a class: 1 up, 2 down, 0 none.
func confirmed(cls int) int {
	switch cls {
	case clsUp, clsMaintUp:
		return 1
	case clsDown, clsMaintDown:
		return 2
	}
	return 0
}

// TruthFor computes the exact figures for [from, to).
func (e *Entity) TruthFor(from, to time.Time) Truth {
	var tr Truth
	bs := append([]time.Time{from, to}, e.boundaries()...)
	sort.Slice(bs, func(i, j int) bool { return bs[i].Before(bs[j]) })
	for i := 0; i+1 < len(bs); i++ {
		a, b := bs[i], bs[i+1]
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if !b.After(a) {
			continue
		}
		d := b.Sub(a).Seconds()
		switch e.classify(a) {
		case clsUnknown, clsNone:
			tr.Unknown += d
		case clsUp:
			tr.Observed += d
		case clsDown:
			tr.Observed += d
			tr.Down += d
		case clsMaintUp:
			tr.Observed += d
			tr.Maintenance += d
		case clsMaintDown:
			tr.Observed += d
			tr.Maintenance += d
			tr.MaintenanceDown += d
		}
	}
	for _, o := range e.Outages {
		if o.End.After(from) && o.Start.Before(to) {
			in := false
			for _, m := range e.Maintenance {
				if m.contains(o.Start) {
					in = true
				}
			}
			tr.Incidents = append(tr.Incidents, Incident{Start: o.Start, End: o.End, Maintenance: in})
		}
	}
	sort.Slice(tr.Incidents, func(i, j int) bool { return tr.Incidents[i].Start.Before(tr.Incidents[j].Start) })
	return tr
}

// Gauge is an extra (non-availability) series with a value function.
type Gauge struct {
	Name   string
	Labels map[string]string
	Value  func(t time.Time) float64
	// Of is the entity whose exporter process exports the series: no sample
	// while it is not running (nil: always sampled).
	Of *Entity
	// Counter: Value is cumulative and the series counts from 0 at each
	// (re)start of Of's process, as an exporter's counter does.
	Counter bool
	// Dense: the series is sampled every Spec.DenseStep instead of Step
	// (an event-driven gauge: a report reading its samples sees every
	// excursion the condition counters count, and its averages are time
	// averages).
	Dense bool
}

// scraped says whether Prometheus scraped the entity's exporter at t (not
// inside an Unscraped window).
func (e *Entity) scraped(t time.Time) bool {
	for _, w := range e.Unscraped {
		if w.contains(t) {
			return false
		}
	}
	return true
}

// lifeStart is when the process running at t last (re)started.
func (e *Entity) lifeStart(t time.Time) time.Time {
	ls := e.ProcessStart
	for _, g := range e.Gaps {
		if !g.End.After(t) && g.End.After(ls) {
			ls = g.End
		}
	}
	return ls
}

// at returns the series' sample at t, false when there is none.
func (g Gauge) at(t time.Time) (float64, bool) {
	if g.Of != nil && (g.Of.classify(t) == clsNone || !g.Of.scraped(t)) {
		return 0, false
	}
	v := g.Value(t)
	if math.IsNaN(v) {
		return 0, false
	}
	if g.Counter && g.Of != nil {
		v -= g.Value(g.Of.lifeStart(t))
	}
	return v, true
}

// Increase is the exact increase of counter g over (from, to] as the samples
// written by WriteOpenMetrics show it: per lifetime of the process, its
// last sample in the window minus its last sample at or before from (0 for
// a lifetime that began after from) — the ground truth of the report's
// counter increases.
func (sp Spec) Increase(g Gauge, from, to time.Time) float64 {
	var sum, last float64
	var lastLife time.Time
	have := false
	for t := sp.From; !t.After(sp.To) && !t.After(to); t = t.Add(sp.Step) {
		v, ok := g.at(t)
		if !ok {
			continue
		}
		life := time.Time{}
		if g.Of != nil {
			life = g.Of.lifeStart(t)
		}
		if !t.After(from) {
			last, lastLife, have = v, life, true
			continue
		}
		if !have || !life.Equal(lastLife) {
			last = 0 // a lifetime that began after the previous sample
		}
		sum += v - last
		last, lastLife, have = v, life, true
	}
	return sum
}

// Spec is a whole history.
type Spec struct {
	From, To time.Time
	Step     time.Duration
	Entities []*Entity
	Gauges   []Gauge
	// DenseStep is the sample interval of the Dense gauges (a divisor of
	// Step; 0: Step): uniform over the whole history, so an average over
	// the samples (avg_over_time) is a time average. Bound: span/DenseStep
	// samples per Dense gauge.
	DenseStep time.Duration
}

// gaugeTimes returns the sample instants in lo <= t < hi of ordinary
// gauges (the Step grid from first to last) and of Dense gauges (every
// DenseStep, aligned to multiples of it, within the history's span).
func (sp Spec) gaugeTimes(lo, hi, first, last time.Time) (grid, dense []time.Time) {
	for t := first; !t.After(last); t = t.Add(sp.Step) {
		grid = append(grid, t)
	}
	if sp.DenseStep <= 0 || sp.DenseStep == sp.Step {
		return grid, grid
	}
	if lo.Before(sp.From) {
		lo = sp.From
	}
	for t := lo.Add(sp.DenseStep - time.Nanosecond).Truncate(sp.DenseStep); t.Before(hi) && !t.After(sp.To); t = t.Add(sp.DenseStep) {
		dense = append(dense, t)
	}
	return grid, dense
}

// LabelString renders {k="v",…} with sorted keys.
func LabelString(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	sb.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(k)
		sb.WriteString(`="`)
		v := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(l[k])
		sb.WriteString(v)
		sb.WriteByte('"')
	}
	sb.WriteByte('}')
	return sb.String()
}

func fmtF(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// WriteOpenMetrics writes the history. Samples are taken every Step starting
// at From (aligned as given), up to and including To.
func WriteOpenMetrics(w io.Writer, sp Spec) error {
	return WriteOpenMetricsRange(w, sp, sp.From, sp.To.Add(time.Nanosecond))
}

// WriteOpenMetricsRange writes only the samples with lo <= t < hi.
func WriteOpenMetricsRange(w io.Writer, sp Spec, lo, hi time.Time) error {
	first, last := sp.grid(lo, hi)
	bw := bufio.NewWriterSize(w, 1<<20)
	// One pass per entity per metric keeps series contiguous (promtool wants
	// each family's samples grouped; we group by metric name across entities).
	byNS := map[string][]*Entity{}
	var nss []string
	for _, e := range sp.Entities {
		if _, ok := byNS[e.NS]; !ok {
			nss = append(nss, e.NS)
		}
		byNS[e.NS] = append(byNS[e.NS], e)
	}
	for _, ns := range nss {
		fams := availFamilies(ns)
		for _, f := range fams {
			fmt.Fprintf(bw, "# TYPE %s %s\n", strings.TrimSuffix(f.name, "_total"), typ(f.name))
			for _, e := range byNS[ns] {
				ls := LabelString(e.Labels)
				s := newSim(e)
				for t := first; !t.After(last); t = t.Add(sp.Step) {
					c := s.advance(t)
					if !c.running || !e.scraped(t) {
						continue
					}
					v, _ := f.get(c)
					bw.WriteString(f.name)
					bw.WriteString(ls)
					bw.WriteByte(' ')
					bw.WriteString(fmtF(v))
					bw.WriteByte(' ')
					bw.WriteString(strconv.FormatInt(t.Unix(), 10))
					bw.WriteByte('\n')
				}
			}
		}
	}
	// Gauges grouped by name.
	var gnames []string
	gby := map[string][]Gauge{}
	for _, g := range sp.Gauges {
		if _, ok := gby[g.Name]; !ok {
			gnames = append(gnames, g.Name)
		}
		gby[g.Name] = append(gby[g.Name], g)
	}
	grid, dense := sp.gaugeTimes(lo, hi, first, last)
	for _, n := range gnames {
		base := n
		if strings.HasSuffix(n, "_bucket") {
			base = strings.TrimSuffix(n, "_bucket")
		}
		fmt.Fprintf(bw, "# TYPE %s %s\n", strings.TrimSuffix(base, "_total"), typ(n))
		for _, g := range gby[n] {
			ls := LabelString(g.Labels)
			ts := grid
			if g.Dense {
				ts = dense
			}
			for _, t := range ts {
				v, ok := g.at(t)
				if !ok {
					continue
				}
				fmt.Fprintf(bw, "%s%s %s %d\n", n, ls, fmtF(v), t.Unix())
			}
		}
	}
	bw.WriteString("# EOF\n")
	return bw.Flush()
}

// grid is the first and last sample instant of the history in [lo, hi).
func (sp Spec) grid(lo, hi time.Time) (first, last time.Time) {
	first = sp.From
	if lo.After(first) {
		first = lo.Add(-time.Nanosecond).Truncate(sp.Step)
		for first.Before(lo) || first.Before(sp.From) {
			first = first.Add(sp.Step)
		}
	}
	last = sp.To
	if !hi.After(last) {
		last = hi.Add(-time.Nanosecond)
	}
	return first, last
}

// fam is one metric of an availability namespace and its value in the
// exporter's state.
type fam struct {
	name string
	get  func(c counters) (float64, bool)
}

// availFamilies is the availability family of ns as an exporter publishes it.
func availFamilies(ns string) []fam {
	m := metricnames.Lookup(ns) // the names of the contract (env_condition: ok, active)
	return []fam{
		{m.Up(), func(c counters) (float64, bool) { return b2f(c.cls == clsUp || c.cls == clsMaintUp), true }},
		{m.Unknown(), func(c counters) (float64, bool) { return b2f(c.cls == clsUnknown), true }},
		{m.InMaintenance(), func(c counters) (float64, bool) {
			return b2f(c.cls == clsMaintUp || c.cls == clsMaintDown), true
		}},
		{m.Observed(), func(c counters) (float64, bool) { return c.observed, true }},
		{m.Down(), func(c counters) (float64, bool) { return c.down, true }},
		{m.Maintenance(), func(c counters) (float64, bool) { return c.maint, true }},
		{m.MaintenanceDown(), func(c counters) (float64, bool) { return c.maintDown, true }},
		{m.UnknownSeconds(), func(c counters) (float64, bool) { return c.unknown, true }},
		{m.StateChanges(), func(c counters) (float64, bool) { return c.changes, true }},
		{m.LastChange(), func(c counters) (float64, bool) { return c.last, true }},
		{m.StartTime(), func(c counters) (float64, bool) { return c.start, true }},
	}
}

func typ(name string) string {
	switch {
	case strings.HasSuffix(name, "_total"):
		return "counter"
	case strings.HasSuffix(name, "_bucket"):
		return "unknown"
	}
	return "gauge"
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
