package truthgen

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestDefectsTruthTable: the truth of the issue-17 scenario, computed by
// interval arithmetic, against values worked out by hand from the events
// (printed as the truth table), and the scenario is well-formed.
func TestDefectsTruthTable(t *testing.T) {
	sc := Defects()
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	aprS, _ := Month(2026, time.April)
	removedAt := sc.Scrape(aprS.Add(19*24*time.Hour + 8*time.Hour + 30*time.Minute))
	cases := []struct {
		name      string
		month     time.Month
		down, unk float64
		incidents int
		flags     string // per incident: o ongoing, i interrupted, - neither
	}{
		{"tg-restart", time.February, 3600 - 300 - 10, 310, 1, "-"},
		{"tg-unknown", time.February, 420, 180, 1, "-"},
		{"tg-boundary", time.February, 3600, 0, 1, "o"},
		{"tg-boundary", time.March, 260, 0, 1, "-"},
		{"tg-gap", time.March, 3600, 0, 1, "-"},
		{"tg-removed", time.April, removedAt.Sub(aprS.Add(19*24*time.Hour + 8*time.Hour)).Seconds(), 0, 1, "i"},
		{"tg-end", time.April, 240, 0, 1, "o"},
		{"tg-flap", time.March, 0, 5, 0, ""},
		{"tg-flap", time.April, 1100, 100, 1, "-"},
		{"tg-new", time.April, 0, (9*24+3)*3600 + 10, 0, ""}, // + the start-up unknown spell
		{"tg-steady", time.February, 0, 0, 0, ""},
		{"tg-steady", time.March, 0, 0, 0, ""},
		{"tg-steady", time.April, 0, 0, 0, ""},
	}
	byName := map[string]*Entity{}
	for _, e := range sc.Entities {
		byName[e.Name()] = e
	}
	t.Logf("%-12s %-9s %12s %12s %12s %s", "entity", "month", "observed s", "down s", "unknown s", "incidents")
	for _, m := range Months {
		s, e := Month(m.Year, m.Month)
		if got := e.Sub(s); got != time.Duration(m.Days)*24*time.Hour {
			t.Errorf("%s: %v long, want %d days", m.Month, got, m.Days)
		}
		for _, ent := range sc.Entities {
			tr := sc.TruthFor(ent, s, e)
			var inc []string
			for _, x := range tr.Incidents {
				inc = append(inc, x.Start.In(Shanghai).Format("01-02T15:04:05.000")+"…"+x.End.In(Shanghai).Format("01-02T15:04:05.000"))
			}
			t.Logf("%-12s %-9s %12.3f %12.3f %12.3f %s", ent.Name(), m.Month, tr.Observed, tr.Down, tr.Unknown, strings.Join(inc, " "))
		}
	}
	for _, c := range cases {
		s, e := Month(2026, c.month)
		tr := sc.TruthFor(byName[c.name], s, e)
		if Round3(tr.Down) != Round3(c.down) || c.name != "tg-removed" && Round3(tr.Unknown) != Round3(c.unk) || len(tr.Incidents) != c.incidents {
			t.Errorf("%s %s: down %.3f unknown %.3f incidents %d, want %.3f, %.3f, %d", c.name, c.month, tr.Down, tr.Unknown, len(tr.Incidents), c.down, c.unk, c.incidents)
			continue
		}
		var flags strings.Builder
		for _, x := range tr.Incidents {
			switch {
			case x.Ongoing:
				flags.WriteByte('o')
			case x.Interrupted:
				flags.WriteByte('i')
			default:
				flags.WriteByte('-')
			}
		}
		if flags.String() != c.flags {
			t.Errorf("%s %s: flags %q, want %q", c.name, c.month, flags.String(), c.flags)
		}
	}
}

// TestExporterSamplesAgreeWithTruth: in a steady stretch the exporter's
// counters grow at exactly 1 s/s, so for a month whose edges no transition
// straddles, the counters interpolated to the edges give the truth — the
// generator's two halves (samples, truth) agree.
func TestExporterSamplesAgreeWithTruth(t *testing.T) {
	sc := Defects()
	ts := sc.scrapes()
	for _, ent := range sc.Entities {
		if ent.Name() == "tg-removed" || ent.Name() == "tg-restart" || ent.Name() == "tg-boundary" || ent.Name() == "tg-flap" || ent.Name() == "tg-new" {
			continue // lifetimes, a series end, a change inside the straddling scrape: the report's business
		}
		v := ent.exporterAt(ts, sc.To)
		at := func(edge time.Time, get func(sample) float64) float64 {
			for i := 1; i < len(ts); i++ {
				if ts[i].After(edge) {
					a, b := v[i-1], v[i]
					f := edge.Sub(ts[i-1]).Seconds() / ts[i].Sub(ts[i-1]).Seconds()
					return get(a) + f*(get(b)-get(a))
				}
			}
			return 0
		}
		for _, m := range Months {
			s, e := Month(m.Year, m.Month)
			tr := sc.TruthFor(ent, s, e)
			down := at(e, func(x sample) float64 { return x.down }) - at(s, func(x sample) float64 { return x.down })
			obs := at(e, func(x sample) float64 { return x.observed }) - at(s, func(x sample) float64 { return x.observed })
			if Round3(down) != Round3(tr.Down) || Round3(obs) != Round3(tr.Observed) {
				t.Errorf("%s %s: samples give down %.3f observed %.3f, truth %.3f %.3f", ent.Name(), m.Month, down, obs, tr.Down, tr.Observed)
			}
		}
	}
}

// TestWriteFormats: OpenMetrics (seconds, # TYPE, # EOF) and the Prometheus
// text format (milliseconds) carry the same samples; the 10.7 s phase shows
// in the timestamps; no sample of a removed target after its removal.
func TestWriteFormats(t *testing.T) {
	sc := Defects()
	marS, _ := Month(2026, time.March)
	var om, pt bytes.Buffer
	if err := sc.Write(&om, OpenMetrics, marS.Add(-time.Hour), marS.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := sc.Write(&pt, PromText, marS.Add(-time.Hour), marS.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(om.String(), "# EOF\n") || strings.Contains(pt.String(), "#") {
		t.Fatalf("format markers wrong")
	}
	edge := float64(marS.Add(-10700*time.Millisecond).UnixMilli()) / 1e3
	want := `line_down_seconds_total{kind="bgp",line="tg-boundary",provider="tg-tg-boundary",site="tg"} 3589.3 ` + fmtF(edge)
	if !strings.Contains(om.String(), want+"\n") {
		t.Errorf("no %q in the OpenMetrics", want)
	}
	nOM, nPT := 0, 0
	for _, l := range strings.Split(om.String(), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			nOM++
		}
	}
	for _, l := range strings.Split(pt.String(), "\n") {
		if l != "" {
			nPT++
		}
	}
	if nOM != nPT || nOM == 0 {
		t.Errorf("%d OpenMetrics samples, %d text samples", nOM, nPT)
	}
	for _, l := range strings.Split(pt.String(), "\n") {
		if strings.Contains(l, `env_temperature_celsius`) && strings.HasSuffix(l, " "+fmtF(float64(marS.UnixMilli()))) && !strings.Contains(l, " 20 ") {
			t.Errorf("the temperature at the March edge: %s", l)
		}
	}
}
