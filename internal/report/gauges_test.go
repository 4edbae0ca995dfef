package report

import (
	"testing"
	"time"
)

// TestGaugeRunsAndPieces: evaluations become runs one hour apart inside the
// period (a missed evaluation splits a run; a run needs two evaluations;
// an evaluation at the period's start is left to the raw samples, whose
// stretch [start, start] a closed range could not select); the pieces
// tile [start, end) exactly: raw before, between and after the runs'
// windows (g0, gn].
func TestGaugeRunsAndPieces(t *testing.T) {
	s := time.Date(2026, 10, 1, 0, 0, 0, 0, Shanghai)
	h := func(hours int, extra ...time.Duration) time.Time {
		t := s.Add(time.Duration(hours) * time.Hour)
		for _, d := range extra {
			t = t.Add(d)
		}
		return t
	}
	hours := func(from, to int, off time.Duration) []time.Time {
		var ts []time.Time
		for i := from; i <= to; i++ {
			ts = append(ts, h(i, off))
		}
		return ts
	}
	cat := func(a ...[]time.Time) []time.Time {
		var out []time.Time
		for _, x := range a {
			out = append(out, x...)
		}
		return out
	}
	type piece struct {
		from, to time.Time
		rec      bool
	}
	for _, c := range []struct {
		name       string
		ts         []time.Time
		start, end time.Time
		runs       []evalRun
		pieces     []piece
	}{
		{"none", nil, s, h(24), nil, []piece{{s, h(24), false}}},
		{"one evaluation is no run", []time.Time{h(3, 20*time.Minute)}, s, h(24), nil, []piece{{s, h(24), false}}},
		{"a live server's offset", hours(0, 23, 20*time.Minute), s, h(24),
			[]evalRun{{h(0, 20*time.Minute), h(23, 20*time.Minute)}},
			[]piece{{s, h(0, 20*time.Minute+time.Millisecond), false}, {h(0, 20*time.Minute+time.Millisecond), h(23, 20*time.Minute+time.Millisecond), true}, {h(23, 20*time.Minute+time.Millisecond), h(24), false}}},
		{"on the hour: the first hour raw, the last evaluation is the end's", hours(0, 24, 0), s, h(24),
			[]evalRun{{h(1), h(23)}},
			[]piece{{s, h(1, time.Millisecond), false}, {h(1, time.Millisecond), h(23, time.Millisecond), true}, {h(23, time.Millisecond), h(24), false}}},
		{"a missed evaluation splits the run", cat(hours(2, 9, 0), hours(11, 20, 0)), s, h(24),
			[]evalRun{{h(2), h(9)}, {h(11), h(20)}},
			[]piece{{s, h(2, time.Millisecond), false}, {h(2, time.Millisecond), h(9, time.Millisecond), true}, {h(9, time.Millisecond), h(11, time.Millisecond), false},
				{h(11, time.Millisecond), h(20, time.Millisecond), true}, {h(20, time.Millisecond), h(24), false}}},
		{"unsorted, and outside the period", cat(hours(5, 8, 0), hours(-3, 2, 0), hours(30, 31, 0)), s, h(24),
			[]evalRun{{h(1), h(2)}, {h(5), h(8)}},
			[]piece{{s, h(1, time.Millisecond), false}, {h(1, time.Millisecond), h(2, time.Millisecond), true}, {h(2, time.Millisecond), h(5, time.Millisecond), false},
				{h(5, time.Millisecond), h(8, time.Millisecond), true}, {h(8, time.Millisecond), h(24), false}}},
		{"an evaluation 2 ms before the end leaves its hour raw", hours(1, 24, -2*time.Millisecond), s, h(24),
			[]evalRun{{h(1, -2*time.Millisecond), h(23, -2*time.Millisecond)}},
			[]piece{{s, h(1, -time.Millisecond), false}, {h(1, -time.Millisecond), h(23, -time.Millisecond), true}, {h(23, -time.Millisecond), h(24), false}}},
		{"an evaluation 1 ms before the end: no raw stretch after", hours(1, 24, -time.Millisecond), s, h(24),
			[]evalRun{{h(1, -time.Millisecond), h(24, -time.Millisecond)}},
			[]piece{{s, h(1), false}, {h(1), h(24), true}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// the cases give the hours' ends; each is evaluated GaugeRuleOffset later
			var evals []time.Time
			for _, e := range c.ts {
				evals = append(evals, e.Add(GaugeRuleOffset))
			}
			runs := runsOf(evals, c.start, c.end)
			if len(runs) != len(c.runs) {
				t.Fatalf("runs %v, want %v", runs, c.runs)
			}
			for i := range runs {
				if !runs[i].g0.Add(-GaugeRuleOffset).Equal(c.runs[i].g0) || !runs[i].gn.Add(-GaugeRuleOffset).Equal(c.runs[i].gn) {
					t.Errorf("run %d: %v – %v, want %v – %v", i, runs[i].g0, runs[i].gn, c.runs[i].g0, c.runs[i].gn)
				}
			}
			ps := piecesOf(c.start, c.end, runs)
			if len(ps) != len(c.pieces) {
				t.Fatalf("%d pieces %+v, want %d", len(ps), ps, len(c.pieces))
			}
			for i, p := range ps {
				w := c.pieces[i]
				if !p.from.Equal(w.from) || !p.to.Equal(w.to) || (p.rec != nil) != w.rec {
					t.Errorf("piece %d: [%v, %v) recorded %v, want [%v, %v) %v", i, p.from, p.to, p.rec != nil, w.from, w.to, w.rec)
				}
				// every raw stretch is empty or ≥ 2 ms (a closed range selects it)
				if p.rec == nil && p.to.Sub(p.from) < 2*time.Millisecond {
					t.Errorf("piece %d: raw stretch of %v", i, p.to.Sub(p.from))
				}
			}
		})
	}
}

// TestGaugeRunsBounded: more runs than MaxGaugeRuns keep the longest, in
// time order.
func TestGaugeRunsBounded(t *testing.T) {
	s := time.Date(2026, 1, 1, 0, 0, 0, 0, Shanghai)
	var ts []time.Time
	for i := 0; i < 3*MaxGaugeRuns; i++ { // runs of 2, 3 and 4 evaluations, a missed one between
		base := s.Add(time.Duration(i*10) * time.Hour)
		for k := 0; k < 2+i%3; k++ {
			ts = append(ts, base.Add(time.Duration(k+1)*time.Hour))
		}
	}
	runs := runsOf(ts, s, s.Add(time.Duration(30*MaxGaugeRuns+10)*time.Hour))
	if len(runs) != MaxGaugeRuns {
		t.Fatalf("%d runs, want %d", len(runs), MaxGaugeRuns)
	}
	for i, r := range runs {
		if r.gn.Sub(r.g0) != 3*time.Hour {
			t.Errorf("run %d spans %v, want the longest (3 h)", i, r.gn.Sub(r.g0))
		}
		if i > 0 && !r.g0.After(runs[i-1].gn) {
			t.Errorf("run %d out of order", i)
		}
	}
}
