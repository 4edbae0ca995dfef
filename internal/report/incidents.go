package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// Incidents are reconstructed from three series of the availability family,
// sampled with query_range at a fixed step (300 s for any month; finer on
// demand):
//
//   - NS_state_changes_total: how many confirmed transitions happened in a step,
//   - NS_last_change_timestamp_seconds: the exact time of the last of them,
//   - NS_down_seconds_total + NS_maintenance_down_seconds_total: how many
//     seconds of the step were down.
//
// One transition in a step: it happened at last_change. Two: a whole
// outage (up→down→up) ending at last_change lasting Δdown seconds, or a
// short recovery (down→up→down) whose up instant follows from Δdown. Three
// or more: the step is re-queried at a finer step (down to 1 s) until each
// step holds at most two. So incidents are exact to the exporter's own
// resolution and independent of the scrape interval, and only entities with
// a state change (or down at the month start) are queried.

type ipt struct {
	t              time.Time
	ch, lc, dn, md float64
}

type openInc struct {
	start          time.Time
	dnBase, mdBase float64
	note           string
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
	var cand []int
	names := map[string]bool{}
	for i := range ents {
		k := labelKey(ents[i].Labels)
		ents[i].Incidents = []Incident{}
		if ents[i].StateChanges > 0 || downAtStart[k] {
			cand = append(cand, i)
			names[ents[i].Labels[f.nameLabel]] = true
		}
	}
	if len(cand) == 0 {
		return nil
	}
	// All candidates at once: the coarse query is one series per entity,
	// and the fine queries are per day, each holding only the entities that
	// changed state that day, so selectors and answers stay small.
	var vals []string
	for i := range names {
		vals = append(vals, i)
	}
	sort.Strings(vals)
	extra := f.nameLabel + "=~" + RegexAlternation(vals)
	step := 300 * time.Second
	pts, err := r.zoomSeries(f, extra, cand, ents, downAtStart, step)
	if err != nil {
		return err
	}
	for _, i := range cand {
		k := labelKey(ents[i].Labels)
		incs, err := r.walk(f, ents[i].Labels, pts[k], step, downAtStart[k])
		if err != nil {
			return err
		}
		ents[i].Incidents = incs
	}
	return nil
}

// zoomSeries finds the days (in the report zone, month-aligned) in which
// each entity changed state with one coarse query (1 d step), then fetches
// the four series at the fine step only for those days, batched per day.
// Between changed days nothing changed, so the walk sees Δchanges = 0 there.
func (r *run) zoomSeries(f family, extra string, group []int, ents []EntityResult, downAtStart map[string]bool, step time.Duration) (map[string][]ipt, error) {
	const day = 24 * time.Hour
	coarse, err := r.queryRange("incident reconstruction (days with state changes): "+f.changes, r.selector(f.changes, extra), r.start(), r.end(), day)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	nameOf := map[string]string{}
	for _, i := range group {
		k := labelKey(ents[i].Labels)
		want[k] = true
		nameOf[k] = ents[i].Labels[f.nameLabel]
	}
	days := map[int64][]string{} // day end (unix) → entity name-label values
	mark := func(end time.Time, k string) {
		days[end.Unix()] = append(days[end.Unix()], nameOf[k])
	}
	for _, s := range coarse {
		k := labelKey(s.Labels)
		if !want[k] {
			continue
		}
		if downAtStart[k] {
			mark(r.start().Add(day), k)
		}
		prevT, prevV, have := time.Time{}, 0.0, false
		for _, p := range s.Points {
			if have && p.V != prevV {
				// Every day between the two points may hold the changes.
				for t := prevT.Add(day); !t.After(p.T); t = t.Add(day) {
					mark(t, k)
				}
			} else if !have && !p.T.Equal(r.start()) {
				// Series appeared inside the month: look at its first day.
				mark(p.T, k)
			}
			prevT, prevV, have = p.T, p.V, true
		}
	}
	// A day end past the month end is clipped.
	out := map[string]map[int64]ipt{}
	var ends []int64
	for e := range days {
		ends = append(ends, e)
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
	var mu sync.Mutex
	var fns []func() error
	for _, e := range ends {
		de := time.Unix(e, 0).UTC()
		if de.After(r.end()) {
			de = r.end()
		}
		ds := de.Add(-day)
		if ds.Before(r.start()) {
			ds = r.start()
		}
		names := uniq(days[e])
		sel := f.nameLabel + "=~" + RegexAlternation(names)
		fns = append(fns, func() error {
			pts, err := r.incidentSeries(f, sel, ds, de, step)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for k, l := range pts {
				if !want[k] {
					continue
				}
				m := out[k]
				if m == nil {
					m = map[int64]ipt{}
					out[k] = m
				}
				for _, p := range l {
					m[p.t.UnixMilli()] = p
				}
			}
			return nil
		})
	}
	if err := r.parallel(fns...); err != nil {
		return nil, err
	}
	res := map[string][]ipt{}
	for k, m := range out {
		l := make([]ipt, 0, len(m))
		for _, p := range m {
			l = append(l, p)
		}
		sort.Slice(l, func(i, j int) bool { return l[i].t.Before(l[j].t) })
		res[k] = l
	}
	return res, nil
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

// incidentSeries fetches the four series (one query_range with a
// __name__ alternation) and merges them per entity.
func (r *run) incidentSeries(f family, extra string, s, e time.Time, step time.Duration) (map[string][]ipt, error) {
	names := []string{f.changes, f.lastChange, f.down, f.maintDown}
	ser, err := r.queryRange("incident reconstruction: "+strings.Join(names, ", "),
		r.selector("", "__name__=~"+RegexAlternation(names), extra), s, e, step)
	if err != nil {
		return nil, err
	}
	sc, _ := scrapesOf(ser)
	res := make(map[string][]ipt, len(sc))
	for k, l := range sc {
		var pts []ipt
		for _, x := range l {
			ch, ok1 := x.vals[f.changes]
			lc, ok2 := x.vals[f.lastChange]
			if ok1 && ok2 {
				pts = append(pts, ipt{t: time.UnixMilli(x.t).UTC(), ch: ch, lc: lc, dn: x.vals[f.down], md: x.vals[f.maintDown]})
			}
		}
		res[k] = pts
	}
	return res, nil
}

func unixT(v float64) time.Time { return time.Unix(int64(math.Round(v)), 0).UTC() }

// walk reconstructs incidents from merged points.
func (r *run) walk(f family, labels map[string]string, pts []ipt, step time.Duration, downAtStart bool) ([]Incident, error) {
	var incs []Incident
	var open *openInc
	if len(pts) == 0 {
		return incs, nil
	}
	if downAtStart {
		st := r.start()
		if pts[0].lc > 0 {
			st = unixT(pts[0].lc)
		}
		open = &openInc{start: st, dnBase: pts[0].dn, mdBase: pts[0].md}
	}
	closeAt := func(end time.Time, dn, md float64, note string) {
		if open == nil {
			return
		}
		incs = append(incs, r.mkIncident(open.start, end, (md-open.mdBase) > (dn-open.dnBase), false, strings.TrimSpace(open.note+" "+note)))
		open = nil
	}
	if err := r.walkPoints(f, labels, pts, step, &open, &incs, closeAt); err != nil {
		return nil, err
	}
	if open != nil {
		last := pts[len(pts)-1]
		inc := r.mkIncident(open.start, r.end(), (last.md-open.mdBase) > (last.dn-open.dnBase), true, open.note)
		incs = append(incs, inc)
	}
	sort.Slice(incs, func(i, j int) bool { return incs[i].StartUnix < incs[j].StartUnix })
	return incs, nil
}

func (r *run) walkPoints(f family, labels map[string]string, pts []ipt, step time.Duration, open **openInc, incs *[]Incident,
	closeAt func(time.Time, float64, float64, string)) error {
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		d := b.ch - a.ch
		dDn, dMd := b.dn-a.dn, b.md-a.md
		if d < 0 || dDn < 0 || dMd < 0 { // exporter restart: counters from 0
			if *open != nil {
				closeAt(a.t, a.dn, a.md, "(exporter restarted; end = last sample before the restart)")
			}
			d, dDn, dMd = b.ch, b.dn, b.md
			a = ipt{t: a.t, ch: 0, lc: 0, dn: 0, md: 0}
			if d == 0 {
				continue
			}
		}
		if d == 0 {
			continue
		}
		T := unixT(b.lc)
		tot := dDn + dMd
		isDown := *open != nil
		switch {
		case d == 1 && !isDown:
			*open = &openInc{start: T, dnBase: a.dn, mdBase: a.md}
		case d == 1 && isDown:
			closeAt(T, b.dn, b.md, "")
		case d == 2 && !isDown:
			st := T.Add(-time.Duration(math.Round(tot)) * time.Second)
			*incs = append(*incs, r.mkIncident(st, T, dMd > dDn, false, ""))
		case d == 2 && isDown:
			// down → up at x → down at T: tot = (x − a.t) + (b.t − T)
			x := a.t.Add(time.Duration(math.Round(tot-b.t.Sub(T).Seconds())) * time.Second)
			closeAt(x, b.dn, b.md, "")
			*open = &openInc{start: T, dnBase: b.dn - b.t.Sub(T).Seconds(), mdBase: b.md}
		default:
			sub := b.t.Sub(a.t)
			fine := sub / 100
			if fine < time.Second {
				fine = time.Second
			}
			if fine >= step || sub <= time.Second {
				// Cannot resolve further: record the step as one merged span.
				note := fmt.Sprintf("%d transitions within %v; merged", int(d), sub)
				if *open == nil {
					st := b.t.Add(-time.Duration(math.Round(tot)) * time.Second)
					*incs = append(*incs, r.mkIncident(st, b.t, dMd > dDn, false, note))
				} else {
					(*open).note = note
				}
				continue
			}
			ms := []string{}
			for k, v := range labels {
				ms = append(ms, k+"="+QuoteLabelValue(v))
			}
			sort.Strings(ms)
			finePts, err := r.incidentSeries(f, strings.Join(ms, ","), a.t, b.t, fine)
			if err != nil {
				return err
			}
			var sel []ipt
			for _, l := range finePts {
				sel = l
			}
			if len(sel) < 2 {
				continue
			}
			if err := r.walkPoints(f, labels, sel, fine, open, incs, closeAt); err != nil {
				return err
			}
		}
	}
	return nil
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
