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

// counterValues holds one counter for all entities.
type counterValues map[string]*Counter

// fetchCounter computes exact month deltas of a counter for all entities:
// value at the start (last sample ≤ start), last sample ≤ end, resets in
// the closed range [start, end]; entities with resets get their raw samples
// fetched and summed piecewise.
func (r *run) fetchCounter(name string, labels map[string]map[string]string) (counterValues, error) {
	sel := r.selector(name)
	var endS, startS, resetS []Series
	err := parallel(
		func() (err error) {
			endS, err = r.query("end value (last sample in the month) of "+name, fmt.Sprintf("last_over_time(%s%s %s)", sel, r.rangeSel(), at(r.end())), r.end())
			return
		},
		func() (err error) {
			startS, err = r.query("value at the month start of "+name, fmt.Sprintf("%s %s", sel, at(r.start())), r.end())
			return
		},
		func() (err error) {
			resetS, err = r.query("counter resets in the month of "+name, fmt.Sprintf("resets(%s%s %s)", sel, r.rangeSel(), at(r.end())), r.end())
			return
		},
	)
	if err != nil {
		return nil, err
	}
	out := counterValues{}
	for _, s := range endS {
		k := labelKey(s.Labels)
		if len(s.Points) == 0 {
			continue
		}
		if _, ok := labels[k]; !ok {
			labels[k] = stripName(s.Labels)
		}
		out[k] = &Counter{End: s.Points[0].V}
	}
	starts := map[string]float64{}
	for _, s := range startS {
		if len(s.Points) > 0 {
			starts[labelKey(s.Labels)] = s.Points[0].V
		}
	}
	for k, c := range out {
		if v, ok := starts[k]; ok {
			c.Start = v
			c.Delta = c.End - c.Start
		} else {
			c.Delta = c.End
			c.Note = "no sample at the month start: the series began inside the month at 0"
		}
	}
	for _, s := range resetS {
		k := labelKey(s.Labels)
		c, ok := out[k]
		if !ok || len(s.Points) == 0 || s.Points[0].V == 0 {
			continue
		}
		// Raw samples for this entity only.
		ls := stripName(s.Labels)
		ms := []string{}
		for lk, lv := range ls {
			ms = append(ms, lk+"="+QuoteLabelValue(lv))
		}
		sort.Strings(ms)
		raw, err := r.query("raw samples (counter reset) of "+name, fmt.Sprintf("%s{%s}%s %s", name, strings.Join(ms, ","), r.rangeSel(), at(r.end())), r.end())
		if err != nil {
			return nil, err
		}
		for _, rs := range raw {
			if labelKey(rs.Labels) != k {
				continue
			}
			var vals []float64
			var st *float64
			if v, ok := starts[k]; ok {
				st = &v
			}
			for _, p := range rs.Points {
				if p.T.Equal(r.start()) && st != nil {
					continue // the start value itself
				}
				vals = append(vals, p.V)
			}
			c.Delta, c.Resets = CounterDelta(st, vals)
			c.Note = fmt.Sprintf("%d counter reset(s): increase summed piecewise from raw samples", c.Resets)
		}
	}
	return out, nil
}

// fetchAvailability computes the availability family of ns for all entities.
func (r *run) fetchAvailability(ns string) ([]EntityResult, error) {
	f := familyFor(ns)
	labels := map[string]map[string]string{}
	var lmu sync.Mutex
	vals := map[string]counterValues{}
	names := []string{f.observed, f.down, f.maint, f.maintDown, f.changes}
	var fns []func() error
	for _, n := range names {
		n := n
		fns = append(fns, func() error {
			l := map[string]map[string]string{}
			cv, err := r.fetchCounter(n, l)
			if err != nil {
				return err
			}
			lmu.Lock()
			vals[n] = cv
			for k, v := range l {
				labels[k] = v
			}
			lmu.Unlock()
			return nil
		})
	}
	if err := parallel(fns...); err != nil {
		return nil, err
	}
	ms := r.month.Seconds()
	var res []EntityResult
	for k, obs := range vals[f.observed] {
		e := EntityResult{NS: ns, Labels: labels[k], Counters: map[string]Counter{}}
		e.Name = e.Labels[f.nameLabel]
		get := func(n string) float64 {
			if c, ok := vals[n][k]; ok {
				e.Counters[n] = *c
				return c.Delta
			}
			return 0
		}
		e.ObservedSeconds = obs.Delta
		e.Counters[f.observed] = *obs
		e.DownSeconds = get(f.down)
		e.MaintenanceSeconds = get(f.maint)
		e.MaintenanceDownSeconds = get(f.maintDown)
		e.StateChanges = get(f.changes)
		ev := Evaluate(ms, e.ObservedSeconds, e.DownSeconds, e.MaintenanceSeconds, r.cfg.SLATarget, r.cfg.MaintenancePolicy)
		e.Availability, e.AvailabilityLowerBound = nz(ev.Availability), nz(ev.LowerBound)
		e.BudgetSeconds, e.RemainingSeconds, e.UnknownSeconds, e.Status = ev.Budget, ev.Remaining, ev.Unknown, ev.Status
		res = append(res, e)
	}
	sort.Slice(res, func(i, j int) bool { return labelKey(res[i].Labels) < labelKey(res[j].Labels) })
	if err := r.fetchIncidents(f, res); err != nil {
		return nil, err
	}
	return res, nil
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
