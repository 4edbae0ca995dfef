package report

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Incidents come from the three-state signal itself (issue 17): the raw
// scrapes of NS_up, NS_unknown, NS_last_change_timestamp_seconds and
// NS_in_maintenance, walked by deriveIncidents (derive.go). Counter resets
// (exporter restarts), scrape gaps, series that end and unknown spells are
// handled there; the counters and two levels of detectors only choose which
// entities and hours to read (issue 24: at a 15 s scrape interval one
// entity-day is 7 × 5 760 samples, an entity-hour 7 × 240):
//
//   - entities: those with down or maintenance-down seconds, a state change
//     in the period, or down at its start;
//   - days (of the period, from its start): the days and hours in which
//     NS_up, NS_unknown, NS_last_change_timestamp_seconds or
//     NS_start_time_seconds changed come from the recorded
//     NS:NS_state:changes1h (rules/recording.yml, group jianguan.report:
//     present where one of them changed in the 1 h 20 min before an hourly
//     evaluation; detectors.go recordedChanges: one query reads the
//     candidates' points of the period), wherever the group's marker shows
//     every evaluation of a day; the other days' changes (windows of 1 d +
//     20 min, so a change at a day edge is seen on both sides) come from the
//     state series at their edges (detectors.go edgeDays: one instant query
//     per edge reads the last value within 20 min of six series of every
//     candidate; the counters tell what changed in between, the exactness
//     argument is there) — and the days
//     in which an entity had at least 2 samples fewer than on its fullest
//     day (a gap: one missed scrape is not one, deriveIncidents' gap is more
//     than 2 scrape intervals; a series that starts or ends), from the
//     recorded NS:NS_up:count1h summed per day (rules/recording.yml, group
//     jianguan.report), and count_over_time(NS_up[1d]) over the raw samples
//     only for the days whose recording-rule evaluations are incomplete
//     (all days where the rules never ran). Config.RawDetectors runs the
//     former detectors instead: changes() of the four signals and
//     count_over_time(NS_up[1d]), each over every sample; a day without
//     samples has its sampled neighbours looked at (and so, at the hour
//     level, an hour without samples its neighbours read: the samples on
//     both sides of a gap are read, the gap is measured between them);
//   - hours, inside those days only: per day with a flagged entity, one
//     query_range at a 1 h step of `changes(…[1h20m]) > 0` of the same four
//     signals joined with `or` (the answer carries only the hours with a
//     change; the 20 min lookback again marks both sides of an hour edge;
//     not for the days the recorded changes gave hour by hour) and one of
//     `count_over_time(NS_up[1h])`: an hour is read when it changed or
//     has at least 2 samples fewer than the entity's fullest hour (at least
//     its fullest day ÷ 24) — the counts only of the entities whose day
//     counts do not show the day, and the days beside it, sampled
//     throughout at the fullest day's rate (exactDays: then every hour of
//     it is sampled); the period's first hour (from 20 min before the
//     start: the state there and its transition time) and last hour
//     (ongoing or interrupted) are read unless they held and the edge read
//     has the entity's scrape at the edge (edgeSeeds);
//   - the raw samples of those hours only: each entity's run of consecutive
//     read hours (at most a day) in one query, with the entities whose runs
//     start in the same hour (up to the latest end among them), so that one
//     answer holds at most incidentMaxPoints samples; on Prometheus up to
//     incidentBatchReads of these queries, within incidentMaxPoints
//     together, go in one remote-read request (rawReads). Between two
//     read hours, unread hours had samples (an unflagged day, or an hour with
//     a count) and no change of any of the four signals: the state held
//     (stateSample.Cont), exactly as the day's raw samples would have shown
//     it; an hour or day without any sample breaks that, so the time between
//     is a gap.
//
// Queries: 2 (recorded changes, rule marker) + 2 (recorded counts, rule
// marker) + 1 per run of days without every evaluation + 1 per edge of those
// days + 1 per day with a flagged entity not sampled throughout (+ 1 per
// day with a flagged entity if not recorded) + about
// 1 per hour in which a run of read hours starts (more where a batch would
// pass incidentMaxPoints). The 100-entity
// month at 15 s (bench history, November): the day detectors read 1.0 M
// samples on the server for the lines report (raw: 28.5 M) and 2.3 M for
// the providers report (raw: 64.9 M); raw samples moved: about 7 signals ×
// (2 + 2 per change) hours of samples per entity, instead of 7 × 2 days
// per change (24 times less at any scrape interval).

// incidentMaxPoints bounds the samples of one raw answer (about 30 bytes
// each in JSON: ~12 MB, well under the client's answer limit).
const incidentMaxPoints = 400000

// incidentBatchReads is the most reconstruction reads sent in one request
// (promapi.Client.RemoteReadBatch): the reads are short (a run of hours of
// an entity or two), and one request for 8 of them instead of one each
// cost Prometheus 2.42 ×0.86 and the client ×0.71 CPU on the month bench
// (the ~1 200 of a providers month, tools/bench/report/batchread; 40
// saved little more).
const incidentBatchReads = 16

// incidentLookback is read before the period start to see the state there
// (and its transition time); scrape intervals up to 20 min.
const incidentLookback = 20 * time.Minute

// grid cuts a period into units of step from its start (the last one may be
// shorter): the days and hours the incident detectors look at.
type grid struct {
	start, end time.Time
	step       time.Duration
	n          int
}

func newGrid(start, end time.Time, step time.Duration) grid {
	n := int((end.Sub(start) + step - 1) / step)
	return grid{start: start, end: end, step: step, n: max(n, 1)}
}

// unitEnd is the end of unit i (clipped to the period end).
func (g grid) unitEnd(i int) time.Time {
	t := g.start.Add(time.Duration(i+1) * g.step)
	if t.After(g.end) {
		t = g.end
	}
	return t
}

// of is the unit holding t (a unit is (start, end]).
func (g grid) of(t time.Time) int {
	if !t.After(g.start) {
		return 0
	}
	return min(int((t.Sub(g.start)-time.Millisecond)/g.step), g.n-1)
}

// ofMs is of for unix milliseconds.
func (g grid) ofMs(ms int64) int {
	s := g.start.UnixMilli()
	if ms <= s {
		return 0
	}
	return min(int((ms-s-1)/g.step.Milliseconds()), g.n-1)
}

// span is the first and last unit a window (t − w, t] overlaps. A detector
// point at t covers that window: every unit it overlaps is marked (backends
// may align the evaluation times to the step in UTC, not to the period's).
func (g grid) span(t time.Time, w time.Duration) (int, int) {
	return g.of(t.Add(-w).Add(time.Millisecond)), g.of(t)
}

// sampleCount is a count_over_time point: the samples in (t − step, t].
type sampleCount struct {
	t time.Time
	v float64
}

// classifyCounts marks the units of g each count window overlaps: flag with
// at least 2 samples fewer than mx, the fullest window (a gap — one missed
// scrape is none, deriveIncidents' gap is more than 2 scrape intervals — or
// a series that starts or ends: read or look closer), broken without
// samples (continuity ends), else seen.
func classifyCounts(cs []sampleCount, g grid, mx float64, flag, broken, seen func(int)) {
	for _, c := range cs {
		a, b := g.span(c.t, g.step)
		for i := a; i <= b; i++ {
			switch {
			case c.v <= mx-2 && c.v > 0:
				flag(i)
			case c.v == 0:
				broken(i)
			default:
				seen(i)
			}
		}
	}
}

// incidentWalk is what the detectors found for one entity.
type incidentWalk struct {
	name       string
	dayFlag    []bool  // day with a change or missing samples: look at its hours
	dayFull    []bool  // day sampled throughout and unchanged: the state held
	daySampled []bool  // day with samples (a count window with samples overlapped it)
	maxPerDay  float64 // samples of NS_up on its fullest day
	maxPerHour float64 // … in its fullest hour (at least maxPerDay ÷ 24)
	hourFlag   map[int]bool
	hourFull   map[int]bool // hours of flagged days: sampled throughout, unchanged
	samples    sampleStore  // the raw samples read, with the hour each was read in
	// dayExact: days sampled throughout at the fullest day's rate
	// (exactDays); a flagged one's hours are not counted (incidentHours).
	dayExact []bool
}

// exact reports whether day i was sampled throughout at the fullest day's
// rate (exactDays).
func (w *incidentWalk) exact(i int) bool { return i < len(w.dayExact) && w.dayExact[i] }

// held reports whether hour h is known to hold the state without being read.
func (w *incidentWalk) held(h int) bool {
	if d := h / 24; !w.dayFlag[d] {
		return w.dayFull[d]
	}
	return w.hourFull[h]
}

// fetchIncidents fills ents' incidents; atStart holds NS_up and NS_unknown
// at the month start (who was down then).
func (r *run) fetchIncidents(f family, ents []EntityResult, atStart map[string]scrape) error {
	if len(ents) == 0 {
		return nil
	}
	downAtStart := map[string]bool{}
	for k, sc := range atStart {
		if up, ok := sc.vals[f.up]; ok && up == 0 && sc.vals[f.unknownGauge] != 1 {
			downAtStart[k] = true
		}
	}
	cand := map[string]int{} // label key → index in ents
	walks := map[string]*incidentWalk{}
	for i := range ents {
		k := labelKey(ents[i].Labels)
		ents[i].Incidents = []Incident{}
		e := ents[i]
		if e.StateChanges > 0 || downAtStart[k] || e.DownSeconds > 0 || e.MaintenanceDownSeconds > 0 {
			cand[k] = i
			walks[k] = &incidentWalk{name: e.Labels[f.nameLabel], hourFlag: map[int]bool{}, hourFull: map[int]bool{}}
		}
	}
	if len(cand) == 0 {
		return nil
	}
	days := newGrid(r.start(), r.end(), 24*time.Hour)
	hours := newGrid(r.start(), r.end(), time.Hour)
	covered, err := r.incidentDays(f, walks, days, hours)
	if err != nil {
		return err
	}
	if err := r.incidentHours(f, walks, days, hours, covered); err != nil {
		return err
	}
	if err := r.incidentSamples(f, walks, hours); err != nil {
		return err
	}
	keys := make([]string, 0, len(cand))
	for k := range cand {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w := walks[k]
		ss, ds := w.samples.sorted()
		if len(ss) == 0 {
			continue
		}
		for j := 1; j < len(ss); j++ {
			a, b := ds[j-1], ds[j]
			if b-a < 2 {
				continue
			}
			cont := true
			for h := a + 1; h < b && cont; h++ {
				cont = w.held(h)
			}
			ss[j].Cont = cont
		}
		iv := scrapeInterval(ss)
		p := deriveParams{Start: r.start(), End: r.end(), MaxGap: 2 * iv}
		e := &ents[cand[k]]
		r.coverageCaveats(f, e.Name, ss, iv)
		incs := deriveIncidents(ss, p)
		for _, d := range incs {
			note := d.Note
			if d.Unknown > 0 {
				note = joinNote(note, fmt.Sprintf("含未知 %.0f s (unknown %.0f s)", d.Unknown, d.Unknown))
			}
			in := r.mkIncident(d.Start, d.End, d.Maintenance, d.Ongoing, note)
			in.UnknownSeconds = d.Unknown
			in.Interrupted = d.Interrupted
			e.Incidents = append(e.Incidents, in)
		}
		counted := e.DownSeconds + e.MaintenanceDownSeconds
		if sum, bound, ok := crossCheck(incs, p, counted, iv); !ok {
			who := r.term(f.ns) + " " + e.Name // 线路 cm-bgp-2 / line cm-bgp-2
			r.caveat(r.tr(fmt.Sprintf("%s：事件时长合计（不含未知）%s 与停机计数器 %s 相差 %s，超出界限 %s。", who, r.dur(sum), r.dur(counted), r.dur(math.Abs(sum-counted)), r.dur(bound)),
				fmt.Sprintf("%s: incidents' down time %s differs from the down counters' %s by %s, beyond the bound of %s.", who, r.dur(sum), r.dur(counted), r.dur(math.Abs(sum-counted)), r.dur(bound))))
		}
	}
	return nil
}

// changedSignals are the signals whose change marks a day or hour to read.
func (f family) changedSignals() []string {
	return []string{f.up, f.unknownGauge, f.lastChange, f.started}
}

// incidentDays runs the day detectors and fills the walks' dayFlag,
// dayFull and maxPerDay (and, from the recorded changes, hourFlag). It
// returns the days whose changes the recorded series gave, hour by hour
// (nil: none).
func (r *run) incidentDays(f family, walks map[string]*incidentWalk, days, hours grid) ([]bool, error) {
	const day = 24 * time.Hour
	var names []string
	for _, w := range walks {
		names = append(names, w.name)
		w.dayFlag, w.dayFull = make([]bool, days.n), make([]bool, days.n)
	}
	extra := f.nameLabel + "=~" + RegexAlternation(uniq(names))
	win := fmt.Sprintf("[%ds]", int64((day + incidentLookback).Seconds()))
	type det struct {
		purpose, expr string
		count         bool
	}
	var dets []det
	if r.cfg.RawDetectors {
		for _, s := range f.changedSignals() {
			what := s
			if s == f.started {
				what += " (restarts)"
			}
			dets = append(dets, det{"incident days: changes of " + what, "changes(" + r.selector(s, extra) + win + ")", false})
		}
	}
	if r.cfg.RawDetectors {
		dets = append(dets, det{"incident days: samples of " + f.up + " per day (gaps, series that start or end)", "count_over_time(" + r.selector(f.up, extra) + "[1d])", true})
	}
	counts := map[string][]sampleCount{} // key → samples per 1 d window
	var mu sync.Mutex
	var fns []func() error
	for _, d := range dets {
		fns = append(fns, func() error {
			return r.detectorPoints(d.purpose, d.expr, days.unitEnd(0), r.end(), day, &mu, func(k string, p Point) {
				w := walks[k]
				switch {
				case w == nil: // not a candidate
				case d.count:
					counts[k] = append(counts[k], sampleCount{p.T, p.V})
				case p.V > 0:
					a, b := days.span(p.T, day+incidentLookback)
					for i := a; i <= b; i++ {
						w.dayFlag[i] = true
					}
				}
			})
		})
	}
	var absentBoth map[string][]bool
	var dc dayCounts
	var covered []bool
	if !r.cfg.RawDetectors {
		fns = append(fns, func() error {
			var err error
			if covered, err = r.recordedChanges(f, walks, extra, days, hours); err != nil {
				return err
			}
			edges := make([]bool, days.n)
			if !slices.ContainsFunc(covered, func(c bool) bool { return !c }) {
				return nil
			}
			for i, c := range covered {
				edges[i] = !c
			}
			absentBoth, err = r.edgeDays(f, walks, extra, days, edges)
			return err
		}, func() error {
			var err error
			dc, err = r.recordedDayCounts(f, extra, days)
			return err
		})
	}
	if err := r.parallel(fns...); err != nil {
		return nil, err
	}
	wholeDays := map[int]bool{}
	if seedEdges && r.backendInfo().Kind == "Prometheus" {
		for _, i := range []int{0, days.n - 1} {
			from := days.start
			if i > 0 {
				from = days.unitEnd(i - 1)
			}
			wholeDays[i] = days.unitEnd(i).Sub(from) == day
		}
	}
	for k, w := range walks {
		cs := counts[k]
		if !r.cfg.RawDetectors {
			cs = dc.raw[k]
		}
		mx := 0.0
		for _, c := range cs {
			mx = math.Max(mx, c.v)
		}
		mxRaw, mxRec := mx, 0.0
		seen := make([]bool, days.n)
		broken := make([]bool, days.n)
		w.daySampled = make([]bool, days.n)
		flag := func(i int) { w.dayFlag[i], w.daySampled[i] = true, true }
		see := func(i int) { seen[i], w.daySampled[i] = true, true }
		classifyCounts(cs, days, mx, flag, func(i int) { broken[i] = true }, see)
		if rc := dc.rec[k]; len(rc) > 0 {
			for _, c := range rc {
				mxRec = math.Max(mxRec, c.v)
			}
			classifyRecorded(rc, days, mxRec, flag, see)
			mx = math.Max(mx, math.Floor(mxRec/dc.perHour)*24)
		}
		w.maxPerDay = mx
		if !r.cfg.RawDetectors && skipExactDays {
			w.dayExact = exactDays(cs, mxRaw, dc.rec[k], mxRec, days)
		}
		// A day without samples (a gap, a series not yet begun or ended):
		// its sampled neighbours (two before: see incidentHours) are looked
		// at hour by hour, so that the samples on both sides of the gap are
		// read (coverageCaveats measures the gap between them).
		for i, ok := range w.daySampled {
			if ok {
				continue
			}
			for _, j := range []int{i - 2, i - 1, i + 1} {
				if j >= 0 && j < days.n && w.daySampled[j] {
					w.dayFlag[j] = true
				}
			}
		}
		// The first and last day are looked at hour by hour where their
		// 1 d windows may not be the days': a backend that aligns its 1 d
		// steps to UTC (VictoriaMetrics) leaves part of the last day
		// outside every window, and a last day cut short (a draft's 截至
		// hour) has no 1 d window at all. On Prometheus a whole day is
		// judged like the others (its first and last hour: edgeSeeds).
		for _, i := range []int{0, days.n - 1} {
			if !wholeDays[i] {
				w.dayFlag[i] = true
			}
		}
		for i, ab := range absentBoth[k] {
			// No value at either edge, yet samples inside: the series
			// began and ended within the window, what changed is unknown.
			if ab && seen[i] {
				w.dayFlag[i] = true
			}
		}
		for i := range w.dayFull {
			w.dayFull[i] = seen[i] && !broken[i] && !w.dayFlag[i]
		}
	}
	return covered, nil
}

// incidentHours looks at the hours of each flagged day: two query_range at
// a 1 h step per day with a flagged entity (the changes of the four signals,
// only nonzero hours in the answer, unless the recorded changes gave the
// day's hours: covered; the samples per hour). It fills the walks' hourFlag
// and hourFull.
func (r *run) incidentHours(f family, walks map[string]*incidentWalk, days, hours grid, covered []bool) error {
	byDay := map[int][]string{}   // day → name-label values of the entities flagged in it
	toCount := map[int][]string{} // … of those whose samples in it are counted hour by hour
	for _, w := range walks {
		for i, fl := range w.dayFlag {
			if fl {
				byDay[i] = append(byDay[i], w.name)
				if !w.exact(i) {
					toCount[i] = append(toCount[i], w.name)
				}
			}
		}
	}
	win := fmt.Sprintf("[%ds]", int64((time.Hour + incidentLookback).Seconds()))
	counts := map[string][]sampleCount{}
	var mu sync.Mutex
	var fns []func() error
	for i, names := range byDay {
		extra := f.nameLabel + "=~" + RegexAlternation(uniq(names))
		var ors []string
		for _, s := range f.changedSignals() {
			ors = append(ors, "(changes("+r.selector(s, extra)+win+") > 0)")
		}
		from, to := hours.unitEnd(i*24), days.unitEnd(i)
		if covered == nil || !covered[i] {
			fns = append(fns, func() error {
				return r.detectorPoints("incident hours (in a day with a change): hours in which "+strings.Join(f.changedSignals(), ", ")+" changed",
					strings.Join(ors, " or "), from, to, time.Hour, &mu, func(k string, p Point) {
						if w := walks[k]; w != nil && w.dayFlag[i] && p.V > 0 {
							a, b := hours.span(p.T, time.Hour+incidentLookback)
							for h := a; h <= b; h++ {
								w.hourFlag[h] = true
							}
						}
					})
			})
		}
		if len(toCount[i]) == 0 {
			continue
		}
		counted := f.nameLabel + "=~" + RegexAlternation(uniq(toCount[i]))
		fns = append(fns, func() error {
			return r.countPoints("incident hours (in a day with a change): samples of "+f.up+" per hour (gaps, series that start or end)",
				r.selector(f.up, counted), from, to, time.Hour, &mu, func(k string, p Point) {
					if w := walks[k]; w != nil && w.dayFlag[i] {
						counts[k] = append(counts[k], sampleCount{p.T, p.V})
					}
				})
		})
	}
	if err := r.parallel(fns...); err != nil {
		return err
	}
	for k, w := range walks {
		mx := math.Floor(w.maxPerDay / 24)
		var exact []int // flagged days whose hours were not counted
		for i, fl := range w.dayFlag {
			if fl && w.exact(i) {
				exact = append(exact, i)
			}
		}
		if len(exact) > 0 {
			// Their full hours are not among the counts: the fullest
			// hour is at least a fullest day's share, rounded up (a
			// closed window's sample at its start makes a day's count
			// 24 h + 1 and each hour's 1 h + 1 at a regular rate).
			mx = math.Ceil(w.maxPerDay / 24)
		}
		for _, c := range counts[k] {
			mx = math.Max(mx, c.v)
		}
		seen, broken, sampled := map[int]bool{}, map[int]bool{}, map[int]bool{}
		classifyCounts(counts[k], hours, mx, func(h int) { w.hourFlag[h], sampled[h] = true, true },
			func(h int) { broken[h] = true }, func(h int) { seen[h], sampled[h] = true, true })
		for _, i := range exact {
			// Sampled throughout at the fullest rate: each hour's count
			// would be its fullest.
			for h := i * 24; h < min((i+1)*24, hours.n); h++ {
				seen[h], sampled[h] = true, true
			}
		}
		// An hour without samples (in a looked-at day: no sample in its
		// count window; elsewhere: in a day without samples): the hour
		// after it and the two before it are read where they have samples,
		// so that the samples on both sides of the gap are (coverageCaveats
		// measures the gap between them). Two before: Prometheus 2's range
		// windows are closed at both ends, so an hour may count only a
		// sample at its start, which belongs to the hour before.
		hasSamples := func(h int) bool {
			if d := h / 24; !w.dayFlag[d] {
				return w.daySampled[d]
			}
			return sampled[h]
		}
		for h := range hours.n {
			if d := h / 24; !w.dayFlag[d] && w.daySampled[d] || hasSamples(h) {
				continue
			}
			for _, j := range []int{h - 2, h - 1, h + 1} {
				if j >= 0 && j < hours.n && hasSamples(j) {
					w.hourFlag[j] = true
				}
			}
		}
		for h := range seen {
			w.hourFull[h] = !broken[h] && !w.hourFlag[h]
		}
		w.maxPerHour = mx
	}
	return r.edgeSeeds(f, walks, hours)
}

// skipExactDays can be turned off by a test, to compare: then every
// flagged day's hours are counted, exact or not (exactDays).
var skipExactDays = true

// seedEdges can be turned off by a test, to compare: then every
// candidate's first and last hour are read, and its first and last day
// looked at hour by hour (edgeSeeds, incidentDays).
var seedEdges = true

// edgeSeeds gives each walk its state at the period's start and end: the
// first hour (from incidentLookback before the start: the state there and
// its transition time) and the last (ongoing or interrupted) are read,
// unless the hour held (sampled throughout, no change of the four signals
// from 20 min before it to its end) and the period's edge read
// (edgeread.go, on Prometheus) has the entity's last scrape at or before
// the edge: then that scrape is the walk's sample there, as the first
// hour's read would give the state before the start (what the hour holds
// after it) and the last hour's its last sample. The start's sample is
// kept in unit −1 and the end's in unit n, so that the hour between it and
// the next read sample must have held (incidentWalk.held) for the state to
// continue (stateSample.Cont). A walk with no other hour to read has both
// hours read (its scrape interval comes from its samples). NS_in_maintenance
// is not among the four signals, here as in every held hour: an incident
// open at the start takes its maintenance flag from the scrape at the edge
// where the first hour's read would give that of the first scrape of the
// 20 min before it (they differ only if maintenance began or ended in those
// 20 min while the entity stayed down with no other change).
func (r *run) edgeSeeds(f family, walks map[string]*incidentWalk, hours grid) error {
	var at [2]*edgeAnswer
	if seedEdges {
		for i, t := range []time.Time{r.start(), r.end()} {
			a, err := r.edgeRead(f, t)
			if err != nil {
				return err
			}
			at[i] = a
		}
	}
	last := hours.n - 1
	for k, w := range walks {
		other := false
		for h, fl := range w.hourFlag {
			if fl && h != 0 && h != last {
				other = true
				break
			}
		}
		for i, h := range []int{0, last} {
			if w.hourFlag[h] {
				continue
			}
			var x scrape
			if at[i] != nil {
				x = at[i].last[k]
			}
			if _, up := x.vals[f.up]; !other || !up || !w.held(h) {
				w.hourFlag[h] = true
				continue
			}
			w.samples.addRow([]int{-1, hours.n}[i], stateRowOf(f, x))
		}
	}
	return nil
}

// incidentSamples reads the raw samples of the walks' flagged hours. Each
// entity's consecutive flagged hours are read together (a change flags the
// hour of its evaluation window and the hour before), in one query with
// the other entities whose runs start in the same hour: the query reads up
// to the latest end among them, so an entity may get a few hours more than
// flagged (its true samples: the derivation only gains). Prometheus decodes
// each selected series' index entry (every chunk of it in the block) once
// per query, so a run read once instead of hour by hour costs it half.
func (r *run) incidentSamples(f family, walks map[string]*incidentWalk, hours grid) error {
	sigs := f.stateSignals()
	maxPerHour := 1.0
	for _, w := range walks {
		maxPerHour = math.Max(maxPerHour, w.maxPerHour+1)
	}
	perHour := float64(len(sigs)) * maxPerHour // points of one entity-hour
	// A run is read in pieces of at most a day, and of at most
	// incidentMaxPoints with the lookback.
	maxRun := max(min(24, int(incidentMaxPoints/perHour-incidentLookback.Hours())), 1)
	type run struct {
		key string
		b   int // last hour
	}
	byStart := map[int][]run{}
	for k, w := range walks {
		hs := make([]int, 0, len(w.hourFlag))
		for h := range w.hourFlag {
			hs = append(hs, h)
		}
		sort.Ints(hs)
		for i := 0; i < len(hs); {
			j := i
			for j+1 < len(hs) && hs[j+1] == hs[j]+1 && j+1-i < maxRun {
				j++
			}
			byStart[hs[i]] = append(byStart[hs[i]], run{key: k, b: hs[j]})
			i = j + 1
		}
	}
	// Each batch of runs is one read; the reads go several to a request
	// (rawReads), up to incidentBatchReads whose points together stay
	// within incidentMaxPoints.
	type read struct {
		spec   rawSpec
		batch  []run
		hint   int
		points float64
	}
	var reads []read
	for _, a := range slices.Sorted(maps.Keys(byStart)) {
		runs := byStart[a]
		sort.Slice(runs, func(i, j int) bool {
			if runs[i].b != runs[j].b {
				return runs[i].b < runs[j].b
			}
			return runs[i].key < runs[j].key
		})
		from := hours.unitEnd(a).Add(-time.Hour)
		if a == 0 {
			from = r.start().Add(-incidentLookback)
		}
		for len(runs) > 0 {
			// Sorted by end: the batch's span is its last run's.
			n := 1
			for n < len(runs) && float64(n+1)*perHour*(float64(runs[n].b-a+1)+incidentLookback.Hours()) <= incidentMaxPoints {
				n++
			}
			batch := runs[:n]
			runs = runs[n:]
			to := hours.unitEnd(batch[n-1].b)
			var vals []string
			for _, x := range batch {
				vals = append(vals, walks[x.key].name)
			}
			// Each entity's scrapes in the window at the fullest rate (the
			// batch's points bound this, times the signals and entities).
			reads = append(reads, read{spec: rawSpec{names: sigs, nameLabel: f.nameLabel, vals: vals, from: from, to: to}, batch: batch,
				hint: int(maxPerHour * to.Sub(from).Hours()), points: float64(n) * perHour * (float64(batch[n-1].b-a+1) + incidentLookback.Hours())})
		}
	}
	var mu sync.Mutex
	var fns []func() error
	for len(reads) > 0 {
		n, points := 1, reads[0].points
		for n < len(reads) && n < incidentBatchReads && points+reads[n].points <= incidentMaxPoints {
			points += reads[n].points
			n++
		}
		req := reads[:n]
		reads = reads[n:]
		fns = append(fns, func() error {
			specs := make([]rawSpec, len(req))
			for i, rd := range req {
				specs[i] = rd.spec
			}
			res, err := rawReads(r, "incident reconstruction: raw "+strings.Join(sigs, ", ")+" of the hours with a change", specs,
				func(i int, keep func(int64) bool) *stateRows { return newStateRows(f, keep, req[i].hint) })
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for i, rows := range res {
				for _, x := range req[i].batch {
					w := walks[x.key]
					if e := rows.by[x.key]; e != nil {
						w.samples.grow(len(e.rows))
						for _, row := range e.rows {
							w.samples.addRow(hours.ofMs(row.t), row)
						}
					}
				}
			}
			return nil
		})
	}
	return r.parallel(fns...)
}

// caveat records a caveat for the audit.
func (r *run) caveat(s string) {
	r.mu.Lock()
	r.caveats = append(r.caveats, s)
	r.mu.Unlock()
}

func (r *run) mkIncident(st, en time.Time, maint, ongoing bool, note string) Incident {
	loc := r.cfg.Location
	a, b := st, en
	if a.Before(r.start()) {
		a = r.start()
	}
	if b.After(r.end()) {
		b = r.end()
	}
	sec := b.Sub(a).Seconds()
	if sec < 0 {
		sec = 0
	}
	return Incident{Start: st.In(loc).Format(time.RFC3339), End: en.In(loc).Format(time.RFC3339), StartUnix: st.Unix(), EndUnix: en.Unix(),
		Seconds: sec, Maintenance: maint, Ongoing: ongoing, Note: note}
}

func uniq(v []string) []string {
	sort.Strings(v)
	out := v[:0]
	for i, x := range v {
		if i == 0 || x != v[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// crossCheck compares the incidents' down time inside the period (wall time
// less unknown) with the down counters' increase (down + maintenance down):
// each edge the exporter published is within 1 s; an edge taken from a
// scrape, an unknown spell or the period edge within 2 scrape intervals. So
// the bound is 1 s + 2 s per incident + 2 intervals per inexact incident.
func crossCheck(ds []derived, p deriveParams, counted float64, interval time.Duration) (sum, bound float64, ok bool) {
	inexact := 0
	for _, d := range ds {
		sum += clipSeconds(d.Start, d.End, p.Start, p.End) - d.Unknown
		if d.Note != "" || d.Unknown > 0 || !d.Start.After(p.Start) || !d.End.Before(p.End) {
			inexact++
		}
	}
	bound = 1 + 2*float64(len(ds)) + 2*interval.Seconds()*float64(inexact)
	return sum, bound, math.Abs(sum-counted) <= bound
}
