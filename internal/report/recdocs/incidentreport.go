package recdocs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
)

// LinkLead is how long before an incident's start an alert may be detected
// and still be linked to it (the alert usually fires after the outage
// begins; a degradation alert may precede it).
const LinkLead = 15 * time.Minute

// incidentByID reads incident record id and, when it was amended, the
// newest amendment (which stands for it).
func incidentByID(ctx context.Context, src Source, id int64) (incidentRec, error) {
	if id <= 0 {
		return incidentRec{}, BadInput("incident id %d: want the id of an incident record (GET /api/v1/incidents)", id)
	}
	r, err := src.GetRecord(ctx, id)
	if errors.Is(err, records.ErrNotFound) {
		return incidentRec{}, BadInput("incident %d: no such record (GET /api/v1/incidents lists them)", id)
	}
	if err != nil {
		return incidentRec{}, storeErr("incident", err)
	}
	if r.Kind != records.KindIncident {
		return incidentRec{}, BadInput("record %d is a %s record, not an incident", id, r.Kind)
	}
	// Follow amendments: a signed-off incident is corrected by a new record.
	all, _, err := current(ctx, src, records.KindIncident)
	if err != nil {
		return incidentRec{}, err
	}
	for changed := true; changed; {
		changed = false
		for _, x := range all {
			if x.AmendsID != nil && *x.AmendsID == r.ID {
				r, changed = x, true
				break
			}
		}
	}
	var b records.Incident
	if err := decode(r, &b); err != nil {
		return incidentRec{}, err
	}
	return incidentRec{r, b}, nil
}

// linkedAlerts are the alerts of an incident: detected from LinkLead before
// its start to its end (now while open) with a label whose value is the
// incident's entity.
func linkedAlerts(ctx context.Context, src Source, in records.Incident, now time.Time) ([]records.Alert, error) {
	end := now
	if in.End != nil {
		end = *in.End
	}
	p := calendar.Period{Kind: calendar.KindRange, Start: in.Start.Add(-LinkLead), End: end.Add(time.Millisecond)}
	as, err := readAlerts(ctx, src, p)
	if err != nil {
		return nil, err
	}
	var out []records.Alert
	for _, a := range as {
		for _, v := range a.Labels {
			if v == in.Entity {
				out = append(out, a)
				break
			}
		}
	}
	return out, nil
}

// BuildIncidentReport is the 《故障处理情况报告》 (deliverable 5) of incident
// record id: the whole course (timeline), cause, impact, handler, 整改措施,
// owner, deadline, status and the alerts linked to it.
func BuildIncidentReport(ctx context.Context, src Source, id int64, o Options) (*report.Document, error) {
	ir, err := incidentByID(ctx, src, id)
	if err != nil {
		return nil, err
	}
	in := ir.Body
	now := o.now()
	lastDay := in.Start
	if in.End != nil {
		lastDay = *in.End
	}
	p, err := calendar.Range(calendar.DateOf(in.Start), calendar.DateOf(lastDay))
	if err != nil {
		return nil, BadInput("incident %d: %v", id, err)
	}
	d, err := newDocument(KindIncident, "故障处理情况报告", "Incident handling report", p, int(id), o)
	if err != nil {
		return nil, err
	}
	alerts, err := linkedAlerts(ctx, src, in, now)
	if err != nil {
		return nil, err
	}
	dur := docfmt.Placeholder
	if in.End != nil {
		dur = docfmt.Duration(in.End.Sub(in.Start).Seconds(), o.Lang)
	} else {
		dur = o.tr("尚未恢复", "not restored")
	}
	overdue := o.tr("否", "no")
	if in.Overdue(now) {
		overdue = o.tr("是", "yes")
	}
	d.Summary = append(d.Summary,
		kv("故障对象", "Entity", in.Entity+o.paren(nsText(in.NS, o))),
		kv("开始时间", "Start", docfmt.DateTime(in.Start, o.Lang)),
		kv("恢复时间", "Restored", timeText(in.End, o.Lang)),
		kv("持续时间", "Duration", dur),
		kv("处理人", "Handler", orDash(in.Handler)),
		kv("状态", "Status", incidentStatus(in.Status, o)),
		kv("整改责任人 / 期限", "Rectification owner / deadline", orDash(in.Owner)+" / "+deadlineText(in.Deadline, o)),
		kv("整改逾期", "Rectification overdue", overdue),
		kv("记录编号 / 签署", "Record / sign-off", strconv.FormatInt(ir.Rec.ID, 10)+" / "+signedText(ir.Rec, o)),
	)
	if ir.Rec.ID != id {
		d.Summary = append(d.Summary, kv("修订", "Amendment", o.tr(fmt.Sprintf("记录 %d 已由记录 %d 修订，本报告依据修订后的记录。", id, ir.Rec.ID),
			fmt.Sprintf("record %d was amended by record %d; this report follows the amendment.", id, ir.Rec.ID))))
	}
	tl := report.Table{ID: "timeline", Title: "处理经过", TitleEN: "Timeline", Empty: o.tr("未记录处理经过", "no timeline recorded"),
		Columns: []report.Column{col("时间", "Time"), col("经过", "Step")}}
	for _, s := range in.Timeline {
		tl.Rows = append(tl.Rows, []string{docfmt.DateTime(s.At, o.Lang), s.Text})
	}
	at := report.Table{ID: "linked-alerts", Title: "相关告警", TitleEN: "Linked alerts", Empty: o.tr("无相关告警记录", "no linked alerts recorded"),
		Columns: []report.Column{col("检测时间", "Detected"), col("类型", "Type"), col("级别", "Severity"), col("通知时间", "Notified"),
			col("确认时间", "Acknowledged"), col("恢复时间", "Resolved")}}
	for _, a := range alerts {
		at.Rows = append(at.Rows, []string{docfmt.DateTime(a.DetectedAt, o.Lang), alertType(a, o), severityText(a, o.Lang), timeText(a.NotifiedAt, o.Lang),
			timeText(a.AcknowledgedAt, o.Lang), timeText(a.ResolvedAt, o.Lang)})
	}
	para := func(s string) []string {
		if s == "" {
			return []string{o.tr("未记录。", "Not recorded.")}
		}
		return []string{s}
	}
	d.Sections = append(d.Sections,
		report.Section{ID: "course", Title: "故障经过", TitleEN: "Course of the incident", Tables: []report.Table{tl}},
		report.Section{ID: "cause", Title: "原因分析", TitleEN: "Cause", Text: para(in.Cause)},
		report.Section{ID: "impact", Title: "影响范围", TitleEN: "Impact", Text: para(in.Impact)},
		report.Section{ID: "measures", Title: "整改措施及完成情况", TitleEN: "Rectification", Text: append(para(in.Measures),
			o.tr("责任人："+orDash(in.Owner)+"；期限："+deadlineText(in.Deadline, o)+"；状态："+incidentStatus(in.Status, o)+"。",
				"Owner: "+orDash(in.Owner)+"; deadline: "+deadlineText(in.Deadline, o)+"; status: "+incidentStatus(in.Status, o)+"."))},
		report.Section{ID: "alerts", Title: "相关告警", TitleEN: "Linked alerts", Text: []string{o.tr(
			"相关告警：检测时间在故障开始前 15 分钟至恢复时间（未恢复时至报告生成时间）之间、且某一标签值等于故障对象名称的告警。",
			"Linked alerts: detected from 15 minutes before the start to the restoration (the report time while not restored) with a label whose value is the entity's name.")},
			Tables: []report.Table{at}},
	)
	return d, nil
}
