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

// ParseDay parses --day (YYYY-MM-DD, Asia/Shanghai); a day after now's is
// refused: its log cannot exist yet.
func ParseDay(s string, now time.Time) (calendar.Period, error) {
	d, err := calendar.ParseDate(strings.TrimSpace(s))
	if err != nil {
		return calendar.Period{}, BadInput("day %q: %v (want YYYY-MM-DD, Beijing time)", s, err)
	}
	if d.After(calendar.DateOf(now)) {
		return calendar.Period{}, BadInput("day %s is in the future: its duty log does not exist yet", s)
	}
	return calendar.Day(d), nil
}

// entityLabels name what an alert is about, in this order.
var entityLabels = []string{"site", "room", "device", "sensor", "line", "host", "website", "provider", "instance"}

func alertObject(a records.Alert) string {
	var parts []string
	for _, k := range entityLabels {
		if v := a.Labels[k]; v != "" {
			parts = append(parts, v)
		}
		if len(parts) == 3 {
			break
		}
	}
	return joinOr(parts, " / ")
}

// BuildDutyDaily is the daily duty log (值班日志, deliverables 7 and 14) of
// day p: the day's alerts by type and severity with their notified,
// acknowledged and resolved times, acknowledgement delays, the remote and
// on-site inspections with abnormal items, findings opened and closed,
// incidents, handover notes and the tickets noted with acknowledgements
// and handovers.
func BuildDutyDaily(ctx context.Context, src Source, p calendar.Period, o Options) (*report.Document, error) {
	if p.Kind != calendar.KindDay {
		return nil, BadInput("duty log: period %s is not a day", p)
	}
	data, err := gather(ctx, src, p, o)
	if err != nil {
		return nil, err
	}
	d, err := newDocument(KindDutyDaily, "值班日志", "Daily duty log", p, p.Start.In(calendar.Zone).Day(), o)
	if err != nil {
		return nil, err
	}
	st := statsOf(data.Alerts)
	d.Summary = append(d.Summary, kv("值班日期", "Duty day", docfmt.Date(p.Start, o.Lang)+guardNote(p, o)))
	d.Summary = append(d.Summary, alertSummary(st, o)...)
	d.Summary = append(d.Summary, dutySummary(data, 1, o)...)

	detail, tickets, err := alertDetail(ctx, src, data.Alerts, o)
	if err != nil {
		return nil, err
	}
	alertsText := []string{alertText(st, o)}
	if len(data.Alerts) > MaxAlertRows {
		alertsText = append(alertsText, o.tr("告警明细仅列出最早的 1000 条；统计包括全部告警。", "The alert list shows the first 1000 alerts; the statistics count them all."))
	}
	d.Sections = append(d.Sections,
		report.Section{ID: "alerts", Title: "告警情况", TitleEN: "Alerts", Text: alertsText, Tables: []report.Table{alertTypeTable(data.Alerts, o), detail}},
		report.Section{ID: "inspections", Title: "巡检情况", TitleEN: "Inspections", Text: []string{inspectionText(data, 1, o)},
			Tables: []report.Table{remoteTable(data.Remote, o), onsiteTable(data.Onsite, o)}},
		findingSection(data, o),
		report.Section{ID: "incidents", Title: "故障处理", TitleEN: "Incidents", Tables: []report.Table{incidentTable(data.Incidents, o)}},
		report.Section{ID: "handover", Title: "交接班与工单", TitleEN: "Handover and tickets", Tables: []report.Table{handoverTable(data.Handovers, o), tickets}},
	)
	addCaveats(d, data, o)
	return d, nil
}

// guardNote marks a day or period inside a 重保 period.
func guardNote(p calendar.Period, o Options) string {
	if o.Calendar == nil {
		return ""
	}
	var names []string
	for _, g := range o.Calendar.GuardsIn(p) {
		names = append(names, g.Name)
	}
	if len(names) == 0 {
		return ""
	}
	return o.tr("（重保时期："+strings.Join(names, "、")+"）", " (guard period: "+strings.Join(names, ", ")+")")
}

// dutySummary is the inspection, finding and incident lines of a summary.
func dutySummary(data *periodData, days int, o Options) []report.KV {
	remote := 0
	for _, r := range data.Remote {
		if r.Body.Status != records.InspectionMissed {
			remote++
		}
	}
	return []report.KV{
		kv("远程巡检（完成 / 应）", "Remote inspections (done / required)", itoa(remote)+" / "+itoa(days*ContractRemotePerDay)),
		kv("现场巡检（完成 / 应）", "On-site inspections (done / required)", itoa(len(data.Onsite))+" / "+itoa(days*ContractOnsitePerDay)),
		kv("整改（新增 / 关闭 / 期末未关闭）", "Findings (opened / closed / open at end)",
			itoa(len(data.FindingsOpened))+" / "+itoa(len(data.FindingsClosed))+" / "+itoa(len(data.FindingsOpenAtEnd))),
		kv("故障", "Incidents", itoa(len(data.Incidents))),
	}
}

func findingSection(data *periodData, o Options) report.Section {
	return report.Section{ID: "rectification", Title: "整改措施及完成情况", TitleEN: "Rectification",
		Text: []string{o.tr("本期新增整改 "+itoa(len(data.FindingsOpened))+" 项，关闭 "+itoa(len(data.FindingsClosed))+" 项，期末未关闭 "+itoa(len(data.FindingsOpenAtEnd))+" 项。",
			itoa(len(data.FindingsOpened))+" findings opened, "+itoa(len(data.FindingsClosed))+" closed, "+itoa(len(data.FindingsOpenAtEnd))+" open at the end of the period.")},
		Tables: []report.Table{
			findingTable("findings-opened", "新增整改", "Opened", data.FindingsOpened, o),
			findingTable("findings-closed", "关闭整改", "Closed", data.FindingsClosed, o),
		}}
}

func addCaveats(d *report.Document, data *periodData, o Options) {
	if len(data.Caveats) == 0 {
		return
	}
	d.Audit.Caveats = append(d.Audit.Caveats, data.Caveats...)
	d.Sections = append(d.Sections, report.Section{ID: "caveats", Title: "说明", TitleEN: "Notes", Text: data.Caveats})
}

// alertDetail lists each alert (at most MaxAlertRows) with its times and
// acknowledgements, and the tickets (工单) noted in acknowledgements.
func alertDetail(ctx context.Context, src Source, as []records.Alert, o Options) (report.Table, report.Table, error) {
	t := report.Table{ID: "alert-list", Title: "告警明细", TitleEN: "Alert list", Empty: o.tr("本期无告警", "no alerts in the period"),
		Columns: []report.Column{col("检测时间", "Detected"), col("类型", "Type"), col("级别", "Severity"), col("对象", "Entity"),
			col("通知时间", "Notified"), col("确认时间", "Acknowledged"), col("确认时延", "Ack delay"), col("确认人", "By"), col("恢复时间", "Resolved")}}
	tk := report.Table{ID: "tickets", Title: "确认备注（工单）", TitleEN: "Acknowledgement notes (tickets)", Empty: o.tr("无确认备注", "no acknowledgement notes"),
		Columns: []report.Column{col("确认时间", "At"), col("类型", "Type"), col("确认人", "By"), col("备注", "Note")}}
	for i, a := range as {
		if i >= MaxAlertRows {
			break
		}
		var who []string
		if a.AcknowledgedAt != nil {
			full, err := src.GetAlert(ctx, a.ID)
			if err != nil {
				return t, tk, storeErr("alert acknowledgements", err)
			}
			for _, k := range full.Acks {
				who = append(who, k.Who)
				if strings.TrimSpace(k.Note) != "" {
					tk.Rows = append(tk.Rows, []string{docfmt.DateTime(k.At, o.Lang), alertType(a, o), k.Who, k.Note})
				}
			}
		}
		delay := docfmt.Placeholder
		if s, ok := ackDelay(a); ok {
			delay = docfmt.Duration(s, o.Lang)
		}
		t.Rows = append(t.Rows, []string{docfmt.DateTime(a.DetectedAt, o.Lang), alertType(a, o), severityText(a, o.Lang), alertObject(a),
			timeText(a.NotifiedAt, o.Lang), timeText(a.AcknowledgedAt, o.Lang), delay, joinOr(who, o.list()), timeText(a.ResolvedAt, o.Lang)})
	}
	return t, tk, nil
}

// handoverTable lists the handovers (交接班).
func handoverTable(hs []handoverRec, o Options) report.Table {
	t := report.Table{ID: "handover", Title: "交接班", TitleEN: "Handovers", Empty: o.tr("本期无交接班记录", "no handovers recorded"),
		Columns: []report.Column{col("交接时间", "At"), col("交班人", "From"), col("接班人", "To"), col("交接内容", "Notes"), col("工单", "Tickets"), col("签署", "Signed off")}}
	for _, h := range hs {
		t.Rows = append(t.Rows, []string{docfmt.DateTime(h.Body.At, o.Lang), h.Body.From, h.Body.To, h.Body.Notes, joinOr(h.Body.Tickets, o.list()), signedText(h.Rec, o)})
	}
	return t
}
