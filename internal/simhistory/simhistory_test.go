package simhistory

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The exported counters and the truth agree: counter(end) − counter(start)
// equals TruthFor over [start, end) when no restart lies in between.
func TestCountersMatchTruth(t *testing.T) {
	sp := TestScenario(2026, time.October, 300*time.Second)
	ms, me := MonthBounds(2026, time.October)
	for _, e := range sp.Entities {
		// NS_start_time_seconds: the process start, then the end of each gap.
		wantStart := e.ProcessStart
		for _, g := range e.Gaps {
			if g.End.Before(me) {
				wantStart = g.End
			}
		}
		if c := newSim(e).advance(me); c.running && c.start != float64(wantStart.UnixMilli())/1e3 {
			t.Errorf("%v: start time %v, want %v", e.Labels, c.start, wantStart)
		}
		if len(e.Gaps) > 0 {
			continue
		}
		s := newSim(e)
		a := s.advance(ms)
		b := s.advance(me)
		tr := e.TruthFor(ms, me)
		if b.down-a.down != tr.Down || b.observed-a.observed != tr.Observed || b.maintDown-a.maintDown != tr.MaintenanceDown {
			t.Errorf("%v: counters %+v→%+v truth %+v", e.Labels, a, b, tr)
		}
		if int(b.changes-a.changes) != changesIn(e, ms, me) {
			t.Errorf("%v: %v state changes", e.Labels, b.changes-a.changes)
		}
	}
	if ms.Format(time.RFC3339) != "2026-09-30T16:00:00Z" {
		t.Error(ms)
	}
}

func changesIn(e *Entity, a, b time.Time) int {
	n := 0
	for _, o := range e.Outages {
		if !o.Start.Before(a) && o.Start.Before(b) {
			n++
		}
		if !o.End.Before(a) && o.End.Before(b) {
			n++
		}
	}
	return n
}

func TestOpenMetricsShape(t *testing.T) {
	sp := TestScenario(2026, time.October, 300*time.Second)
	ms, _ := MonthBounds(2026, time.October)
	var b bytes.Buffer
	if err := WriteOpenMetricsRange(&b, sp, ms, ms.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	if !strings.HasSuffix(s, "# EOF\n") || !strings.Contains(s, "# TYPE line_down_seconds counter\n") ||
		!strings.Contains(s, `line_down_seconds_total{kind="bgp",line="ct-bgp-1",provider="中国电信",site="dc1"} 30 1790784000`) {
		t.Errorf("unexpected OpenMetrics:\n%.600s", s)
	}
}
