package report

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/metricnames"
)

// The lines' 95th-percentile traffic (issue 24 item 4).
//
// Definition: per line and direction, the 95th percentile of the traffic
// over 5 m (bit/s) sampled every 5 m over the period (the steps of a [R:5m]
// subquery), where the traffic over 5 m is the recording rule
// line:line_interface_bits:rate5m's expression (TrafficBitsRate5m: the
// counter difference over exactly 5 m, rate() only after a reset or for a
// series younger than 5 m; the busiest interface of the line); the highest
// of the line's series (max by line).
//
// Two paths compute it:
//   - recorded: quantile_over_time of the recorded series
//     line:line_interface_bits:rate5m_step5m (the rule's value at every
//     fifth minute: the 5 m steps' points as they are, no subquery), for
//     every line where the group's marker (metricnames.LineRulesEvaluated)
//     has a point for every minute of the period (every evaluation ran, so
//     a missing recorded point is a step without a raw 5 m rate as well);
//     without a complete marker, for the lines whose recorded series (every
//     one of them, that direction) has as many points in the period as it
//     has 5 m steps (the coverage check, in the same query); on 2.42's
//     closed ranges one point at the period's start counts too, so a single
//     missing step inside can pass, and the percentile is then of one point
//     fewer: the live bound below;
//   - raw: the rule's expression over the raw interface counters as the
//     subquery, for every other line (the rules came late, evaluations were
//     missed, the line began or ended in the period) and for all lines with
//     Config.RawTraffic.
//
// Where the recorded points are on the minute (rules back-filled with
// simhistory.BackfillRules) both paths read the same values at the same
// instants: identical figures (TestTrafficP95RecordedEqualsRaw). On a live
// server Prometheus evaluates the group at a fixed offset δ ∈ [0, 1 m) after
// each minute, so the recorded path's point for a 5 m step is the rule's
// value δ after it (δ = 0: at it): the same definition on a grid shifted by
// less than one evaluation interval, which moves the percentile only as far
// as the traffic changes within that minute.

// TrafficRuleInterval is the evaluation interval of the rules group
// jianguan.line (rules/recording.yml), which records
// metricnames.LineInterfaceBitsRate5m.
const TrafficRuleInterval = time.Minute

// TrafficBitsRate5m is the traffic over 5 m in bit/s of one direction's
// interface byte counter, selected by counter (a PromQL selector with its
// matchers, e.g. line_interface_receive_bytes_total{site="dc1"}), per line
// (max over its interfaces): the expression of the recording rule
// line:line_interface_bits:rate5m for that direction, which
// rules/recording.yml writes once per direction inside label_replace
// (TestTrafficRuleIsTheGoExpression holds the two to the same text).
func TrafficBitsRate5m(counter string) string {
	return fmt.Sprintf("max by (site, line, kind, provider) ((%[1]s - %[1]s offset 5m >= 0) / 300 or rate(%[1]s[5m])) * 8", counter)
}

// TrafficStep5m is the filter of the recording rule
// line:line_interface_bits:rate5m_step5m (metricnames.LineInterfaceBitsRate5mStep5m):
// the rule's value at the group's evaluations whose minute is a multiple of
// 5 (`expr and on() (TrafficStep5m)`; TestTrafficRuleIsTheGoExpression).
const TrafficStep5m = "minute() % 5 == 0"

// trafficDirections are the recorded series' direction labels and the raw
// counters they come from.
var trafficDirections = []struct{ key, direction, counter, en string }{
	{"rx_p95", "receive", metricnames.LineInterfaceReceiveBytes, "receive"},
	{"tx_p95", "transmit", metricnames.LineInterfaceTransmitBytes, "transmit"},
}

// markerLabel marks the series of the marker check in the recorded path's
// answer.
const markerLabel = "jianguan_rules"

// trafficP95 returns the P95 traffic per line (bit/s) of one direction
// (trafficDirections[i]) over the period: the recorded path for the lines
// it covers, the raw path for the others (see above).
func (r *run) trafficP95(i int) (map[string]float64, error) {
	d := trafficDirections[i]
	R, E := strings.TrimSuffix(r.rangeSel(), "]")+":5m]", at(r.end())
	out := map[string]float64{}
	put := func(res []Series) {
		for _, s := range res {
			if len(s.Points) > 0 {
				out[s.Labels["line"]] = s.Points[0].V
			}
		}
	}
	var covered []string
	rr, remote := r.q.(remoteReader)
	if !r.cfg.RawTraffic && remote {
		var read bool
		var err error
		covered, read, err = r.trafficP95Read(rr, d.direction, d.en, out)
		if err != nil {
			return nil, err
		}
		if read && covered == nil {
			return out, nil
		}
		remote = read
	}
	if !r.cfg.RawTraffic && !remote {
		x := r.recordedP95(d.direction)
		iv := int64(TrafficRuleInterval / time.Second)
		// Every line at once where the group's marker has a point for
		// every rule interval: each minute was evaluated, so a line's
		// missing recorded point is a step without a raw 5 m rate too
		// (a gap, a line that began or ended), and both paths skip it.
		// The marker's own series (labelled markerLabel) says the check
		// passed, also for a direction without any traffic series.
		res, err := r.query(fmt.Sprintf("95th percentile %s rate (bit/s) from the recorded %s for every line, if the rules group's marker %s has a point for every %d s of the period",
			d.en, metricnames.LineInterfaceBitsRate5mStep5m, metricnames.LineRulesEvaluated, iv),
			fmt.Sprintf("(%s and on() (%s)) or label_replace(%s, %q, \"complete\", \"\", \"\")",
				x.all, x.complete, x.complete, markerLabel), r.end())
		if err != nil {
			return nil, err
		}
		marked := false
		for _, s := range res {
			if s.Labels[markerLabel] != "" {
				marked = true
			} else if len(s.Points) > 0 {
				out[s.Labels["line"]] = s.Points[0].V
			}
		}
		if marked {
			return out, nil
		}
		// Coverage: a point for every 5 m step of the period
		// (count_over_time of the recorded series; timestamp() in a
		// subquery would be exact per step but takes minutes on 2.42 at
		// 400 lines: it seeks every series at every step).
		res, err = r.query(fmt.Sprintf("95th percentile %s rate (bit/s) from the recorded %s, for the lines whose every recorded series of this direction has a point for every 5 m step of the period (the rest: the raw path below); live, recorded points are up to one rule interval (%d s) after the 5 m step",
			d.en, metricnames.LineInterfaceBitsRate5mStep5m, iv), x.covered, r.end())
		if err != nil {
			return nil, err
		}
		put(res)
		for _, s := range res {
			if len(s.Points) > 0 {
				covered = append(covered, s.Labels["line"])
			}
		}
	}
	var extra []string
	purpose := fmt.Sprintf("95th percentile %s rate (bit/s) from the raw interface counters (the expression of %s at 5 m steps)", d.en, metricnames.LineInterfaceBitsRate5m)
	if len(covered) > 0 {
		extra = append(extra, "line!~"+RegexAlternation(covered))
		purpose += fmt.Sprintf(", for the lines the recorded series does not cover (%d covered)", len(covered))
	}
	res, err := r.query(purpose, fmt.Sprintf("max by (line) (quantile_over_time(0.95, (%s)%s %s))", TrafficBitsRate5m(r.selector(d.counter, extra...)), R, E), r.end())
	if err != nil {
		return nil, err
	}
	put(res)
	return out, nil
}

// trafficP95Read is the recorded path through the remote-read API: the
// recorded series' points in the period (the range selector's window on
// this backend: closed or left-open at the start) read as stored, and
// quantile_over_time(0.95) and max by (line) computed here as PromQL
// computes them (promQuantile), which spares Prometheus the sort of every
// series' 8 640 points (~1 s of its CPU per direction for 400 lines,
// issue 24). The marker check is the query API's. It fills out and
// returns the covered lines when the marker is incomplete (nil when it is
// complete: every line is the recorded path's); read is false when the
// querier has no remote read or the points are over its answer limit.
func (r *run) trafficP95Read(rr remoteReader, direction, en string, out map[string]float64) (covered []string, read bool, err error) {
	x := r.recordedP95(direction)
	iv := int64(TrafficRuleInterval / time.Second)
	keep := r.selectorWindow(r.start(), r.end())
	type line struct {
		p95      float64
		fewest   int
		captured bool
	}
	lines := map[string]*line{}
	var vals []float64
	var cur *line
	flush := func() {
		if cur == nil {
			return
		}
		q := promQuantile(0.95, vals)
		if !cur.captured || cur.p95 < q || math.IsNaN(cur.p95) { // PromQL's max
			cur.p95 = q
		}
		if !cur.captured || len(vals) < cur.fewest {
			cur.fewest = len(vals)
		}
		cur.captured = true
		vals, cur = vals[:0], nil
	}
	// A period longer than a month is read in batches of lines (p95Batches),
	// each within p95ReadPoints; a month in one read.
	batches := [][]string{nil}
	if x.steps > p95BatchAfterSteps {
		var err error
		if batches, err = r.p95Batches(x, direction); err != nil {
			return nil, false, err
		}
		if len(batches) == 0 {
			batches = [][]string{nil} // no line: the one read says whether it can read at all
		}
	}
	n := 0
	for len(batches) > 0 {
		b := batches[0]
		batches = batches[1:]
		sel := x.rec
		if b != nil {
			sel = r.selector(metricnames.LineInterfaceBitsRate5mStep5m, `direction="`+direction+`"`, "line=~"+RegexAlternation(b))
		}
		k, read, err := readKept(r, rr, sel, r.start(), r.end(), keep, func(l map[string]string) func([]int64, []float64) {
			flush()
			name := l["line"]
			if lines[name] == nil {
				lines[name] = &line{}
			}
			cur = lines[name]
			return func(_ []int64, vs []float64) { vals = append(vals, vs...) }
		})
		if KindOf(err) == ErrTooLarge {
			// What the read handed over is dropped; a batch of several
			// lines is read again in halves.
			vals, cur = vals[:0], nil
			for _, name := range b {
				delete(lines, name)
			}
			if len(b) > 1 {
				batches = append([][]string{b[:len(b)/2], b[len(b)/2:]}, batches...)
				continue
			}
			// The month's points of every line (or a line's points)
			// over the answer limit (a large network): the query API
			// answers one figure per line.
			return nil, false, nil
		}
		if err != nil || !read {
			return nil, read, err
		}
		flush()
		n += k
	}
	res, err := r.query(fmt.Sprintf("95th percentile %s rate (bit/s), recorded path: whether the rules group's marker %s has a point for every %d s of the period (then the recorded %s covers every line)",
		en, metricnames.LineRulesEvaluated, iv, metricnames.LineInterfaceBitsRate5mStep5m), x.complete, r.end())
	if err != nil {
		return nil, true, err
	}
	complete := len(res) > 0
	// The audit lists the query API's expression that gives the same
	// figures, and the lines it answered.
	expr, which := x.all, "every line (the marker is complete)"
	if !complete {
		expr = x.covered
		which = fmt.Sprintf("the lines whose every recorded series of this direction has a point for every 5 m step of the period (the rest: the raw path below); live, recorded points are up to one rule interval (%d s) after the 5 m step", iv)
	}
	names := make([]string, 0, len(lines))
	for name := range lines {
		names = append(names, name)
	}
	sort.Strings(names)
	covered = []string{}
	for _, name := range names {
		l := lines[name]
		if complete || int64(l.fewest) >= x.steps {
			out[name] = l.p95
			covered = append(covered, name)
		}
	}
	r.auditRemoteRead(fmt.Sprintf("95th percentile %s rate (bit/s) of the recorded %s (%d series read), computed by the report from its points read through the remote-read API as quantile_over_time and max by (line) compute them, for %s",
		en, metricnames.LineInterfaceBitsRate5mStep5m, n, which), expr, r.end(), len(covered))
	if complete {
		return nil, true, nil
	}
	return covered, true, nil
}

// p95BatchAfterSteps: a period of more 5 m steps than a 31-day month's has
// its recorded P95 points read line batch by line batch (p95Batches).
var p95BatchAfterSteps int64 = 31 * 24 * 12

// p95ReadPoints bounds the points one remote read of a batch asks for:
// about a month of 400 lines' (3.5 M), which one answer of the default
// limit holds. A batch over the answer limit all the same is read again
// in halves.
var p95ReadPoints int64 = 4 << 20

// p95Batches splits the lines of the recorded step series of direction
// (the series API over the period) into batches of whole lines, in name
// order, each of at most p95ReadPoints points (at least one line).
func (r *run) p95Batches(x recordedP95Exprs, direction string) ([][]string, error) {
	ls, err := r.series(fmt.Sprintf("95th percentile %s rate (bit/s): the lines of the recorded %s, read through the remote-read API in batches of at most %d points", direction, metricnames.LineInterfaceBitsRate5mStep5m, p95ReadPoints), x.rec)
	if err != nil {
		return nil, err
	}
	per := map[string]int64{}
	for _, l := range ls {
		per[l["line"]]++
	}
	names := make([]string, 0, len(per))
	for name := range per {
		names = append(names, name)
	}
	sort.Strings(names)
	var out [][]string
	var cur []string
	var pts int64
	for _, name := range names {
		p := per[name] * x.steps
		if len(cur) > 0 && pts+p > p95ReadPoints {
			out = append(out, cur)
			cur, pts = nil, 0
		}
		cur = append(cur, name)
		pts += p
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out, nil
}

// recordedP95Exprs are the recorded P95 path's selector and expressions,
// the query API's (trafficP95) and the ones the remote-read path
// (trafficP95Read) computes the same figures as and lists in the audit.
type recordedP95Exprs struct {
	rec      string // the step series of one direction
	steps    int64  // 5 m steps in the period
	complete string // the group's marker has a point for every rule interval
	all      string // max by (line) of each series' quantile_over_time(0.95)
	covered  string // all, for the lines whose every series has a point for every step
}

func (r *run) recordedP95(direction string) recordedP95Exprs {
	rec := r.selector(metricnames.LineInterfaceBitsRate5mStep5m, `direction="`+direction+`"`)
	R, E := r.rangeSel(), at(r.end())
	steps := int64(r.month.Seconds()) / 300
	all := fmt.Sprintf("max by (line) (quantile_over_time(0.95, %s%s %s))", rec, R, E)
	return recordedP95Exprs{
		rec:      rec,
		steps:    steps,
		complete: fmt.Sprintf("count_over_time(%s%s %s) >= %d", metricnames.LineRulesEvaluated, R, E, int64(r.month.Seconds())/int64(TrafficRuleInterval/time.Second)),
		all:      all,
		covered:  fmt.Sprintf("%s unless on(line) (count_over_time(%s%s %s) < %d)", all, rec, R, E, steps),
	}
}

// promQuantile is PromQL's quantile of vals (quantile_over_time; the
// order of vals is changed): in the order of a sort with NaN first, the
// weighted mean of the two values around rank q·(n−1), in PromQL's float
// operations, so the figure is the same to the bit, but for the sign of a
// zero, which every sort leaves where its algorithm puts it
// (TestTrafficP95RecordedEqualsRaw, TestPromQuantile).
func promQuantile(q float64, vals []float64) float64 {
	if len(vals) == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	if q < 0 {
		return math.Inf(-1)
	}
	if q > 1 {
		return math.Inf(+1)
	}
	n := float64(len(vals))
	rank := q * (n - 1)
	lowerIndex := math.Max(0, math.Floor(rank))
	upperIndex := math.Min(n-1, lowerIndex+1)
	weight := rank - math.Floor(rank)
	lo := int(lowerIndex)
	nans := selectKth(vals, lo)
	if weight == 0 {
		return vals[lo]
	}
	// The value a sort puts after vals[lo]: the least of those after it
	// (NaN where vals[lo] is one: the mean is NaN whatever it is).
	up := vals[lo]
	if hi := int(upperIndex); hi > lo && lo >= nans {
		up = slices.Min(vals[hi:])
	}
	return vals[lo]*(1-weight) + up*weight
}

// selectKth reorders v so that v[k] is the value slices.Sort would put
// there (cmp.Compare's order: NaN first, as PromQL's vectorByValueHeap),
// every value before it not greater and every value after it not less,
// and returns the number of NaNs, which it moves to the front first: the
// rest is compared with < and > alone. Quickselect with a three-way
// partition (a constant series, an idle line's zeros, is one pass), O(n)
// where sorting the 8 640 points of a month is O(n log n)
// (BenchmarkPromQuantile prints the ratio). After 2·log2(n) rounds
// without an end it sorts what is left, so an input that defeats the
// median-of-three pivot costs a sort, never n².
func selectKth(v []float64, k int) (nans int) {
	for i, x := range v {
		if x != x { // NaN
			v[nans], v[i] = v[i], v[nans]
			nans++
		}
	}
	lo, hi := nans, len(v)-1
	if k < lo {
		return nans
	}
	for rounds := 2 * bits.Len(uint(len(v))); lo < hi; rounds-- {
		if rounds == 0 {
			slices.Sort(v[lo : hi+1])
			return nans
		}
		a, b, c := v[lo], v[lo+(hi-lo)/2], v[hi]
		if a > b {
			a, b = b, a
		}
		if b > c {
			b = max(a, c)
		}
		p := b // the median of the three
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch x := v[i]; {
			case x < p:
				v[lt], v[i] = x, v[lt]
				lt++
				i++
			case x > p:
				v[i], v[gt] = v[gt], x
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt - 1
		case k > gt:
			lo = gt + 1
		default:
			return nans
		}
	}
	return nans
}
