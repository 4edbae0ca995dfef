package efficiency

import (
	"context"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
)

// Host states.
const (
	StateActive       = "active"       // CPU data for the month, p95 at or above the threshold
	StateIdle         = "idle"         // CPU p95 below the threshold, data covering ≥ min_coverage
	StateInsufficient = "insufficient" // CPU data covering less than min_coverage: no verdict
	StateNoData       = "no_data"      // no CPU data at all (无数据): never idle, never 0 %
)

// Resource is one resource of a host or an aggregate; nil is 无数据.
type Resource struct {
	Allocated *float64 `json:"allocated"` // vCPU, bytes (month's maximum; aggregates: sum)
	UsedMean  *float64 `json:"usedMean"`  // vCPU, bytes
	UtilMean  *float64 `json:"utilMean"`  // fraction
	UtilP95   *float64 `json:"utilP95"`   // fraction
}

// Traffic is one direction of network traffic; nil is 无数据.
type Traffic struct {
	Bytes   *float64 `json:"bytes"`
	RateP95 *float64 `json:"rateP95"` // bytes/s
}

// Host is one host's month.
type Host struct {
	Unit     string   `json:"unit"`
	Platform string   `json:"platform"`
	Host     string   `json:"host"`
	Known    bool     `json:"known"`    // in the inventory (e.g. probed by uptime_exporter)
	Coverage *float64 `json:"coverage"` // share of the month with CPU data
	State    string   `json:"state"`
	CPU      Resource `json:"cpu"`
	Memory   Resource `json:"memory"`
	Disk     Resource `json:"disk"`
	In       Traffic  `json:"in"`
	Out      Traffic  `json:"out"`
}

// Group is a unit's or a platform's month: sums over its hosts, the
// utilisation of its totals (mean and p95 from their own queries).
type Group struct {
	Name   string   `json:"name"`
	Hosts  int      `json:"hosts"`
	Data   int      `json:"withData"`
	Idle   int      `json:"idle"`
	NoData int      `json:"noData"`
	CPU    Resource `json:"cpu"`
	Memory Resource `json:"memory"`
	Disk   Resource `json:"disk"`
	In     Traffic  `json:"in"`
	Out    Traffic  `json:"out"`
}

// Result is a month's evaluation.
type Result struct {
	Month       string         `json:"month"`
	Start, End  string         `json:"-"`
	Seconds     float64        `json:"seconds"`
	Hosts       []Host         `json:"hosts"`
	Units       []Group        `json:"units"`
	Platforms   []Group        `json:"platforms"`
	Queries     []Query        `json:"queries"`
	Threshold   float64        `json:"idleThreshold"`
	MinCoverage float64        `json:"minCoverage"`
	series      map[string]int // per query ID: series answered (audit)
}

// Idle is the idle hosts in natural order of unit, platform, host.
func (r *Result) Idle() []Host {
	var out []Host
	for _, h := range r.Hosts {
		if h.State == StateIdle {
			out = append(out, h)
		}
	}
	return out
}

// MaxPeriodDays bounds the period Evaluate computes: every figure samples
// the whole period every rate_window (a subquery), so its cost grows with
// the period — 400 days hold a year and the service period.
const MaxPeriodDays = 400

// Evaluate computes the period [start, end) — a month (deliverable 24 is
// monthly), or a quarter, year, the service period or a range of at most
// MaxPeriodDays — from q. Any query error fails the whole evaluation (a
// partial result is never presented as complete); a period without any
// host is report.ErrNoData.
func Evaluate(ctx context.Context, q report.Querier, c *Config, month report.Month) (*Result, error) {
	span := month.End.Sub(month.Start)
	if span <= 0 || span > MaxPeriodDays*24*time.Hour {
		return nil, report.Errorf(report.ErrBadRequest, "efficiency: the period %s is %.0f days; it must be 1 to %d days (each figure samples the whole period every rate_window)", month.Label, span.Hours()/24, MaxPeriodDays)
	}
	qs := c.queries(month.End, span)
	ans, err := c.run(ctx, q, qs, month.End)
	if err != nil {
		return nil, err
	}
	res := &Result{Month: month.Label, Start: month.Start.Format(time.RFC3339), End: month.End.Format(time.RFC3339),
		Seconds: span.Seconds(), Queries: qs, Threshold: c.Idle.CPUP95Below, MinCoverage: c.Idle.MinCoverage, series: map[string]int{}}
	hosts := map[string]*Host{}
	units := map[string]*Group{}
	plats := map[string]*Group{}
	hostOf := func(l map[string]string) *Host {
		k := l[c.Labels.Platform] + "\x00" + l[c.Labels.Host]
		h := hosts[k]
		if h == nil {
			h = &Host{Unit: l[c.Labels.Unit], Platform: l[c.Labels.Platform], Host: l[c.Labels.Host]}
			hosts[k] = h
		}
		if h.Unit == "" {
			h.Unit = l[c.Labels.Unit]
		}
		return h
	}
	groupOf := func(m map[string]*Group, name string) *Group {
		g := m[name]
		if g == nil {
			g = &Group{Name: name}
			m[name] = g
		}
		return g
	}
	for _, a := range ans {
		res.series[a.q.ID] = len(a.series)
		seen := map[string]bool{}
		for _, s := range a.series {
			if len(s.Points) == 0 {
				continue
			}
			v := s.Points[len(s.Points)-1].V
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue // a ratio over a zero allocation: no data, not 0 %
			}
			var key string
			switch a.q.Level {
			case LevelHost:
				if s.Labels[c.Labels.Host] == "" {
					return nil, report.Errorf(report.ErrBadRequest, "%s: a series without label %s (%s): the %s mapping must give one series per host (sum by (%s, %s, %s))",
						a.q.ID, c.Labels.Host, labels.FromMap(s.Labels).String(), a.q.Figure, c.Labels.Unit, c.Labels.Platform, c.Labels.Host)
				}
				key = s.Labels[c.Labels.Platform] + "\x00" + s.Labels[c.Labels.Host]
			case LevelUnit:
				key = s.Labels[c.Labels.Unit]
			case LevelPlatform:
				key = s.Labels[c.Labels.Platform]
			}
			if seen[key] {
				return nil, report.Errorf(report.ErrBadRequest, "%s: two series for %s (%s): the mapping must aggregate by (%s, %s, %s)",
					a.q.ID, strings.ReplaceAll(key, "\x00", "/"), labels.FromMap(s.Labels).String(), c.Labels.Unit, c.Labels.Platform, c.Labels.Host)
			}
			seen[key] = true
			vv := v
			switch a.q.Level {
			case LevelHost:
				h := hostOf(s.Labels)
				if a.q.Stat == "known" {
					h.Known = true
					continue
				}
				if a.q.Stat == "samples" {
					cov := math.Min(1, vv*c.RateWindow.Seconds()/span.Seconds())
					h.Coverage = &cov
					continue
				}
				set(hostFigure(h, a.q.Figure), a.q.Stat, &vv)
			case LevelUnit:
				set(groupFigure(groupOf(units, key), a.q.Figure), a.q.Stat, &vv)
			case LevelPlatform:
				set(groupFigure(groupOf(plats, key), a.q.Figure), a.q.Stat, &vv)
			}
		}
	}
	for _, h := range hosts {
		switch {
		case h.CPU.UtilP95 == nil || h.Coverage == nil:
			h.State = StateNoData
		case *h.Coverage < c.Idle.MinCoverage:
			h.State = StateInsufficient
		case *h.CPU.UtilP95 < c.Idle.CPUP95Below:
			h.State = StateIdle
		default:
			h.State = StateActive
		}
		res.Hosts = append(res.Hosts, *h)
		for _, g := range []*Group{groupOf(units, h.Unit), groupOf(plats, h.Platform)} {
			g.Hosts++
			switch h.State {
			case StateNoData:
				g.NoData++
			case StateIdle:
				g.Idle++
				g.Data++
			default:
				g.Data++
			}
			for _, p := range []struct{ g, h *Resource }{{&g.CPU, &h.CPU}, {&g.Memory, &h.Memory}, {&g.Disk, &h.Disk}} {
				add(&p.g.Allocated, p.h.Allocated)
				add(&p.g.UsedMean, p.h.UsedMean)
			}
			add(&g.In.Bytes, h.In.Bytes)
			add(&g.Out.Bytes, h.Out.Bytes)
		}
	}
	if len(res.Hosts) == 0 {
		return nil, report.Errorf(report.ErrNoData, "本期无监测数据：%s 没有任何主机的资源数据 / no host data in %s", month.Label, month.Label)
	}
	sort.Slice(res.Hosts, func(i, j int) bool {
		a, b := res.Hosts[i], res.Hosts[j]
		if a.Unit != b.Unit {
			return docfmt.NaturalLess(a.Unit, b.Unit)
		}
		if a.Platform != b.Platform {
			return docfmt.NaturalLess(a.Platform, b.Platform)
		}
		return docfmt.NaturalLess(a.Host, b.Host)
	})
	res.Units = sortedGroups(units)
	res.Platforms = sortedGroups(plats)
	return res, nil
}

func hostFigure(h *Host, fig string) any {
	switch fig {
	case "cpu":
		return &h.CPU
	case "memory":
		return &h.Memory
	case "disk":
		return &h.Disk
	case "network_in":
		return &h.In
	case "network_out":
		return &h.Out
	}
	return nil
}

func groupFigure(g *Group, fig string) any {
	switch fig {
	case "cpu":
		return &g.CPU
	case "memory":
		return &g.Memory
	case "disk":
		return &g.Disk
	case "network_in":
		return &g.In
	case "network_out":
		return &g.Out
	}
	return nil
}

func set(target any, stat string, v *float64) {
	switch t := target.(type) {
	case *Resource:
		switch stat {
		case "allocated":
			t.Allocated = v
		case "used_mean":
			t.UsedMean = v
		case "util_mean":
			t.UtilMean = v
		case "util_p95":
			t.UtilP95 = v
		}
	case *Traffic:
		switch stat {
		case "bytes":
			t.Bytes = v
		case "rate_p95":
			t.RateP95 = v
		}
	}
}

// add sums into *dst; a nil v (无数据) leaves it alone.
func add(dst **float64, v *float64) {
	if v == nil {
		return
	}
	if *dst == nil {
		x := 0.0
		*dst = &x
	}
	**dst += *v
}

func sortedGroups(m map[string]*Group) []Group {
	out := make([]Group, 0, len(m))
	for _, g := range m {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return docfmt.NaturalLess(out[i].Name, out[j].Name) })
	return out
}
