package report

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
)

// CountPoints runs countPoints for the external tests: the points per
// series key of count_over_time(sel[step]) at step over [from, to], and
// the audit entry it made.
func CountPoints(ctx context.Context, q Querier, p calendar.Period, sel string, from, to time.Time, step time.Duration) (map[string][]Point, []AuditQuery, error) {
	r := &run{ctx: ctx, q: q, cfg: DefaultConfig(), month: p}
	out := map[string][]Point{}
	var mu sync.Mutex
	err := r.countPoints("test", sel, from, to, step, &mu, func(k string, pt Point) { out[k] = append(out[k], pt) })
	var audit []AuditQuery
	for _, a := range r.audit {
		if a.Purpose == "test" {
			audit = append(audit, a)
		}
	}
	return out, audit, err
}

// GaugeOver runs gaugeOver for the external tests: fn of metric over p per
// series key (labels without the name), and the run's audit.
func GaugeOver(ctx context.Context, q Querier, cfg Config, p calendar.Period, fn, metric string) (map[string]float64, []AuditQuery, error) {
	r := &run{ctx: ctx, q: q, cfg: cfg, month: p}
	res, err := r.gaugeOver("test", fn, metric)
	out := map[string]float64{}
	for k, s := range res {
		out[k] = s.Points[0].V
	}
	return out, r.audit, err
}

// SetP95Batches makes the P95's remote-read path read the lines in batches
// over periods of more than after 5 m steps, each of at most points points
// (1: a line per read); the returned func restores the defaults.
func SetP95Batches(after, points int64) (restore func()) {
	a, p := p95BatchAfterSteps, p95ReadPoints
	p95BatchAfterSteps, p95ReadPoints = after, points
	return func() { p95BatchAfterSteps, p95ReadPoints = a, p }
}

// SetEdgeSharing turns the sub-runs' shared edge reads (shared.go) on or
// off; the returned func restores them.
func SetEdgeSharing(on bool) (restore func()) {
	was := shareEdges
	shareEdges = on
	return func() { shareEdges = was }
}

// EdgeView is what the availability takes from the reads at one period
// edge, as text for comparison: per entity key, the instant answer
// (name=value, sorted) and the pair of scrapes around the edge.
type EdgeView struct {
	Instant map[string]string
	Labels  map[string]map[string]string
	Pairs   map[string]string
}

func edgeView(instant map[string]scrape, labels map[string]map[string]string, pairs map[string]edgePair) EdgeView {
	text := func(sc *scrape) string {
		if sc == nil {
			return "none"
		}
		var s []string
		for n, v := range sc.vals {
			s = append(s, n+"="+strconv.FormatFloat(v, 'g', -1, 64))
		}
		sort.Strings(s)
		return strconv.FormatInt(sc.t, 10) + " " + strings.Join(s, ",")
	}
	v := EdgeView{Instant: map[string]string{}, Labels: labels, Pairs: map[string]string{}}
	for k, sc := range instant {
		v.Instant[k] = text(&sc)
	}
	for k, p := range pairs {
		if p.before != nil || p.after != nil { // an entity without either is one the read did not see
			v.Pairs[k] = text(p.before) + " | " + text(p.after)
		}
	}
	return v
}

// EdgeRead is the availability's one read at edge for family ns
// (edgeread.go) on q, with the run's audit; ok false: q gave none.
func EdgeRead(ctx context.Context, q Querier, ns string, p calendar.Period, edge time.Time) (v EdgeView, audit []AuditQuery, ok bool, err error) {
	r := &run{ctx: ctx, q: q, cfg: DefaultConfig(), month: p}
	f := familyFor(ns)
	a, err := r.edgeRead(f, edge)
	if err != nil || a == nil {
		return EdgeView{}, r.audit, false, err
	}
	return edgeView(a.instant, a.labels, a.pairs), r.audit, true, nil
}

// EdgeQueries is what the availability's one read at edge replaces: the
// instant query at edge and the raw read of ±1 min around it.
func EdgeQueries(ctx context.Context, q Querier, ns string, p calendar.Period, edge time.Time) (EdgeView, error) {
	r := &run{ctx: ctx, q: q, cfg: DefaultConfig(), month: p}
	f := familyFor(ns)
	v, l, err := r.instant("test", f.edgeInstantNames(), edge)
	if err != nil {
		return EdgeView{}, err
	}
	sc, _, err := r.raw("test", f.edgeRawNames(), "", nil, edge.Add(-edgeNarrow), edge.Add(edgeNarrow))
	if err != nil {
		return EdgeView{}, err
	}
	return edgeView(v, l, edgePairs(sc, edge.UnixMilli(), f.availCounters(), edgeNarrow)), nil
}

// InLookback is inLookback for the tests.
var InLookback = inLookback

// SetMonthsFromOwn makes the months of a build ask the series API about
// every entity (false) or only about the period's entities without a
// value at their end (true, the default); the returned func restores it.
func SetMonthsFromOwn(on bool) (restore func()) {
	old := monthsFromOwn
	monthsFromOwn = on
	return func() { monthsFromOwn = old }
}

// SetEdgeSeeding makes the incident reconstruction read every walk's first
// and last hour (false) or take its state at the period's edges from the
// edge read where those hours held (true, the default: edgeSeeds); the
// returned func restores it.
func SetEdgeSeeding(on bool) (restore func()) {
	old := seedEdges
	seedEdges = on
	return func() { seedEdges = old }
}

// SetExactDays makes the incident detectors count the hours of every
// flagged day (false) or not those of a day sampled throughout at the
// fullest rate (true, the default: exactDays); the returned func restores
// it.
func SetExactDays(on bool) (restore func()) {
	old := skipExactDays
	skipExactDays = on
	return func() { skipExactDays = old }
}
