package report

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/metricnames"
)

// Build computes one report of period p (calendar.ParsePeriod or
// report.ParsePeriod: a month, quarter, year, the service period or a
// range). On any query error it returns the error and no document: a
// partial report is never presented as complete. An unfinished period is
// measured up to the last full hour (a 截至 draft, Document.Draft, which
// cannot be frozen); a period without any data is ErrNoData
// (本期无监测数据). Every report carries 环比 (the previous period by the
// same engine, or its snapshot when it is signed off: Config.Frozen); a
// period of more than one month a per-month table.
func Build(ctx context.Context, q Querier, cfg Config, kind string, p calendar.Period) (*Document, error) {
	return build(ctx, q, cfg, kind, p, true, nil)
}

// build computes the report; full: with 环比, the per-month table and the
// trend (false: the previous period's headline build for 环比). reads: the
// edge reads the build shares with the build it is the previous period of
// (nil: its own).
func build(ctx context.Context, q Querier, cfg Config, kind string, p calendar.Period, full bool, reads *sharedReads) (*Document, error) {
	if err := ValidKind(kind); err != nil {
		return nil, err
	}
	if err := cfg.normalise(); err != nil {
		return nil, err
	}
	if cfg.Frozen != nil && full {
		cfg.Frozen = &frozenMemo{src: cfg.Frozen, docs: map[string]*Document{}}
	}
	span, draft, err := measured(p, cfg.Now())
	if err != nil {
		return nil, err
	}
	sel, _ := Matchers(cfg.Filter)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if reads == nil {
		reads = newSharedReads()
	}
	r := &run{ctx: ctx, cancel: cancel, q: q, cfg: cfg, month: span, sel: sel, headline: !full, subReads: reads}
	r.reads = r.subReads // its edges are its first and last month's (shared.go)
	d := &Document{
		Kind: kind, Organisation: cfg.Organisation, Month: p.String(), PeriodKind: string(p.Kind),
		PeriodStart: span.Start.In(cfg.Location).Format(time.RFC3339), PeriodEnd: span.End.In(cfg.Location).Format(time.RFC3339),
		TimeZone: cfg.Location.String(), MonthSeconds: span.Seconds(),
		GeneratedAt: cfg.Now().In(cfg.Location).Format(time.RFC3339), SLATarget: cfg.SLATarget, MaintenancePolicy: cfg.MaintenancePolicy,
		Filter: sel, Lang: string(cfg.Lang), Draft: draft,
		PeriodText: periodText(p, span, draft, cfg.Lang),
	}
	if draft {
		d.AsOf = span.End.In(cfg.Location).Format(time.RFC3339)
	}
	switch kind {
	case KindLines:
		d.Title, d.TitleEN = periodTitle("数据机房线路检查与巡检运行情况月度工作报告", "Monthly report on data-centre lines", p.Kind)
		err = r.buildLines(d)
	case KindHosts:
		// Deliverable 16: the supervision monthly report — the providers' and
		// user units' service (hosts, websites), hardware inspections
		// (records), the monthly comprehensive evaluation, security posture.
		d.Title, d.TitleEN = periodTitle("北京市市级政务云综合监管月报", "Municipal government cloud: monthly supervision report", p.Kind)
		err = r.buildHosts(d)
	case KindInfrastructure:
		d.Title, d.TitleEN = periodTitle("数据机房基础设施运行情况月度工作报告", "Monthly report on data-centre infrastructure", p.Kind)
		err = r.buildInfra(d)
	case KindProviders:
		d.Title, d.TitleEN = periodTitle("云服务商月度综合评估", "Monthly evaluation of service providers", p.Kind)
		err = r.buildProviders(d)
	}
	var prev *Document // 环比: the previous period, built or its snapshot
	var prevFrozen *Frozen
	var prevOther bool
	if err == nil && len(d.Entities) > 0 && full {
		err = r.perMonth(d)
		if err == nil {
			prev, prevFrozen, prevOther, err = previous(ctx, q, cfg, kind, p.Previous(), sel, r.subReads)
		}
		if err == nil {
			if prev != nil && prevFrozen == nil {
				r.prevBuilt = &builtPeriod{p.Previous(), prev} // the trend's figures of that month (trend.go)
			}
			err = r.extend(d) // trend, daily bands (trend.go, bands.go)
		}
	}
	if err != nil {
		// The first failure cancelled the other queries: report it, not
		// one of the cancellations it caused.
		// (A cause that is the caller's own cancellation or deadline is
		// not ours: then err, the query's own message, says it better.)
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) && !errors.Is(cause, context.DeadlineExceeded) {
			return nil, cause
		}
		return nil, err
	}
	if len(d.Entities) == 0 {
		return nil, NoDataError(d.Month, sel)
	}
	if full {
		compare(d, prev, p.Previous(), prevFrozen, prevOther, cfg.Lang)
		// A snapshot is read, not queried (the method says so); a build's
		// figures are printed, so its queries are listed.
		if prevFrozen != nil {
			r.frozenRead = append(r.frozenRead, frozenUse{p.Previous(), prevFrozen})
		} else if prev != nil {
			for _, a := range prev.Audit.Queries {
				a.Purpose = PreviousAuditPrefix + p.Previous().String() + ": " + a.Purpose
				r.audit = append(r.audit, a)
			}
		}
		// 总体运行情况 first (infrastructure writes its own from the topics),
		// the editable sections last (narrative.go).
		if kind != KindInfrastructure {
			r.availabilityOverview(d)
		}
		if err := r.narrate(d); err != nil {
			return nil, err
		}
	}
	if cfg.Ident != nil {
		c, err := coverOf(cfg.Ident, kind, p, cfg.Lang)
		if err != nil {
			return nil, err
		}
		d.Cover = c
	}
	r.finishAudit(d)
	return d, nil
}

// coverOf fills the identification block of a report of kind for month.
// A report number is the first of its kind for the period (sequence 1).
func coverOf(id *docfmt.Identification, kind string, p calendar.Period, lang docfmt.Lang) (*Cover, error) {
	no, err := id.ReportNumber(kind, p, 1)
	if err != nil {
		return nil, Errorf(ErrBadRequest, "reports configuration: %v", err)
	}
	svc, err := id.Service()
	if err != nil {
		return nil, Errorf(ErrBadRequest, "reports configuration: service_start: %v", err)
	}
	return &Cover{Project: id.Project, ContractNo: id.ContractNo, Client: id.Client, Submitter: id.SubmitterFor(kind),
		Recipient: id.Recipient, ReportNumber: no, ServicePeriod: docfmt.DateRange(svc.Start, svc.End, lang),
		Confidentiality: id.Confidentiality, SignOff: id.SignOff}, nil
}

// tr picks the wording of a document's one language.
func tr(lang docfmt.Lang, zh, en string) string {
	if lang == docfmt.EN {
		return en
	}
	return zh
}

func (r *run) tr(zh, en string) string { return tr(r.cfg.Lang, zh, en) }

// term is the glossary's wording of a code (a missing entry is visible in
// the document as 〔未定义术语：…〕, never the raw code alone).
func (r *run) term(code string) string {
	w, _ := docfmt.Term(code, r.cfg.Lang)
	return w
}

func (r *run) dur(v float64) string { return docfmt.Duration(v, r.cfg.Lang) }

func (r *run) noData() string { return r.tr("无数据", "no data") }

var (
	noteEN  = regexp.MustCompile(`\s\(?[A-Za-z]{2,}`)
	noteNum = regexp.MustCompile(`\s[0-9.]+$`)
)

// NoteIn is the part of an incident note in lang. The incident derivation
// writes each note as 「中文 English」, several joined by "; "; a document
// shows one language. A part is split before its first English word (a
// number right before it belongs to the English when the Chinese ends
// before the number: 「合并为一段 3 transitions」). A part without English is
// kept whole in both languages.
func NoteIn(note string, lang docfmt.Lang) string {
	if note == "" {
		return ""
	}
	parts := strings.Split(note, "; ")
	for i, p := range parts {
		loc := noteEN.FindStringIndex(p)
		if loc == nil {
			continue
		}
		cut := loc[0]
		if m := noteNum.FindStringIndex(p[:cut]); m != nil && m[0] > 0 {
			if prev, _ := utf8.DecodeLastRuneInString(p[:m[0]]); unicode.Is(unicode.Han, prev) {
				cut = m[0]
			}
		}
		if lang == docfmt.EN {
			parts[i] = strings.TrimSpace(p[cut:])
		} else {
			parts[i] = strings.TrimSpace(p[:cut])
		}
	}
	return strings.Join(parts, tr(lang, "；", "; "))
}

// naturalSort orders entities by name as people count: host-2 before host-10.
func naturalSort(es []EntityResult) {
	sort.SliceStable(es, func(i, j int) bool { return docfmt.NaturalLess(es[i].Name, es[j].Name) })
}

// NoDataError is Build's answer for a period without any series of the
// report's families: retention expired, a wrong Prometheus, or a filter that
// matches nothing. Such a report would claim a complete month with nothing in
// it, so none is produced (and so none can be frozen).
func NoDataError(month, filter string) error {
	msg := fmt.Sprintf("本期无监测数据 / no monitoring data for the period %s: Prometheus has no series of this report in the month (retention expired, wrong Prometheus URL, or exporters not scraped)", month)
	if filter != "" {
		msg = fmt.Sprintf("本期无监测数据 / no monitoring data for the period %s matching the filter {%s}", month, filter)
	}
	return Errorf(ErrNoData, "%s", msg)
}

// ---- formatting helpers ----

// pct writes an availability with four decimals, rounded down
// (docfmt.Availability: a figure never reads as meeting a target it missed).
func pct(a float64) string {
	if a < 0 {
		return "—"
	}
	return strings.TrimSuffix(docfmt.Availability(a, 4), " %")
}
func secs(v float64) string { return strconv.FormatFloat(math.Round(v), 'f', 0, 64) }
func num(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// StatusText is the verdict in lang: 达标, 未达标, 无法判定; an entity
// without a target has no verdict (Placeholder, 「—」).
func StatusText(s string, lang docfmt.Lang) string {
	switch s {
	case StatusMet, StatusBreached, StatusIndeterminate:
		w, _ := docfmt.Term(s, lang)
		return w
	}
	return docfmt.Placeholder
}

// TargetText is an entity's target: 99.99 %, 99.90 %（内部目标）, 未设定目标.
func TargetText(ratio float64, internal bool, lang docfmt.Lang) string {
	if !(ratio > 0) {
		return tr(lang, "未设定目标", "no target")
	}
	s := docfmt.Percent(ratio, 2)
	if internal {
		s += tr(lang, "（内部目标）", " (internal target)")
	}
	return s
}

func (r *run) yesNo(b bool) string {
	if b {
		return r.tr("是", "yes")
	}
	return r.tr("否", "no")
}

func (r *run) policyText(p string) string { return r.term(p) }

func col(t, en string) Column  { return Column{Title: t, TitleEN: en} }
func ncol(t, en string) Column { return Column{Title: t, TitleEN: en, Numeric: true} }

// fmtT writes an incident time (Beijing time; the document states the zone once).
func (r *run) fmtT(unix int64) string {
	return docfmt.DateTime(time.Unix(unix, 0), r.cfg.Lang)
}

func statusCounts(es []EntityResult) (met, br, ind, none int) {
	for _, e := range es {
		switch e.Status {
		case StatusMet:
			met++
		case StatusBreached:
			br++
		case StatusNoTarget:
			none++
		default:
			ind++
		}
	}
	return
}

func (r *run) availabilityTable(id, title, titleEN, nameTitle, nameEN string, es []EntityResult, extraCols []Column, extra func(e EntityResult) []string) Table {
	t := Table{ID: id, Title: title, TitleEN: titleEN, Empty: r.tr("本月无数据", "no data this month")}
	t.Columns = append([]Column{col(nameTitle, nameEN)}, extraCols...)
	t.Columns = append(t.Columns, ncol("可用率 %", "Availability %"), col("目标", "Target"), col("停机时长", "Downtime"), col("维护内停机", "Down in maintenance"),
		col("未知时长", "Unknown"), col("停机预算", "Budget"), col("剩余预算", "Remaining"), ncol("事件数", "Incidents"), col("结论", "Verdict"))
	for _, e := range es {
		row := []string{e.Name}
		if extra != nil {
			row = append(row, extra(e)...)
		}
		budget, remaining := docfmt.Placeholder, docfmt.Placeholder
		if e.Status != StatusNoTarget {
			budget, remaining = r.dur(e.BudgetSeconds), r.dur(e.RemainingSeconds)
		}
		row = append(row, pct(e.Availability), TargetText(e.Target, e.TargetInternal, r.cfg.Lang), r.dur(e.DownSeconds), r.dur(e.MaintenanceDownSeconds), r.dur(e.UnknownSeconds),
			budget, remaining, strconv.Itoa(len(e.Incidents)), StatusText(e.Status, r.cfg.Lang))
		t.Rows = append(t.Rows, row)
	}
	return t
}

func (r *run) incidentTable(id string, es []EntityResult, nameTitle, nameEN string) Table {
	t := Table{ID: id, Title: "故障事件清单", TitleEN: "Incidents", Empty: r.tr("本月无故障事件", "no incidents this month"),
		Columns: []Column{col(nameTitle, nameEN), col("开始时间", "Start"), col("结束时间", "End"), col("本月内时长", "Duration in month"),
			col("维护窗口内", "In maintenance"), col("备注", "Note")}}
	type row struct {
		st  int64
		row []string
	}
	var rows []row
	for _, e := range es {
		for _, in := range e.Incidents {
			end := r.fmtT(in.EndUnix)
			if in.Ongoing {
				end += r.tr("（持续中）", " (ongoing)")
			}
			rows = append(rows, row{in.StartUnix, []string{e.Name, r.fmtT(in.StartUnix), end, r.dur(in.Seconds), r.yesNo(in.Maintenance), NoteIn(in.Note, r.cfg.Lang)}})
		}
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].st < rows[j].st })
	for _, x := range rows {
		t.Rows = append(t.Rows, x.row)
	}
	return t
}

// downtimeChart draws the 20 longest downtimes; the budget line is drawn
// only when every entity shown has the same target (a budget means nothing
// for a kind without one).
func (r *run) downtimeChart(title, titleEN string, es []EntityResult) Chart {
	c := Chart{Title: title, TitleEN: titleEN, Unit: "s"}
	budget, same := -1.0, true
	for _, e := range es {
		if e.Status == StatusNoTarget || (budget >= 0 && math.Abs(e.BudgetSeconds-budget) > 1e-6) {
			same = false
			break
		}
		budget = e.BudgetSeconds
	}
	if same && budget > 0 {
		c.Threshold, c.ThresholdLabel = budget, r.tr("停机预算 ", "budget ")+r.dur(budget)
	}
	sorted := append([]EntityResult(nil), es...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].DownSeconds > sorted[j].DownSeconds })
	if len(sorted) > 20 {
		sorted = sorted[:20]
	}
	for _, e := range sorted {
		c.Labels = append(c.Labels, e.Name)
		c.Values = append(c.Values, e.DownSeconds)
	}
	return c
}

// targetsText states the targets of the kinds in es: 「互联网BGP线路 99.99 %；专线、云主机 未设定目标」.
func (r *run) targetsText(es []EntityResult) string {
	type kt struct {
		key string
		t   Target
	}
	var order []kt
	seen := map[string]bool{}
	for _, e := range es {
		k := TargetKey(e.NS, e.Labels)
		if !seen[k] {
			seen[k] = true
			order = append(order, kt{k, Target{e.Target, e.TargetInternal}})
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].key < order[j].key })
	var with, without []string
	for _, x := range order {
		if x.t.Ratio > 0 {
			with = append(with, r.term(x.key)+" "+TargetText(x.t.Ratio, x.t.Internal, r.cfg.Lang))
		} else {
			without = append(without, r.term(x.key))
		}
	}
	sep, list := r.tr("；", "; "), r.tr("、", ", ")
	var parts []string
	if len(with) > 0 {
		parts = append(parts, strings.Join(with, sep))
	}
	if len(without) > 0 {
		parts = append(parts, strings.Join(without, list)+r.tr("：未设定目标，只列可用率，不作达标判定", ": no target; availability shown without a verdict"))
	}
	return strings.Join(parts, sep)
}

func (r *run) commonSummary(d *Document, es []EntityResult, what, whatEN string) {
	met, br, ind, none := statusCounts(es)
	var down float64
	for _, e := range es {
		down += e.DownSeconds
	}
	d.Summary = append(d.Summary,
		KV{"统计周期", "Period", d.PeriodText},
		KV{"可用率目标", "Availability targets", r.targetsText(es)},
		KV{"维护策略", "Maintenance policy", r.policyText(r.cfg.MaintenancePolicy)},
		KV{what + "数量", whatEN, strconv.Itoa(len(es))},
		KV{"达标 / 未达标 / 无法判定 / 未设定目标", "Met / not met / indeterminate / no target", fmt.Sprintf("%d / %d / %d / %d", met, br, ind, none)},
		KV{"合计停机时长", "Total downtime", r.dur(down)},
	)
}

// ---- lines ----

func (r *run) buildLines(d *Document) error {
	if r.headline { // 环比 compares availability and incidents only
		es, err := r.fetchAvailability("line")
		if err != nil {
			return err
		}
		naturalSort(es)
		d.Entities = es
		r.commonSummary(d, es, "线路", "Lines")
		return nil
	}
	// Quality figures (independent of the availability family, so both are
	// fetched at once).
	sel := r.selector
	R, E := r.rangeSel(), at(r.end())
	type q struct {
		key, purpose, expr string
	}
	// The 95th percentile of 5 min rates (traffic.go: the recorded series
	// where it covers the period, else the raw counters); the counters
	// (flaps, loss, RTT) are exact increases read at the month ends
	// (lineCounters); the capacity is the value at the month end.
	qs := []q{
		{"capacity", "contracted capacity at the month end", fmt.Sprintf("8 * max by (line) (%s %s)", sel(metricnames.LineCapacityBytesPerSecond), E)},
	}
	vals := make([]map[string]float64, len(qs))
	traffic := make([]map[string]float64, len(trafficDirections))
	var es []EntityResult
	var counters map[string]map[string]float64
	fns := []func() error{
		func() error {
			// lineCounters uses what the availability walk found; its
			// edge reads do not, and run beside the walk.
			var ce *counterEdges
			var aw *availWalk
			err := r.parallel(
				func() (err error) { es, aw, err = r.availability("line"); return },
				func() (err error) { ce, err = r.lineCounterEdges(); return },
			)
			if err != nil {
				return err
			}
			counters, err = r.lineCounters(ce, aw)
			return err
		},
	}
	byLine := func(res []Series) map[string]float64 {
		m := map[string]float64{}
		for _, s := range res {
			if len(s.Points) > 0 {
				m[s.Labels["line"]] = s.Points[0].V
			}
		}
		return m
	}
	for i, x := range qs {
		i, x := i, x
		fns = append(fns, func() error {
			res, err := r.query(x.purpose, x.expr, r.end())
			if err != nil {
				return err
			}
			vals[i] = byLine(res)
			return nil
		})
	}
	for i := range trafficDirections {
		i := i
		fns = append(fns, func() (err error) {
			traffic[i], err = r.trafficP95(i)
			return err
		})
	}
	if err := r.parallel(fns...); err != nil {
		return err
	}
	// A line that ended before the month end: its last capacity in the month.
	capacity := vals[len(qs)-1]
	var gone []string
	for _, e := range es {
		if _, ok := capacity[e.Name]; !ok {
			gone = append(gone, e.Name)
		}
	}
	if len(gone) > 0 {
		res, err := r.query("contracted capacity of lines without a sample at the month end (last in the month)",
			fmt.Sprintf("8 * max by (line) (last_over_time(%s%s %s))", r.selector(metricnames.LineCapacityBytesPerSecond, "line=~"+RegexAlternation(gone)), R, E), r.end())
		if err != nil {
			return err
		}
		for l, v := range byLine(res) {
			capacity[l] = v
		}
	}
	naturalSort(es)
	d.Entities = es
	r.commonSummary(d, es, "线路", "Lines")
	for i := range d.Entities {
		e := &d.Entities[i]
		e.Extra = map[string]float64{}
		for j, x := range qs {
			if v, ok := vals[j][e.Name]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
				e.Extra[x.key] = v
			}
		}
		for j, x := range trafficDirections {
			if v, ok := traffic[j][e.Name]; ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
				e.Extra[x.key] = v
			}
		}
		for k, v := range counters[e.Name] {
			e.Extra[k] = v
		}
	}
	// A figure without data is written 无数据, never 0 (a missing key read
	// as 0 made a line without traffic data look idle).
	get := func(e EntityResult, k string, scale float64, prec int) string {
		if v, ok := e.Extra[k]; ok {
			return num(v*scale, prec)
		}
		return r.noData()
	}
	avail := r.availabilityTable("lines", "线路可用性", "Line availability", "线路", "Line", d.Entities,
		[]Column{col("类型", "Kind"), col("运营商", "Provider"), col("站点", "Site")},
		func(e EntityResult) []string {
			return []string{r.term(e.Labels["kind"]), e.Labels["provider"], e.Labels["site"]}
		})
	qual := Table{ID: "quality", Title: "线路质量", TitleEN: "Line quality", Empty: r.noData(),
		Columns: []Column{col("线路", "Line"), ncol("BGP 振荡次数", "BGP flaps"), ncol("丢包率 %", "Loss %"), ncol("时延中位数 ms", "RTT median ms"),
			ncol("时延 P95 ms", "RTT P95 ms"), ncol("时延 P99 ms", "RTT P99 ms"), ncol("入向 P95 Mbit/s", "Rx P95 Mbit/s"),
			ncol("出向 P95 Mbit/s", "Tx P95 Mbit/s"), ncol("签约带宽 Mbit/s", "Capacity Mbit/s"), ncol("P95 利用率 %", "P95 utilisation %")}}
	for _, e := range d.Entities {
		util := r.noData()
		rx, okRx := e.Extra["rx_p95"]
		tx, okTx := e.Extra["tx_p95"]
		if c, ok := e.Extra["capacity"]; ok && c > 0 && okRx && okTx {
			util = num(math.Max(rx, tx)/c*100, 2)
		}
		flaps := r.noData()
		if v, ok := e.Extra["bgp_flaps"]; ok {
			flaps = num(math.Round(v), 0)
		}
		qual.Rows = append(qual.Rows, []string{e.Name, flaps, get(e, "loss", 100, 3), get(e, "rtt_p50", 1000, 2), get(e, "rtt_p95", 1000, 2),
			get(e, "rtt_p99", 1000, 2), get(e, "rx_p95", 1e-6, 1), get(e, "tx_p95", 1e-6, 1), get(e, "capacity", 1e-6, 0), util})
	}
	d.Sections = append(d.Sections,
		Section{ID: "availability", Title: "线路可用性", TitleEN: "Line availability",
			Text:   []string{r.spanText() + r.tr("可用率目标：", "Availability targets: ") + r.targetsText(d.Entities) + r.tr("。", ".")},
			Charts: []Chart{r.downtimeChart("各线路停机时长", "Downtime per line", d.Entities)},
			Tables: []Table{avail}},
		Section{ID: "incidents", Title: "故障事件", TitleEN: "Incidents", Tables: []Table{r.incidentTable("incidents", d.Entities, "线路", "Line")}},
		Section{ID: "quality", Title: "线路质量与带宽利用率", TitleEN: "Quality and utilisation", Tables: []Table{qual}},
	)
	return nil
}

// ---- hosts and websites ----

type agg struct {
	name                            string
	n, met, targeted                int
	down, denom, unknown, incidents float64
	recovery                        float64
}

func (r *run) aggregate(es []EntityResult, label string) []*agg {
	m := map[string]*agg{}
	var order []string
	for _, e := range es {
		k := e.Labels[label]
		a := m[k]
		if a == nil {
			a = &agg{name: k}
			m[k] = a
			order = append(order, k)
		}
		a.n++
		if e.Status == StatusMet {
			a.met++
		}
		if e.Status != StatusNoTarget {
			a.targeted++
		}
		a.down += e.DownSeconds
		den := e.ObservedSeconds
		if r.cfg.MaintenancePolicy == MaintenanceExcluded {
			den -= e.MaintenanceSeconds
		}
		a.denom += den
		a.unknown += e.UnknownSeconds
		for _, in := range e.Incidents {
			if !in.Maintenance {
				a.incidents++
				a.recovery += in.Seconds
			}
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return docfmt.NaturalLess(order[i], order[j]) })
	out := make([]*agg, 0, len(order))
	for _, k := range order {
		out = append(out, m[k])
	}
	return out
}

func (a *agg) availability() float64 {
	if a.denom <= 0 {
		return -1
	}
	return 1 - a.down/a.denom
}

// AggregateAvailability is the availability of a set of entities as the
// engine aggregates them per unit or provider: Σdown ÷ Σ(observed −
// maintenance when excluded); unknown time is outside the denominator; −1
// without observed time. internal/eval reads it (one arithmetic).
func AggregateAvailability(es []EntityResult, policy string) float64 {
	r := &run{cfg: Config{MaintenancePolicy: policy}}
	as := r.aggregate(es, "\x00all")
	if len(as) == 0 {
		return -1
	}
	return as[0].availability()
}

func (r *run) aggTable(id, title, titleEN, nt, nen string, as []*agg) Table {
	t := Table{ID: id, Title: title, TitleEN: titleEN, Empty: r.noData(),
		Columns: []Column{col(nt, nen), ncol("对象数", "Entities"), ncol("达标数", "Met"), ncol("可用率 %", "Availability %"),
			col("停机时长", "Downtime"), col("未知时长", "Unknown"), ncol("事件数", "Incidents")}}
	for _, a := range as {
		met := strconv.Itoa(a.met)
		if a.targeted == 0 {
			met = docfmt.Placeholder
		}
		t.Rows = append(t.Rows, []string{a.name, strconv.Itoa(a.n), met, pct(a.availability()), r.dur(a.down), r.dur(a.unknown), num(a.incidents, 0)})
	}
	return t
}

func (r *run) buildHosts(d *Document) error {
	var hosts, sites, lines, conds []EntityResult
	fns := []func() error{
		func() (err error) { hosts, err = r.fetchAvailability("host"); return },
		func() (err error) { sites, err = r.fetchAvailability("website"); return },
	}
	ev := r.cfg.Evaluator
	if r.cfg.Lang == docfmt.EN {
		ev = nil // the evaluation sections are written in zh-CN only
	}
	if ev != nil { // the evaluation reads every provider's lines and the machine room too
		fns = append(fns,
			func() (err error) { lines, err = r.fetchAvailability("line"); return },
			func() (err error) { conds, err = r.fetchAvailability(metricnames.EnvCondition.Namespace); return })
	}
	if err := r.parallel(fns...); err != nil {
		return err
	}
	certs, err := r.query("TLS leaf certificate expiry", fmt.Sprintf("last_over_time(%s%s %s)", r.selector(metricnames.WebsiteTLSLeafExpiry), r.rangeSel(), at(r.end())), r.end())
	if err != nil {
		return err
	}
	naturalSort(hosts)
	naturalSort(sites)
	d.Entities = append(append([]EntityResult{}, hosts...), sites...)
	r.commonSummary(d, d.Entities, "主机与网站", "Hosts and websites")
	ex := []Column{col("单位", "Unit"), col("服务商", "Provider"), col("系统", "System")}
	exf := func(e EntityResult) []string {
		return []string{e.Labels["unit"], e.Labels["provider"], e.Labels["system"]}
	}
	worst := append([]EntityResult(nil), d.Entities...)
	sort.SliceStable(worst, func(i, j int) bool { return worst[i].DownSeconds > worst[j].DownSeconds })
	var w []EntityResult
	for _, e := range worst {
		if e.DownSeconds > 0 && len(w) < 10 {
			w = append(w, e)
		}
	}
	ct := Table{ID: "certificates", Title: "证书到期", TitleEN: "Certificates expiring", Empty: r.tr("无证书数据", "no certificate data"),
		Columns: []Column{col("网站", "Website"), col("到期时间", "Expires"), ncol("剩余天数", "Days left"), col("30 天内到期", "Within 30 days")}}
	sort.Slice(certs, func(i, j int) bool { return certs[i].Points[0].V < certs[j].Points[0].V })
	for _, c := range certs {
		if len(c.Points) == 0 {
			continue
		}
		exp := int64(c.Points[0].V)
		days := float64(exp-r.end().Unix()) / 86400
		ct.Rows = append(ct.Rows, []string{c.Labels["url"], r.fmtT(exp), num(days, 1), r.yesNo(days < 30)})
	}
	// Large populations (annex.go): the body lists the ten worst, the annex all.
	hostT, hostNote := r.entityList(d, r.availabilityTable("hosts", "云主机", "Hosts", "云主机", "Host", hosts, ex, exf), hosts, "云主机可用性明细", "Host availability in full", "台云主机", "hosts")
	siteT, siteNote := r.entityList(d, r.availabilityTable("websites", "网站", "Websites", "网站", "Website", sites, ex, exf), sites, "网站可用性明细", "Website availability in full", "个网站", "websites")
	unitT, unitNote := r.aggList(d, r.aggTable("units", "按单位", "By unit", "单位", "Unit", r.aggregate(d.Entities, "unit")), "单位可用性明细", "Availability by unit in full", "个单位", "units")
	provT, provNote := r.aggList(d, r.aggTable("providers", "按服务商", "By provider", "服务商", "Provider", r.aggregate(d.Entities, "provider")), "服务商可用性明细", "Availability by provider in full", "个服务商", "providers")
	incT, incNote := r.incidentList(d, r.incidentTable("incidents", d.Entities, "对象", "Entity"), d.Entities, "故障事件明细", "Incidents in full")
	ct, certNote := r.splitLarge(d, largeList{full: ct, annexZH: "证书到期明细", annexEN: "Certificates in full", unitZH: "个网站证书", unitEN: "certificates",
		rankZH: "最早到期的", rankEN: "expiring first", worse: func(i, j int) bool { return i < j }, keyCols: []int{0}})
	d.Sections = append(d.Sections,
		Section{ID: "hosts", Title: "云主机可用性", TitleEN: "Host availability",
			Text:   sectionNote([]string{r.tr("可用率目标：", "Availability targets: ") + r.targetsText(d.Entities) + r.tr("。", ".")}, hostNote),
			Charts: []Chart{r.downtimeChart("云主机停机时长", "Host downtime", hosts)},
			Tables: []Table{hostT}},
		Section{ID: "websites", Title: "网站可用性", TitleEN: "Website availability",
			Text:   sectionNote(nil, siteNote),
			Charts: []Chart{r.downtimeChart("网站停机时长", "Website downtime", sites)},
			Tables: []Table{siteT}},
		Section{ID: "units", Title: "按单位与服务商汇总", TitleEN: "By unit and provider", Text: sectionNote(sectionNote(nil, unitNote), provNote),
			Tables: []Table{unitT, provT}},
		Section{ID: "worst", Title: "停机时长最长的对象", TitleEN: "Longest downtime",
			Tables: []Table{r.availabilityTable("worst", "停机时长前十", "Top 10 by downtime", "对象", "Entity", w, nil, nil)}},
		Section{ID: "incidents", Title: "故障事件", TitleEN: "Incidents", Text: sectionNote(nil, incNote), Tables: []Table{incT}},
		Section{ID: "certificates", Title: "证书到期", TitleEN: "Certificates", Text: sectionNote(nil, certNote), Tables: []Table{ct}},
	)
	// The monthly comprehensive evaluation (the same assessment as the
	// providers report and --kind evaluation), then security posture, which
	// has no data source in jianguan: each says so rather than show nothing.
	if ev != nil {
		naturalSort(lines)
		naturalSort(conds)
		all := append(append([]EntityResult{}, lines...), d.Entities...)
		res, err := ev.Evaluate(r.ctx, PeriodMonth(r.month), r.cfg.MaintenancePolicy, all, conds)
		switch {
		case errors.Is(err, ErrNoIndicatorSystem):
			d.Sections = append(d.Sections, r.notEvaluated(), securitySection(r))
			return nil
		case err != nil:
			return err
		}
		d.Evaluation = res.JSON
		d.Sections = append(d.Sections, res.Sections...)
		r.audit = append(r.audit, res.Queries...)
		r.evalMethod = res.Method
	} else {
		text := r.tr("未配置评估指标体系：本节无评估结果。", "No indicator system (evaluation.yml) is configured, so this section has no assessment.")
		if r.cfg.Evaluator != nil { // English: the evaluation is written in zh-CN only
			text = "The monthly comprehensive evaluation is written in zh-CN only: it is in the zh-CN edition of this report."
		}
		d.Sections = append(d.Sections, Section{ID: "evaluation", Title: "月度综合评估", TitleEN: "Monthly comprehensive evaluation", Text: []string{text}})
	}
	d.Sections = append(d.Sections, securitySection(r))
	return nil
}

// securitySection is the hosts report's 安全态势, which has no data source
// in jianguan.
func securitySection(r *run) Section {
	return Section{ID: "security", Title: "安全态势", TitleEN: "Security posture",
		Text: []string{r.tr("本期无数据来源：安全监测数据未接入本系统，本节不作评价。",
			"No data source this period: security monitoring is not connected to this system; no assessment is made.")}}
}

// notEvaluated is the evaluation section of a period that begins before
// the first month of every configured indicator system
// (ErrNoIndicatorSystem): the figures are reported, no scores.
func (r *run) notEvaluated() Section {
	return Section{ID: "evaluation", Title: "月度综合评估", TitleEN: "Monthly comprehensive evaluation", Text: []string{
		r.tr("本期开始于评估指标体系的适用月份之前，评估指标体系不适用于本期：本节不作评估，各对象的可用性数据照常列出。",
			"This period begins before the first month the indicator system applies to, so it is not assessed; the entities' figures are reported as usual.")}}
}

func sortedKeys(m map[string]Series) []string {
	k := make([]string, 0, len(m))
	for x := range m {
		k = append(k, x)
	}
	sort.SliceStable(k, func(i, j int) bool { return docfmt.NaturalLess(k[i], k[j]) })
	return k
}

// ---- providers ----

func (r *run) buildProviders(d *Document) error {
	var lines, hosts, sites, conds []EntityResult
	fns := []func() error{
		func() (err error) { lines, err = r.fetchAvailability("line"); return },
		func() (err error) { hosts, err = r.fetchAvailability("host"); return },
		func() (err error) { sites, err = r.fetchAvailability("website"); return },
	}
	ev := r.cfg.Evaluator
	if r.cfg.Lang == docfmt.EN {
		ev = nil // the evaluation sections are written in zh-CN only
	}
	if ev != nil { // the machine room feeds the rating of the party running it
		fns = append(fns, func() (err error) { conds, err = r.fetchAvailability(metricnames.EnvCondition.Namespace); return })
	}
	err := r.parallel(fns...)
	if err != nil {
		return err
	}
	naturalSort(lines)
	naturalSort(hosts)
	naturalSort(sites)
	all := append(append(append([]EntityResult{}, lines...), hosts...), sites...)
	d.Entities = all
	w := r.cfg.Weights
	for _, a := range r.aggregate(all, "provider") {
		p := ProviderScore{Provider: a.name, Entities: a.n, Met: a.met, NoTarget: a.n - a.targeted, Incidents: int(a.incidents), Availability: a.availability()}
		if a.incidents > 0 {
			p.MTTRSeconds = a.recovery / a.incidents
		}
		Score(&p, r.cfg.SLATarget, w)
		d.Providers = append(d.Providers, p)
	}
	sort.SliceStable(d.Providers, func(i, j int) bool { return d.Providers[i].Score > d.Providers[j].Score })
	t := Table{ID: "scores", Title: "服务商综合评分", TitleEN: "Provider scores", Empty: r.tr("无服务商数据", "no provider data"),
		Columns: []Column{col("服务商", "Provider"), ncol("对象数", "Entities"), ncol("可用率 %", "Availability %"), ncol("达标数", "Met"),
			ncol("事件数", "Incidents"), col("平均恢复时长", "MTTR"), ncol("可用性得分", "S_avail"), ncol("达标得分", "S_sla"),
			ncol("事件得分", "S_inc"), ncol("恢复得分", "S_rec"), ncol("综合得分", "Score")}}
	chart := Chart{Title: "综合得分", TitleEN: "Score per provider", Unit: r.tr("分", "points")}
	for _, p := range d.Providers {
		met := strconv.Itoa(p.Met)
		if p.NoTarget == p.Entities {
			met = docfmt.Placeholder
		}
		t.Rows = append(t.Rows, []string{p.Provider, strconv.Itoa(p.Entities), pct(p.Availability), met, strconv.Itoa(p.Incidents),
			r.dur(p.MTTRSeconds), num(p.SAvailability, 2), num(p.SSLA, 2), num(p.SIncidents, 2), num(p.SRecovery, 2), num(p.Score, 2)})
		chart.Labels = append(chart.Labels, p.Provider)
		chart.Values = append(chart.Values, p.Score)
	}
	r.commonSummary(d, all, "评估对象", "Evaluated entities")
	entT, entNote := r.entityList(d, r.availabilityTable("entities", "评估对象", "Entities", "对象", "Entity", all,
		[]Column{col("类别", "Type"), col("服务商", "Provider")}, func(e EntityResult) []string { return []string{r.term(e.NS), e.Labels["provider"]} }),
		all, "评估对象明细", "Evaluated entities in full", "个评估对象", "entities")
	entities := Section{ID: "entities", Title: "评估对象明细", TitleEN: "Entities", Text: sectionNote(nil, entNote), Tables: []Table{entT}}
	if ev != nil {
		naturalSort(conds)
		res, err := ev.Evaluate(r.ctx, PeriodMonth(r.month), r.cfg.MaintenancePolicy, all, conds)
		switch {
		case errors.Is(err, ErrNoIndicatorSystem):
			d.Sections = append(d.Sections, r.notEvaluated(), entities)
			return nil
		case err != nil:
			return err
		}
		d.Evaluation = res.JSON
		d.Sections = append(append(d.Sections, res.Sections...), entities)
		r.audit = append(r.audit, res.Queries...)
		r.evalMethod = res.Method
		return nil
	}
	d.Sections = append(d.Sections,
		Section{ID: "formula", Title: "评分方法", TitleEN: "Method",
			Text: []string{
				r.tr("评分输入：各服务商名下线路、云主机、网站的可用率（按所选维护策略）、达标对象数（只计设定目标的对象）、非维护故障次数及平均恢复时长。",
					"Inputs: availability of the provider's lines, hosts and websites, entities meeting their target (only entities with a target count), incidents outside maintenance and mean time to recover."),
				r.tr("计算方法："+ScoreFormulaZH, "Formula: "+ScoreFormula),
				r.tr(fmt.Sprintf("权重：可用性 %s，达标 %s，事件 %s，恢复 %s；可用性得分的参照值 %s。", num(w.Availability, 3), num(w.SLA, 3), num(w.Incidents, 3), num(w.Recovery, 3), docfmt.Percent(r.cfg.SLATarget, 2)),
					fmt.Sprintf("Weights: w_a = %s, w_s = %s, w_i = %s, w_r = %s; reference for S_avail = %s.", num(w.Availability, 3), num(w.SLA, 3), num(w.Incidents, 3), num(w.Recovery, 3), docfmt.Percent(r.cfg.SLATarget, 2))),
			}},
		Section{ID: "scores", Title: "评分结果", TitleEN: "Scores", Charts: []Chart{chart}, Tables: []Table{t}},
		entities,
	)
	return nil
}

// ---- audit ----

func (r *run) finishAudit(d *Document) {
	sort.SliceStable(r.audit, func(i, j int) bool {
		if r.audit[i].Purpose != r.audit[j].Purpose {
			return r.audit[i].Purpose < r.audit[j].Purpose
		}
		return r.audit[i].PromQL < r.audit[j].PromQL
	})
	d.Audit = Audit{
		Policy: r.policyText(r.cfg.MaintenancePolicy),
		Method: []string{
			r.tr(fmt.Sprintf("%s：%s 起至 %s 止（不含），共 %s 秒（%s）。", strings.TrimSuffix(r.spanText(), "。"), d.PeriodStart, d.PeriodEnd, num(d.MonthSeconds, 0), d.TimeZone),
				fmt.Sprintf("%s: [%s, %s), %s s.", strings.TrimSuffix(r.spanText(), "."), d.PeriodStart, d.PeriodEnd, num(d.MonthSeconds, 0))),
			r.tr("计数器增量 = 月末最后一个样本 − 月初时刻（含）最后一个样本（两端时刻的即时查询值：带 @ 的即时查询，或在 Prometheus 上由每个期界的一次远程读取按同样的回溯规则从原始样本中取得）；计数器重置时读取原始样本分段求和，不使用 increase() 外推，因此 Prometheus 2.x 与 3.x 的区间差异不影响数字。",
				"Counter increase = last sample at or before the month end − last sample at or before the month start (the instant-query values at both edges: instant queries with @, or on Prometheus one remote read per edge taking them from the stored samples by the same lookback rule); on a counter reset the raw samples are summed piecewise. increase() extrapolation is not used, so Prometheus 2.x closed ranges / 3.x left-open ranges do not change the figures."),
			r.tr("未知时间 = 月秒数 − Δobserved（含采集程序未运行的时间），从不计为可用。", "Unknown = month seconds − Δobserved (includes time the exporter was not running); never counted as up."),
			r.tr("可用率：维护不计入分母时 A = 1 − Δdown / (Δobserved − Δmaintenance)；维护计为可用时 A = 1 − Δdown / Δobserved（docs/metrics.md §1）。", "Availability as in docs/metrics.md §1."),
			r.tr("目标按对象类别设定（合同只对互联网BGP线路约定 99.99 %；内部目标另行标注）。停机预算 = (1 − 目标) × (月秒数 − 维护秒数[不计入时])；停机 > 预算 → 未达标；未知 > 剩余预算 → 无法判定（绝不判为达标）；未设定目标的对象不作判定。",
				"Targets are per kind (the contract sets 99.99 % for the BGP internet line only; internal targets are labelled). Budget = (1 − target) × (month − maintenance if excluded); down > budget → not met; unknown > remaining budget → indeterminate, never met; no target → no verdict."),
			r.tr("故障事件由三态信号（up、unknown、last_change_timestamp_seconds 的原始样本）推导：始于采集程序记录的转换时刻（无转换时间时为首个故障样本），止于恢复的转换时刻；超过 2 个采集间隔的空缺与未知状态计为未知时间，不视为状态变化；序列在故障中结束时事件止于最后样本并标注监测中断；采集程序重启不截断事件。事件时长（不含未知）与停机计数器逐对象核对，超出界限时列入注意事项。", "Incidents come from the three-state signal (raw samples of up, unknown and last_change_timestamp_seconds): an incident starts at the transition time the exporter recorded (the first down sample when none was published) and ends at the recovery's; gaps longer than 2 scrape intervals and unknown samples are unknown time, never a state change; a series that ends while down closes the incident at its last sample, flagged as monitoring stopped; exporter restarts do not cut incidents. Each entity's incident time less unknown is checked against its down counters; a difference beyond the bound is listed in the caveats."),
		},
		Queries: r.audit,
		Caveats: r.caveats,
	}
	d.Audit.Method = append(d.Audit.Method, r.evalMethod...)
	if r.gaugeRecorded {
		d.Audit.Method = append(d.Audit.Method, r.tr("机柜功率与温湿度的最低、最高、平均值取自记录规则逐小时记录的最小值、最大值、样本和与样本数，整小时未覆盖的时段（期间首尾、漏评估的小时）读取原始样本；同一样本只计一次（闭区间后端上整点边界的样本从其中一个小时扣除），结果与全部读取原始样本相同。",
			"Rack power, temperature and humidity minimum, maximum and mean come from the hourly minimum, maximum, sum and count the recording rules keep (group jianguan.report); the stretches not covered by whole hours (the period's edges, hours whose evaluation was missed) are read from the raw samples; each sample counts once (on a closed-range backend the sample at an evaluation is taken out of one of its two hours), so the figures equal those from the raw samples alone."))
	}
	if r.discoverySkipped {
		d.Audit.Method = append(d.Audit.Method, r.tr("计数器序列未逐一查找全期：各对象的启动时间在期初与期末相同，期内只有一组标签，采集程序与 Prometheus 在期内均未加载配置（配置加载时间在两端相同）；采集程序只在加载配置或退出时删除序列，因此期内出现过的序列在期末仍在，期初与期末的样本已包含全部序列。",
			"The counters' series were not looked up over the whole period: every entity's start time is the same at both edges, it has one label set in the period, and neither its exporter nor Prometheus loaded a configuration in it (the configuration-load time is the same at both edges); an exporter deletes a series only when it loads a configuration or stops, so every series seen in the period is still there at its end, and the samples at the two edges hold them all."))
	}
	said := map[string]bool{} // a month read for 环比 and for the trend: said once
	for _, u := range r.frozenRead {
		if m := frozenMethod(u, r.cfg.Lang); !said[m] {
			said[m] = true
			d.Audit.Method = append(d.Audit.Method, m)
		}
	}
	r.provenance(d)
}

// CounterTable is the audit's raw counter values: per entity and counter
// "value at start → value at end (increase)", plus resets and unknown time.
func CounterTable(d *Document) Table {
	t := Table{ID: "audit-counters", Title: "原始计数器值（月初 → 月末（增量））", TitleEN: "Raw counter values (at start → at end (increase))",
		Columns: []Column{col("对象", "Entity"), col("observed_seconds_total", ""), col("down_seconds_total", ""),
			col("maintenance_seconds_total", ""), col("maintenance_down_seconds_total", ""), col("state_changes_total", ""),
			ncol("重置", "Resets"), ncol("未知 s", "Unknown s"), col("备注", "Note")}}
	for _, e := range d.Entities {
		f := familyFor(e.NS)
		row := []string{strings.TrimSpace(e.Name + " " + condLabel(e, docLang(d)))}
		resets := 0
		note := ""
		for _, n := range []string{f.observed, f.down, f.maint, f.maintDown, f.changes} {
			c, ok := e.Counters[n]
			if !ok {
				row = append(row, "—")
				continue
			}
			row = append(row, fmt.Sprintf("%s → %s (%s)", num(c.Start, 0), num(c.End, 0), num(c.Delta, 0)))
			if c.Resets > resets {
				resets = c.Resets
			}
			if c.Note != "" {
				note = CounterNote(docLang(d), c.Note)
			}
		}
		row = append(row, strconv.Itoa(resets), secs(e.UnknownSeconds), note)
		t.Rows = append(t.Rows, row)
	}
	return t
}

// condLabel is a machine-room condition's wording in lang (UPS 电池供电 /
// UPS on battery), never the raw code; "" for other entities.
func condLabel(e EntityResult, lang docfmt.Lang) string {
	if c := e.Labels["condition"]; c != "" {
		w, _ := docfmt.Term(c, lang)
		return w
	}
	return ""
}

// spanText says what the figures span: a calendar month, or the whole
// reporting period (quarter, year, service period, range) as the cover and
// 报告期 name it, in Beijing time.
func (r *run) spanText() string {
	if r.month.Kind == calendar.KindMonth {
		return r.tr("按北京时间日历月统计。", "Calendar month, Beijing time.")
	}
	return r.tr("按北京时间统计整个报告期。", "Whole reporting period, Beijing time.")
}
