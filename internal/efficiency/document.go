package efficiency

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
)

// Kind is the report kind (jianguan-report --kind efficiency; the report
// number's kind code comes from reports.yml number_kinds.efficiency).
const Kind = "efficiency"

// DocOptions are the document's language, identification block and clock.
type DocOptions struct {
	Lang     docfmt.Lang
	Ident    *docfmt.Identification // nil: no identification block on the cover
	Now      time.Time
	Location *time.Location
	Filter   string
	// Period is the document's period (its kind names it on the cover and
	// in the report number); zero: the calendar month of the span's start.
	Period calendar.Period
}

// texts of one language; month: the document covers one calendar month
// (本月, 月均, 月内), else another period (本期, 期均, 期内).
type texts struct {
	lang  docfmt.Lang
	month bool
}

// per is the month's word (zh, en) or, for another period, the period's.
func (t texts) per(zhMonth, zhPeriod, enMonth, enPeriod string) string {
	if t.month {
		return t.tr(zhMonth, enMonth)
	}
	return t.tr(zhPeriod, enPeriod)
}

func (t texts) tr(zh, en string) string {
	if t.lang == docfmt.EN {
		return en
	}
	return zh
}

func (t texts) noData() string { return t.tr("无数据", "no data") }

func (t texts) pct(v *float64) string {
	if v == nil {
		return t.noData()
	}
	return docfmt.Percent(*v, 1)
}

func (t texts) num(v *float64, scale float64, dec int) string {
	if v == nil {
		return t.noData()
	}
	return docfmt.Number(*v/scale, dec, t.lang)
}

const gib = 1 << 30

func (t texts) gib(v *float64) string { return t.num(v, gib, 1) }

// mbps is a byte rate in Mbit/s.
func (t texts) mbps(v *float64) string { return t.num(v, 1e6/8, 2) }

func (t texts) state(s string) string {
	switch s {
	case StateIdle:
		return t.tr("闲置", "idle")
	case StateActive:
		return t.tr("在用", "in use")
	case StateInsufficient:
		return t.tr("数据不足", "insufficient data")
	}
	return t.noData()
}

func col(zh, en string) report.Column  { return report.Column{Title: zh, TitleEN: en} }
func ncol(zh, en string) report.Column { return report.Column{Title: zh, TitleEN: en, Numeric: true} }

// Document is r as a report document in the frame every document for 甲方
// has (cover, 目录, numbered sections, sign-off, audit appendix with every
// query); the same renderers (HTML, PDF, CSV, XLSX, JSON) print it.
func Document(r *Result, c *Config, month report.Month, o DocOptions) (*report.Document, error) {
	p := o.Period
	if p.Start.IsZero() {
		p = calendar.MonthOf(month.Start)
	}
	t := texts{lang: o.Lang, month: p.Kind == calendar.KindMonth}
	loc := o.Location
	if loc == nil {
		loc = report.Shanghai
	}
	d := &report.Document{
		Kind: Kind, Lang: string(o.Lang), Month: month.Label,
		Title: "使用单位云资源使用绩效评估分析结果", TitleEN: "Cloud resource use and efficiency of the user units",
		PeriodStart: month.Start.In(loc).Format(time.RFC3339), PeriodEnd: month.End.In(loc).Format(time.RFC3339),
		TimeZone: loc.String(), MonthSeconds: month.Seconds(), GeneratedAt: o.Now.In(loc).Format(time.RFC3339),
		Filter:     o.Filter,
		PeriodText: periodText(p, o.Lang, t),
	}
	if o.Ident != nil {
		no, err := o.Ident.ReportNumber(Kind, p, 1)
		if err != nil {
			return nil, report.Errorf(report.ErrBadRequest, "reports configuration: %v", err)
		}
		svc, err := o.Ident.Service()
		if err != nil {
			return nil, report.Errorf(report.ErrBadRequest, "reports configuration: service_start: %v", err)
		}
		id := o.Ident
		d.Cover = &report.Cover{Project: id.Project, ContractNo: id.ContractNo, Client: id.Client, Submitter: id.SubmitterFor(Kind),
			Recipient: id.Recipient, ReportNumber: no, ServicePeriod: docfmt.DateRange(svc.Start, svc.End, o.Lang),
			Confidentiality: id.Confidentiality, SignOff: id.SignOff}
	}
	idle := r.Idle()
	var noData, insufficient []Host
	var all Group
	for _, h := range r.Hosts {
		switch h.State {
		case StateNoData:
			noData = append(noData, h)
		case StateInsufficient:
			insufficient = append(insufficient, h)
		}
	}
	for _, g := range r.Units {
		all.Hosts += g.Hosts
		all.Data += g.Data
		all.Idle += g.Idle
		all.NoData += g.NoData
		for _, p := range []struct{ a, g *Resource }{{&all.CPU, &g.CPU}, {&all.Memory, &g.Memory}, {&all.Disk, &g.Disk}} {
			add(&p.a.Allocated, p.g.Allocated)
			add(&p.a.UsedMean, p.g.UsedMean)
		}
		add(&all.In.Bytes, g.In.Bytes)
		add(&all.Out.Bytes, g.Out.Bytes)
	}
	thr := docfmt.Percent(c.Idle.CPUP95Below, 1)
	kv := func(zh, en, v string) { d.Summary = append(d.Summary, report.KV{Label: zh, LabelEN: en, Value: v}) }
	kv("使用单位", "User units", strconv.Itoa(len(r.Units)))
	kv("云平台", "Platforms", strconv.Itoa(len(r.Platforms)))
	kv("云主机", "Hosts", t.tr(fmt.Sprintf("%d 台（有数据 %d 台，无数据 %d 台，数据不足 %d 台）", all.Hosts, all.Data-len(insufficient), all.NoData, len(insufficient)),
		fmt.Sprintf("%d (with data %d, no data %d, insufficient data %d)", all.Hosts, all.Data-len(insufficient), all.NoData, len(insufficient))))
	kv("闲置云主机", "Idle hosts", t.tr(fmt.Sprintf("%d 台（CPU 利用率 P95 低于 %s，且数据覆盖%s %s 以上）", len(idle), thr, t.per("本月", "本期", "", ""), docfmt.Percent(c.Idle.MinCoverage, 0)),
		fmt.Sprintf("%d (CPU utilisation p95 below %s, data covering at least %s of the %s)", len(idle), thr, docfmt.Percent(c.Idle.MinCoverage, 0), t.per("", "", "month", "period"))))
	kv("vCPU（分配 / "+t.per("月均", "期均", "", "")+"使用）", "vCPU (allocated / mean used)", t.num(all.CPU.Allocated, 1, 0)+" / "+t.num(all.CPU.UsedMean, 1, 1))
	kv("内存 GiB（分配 / "+t.per("月均", "期均", "", "")+"使用）", "Memory GiB (allocated / mean used)", t.gib(all.Memory.Allocated)+" / "+t.gib(all.Memory.UsedMean))
	kv("磁盘 GiB（分配 / "+t.per("月均", "期均", "", "")+"使用）", "Disk GiB (allocated / mean used)", t.gib(all.Disk.Allocated)+" / "+t.gib(all.Disk.UsedMean))
	kv("流量 GiB（入 / 出）", "Traffic GiB (in / out)", t.gib(all.In.Bytes)+" / "+t.gib(all.Out.Bytes))

	d.Sections = append(d.Sections,
		report.Section{ID: "units", Title: "各使用单位资源使用情况", TitleEN: "Resource use per user unit",
			Text: []string{t.per("分配量为本月内的最大值，使用量为月均值；利用率为单位合计使用量与合计分配量之比的月均值和第 95 百分位数（P95）。无数据的主机不计入利用率，也不判定为闲置。",
				"分配量为本期内的最大值，使用量为本期均值；利用率为单位合计使用量与合计分配量之比的本期均值和第 95 百分位数（P95）。无数据的主机不计入利用率，也不判定为闲置。",
				"Allocated is the month's maximum, used the month's mean; utilisation is the mean and the 95th percentile (p95) of the unit's total used over its total allocated. Hosts without data count in neither utilisation nor idleness.",
				"Allocated is the period's maximum, used the period's mean; utilisation is the mean and the 95th percentile (p95) of the unit's total used over its total allocated. Hosts without data count in neither utilisation nor idleness.")},
			Tables: groupTables(t, "unit", "单位", "Unit", r.Units)},
		report.Section{ID: "platforms", Title: "各云平台资源使用情况", TitleEN: "Resource use per platform",
			Tables: groupTables(t, "platform", "云平台", "Platform", r.Platforms)},
		report.Section{ID: "idle", Title: "闲置云主机", TitleEN: "Idle hosts",
			Text:   []string{annexText(t, len(idle), c.AnnexRows, thr)},
			Tables: []report.Table{hostTable(t, "idle-hosts", "闲置云主机清单", "Idle hosts", idle, c.AnnexRows)}},
		report.Section{ID: "nodata", Title: "无数据与数据不足的云主机", TitleEN: "Hosts without sufficient data",
			Text: []string{t.per("以下主机本月没有 CPU 数据（无数据）或数据覆盖不足，不作闲置判定，也不按 0 % 利用率计。",
				"以下主机本期没有 CPU 数据（无数据）或数据覆盖不足，不作闲置判定，也不按 0 % 利用率计。",
				"These hosts have no CPU data this month (no data) or too little of it: no idle verdict, and never counted as 0 % utilised.",
				"These hosts have no CPU data this period (no data) or too little of it: no idle verdict, and never counted as 0 % utilised.")},
			Tables: []report.Table{hostTable(t, "nodata-hosts", "无数据与数据不足的云主机", "Hosts without sufficient data", append(noData, insufficient...), c.AnnexRows)}},
		methodSection(t, c),
	)
	// No maintenance policy: the report has no availability figures (the
	// appendix leaves the policy line out when it is empty).
	d.Audit = report.Audit{Method: methodText(t, c, month)}
	for _, q := range r.Queries {
		d.Audit.Queries = append(d.Audit.Queries, report.AuditQuery{Purpose: t.purpose(q.Purpose, q.PurposeEN), PromQL: q.PromQL,
			EvalAt: month.End.UTC().Format(time.RFC3339), Series: r.seriesOf(q.ID)})
	}
	return d, nil
}

func groupTables(t texts, id, zh, en string, gs []Group) []report.Table {
	scale := report.Table{ID: id + "-scale", Title: "资源规模", TitleEN: "Resource scale",
		Columns: []report.Column{col(zh, en), ncol("主机", "Hosts"), ncol("有数据", "With data"), ncol("无数据", "No data"), ncol("闲置", "Idle"),
			ncol("vCPU 分配", "vCPU allocated"), ncol("vCPU 使用", "vCPU used"), ncol("内存分配 GiB", "Memory allocated GiB"), ncol("内存使用 GiB", "Memory used GiB"),
			ncol("磁盘分配 GiB", "Disk allocated GiB"), ncol("磁盘使用 GiB", "Disk used GiB")}}
	util := report.Table{ID: id + "-util", Title: "利用率", TitleEN: "Utilisation",
		Columns: []report.Column{col(zh, en), col("CPU "+t.per("月均", "期均", "", ""), "CPU mean"), col("CPU P95", "CPU p95"), col("内存"+t.per("月均", "期均", "", ""), "Memory mean"), col("内存 P95", "Memory p95"),
			col("磁盘"+t.per("月均", "期均", "", ""), "Disk mean"), col("磁盘 P95", "Disk p95")}}
	traffic := report.Table{ID: id + "-traffic", Title: "网络流量", TitleEN: "Network traffic",
		Columns: []report.Column{col(zh, en), ncol("入流量 GiB", "In GiB"), ncol("出流量 GiB", "Out GiB"), ncol("入 P95 Mbit/s", "In p95 Mbit/s"), ncol("出 P95 Mbit/s", "Out p95 Mbit/s")}}
	for _, g := range gs {
		scale.Rows = append(scale.Rows, []string{g.Name, strconv.Itoa(g.Hosts), strconv.Itoa(g.Data), strconv.Itoa(g.NoData), strconv.Itoa(g.Idle),
			t.num(g.CPU.Allocated, 1, 0), t.num(g.CPU.UsedMean, 1, 2), t.gib(g.Memory.Allocated), t.gib(g.Memory.UsedMean), t.gib(g.Disk.Allocated), t.gib(g.Disk.UsedMean)})
		util.Rows = append(util.Rows, []string{g.Name, t.pct(g.CPU.UtilMean), t.pct(g.CPU.UtilP95), t.pct(g.Memory.UtilMean), t.pct(g.Memory.UtilP95),
			t.pct(g.Disk.UtilMean), t.pct(g.Disk.UtilP95)})
		traffic.Rows = append(traffic.Rows, []string{g.Name, t.gib(g.In.Bytes), t.gib(g.Out.Bytes), t.mbps(g.In.RateP95), t.mbps(g.Out.RateP95)})
	}
	return []report.Table{scale, util, traffic}
}

// hostTable lists at most max hosts (the annex bound).
func hostTable(t texts, id, zh, en string, hs []Host, max int) report.Table {
	tb := report.Table{ID: id, Title: zh, TitleEN: en, Empty: t.tr("无。", "None."),
		Columns: []report.Column{col("单位", "Unit"), col("云平台", "Platform"), col("云主机", "Host"), col("状态", "State"), ncol("vCPU", "vCPU"),
			col("CPU "+t.per("月均", "期均", "", ""), "CPU mean"), col("CPU P95", "CPU p95"), col("内存 P95", "Memory p95"), col("数据覆盖率", "Coverage")}}
	for i, h := range hs {
		if i >= max {
			break
		}
		tb.Rows = append(tb.Rows, []string{h.Unit, h.Platform, h.Host, t.state(h.State), t.num(h.CPU.Allocated, 1, 0),
			t.pct(h.CPU.UtilMean), t.pct(h.CPU.UtilP95), t.pct(h.Memory.UtilP95), t.pct(h.Coverage)})
	}
	return tb
}

func annexText(t texts, n, max int, thr string) string {
	if n <= max {
		return t.tr(fmt.Sprintf("%s CPU 利用率 P95 低于 %s 的云主机共 %d 台，全部列于下表，建议使用单位核实需求，回收或缩减资源。", t.per("本月", "本期", "", ""), thr, n),
			fmt.Sprintf("%s a CPU utilisation p95 below %s this %s, all listed below; the units should review whether to reclaim or shrink them.", docfmt.Count(n, "host had", "hosts had"), thr, t.per("", "", "month", "period")))
	}
	return t.tr(fmt.Sprintf("%s CPU 利用率 P95 低于 %s 的云主机共 %d 台；附表按单位、云平台、主机排序，只列前 %d 台（idle_annex_max_rows），其余 %d 台未列出。", t.per("本月", "本期", "", ""), thr, n, max, n-max),
		fmt.Sprintf("%s a CPU utilisation p95 below %s this %s; the annex, sorted by unit, platform and host, lists the first %d (idle_annex_max_rows), %d more %s not listed.", docfmt.Count(n, "host had", "hosts had"), thr, t.per("", "", "month", "period"), max, n-max, docfmt.Noun(n-max, "is", "are")))
}

func methodSection(t texts, c *Config) report.Section {
	s := report.Section{ID: "method", Title: "评估方法", TitleEN: "Method"}
	tb := report.Table{ID: "method-promql", Title: "各项数据的 PromQL", TitleEN: "The PromQL behind each figure",
		Columns: []report.Column{col("数据项", "Figure"), col("云平台", "Platform"), col("PromQL（每台主机一条序列）", "PromQL (one series per host)")}}
	names := map[string][2]string{
		FigInventory: {"主机清单", "host inventory"}, FigCPUAllocated: {"vCPU 分配", "vCPU allocated"}, FigCPUUsed: {"vCPU 使用", "vCPU used"},
		FigMemoryAllocated: {"内存分配（字节）", "memory allocated (bytes)"}, FigMemoryUsed: {"内存使用（字节）", "memory used (bytes)"},
		FigDiskAllocated: {"磁盘分配（字节）", "disk allocated (bytes)"}, FigDiskUsed: {"磁盘使用（字节）", "disk used (bytes)"},
		FigNetworkIn: {"入流量速率（字节/秒）", "inbound rate (bytes/s)"}, FigNetworkOut: {"出流量速率（字节/秒）", "outbound rate (bytes/s)"},
	}
	for _, f := range Figures {
		n := names[f]
		tb.Rows = append(tb.Rows, []string{t.tr(n[0], n[1]), t.tr("默认", "default"), c.Source[f][""]})
		for _, p := range c.Platforms {
			if src, ok := c.Source[f][p]; ok {
				tb.Rows = append(tb.Rows, []string{t.tr(n[0], n[1]), p, src})
			}
		}
	}
	s.Text = []string{
		t.tr(fmt.Sprintf("数据来自各云平台已导出的主机指标（默认为 node_exporter 指标名），按配置文件 efficiency.yml 逐平台映射；$by 表示按单位、云平台、主机三个标签（%s、%s、%s）汇总，$rate_window 为 %v。",
			c.Labels.Unit, c.Labels.Platform, c.Labels.Host, model.Duration(c.RateWindow)),
			fmt.Sprintf("The figures come from the host metrics the platforms already export (node_exporter's names by default), mapped per platform in efficiency.yml; $by groups by the unit, platform and host labels (%s, %s, %s), $rate_window is %v.",
				c.Labels.Unit, c.Labels.Platform, c.Labels.Host, model.Duration(c.RateWindow))),
		t.tr(fmt.Sprintf("每项按 %v 步长在%s内取值（子查询），求%s均值、%s内最大值和第 95 百分位数；流量字节数 = Σ（速率 × 步长），为近似值。", model.Duration(c.RateWindow),
			t.per("整月", "整个报告期", "", ""), t.per("月", "期", "", ""), t.per("月", "期", "", "")),
			fmt.Sprintf("Each figure is sampled every %v over the %s (subquery) for its mean, maximum and 95th percentile; traffic bytes = Σ (rate × step), an approximation.", model.Duration(c.RateWindow), t.per("", "", "month", "period"))),
		t.tr(fmt.Sprintf("闲置判定：CPU 利用率 P95 低于 %s，且 CPU 数据覆盖%s %s 以上；没有 CPU 数据的主机为无数据，覆盖不足的为数据不足，均不判定为闲置，也不计为 0 %% 利用率。",
			docfmt.Percent(c.Idle.CPUP95Below, 1), t.per("本月", "本期", "", ""), docfmt.Percent(c.Idle.MinCoverage, 0)),
			fmt.Sprintf("Idle: CPU utilisation p95 below %s with CPU data covering at least %s of the %s; a host without CPU data is no data, one with less coverage insufficient data: neither is idle or counted as 0 %% utilised.",
				docfmt.Percent(c.Idle.CPUP95Below, 1), docfmt.Percent(c.Idle.MinCoverage, 0), t.per("", "", "month", "period"))),
	}
	s.Tables = []report.Table{tb}
	return s
}

func methodText(t texts, c *Config, month report.Month) []string {
	return []string{
		t.tr(fmt.Sprintf("%s：%s 起至 %s 止（不含）；子查询区间为%s末前 %d 毫秒（左开），在 Prometheus 2.x 与 3.x 上选取相同的点。",
			t.per("月份按北京时间日历月计算", "报告期按北京时间计算", "", ""), month.Start.Format(time.RFC3339), month.End.Format(time.RFC3339), t.per("月", "期", "", ""), month.End.Sub(month.Start).Milliseconds()-1),
			fmt.Sprintf("%s in Beijing time: [%s, %s); the subqueries cover the %d ms before its end (left-open), the same points on Prometheus 2.x and 3.x.",
				t.per("", "", "Calendar month", "Reporting period"), month.Start.Format(time.RFC3339), month.End.Format(time.RFC3339), month.End.Sub(month.Start).Milliseconds()-1)),
		t.tr(fmt.Sprintf("每个查询最多 %d 条序列，超过即报错，不截断。", c.MaxSeries),
			fmt.Sprintf("At most %d series per query; more is an error, never truncated.", c.MaxSeries)),
	}
}

// periodWords are the month's words of the query purposes (query.go
// writes them for the monthly deliverable) and their wording for another
// period: a quarter's audit appendix never says 月均 or 月内.
var periodWords = strings.NewReplacer("月内", "期内", "月均", "期均", "本月", "本期", "month's", "period's", "this month", "this period")

// purpose is a query's purpose in the document's language, in the words
// of its period (periodWords).
func (t texts) purpose(zh, en string) string {
	p := t.tr(zh, en)
	if t.month {
		return p
	}
	return periodWords.Replace(p)
}

// seriesOf is the number of series a query gave (audit).
func (r *Result) seriesOf(id string) int {
	return r.series[id]
}

// periodText is the document's 报告期: the dates in Beijing time, a
// period other than a month (or range) with its name first (2026年第四季度：…).
func periodText(p calendar.Period, lang docfmt.Lang, t texts) string {
	s := docfmt.DateRange(p.Start, p.End, lang) + t.tr("（北京时间）", " (Beijing time)")
	switch p.Kind {
	case calendar.KindMonth, calendar.KindDay, calendar.KindRange:
		return s
	case calendar.KindService:
		return t.tr("服务期：", "Service period: ") + s
	}
	return docfmt.PeriodLabel(p, lang) + t.tr("：", ": ") + s
}
