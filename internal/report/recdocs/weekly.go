package recdocs

import (
	"context"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
)

// ParseWeek parses --week: an ISO week (2026-W45) or any day of it
// (2026-11-03), Monday to Sunday in Asia/Shanghai. A week that has not
// begun is refused.
func ParseWeek(s string, now time.Time) (calendar.Period, error) {
	in := strings.TrimSpace(s)
	var p calendar.Period
	if d, err := calendar.ParseDate(in); err == nil {
		p = calendar.Week(d)
	} else {
		q, err := calendar.ParsePeriod(in, nil)
		if err != nil || q.Kind != calendar.KindWeek {
			return calendar.Period{}, BadInput("week %q: want an ISO week YYYY-Www (e.g. 2026-W45) or a day of it YYYY-MM-DD", s)
		}
		p = q
	}
	if p.Start.After(now) {
		return calendar.Period{}, BadInput("week %s has not begun: its report does not exist yet", p)
	}
	return p, nil
}

// BuildDutyWeekly is the weekly report (值班周报, deliverables 8 and 15) of
// ISO week p: the duty log's figures over the week with one row per day.
func BuildDutyWeekly(ctx context.Context, src Source, p calendar.Period, o Options) (*report.Document, error) {
	if p.Kind != calendar.KindWeek {
		return nil, BadInput("weekly report: period %s is not an ISO week", p)
	}
	data, err := gather(ctx, src, p, o)
	if err != nil {
		return nil, err
	}
	_, week := p.Start.In(calendar.Zone).ISOWeek()
	d, err := newDocument(KindDutyWeekly, "值班周报", "Weekly duty report", p, week, o)
	if err != nil {
		return nil, err
	}
	d.PeriodText = docfmt.PeriodLabel(p, o.Lang) + o.tr("（北京时间）", " (Beijing time)")
	st := statsOf(data.Alerts)
	d.Summary = append(d.Summary, kv("统计周期", "Period", d.PeriodText+guardNote(p, o)))
	d.Summary = append(d.Summary, alertSummary(st, o)...)
	d.Summary = append(d.Summary, dutySummary(data, p.Days(), o)...)
	d.Sections = append(d.Sections,
		report.Section{ID: "days", Title: "每日情况", TitleEN: "Day by day", Tables: []report.Table{dayTable(data, o)}},
		report.Section{ID: "alerts", Title: "告警情况", TitleEN: "Alerts", Text: []string{alertText(st, o)}, Tables: []report.Table{alertTypeTable(data.Alerts, o)}},
		report.Section{ID: "inspections", Title: "巡检情况", TitleEN: "Inspections", Text: []string{inspectionText(data, p.Days(), o)},
			Tables: []report.Table{remoteTable(data.Remote, o), onsiteTable(data.Onsite, o)}},
		findingSection(data, o),
		report.Section{ID: "incidents", Title: "故障处理", TitleEN: "Incidents", Tables: []report.Table{incidentTable(data.Incidents, o)}},
		report.Section{ID: "handover", Title: "交接班", TitleEN: "Handovers", Tables: []report.Table{handoverTable(data.Handovers, o)}},
	)
	addCaveats(d, data, o)
	return d, nil
}

// dayTable has one row per day of data's period.
func dayTable(data *periodData, o Options) report.Table {
	t := report.Table{ID: "days", Title: "每日统计", TitleEN: "Per day",
		Columns: []report.Column{col("日期", "Day"), ncol("告警", "Alerts"), ncol("未确认", "Not ack."), col("确认时延中位数", "Median ack delay"),
			col("确认时延最大", "Max ack delay"), col("远程巡检", "Remote insp."), col("现场巡检", "On-site insp."), ncol("异常项", "Abnormal items"),
			ncol("新增整改", "Findings opened"), ncol("关闭整改", "Findings closed"), ncol("故障", "Incidents")}}
	for day := data.P.Start; day.Before(data.P.End); day = day.AddDate(0, 0, 1) {
		day = calendar.DateOf(day)
		s := data.sub(calendar.Day(day))
		st := statsOf(s.Alerts)
		remote, abnormal := 0, 0
		for _, r := range s.Remote {
			if r.Body.Status != records.InspectionMissed {
				remote++
			}
			abnormal += r.Body.Abnormal
		}
		for _, r := range s.Onsite {
			abnormal += r.Body.Abnormal
		}
		t.Rows = append(t.Rows, []string{docfmt.Date(day, o.Lang), itoa(st.Total), itoa(st.Unacked), st.medianText(o.Lang), st.maxText(o.Lang),
			itoa(remote) + " / " + itoa(ContractRemotePerDay), itoa(len(s.Onsite)) + " / " + itoa(ContractOnsitePerDay), itoa(abnormal),
			itoa(len(s.FindingsOpened)), itoa(len(s.FindingsClosed)), itoa(len(s.Incidents))})
	}
	return t
}
