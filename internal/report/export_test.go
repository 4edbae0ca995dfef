package report

import (
	"context"
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
