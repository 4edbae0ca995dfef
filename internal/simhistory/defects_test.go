package simhistory

import (
	"testing"
	"time"
)

// The observed-incident truth of DefectScenario, by hand from its windows.
func TestDefectScenarioTruth(t *testing.T) {
	sp := DefectScenario(2026, time.October, time.Minute)
	ms, me := MonthBounds(2026, time.October)
	day := func(d int, hh, mm, ss int) time.Time {
		return ms.Add(time.Duration(d-1)*24*time.Hour + time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute + time.Duration(ss)*time.Second)
	}
	want := map[string]ObservedIncident{
		// not running 300 s, then 10 s start-up unknown
		"d17-1-restart": {Start: day(3, 10, 0, 7), End: day(3, 10, 24, 4), Unknown: 310},
		// recovery and a second outage inside the 2 h gap are not seen: one
		// incident until the first confirmed up after the start-up
		"d17-2-gap":     {Start: day(5, 8, 0, 0), End: day(5, 10, 10, 11), Unknown: 7210},
		"d17-3-removed": {Start: day(10, 12, 0, 30), End: day(10, 12, 30, 1), Interrupted: true},
		"d17-4-unknown": {Start: day(12, 9, 0, 30), End: day(12, 9, 10, 30), Unknown: 210},
		// confirmed down only when the start-up spell ends
		"d17-13-startup": {Start: day(15, 6, 5, 10), End: day(15, 6, 10, 5)},
	}
	for _, e := range sp.Entities {
		got := e.ObservedIncidents(ms, me, sp.To)
		w := want[e.Labels["line"]]
		if len(got) != 1 || got[0] != w {
			t.Errorf("%s: %+v, want %+v", e.Labels["line"], got, w)
		}
		t.Logf("truth %s: %s – %s, unknown %v s, interrupted %v; down %v s", e.Labels["line"], w.Start.In(Shanghai).Format(time.DateTime),
			w.End.In(Shanghai).Format(time.DateTime), w.Unknown, w.Interrupted, e.TruthFor(ms, me).Down)
	}
	// The test scenario's outages are its observed incidents (no unknown
	// time inside any of them).
	ts := TestScenario(2026, time.October, 300*time.Second)
	for _, e := range ts.Entities {
		tr := e.TruthFor(ms, me)
		ob := e.ObservedIncidents(ms, me, ts.To)
		if len(ob) != len(tr.Incidents) {
			t.Errorf("%v: %d observed incidents, %d outages", e.Labels, len(ob), len(tr.Incidents))
			continue
		}
		for i := range ob {
			if !ob[i].Start.Equal(tr.Incidents[i].Start) || ob[i].Maintenance != tr.Incidents[i].Maintenance || ob[i].Unknown != 0 {
				t.Errorf("%v: observed %+v, outage %+v", e.Labels, ob[i], tr.Incidents[i])
			}
		}
	}
}
