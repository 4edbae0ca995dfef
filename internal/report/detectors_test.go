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
