package recdocs

import (
	"context"
	"strings"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
)

// FindGuard returns the guard period (重保时期) called name in the calendar
// file; an unknown name is an error listing the known ones.
func FindGuard(cal *calendar.Calendar, name string) (calendar.GuardPeriod, int, error) {
	if cal == nil {
		return calendar.GuardPeriod{}, 0, BadInput("guard period %q: no calendar file (calendar.yml holds the guard periods)", name)
	}
	name = strings.TrimSpace(name)
	var names []string
	for _, g := range cal.GuardPeriods() {
		if g.Name == name {
			seq := 1 // its number among the guard periods that start in its month
			for _, h := range cal.GuardPeriods() {
				if h.Name != g.Name && calendar.MonthOf(h.Period.Start) == calendar.MonthOf(g.Period.Start) && h.Period.Start.Before(g.Period.Start) {
					seq++
				}
			}
			return g, seq, nil
		}
		names = append(names, g.Name)
	}
	return calendar.GuardPeriod{}, 0, BadInput("guard period %q is not in the calendar file; known: %s", name, strings.Join(names, ", "))
}

// BuildGuardReport is the 《重保保障工作报告》 (deliverable 6) of the guard
// period called name: duty (handovers, day by day), alerts, incidents and
// inspections in the period.
func BuildGuardReport(ctx context.Context, src Source, name string, o Options) (*report.Document, error) {
	g, seq, err := FindGuard(o.Calendar, name)
	if err != nil {
		return nil, err
	}
	now := o.now()
	if g.Period.Start.After(now) {
		return nil, BadInput("guard period %s begins %s: its report does not exist yet", g.Name, calendar.DateOf(g.Period.Start).Format("2006-01-02"))
	}
	data, err := gather(ctx, src, g.Period, o)
	if err != nil {
		return nil, err
	}
	d, err := newDocument(KindGuard, "重保保障工作报告", "Guard-period report", g.Period, seq, o)
	if err != nil {
		return nil, err
	}
	kindText, _ := docfmt.Term(g.Kind, o.Lang)
	st := statsOf(data.Alerts)
	d.Summary = append(d.Summary, kv("重保时期", "Guard period", g.Name), kv("类别", "Kind", kindText), kv("时段", "Period", d.PeriodText))
	if g.Provisional {
		d.Summary = append(d.Summary, kv("日期状态", "Dates", o.tr("暂定（估计）", "provisional (estimated)")))
	}
	if !g.Period.IsComplete(now) {
		d.Summary = append(d.Summary, kv("说明", "Note", o.tr("重保时期尚未结束，本报告为截至生成时间的情况。", "The guard period has not ended; this report shows it so far.")))
	}
	d.Summary = append(d.Summary, alertSummary(st, o)...)
	d.Summary = append(d.Summary, dutySummary(data, g.Period.Days(), o)...)
	d.Sections = append(d.Sections,
		report.Section{ID: "duty", Title: "值班情况", TitleEN: "Duty", Text: []string{o.tr("重保时期实行 7×24 小时值班；交接班记录与每日情况如下。",
			"Duty was 7×24 during the guard period; handovers and the figures of each day follow.")},
			Tables: []report.Table{handoverTable(data.Handovers, o), dayTable(data, o)}},
		report.Section{ID: "alerts", Title: "告警情况", TitleEN: "Alerts", Text: []string{alertText(st, o)}, Tables: []report.Table{alertTypeTable(data.Alerts, o)}},
		report.Section{ID: "incidents", Title: "故障处理", TitleEN: "Incidents", Tables: []report.Table{incidentTable(data.Incidents, o)}},
		report.Section{ID: "inspections", Title: "巡检情况", TitleEN: "Inspections", Text: []string{inspectionText(data, g.Period.Days(), o)},
			Tables: []report.Table{remoteTable(data.Remote, o), onsiteTable(data.Onsite, o)}},
		findingSection(data, o),
	)
	addCaveats(d, data, o)
	return d, nil
}
