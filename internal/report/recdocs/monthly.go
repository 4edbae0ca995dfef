package recdocs

import (
	"context"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
)

// Monthly reads the monthly reports' records sections (巡检, 整改 for the
// machine-room and line reports, 告警统计 for the supervision report) from
// the store: set it as report.Config.Records.
type Monthly struct {
	Src Source
	// Now is the clock (tests); nil: time.Now.
	Opts Options
}

var _ report.RecordSections = Monthly{}

// MonthlySections implements report.RecordSections.
func (m Monthly) MonthlySections(ctx context.Context, kind string, p calendar.Period, lang docfmt.Lang) ([]report.Section, error) {
	o := m.Opts
	o.Lang = lang
	data := &periodData{P: p}
	var out []report.Section
	for _, id := range report.RecordSectionKinds(kind) {
		zh, en := report.RecordSectionTitle(kind, id)
		switch id {
		case "inspections":
			if err := data.readInspections(ctx, m.Src, o); err != nil {
				return nil, err
			}
			out = append(out, report.Section{ID: id, Title: zh, TitleEN: en, Text: []string{inspectionText(data, p.Days(), o)},
				Tables: []report.Table{remoteTable(data.Remote, o), onsiteTable(data.Onsite, o)}})
		case "rectification":
			if err := data.readFindings(ctx, m.Src, o); err != nil {
				return nil, err
			}
			if err := data.readIncidents(ctx, m.Src, o); err != nil {
				return nil, err
			}
			s := findingSection(data, o)
			s.ID, s.Title, s.TitleEN = id, zh, en
			s.Tables = append(s.Tables, incidentRectTable(data.Incidents, o))
			out = append(out, s)
		case "alerts":
			if _, err := glossary(); err != nil {
				return nil, err
			}
			as, err := readAlerts(ctx, m.Src, p)
			if err != nil {
				return nil, err
			}
			st := statsOf(as)
			out = append(out, report.Section{ID: id, Title: zh, TitleEN: en, Text: []string{alertText(st, o)},
				Tables: []report.Table{alertTypeTable(as, o)}})
		}
	}
	if len(data.Caveats) > 0 && len(out) > 0 {
		out[len(out)-1].Text = append(out[len(out)-1].Text, data.Caveats...)
	}
	return out, nil
}

// incidentRectTable is the rectification of the incidents of a period.
func incidentRectTable(is []incidentRec, o Options) report.Table {
	t := report.Table{ID: "incident-rectification", Title: "故障整改", TitleEN: "Rectification of incidents", Empty: o.tr("本期无故障记录", "no incidents recorded"),
		Columns: []report.Column{col("对象", "Entity"), col("开始", "Start"), col("整改措施", "Measures"), col("责任人", "Owner"), col("期限", "Deadline"), col("状态", "Status")}}
	for _, in := range is {
		t.Rows = append(t.Rows, []string{in.Body.Entity, docfmt.DateTime(in.Body.Start, o.Lang), orDash(in.Body.Measures), orDash(in.Body.Owner),
			deadlineText(in.Body.Deadline, o), incidentStatus(in.Body.Status, o)})
	}
	return t
}
