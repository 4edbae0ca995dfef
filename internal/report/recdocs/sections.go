package recdocs

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
)

// alertStats are the alert figures of a set of alerts.
type alertStats struct {
	Total, Acked, Unacked, Resolved, Firing int
	Delays                                  []float64 // acknowledgement delays, seconds, sorted
}

// ackDelay is the acknowledgement delay of a: first acknowledgement −
// notified (detected when no notification was received); ok false when not
// acknowledged.
func ackDelay(a records.Alert) (float64, bool) {
	if a.AcknowledgedAt == nil {
		return 0, false
	}
	from := a.DetectedAt
	if a.NotifiedAt != nil {
		from = *a.NotifiedAt
	}
	return math.Max(0, a.AcknowledgedAt.Sub(from).Seconds()), true
}

func statsOf(as []records.Alert) alertStats {
	var s alertStats
	for _, a := range as {
		s.Total++
		if d, ok := ackDelay(a); ok {
			s.Acked++
			s.Delays = append(s.Delays, d)
		} else {
			s.Unacked++
		}
		if a.ResolvedAt != nil {
			s.Resolved++
		} else {
			s.Firing++
		}
	}
	sort.Float64s(s.Delays)
	return s
}

// median of sorted xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func (s alertStats) medianText(lang docfmt.Lang) string {
	if len(s.Delays) == 0 {
		return docfmt.Placeholder
	}
	return docfmt.Duration(median(s.Delays), lang)
}

func (s alertStats) maxText(lang docfmt.Lang) string {
	if len(s.Delays) == 0 {
		return docfmt.Placeholder
	}
	return docfmt.Duration(s.Delays[len(s.Delays)-1], lang)
}

func severityText(a records.Alert, lang docfmt.Lang) string {
	sev := a.Labels["severity"]
	if sev == "" {
		return docfmt.Placeholder
	}
	w, _ := docfmt.Term(sev, lang)
	return w
}

func itoa(n int) string { return strconv.Itoa(n) }

func timeText(t *time.Time, lang docfmt.Lang) string {
	if t == nil {
		return docfmt.Placeholder
	}
	return docfmt.DateTime(*t, lang)
}

// alertSummary is the alert figures as summary lines.
func alertSummary(s alertStats, o Options) []report.KV {
	return []report.KV{
		kv("告警总数", "Alerts", itoa(s.Total)),
		kv("已确认 / 未确认", "Acknowledged / not acknowledged", itoa(s.Acked)+" / "+itoa(s.Unacked)),
		kv("确认时延（中位数 / 最大）", "Acknowledgement delay (median / max)", s.medianText(o.Lang)+" / "+s.maxText(o.Lang)),
		kv("已恢复 / 未恢复", "Resolved / still firing", itoa(s.Resolved)+" / "+itoa(s.Firing)),
	}
}

// alertTypeTable counts alerts by type (alertType: the rule's official
// name in zh-CN, its alertname in English) and severity.
func alertTypeTable(as []records.Alert, o Options) report.Table {
	type key struct{ name, sev string }
	groups := map[key][]records.Alert{}
	for _, a := range as {
		k := key{alertType(a, o), a.Labels["severity"]}
		groups[k] = append(groups[k], a)
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	rank := map[string]int{"critical": 0, "warning": 1, "info": 2}
	sort.Slice(keys, func(i, j int) bool {
		ri, iok := rank[keys[i].sev]
		rj, jok := rank[keys[j].sev]
		if !iok {
			ri = 3
		}
		if !jok {
			rj = 3
		}
		if ri != rj {
			return ri < rj
		}
		return docfmt.NaturalLess(keys[i].name, keys[j].name)
	})
	t := report.Table{ID: "alert-types", Title: "按告警类型与级别统计", TitleEN: "By alert type and severity",
		Empty: o.tr("本期无告警", "no alerts in the period"),
		Columns: []report.Column{col("类型", "Type"), col("级别", "Severity"), ncol("次数", "Alerts"), ncol("已确认", "Acknowledged"),
			ncol("未确认", "Not acknowledged"), ncol("已恢复", "Resolved"), col("确认时延中位数", "Median ack delay"), col("确认时延最大", "Max ack delay")}}
	for _, k := range keys {
		g := groups[k]
		s := statsOf(g)
		t.Rows = append(t.Rows, []string{k.name, severityText(g[0], o.Lang), itoa(s.Total), itoa(s.Acked), itoa(s.Unacked), itoa(s.Resolved),
			s.medianText(o.Lang), s.maxText(o.Lang)})
	}
	return t
}

// alertText is the paragraph that says the alert figures in words.
func alertText(s alertStats, o Options) string {
	if s.Total == 0 {
		return o.tr("本期记录库中无告警记录。", "The store holds no alerts detected in the period.")
	}
	return o.tr(fmt.Sprintf("本期共检测到告警 %d 条，已确认 %d 条、未确认 %d 条，确认时延中位数 %s、最大 %s；已恢复 %d 条，尚未恢复 %d 条。",
		s.Total, s.Acked, s.Unacked, s.medianText(o.Lang), s.maxText(o.Lang), s.Resolved, s.Firing),
		fmt.Sprintf("%s detected: %d acknowledged, %d not acknowledged; acknowledgement delay median %s, max %s; %d resolved, %d still firing.",
			docfmt.Count(s.Total, "alert was", "alerts were"), s.Acked, s.Unacked, s.medianText(o.Lang), s.maxText(o.Lang), s.Resolved, s.Firing))
}

// remoteTable lists the remote inspections (one row each).
func remoteTable(rs []remoteRec, o Options) report.Table {
	t := report.Table{ID: "remote", Title: "远程巡检", TitleEN: "Remote inspections", Empty: o.tr("本期无远程巡检记录", "no remote inspections recorded"),
		Columns: []report.Column{col("巡检时间", "Slot"), col("结果", "Result"), ncol("正常", "Normal"), ncol("异常", "Abnormal"), ncol("无数据", "No data"), col("异常项", "Abnormal items")}}
	for _, r := range rs {
		res := o.tr("已完成", "completed")
		if r.Body.Status == records.InspectionMissed {
			res = o.tr("未完成", "missed")
		}
		var bad []string
		for _, it := range r.Body.Items {
			if it.Result != records.ResultAbnormal {
				continue
			}
			var vals []string
			for _, s := range it.Series {
				if s.Result == records.ResultAbnormal && len(vals) < 3 {
					vals = append(vals, s.Value+it.Unit)
				}
			}
			bad = append(bad, it.Label+o.paren(fmt.Sprintf("%s %s %s %s%s", strings.Join(vals, o.list()), o.tr("正常条件", "normal if"), it.Op, strconv.FormatFloat(it.Threshold, 'g', -1, 64), it.Unit)))
		}
		if r.Body.Status == records.InspectionMissed && r.Body.Reason != "" {
			bad = append(bad, o.tr("原因：", "reason: ")+r.Body.Reason)
		}
		t.Rows = append(t.Rows, []string{docfmt.DateTime(r.Body.Slot, o.Lang), res, itoa(r.Body.Normal), itoa(r.Body.Abnormal), itoa(r.Body.NoData), joinOr(bad, o.semi())})
	}
	return t
}

// onsiteTable lists the on-site inspections.
func onsiteTable(rs []onsiteRec, o Options) report.Table {
	t := report.Table{ID: "onsite", Title: "现场巡检", TitleEN: "On-site inspections", Empty: o.tr("本期无现场巡检记录", "no on-site inspections recorded"),
		Columns: []report.Column{col("日期", "Date"), col("巡检人", "Inspector"), col("审核人", "Reviewer"), ncol("正常", "Normal"), ncol("异常", "Abnormal"),
			col("异常项", "Abnormal items"), col("签署", "Signed off")}}
	for _, r := range rs {
		var bad []string
		for _, it := range r.Body.Items {
			if it.Result == records.ResultAbnormal {
				bad = append(bad, it.Label+o.colon()+it.Note)
			}
		}
		t.Rows = append(t.Rows, []string{docfmt.Date(r.Day, o.Lang), r.Body.Inspector, r.Body.Reviewer, itoa(r.Body.Normal), itoa(r.Body.Abnormal),
			joinOr(bad, o.semi()), signedText(r.Rec, o)})
	}
	return t
}

func signedText(r records.Record, o Options) string {
	if r.SignedOffAt == nil {
		return o.tr("未签署", "not signed off")
	}
	return *r.SignedOffBy + " " + docfmt.Date(*r.SignedOffAt, o.Lang)
}

func joinOr(xs []string, sep string) string {
	if len(xs) == 0 {
		return docfmt.Placeholder
	}
	return strings.Join(xs, sep)
}

// inspectionText says how many inspections were done against the contract's.
func inspectionText(d *periodData, days int, o Options) string {
	done, missed, abnormal := 0, 0, 0
	for _, r := range d.Remote {
		if r.Body.Status == records.InspectionMissed {
			missed++
		} else {
			done++
			abnormal += r.Body.Abnormal
		}
	}
	onAbn := 0
	for _, r := range d.Onsite {
		onAbn += r.Body.Abnormal
	}
	return o.tr(fmt.Sprintf("远程巡检应 %d 次，完成 %d 次、未完成 %d 次，发现异常项 %d 项；现场巡检应 %d 次，完成 %d 次，发现异常项 %d 项。",
		days*ContractRemotePerDay, done, missed, abnormal, days*ContractOnsitePerDay, len(d.Onsite), onAbn),
		fmt.Sprintf("Remote inspections: %d required, %d completed, %d missed, %s; on-site inspections: %d required, %d done, %s.",
			days*ContractRemotePerDay, done, missed, docfmt.Count(abnormal, "abnormal item", "abnormal items"), days*ContractOnsitePerDay, len(d.Onsite), docfmt.Count(onAbn, "abnormal item", "abnormal items")))
}

func findingStatus(f findingRec, o Options) string {
	if f.Closed != nil {
		return o.tr("已关闭", "closed")
	}
	return o.tr("整改中", "open")
}

func sourceText(src string, o Options) string {
	switch src {
	case records.KindRemoteInspection:
		return o.tr("远程巡检", "remote inspection")
	case records.KindOnsiteInspection:
		return o.tr("现场巡检", "on-site inspection")
	case "alert":
		return o.tr("告警", "alert")
	}
	return src
}

// findingTable lists findings (整改).
func findingTable(id, zh, en string, fs []findingRec, o Options) report.Table {
	t := report.Table{ID: id, Title: zh, TitleEN: en, Empty: o.tr("无", "none"),
		Columns: []report.Column{col("发现时间", "Found"), col("来源", "Source"), col("问题", "Finding"), col("说明", "Detail"), col("责任人", "Owner"),
			col("期限", "Deadline"), col("整改措施", "Measures"), col("状态", "Status")}}
	for _, f := range fs {
		st := findingStatus(f, o)
		if f.Closed != nil {
			st += " " + docfmt.Date(*f.Closed, o.Lang)
		}
		t.Rows = append(t.Rows, []string{docfmt.DateTime(f.Found, o.Lang), sourceText(f.Body.Source, o), f.Body.Label, f.Body.Detail,
			orDash(f.Body.Owner), deadlineText(f.Body.Deadline, o), orDash(f.Body.Measures), st})
	}
	return t
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return docfmt.Placeholder
	}
	return s
}

// deadlineText writes a YYYY-MM-DD deadline as the document writes dates.
func deadlineText(s string, o Options) string {
	if s == "" {
		return docfmt.Placeholder
	}
	d, err := calendar.ParseDate(s)
	if err != nil {
		return s
	}
	return docfmt.Date(d, o.Lang)
}

func incidentStatus(s string, o Options) string {
	switch s {
	case records.IncidentOpen:
		return o.tr("处理中", "being handled")
	case records.IncidentRectifying:
		return o.tr("整改中", "rectifying")
	case records.IncidentClosed:
		return o.tr("已关闭", "closed")
	}
	return s
}

func nsText(ns string, o Options) string {
	w, err := docfmt.Term(ns, o.Lang)
	if err != nil {
		return ns
	}
	return w
}

// incidentTable lists incident records.
func incidentTable(is []incidentRec, o Options) report.Table {
	t := report.Table{ID: "incidents", Title: "故障", TitleEN: "Incidents", Empty: o.tr("本期无故障记录", "no incidents recorded"),
		Columns: []report.Column{col("对象", "Entity"), col("类别", "Kind"), col("开始", "Start"), col("结束", "End"), col("原因", "Cause"),
			col("处理人", "Handler"), col("状态", "Status"), ncol("记录编号", "Record")}}
	for _, in := range is {
		t.Rows = append(t.Rows, []string{in.Body.Entity, nsText(in.Body.NS, o), docfmt.DateTime(in.Body.Start, o.Lang), timeText(in.Body.End, o.Lang),
			orDash(in.Body.Cause), orDash(in.Body.Handler), incidentStatus(in.Body.Status, o), strconv.FormatInt(in.Rec.ID, 10)})
	}
	return t
}
