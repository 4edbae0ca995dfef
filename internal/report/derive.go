package report

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Incident derivation from the three-state signal (issue 17, defects 1–4
// and 13). Pure logic: deriveIncidents reads one entity's scrapes of NS_up,
// NS_unknown, NS_last_change_timestamp_seconds and NS_in_maintenance, oldest
// first, and returns its incidents. Counters are not used, so a counter reset
// (exporter restart) changes nothing.
//
//   - State of a scrape: unknown when NS_unknown = 1 or NS_up is absent, else
//     down (NS_up = 0) or up (NS_up = 1).
//   - Between two scrapes more than maxGap apart (2 scrape intervals) the
//     state is unknown, never a change: down before and after a gap is one
//     incident, and the gap is unknown time inside it.
//   - An incident starts at the first down scrape after an up one (or the
//     first scrape at all): at its NS_last_change_timestamp_seconds when that
//     is a transition after the last up scrape and not after the scrape
//     (exact to the exporter's clock), else at the scrape itself (a restarted
//     exporter that starts unknown publishes no transition: bound one scrape
//     interval, said in the note). An unknown spell before the down scrape
//     does not move the start.
//   - It ends at the first up scrape: at its last-change timestamp when that
//     is after the last down scrape, else at the scrape (note).
//   - Transitions between two scrapes of one exporter lifetime that the
//     states do not show (NS_state_changes_total grew by 2 more than the
//     states explain): an outage between two up scrapes is [lc − Δdown, lc]
//     (lc = the later scrape's last change, Δdown the down seconds counted
//     between them); a recovery between two down scrapes ends the incident
//     at prev + Δdown − (scrape − lc) and a new one starts at lc. More than
//     two hidden transitions are merged into one span, said in the note.
//   - A series that ends while down (target removed, monitoring stopped):
//     the incident closes at the last sample, flagged Interrupted (监测中断).
//     Still down at the last scrape before the period end: ongoing, ends at
//     the period end.
//   - Unknown time inside an incident (unknown scrapes and gaps, clipped to
//     the period) is reported as UnknownSeconds; Seconds is the incident's
//     wall time inside the period, so Seconds − UnknownSeconds is the down
//     time the counters saw (cross-checked in fetchIncidents).

// stateSample is one scrape of an entity's state series.
//
// The three flags come last, together: 80 bytes a sample instead of the 96
// that padding after each made (issue 24: a million of them are held at
// 1 000 entities; sampleStore holds them in 40).
type stateSample struct {
	T          time.Time
	Up         float64
	Unknown    float64 // NS_unknown (0 when absent)
	LastChange float64 // NS_last_change_timestamp_seconds (0 = none)
	Maint      float64 // NS_in_maintenance (0 when absent)
	// Counters (HasCounters): NS_state_changes_total and the down plus
	// maintenance-down seconds; they show transitions between two scrapes
	// that the gauges cannot (an outage shorter than the scrape interval).
	Changes, Down float64
	HasUp         bool
	HasCounters   bool
	// Cont: the time since the previous sample is known to hold the same
	// state although it is long (the days between were not read because no
	// state series changed in them); the gap rule does not apply.
	Cont bool
}

const (
	stUnknown = iota
	stUp
	stDown
)

func (s stateSample) state() int {
	switch {
	case !s.HasUp || s.Unknown == 1:
		return stUnknown
	case s.Up == 0:
		return stDown
	}
	return stUp
}

// derived is one incident before formatting.
type derived struct {
	Start, End  time.Time
	Unknown     float64 // seconds of unknown time inside [Start, End) ∩ period
	Maintenance bool
	Ongoing     bool
	Interrupted bool
	Note        string
}

// deriveParams bound the derivation.
type deriveParams struct {
	Start, End time.Time     // the period [Start, End)
	MaxGap     time.Duration // longer between two scrapes is unknown (2 scrape intervals)
}

// scrapeInterval is the median spacing of samples (1 min when unknown).
func scrapeInterval(s []stateSample) time.Duration {
	var d []time.Duration
	for i := 1; i < len(s); i++ {
		if !s[i].Cont {
			if x := s[i].T.Sub(s[i-1].T); x > 0 {
				d = append(d, x)
			}
		}
	}
	if len(d) == 0 {
		return time.Minute
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func lcTime(v float64) time.Time {
	return time.UnixMilli(int64(math.Round(v * 1000))).UTC()
}

func clipSeconds(a, b, lo, hi time.Time) float64 {
	if a.Before(lo) {
		a = lo
	}
	if b.After(hi) {
		b = hi
	}
	if !b.After(a) {
		return 0
	}
	return b.Sub(a).Seconds()
}

// deriveIncidents returns the incidents overlapping the period.
func deriveIncidents(s []stateSample, p deriveParams) []derived {
	var out []derived
	var open *derived
	var lastUp, lastDown time.Time // last up / down scrape
	var prev, anchor *stateSample
	flips, lastKnown := 0.0, stUnknown // state changes the scrapes show since the anchor
	pending := 0                       // scrapes since the anchor whose counters disagree
	for i := range s {
		x := s[i]
		gap := prev != nil && !x.Cont && x.T.Sub(prev.T) > p.MaxGap
		st := x.state()
		// Transitions the states do not show, from the counters since the
		// anchor: the last scrape whose counters agree with the states (a
		// scrape may publish the new state with the counters of just before
		// the transition, or the reverse; an odd count waits for the next).
		if st != stUnknown {
			if lastKnown != stUnknown && st != lastKnown {
				flips++
			}
			lastKnown = st
		}
		if anchor != nil && !gap && !x.Cont && x.HasCounters && x.Changes >= anchor.Changes && x.Down >= anchor.Down &&
			anchor.state() != stUnknown && st != stUnknown {
			ps := anchor.state()
			n := x.Changes - anchor.Changes - flips
			if n >= 0 && math.Mod(n, 2) == 0 {
				if n >= 2 && x.LastChange > 0 && lcTime(x.LastChange).After(anchor.T) && !lcTime(x.LastChange).After(x.T.Add(time.Second)) {
					lc := lcTime(x.LastChange)
					if lc.After(x.T) {
						lc = x.T
					}
					dDown := time.Duration((x.Down - anchor.Down) * float64(time.Second))
					merged := ""
					if n > 2 {
						merged = fmt.Sprintf("两次采集间 %.0f 次状态变化，合并为一段 %.0f transitions between two scrapes, merged", n, n)
					}
					switch {
					case ps == stUp && st == stUp:
						out = append(out, derived{Start: lc.Add(-dDown), End: lc, Maintenance: x.Maint == 1, Note: merged})
					case ps == stDown && st == stDown && open != nil && merged == "":
						u := anchor.T.Add(dDown - x.T.Sub(lc))
						if u.Before(anchor.T) {
							u = anchor.T
						}
						if u.After(lc) {
							u = lc
						}
						open.End = u
						out = append(out, *open)
						open = &derived{Start: lc, Maintenance: x.Maint == 1}
					case open != nil:
						open.Note = joinNote(open.Note, merged)
					}
				}
				anchor, flips, pending = &s[i], 0, 0
			} else if pending++; pending > 1 {
				// Still inconsistent one scrape later: start afresh.
				anchor, flips, pending = &s[i], 0, 0
			}
		} else if x.HasCounters {
			anchor, flips, pending = &s[i], 0, 0
		} else {
			anchor, flips, pending = nil, 0, 0
		}
		switch st {
		case stUnknown:
			if open != nil && prev != nil {
				open.Unknown += clipSeconds(prev.T, x.T, p.Start, p.End)
			}
		case stDown:
			if open != nil && gap {
				open.Unknown += clipSeconds(prev.T, x.T, p.Start, p.End)
			}
			if open == nil {
				// Unknown time before the first down scrape (an unknown
				// spell, a gap) is not counted: the down state starts at
				// the transition the exporter saw, or where it is first seen.
				open = &derived{Start: x.T, Maintenance: x.Maint == 1}
				exact := false
				if x.LastChange > 0 {
					lc := lcTime(x.LastChange)
					if !lc.After(x.T.Add(time.Second)) && (lastUp.IsZero() || lc.After(lastUp)) {
						open.Start, exact = lc, true
						if lc.After(x.T) {
							open.Start = x.T
						}
					}
				}
				if !exact {
					open.Note = "开始时间为首个故障样本（无转换时间） start = first down sample (no transition time published)"
				}
			}
			lastDown = x.T
		case stUp:
			if open != nil {
				end, exact := x.T, false
				if x.LastChange > 0 {
					lc := lcTime(x.LastChange)
					if lc.After(lastDown) && !lc.After(x.T.Add(time.Second)) {
						end, exact = lc, true
						if lc.After(x.T) {
							end = x.T
						}
					}
				}
				if !exact {
					open.Note = joinNote(open.Note, "恢复时间为首个正常样本 end = first up sample (recovery inside an unknown spell)")
				}
				if prev != nil && (gap || prev.state() == stUnknown) {
					open.Unknown += clipSeconds(prev.T, end, p.Start, p.End)
				}
				open.End = end
				out = append(out, *open)
				open = nil
			}
			lastUp = x.T
		}
		prev = &s[i]
	}
	if open != nil {
		last := s[len(s)-1]
		if p.End.Sub(last.T) > p.MaxGap {
			open.End = last.T
			open.Interrupted = true
			open.Note = joinNote(open.Note, "监测中断：序列在故障中结束，事件止于最后样本 monitoring stopped while down: closed at the last sample")
		} else {
			open.End = p.End
			open.Ongoing = true
		}
		out = append(out, *open)
	}
	res := out[:0]
	for _, d := range out {
		if d.End.After(p.Start) && d.Start.Before(p.End) {
			res = append(res, d)
		}
	}
	return res
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
