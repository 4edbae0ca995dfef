package report

import (
	"math"
	"strings"
	"testing"
	"time"
)

// Pure-logic table tests of the incident derivation from the three-state
// signal (issue 17). Each case is one entity's scrapes (15 s interval unless
// a gap is written) and the incidents a correct report lists.

var t0 = time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC) // period start

// smp is one scrape: at t0+T seconds, state 'u' up, 'd' down, '?' unknown,
// 'x' NS_up absent; lc the last-change timestamp (t0-relative seconds, 0 =
// none published, math.Inf(-1) = none at all); m in maintenance.
type smp struct {
	T  float64
	S  byte
	LC float64
	M  bool
}

func run15(from, to float64, s byte, lc float64) []smp {
	var out []smp
	for t := from; t <= to; t += 15 {
		out = append(out, smp{T: t, S: s, LC: lc})
	}
	return out
}

func cat(parts ...[]smp) []smp {
	var out []smp
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func toSamples(in []smp) []stateSample {
	var out []stateSample
	at := func(v float64) time.Time { return t0.Add(time.Duration(v * float64(time.Second))) }
	for _, x := range in {
		s := stateSample{T: at(x.T), HasUp: x.S != 'x'}
		switch x.S {
		case 'u':
			s.Up = 1
		case '?':
			s.Unknown = 1
		}
		if x.LC != 0 && !math.IsInf(x.LC, -1) {
			s.LastChange = float64(at(x.LC).UnixMilli()) / 1e3
		}
		if x.M {
			s.Maint = 1
		}
		out = append(out, s)
	}
	return out
}

type wantInc struct {
	Start, End                float64 // t0-relative seconds
	Unknown                   float64
	Ongoing, Interrupted, Inx bool // Inx: a note says an edge is from a scrape
}

func checkDerive(t *testing.T, samples []smp, want []wantInc) {
	t.Helper()
	ss := toSamples(samples)
	got := deriveIncidents(ss, deriveParams{Start: t0, End: t0.Add(24 * time.Hour), MaxGap: 2 * scrapeInterval(ss)})
	if len(got) != len(want) {
		t.Fatalf("%d incidents, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		gs, ge := g.Start.Sub(t0).Seconds(), g.End.Sub(t0).Seconds()
		if math.Abs(gs-w.Start) > 1e-6 || math.Abs(ge-w.End) > 1e-6 || math.Abs(g.Unknown-w.Unknown) > 1e-6 ||
			g.Ongoing != w.Ongoing || g.Interrupted != w.Interrupted || (g.Note != "") != (w.Inx || w.Interrupted) {
			t.Errorf("incident %d: got start %v end %v unknown %v ongoing %v interrupted %v note %q; want %+v",
				i, gs, ge, g.Unknown, g.Ongoing, g.Interrupted, g.Note, w)
		}
	}
}

// Defect 1: an exporter restart during an outage (counters from 0, no
// transition published after the restart, unknown at start-up) must not cut
// the incident nor invent an ongoing one; MTTR was 779 187 s instead of 1 437 s.
func TestDefect17_1_RestartDuringOutage(t *testing.T) {
	cases := []struct {
		name    string
		samples []smp
		want    []wantInc
	}{
		{"restart without state file", cat(run15(0, 90, 'u', -3600), run15(105, 150, 'd', 100),
			// exporter down 150–200; restarts unknown with no transition
			[]smp{{210, '?', 0, false}}, run15(225, 1530, 'd', 0), run15(1545, 3000, 'u', 1537)),
			[]wantInc{{Start: 100, End: 1537, Unknown: 60}}},
		{"restart with state file (transition kept)", cat(run15(0, 90, 'u', -3600), run15(105, 150, 'd', 100),
			[]smp{{210, '?', 100, false}}, run15(225, 1530, 'd', 100), run15(1545, 3000, 'u', 1537)),
			[]wantInc{{Start: 100, End: 1537, Unknown: 60}}},
		{"two restarts", cat(run15(0, 90, 'u', -3600), run15(105, 150, 'd', 100), run15(225, 600, 'd', 0),
			run15(700, 1530, 'd', 0), run15(1545, 3000, 'u', 1537)),
			[]wantInc{{Start: 100, End: 1537, Unknown: 75 + 100}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkDerive(t, c.samples, c.want)
			if got := deriveIncidents(toSamples(c.samples), deriveParams{Start: t0, End: t0.Add(24 * time.Hour), MaxGap: 30 * time.Second}); len(got) == 1 {
				if mttr := got[0].End.Sub(got[0].Start).Seconds(); mttr != 1437 {
					t.Errorf("time to recover %v s, want 1437", mttr)
				}
			}
		})
	}
}

// Defect 2: transitions inside a 2-hour scrape gap; the incident must close.
func TestDefect17_2_GapWithTransitions(t *testing.T) {
	cases := []struct {
		name    string
		samples []smp
		want    []wantInc
	}{
		{"exporter restarted after the gap (no transition published): ends at the first up sample",
			cat(run15(0, 90, 'u', -3600), run15(105, 300, 'd', 100), []smp{{7500, '?', 0, false}}, run15(7515, 9000, 'u', 0)),
			[]wantInc{{Start: 100, End: 7515, Unknown: 7215, Inx: true}}},
		{"Prometheus gap (exporter kept running): ends at the published recovery",
			cat(run15(0, 90, 'u', -3600), run15(105, 300, 'd', 100), run15(7500, 9000, 'u', 3000)),
			[]wantInc{{Start: 100, End: 3000, Unknown: 2700}}},
		{"gap while up, down and up again inside: the gap is no incident",
			cat(run15(0, 300, 'u', -3600), run15(7500, 9000, 'u', 3000)), nil},
		{"down inside the gap, still down after it",
			cat(run15(0, 300, 'u', -3600), run15(7500, 9000, 'd', 2000), run15(9015, 9100, 'u', 9010)),
			[]wantInc{{Start: 2000, End: 9010, Unknown: 0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkDerive(t, c.samples, c.want) })
	}
}

// Defect 3: a target removed while down: the incident closes at the last
// sample, flagged 监测中断 (it was dropped on Prometheus and "ongoing" for
// 712 800 s on VictoriaMetrics).
func TestDefect17_3_RemovedWhileDown(t *testing.T) {
	s := cat(run15(0, 90, 'u', -3600), run15(105, 600, 'd', 100))
	checkDerive(t, s, []wantInc{{Start: 100, End: 600, Interrupted: true}})
	ss := toSamples(s)
	got := deriveIncidents(ss, deriveParams{Start: t0, End: t0.Add(24 * time.Hour), MaxGap: 30 * time.Second})
	if !strings.Contains(got[0].Note, "监测中断") {
		t.Errorf("note %q lacks 监测中断", got[0].Note)
	}
	// Still down at the last scrape before the period end: ongoing, not interrupted.
	checkDerive(t, cat(run15(0, 90, 'u', -3600), run15(105, 86400-10, 'd', 100)), []wantInc{{Start: 100, End: 86400, Ongoing: true}})
}

// Defect 4: an unknown spell just before recovery must not move the start
// (it was reported 90 s late); the unknown time is shown as such.
func TestDefect17_4_UnknownBeforeRecovery(t *testing.T) {
	cases := []struct {
		name    string
		samples []smp
		want    []wantInc
	}{
		{"down, unknown, up", cat(run15(0, 90, 'u', -3600), run15(105, 180, 'd', 100), run15(195, 285, '?', 100), run15(300, 600, 'u', 290)),
			[]wantInc{{Start: 100, End: 290, Unknown: 105 + 5}}},
		{"up, unknown, down: the outage starts where down is first seen", cat(run15(0, 90, 'u', -3600), run15(105, 165, '?', -3600),
			run15(180, 300, 'd', 170), run15(315, 600, 'u', 310)),
			[]wantInc{{Start: 170, End: 310}}},
		{"NS_up absent (no data) before recovery", cat(run15(0, 90, 'u', -3600), run15(105, 180, 'd', 100), run15(195, 285, 'x', 100), run15(300, 600, 'u', 290)),
			[]wantInc{{Start: 100, End: 290, Unknown: 110}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkDerive(t, c.samples, c.want) })
	}
}

// Defect 13: a restarted exporter starts unknown and its unknown→down is not
// a counted change; the old engine's toggling inverted and listed up time as
// incidents.
func TestDefect17_13_RestartStartsUnknown(t *testing.T) {
	cases := []struct {
		name    string
		samples []smp
		want    []wantInc
	}{
		{"restart while up, down during start-up, recovery counted", cat(run15(0, 150, 'u', -3600), []smp{{210, '?', 0, false}},
			run15(225, 585, 'd', 0), run15(600, 3000, 'u', 590)),
			[]wantInc{{Start: 225, End: 590, Inx: true}}},
		{"restart while up, up after start-up: no incident", cat(run15(0, 150, 'u', -3600), []smp{{210, '?', 0, false}}, run15(225, 3000, 'u', 0)), nil},
		{"restart, later outage counted normally", cat(run15(0, 150, 'u', -3600), []smp{{210, '?', 0, false}}, run15(225, 1000, 'u', 0),
			run15(1005, 1200, 'd', 1003), run15(1215, 3000, 'u', 1211)),
			[]wantInc{{Start: 1003, End: 1211}}},
		{"down across the period start, transition before it", cat(run15(-600, -45, 'u', -7200), run15(-30, 200, 'd', -31), run15(215, 900, 'u', 210)),
			[]wantInc{{Start: -31, End: 210}}},
		{"outage that ended before the period start is not listed", cat(run15(-600, -300, 'd', -700), run15(-285, 900, 'u', -290)), nil},
		{"maintenance flag from the first down scrape", cat(run15(0, 90, 'u', -3600), []smp{{105, 'd', 100, true}}, run15(120, 200, 'd', 100), run15(215, 300, 'u', 210)),
			nil},
	}
	for _, c := range cases[:len(cases)-1] {
		t.Run(c.name, func(t *testing.T) { checkDerive(t, c.samples, c.want) })
	}
	got := deriveIncidents(toSamples(cases[len(cases)-1].samples), deriveParams{Start: t0, End: t0.Add(24 * time.Hour), MaxGap: 30 * time.Second})
	if len(got) != 1 || !got[0].Maintenance {
		t.Errorf("maintenance incident: %+v", got)
	}
}

// An outage shorter than the scrape interval is seen only in the counters:
// NS_state_changes_total +2 between two up scrapes, the down seconds and the
// last change give it exactly; a recovery between two down scrapes splits
// the incident.
func TestDerive_TransitionsBetweenScrapes(t *testing.T) {
	at := func(v float64) time.Time { return t0.Add(time.Duration(v * float64(time.Second))) }
	lc := func(v float64) float64 { return float64(at(v).UnixMilli()) / 1e3 }
	mk := func(T float64, up float64, last, ch, dn float64) stateSample {
		return stateSample{T: at(T), HasUp: true, Up: up, LastChange: lc(last), HasCounters: true, Changes: ch, Down: dn}
	}
	p := deriveParams{Start: t0, End: t0.Add(24 * time.Hour), MaxGap: 120 * time.Second}
	// up, (down 100–115), up
	got := deriveIncidents([]stateSample{mk(60, 1, -3600, 4, 0), mk(120, 1, 115, 6, 15), mk(180, 1, 115, 6, 15)}, p)
	if len(got) != 1 || !got[0].Start.Equal(at(100)) || !got[0].End.Equal(at(115)) || got[0].Note != "" {
		t.Errorf("outage between scrapes: %+v", got)
	}
	// down since 30, up 70–100 hidden, down again from 100, up at 200
	got = deriveIncidents([]stateSample{mk(60, 0, 30, 5, 30), mk(120, 0, 100, 7, 30+10+20), mk(180, 0, 100, 7, 120), mk(240, 1, 200, 8, 140)}, p)
	if len(got) != 2 || !got[0].Start.Equal(at(30)) || !got[0].End.Equal(at(70)) || !got[1].Start.Equal(at(100)) || !got[1].End.Equal(at(200)) {
		t.Errorf("recovery between scrapes: %+v", got)
	}
	// a scrape that publishes the new state with the counters of just
	// before the transition (odd count): the next scrape settles it
	got = deriveIncidents([]stateSample{mk(0, 1, -3600, 4, 0), mk(600, 1, 248, 5, 352), mk(1200, 1, 600, 6, 352)},
		deriveParams{Start: t0, End: t0.Add(24 * time.Hour), MaxGap: 1200 * time.Second})
	if len(got) != 1 || !got[0].Start.Equal(at(248)) || !got[0].End.Equal(at(600)) {
		t.Errorf("staggered counters: %+v", got)
	}
	// four transitions between two up scrapes: one merged span, said in the note
	got = deriveIncidents([]stateSample{mk(60, 1, -3600, 4, 0), mk(120, 1, 115, 8, 20)}, p)
	if len(got) != 1 || !got[0].End.Equal(at(115)) || !strings.Contains(got[0].Note, "merged") {
		t.Errorf("merged: %+v", got)
	}
}

// The incidents' down time is checked against the down counters; beyond the
// bound the report lists a caveat.
func TestDerive_CrossCheckWithCounters(t *testing.T) {
	p := deriveParams{Start: t0, End: t0.Add(24 * time.Hour), MaxGap: 120 * time.Second}
	at := func(v float64) time.Time { return t0.Add(time.Duration(v * float64(time.Second))) }
	exact := []derived{{Start: at(100), End: at(1537)}}
	withUnknown := []derived{{Start: at(100), End: at(1537), Unknown: 360, Note: "x"}}
	cases := []struct {
		name    string
		ds      []derived
		counted float64
		ok      bool
		bound   float64
	}{
		{"exact edges, counters agree", exact, 1437, true, 3},
		{"exact edges, 2 s off", exact, 1435, true, 3},
		{"exact edges, counters lost 10 s", exact, 1427, false, 3},
		{"unknown inside, within 2 intervals", withUnknown, 1127, true, 3 + 120},
		{"unknown inside, counters far off", withUnknown, 500, false, 3 + 120},
		{"no incident, no down", nil, 0, true, 1},
		{"no incident but down counted", nil, 30, false, 1},
		{"clipped at the period start", []derived{{Start: at(-30), End: at(95)}}, 95, true, 3 + 120},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, bound, ok := crossCheck(c.ds, p, c.counted, time.Minute)
			if ok != c.ok || bound != c.bound {
				t.Errorf("ok %v bound %v, want %v %v", ok, bound, c.ok, c.bound)
			}
		})
	}
}
