package report

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/metricnames"
)

// run is one report computation: it records every query for the audit.
type run struct {
	ctx    context.Context
	cancel context.CancelCauseFunc // cancels ctx: the first failed query stops the others
	q      Querier
	cfg    Config
	month  calendar.Period // the measured span (a draft: up to its 截至 hour)
	sel    string          // matcher body from cfg.Filter (escaped)
	mu     sync.Mutex
	audit  []AuditQuery
	// caveats for the audit (incidents vs counters, …)
	caveats []string
	// discoverySkipped: increases found no entity whose series may have
	// begun and ended inside the period (discovery.go).
	discoverySkipped bool
	// evalMethod: the indicator system's method lines for the audit
	// (Config.Evaluator).
	evalMethod []string
	// frozenRead: the snapshots read instead of queried (Config.Frozen:
	// the previous period for 环比, months of the trend), for the audit.
	frozenRead []frozenUse
	// prevBuilt: the previous period as built for 环比 (not read from a
	// snapshot), whose entities are the trend's figures of that period
	// when it is one of its months.
	prevBuilt *builtPeriod
	// edgeMemos: the run's reads at its edges (edgeread.go), by family
	// and edge, under mu.
	edgeMemos map[string]*edgeMemo
	// reads: the edge reads this sub-run shares with the build's other
	// sub-runs, subReads: those this run's sub-runs share (shared.go).
	reads, subReads *sharedReads
	// figuresOnly: a sub-run for the per-month table or the trend, which
	// sum counters per kind (kindFigures) and never read incidents, so the
	// incident reconstruction — the raw reads — is skipped.
	figuresOnly bool
	// headline: the previous period's build for 环比, of which only the
	// headline figures (availability, downtime, incidents, the summary's
	// counts) are printed, so the lines' quality figures (P95, counters,
	// capacity) are not queried.
	headline bool
	// backend and the range-selector semantics, each found once
	// (provenance.go).
	backendOnce, rangeOnce sync.Once
	backend                Backend
	rangeSem               string
	// gaugeRunsV: the runs of recorded hourly gauge aggregates in the
	// period, read once (gauges.go); gaugeRecorded: a figure was read
	// from them (for the audit's method).
	gaugeOnce     sync.Once
	gaugeRunsV    []evalRun
	gaugeErr      error
	gaugeRecorded bool
}

// frozenUse is a period whose figures a report read from its snapshot.
type frozenUse struct {
	period calendar.Period
	f      *Frozen
}

func (r *run) rangeSel() string {
	return fmt.Sprintf("[%ds]", int64(r.month.Seconds()))
}

func (r *run) end() time.Time   { return r.month.End }
func (r *run) start() time.Time { return r.month.Start }

// at is the @ modifier for t.
// at is PromQL's @ modifier for t, to the millisecond (scrape timestamps are).
func at(t time.Time) string {
	return "@ " + strconv.FormatFloat(float64(t.UnixMilli())/1e3, 'f', -1, 64)
}

// selector returns name{filter,extra}.
func (r *run) selector(name string, extra ...string) string {
	parts := []string{}
	if r.sel != "" {
		parts = append(parts, r.sel)
	}
	parts = append(parts, extra...)
	return name + "{" + strings.Join(parts, ",") + "}"
}

func (r *run) query(purpose, expr string, t time.Time) ([]Series, error) {
	res, err := r.q.Query(r.ctx, expr, t)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.audit = append(r.audit, AuditQuery{Purpose: purpose, PromQL: expr, EvalAt: t.UTC().Format(time.RFC3339), Series: len(res)})
	r.mu.Unlock()
	return res, nil
}

func (r *run) queryRange(purpose, expr string, s, e time.Time, step time.Duration) ([]Series, error) {
	res, err := r.q.QueryRange(r.ctx, expr, s, e, step)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.audit = append(r.audit, AuditQuery{Purpose: purpose, PromQL: expr, EvalAt: rangeEvalAt(s, e, step), Series: len(res)})
	r.mu.Unlock()
	return res, nil
}

// rangeEvalAt is the audit's evaluation time of a query_range.
func rangeEvalAt(s, e time.Time, step time.Duration) string {
	return fmt.Sprintf("%s … %s step %v", s.UTC().Format(time.RFC3339), e.UTC().Format(time.RFC3339), step)
}

// parallel runs fns with at most 4 in flight; the first error wins and
// cancels the run's other queries (their answers would be thrown away).
func (r *run) parallel(fns ...func() error) error {
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, f := range fns {
		wg.Add(1)
		sem <- struct{}{}
		go func(f func() error) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(); err != nil {
				mu.Lock()
				if first == nil {
					first = err
					if r.cancel != nil {
						r.cancel(err)
					}
				}
				mu.Unlock()
			}
		}(f)
	}
	wg.Wait()
	return first
}

// family names for a namespace.
type family struct {
	ns                                                        string
	up, observed, down, maint, maintDown, changes, lastChange string
	unknownGauge                                              string
	started                                                   string // NS_start_time_seconds: when the counters last started at 0
	nameLabel                                                 string // identity label for display
}

func familyFor(ns string) family {
	m := metricnames.Lookup(ns) // env_condition's ok/active renames included
	f := family{ns: ns, up: m.Up(), observed: m.Observed(), down: m.Down(),
		maint: m.Maintenance(), maintDown: m.MaintenanceDown(),
		changes: m.StateChanges(), lastChange: m.LastChange(), unknownGauge: m.Unknown(),
		started: m.StartTime()}
	switch ns {
	case metricnames.EnvCondition.Namespace:
		f.nameLabel = "device"
	case "line":
		f.nameLabel = "line"
	case "host":
		f.nameLabel = "host"
	case "website":
		f.nameLabel = "url"
	}
	return f
}

// nz maps NaN to -1 (JSON has no NaN).
func nz(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return -1
	}
	return v
}

// gaugeAgg runs agg_over_time(name{sel}[month] @ end) and returns values by
// label key.
func (r *run) gaugeAgg(purpose, expr string) (map[string]Series, error) {
	res, err := r.query(purpose, expr, r.end())
	if err != nil {
		return nil, err
	}
	out := map[string]Series{}
	for _, s := range res {
		out[labelKey(s.Labels)] = s
	}
	return out, nil
}
