package report_test

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/metricnames"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestCounterDiscoveryNarrowed (discovery.go): the lines' counter series
// are looked up over the month only for the lines whose series may have
// begun and ended inside it, and the figures are those of the raw-sample
// path (Config.RawCounters) all the same, on Prometheus 2.42 and 3.x.
// October 2026 at 30 s, six lines and Prometheus' self-scrape:
//
//   - line-b's exporter reloads on 10 and 20 October, and between the two
//     probes a second target (its ICMP counters and RTT buckets exist only
//     inside the month, at neither edge) — 2 % of its probes lost;
//   - line-f restarts on 12 October (a new start time: walked);
//   - the other four run all month with one configuration load before it.
//
// The series API asks for line-b and line-f only; line-b's loss and RTT
// percentiles count the second target (equal to the raw path's), which
// they would not if the reload were ignored. Over 22–30 October, after the
// reloads and the restart, nothing is looked up, the method says why, and
// the figures are still the raw path's.
func TestCounterDiscoveryNarrowed(t *testing.T) {
	p := calendar.MonthOf(time.Date(2026, 10, 15, 0, 0, 0, 0, report.Shanghai))
	from, to := p.Start.Add(-36*time.Hour), p.End.Add(36*time.Hour)
	reload1, reload2 := p.Start.Add(9*24*time.Hour+5*time.Hour+17*time.Second), p.Start.Add(19*24*time.Hour+3*time.Hour)
	const step = 30 * time.Second
	var lines []*simhistory.Entity
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		e := &simhistory.Entity{NS: metricnames.Line.Namespace, ProcessStart: from.Add(-24 * time.Hour),
			Labels: map[string]string{"line": "line-" + n, "kind": "leased", "provider": "中国联通", "site": "dc1"}}
		if n == "f" {
			e.Gaps = []simhistory.Window{{Start: p.Start.Add(11*24*time.Hour + 7*time.Hour), End: p.Start.Add(11*24*time.Hour + 7*time.Hour + 10*time.Minute)}}
		}
		lines = append(lines, e)
	}
	caps := []float64{2e8, 2e8, 2e8, 2e8, 2e8, 2e8}
	var gauges []simhistory.Gauge
	for _, g := range simhistory.LineGauges(lines, caps) {
		if g.Name == metricnames.LineConfigLoad && g.Labels["line"] == "line-b" {
			b := lines[1]
			g.Value = func(t time.Time) float64 {
				switch {
				case !t.Before(reload2):
					return float64(reload2.Unix())
				case !t.Before(reload1):
					return float64(reload1.Unix())
				}
				return float64(b.ProcessStart.Unix())
			}
		}
		gauges = append(gauges, g)
	}
	gauges = append(gauges, simhistory.PrometheusSelf(from))
	main := simhistory.Spec{From: from, To: to, Step: step, Entities: lines, Gauges: gauges}
	// line-b's second target, from the first reload to the second.
	tl := map[string]string{"target": "192.0.2.99"}
	for k, v := range lines[1].Labels {
		tl[k] = v
	}
	probes := func(t time.Time) float64 { return math.Floor(t.Sub(reload1).Seconds()) }
	replies := func(t time.Time) float64 { s := probes(t); return s - math.Floor(s/50) }
	second := []simhistory.Gauge{
		{Name: metricnames.LineICMPProbes, Labels: tl, Value: probes},
		{Name: metricnames.LineICMPReplies, Labels: tl, Value: replies},
	}
	for _, b := range simhistory.RTTFractions {
		f := b.F / 2 // slower than the first target
		l := map[string]string{"le": strconv.FormatFloat(b.LE, 'g', -1, 64)}
		for k, v := range tl {
			l[k] = v
		}
		second = append(second, simhistory.Gauge{Name: metricnames.LineICMPRTTBucket, Labels: l, Value: func(t time.Time) float64 { return math.Floor(replies(t) * f) }})
	}
	mid := simhistory.Spec{From: reload1, To: reload2, Step: step, Gauges: second}

	backends := map[string]string{"2.42": testutil.Need(t, "prometheus")}
	backends["3.x"], _ = testutil.Prom3(t)
	for name, bin := range backends {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			data := blocksData(t, main, mid)
			pr := testenv.StartPrometheusProc(t, bin, data, "--query.timeout=5m")
			q := promapi.New(pr.URL)
			build := func(p calendar.Period, raw bool) *report.Document {
				cfg := report.DefaultConfig()
				cfg.Now = func() time.Time { return to }
				cfg.RawCounters = raw
				d, err := report.Build(ctx, q, cfg, report.KindLines, p)
				if err != nil {
					t.Fatalf("%s raw=%v: %v", p, raw, err)
				}
				return d
			}
			// lookups are the counter series lookups of d; same holds
			// d's quality figures to raw's.
			lookups := func(d *report.Document) (l []string) {
				for _, a := range d.Audit.Queries {
					if strings.HasPrefix(a.PromQL, "series API: ") && strings.Contains(a.PromQL, metricnames.LineICMPProbes) {
						l = append(l, a.PromQL)
						if !strings.Contains(a.Purpose, "may have begun and ended inside the period") {
							t.Errorf("lookup %q: purpose %q", a.PromQL, a.Purpose)
						}
					}
				}
				return l
			}
			same := func(d, raw *report.Document) {
				if len(d.Entities) != 6 || len(raw.Entities) != 6 {
					t.Fatalf("%s: %d entities, raw %d", d.Month, len(d.Entities), len(raw.Entities))
				}
				for i, e := range d.Entities {
					re := raw.Entities[i]
					for _, k := range []string{"loss", "rtt_p50", "rtt_p95", "rtt_p99", "bgp_flaps"} {
						v, ok := e.Extra[k]
						rv, rok := re.Extra[k]
						if ok != rok || math.Abs(v-rv) > 1e-9*math.Max(1, math.Abs(rv)) {
							t.Errorf("%s %s %s: %v (%v), raw path %v (%v)", d.Month, e.Name, k, v, ok, rv, rok)
						}
					}
				}
			}
			d, raw := build(p, false), build(p, true)
			if l := lookups(d); len(l) != 1 || !strings.Contains(l[0], `line=~"line-b|line-f"`) {
				t.Errorf("counter series looked up over the month: %q, want one lookup of line-b and line-f", l)
			}
			same(d, raw)
			// line-b's loss counts the second target: between its 0.1 %
			// and the second target's 2 %.
			if b := d.Entities[1]; b.Name != "line-b" || b.Extra["loss"] <= 0.0011 || b.Extra["loss"] >= 0.02 {
				t.Errorf("%s loss %v: the second target's probes are not in it", b.Name, b.Extra["loss"])
			}
			if a := d.Entities[0]; math.Abs(a.Extra["loss"]-0.001) > 0.0001 {
				t.Errorf("%s loss %v, want 0.1 %%", a.Name, a.Extra["loss"])
			}
			// After the second reload and the restart every line is
			// steady: no lookup at all, and the method says why.
			late, err := calendar.Range(p.Start.Add(21*24*time.Hour), p.Start.Add(30*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			d, raw = build(late, false), build(late, true)
			if l := lookups(d); len(l) != 0 {
				t.Errorf("%s: counter series looked up: %q, want none", late, l)
			}
			said := false
			for _, m := range d.Audit.Method {
				said = said || strings.Contains(m, "计数器序列未逐一查找全期")
			}
			if !said {
				t.Errorf("%s: the method does not say why the counter series were not looked up: %q", late, d.Audit.Method)
			}
			same(d, raw)
		})
	}
}
