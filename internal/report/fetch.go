package report

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// run is one report computation: it records every query for the audit.
type run struct {
	ctx   context.Context
	q     Querier
	cfg   Config
	month Month
	sel   string // matcher body from cfg.Filter (escaped)
	mu    sync.Mutex
	audit []AuditQuery
}

func (r *run) rangeSel() string {
	return fmt.Sprintf("[%ds]", int64(r.month.Seconds()))
}

func (r *run) end() time.Time   { return r.month.End }
func (r *run) start() time.Time { return r.month.Start }

// at is the @ modifier for t.
func at(t time.Time) string { return fmt.Sprintf("@ %d", t.Unix()) }

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
	r.audit = append(r.audit, AuditQuery{Purpose: purpose, PromQL: expr,
		EvalAt: fmt.Sprintf("%s … %s step %v", s.UTC().Format(time.RFC3339), e.UTC().Format(time.RFC3339), step), Series: len(res)})
	r.mu.Unlock()
	return res, nil
}

// parallel runs fns with at most 4 in flight; the first error wins.
func parallel(fns ...func() error) error {
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
	nameLabel                                                 string // identity label for display
}

func familyFor(ns string) family {
	f := family{ns: ns, up: ns + "_up", observed: ns + "_observed_seconds_total", down: ns + "_down_seconds_total",
		maint: ns + "_maintenance_seconds_total", maintDown: ns + "_maintenance_down_seconds_total",
		changes: ns + "_state_changes_total", lastChange: ns + "_last_change_timestamp_seconds", unknownGauge: ns + "_unknown"}
	switch ns {
	case "env_condition":
		f.up, f.down, f.maintDown = "env_condition_ok", "env_condition_active_seconds_total", "env_condition_maintenance_active_seconds_total"
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

// fetchAvailability computes the availability family of ns for all
// entities with exact counter arithmetic:
//
//   - one range scan: resets(NS_observed_seconds_total[month] @ end) finds every
//     entity with a sample in the month and its exporter restarts (all counters
//     of an entity live in one process, so they reset together);
//   - cheap instant queries per counter: the last sample at or before the month
//     end (c @ end) and at or before the month start (c @ start);
//   - only for entities that vanished before the month end: last_over_time;
//   - only for entities with restarts: their raw samples, summed piecewise.
func (r *run) fetchAvailability(ns string) ([]EntityResult, error) {
	f := familyFor(ns)
	R, E, S := r.rangeSel(), at(r.end()), at(r.start())
	// The range scan, the instant values and the states at the month start
	// (for the incidents) do not depend on each other: one round.
	var disc, upS, unkS []Series
	names := []string{f.observed, f.down, f.maint, f.maintDown, f.changes}
	ends := make([]map[string]float64, len(names))
	starts := make([]map[string]float64, len(names))
	toMap := func(ss []Series) map[string]float64 {
		m := map[string]float64{}
		for _, s := range ss {
			if len(s.Points) > 0 {
				m[labelKey(s.Labels)] = s.Points[0].V
			}
		}
		return m
	}
	fns := []func() error{
		func() (err error) {
			disc, err = r.query("entities and counter resets in the month ("+f.observed+")", fmt.Sprintf("resets(%s%s %s)", r.selector(f.observed), R, E), r.end())
			return
		},
		func() (err error) {
			upS, err = r.query("state at the month start of "+f.up, fmt.Sprintf("%s %s", r.selector(f.up), at(r.start())), r.end())
			return
		},
		func() (err error) {
			unkS, err = r.query("unknown at the month start of "+f.unknownGauge, fmt.Sprintf("%s %s", r.selector(f.unknownGauge), at(r.start())), r.end())
			return
		},
	}
	for i, n := range names {
		i, n := i, n
		fns = append(fns, func() error {
			res, err := r.query("value at the month end (last sample at or before it) of "+n, fmt.Sprintf("%s %s", r.selector(n), E), r.end())
			ends[i] = toMap(res)
			return err
		}, func() error {
			res, err := r.query("value at the month start (last sample at or before it) of "+n, fmt.Sprintf("%s %s", r.selector(n), S), r.end())
			starts[i] = toMap(res)
			return err
		})
	}
	if err := parallel(fns...); err != nil {
		return nil, err
	}
	labels := map[string]map[string]string{}
	resets := map[string]int{}
	for _, s := range disc {
		k := labelKey(s.Labels)
		labels[k] = stripName(s.Labels)
		if len(s.Points) > 0 {
			resets[k] = int(s.Points[0].V)
		}
	}
	// Entities whose exporter stopped before the month end.
	var vanished []string
	for k := range labels {
		if _, ok := ends[0][k]; !ok {
			vanished = append(vanished, k)
		}
	}
	if len(vanished) > 0 {
		var fns []func() error
		for i, n := range names {
			i, n := i, n
			fns = append(fns, func() error {
				res, err := r.query("last sample in the month (series ended early) of "+n, fmt.Sprintf("last_over_time(%s%s %s)", r.selector(n), R, E), r.end())
				if err != nil {
					return err
				}
				for k, v := range toMap(res) {
					if _, ok := ends[i][k]; !ok {
						ends[i][k] = v
					}
				}
				return nil
			})
		}
		if err := parallel(fns...); err != nil {
			return nil, err
		}
	}
	// Entities with exporter restarts: their raw samples, one query per
	// counter for all of them.
	raw := make([]map[string]Series, len(names))
	var restarted []string
	for k, n := range resets {
		if ls, ok := labels[k]; ok && n > 0 {
			restarted = append(restarted, ls[f.nameLabel])
		}
	}
	if len(restarted) > 0 {
		extra := f.nameLabel + "=~" + RegexAlternation(uniq(restarted))
		var fns []func() error
		for i, n := range names {
			i, n := i, n
			fns = append(fns, func() error {
				res, err := r.query("raw samples (counter reset) of "+n, fmt.Sprintf("%s%s %s", r.selector(n, extra), R, E), r.end())
				m := map[string]Series{}
				for _, s := range res {
					m[labelKey(s.Labels)] = s
				}
				raw[i] = m
				return err
			})
		}
		if err := parallel(fns...); err != nil {
			return nil, err
		}
	}
	ms := r.month.Seconds()
	var res []EntityResult
	for k, ls := range labels {
		e := EntityResult{NS: ns, Labels: ls, Counters: map[string]Counter{}}
		e.Name = ls[f.nameLabel]
		for i, n := range names {
			endV, ok := ends[i][k]
			if !ok {
				continue
			}
			c := Counter{End: endV}
			if v, ok := starts[i][k]; ok {
				c.Start, c.Delta = v, endV-v
			} else {
				c.Delta = endV
				c.Note = "no sample at the month start: the series began inside the month at 0"
			}
			if rs, ok := raw[i][k]; ok && resets[k] > 0 {
				r.piecewise(rs, &c, starts[i], k)
			}
			e.Counters[n] = c
		}
		e.ObservedSeconds = e.Counters[f.observed].Delta
		e.DownSeconds = e.Counters[f.down].Delta
		e.MaintenanceSeconds = e.Counters[f.maint].Delta
		e.MaintenanceDownSeconds = e.Counters[f.maintDown].Delta
		e.StateChanges = e.Counters[f.changes].Delta
		ev := Evaluate(ms, e.ObservedSeconds, e.DownSeconds, e.MaintenanceSeconds, r.cfg.SLATarget, r.cfg.MaintenancePolicy)
		e.Availability, e.AvailabilityLowerBound = nz(ev.Availability), nz(ev.LowerBound)
		e.BudgetSeconds, e.RemainingSeconds, e.UnknownSeconds, e.Status = ev.Budget, ev.Remaining, ev.Unknown, ev.Status
		res = append(res, e)
	}
	sort.Slice(res, func(i, j int) bool { return labelKey(res[i].Labels) < labelKey(res[j].Labels) })
	if err := r.fetchIncidents(f, res, upS, unkS); err != nil {
		return nil, err
	}
	return res, nil
}

// piecewise sums a counter's increase from its raw samples rs in the month
// (after a reset).
func (r *run) piecewise(rs Series, c *Counter, starts map[string]float64, k string) {
	var st *float64
	if v, ok := starts[k]; ok {
		st = &v
	}
	var vals []float64
	for _, p := range rs.Points {
		if p.T.Equal(r.start()) && st != nil {
			continue // the start value itself
		}
		vals = append(vals, p.V)
	}
	c.Delta, c.Resets = CounterDelta(st, vals)
	c.Note = fmt.Sprintf("%d counter reset(s): increase summed piecewise from raw samples", c.Resets)
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
