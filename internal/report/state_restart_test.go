package report

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/avail"
)

// exporterSim is one line_exporter process simulated on a given clock: its
// family, and the samples Prometheus scraped from it.
type exporterSim struct {
	now time.Time
	f   *avail.Family
	reg *prometheus.Registry
	tr  *avail.Tracker
}

func newExporterSim(t *testing.T, at time.Time, saved *avail.SavedFamily, clean bool) *exporterSim {
	t.Helper()
	e := &exporterSim{now: at}
	e.f = avail.NewFamily(avail.FamilyOpts{Namespace: "line", Labels: []string{"line"}, What: "line"})
	e.f.SetClock(func() time.Time { return e.now })
	if saved != nil {
		if _, err := e.f.RestoreState(*saved, clean); err != nil {
			t.Fatal(err)
		}
	}
	e.tr = e.f.Tracker(avail.Rule{DownAfter: 3, UpAfter: 3}, nil, "l1")
	e.f.EndRestore()
	e.reg = prometheus.NewRegistry()
	e.reg.MustRegister(e.f)
	return e
}

// scrape is what Prometheus stores from one scrape at e.now.
func (e *exporterSim) scrape(t *testing.T) scrape {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sc := scrape{t: e.now.UnixMilli(), vals: map[string]float64{}}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if m.GetCounter() != nil {
				sc.vals[mf.GetName()] = m.GetCounter().GetValue()
			} else {
				sc.vals[mf.GetName()] = m.GetGauge().GetValue()
			}
		}
	}
	return sc
}

// TestDefect17_10_ReportSeesOneLifetime: issue 17 item 10 against the
// report's own counter logic. A month with an exporter restart inside a
// 47 s outage, scraped every 15 s: with the state kept from a clean stop,
// the start time does not change and no counter goes down, so the fast
// path (end − start) applies and the raw-sample path finds no reset, both
// giving the true down seconds. Without a clean stop (a crash after a
// periodic save) the counters start a new lifetime: the report sees one
// reset and counts nothing twice.
func TestDefect17_10_ReportSeesOneLifetime(t *testing.T) {
	f := familyFor("line")
	names := []string{f.observed, f.down, f.maint, f.maintDown, f.changes}
	monthStart := time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC)
	S := monthStart.UnixMilli()
	const gap = 3 * time.Second // the exporter is not running
	outageStart := monthStart.Add(10 * time.Minute)
	restartAt := outageStart.Add(20 * time.Second)
	outageEnd := outageStart.Add(47 * time.Second)
	end := monthStart.Add(30 * time.Minute)

	for _, clean := range []bool{true, false} {
		// Process A, from 5 min before the month start until the restart.
		a := newExporterSim(t, monthStart.Add(-5*time.Minute), nil, false)
		var scrapes []scrape
		nextScrape := a.now.Add(15 * time.Second)
		probe := func(e *exporterSim, until time.Time) {
			for e.now.Before(until) {
				e.now = e.now.Add(time.Second)
				st := avail.Up
				if !e.now.Before(outageStart) && e.now.Before(outageEnd) {
					st = avail.Down
				}
				e.tr.Observe(e.now, st)
				if !e.now.Before(nextScrape) {
					scrapes = append(scrapes, e.scrape(t))
					nextScrape = nextScrape.Add(15 * time.Second)
				}
			}
		}
		probe(a, restartAt)
		saved := a.f.SaveState()
		b1, _ := json.Marshal(saved)
		var back avail.SavedFamily
		if err := json.Unmarshal(b1, &back); err != nil {
			t.Fatal(err)
		}
		// Process B, restored after the gap.
		b := newExporterSim(t, a.now.Add(gap), &back, clean)
		probe(b, end)
		scrapes = append(scrapes, b.scrape(t))

		var st, e scrape // last at or before the month start; the last
		for _, x := range scrapes {
			if x.t <= S {
				st = x
			}
			e = x
		}
		// Truth: the outage is 47 s, confirmed from its first lost probe
		// (the interval before it), all of it seen but the gap.
		truthDown := outageEnd.Sub(outageStart).Seconds() - gap.Seconds()
		sums := rawSums(scrapes, f.started, S)
		if clean {
			if st.vals[f.started] != e.vals[f.started] || decreased(names, st, e) {
				t.Fatalf("clean restart: start time %v → %v or a counter went down: the report would see a reset",
					st.vals[f.started], e.vals[f.started])
			}
			if d := e.vals[f.down] - st.vals[f.down]; math.Abs(d-truthDown) > 1e-6 {
				t.Errorf("fast path: down %v s, want %v", d, truthDown)
			}
			if c := e.vals[f.changes] - st.vals[f.changes]; c != 2 {
				t.Errorf("fast path: %v state changes, want 2 (one outage)", c)
			}
			if c := sums[f.down]; c.Resets != 0 || math.Abs(c.Delta-truthDown) > 1e-6 {
				t.Errorf("raw path: %+v, want no reset and %v s", c, truthDown)
			}
			monthSecs := e.vals[f.observed] - st.vals[f.observed] + e.vals["line_unknown_seconds_total"] - st.vals["line_unknown_seconds_total"]
			if want := float64(end.Sub(monthStart)/time.Second) + float64(scrapes[len(scrapes)-1].t-end.UnixMilli())/1e3; math.Abs(monthSecs-want) > 15 {
				t.Errorf("observed + unknown %v s over %v s", monthSecs, want)
			}
			if u := e.vals["line_unknown_seconds_total"]; math.Abs(u-gap.Seconds()) > 1e-6 {
				t.Errorf("unknown %v s, want the gap %v s", u, gap.Seconds())
			}
		} else {
			c := sums[f.down]
			if c.Resets != 1 || c.Delta > truthDown+1e-6 || c.Delta < truthDown-15 {
				t.Errorf("after a crash: %+v; want 1 reset and at most the truth %v s (loss ≤ one scrape interval)", c, truthDown)
			}
			if e.vals[f.started] <= st.vals[f.started] {
				t.Error("after a crash the start time did not move on")
			}
		}
	}
}
