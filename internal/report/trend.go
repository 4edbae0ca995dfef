package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
)

// TrendMonths is the length of the availability trend (issue 16 item 7):
// the calendar months (Beijing time) ending with the month of the report
// period's end. Each month is one sub-run of the engine per namespace
// (fetchAvailability: its few instant queries at the month's edges, never a
// query per entity), so the trend costs at most TrendMonths × namespaces
// sub-runs, and each month's figure is the same arithmetic as the body's
// (Σdown ÷ Σ(observed − maintenance when excluded)). A month frozen as a
// report of the same kind (Config.Frozen) is read from its snapshot: the
// figures handed in, no query; the previous month, when 环比 built it, is
// that build's figures. Months that meet share their edge reads
// (shared.go). A month without any
// series (before the retained data) is 「无数据」, never 0 or 100.
const TrendMonths = 12

// TrendAuditPrefix starts the purpose of every audit query of the trend's
// months ("trend 2026-09: …", in English like the availability family's
// other purposes), apart from the period's own queries.
const TrendAuditPrefix = "trend "

// PreviousAuditPrefix starts the purpose of every audit query of the
// previous period built for 环比 ("previous period 2026-09: …"): its
// figures are printed beside the period's own, so their queries are listed
// too.
const PreviousAuditPrefix = "previous period "

// extend adds what only the reported period carries, not the previous one
// built for 环比: the availability trend (lines, hosts) and the daily
// temperature and humidity bands (infrastructure).
func (r *run) extend(d *Document) error {
	switch d.Kind {
	case KindLines:
		return r.trend(d, []string{"line"})
	case KindHosts:
		return r.trend(d, []string{"host", "website"})
	case KindInfrastructure:
		return r.bands(d)
	}
	return nil
}

// trendMonths are the TrendMonths months ending with the month of the
// measured span's end, oldest first; the last is clipped to the span's end
// (a 截至 draft).
func trendMonths(span calendar.Period) []calendar.Period {
	last := calendar.MonthOf(span.End.Add(-time.Second))
	out := make([]calendar.Period, TrendMonths)
	m := last
	for i := TrendMonths - 1; i >= 0; i-- {
		out[i] = m
		m = m.Previous()
	}
	if c, ok := out[TrendMonths-1].Intersect(span); ok && c.End.Before(out[TrendMonths-1].End) {
		out[TrendMonths-1] = c // as perMonth clips it (the same Period string)
	}
	return out
}

// trend adds the 12-month availability trend per kind (TargetKey: bgp,
// leased, host, website) as a table and a line chart. The report's own
// month, when the period is exactly that month, is the body's figure.
func (r *run) trend(d *Document, nss []string) error {
	ms := trendMonths(r.month)
	res := make([][]EntityResult, len(ms)*len(nss))
	subs := make([]*run, len(ms))
	known := map[string][]KindFigures{} // months of a longer period, measured by perMonth already
	for _, f := range d.PerMonth {
		known[f.Period] = f.Kinds
	}
	var fns []func() error
	for i, m := range ms {
		if m.Start.Equal(r.month.Start) && m.End.Equal(r.month.End) {
			for j, ns := range nss {
				res[i*len(nss)+j] = entitiesOf(d.Entities, ns)
			}
			continue
		}
		if _, ok := known[m.String()]; ok {
			continue
		}
		if b := r.prevBuilt; b != nil && m.Start.Equal(b.p.Start) && m.End.Equal(b.p.End) {
			// The previous month as 环比 built it: the same engine on the
			// same month (its queries are listed as the previous period's).
			for j, ns := range nss {
				res[i*len(nss)+j] = entitiesOf(b.d.Entities, ns)
			}
			continue
		}
		// A signed-off month: its figures as handed in, not queried again.
		sub, f, err := r.monthAvailability(d.Kind, m, nss, res[i*len(nss):(i+1)*len(nss)])
		if err != nil {
			return err
		}
		subs[i], fns = sub, append(fns, f...)
	}
	if err := r.parallel(fns...); err != nil {
		return err
	}
	keys := map[string]bool{}
	for i, m := range ms {
		var es []EntityResult
		for j := range nss {
			es = append(es, res[i*len(nss)+j]...)
		}
		if subs[i] != nil {
			r.mu.Lock()
			for _, a := range subs[i].audit {
				a.Purpose = TrendAuditPrefix + m.String() + ": " + a.Purpose
				r.audit = append(r.audit, a)
			}
			r.mu.Unlock()
		}
		f := PeriodFigures{Period: m.String(), Label: docfmt.PeriodLabel(calendar.MonthOf(m.Start), r.cfg.Lang), Kinds: KindFiguresOf(es, r.cfg.MaintenancePolicy)}
		if k, ok := known[m.String()]; ok && subs[i] == nil && es == nil {
			f.Kinds = k
		}
		for _, k := range f.Kinds {
			keys[k.Key] = true
		}
		d.Trend = append(d.Trend, f)
	}
	order := make([]string, 0, len(keys))
	for k := range keys {
		order = append(order, k)
	}
	sort.Strings(order)
	d.Sections = append(d.Sections, r.trendSection(d.Trend, order))
	return nil
}

// builtPeriod is a period's document built by this build (run.prevBuilt).
type builtPeriod struct {
	p calendar.Period
	d *Document
}

// frozenMonth is the snapshot of kind for month m (Config.Frozen) when it
// measured what this run's sub-run of m would (sameMeasure), nil when
// there is none; the use is recorded for the audit's method. A snapshot
// that does not verify fails the report, as in 环比.
func (r *run) frozenMonth(kind string, m calendar.Period) (*Document, error) {
	fd, _, err := frozenFor(r.cfg, kind, m, r.sel)
	if err != nil {
		return nil, fmt.Errorf("%s 的冻结报告无法读取 / the snapshot of %s cannot be read: %w", m, m, err)
	}
	if fd == nil {
		return nil, nil
	}
	r.mu.Lock()
	r.frozenRead = append(r.frozenRead, frozenUse{m, fd.Frozen})
	r.mu.Unlock()
	return fd, nil
}

// entitiesOf are the entities of namespace ns.
func entitiesOf(es []EntityResult, ns string) []EntityResult {
	var out []EntityResult
	for _, e := range es {
		if e.NS == ns {
			out = append(out, e)
		}
	}
	return out
}

// figureOf is the figures of kind key in f (ok false: no data that month).
func figureOf(f PeriodFigures, key string) (KindFigures, bool) {
	for _, k := range f.Kinds {
		if k.Key == key && k.Availability >= 0 && !math.IsNaN(k.Availability) {
			return k, true
		}
	}
	return KindFigures{}, false
}

// trendSection is the trend's table (one row per month, per kind its
// availability and downtime) and line chart (availability, the kind's
// target as a dashed line; a month without data is a gap, labelled 无数据).
func (r *run) trendSection(months []PeriodFigures, keys []string) Section {
	t := Table{ID: "trend", Title: r.tr("近12个月可用率趋势", "Availability over 12 months"), TitleEN: "Availability over 12 months", Empty: r.noData(),
		Columns: []Column{col("月份", "Month")}}
	c := SeriesChart{Title: r.tr("近12个月可用率", "Availability over 12 months"), TitleEN: "Availability over 12 months", Unit: "%"}
	for _, m := range months {
		c.X = append(c.X, shortMonth(m.Period, r.cfg.Lang))
	}
	targets := map[float64]bool{}
	for _, k := range keys {
		t.Columns = append(t.Columns, r.periodColumns(k)...)
		line := ChartLine{Name: r.term(k)}
		for _, m := range months {
			f, ok := figureOf(m, k)
			if !ok {
				line.Values = append(line.Values, nil)
				continue
			}
			v := f.Availability * 100
			line.Values = append(line.Values, &v)
		}
		c.Lines = append(c.Lines, line)
		if tg := r.targetOf(k); tg.Ratio > 0 && !targets[tg.Ratio] {
			targets[tg.Ratio] = true
			c.Refs = append(c.Refs, ChartRef{Value: tg.Ratio * 100, Label: r.term(k) + r.tr("目标 ", " target ") + TargetText(tg.Ratio, tg.Internal, r.cfg.Lang)})
		}
	}
	for _, m := range months {
		row := []string{m.Label}
		for _, k := range keys {
			f, ok := figureOf(m, k)
			row = append(row, r.periodCells(f, ok)...)
		}
		t.Rows = append(t.Rows, row)
	}
	return Section{ID: "trend", Title: r.tr("可用率趋势", "Availability trend"), TitleEN: "Availability trend",
		Text: []string{r.tr(fmt.Sprintf("近%d个月（北京时间日历月）各类对象的可用率，与正文同一算法；早于监测数据保存期的月份为「无数据」；未知时间（无监测数据）不计为可用，监测覆盖不足100%%的月份注明覆盖比例。", TrendMonths),
			fmt.Sprintf("Availability per kind over the last %d calendar months (Beijing time), by the same arithmetic as the body; months before the retained data show no data; unknown time (no monitoring data) never counts as available, and a month observed for less than all of its time states its coverage.", TrendMonths))},
		SeriesCharts: []SeriesChart{c}, Tables: []Table{t}}
}

// periodColumns are the columns of kind key in a table with one row per
// period (the trend, the per-month table of a longer period): its
// availability, its monitoring coverage and its downtime (periodCells);
// key "": the same columns without a kind's name (a table whose rows name
// the kind).
func (r *run) periodColumns(key string) []Column {
	if key == "" {
		return []Column{ncol("可用率 %", "Availability %"), col("监测覆盖", "Coverage"), col("停机时长", "Downtime")}
	}
	en, _ := docfmt.Term(key, docfmt.EN) // the English wording, never the code
	return []Column{ncol(r.term(key)+r.tr("可用率 %", " availability %"), en+" availability %"),
		col(r.term(key)+r.tr("监测覆盖", " coverage"), en+" coverage"),
		col(r.term(key)+r.tr("停机时长", " downtime"), en+" downtime")}
}

// periodCells are the cells of periodColumns for one period's figures of a
// kind. Unknown time (no data, before the history) is a third state, never
// "up": a period without observed time is 「无数据」 in every cell, never a
// percentage; a period observed for only part of its time says so beside
// its availability (「覆盖 3.2%」), so a month of 29 unknown days never
// reads as a clean 100 %.
func (r *run) periodCells(f KindFigures, ok bool) []string {
	if !ok || !(f.ObservedSeconds > 0) || f.Availability < 0 || math.IsNaN(f.Availability) {
		return []string{r.noData(), r.noData(), r.noData()}
	}
	return []string{pct(f.Availability), coverageText(f.ObservedSeconds, f.UnknownSeconds, r.cfg.Lang), r.dur(f.DownSeconds)}
}

// coverageText is observed ÷ (observed + unknown): 「完整」 / "complete"
// when no time is unknown (below half a second: counter rounding),
// else 「覆盖 3.2%」 / "coverage 3.2%", rounded down so that a period with
// unknown time never reads 100 %.
func coverageText(observed, unknown float64, lang docfmt.Lang) string {
	if !(unknown >= 0.5) {
		return tr(lang, "完整", "complete")
	}
	c := math.Floor(observed/(observed+unknown)*1000) / 10
	v := strconv.FormatFloat(c, 'f', 1, 64) + "%"
	if c <= 0 {
		v = "<0.1%"
	}
	return tr(lang, "覆盖 "+v, "coverage "+v)
}

// targetOf is the configured target of a kind key (bgp, leased, host,
// …): Config.TargetFor with the key as a line's kind label, which TargetKey
// returns unchanged for every namespace.
func (r *run) targetOf(key string) Target {
	return r.cfg.TargetFor("line", map[string]string{"kind": key})
}

// shortMonth is an axis label: 「10月」, with the year on January and on
// the first month (「2025年11月」); en: Oct, 2025-11.
func shortMonth(period string, lang docfmt.Lang) string {
	p, err := calendar.ParsePeriod(period, nil)
	if err != nil {
		return period
	}
	s := p.Start.In(calendar.Zone)
	if lang == docfmt.EN {
		return s.Format("2006-01")
	}
	return strconv.Itoa(s.Year()%100) + "年" + strconv.Itoa(int(s.Month())) + "月"
}
