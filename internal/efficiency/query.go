package efficiency

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jianguan/jianguan/internal/report"
)

// Query levels: one series per host, per unit or per platform.
const (
	LevelHost     = "host"
	LevelUnit     = "unit"
	LevelPlatform = "platform"
)

// Query is one PromQL evaluation behind the document's figures.
type Query struct {
	ID      string // e.g. host/cpu/util_p95
	Level   string
	Figure  string // cpu, memory, disk, network_in, network_out, inventory
	Stat    string // allocated, used_mean, util_mean, util_p95, samples, bytes, rate_p95, known
	PromQL  string
	Purpose string // zh-CN
	// PurposeEN is the English purpose.
	PurposeEN string
}

// resources: name, allocated figure, used figure.
var resources = []struct{ Name, Alloc, Used, ZH, EN string }{
	{"cpu", FigCPUAllocated, FigCPUUsed, "CPU", "CPU"},
	{"memory", FigMemoryAllocated, FigMemoryUsed, "内存", "memory"},
	{"disk", FigDiskAllocated, FigDiskUsed, "磁盘", "disk"},
}

var traffics = []struct{ Name, Fig, ZH, EN string }{
	{"network_in", FigNetworkIn, "入流量", "inbound traffic"},
	{"network_out", FigNetworkOut, "出流量", "outbound traffic"},
}

// window is the subquery range [R:S] @ end: the month left-open at its
// start (R is the month less 1 ms, so Prometheus 2.x's closed range and
// 3.x's left-open range select the same points), S the rate window.
func (c *Config) window(end time.Time, month time.Duration) string {
	return fmt.Sprintf("[%dms:%ds] @ %s", month.Milliseconds()-1, int64(c.RateWindow/time.Second),
		strconv.FormatFloat(float64(end.UnixMilli())/1e3, 'f', -1, 64))
}

// queries are every query of a month ending at end.
func (c *Config) queries(end time.Time, month time.Duration) []Query {
	win := c.window(end, month)
	step := strconv.FormatInt(int64(c.RateWindow/time.Second), 10)
	var qs []Query
	add := func(level, fig, stat, promql, zh, en string) {
		qs = append(qs, Query{ID: level + "/" + fig + "/" + stat, Level: level, Figure: fig, Stat: stat, PromQL: promql, Purpose: zh, PurposeEN: en})
	}
	add(LevelHost, "inventory", "known", "max_over_time(("+c.Expr[FigInventory]+")"+win+")", "主机清单", "host inventory")
	for _, r := range resources {
		a, u := c.Expr[r.Alloc], c.Expr[r.Used]
		util := "((" + u + ") / ((" + a + ") > 0))"
		add(LevelHost, r.Name, "allocated", "max_over_time(("+a+")"+win+")", "主机"+r.ZH+"分配量（月内最大）", "host "+r.EN+" allocated (month's maximum)")
		add(LevelHost, r.Name, "used_mean", "avg_over_time(("+u+")"+win+")", "主机"+r.ZH+"使用量（月均）", "host "+r.EN+" used (mean)")
		add(LevelHost, r.Name, "util_mean", "avg_over_time("+util+win+")", "主机"+r.ZH+"利用率（月均）", "host "+r.EN+" utilisation (mean)")
		add(LevelHost, r.Name, "util_p95", "quantile_over_time(0.95, "+util+win+")", "主机"+r.ZH+"利用率（P95）", "host "+r.EN+" utilisation (p95)")
		if r.Name == "cpu" {
			add(LevelHost, r.Name, "samples", "count_over_time("+util+win+")", "主机CPU数据点数（数据覆盖率）", "host CPU data points (coverage)")
		}
		for _, lv := range []struct{ level, label, zh, en string }{{LevelUnit, c.Labels.Unit, "单位", "unit"}, {LevelPlatform, c.Labels.Platform, "云平台", "platform"}} {
			agg := "(sum by (" + lv.label + ") (" + u + ") / (sum by (" + lv.label + ") (" + a + ") > 0))"
			add(lv.level, r.Name, "util_mean", "avg_over_time("+agg+win+")", lv.zh+r.ZH+"利用率（月均，合计使用量 ÷ 合计分配量）", lv.en+" "+r.EN+" utilisation (mean of total used ÷ total allocated)")
			add(lv.level, r.Name, "util_p95", "quantile_over_time(0.95, "+agg+win+")", lv.zh+r.ZH+"利用率（P95）", lv.en+" "+r.EN+" utilisation (p95)")
		}
	}
	for _, t := range traffics {
		n := c.Expr[t.Fig]
		add(LevelHost, t.Name, "bytes", "sum_over_time(("+n+")"+win+") * "+step, "主机"+t.ZH+"字节数（速率 × 步长之和）", "host "+t.EN+" bytes (sum of rate × step)")
		add(LevelHost, t.Name, "rate_p95", "quantile_over_time(0.95, ("+n+")"+win+")", "主机"+t.ZH+"速率（P95）", "host "+t.EN+" rate (p95)")
		for _, lv := range []struct{ level, label, zh, en string }{{LevelUnit, c.Labels.Unit, "单位", "unit"}, {LevelPlatform, c.Labels.Platform, "云平台", "platform"}} {
			add(lv.level, t.Name, "rate_p95", "quantile_over_time(0.95, (sum by ("+lv.label+") ("+n+"))"+win+")", lv.zh+t.ZH+"合计速率（P95）", lv.en+" "+t.EN+" total rate (p95)")
		}
	}
	return qs
}

// answer is one query's result.
type answer struct {
	q      Query
	series []report.Series
}

// maxInFlight bounds the queries sent at once (the querier has its own
// bound too).
const maxInFlight = 4

// run evaluates qs at end, at most maxInFlight at a time. An answer with
// more than MaxSeries series is an error (never truncated); the first error
// cancels the rest.
func (c *Config) run(ctx context.Context, q report.Querier, qs []Query, end time.Time) ([]answer, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([]answer, len(qs))
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i, qq := range qs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			res, err := q.Query(ctx, qq.PromQL, end)
			if err == nil && len(res) > c.MaxSeries {
				err = report.Errorf(report.ErrTooLarge, "查询 %s 返回 %d 条序列，超过上限 max_series_per_query=%d（不截断；请调高上限或按单位筛选） / query %s returned %d series, more than max_series_per_query=%d (not truncated)",
					qq.ID, len(res), c.MaxSeries, qq.ID, len(res), c.MaxSeries)
			}
			if err != nil {
				once.Do(func() { first = fmt.Errorf("%s: %w", qq.ID, err); cancel(first) })
				return
			}
			out[i] = answer{q: qq, series: res}
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return out, nil
}
