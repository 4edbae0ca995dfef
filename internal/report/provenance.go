package report

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/version"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// Provenance (issue 17, items 6–8): every document records which backend
// answered (kind and version), how that backend bounds range selectors, each
// query with its evaluation time (Audit.Queries), and the caveats a reader
// needs to judge the figures: scrape gaps longer than two intervals per
// entity, series that start or end inside the period, counter resets and the
// period-edge error bound (docs/metrics.md §"Period edges").

// Backend identifies the Prometheus-compatible backend a document was built
// from.
type Backend struct {
	// Kind is "Prometheus", "VictoriaMetrics" or "unknown" (the querier
	// could not tell: a test double, a proxy hiding the status API).
	Kind string `json:"kind"`
	// Version as the backend reports it; "" when it reports none (a
	// Prometheus built with `go install` stamps no version; Debian's
	// VictoriaMetrics 1.79 answers buildinfo with no data).
	Version   string `json:"version"`
	Revision  string `json:"revision,omitempty"`
	GoVersion string `json:"goVersion,omitempty"`
	// Source says where the identification came from.
	Source string `json:"source,omitempty"`
	// RangeSelectors is the range-selector boundary semantics measured on
	// the backend itself (rangeProbe): "closed" ([t−d, t], Prometheus 2),
	// "left-open" ((t−d, t], Prometheus 3, VictoriaMetrics), or "" when not
	// measured (no gauge figure needed it).
	RangeSelectors string `json:"rangeSelectors,omitempty"`
}

// BackendInfoer is implemented by queriers that can say which backend they
// talk to (promapi.Client: /api/v1/status/buildinfo, else /metrics).
type BackendInfoer interface {
	BackendInfo(ctx context.Context) (Backend, error)
}

// Range-selector semantics.
const (
	RangeClosed   = "closed"
	RangeLeftOpen = "left-open"
)

// rangeProbeExpr counts the points of a subquery whose window is exactly
// two steps long at a step-aligned instant: 3 points on a backend whose
// windows are closed on the left ([t−d, t]: Prometheus 2.x), 2 where they are
// left-open ((t−d, t]: Prometheus 3.x, VictoriaMetrics). It needs no data.
const rangeProbeExpr = "count_over_time(vector(1)[120s:60s] %s)"

// rangeSemantics measures (once per run) how the backend bounds range
// selectors. A backend that answers neither 3 nor 2 gets a caveat and the
// semantics its kind and version imply (left-open when unknown).
func (r *run) rangeSemantics() string {
	r.rangeOnce.Do(func() {
		t := r.end().Truncate(time.Minute)
		res, err := r.query("range-selector boundary probe (3: closed [t−d, t], Prometheus 2; 2: left-open (t−d, t], Prometheus 3 / VictoriaMetrics)",
			fmt.Sprintf(rangeProbeExpr, at(t)), t)
		switch {
		case err == nil && len(res) == 1 && len(res[0].Points) == 1 && res[0].Points[0].V == 3:
			r.rangeSem = RangeClosed
		case err == nil && len(res) == 1 && len(res[0].Points) == 1 && res[0].Points[0].V == 2:
			r.rangeSem = RangeLeftOpen
		default:
			r.rangeSem = RangeLeftOpen
			b := r.backendInfo()
			if b.Kind == "Prometheus" && strings.HasPrefix(b.Version, "2.") {
				r.rangeSem = RangeClosed
			}
			r.caveat(r.tr(fmt.Sprintf("后端的区间选择器边界语义无法测定（探测查询未给出 2 或 3），按%s处理；温湿度等量值的月界样本可能多算或漏算一个。", semZH(r.rangeSem)),
				fmt.Sprintf("The backend's range-selector boundary semantics could not be measured (the probe answered neither 2 nor 3); %s was assumed, so gauge figures may include or miss one sample at a period edge.", r.rangeSem)))
		}
	})
	return r.rangeSem
}

func semZH(s string) string {
	if s == RangeClosed {
		return "两端闭区间 [t−d, t]（Prometheus 2）"
	}
	return "左开区间 (t−d, t]（Prometheus 3、VictoriaMetrics）"
}

// gaugeWindow is window over the period [start, end): the next period's
// first sample (at end) is never read; a sample exactly at start always is.
func (r *run) gaugeWindow() (rng, atMod string) { return r.window(r.start(), r.end()) }

// backendInfo asks the querier once which backend it is.
func (r *run) backendInfo() Backend {
	r.backendOnce.Do(func() {
		r.backend = Backend{Kind: "unknown"}
		bi, ok := r.q.(BackendInfoer)
		if !ok {
			r.backend.Source = "the querier does not identify its backend"
			return
		}
		ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
		defer cancel()
		b, err := bi.BackendInfo(ctx)
		if err != nil {
			r.backend.Source = "identification failed: " + err.Error()
			return
		}
		r.backend = b
	})
	return r.backend
}

// provenance completes the audit of d: the backend, its range semantics
// and the caveats gathered while building (period edges, resets, gaps,
// series that start or end inside the period), in a stable order.
func (r *run) provenance(d *Document) {
	b := r.backendInfo()
	r.mu.Lock()
	b.RangeSelectors = r.rangeSem
	r.mu.Unlock()
	d.Audit.Backend = &b
	if b.Kind == "unknown" {
		r.caveat(r.tr("无法识别后端类型与版本（"+b.Source+"）。", "The backend's kind and version could not be identified ("+b.Source+")."))
	}
	for _, e := range d.Entities {
		// The entity as the document names it: its kind's wording and its
		// name (线路 cm-bgp-2 / line cm-bgp-2), never the raw namespace code.
		who := r.term(e.NS) + " " + e.Name
		resets := 0
		for _, c := range e.Counters {
			resets = max(resets, c.Resets)
		}
		if resets > 0 {
			r.caveat(r.tr(fmt.Sprintf("%s：本期计数器重置 %d 次（采集程序重启），增量按各生命周期分段求和。", who, resets),
				fmt.Sprintf("%s: %s in the period (exporter %s); increases summed over the lifetimes.", who,
					docfmt.Count(resets, "counter reset", "counter resets"), docfmt.Noun(resets, "restart", "restarts"))))
		}
		if listed := 2 * len(e.Incidents); e.StateChanges > float64(listed)+0.5 {
			// Each listed incident accounts for at most two confirmed
			// changes (down, up): more changes mean an outage no scrape saw
			// down (between two scrapes, or hidden by an unknown spell).
			changes := int(math.Round(e.StateChanges))
			r.caveat(r.tr(fmt.Sprintf("%s：本期确认状态变化 %d 次，多于所列 %d 起事件可解释的 %d 次：有采集未见到的短时故障（发生在两次采集之间），其停机时间已计入停机计数器。", who, changes, len(e.Incidents), listed),
				fmt.Sprintf("%s: %s in the period, more than the %d that %s can explain: an outage no scrape saw (between two scrapes); its down time is in the down counters.", who,
					docfmt.Count(changes, "confirmed state change", "confirmed state changes"), listed, docfmt.Count(len(e.Incidents), "listed incident", "listed incidents"))))
		}
		if e.StartsInside {
			r.caveat(r.tr(fmt.Sprintf("%s：序列始于期间内（期初前 %s 内无样本），此前为未知时间。", who, r.dur(edgeWindow.Seconds())),
				fmt.Sprintf("%s: the series starts inside the period (no sample in the %s before its start); the time before is unknown.", who, r.dur(edgeWindow.Seconds()))))
		}
		if e.EndsInside {
			r.caveat(r.tr(fmt.Sprintf("%s：序列止于期间内（期末前 %s 内无样本），此后为未知时间。", who, r.dur(edgeWindow.Seconds())),
				fmt.Sprintf("%s: the series ends inside the period (no sample in the %s before its end); the time after is unknown.", who, r.dur(edgeWindow.Seconds()))))
		}
		if e.EdgeBoundSeconds > 0 {
			r.caveat(r.tr(fmt.Sprintf("%s：跨越期间边界的采集内状态发生变化，停机与观测时间的边界误差 ≤ %s 秒。", who, num(e.EdgeBoundSeconds, 1)),
				fmt.Sprintf("%s: the state changed within a scrape straddling a period edge; down and observed time are exact to ≤ %s s there.", who, num(e.EdgeBoundSeconds, 1))))
		}
	}
	r.mu.Lock()
	cv := append([]string(nil), r.caveats...)
	r.mu.Unlock()
	sort.Strings(cv)
	d.Audit.Caveats = cv
	d.Audit.Method = append(d.Audit.Method,
		r.tr("期间边界：月初、月末各读取边界前后的原始样本；跨边界的采集内状态未变（各计数器增长 0 或 1 s/s、状态变化次数与启动时间不变）时按两样本线性插值到边界时刻，误差 ≤ 1 s；状态有变化时仍插值，并在注意事项中列出剩余误差界。",
			"Period edges: the raw samples around each edge are read; where the state did not change within the straddling scrape (every counter grew by 0 or 1 s/s, state changes and start time unchanged) the counters are interpolated linearly to the edge instant (exact to ≤ 1 s); where it changed they are still interpolated and the remaining bound is listed in the caveats."),
		r.tr("量值（温湿度、UPS 负载与后备时间）取半开区间 [月初, 月末) 内的样本：在月末前 1 ms 求值，区间长度按后端实测的边界语义确定，因此次月首个样本不计入，三种后端结果一致。",
			"Gauges (temperature, humidity, UPS load and runtime) read the samples in the half-open period [start, end): evaluated 1 ms before the end over a range sized by the backend's measured boundary semantics, so the next period's first sample is never included, identically on all three backends."))
	if b.Kind != "" {
		v := b.Version
		if v == "" {
			v = r.tr("未报告版本", "no version reported")
		}
		line := fmt.Sprintf("%s %s", b.Kind, v)
		if b.GoVersion != "" {
			line += " (" + b.GoVersion + ")"
		}
		if b.RangeSelectors != "" {
			line += r.tr("；区间选择器："+semZH(b.RangeSelectors), "; range selectors: "+b.RangeSelectors)
		}
		d.Audit.Method = append(d.Audit.Method, r.tr("数据来源（后端）：", "Backend: ")+line)
	}
	d.Audit.Method = append(d.Audit.Method, r.tr("生成程序：", "Generated by: ")+generator(r.cfg.Lang))
}

// generator is the version and revision of the binary that built the
// document (stamped by `make build` with -ldflags into
// prometheus/common/version, issue 24 item 3) in lang: jianguan 0.24.0
// （修订号 2dbdfb8c） / jianguan 0.24.0 (revision 2dbdfb8c); unstamped (go
// test, go run) says so instead of leaving them empty.
func generator(lang docfmt.Lang) string {
	v, rev := version.Version, version.Revision
	unstamped := tr(lang, "未标注", "not stamped")
	if v == "" {
		v = unstamped
	}
	if rev == "" {
		rev = unstamped
	}
	return tr(lang, fmt.Sprintf("jianguan %s（修订号 %s）", v, rev), fmt.Sprintf("jianguan %s (revision %s)", v, rev))
}

// edgeWindow is how far around a period edge the raw samples are read for
// the interpolation: scrape intervals up to 5 min (the instant queries'
// lookback) are covered.
const edgeWindow = 5 * time.Minute

// edgeNarrow is the first read around a period edge: at scrape intervals
// of up to a minute it holds the scrapes on both sides of the edge with a
// fifth of edgeWindow's samples. An entity without both in it is read again
// over edgeWindow, so every pair is the one edgeWindow gives: the last
// scrape at or before the edge is the last of the narrow window when there
// is one there, and the first after it the first.
const edgeNarrow = time.Minute

// edgePair are an entity's scrapes around an edge that carry every
// counter: the last at or before it and the first after it, within the
// window read (nil: none).
type edgePair struct{ before, after *scrape }

// edgePairs finds each entity's edgePair around edge e (unix ms) in the
// scrapes sc of a read of ±w.
func edgePairs(sc map[string][]scrape, e int64, names []string, w time.Duration) map[string]edgePair {
	m := make(map[string]edgePair, len(sc))
	for k, l := range sc {
		before, after := -1, -1
		for j := range l {
			x := &l[j]
			if x.t <= e && x.t > e-w.Milliseconds() && x.has(names) {
				before = j
			}
			if x.t > e && x.t <= e+w.Milliseconds() && x.has(names) && after < 0 {
				after = j
			}
		}
		// Copies: a pair (shared.go keeps them for the next month) does
		// not hold the read's other scrapes.
		var p edgePair
		if before >= 0 {
			x := l[before]
			p.before = &x
		}
		if after >= 0 {
			x := l[after]
			p.after = &x
		}
		m[k] = p
	}
	return m
}

// edgeTolerance: a counter grew "by 0 or 1 s/s" between two scrapes when its
// growth is within this of 0 or of the scrapes' distance (exporter and
// Prometheus timestamps differ by the collection time).
const edgeTolerance = 1.0

// edgeInterpolate corrects the counters of every entity at both period
// edges. The increases so far use the last sample at or before each edge;
// the counter's growth from that sample to the edge itself is interpolated
// from the first sample after the edge (same lifetime only), so
// Δ = v(end) − v(start) to ≤ 1 s in a steady state. Where the state changed
// inside the straddling scrape the error bound of the down counters is
// recorded on the entity (EdgeBoundSeconds).
func (r *run) edgeInterpolate(f family, names []string, counters map[string]map[string]Counter, labels map[string]map[string]string) (map[string]float64, map[string][2]bool, error) {
	if len(counters) == 0 {
		return nil, nil, nil
	}
	sig := append(append([]string{}, names...), f.started, f.up, f.unknownGauge, f.lastChange, f.inMaintenance()) // f.edgeRawNames() for the availability's names
	edges := []time.Time{r.start(), r.end()}
	pairs := make([]map[string]edgePair, len(edges))
	var fns []func() error
	for i, edge := range edges {
		fns = append(fns, func() error {
			purpose := "period edge: raw samples around " + edge.UTC().Format(time.RFC3339) + " (interpolation to the edge)"
			read := func(w time.Duration, nameLabel string, vals []string) (map[string]edgePair, error) {
				// Where two periods meet, both read the same samples and
				// find the same pairs (shared.go; sig is names' family's).
				return shared(r, edgeKey("raw "+r.sel, sig, nameLabel, vals, edge.Add(-w), edge.Add(w)), purpose, func(rr *run) (map[string]edgePair, error) {
					sc, _, err := rr.raw(purpose, sig, nameLabel, vals, edge.Add(-w), edge.Add(w))
					return edgePairs(sc, edge.UnixMilli(), names, w), err
				})
			}
			var (
				a   *edgeAnswer
				m   map[string]edgePair
				err error
			)
			if slices.Equal(names, f.availCounters()) {
				a, err = r.edgeRead(f, edge)
			}
			switch {
			case err != nil:
				return err
			case a != nil:
				m = a.pairs // the edge's one read (edgeread.go)
			default:
				if m, err = read(edgeNarrow, "", nil); err != nil {
					return err
				}
			}
			// Entities without both scrapes in the narrow read: again over
			// edgeWindow (by name; only their pairs are taken).
			var again []string
			seen := map[string]bool{}
			for k := range counters {
				if p := m[k]; p.before == nil || p.after == nil {
					if n := labels[k][f.nameLabel]; !seen[n] {
						seen[n] = true
						again = append(again, n)
					}
				}
			}
			if len(again) > 0 {
				label := f.nameLabel
				if 2*len(again) > len(counters) { // most of them (slower scrapes, an edge not yet passed): all, unfiltered
					label, again = "", nil
				}
				wide, err := read(edgeWindow, label, again)
				if err != nil {
					return err
				}
				m = maps.Clone(m) // the narrow read's pairs are shared: taken, not changed
				for k := range counters {
					if p := m[k]; p.before == nil || p.after == nil {
						m[k] = wide[k]
					}
				}
			}
			r.mu.Lock()
			pairs[i] = m
			r.mu.Unlock()
			return nil
		})
	}
	if err := r.parallel(fns...); err != nil {
		return nil, nil, err
	}
	// missing[k]: no sample of k within edgeWindow before the start edge
	// (the series starts inside the period) / before the end edge (it ends
	// inside the period; only once the end is edgeWindow past).
	missing := map[string][2]bool{}
	ended := !r.cfg.Now().Before(r.end().Add(edgeWindow))
	for k := range counters {
		missing[k] = [2]bool{pairs[0][k].before == nil, ended && pairs[1][k].before == nil}
	}
	bounded := []string{f.observed, f.down, f.maintDown} // the counters the verdict reads
	bounds := map[string]float64{}
	for k, cs := range counters {
		bound := 0.0
		for ei, edge := range edges {
			p, ok := pairs[ei][k]
			if !ok || p.before == nil || p.after == nil {
				continue
			}
			b, a := p.before, p.after
			if sb, sa := b.vals[f.started], a.vals[f.started]; sb != sa {
				continue // a restart between the two: the later lifetime's value is what was counted
			}
			dt := float64(a.t-b.t) / 1e3
			before := float64(edge.UnixMilli()-b.t) / 1e3
			frac := before / dt
			steady := b.vals[f.changes] == a.vals[f.changes] && b.vals[f.up] == a.vals[f.up] && b.vals[f.unknownGauge] == a.vals[f.unknownGauge]
			for _, n := range names {
				if g := a.vals[n] - b.vals[n]; g < 0 || n != f.changes && math.Abs(g) > edgeTolerance && math.Abs(g-dt) > edgeTolerance {
					steady = false
				}
			}
			// One confirmed change between the two scrapes at the instant
			// the exporter published (NS_last_change_timestamp_seconds):
			// every time counter grows at its rate of the earlier state
			// up to that instant and at the later state's after it.
			lc := a.vals[f.lastChange] - float64(b.t)/1e3 // the change, seconds after b
			one := !steady && a.vals[f.changes]-b.vals[f.changes] == 1 && lc > 0 && lc <= dt &&
				b.vals[f.unknownGauge] == 0 && a.vals[f.unknownGauge] == 0 && b.vals[f.up] != a.vals[f.up]
			growth := map[string]float64{}
			edgeB := 0.0
			for _, n := range names {
				g := a.vals[n] - b.vals[n]
				if g < 0 {
					continue
				}
				growth[n] = g * frac
				if steady {
					continue
				}
				if n == f.changes {
					growth[n] = 0
					if one && lc <= before {
						growth[n] = g
					}
					continue
				}
				if one {
					r1, r2 := edgeRate(f, n, b), edgeRate(f, n, a)
					if r1 >= 0 && r2 >= 0 && math.Abs(r1*lc+r2*(dt-lc)-g) <= edgeTolerance {
						growth[n] = r1*math.Min(before, lc) + r2*math.Max(0, before-lc)
						continue
					}
				}
				for _, bn := range bounded { // no exact rule: interpolated, with its bound
					if n == bn && g > 0 {
						lo, hi := math.Max(0, g-(dt-before)), math.Min(g, before)
						edgeB = math.Max(edgeB, math.Max(growth[n]-lo, hi-growth[n])) // the largest of the counters' bounds at this edge
					}
				}
			}
			bound += edgeB
			for n, add := range growth {
				c, ok := cs[n]
				if !ok {
					continue
				}
				if ei == 0 { // growth before the start edge is not in the period
					c.Delta -= add
					c.Start += add
				} else {
					c.Delta += add
					c.End += add
				}
				c.EdgeInterpolated += add
				cs[n] = c
			}
		}
		if bound > 0 {
			bounds[k] = bound
		}
	}
	return bounds, missing, nil
}

// coverageCaveats lists, for one entity's raw state samples ss (oldest
// first, those incident reconstruction read: every day with a change, a
// missing scrape beyond 1 % of the day's, or a period edge), the scrape gaps
// longer than two intervals inside the period. (Series that start or end
// inside the period: edgeInterpolate.)
func (r *run) coverageCaveats(f family, name string, ss []stateSample, iv time.Duration) {
	if len(ss) == 0 {
		return
	}
	maxGap := 2 * iv
	s, e := r.start(), r.end()
	var n int
	var total, longest time.Duration
	for i := 1; i < len(ss); i++ {
		a, b := ss[i-1].T, ss[i].T
		if ss[i].Cont || b.Sub(a) <= maxGap || !b.After(s) || !a.Before(e) {
			continue
		}
		if a.Before(s) {
			a = s
		}
		if b.After(e) {
			b = e
		}
		n++
		total += b.Sub(a)
		longest = max(longest, b.Sub(a))
	}
	if n > 0 {
		who := r.term(f.ns) + " " + name
		r.caveat(r.tr(fmt.Sprintf("%s：%d 处采集空缺超过 2 个采集间隔（%s），合计 %s，最长 %s，计为未知时间。", who, n, r.dur(iv.Seconds()), r.dur(total.Seconds()), r.dur(longest.Seconds())),
			fmt.Sprintf("%s: %s longer than 2 scrape intervals (%s), %s in all, longest %s, counted as unknown.", who,
				docfmt.Count(n, "scrape gap", "scrape gaps"), r.dur(iv.Seconds()), r.dur(total.Seconds()), r.dur(longest.Seconds()))))
	}
}

// edgeRate is how fast time counter n grows in the state of sample x
// (1 or 0 s/s), or −1 when the state does not say (maintenance counters).
func edgeRate(f family, n string, x *scrape) float64 {
	known := x.vals[f.unknownGauge] == 0
	down := known && x.vals[f.up] == 0
	maint := x.vals[f.inMaintenance()] == 1
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	switch n {
	case f.observed:
		return b(known)
	case f.down:
		if _, ok := x.vals[f.inMaintenance()]; !ok {
			return b(down)
		}
		return b(down && !maint)
	case f.maintDown:
		return b(down && maint)
	}
	return -1
}
