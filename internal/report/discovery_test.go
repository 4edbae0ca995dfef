package report

import (
	"reflect"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/metricnames"
)

// TestToDiscover: which lines' counter series are looked up over the
// period. A line is left out only when its start time is the same at both
// edges and not after the start, it has one label set in the period, its
// exporter's configuration loads (labels a subset of the line's) and
// Prometheus' are the same at both edges and not after the start, and no
// counter series of it at the start edge is missing at the end. Anything
// that cannot be proved — no Prometheus self-scrape, no exporter series,
// RawCounters, DiscoverAll — discovers every line.
func TestToDiscover(t *testing.T) {
	f := familyFor(metricnames.Line.Namespace)
	p := calendar.MonthOf(time.Date(2026, 10, 15, 0, 0, 0, 0, Shanghai))
	S := float64(p.Start.Unix())
	before, inside := S-86400, S+9*86400
	lines := []string{"a", "b", "c", "d", "e", "f"}
	lbl := func(l string) map[string]string {
		return map[string]string{"line": l, "job": "lines", "instance": "x:9811"}
	}
	key := func(l, target string) string { return labelKey(map[string]string{"line": l, "target": target}) }
	type world struct {
		loads      [2][]configLoad
		keys       map[string]int
		st         [2]map[string]float64
		goneTarget string // a line whose target series is at the start edge only
		raw, all   bool
	}
	prom := func(v0, v1 float64) [2][]configLoad {
		l := map[string]string{"job": "prometheus"}
		return [2][]configLoad{{{metricnames.PrometheusConfigLoad, l, v0}}, {{metricnames.PrometheusConfigLoad, l, v1}}}
	}
	exporter := func(w *world, line string, v0, v1 float64) { // one exporter per line, labelled by it
		l := map[string]string{"line": line}
		w.loads[0] = append(w.loads[0], configLoad{metricnames.LineConfigLoad, l, v0})
		w.loads[1] = append(w.loads[1], configLoad{metricnames.LineConfigLoad, l, v1})
	}
	steady := func() world {
		w := world{loads: prom(before, before), keys: map[string]int{}, st: [2]map[string]float64{{}, {}}}
		for _, l := range lines {
			w.keys[l] = 1
			w.st[0][l], w.st[1][l] = before, before
			exporter(&w, l, before, before)
		}
		return w
	}
	cases := []struct {
		name string
		edit func(w *world)
		want []string
		all  bool
	}{
		{"all steady", func(*world) {}, nil, false},
		{"an exporter reloaded inside", func(w *world) { w.loads[1][3].v = inside }, []string{"c"}, false},
		{"an exporter loaded after the start but before the end edge sample", func(w *world) {
			w.loads[0][2].v, w.loads[1][2].v = S+1, S+1
		}, []string{"b"}, false},
		{"an exporter's series missing at the start", func(w *world) { w.loads[0] = append(w.loads[0][:1], w.loads[0][2:]...) }, []string{"a"}, false},
		{"restarted", func(w *world) { w.st[1]["d"] = inside }, []string{"d"}, false},
		{"started inside the period", func(w *world) { delete(w.st[0], "e"); w.st[1]["e"] = inside }, []string{"e"}, false},
		{"ended inside the period", func(w *world) { delete(w.st[1], "f") }, []string{"f"}, false},
		{"two label sets in the period", func(w *world) { w.keys["a"] = 2 }, []string{"a"}, false},
		{"only in the period", func(w *world) { w.keys["g"] = 1 }, []string{"g"}, false},
		{"a target gone before the end", func(w *world) { w.goneTarget = "b" }, []string{"b"}, false},
		{"two of six: looked up by name", func(w *world) { w.keys["a"], w.st[1]["b"] = 2, inside }, []string{"a", "b"}, false},
		{"four of six: all", func(w *world) {
			for _, l := range lines[:4] {
				w.keys[l] = 2
			}
		}, nil, true},
		{"Prometheus reloaded inside", func(w *world) { w.loads[1][0].v = inside }, nil, true},
		{"no Prometheus self-scrape", func(w *world) { w.loads[0], w.loads[1] = w.loads[0][1:], w.loads[1][1:] }, nil, true},
		{"an exporter serving all lines, steady", func(w *world) {
			w.loads = prom(before, before)
			l := map[string]string{"job": "lines", "instance": "x:9811"}
			w.loads[0] = append(w.loads[0], configLoad{metricnames.LineConfigLoad, l, before})
			w.loads[1] = append(w.loads[1], configLoad{metricnames.LineConfigLoad, l, before})
		}, nil, false},
		{"an exporter serving all lines, reloaded", func(w *world) {
			w.loads = prom(before, before)
			l := map[string]string{"job": "lines", "instance": "x:9811"}
			w.loads[0] = append(w.loads[0], configLoad{metricnames.LineConfigLoad, l, before})
			w.loads[1] = append(w.loads[1], configLoad{metricnames.LineConfigLoad, l, inside})
		}, nil, true},
		{"another instance's exporter reloaded", func(w *world) {
			l := map[string]string{"job": "lines", "instance": "y:9811"}
			w.loads[0] = append(w.loads[0], configLoad{metricnames.LineConfigLoad, l, before})
			w.loads[1] = append(w.loads[1], configLoad{metricnames.LineConfigLoad, l, inside})
		}, nil, false},
		{"no exporter series", func(w *world) { w.loads = prom(before, before) }, nil, true},
		{"RawCounters", func(w *world) { w.raw = true }, nil, true},
		{"DiscoverAll", func(w *world) { w.all = true }, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := steady()
			tc.edit(&w)
			ce := &counterEdges{endV: map[string]scrape{}, startV: map[string]scrape{}, labels: map[string]map[string]string{}, loads: w.loads}
			entLabels := map[string]map[string]string{}
			for e, m := range []map[string]scrape{ce.startV, ce.endV} {
				for l := range w.st[e] {
					k := key(l, "192.0.2.1")
					m[k] = scrape{vals: map[string]float64{mICMPProbes: 1}}
					ce.labels[k] = map[string]string{"line": l, "target": "192.0.2.1"}
					if e == 1 {
						entLabels[l] = lbl(l)
					}
				}
			}
			if w.goneTarget != "" {
				k := key(w.goneTarget, "192.0.2.9")
				ce.startV[k] = scrape{vals: map[string]float64{mICMPProbes: 1}}
				ce.labels[k] = map[string]string{"line": w.goneTarget, "target": "192.0.2.9"}
			}
			r := &run{month: p}
			r.cfg.RawCounters, r.cfg.DiscoverAll = w.raw, w.all
			got, all := r.toDiscover(f, ce, w.keys, w.st[0], w.st[1], entLabels)
			if all != tc.all || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("discover %v (all %v), want %v (all %v)", got, all, tc.want, tc.all)
			}
		})
	}
}
