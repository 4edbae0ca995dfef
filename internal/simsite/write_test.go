package simsite

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	sh "github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
)

// TestDemoHistoryShowsEveryExcursion (issue 24 item 2: "sensor th-1: max
// 26.0 °C, yet 79 s 超出 21–27 °C"): the history make demo back-fills has
// one sample per 10 min, but the room's event-driven gauges are sampled
// every 15 s (Fine) where an event acts, so every sensor whose condition
// counts seconds out of band has a sample out of band; every series is in
// time order and promtool accepts the file.
func TestDemoHistoryShowsEveryExcursion(t *testing.T) {
	ms, _ := sh.MonthBounds(2026, time.November)
	// Two days around the month's utility failure (day 11, 03:12) and a
	// week's extra CRAC failure, as make demo adds them.
	from, to := ms.Add(9*24*time.Hour), ms.Add(11*24*time.Hour)
	extra := Event{Kind: CRACFailure, Target: "crac-1", Window: sh.Window{Start: ms.Add(9*24*time.Hour + 15*time.Hour), End: ms.Add(9*24*time.Hour + 15*time.Hour + 25*time.Minute)}}
	sp, _, conds := ScenarioWith(from, to, 600*time.Second, extra)
	var buf bytes.Buffer
	if err := sh.WriteOpenMetrics(&buf, sp); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(buf.Bytes(), []byte("\n# EOF\n")) || bytes.Count(buf.Bytes(), []byte("# EOF")) != 1 {
		t.Fatal("the history must end in exactly one # EOF")
	}
	// Per series: sample max, min, order.
	type agg struct {
		max, min float64
		last     int64
		n        int
	}
	series := map[string]*agg{}
	sc := bufio.NewScanner(bytes.NewReader(buf.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "#") {
			continue
		}
		f := strings.Fields(l)
		if len(f) != 3 {
			t.Fatalf("bad line %q", l)
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		ts, _ := strconv.ParseInt(f[2], 10, 64)
		a := series[f[0]]
		if a == nil {
			a = &agg{max: v, min: v}
			series[f[0]] = a
		} else if ts <= a.last {
			t.Fatalf("%s: sample at %d after %d", f[0], ts, a.last)
		}
		a.max, a.min, a.last = max(a.max, v), min(a.min, v), ts
		a.n++
	}
	excursions := 0
	for _, c := range conds {
		if c.Entity.Labels["condition"] != "temperature_out_of_band" {
			continue
		}
		active := 0.0
		for _, o := range c.Entity.Outages {
			if o.Start.Before(to) && o.End.After(from) {
				active += o.End.Sub(o.Start).Seconds()
			}
		}
		s := c.Entity.Labels["device"]
		var g *sh.Gauge
		for i := range sp.Gauges {
			if sp.Gauges[i].Name == "env_temperature_celsius" && sp.Gauges[i].Labels["sensor"] == s {
				g = &sp.Gauges[i]
			}
		}
		if g == nil {
			t.Fatalf("no temperature gauge of %s", s)
		}
		a := series["env_temperature_celsius"+sh.LabelString(g.Labels)]
		if a == nil {
			t.Fatalf("%s: no samples", s)
		}
		out := a.max > BandHigh || a.min < BandLow
		if active > 0 {
			excursions++
		}
		if (active > 0) != out {
			t.Errorf("%s: %.0f s out of band counted, samples %.2f–%.2f °C", s, active, a.min, a.max)
		}
	}
	if excursions == 0 {
		t.Error("the utility failure moved no sensor out of band: the test checks nothing")
	}
	// Coarse series keep the coarse step: rack power has one sample per 10 min.
	for k, a := range series {
		if strings.HasPrefix(k, "env_rack_power_watts{") && a.n != int(to.Sub(from)/(600*time.Second))+1 {
			t.Fatalf("%s: %d samples", k, a.n)
		}
	}
	promtool := testutil.Need(t, "promtool")
	dir := t.TempDir()
	om := filepath.Join(dir, "h.om")
	if err := os.WriteFile(om, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(context.Background(), promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=744h", om, filepath.Join(dir, "tsdb")).CombinedOutput(); err != nil {
		t.Fatalf("promtool: %v\n%s", err, out)
	}
}
