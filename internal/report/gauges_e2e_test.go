package report_test

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/metricnames"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestRecordedGaugesMatchRaw: the room gauges' minimum, maximum and mean
// over a period read from the recorded hourly aggregates (and the raw
// samples around them) equal those read from the raw samples alone
// (Config.RawGauges), on Prometheus 2.42 (closed ranges: the samples
// exactly on the hour are in two windows, and at_eval takes them out of
// one) and 3.x (left-open). The history: three racks, two temperature
// sensors and a humidity sensor at 15 s, most on the hour's grid, one
// sensor 7 s off it, one rack unscraped for 3 h 10 min (with the
// exporter's condition); the rules
// back-filled with a 6-hour hole (evaluations missed). Two periods: whole
// Beijing days (an evaluation exactly at the period's start), and one
// starting and ending inside an hour across the hole.
func TestRecordedGaugesMatchRaw(t *testing.T) {
	p0 := time.Date(2026, 10, 1, 0, 0, 0, 0, report.Shanghai)
	from, to := p0.Add(-2*time.Hour), p0.Add(76*time.Hour)
	room := map[string]string{"site": "dc1", "room": "A101"}
	lab := func(extra ...string) map[string]string {
		l := map[string]string{}
		for k, v := range room {
			l[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			l[extra[i]] = extra[i+1]
		}
		return l
	}
	wave := func(base, amp, period float64, jitter int64) func(time.Time) float64 {
		return func(t time.Time) float64 {
			s := float64(t.Unix())
			return base + amp*math.Sin(s/period) + float64(t.Unix()%jitter)/10
		}
	}
	// the room's env_exporter, a condition of its own (the report needs one)
	cut := &simhistory.Entity{NS: metricnames.EnvCondition.Namespace, Labels: lab("device", "th-1", "condition", "temperature_out_of_band"), ProcessStart: from.Add(-24 * time.Hour),
		Unscraped: []simhistory.Window{{Start: p0.Add(30*time.Hour + 10*time.Minute), End: p0.Add(33*time.Hour + 20*time.Minute)}}}
	onGrid := simhistory.Spec{From: from, To: to, Step: 15 * time.Second, Entities: []*simhistory.Entity{cut}, Gauges: []simhistory.Gauge{
		{Name: metricnames.EnvRackPowerWatts, Labels: lab("rack", "A01"), Value: wave(3000, 800, 3700, 97)},
		{Name: metricnames.EnvRackPowerWatts, Labels: lab("rack", "A02"), Value: wave(4200, 900, 5100, 89)},
		{Name: metricnames.EnvRackPowerWatts, Labels: lab("rack", "A03"), Value: wave(2500, 1500, 2900, 83), Of: cut},
		{Name: metricnames.EnvTemperatureCelsius, Labels: lab("sensor", "th-1", "role", "room"), Value: wave(23.5, 2.5, 6100, 13)},
		{Name: metricnames.EnvHumidityRatio, Labels: lab("sensor", "th-1", "role", "room"), Value: wave(0.45, 0.1, 4300, 7)},
	}}
	offGrid := simhistory.Spec{From: from.Add(7 * time.Second), To: to, Step: 15 * time.Second, Gauges: []simhistory.Gauge{
		{Name: metricnames.EnvTemperatureCelsius, Labels: lab("sensor", "th-2", "role", "inlet"), Value: wave(22, 3, 3300, 11)},
	}}
	// The rules: the marker and every hourly aggregate.
	records := []string{metricnames.GaugeRulesEvaluated}
	for _, m := range metricnames.RecordedGauges {
		for _, op := range []string{"min", "max", "sum", "count", "at_eval"} {
			records = append(records, metricnames.GaugeHourly(m, op))
		}
	}
	rf := filepath.Join(t.TempDir(), "gauges.yml")
	if n, err := simhistory.SelectRules("../../rules/recording.yml", []string{"jianguan.report"}, records, rf); err != nil || n != len(records) {
		t.Fatalf("selected %d rules of %d: %v", n, len(records), err)
	}
	whole, err := calendar.Range(p0, p0.Add(24*time.Hour)) // two whole days
	if err != nil {
		t.Fatal(err)
	}
	inside := calendar.Period{Kind: calendar.KindRange, Start: p0.Add(20*time.Minute + 3*time.Second), End: p0.Add(53*time.Hour + 17*time.Minute)}
	hole := [2]time.Time{p0.Add(40 * time.Hour), p0.Add(46 * time.Hour)}

	backends := map[string][2]string{}
	backends["2.42"] = [2]string{testutil.Need(t, "prometheus"), testutil.Need(t, "promtool")}
	p3, t3 := testutil.Prom3(t)
	backends["3.x"] = [2]string{p3, t3}
	for name, bin := range backends {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			data := blocksData(t, onGrid, offGrid)
			p := testenv.StartPrometheusProc(t, bin[0], data, "--query.timeout=5m")
			out := filepath.Join(t.TempDir(), "rules")
			for _, w := range [][2]time.Time{{from.Add(time.Hour), hole[0]}, {hole[1], to.Add(-time.Hour)}} {
				if err := simhistory.BackfillRules(ctx, bin[1], p.URL, []string{rf}, w[0], w[1], out); err != nil {
					t.Fatal(err)
				}
			}
			p.Terminate()
			if n, err := simhistory.MoveBlocks(out, data); err != nil || n == 0 {
				t.Fatalf("%d rule blocks moved: %v", n, err)
			}
			p.Restart(t)
			q := promapi.New(p.URL)
			// The infrastructure report says where its figures came from,
			// in one language.
			for _, lang := range []docfmt.Lang{docfmt.ZH, docfmt.EN} {
				cfg := report.DefaultConfig()
				cfg.Lang = lang
				d, err := report.Build(ctx, q, cfg, report.KindInfrastructure, whole)
				if err != nil {
					t.Fatal(err)
				}
				said := false
				for _, m := range d.Audit.Method {
					if strings.Contains(m, "逐小时记录") || strings.Contains(m, "hourly minimum, maximum, sum and count") {
						said = true
						if w := report.NoteProblems(lang, m, "Prometheus"); len(w) > 0 {
							t.Errorf("%s method %q: %q", lang, m, w)
						}
					}
				}
				if !said {
					t.Errorf("%s: the method does not say the gauges came from the recorded hours: %q", lang, d.Audit.Method)
				}
			}
			for _, per := range []calendar.Period{whole, inside} {
				for _, m := range metricnames.RecordedGauges {
					for _, fn := range []string{"min_over_time", "max_over_time", "avg_over_time"} {
						cfg := report.DefaultConfig()
						rec, audit, err := report.GaugeOver(ctx, q, cfg, per, fn, m)
						if err != nil {
							t.Fatal(err)
						}
						cfg.RawGauges = true
						raw, rawAudit, err := report.GaugeOver(ctx, q, cfg, per, fn, m)
						if err != nil {
							t.Fatal(err)
						}
						where := per.String() + " " + fn + "(" + m + ")"
						if len(raw) == 0 || len(rec) != len(raw) {
							t.Fatalf("%s: %d series recorded, %d raw", where, len(rec), len(raw))
						}
						for k, v := range raw {
							w, ok := rec[k]
							switch {
							case !ok:
								t.Errorf("%s %s: missing on the recorded path", where, k)
							case fn != "avg_over_time" && w != v, math.Abs(w-v) > 1e-12*math.Abs(v):
								t.Errorf("%s %s: recorded %.15g, raw %.15g", where, k, w, v)
							}
						}
						kinds, atEval := map[string]int{}, 0
						for _, a := range audit {
							for _, s := range []string{"recorded hourly", "raw samples", "exactly at the evaluations"} {
								if strings.Contains(a.Purpose, s) {
									kinds[s]++
								}
							}
							if strings.Contains(a.Purpose, "exactly at the evaluations") {
								atEval += a.Series
							}
						}
						// whole days: from an evaluation at the start (raw
						// for its first hour) to one at the end; inside:
						// raw edges and the hole; at_eval only where ranges
						// are closed, and on the hour's grid it is found.
						if kinds["recorded hourly"] == 0 || kinds["raw samples"] == 0 {
							t.Errorf("%s: recorded path's queries %v", where, kinds)
						}
						closed := name == "2.42"
						if (kinds["exactly at the evaluations"] > 0) != (closed && fn == "avg_over_time") {
							t.Errorf("%s: at_eval read %d times (closed ranges %v)", where, kinds["exactly at the evaluations"], closed)
						}
						if closed && fn == "avg_over_time" && atEval == 0 {
							t.Errorf("%s: no sample found exactly at an evaluation: the double count on closed ranges is not exercised", where)
						}
						for _, a := range rawAudit {
							if strings.Contains(a.PromQL, "env:") {
								t.Errorf("%s: RawGauges read a recorded series: %s", where, a.PromQL)
							}
						}
					}
				}
			}
		})
	}
}
