package simhistory

import (
	"sort"
	"time"
)

// ObservedIncident is one outage as the exporter could know it (issue 17):
// from the first instant it was confirmed down to the first instant it was
// confirmed up again; unknown time in between (prober undecided, exporter
// not running, its start-up) does not split it and is counted apart. This is
// the truth of the signal, computed from the entity's own windows
// (classify), not from samples or report code.
type ObservedIncident struct {
	Start, End  time.Time
	Unknown     float64 // seconds of unknown time inside [Start, End) ∩ [from, to)
	Maintenance bool    // confirmed down first inside a maintenance window
	Ongoing     bool    // still down (or unknown after down) at `to`
	Interrupted bool    // the exporter stopped for good while down: End is its last running instant
}

// ObservedIncidents returns the observed incidents overlapping [from, to);
// dataEnd is the end of the generated history (Spec.To).
func (e *Entity) ObservedIncidents(from, to, dataEnd time.Time) []ObservedIncident {
	bs := append([]time.Time{from, to, dataEnd}, e.boundaries()...)
	sort.Slice(bs, func(i, j int) bool { return bs[i].Before(bs[j]) })
	var out []ObservedIncident
	var open *ObservedIncident
	var noneSince time.Time // start of the current not-running stretch
	clip := func(a, b time.Time) float64 {
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if !b.After(a) {
			return 0
		}
		return b.Sub(a).Seconds()
	}
	for i := 0; i+1 < len(bs); i++ {
		a, b := bs[i], bs[i+1]
		if !b.After(a) || a.Before(e.ProcessStart) || !a.Before(dataEnd) {
			continue
		}
		if b.After(dataEnd) {
			b = dataEnd
		}
		c := e.classify(a)
		if c != clsNone {
			noneSince = time.Time{}
		} else if noneSince.IsZero() {
			noneSince = a
		}
		switch c {
		case clsDown, clsMaintDown:
			if open == nil {
				open = &ObservedIncident{Start: a, Maintenance: c == clsMaintDown}
			}
		case clsUp, clsMaintUp:
			if open != nil {
				open.End = a
				out = append(out, *open)
				open = nil
			}
		default:
			if open != nil {
				open.Unknown += clip(a, b)
			}
		}
	}
	if open != nil {
		if !noneSince.IsZero() {
			// Stopped for good while down: the unknown tail is not part of it.
			open.End = noneSince
			open.Interrupted = true
			open.Unknown -= clip(noneSince, dataEnd)
		} else {
			open.End = to
			open.Ongoing = true
		}
		out = append(out, *open)
	}
	var res []ObservedIncident
	for _, o := range out {
		if o.End.After(from) && o.Start.Before(to) {
			res = append(res, o)
		}
	}
	return res
}

// DefectScenario is a month of lines built for issue 17's incident defects,
// one line each (name "d17-<defect>-…", provider = the same name so provider
// scores and MTTR can be checked per defect), with outages placed relative to
// the scrape grid of step (≥ 1 min assumed):
//
//   - d17-1-restart: a 1 437 s outage with the exporter restarted in its
//     middle (not running 5 min; no state file: counters from 0, no
//     transition published after the restart);
//   - d17-2-gap: a 30 min outage, then the exporter stopped 2 h (the line
//     recovers, goes down and up again inside the gap); up after it;
//   - d17-3-removed: the target removed 30 min into an outage (no samples
//     after it);
//   - d17-4-unknown: a 600 s outage whose last 210 s are unknown;
//   - d17-13-startup: the exporter restarts while the line is up and the
//     line goes down during its start-up unknown spell.
//
// Data runs from 6 h before the month to 2 h after it.
func DefectScenario(year int, month time.Month, step time.Duration) Spec {
	ms, me := MonthBounds(year, month)
	day := func(d int, hh, mm, ss int) time.Time {
		return ms.Add(time.Duration(d-1)*24*time.Hour + time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second)
	}
	ps := ms.Add(-72 * time.Hour)
	line := func(name string) map[string]string {
		return map[string]string{"line": name, "kind": "bgp", "provider": name, "site": "dc9"}
	}
	ents := []*Entity{
		{NS: "line", Labels: line("d17-1-restart"), ProcessStart: ps,
			Outages: []Window{w(day(3, 10, 0, 7), 1437*time.Second)},
			Gaps:    []Window{w(day(3, 10, 5, 1), 300*time.Second)}},
		{NS: "line", Labels: line("d17-2-gap"), ProcessStart: ps,
			Outages: []Window{w(day(5, 8, 0, 0), 30*time.Minute), w(day(5, 9, 0, 0), 10*time.Minute)},
			Gaps:    []Window{w(day(5, 8, 10, 1), 2*time.Hour)}},
		{NS: "line", Labels: line("d17-3-removed"), ProcessStart: ps,
			Outages: []Window{w(day(10, 12, 0, 30), 40*24*time.Hour)},
			Gaps:    []Window{w(day(10, 12, 30, 1), 40*24*time.Hour)}},
		{NS: "line", Labels: line("d17-4-unknown"), ProcessStart: ps,
			Outages: []Window{w(day(12, 9, 0, 30), 600*time.Second)},
			Unknown: []Window{w(day(12, 9, 7, 0), 210*time.Second)}},
		{NS: "line", Labels: line("d17-13-startup"), ProcessStart: ps,
			Gaps:    []Window{w(day(15, 6, 0, 1), 299*time.Second)},
			Outages: []Window{w(day(15, 6, 5, 5), 300*time.Second)}},
	}
	return Spec{From: ms.Add(-6 * time.Hour), To: me.Add(2 * time.Hour), Step: step, Entities: ents}
}
