package report

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jianguan/jianguan/internal/metricnames"
)

// Day detectors from the state counters at the day edges (issue 24 item 4).
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
// incidentLookback (offset) of each edge signal: one instant query for two
// edges (last_over_time drops the metric name, label_replace puts it back —
// with " offset" for the earlier edge — so that the series stay apart).
func (r *run) edgeValues(f family, extra string, t time.Time) (at, before map[string]map[string]float64, err error) {
	win := fmt.Sprintf("[%ds]", int64(incidentLookback.Seconds()))
	var ors []string
	for _, s := range f.edgeSignals() {
		ors = append(ors, fmt.Sprintf("label_replace(last_over_time(%s%s), \"__name__\", %q, \"\", \"\")", r.selector(s, extra), win, s),
			fmt.Sprintf("label_replace(last_over_time(%s%s offset %s), \"__name__\", %q, \"\", \"\")", r.selector(s, extra), win, win[1:len(win)-1], s+edgeOffset))
	}
	res, err := r.query("incident days: "+strings.Join(f.edgeSignals(), ", ")+" at a day edge and 20 min before it (changes, restarts, unknown spells between two edges)",
		strings.Join(ors, " or "), t)
	if err != nil {
		return nil, nil, err
	}
	at, before = map[string]map[string]float64{}, map[string]map[string]float64{}
	for _, s := range res {
		if len(s.Points) == 0 {
			continue
		}
		k := labelKey(s.Labels)
		m, n := at, s.Labels["__name__"]
		if b, ok := strings.CutSuffix(n, edgeOffset); ok {
			m, n = before, b
		}
		if m[k] == nil {
			m[k] = map[string]float64{}
		}
		m[k][n] = s.Points[len(s.Points)-1].V
	}
	return at, before, nil
}

// edgeOffset marks the earlier edge's series in edgeValues' answer.
const edgeOffset = " offset"

// edgeDays flags, per walk, the days whose edge values differ (see the top
// of this file); absentBoth[k][i] marks day i of entity k without any edge
// value at either edge (flagged by the caller if the day has samples).
func (r *run) edgeDays(f family, walks map[string]*incidentWalk, extra string, days grid) (map[string][]bool, error) {
	// Edge times: day i's window is (from_i, to_i] with from_i = t_{i-1} −
	// 20 min (t_{-1} is the period start) and to_i = t_i.
	from := make([]time.Time, days.n)
	to := make([]time.Time, days.n)
	times := map[int64]time.Time{}
	for i := range days.n {
		prev := days.start
		if i > 0 {
			prev = days.unitEnd(i - 1)
		}
		from[i], to[i] = prev.Add(-incidentLookback), days.unitEnd(i)
		times[from[i].UnixMilli()], times[to[i].UnixMilli()] = from[i], to[i]
	}
	// Every from_i is some to_j − 20 min (from_0: the start's), so one
	// query at each to_j and at the start reads both.
	times[days.start.UnixMilli()] = days.start
	vals := map[int64]map[string]map[string]float64{}
	var mu sync.Mutex
	var fns []func() error
	for _, t := range times {
		if !t.Equal(days.start) && !t.Equal(days.unitEnd(days.of(t))) {
			continue // a from_i: read with its to_j
		}
		fns = append(fns, func() error {
			at, before, err := r.edgeValues(f, extra, t)
			if err != nil {
				return err
			}
			mu.Lock()
			vals[t.UnixMilli()], vals[t.Add(-incidentLookback).UnixMilli()] = at, before
			mu.Unlock()
			return nil
		})
	}
	if err := r.parallel(fns...); err != nil {
		return nil, err
	}
	sigs := f.edgeSignals()
	absentBoth := map[string][]bool{}
	for k, w := range walks {
		ab := make([]bool, days.n)
		for i := range days.n {
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
