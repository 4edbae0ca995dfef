package simhistory

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestEachSeriesIsOpenMetrics: EachSeries (the TSDB block writer's input)
// yields exactly the samples WriteOpenMetricsRange writes for the same
// window — every series, timestamp and value, gaps and restarts included —
// so blocks written directly hold the history promtool back-fills; Dense
// gauges have their extra samples in both.
func TestEachSeriesIsOpenMetrics(t *testing.T) {
	from := time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC)
	sp := DemoScenario(from, from.Add(10*time.Hour), 15*time.Second, 6, 7, 3)
	// Dense gauges (the site model's event-driven ones) are sampled every
	// DenseStep, by both writers alike.
	sp.DenseStep = 5 * time.Second
	dense := 0
	for i := range sp.Gauges {
		if sp.Gauges[i].Name == "env_temperature_celsius" {
			sp.Gauges[i].Dense = true
			dense++
		}
	}
	if dense == 0 {
		t.Fatal("no gauge to sample densely")
	}
	for _, w := range []struct{ lo, hi time.Time }{
		{from, sp.To.Add(time.Nanosecond)},
		{from.Add(2 * time.Hour), from.Add(4 * time.Hour)},
		{from.Add(7*time.Hour + 7*time.Second), from.Add(9*time.Hour + 3*time.Second)},
	} {
		var om bytes.Buffer
		if err := WriteOpenMetricsRange(&om, sp, w.lo, w.hi); err != nil {
			t.Fatal(err)
		}
		want := map[string]*strings.Builder{}
		sc := bufio.NewScanner(&om)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			l := sc.Text()
			if strings.HasPrefix(l, "#") {
				continue
			}
			i := strings.LastIndexByte(l, '}')
			f := strings.Fields(l[i+1:])
			b := want[l[:i+1]]
			if b == nil {
				b = &strings.Builder{}
				want[l[:i+1]] = b
			}
			b.WriteString(f[1] + "=" + f[0] + " ")
		}
		got := map[string]string{}
		perName := map[string]int{}
		n := 0
		err := sp.EachSeries(w.lo, w.hi, func(s *Samples) error {
			var b strings.Builder
			for i, ts := range s.T {
				b.WriteString(strconv.FormatInt(ts/1000, 10) + "=" + fmtF(s.V[i]) + " ")
				n++
			}
			got[s.Name+LabelString(s.Labels)] += b.String()
			perName[s.Name] = max(perName[s.Name], len(s.T))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || n == 0 {
			t.Errorf("%v: %d series (%d samples), OpenMetrics %d", w, len(got), n, len(want))
		}
		if perName["env_temperature_celsius"] <= perName["env_ups_battery_runtime_seconds"] {
			t.Errorf("%v: dense gauge %d samples, ordinary %d", w, perName["env_temperature_celsius"], perName["env_ups_battery_runtime_seconds"])
		}
		for k, v := range want {
			if got[k] != v.String() {
				t.Errorf("%v %s: EachSeries %.200q…, OpenMetrics %.200q…", w.lo, k, got[k], v.String())
			}
		}
	}
}
