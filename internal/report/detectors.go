package report

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jianguan/jianguan/internal/metricnames"
)

// Day detectors (issue 24 item 4). Where the group jianguan.report was
// evaluated throughout a day, its recorded NS:NS_state:changes1h tells the
// hours with a change (recordedChanges, below); the other days are decided
// from the state counters at their edges, as follows.
//
// A day i of the period is the unit (t_{i-1}, t_i]; its detector window is
// (t_{i-1} − 20 min, t_i], as the raw changes(…[1d20m]) detectors'. Instead
// of reading every sample of the window, the engine reads at each edge the
// last sample within 20 min (scrape intervals up to 20 min) of six series of
// every candidate — one instant query per day for its end edge and the edge
// 20 min before it — and flags the
// day where any of them differs between the window's two edges, is present
// at one edge only, or is absent at both edges of a day that has samples:
//
//   - NS_state_changes_total counts every confirmed up↔down transition
//     (avail.Tracker, simhistory), and NS_last_change_timestamp_seconds is
//     set with it: a change of either moves the counter;
//   - NS_up changes between two scrapes only by such a transition or by
//     entering or leaving the unknown state (NS_up is 0 while unknown);
//   - NS_unknown changes between two scrapes only by entering or leaving the
//     unknown state. The counter of confirmed transitions does not count
//     those (the tracker's first decision, up → unknown → up), so the
//     unknown time is used: a scrape that shows unknown after one that did
//     not follows an observation that added its interval to
//     NS_unknown_seconds_total (the prober's observations advance in time;
//     a gap past MaxGap adds the gap). A sequence of scraped NS_unknown
//     values that changes either ends differently from how it began (the
//     gauges at the two edges differ) or contains such an entry into
//     unknown (the unknown seconds grew). An entity unknown for days is
//     flagged on those days (its hours are then looked at by the hour
//     detectors, which see no change inside the spell): more is read, never
//     less;
//   - a restart sets NS_start_time_seconds (and resets the counters: a
//     counter that fell differs too).
//
// Gaps and series that start or end are the sample-count detector's (a
// series present at one edge only is flagged here as well).

// edgeSignals are the series compared at the day edges.
func (f family) edgeSignals() []string {
	return []string{f.changes, f.started, f.up, f.unknownGauge, f.lastChange, metricnames.Lookup(f.ns).UnknownSeconds()}
}

// edgeValues reads, for the entities whose name label matches extra, the
// last value within incidentLookback before t and before t −
// incidentLookback (offset) of each edge signal at every t of from, from +
// step, … ≤ to: one query for both edges of every t (a query_range where
// there is more than one t: the series are selected once, not once per day
// edge). last_over_time drops the metric name and `or` matches label sets
// without it, so label_replace names each series in edgeLabel (with
// edgeOffset for the earlier edge) to keep them apart. vals gets, under
// vals' lock mu, the values at each t and at t − incidentLookback (unix
// ms), per entity key and signal.
func (r *run) edgeValues(f family, extra string, from, to time.Time, step time.Duration, mu *sync.Mutex, vals map[int64]map[string]map[string]float64) error {
	win := fmt.Sprintf("[%ds]", int64(incidentLookback.Seconds()))
	var ors []string
	for _, s := range f.edgeSignals() {
		ors = append(ors, fmt.Sprintf("label_replace(last_over_time(%s%s), %q, %q, \"\", \"\")", r.selector(s, extra), win, edgeLabel, s),
			fmt.Sprintf("label_replace(last_over_time(%s%s offset %s), %q, %q, \"\", \"\")", r.selector(s, extra), win, win[1:len(win)-1], edgeLabel, s+edgeOffset))
	}
	purpose := "incident days: " + strings.Join(f.edgeSignals(), ", ") + " at a day edge and 20 min before it (changes, restarts, unknown spells between two edges)"
	expr := strings.Join(ors, " or ")
	var res []Series
	var err error
	if from.Equal(to) {
		res, err = r.query(purpose, expr, from)
	} else {
		res, err = r.queryRange(purpose, expr, from, to, step)
	}
	if err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range res {
		l := make(map[string]string, len(s.Labels))
		for k, v := range s.Labels {
			if k != edgeLabel {
				l[k] = v
			}
		}
		k := labelKey(l)
		n := s.Labels[edgeLabel]
		shift := time.Duration(0)
		if b, ok := strings.CutSuffix(n, edgeOffset); ok {
			n, shift = b, incidentLookback
		}
		for _, p := range s.Points {
			t := p.T.Add(-shift).UnixMilli()
			if vals[t] == nil {
				vals[t] = map[string]map[string]float64{}
			}
			if vals[t][k] == nil {
				vals[t][k] = map[string]float64{}
			}
			vals[t][k][n] = p.V
		}
	}
	return nil
}

// edgeLabel names the signal of each series in edgeValues' answer;
// edgeOffset marks the earlier edge's.
const (
	edgeLabel  = "jianguan_edge_signal"
	edgeOffset = " offset"
)

// edgeDays flags, per walk, the days whose edge values differ (see the top
// of this file), of the days only marks (nil: every day); absentBoth[k][i]
// marks day i of entity k without any edge value at either edge (flagged by
// the caller if the day has samples).
func (r *run) edgeDays(f family, walks map[string]*incidentWalk, extra string, days grid, only []bool) (map[string][]bool, error) {
	// Edge times: day i's window is (from_i, to_i] with from_i = t_{i-1} −
	// 20 min (t_{-1} is the period start) and to_i = t_i. Every from_i is
	// t_{i-1} − 20 min, so one query at t_i and one at t_{i-1} read both.
	from := make([]time.Time, days.n)
	to := make([]time.Time, days.n)
	times := map[int64]time.Time{}
	for i := range days.n {
		if only != nil && !only[i] {
			continue
		}
		prev := days.start
		if i > 0 {
			prev = days.unitEnd(i - 1)
		}
		from[i], to[i] = prev.Add(-incidentLookback), days.unitEnd(i)
		times[prev.UnixMilli()], times[to[i].UnixMilli()] = prev, to[i]
	}
	// The edge times in runs of consecutive days, one query each (a run of
	// one: an instant query); an edge off the day grid (a draft's end) is
	// a run of its own. Only on Prometheus: VictoriaMetrics aligns a
	// query_range's steps to multiples of the step in UTC, not to the
	// period's midnights, so there every edge is an instant query.
	// A run's answer holds at most incidentMaxPoints points: the
	// candidates' signals at both edges of each of its steps.
	ts := slices.Sorted(maps.Keys(times))
	batch := r.backendInfo().Kind == "Prometheus"
	maxSteps := max(incidentMaxPoints/(2*len(f.edgeSignals())*max(len(walks), 1)), 1)
	var runs [][2]time.Time
	for _, ms := range ts {
		t := times[ms]
		onGrid := t.Sub(days.start)%days.step == 0
		if n := len(runs); batch && n > 0 && onGrid && t.Sub(runs[n-1][1]) == days.step && runs[n-1][1].Sub(days.start)%days.step == 0 &&
			int(t.Sub(runs[n-1][0])/days.step) < maxSteps {
			runs[n-1][1] = t
			continue
		}
		runs = append(runs, [2]time.Time{t, t})
	}
	vals := map[int64]map[string]map[string]float64{}
	var mu sync.Mutex
	var fns []func() error
	for _, run := range runs {
		fns = append(fns, func() error { return r.edgeValues(f, extra, run[0], run[1], days.step, &mu, vals) })
	}
	if err := r.parallel(fns...); err != nil {
		return nil, err
	}
	sigs := f.edgeSignals()
	absentBoth := map[string][]bool{}
	for k, w := range walks {
		ab := make([]bool, days.n)
		for i := range days.n {
			if only != nil && !only[i] {
				continue
			}
			a, b := vals[from[i].UnixMilli()][k], vals[to[i].UnixMilli()][k]
			if len(a) == 0 && len(b) == 0 {
				ab[i] = true
				continue
			}
			differ := false
			for _, s := range sigs {
				va, okA := a[s]
				vb, okB := b[s]
				if okA != okB || va != vb {
					differ = true
					break
				}
			}
			if differ {
				lo, hi := days.span(to[i], to[i].Sub(from[i]))
				for j := lo; j <= hi; j++ {
					w.dayFlag[j] = true
				}
			}
		}
		absentBoth[k] = ab
	}
	return absentBoth, nil
}

// reportRulesMarker is recorded at every evaluation of the group
// jianguan.report (rules/recording.yml): a recorded count missing where the
// marker is present is an hour without samples.
const reportRulesMarker = metricnames.ReportRulesEvaluated

// dayCounts are the sample-count detector's answers for the days: rec from
// the recorded NS:NS_up:count1h (sums over each 1 d window: the window they
// cover reaches up to 1 h before the day, so they mark the day before as
// well when short, and only their 1 d core as seen), raw from
// count_over_time over the raw samples for the days where the recorded
// series may be incomplete.
type dayCounts struct {
	rec, raw map[string][]sampleCount
	perHour  float64 // recorded evaluations per 1 d window (0: none)
}

// recordedDayCounts reads the recorded sample counts of the candidates
// (extra) per day and the marker's evaluations per day; days whose window
// lacks an evaluation (and the day before each, whose last hour the missing
// point would have covered) are counted from the raw samples, one
// query_range per run of such days. Without any recorded series this is one
// query_range over the period, as with Config.RawDetectors.
func (r *run) recordedDayCounts(f family, extra string, days grid) (dayCounts, error) {
	const day = 24 * time.Hour
	rec := metricnames.Lookup(f.ns).UpSamples1h()
	var marks, sums []Series
	err := r.parallel(func() error {
		var err error
		marks, err = r.queryRange("incident days: evaluations of the recording rules "+reportRulesMarker+" per day (where the recorded counts are complete)",
			"count_over_time("+reportRulesMarker+"[1d])", days.unitEnd(0), r.end(), day)
		return err
	}, func() error {
		var err error
		sums, err = r.queryRange("incident days: samples of "+f.up+" per day from the recorded "+rec+" (gaps, series that start or end)",
			"sum_over_time("+r.selector(rec, extra)+"[1d])", days.unitEnd(0), r.end(), day)
		return err
	})
	if err != nil {
		return dayCounts{}, err
	}
	out := dayCounts{rec: map[string][]sampleCount{}, raw: map[string][]sampleCount{}}
	for _, s := range marks {
		for _, p := range s.Points {
			out.perHour = max(out.perHour, p.V)
		}
	}
	covered := make([]bool, days.n)
	fallback := make([]bool, days.n)
	for _, s := range marks {
		for _, p := range s.Points {
			if p.V >= out.perHour {
				a, b := days.span(p.T, day)
				for i := a; i <= b; i++ {
					covered[i] = true
				}
			}
		}
	}
	for _, s := range marks {
		for _, p := range s.Points {
			if p.V < out.perHour {
				a, b := days.span(p.T, day+time.Hour)
				for i := a; i <= b; i++ {
					fallback[i] = true
				}
			}
		}
	}
	for i := range days.n {
		if !covered[i] {
			fallback[i] = true
		}
	}
	for i := days.n - 1; i > 0; i-- {
		if fallback[i] {
			fallback[i-1] = true
		}
	}
	for _, s := range sums {
		k := labelKey(s.Labels)
		for _, p := range s.Points {
			if !fallback[days.of(p.T)] {
				out.rec[k] = append(out.rec[k], sampleCount{p.T, p.V})
			}
		}
	}
	var fns []func() error
	var mu sync.Mutex
	for i := 0; i < days.n; i++ {
		if !fallback[i] {
			continue
		}
		j := i
		for j+1 < days.n && fallback[j+1] {
			j++
		}
		from, to := days.unitEnd(i), days.unitEnd(j)
		i = j
		fns = append(fns, func() error {
			return r.detectorPoints("incident days: samples of "+f.up+" per day (gaps, series that start or end; days without every evaluation of the recording rules)",
				"count_over_time("+r.selector(f.up, extra)+"[1d])", from, to, day, &mu, func(k string, p Point) {
					out.raw[k] = append(out.raw[k], sampleCount{p.T, p.V})
				})
		})
	}
	return out, r.parallel(fns...)
}

// recordedChanges reads the evaluations of the recorded changes' rules
// (their marker, metricnames.StateChangesRulesEvaluated: the group's older
// marker is present on a server still on rules without them) and the
// candidates' (extra) recorded NS:NS_state:changes1h over
// the period — raw points, two instant queries with a range selector: the
// change points are sparse (present only where a state signal changed) and
// the marker has one point per hour. Each change point flags, in the walks,
// the hours its window (1 h 20 min) overlaps and their days. It returns the
// days every instant of which lies in the last hour before an evaluation:
// a change between two samples up to 20 min apart, the later one in that
// hour, is inside that evaluation's window, so in such a day a change shows
// as a point (the caller runs the edge detectors for the other days: a
// missed evaluation, rules deployed late, the hour of a draft not yet
// evaluated). A rule evaluation that failed while the marker's succeeded
// is not seen (Prometheus counts it in
// prometheus_rule_evaluation_failures_total).
func (r *run) recordedChanges(f family, walks map[string]*incidentWalk, extra string, days, hours grid) ([]bool, error) {
	rec := metricnames.Lookup(f.ns).StateChanges1h()
	span := recordedEvery + incidentLookback
	var marks, pts []Series
	err := r.parallel(func() error {
		var err error
		marks, err = r.query("incident days: evaluations of the recording rules "+metricnames.StateChangesRulesEvaluated+" in the period (where the recorded changes are complete)",
			rangeAt(metricnames.StateChangesRulesEvaluated, days.start, days.end.Add(recordedEvery)), days.end.Add(recordedEvery))
		return err
	}, func() error {
		var err error
		pts, err = r.query("incident days and hours: hours in which "+strings.Join(f.changedSignals(), ", ")+" changed, from the recorded "+rec,
			rangeAt(r.selector(rec, extra), days.start, days.end.Add(span)), days.end.Add(span))
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, s := range pts {
		w := walks[labelKey(s.Labels)]
		if w == nil {
			continue
		}
		for _, p := range s.Points {
			if !p.T.After(days.start) || p.T.After(days.end.Add(span)) {
				continue
			}
			a, b := hours.span(p.T, span)
			for h := a; h <= b; h++ {
				w.hourFlag[h] = true
				w.dayFlag[min(h/24, days.n-1)] = true
			}
		}
	}
	var evs []time.Time
	for _, s := range marks {
		for _, p := range s.Points {
			evs = append(evs, p.T)
		}
	}
	return coveredDays(evs, days, recordedEvery), nil
}

// recordedEvery is the interval of the group jianguan.report.
const recordedEvery = time.Hour

// coveredDays tells the days of g every instant of which lies in (e − every,
// e] for some evaluation time e in evs.
func coveredDays(evs []time.Time, g grid, every time.Duration) []bool {
	slices.SortFunc(evs, func(a, b time.Time) int { return a.Compare(b) })
	type span struct{ a, b time.Time } // (a, b]
	var spans []span
	for _, e := range evs {
		if n := len(spans); n > 0 && !e.Add(-every).After(spans[n-1].b) {
			spans[n-1].b = e
			continue
		}
		spans = append(spans, span{e.Add(-every), e})
	}
	out := make([]bool, g.n)
	for i := range g.n {
		lo := g.start
		if i > 0 {
			lo = g.unitEnd(i - 1)
		}
		hi := g.unitEnd(i)
		for _, s := range spans {
			if !s.a.After(lo) && !s.b.Before(hi) {
				out[i] = true
				break
			}
		}
	}
	return out
}

// rangeAt is sel's raw samples in (from, to] (and, Prometheus 2, one at
// from): a range selector at `@ to`, evaluated at to as well (some backends,
// VictoriaMetrics 1.79, evaluate a bare range selector at the query time).
func rangeAt(sel string, from, to time.Time) string {
	return fmt.Sprintf("%s[%dms] @ %s", sel, to.Sub(from).Milliseconds(), strconv.FormatFloat(float64(to.UnixMilli())/1e3, 'f', -1, 64))
}

// countPoints is detectorPoints for count_over_time(sel[step]) over
// [from, to] at step: on a querier with the remote-read API the raw
// samples of the whole span are read once (stored chunks: Prometheus
// decodes none of them) and counted here, window by window, as
// count_over_time counts them on this backend (closed [t − step, t] on
// Prometheus 2, left-open on 3); steps at from, from + step, … ≤ to, a
// point only where the count is > 0, as the query API answers. Else, and
// where the backend has no remote read or the samples are over the
// client's answer limit, the query itself.
func (r *run) countPoints(purpose, sel string, from, to time.Time, step time.Duration, mu *sync.Mutex, each func(key string, p Point)) error {
	expr := fmt.Sprintf("count_over_time(%s[%ds])", sel, int64(step.Seconds()))
	rr, ok := r.q.(remoteReader)
	if !ok {
		return r.detectorPoints(purpose, expr, from, to, step, mu, each)
	}
	closed := r.rangeSemantics() == RangeClosed
	f0, sm := from.UnixMilli(), step.Milliseconds()
	nSteps := int(to.Sub(from)/step) + 1
	keep := r.selectorWindow(from.Add(-step), to)
	type counted struct {
		key    string
		counts []int
	}
	var all []counted
	n, read, err := readKept(r, rr, sel, from.Add(-step), to, keep, eachSample(func(l map[string]string) func(int64, float64) {
		all = append(all, counted{key: labelKey(l), counts: make([]int, nSteps)})
		c := all[len(all)-1].counts
		return func(t int64, _ float64) {
			// The steps whose window holds t: t ≤ t_k < t + step (t_k =
			// t + step too where windows are closed).
			k := int((t - f0 + sm - 1) / sm) // ⌈(t − from)/step⌉
			if t < f0 {
				k = 0
			}
			for ; k < nSteps; k++ {
				tk := f0 + int64(k)*sm
				if tk > t+sm || tk == t+sm && !closed {
					break
				}
				c[k]++
			}
		}
	}))
	if KindOf(err) == ErrTooLarge {
		// Every sample of the span over the answer limit (many entities
		// in one day): the query API answers 24 counts per entity.
		read, err = false, nil
	}
	if err != nil {
		return err
	}
	if !read {
		return r.detectorPoints(purpose, expr, from, to, step, mu, each)
	}
	r.mu.Lock()
	r.audit = append(r.audit, AuditQuery{Purpose: purpose, PromQL: RemoteReadPrefix + expr, EvalAt: rangeEvalAt(from, to, step), Series: n})
	r.mu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	for _, s := range all {
		for k, c := range s.counts {
			if c > 0 {
				each(s.key, Point{T: time.UnixMilli(f0 + int64(k)*sm), V: float64(c)})
			}
		}
	}
	return nil
}

// selectorWindow is the test of a timestamp (unix ms) against the window a
// range selector over (from, to] evaluated at to selects on this backend:
// left-open on Prometheus 3 and VictoriaMetrics, closed at from on
// Prometheus 2 (rangeSemantics). The remote reads that stand for a range
// selector keep their samples with it.
func (r *run) selectorWindow(from, to time.Time) func(int64) bool {
	closed := r.rangeSemantics() == RangeClosed
	lo, hi := from.UnixMilli(), to.UnixMilli()
	return func(t int64) bool { return (t > lo || closed && t == lo) && t <= hi }
}

// detectorPoints runs the query_range of a day or hour detector: expr over
// [from, to] at step; it calls each, holding mu (the caller's, shared by its
// concurrent queries), for every point of the answer with its series' label
// key.
func (r *run) detectorPoints(purpose, expr string, from, to time.Time, step time.Duration, mu *sync.Mutex, each func(key string, p Point)) error {
	res, err := r.queryRange(purpose, expr, from, to, step)
	if err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	for _, s := range res {
		k := labelKey(s.Labels)
		for _, p := range s.Points {
			each(k, p)
		}
	}
	return nil
}

// classifyRecorded marks the days of g for recorded 1 d sums: flag (with the
// day before, which the window reaches into) with at least 2 samples fewer
// than mx, the fullest window; else seen, the window's 1 d core only (the
// last hour of a day may be in the next window, which flags it if short).
func classifyRecorded(cs []sampleCount, g grid, mx float64, flag, seen func(int)) {
	for _, c := range cs {
		if c.v <= mx-2 {
			a, b := g.span(c.t, g.step+time.Hour)
			for i := a; i <= b; i++ {
				flag(i)
			}
			continue
		}
		a, b := g.span(c.t, g.step)
		for i := a; i <= b; i++ {
			seen(i)
		}
	}
}

// exactDays are the days of g (1 d units) that an entity's day counts show
// sampled throughout at its fullest day's rate: every instant of the day
// and of the days on both sides of it (the next one's last hour aside)
// lies in a run of consecutive windows each holding the fullest count of
// its kind (raw count_over_time over (t − 1 d, t]: mxRaw; recorded 1 d sums
// of the hourly counts: mxRec, a run of them covering at least (t₁ − 1 d,
// tₙ − 1 h], as each reaches up to 1 h before its day and the next one
// starts where it ends), and no window short of it reaches into the day.
// The days beside it make the fullest count a whole day's (alone, the one
// day of a series that began in it would be its own fullest); the
// period's first and last day are therefore never exact. Such a day has no
// missing scrape at all, so each of its hours counts its fullest:
// incidentHours does not count them (on a day with a change, the hour
// counts cost a raw read of the day's NS_up — about a tenth of a providers
// month with its previous month; the changes come from their own
// detectors). One missing scrape makes the day not exact: two windows one
// sample short each may hide two missing scrapes side by side.
func exactDays(raw []sampleCount, mxRaw float64, rec []sampleCount, mxRec float64, g grid) []bool {
	const day = 24 * time.Hour
	type span struct{ a, b time.Time } // (a, b]
	var cover []span
	bad := make([]bool, g.n)
	runs := func(cs []sampleCount, mx float64, reach, trail time.Duration) {
		cs = slices.SortedFunc(slices.Values(cs), func(x, y sampleCount) int { return x.t.Compare(y.t) })
		open := false
		var last time.Time
		for _, c := range cs {
			if c.v < mx || c.v <= 0 {
				a, b := g.span(c.t, reach)
				for i := a; i <= b; i++ {
					bad[i] = true
				}
				open = false
				continue
			}
			if open && c.t.Sub(last) == day {
				cover[len(cover)-1].b = c.t.Add(-trail)
			} else {
				cover = append(cover, span{c.t.Add(-day), c.t.Add(-trail)})
				open = true
			}
			last = c.t
		}
	}
	runs(raw, mxRaw, day, 0)
	runs(rec, mxRec, day+time.Hour, time.Hour)
	out := make([]bool, g.n)
	for i := range g.n {
		if bad[i] {
			continue
		}
		// The day and the days on both sides of it (the fullest count is
		// then a whole day's: a series that began or ended in the day,
		// or the history's only day, has a day beside it without it),
		// but for the next day's last hour, which a recorded run reaches
		// only with the day after.
		from := g.start
		if i > 0 {
			from = g.unitEnd(i - 1)
		}
		from, to := from.Add(-day), g.unitEnd(i).Add(day-time.Hour)
		// Merge the runs that meet or overlap from its start on.
		for changed := true; changed && from.Before(to); {
			changed = false
			for _, c := range cover {
				if !c.a.After(from) && c.b.After(from) {
					from, changed = c.b, true
				}
			}
		}
		out[i] = !from.Before(to)
	}
	return out
}
