package report

import (
	"slices"
	"testing"
	"time"
)

// TestCoveredDays: a day's recorded changes are complete when every instant
// of it lies in the hour before an evaluation of the group jianguan.report;
// evaluations at the group's offset (here :17), one missing, repeated (two
// back-filled ranges meeting at an evaluation), none yet at the end of a
// draft, or every two hours (a group interval the 1 h 20 min window does not
// cover) leave the days they do not cover to the edge detectors.
func TestCoveredDays(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	g := newGrid(start, start.Add(4*24*time.Hour), 24*time.Hour)
	hourly := func(from, to time.Time, every time.Duration) (evs []time.Time) {
		for e := from; !e.After(to); e = e.Add(every) {
			evs = append(evs, e)
		}
		return evs
	}
	off := 17 * time.Minute
	all := hourly(start.Add(-time.Hour+off), g.end.Add(time.Hour), time.Hour)
	without := func(evs []time.Time, drop time.Time) []time.Time {
		return slices.DeleteFunc(slices.Clone(evs), func(e time.Time) bool { return e.Equal(drop) })
	}
	for _, tc := range []struct {
		name string
		evs  []time.Time
		want []bool
	}{
		{"every hour", all, []bool{true, true, true, true}},
		{"none", nil, []bool{false, false, false, false}},
		{"one missing in day 3", without(all, start.Add(2*24*time.Hour+5*time.Hour+off)), []bool{true, true, false, true}},
		// the evaluation at 2 Nov 00:17 covers (1 Nov 23:17, 00:17]: both days
		{"one missing across midnight", without(all, start.Add(24*time.Hour+off)), []bool{false, false, true, true}},
		{"repeated evaluations", append(slices.Clone(all), all[10], all[30]), []bool{true, true, true, true}},
		{"unordered", append(slices.Clone(all[40:]), all[:40]...), []bool{true, true, true, true}},
		{"first evaluation after the start", all[2:], []bool{false, true, true, true}},
		{"a draft: none after 3 d 10:17", hourly(all[0], start.Add(3*24*time.Hour+10*time.Hour+off), time.Hour), []bool{true, true, true, false}},
		{"every two hours", hourly(all[0], g.end.Add(2*time.Hour), 2*time.Hour), []bool{false, false, false, false}},
		// evaluations on the hour: (t − 1 h, t] meets the next window, and
		// the one at the start covers nothing of the period
		{"on the hour", hourly(start, g.end, time.Hour), []bool{true, true, true, true}},
		{"on the hour, the first at 01:00", hourly(start.Add(time.Hour), g.end, time.Hour), []bool{true, true, true, true}},
		{"on the hour, the first at 02:00", hourly(start.Add(2*time.Hour), g.end, time.Hour), []bool{false, true, true, true}},
		{"on the hour, the last at the end", hourly(start, g.end.Add(-time.Hour), time.Hour), []bool{true, true, true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := coveredDays(slices.Clone(tc.evs), g, time.Hour); !slices.Equal(got, tc.want) {
				t.Errorf("covered %v, want %v", got, tc.want)
			}
		})
	}
}

// TestExactDays: a day is exact (its hours not counted) only when windows
// at the entity's fullest count cover every instant of it and of the days
// beside it (the next one's last hour aside) and no short or empty window
// reaches into it — the recorded 1 d sums reach up to 1 h before their
// day, so a run of them is sure only to its last day's last hour; one
// sample short is not exact (two windows one short each may hide two
// missing scrapes side by side); raw windows cover (t − 1 d, t]; a day
// whose neighbour has no samples (a series that began or ended in it, the
// history's only day) is not, nor the period's first and last day.
func TestExactDays(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	g := newGrid(start, start.Add(6*24*time.Hour), 24*time.Hour)
	end := g.unitEnd
	w := func(i int, v float64) sampleCount { return sampleCount{end(i), v} }
	days := func(v float64, is ...int) (cs []sampleCount) {
		for _, i := range is {
			cs = append(cs, w(i, v))
		}
		return cs
	}
	const full = 5760.0
	for _, tc := range []struct {
		name     string
		raw, rec []sampleCount
		want     []bool
	}{
		{"recorded, every day full", nil, days(full, 0, 1, 2, 3, 4, 5), []bool{false, true, true, true, true, false}},
		{"recorded, unordered", nil, days(full, 4, 1, 5, 0, 3, 2), []bool{false, true, true, true, true, false}},
		{"recorded, day 3 one short: it and the day before, and the day after beside it", nil,
			append(days(full, 0, 1, 3, 4, 5), w(2, full-1)), []bool{false, false, false, false, true, false}},
		{"recorded, day 3 without samples", nil, days(full, 0, 1, 3, 4, 5), []bool{false, false, false, false, true, false}},
		{"raw, every day full", days(full+1, 0, 1, 2, 3, 4, 5), nil, []bool{false, true, true, true, true, false}},
		{"raw, day 2 two short", append(days(full, 0, 2, 3, 4, 5), w(1, full-2)), nil, []bool{false, false, false, true, true, false}},
		{"raw, windows across two days (UTC steps)", []sampleCount{{end(1).Add(-8 * time.Hour), full}, {end(2).Add(-8 * time.Hour), full},
			{end(3).Add(-8 * time.Hour), full}, {end(4).Add(-8 * time.Hour), full}, {end(5).Add(-8 * time.Hour), full - 1}}, nil,
			[]bool{false, false, true, false, false, false}},
		// the recorded run ends an hour short of day 3's end, where the raw
		// windows begin
		{"recorded days 1–3, raw days 4–6 (evaluations missing)", days(full, 3, 4, 5), days(full, 0, 1, 2),
			[]bool{false, true, false, false, true, false}},
		{"the history's only day (a series that began in it)", days(84, 2), nil, []bool{false, false, false, false, false, false}},
		{"the recorded history's only two days", nil, days(84, 2, 3), []bool{false, false, false, false, false, false}},
		{"none", nil, nil, []bool{false, false, false, false, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mx := func(cs []sampleCount) (m float64) {
				for _, c := range cs {
					m = max(m, c.v)
				}
				return m
			}
			if got := exactDays(tc.raw, mx(tc.raw), tc.rec, mx(tc.rec), g); !slices.Equal(got, tc.want) {
				t.Errorf("exact %v, want %v", got, tc.want)
			}
		})
	}
}
