package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// Incidents come from the three-state signal itself (issue 17): the raw
// scrapes of NS_up, NS_unknown, NS_last_change_timestamp_seconds and
// NS_in_maintenance, walked by deriveIncidents (derive.go). Counter resets
// (exporter restarts), scrape gaps, series that end and unknown spells are
// handled there; the counters only choose which entities and days to read:
//
//   - entities: those with down or maintenance-down seconds, a state change
//     in the period, or down at its start;
//   - days (of the period, from its start): one query_range per signal at a
//     1 d step (five in all) finds the days in which NS_up, NS_unknown,
//     NS_last_change_timestamp_seconds or NS_start_time_seconds changed
//     (windows of 1 d + 20 min, so a change at a day edge is seen on both
//     sides) or an entity had fewer samples than on its fullest day (a gap,
//     a series that starts or ends); the first and last day are always read;
//   - the raw samples of those days only, batched per day over entities so
//     that one answer holds at most incidentMaxPoints samples. Between two
//     read days, unread days had samples and no change: the state held.
//
// Queries: 5 + Σ over read days of ⌈samples / incidentMaxPoints⌉; at most
// days × candidates raw queries (each entity alone when one day exceeds the
// bound).

// incidentMaxPoints bounds the samples of one raw answer (about 30 bytes
// each in JSON: ~12 MB, well under the client's answer limit).
const incidentMaxPoints = 400000

// incidentLookback is read before the period start to see the state there
// (and its transition time); scrape intervals up to 20 min.
const incidentLookback = 20 * time.Minute

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
	nameOf := map[string]string{}
	var names []string
	for i := range ents {
		k := labelKey(ents[i].Labels)
		ents[i].Incidents = []Incident{}
		e := ents[i]
		if e.StateChanges > 0 || downAtStart[k] || e.DownSeconds > 0 || e.MaintenanceDownSeconds > 0 {
			cand[k] = i
			nameOf[k] = e.Labels[f.nameLabel]
			names = append(names, e.Labels[f.nameLabel])
		}
	}
	if len(cand) == 0 {
		return nil
	}
	names = uniq(names)
	const day = 24 * time.Hour
	nDays := int(math.Ceil(r.end().Sub(r.start()).Hours() / 24))
	dayEnd := func(i int) time.Time {
		t := r.start().Add(time.Duration(i+1) * day)
		if t.After(r.end()) {
			t = r.end()
		}
		return t
	}
	dayOf := func(t time.Time) int {
		if !t.After(r.start()) {
			return 0
		}
		i := int((t.Sub(r.start()) - time.Millisecond) / day)
		if i >= nDays {
			i = nDays - 1
		}
		return i
	}
	// Detectors.
	extra := f.nameLabel + "=~" + RegexAlternation(names)
	win := fmt.Sprintf("[%ds]", int64((day + incidentLookback).Seconds()))
	type det struct {
		purpose, expr string
		count         bool
	}
	dets := []det{
		{"incident days: changes of " + f.up, "changes(" + r.selector(f.up, extra) + win + ")", false},
		{"incident days: changes of " + f.unknownGauge, "changes(" + r.selector(f.unknownGauge, extra) + win + ")", false},
		{"incident days: changes of " + f.lastChange, "changes(" + r.selector(f.lastChange, extra) + win + ")", false},
		{"incident days: changes of " + f.started + " (restarts)", "changes(" + r.selector(f.started, extra) + win + ")", false},
		{"incident days: samples of " + f.up + " per day (gaps, series that start or end)", "count_over_time(" + r.selector(f.up, extra) + "[1d])", true},
	}
	// A detector point at T covers the window [T − w, T]: every day it
	// overlaps is marked (backends may align the evaluation times to the
	// step in UTC, not to the report zone's days).
	type cnt struct {
		t time.Time
		v float64
	}
	flag := map[string][]bool{}  // key → days to read
	counts := map[string][]cnt{} // key → samples per 1 d window
	for k := range cand {
		flag[k] = make([]bool, nDays)
		flag[k][0], flag[k][nDays-1] = true, true
	}
	days := func(t time.Time, w time.Duration) (int, int) {
		return dayOf(t.Add(-w).Add(time.Millisecond)), dayOf(t)
	}
	var mu sync.Mutex
	var fns []func() error
	for _, d := range dets {
		fns = append(fns, func() error {
			res, err := r.queryRange(d.purpose, d.expr, dayEnd(0), r.end(), day)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range res {
				k := labelKey(s.Labels)
				if _, ok := cand[k]; !ok {
					continue
				}
				for _, p := range s.Points {
					if d.count {
						counts[k] = append(counts[k], cnt{p.T, p.V})
					} else if p.V > 0 {
						a, b := days(p.T, day+incidentLookback)
						for i := a; i <= b; i++ {
							flag[k][i] = true
						}
					}
				}
			}
			return nil
		})
	}
	if err := r.parallel(fns...); err != nil {
		return err
	}
	full := map[string][]bool{} // sampled all day and unchanged: the state held
	maxPerDay := 1.0            // most samples of one entity in one day
	for k := range cand {
		mx := 0.0
		for _, c := range counts[k] {
			mx = math.Max(mx, c.v)
		}
		maxPerDay = math.Max(maxPerDay, mx)
		full[k] = make([]bool, nDays)
		seen := make([]bool, nDays)
		broken := make([]bool, nDays)
		for _, c := range counts[k] {
			// Fewer samples than in the fullest window: a gap, or the
			// series starts or ends (read those days). A window without
			// samples is not read but breaks continuity.
			a, b := days(c.t, day)
			for i := a; i <= b; i++ {
				switch {
				case c.v < mx*0.99-1 && c.v > 0:
					flag[k][i] = true
				case c.v == 0:
					broken[i] = true
				default:
					seen[i] = true
				}
			}
		}
		for i := range full[k] {
			full[k][i] = seen[i] && !broken[i] && !flag[k][i]
		}
	}
	// Raw samples of the flagged days, batched.
	sigs := []string{f.up, f.unknownGauge, f.lastChange, f.inMaintenance(), f.changes, f.down, f.maintDown}
	perBatch := int(incidentMaxPoints / (float64(len(sigs)) * maxPerDay))
	if perBatch < 1 {
		perBatch = 1
	}
	samples := map[string][]stateSample{}
	dayIdx := map[string][]int{}
	fns = nil
	for i := 0; i < nDays; i++ {
		var keys []string
		for k := range cand {
			if flag[k][i] {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		from := dayEnd(i).Add(-day)
		if i == 0 {
			from = r.start().Add(-incidentLookback)
		}
		to := dayEnd(i)
		for len(keys) > 0 {
			n := perBatch
			if n > len(keys) {
				n = len(keys)
			}
			batch := keys[:n]
			keys = keys[n:]
			var vals []string
			want := map[string]bool{}
			for _, k := range batch {
				vals = append(vals, nameOf[k])
				want[k] = true
			}
			day := i
			fns = append(fns, func() error {
				sc, _, err := r.raw("incident reconstruction: raw "+strings.Join(sigs, ", ")+" of the days with a change", sigs, f.nameLabel, vals, from, to)
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				for k, l := range sc {
					if !want[k] {
						continue
					}
					for _, x := range l {
						up, hasUp := x.vals[f.up]
						ch, okCh := x.vals[f.changes]
						_, okDn := x.vals[f.down]
						samples[k] = append(samples[k], stateSample{T: time.UnixMilli(x.t).UTC(), HasUp: hasUp, Up: up,
							Unknown: x.vals[f.unknownGauge], LastChange: x.vals[f.lastChange], Maint: x.vals[f.inMaintenance()],
							Changes: ch, Down: x.vals[f.down] + x.vals[f.maintDown], HasCounters: okCh && okDn})
						dayIdx[k] = append(dayIdx[k], day)
					}
				}
				return nil
			})
		}
	}
	if err := r.parallel(fns...); err != nil {
		return err
	}
	keys := make([]string, 0, len(cand))
	for k := range cand {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s, di := samples[k], dayIdx[k]
		if len(s) == 0 {
			continue
		}
		idx := make([]int, len(s))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return s[idx[a]].T.Before(s[idx[b]].T) })
		ss := make([]stateSample, 0, len(s))
		ds := make([]int, 0, len(s))
		for _, j := range idx {
			if len(ss) > 0 && ss[len(ss)-1].T.Equal(s[j].T) {
				continue
			}
			ss = append(ss, s[j])
			ds = append(ds, di[j])
		}
		for j := 1; j < len(ss); j++ {
			a, b := ds[j-1], ds[j]
			if b-a < 2 {
				continue
			}
			cont := true
			for d := a + 1; d < b; d++ {
				cont = cont && full[k][d]
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
			r.caveat(fmt.Sprintf("%s %s：事件时长合计（不含未知）%.0f s 与停机计数器 %.0f s 相差 %.0f s，超出界限 %.0f s。 %s %s: incidents' down time %.0f s differs from the down counters' %.0f s by %.0f s, beyond the bound of %.0f s.",
				f.ns, e.Name, sum, counted, sum-counted, bound, f.ns, e.Name, sum, counted, sum-counted, bound))
		}
	}
	return nil
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
