package report

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/jianguan/jianguan/internal/metricnames"
)

// The room gauges that grow with the room (metricnames.RecordedGauges: a
// rack power series per rack, a temperature and a humidity series per
// sensor) over a period: their minimum, maximum and mean from the hourly
// aggregates the rules record (rules/recording.yml, group jianguan.report:
// env:METRIC:min1h, max1h, sum1h, count1h and at_eval) where whole hours of
// evaluations cover the period, and from the raw samples for the rest —
// the same samples of [start, end), each counted once, on every backend:
//
//   - The marker metricnames.GaugeRulesEvaluated gives the evaluation
//     times. Each evaluation g aggregates the hour ending GaugeRuleOffset
//     before it, e = g − 1 m (a scrape in flight at g is in by then). A run
//     of evaluations g0, g1 … gn one hour apart (a live server spreads its
//     groups over the hour, so they need not sit on the hour) covers
//     (e0, en]: the hours of g1 … gn. On a left-open backend (Prometheus 3,
//     VictoriaMetrics) an hour is (ek − 1h, ek]; on a closed one
//     (Prometheus 2) it is [ek − 1h, ek], so the samples exactly at
//     e0 … en−1 are in two hours (or, for e0, outside the run): for the
//     mean, the recorded at_eval (the sample exactly at an hour's end) of
//     the evaluations [g0, gn) is taken out of the sums and counts. Minimum
//     and maximum do not mind a sample read twice.
//   - Before, between and after the runs, the raw samples (gaugeWindow's
//     half-open selection), so a missed evaluation, a server that started
//     the rules late or a period edge inside an hour costs raw reads of
//     those stretches only.
//   - Config.RawGauges reads the whole period raw (the comparison path);
//     TestRecordedGaugesMatchRaw holds both to the same figures on
//     Prometheus 2.42 and 3.x.

// MaxGaugeRuns bounds the runs of recorded evaluations a period is read
// from (each costs a few queries per aggregate): the longest are taken, the
// rest of the period read raw. A year with a missed evaluation a week has
// about 52.
const MaxGaugeRuns = 64

// GaugeRuleOffset is how long before its evaluation the hour a gauge rule
// aggregates ends (rules/recording.yml: offset 1m).
const GaugeRuleOffset = time.Minute

// evalRun is a run of the marker's evaluations g0 … gn, one hour apart
// (n ≥ 1): the recorded hours cover (g0 − GaugeRuleOffset, gn −
// GaugeRuleOffset].
type evalRun struct{ g0, gn time.Time }

// gaugePiece is one stretch of the period: raw samples of [from, to), or
// the recorded windows of a run.
type gaugePiece struct {
	from, to time.Time
	rec      *evalRun
}

// window returns the range and @ modifier that select exactly the samples
// in [from, to) on this backend (to − from ≥ 2 ms): evaluated at to − 1 ms
// (samples carry millisecond timestamps), over to − from on a left-open
// backend ((from − 1 ms, to − 1 ms]) and 1 ms less on a closed one
// ([from, to − 1 ms]).
func (r *run) window(from, to time.Time) (rng, atMod string) {
	d := to.Sub(from).Milliseconds()
	if r.rangeSemantics() == RangeClosed {
		d--
	}
	return fmt.Sprintf("[%dms]", d), at(to.Add(-time.Millisecond))
}

// gaugeRuns reads the marker's evaluations in the period, once per run,
// and returns the runs the recorded aggregates are read from (oldest
// first, at most MaxGaugeRuns), trimmed so that no raw stretch between
// them is a single millisecond (a closed backend's range cannot select
// exactly one).
func (r *run) gaugeRuns() ([]evalRun, error) {
	r.gaugeOnce.Do(func() {
		// the evaluations whose hours end in the period
		from, to := r.start().Add(GaugeRuleOffset), r.end().Add(GaugeRuleOffset)
		rng, atMod := r.window(from, to)
		res, err := r.query("room gauges: evaluations of the recording rules "+metricnames.GaugeRulesEvaluated+" in the period (where the hourly aggregates cover it)",
			fmt.Sprintf("%s%s %s", metricnames.GaugeRulesEvaluated, rng, atMod), to.Add(-time.Millisecond))
		if err != nil {
			r.gaugeErr = err
			return
		}
		var ts []time.Time
		for _, s := range res {
			for _, p := range s.Points {
				ts = append(ts, p.T)
			}
		}
		r.gaugeRunsV = runsOf(ts, r.start(), r.end())
	})
	return r.gaugeRunsV, r.gaugeErr
}

// runsOf groups evaluation times into runs one hour apart whose hours end
// inside [start, end) (see gaugeRuns).
func runsOf(ts []time.Time, start, end time.Time) []evalRun {
	start, end = start.Add(GaugeRuleOffset), end.Add(GaugeRuleOffset) // in evaluation times
	ts = slices.DeleteFunc(ts, func(t time.Time) bool { return t.Before(start) || !t.Before(end) })
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	var runs []evalRun
	for i := 0; i < len(ts); {
		j := i
		for j+1 < len(ts) && ts[j+1].Sub(ts[j]) == time.Hour {
			j++
		}
		g0, gn := ts[i], ts[j]
		i = j + 1
		if g0.Equal(start) { // the raw stretch before would be [start, start]
			g0 = g0.Add(time.Hour)
		}
		if end.Sub(gn) == 2*time.Millisecond { // … or after, [gn + 1 ms, gn + 1 ms]
			gn = gn.Add(-time.Hour)
		}
		if !gn.After(g0) {
			continue
		}
		runs = append(runs, evalRun{g0, gn})
	}
	if len(runs) > MaxGaugeRuns {
		slices.SortStableFunc(runs, func(a, b evalRun) int { return cmp.Compare(b.gn.Sub(b.g0), a.gn.Sub(a.g0)) })
		runs = runs[:MaxGaugeRuns]
		slices.SortFunc(runs, func(a, b evalRun) int { return a.g0.Compare(b.g0) })
	}
	return runs
}

// piecesOf cuts [start, end) into raw stretches and the runs' hours (in
// sample times: from, to; the recorded points are at the evaluations).
func piecesOf(start, end time.Time, runs []evalRun) []gaugePiece {
	var ps []gaugePiece
	c := start
	for i := range runs {
		g := &runs[i]
		from, to := g.g0.Add(time.Millisecond-GaugeRuleOffset), g.gn.Add(time.Millisecond-GaugeRuleOffset)
		if from.After(c) {
			ps = append(ps, gaugePiece{from: c, to: from})
		}
		ps = append(ps, gaugePiece{from: from, to: to, rec: g})
		c = to
	}
	if end.After(c) {
		ps = append(ps, gaugePiece{from: c, to: end})
	}
	return ps
}

// gaugeOver is fn (min_over_time, max_over_time or avg_over_time) of
// metric over the period per series (labels without the name, one point at
// the period's end), as gaugeAgg returns it: for a RecordedGauges metric
// from the recorded hourly aggregates and the raw samples around them,
// else (or with Config.RawGauges) from the raw samples.
func (r *run) gaugeOver(purpose, fn, metric string) (map[string]Series, error) {
	raw := func() (map[string]Series, error) {
		R, E := r.gaugeWindow()
		return r.gaugeAgg(purpose, fmt.Sprintf("%s(%s%s %s)", fn, r.selector(metric), R, E))
	}
	if r.cfg.RawGauges || !slices.Contains(metricnames.RecordedGauges, metric) {
		return raw()
	}
	runs, err := r.gaugeRuns()
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 { // no whole hour recorded
		return raw()
	}
	closed := r.rangeSemantics() == RangeClosed
	// One query per piece and part; the parts of the mean are sums and
	// counts, which add up across pieces (at_eval's subtracted).
	type part struct {
		op   string  // min, max, sum, count: how it combines
		sign float64 // −1: at_eval taken out
		res  []Series
	}
	var parts []*part
	var fns []func() error
	add := func(op string, sign float64, what, expr string, t time.Time) {
		p := &part{op: op, sign: sign}
		parts = append(parts, p)
		fns = append(fns, func() (err error) { p.res, err = r.query(purpose+GaugePieceSep+what, expr, t); return })
	}
	ops := map[string][]string{"min_over_time": {"min"}, "max_over_time": {"max"}, "avg_over_time": {"sum", "count"}}[fn]
	if ops == nil {
		return nil, fmt.Errorf("gaugeOver: %s is not min_over_time, max_over_time or avg_over_time", fn)
	}
	for _, pc := range piecesOf(r.start(), r.end(), runs) {
		rng, atMod := r.window(pc.from, pc.to)
		t := pc.to.Add(-time.Millisecond)
		if pc.rec != nil { // the recorded points of g1 … gn
			rng, atMod = r.window(pc.rec.g0.Add(time.Millisecond), pc.rec.gn.Add(time.Millisecond))
			t = pc.rec.gn
		}
		for _, op := range ops {
			if pc.rec == nil {
				add(op, 1, "raw samples, "+op+" "+spanUTC("[", pc.from, pc.to, ")"), fmt.Sprintf("%s_over_time(%s%s %s)", op, r.selector(metric), rng, atMod), t)
				continue
			}
			combine := op // the hours' minima are combined by min, their sums and counts by sum
			if op == "count" {
				combine = "sum"
			}
			add(op, 1, "recorded hourly "+op+" of the evaluations "+spanUTC("(", pc.rec.g0, pc.rec.gn, "]")+", samples "+spanUTC("[", pc.from, pc.to, ")"), fmt.Sprintf("%s_over_time(%s%s %s)", combine, r.selector(metricnames.GaugeHourly(metric, op)), rng, atMod), t)
			if closed && (op == "sum" || op == "count") {
				arng, aat := r.window(pc.rec.g0, pc.rec.gn)
				add(op, -1, "samples exactly at the evaluations "+spanUTC("[", pc.rec.g0, pc.rec.gn, ")")+", "+op+", counted in two closed windows", fmt.Sprintf("%s_over_time(%s%s %s)", op, r.selector(metricnames.GaugeHourly(metric, "at_eval")), arng, aat), pc.rec.gn.Add(-time.Millisecond))
			}
		}
	}
	if err := r.parallel(fns...); err != nil {
		return nil, err
	}
	type acc struct {
		labels        map[string]string
		v, sum, count float64
		hasV          bool
	}
	by := map[string]*acc{}
	for _, p := range parts {
		for _, s := range p.res {
			if len(s.Points) == 0 {
				continue
			}
			k := labelKey(s.Labels)
			a := by[k]
			if a == nil {
				a = &acc{labels: stripName(s.Labels)}
				by[k] = a
			}
			v := s.Points[len(s.Points)-1].V
			switch p.op {
			case "min":
				if !a.hasV || v < a.v {
					a.v = v
				}
				a.hasV = true
			case "max":
				if !a.hasV || v > a.v {
					a.v = v
				}
				a.hasV = true
			case "sum":
				a.sum += p.sign * v
			case "count":
				a.count += p.sign * v
			}
		}
	}
	out := map[string]Series{}
	for k, a := range by {
		v := a.v
		if fn == "avg_over_time" {
			if a.count < 0.5 { // only at_eval or nothing left: no sample in the period
				continue
			}
			v = a.sum / a.count
		} else if !a.hasV {
			continue
		}
		out[k] = Series{Labels: a.labels, Points: []Point{{T: r.end(), V: v}}}
	}
	r.mu.Lock()
	r.gaugeRecorded = true
	r.mu.Unlock()
	return out, nil
}

// GaugePieceSep joins an aggregate's purpose (infra.go's, in Chinese) and
// the stretch one of its queries reads (in English, like the engine's
// other purposes): AuditPurpose words each half in the document's
// language.
const GaugePieceSep = " — "

// spanUTC is an interval of UTC times for an audit purpose, to the
// millisecond where it has one (a live server's evaluations need not fall
// on a second).
func spanUTC(left string, from, to time.Time, right string) string {
	const f = "2006-01-02T15:04:05.999Z07:00"
	return left + from.UTC().Format(f) + ", " + to.UTC().Format(f) + right
}
