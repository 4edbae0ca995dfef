package report

import (
	"context"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
)

// RecordSections supplies the sections a monthly report takes from the
// operations-records store (internal/records, read by
// internal/report/recdocs): 巡检 and 整改 for the machine-room and line
// reports, 告警统计 for the supervision report (kind hosts). The engine
// itself never reads the store, so it stays free of database drivers.
type RecordSections interface {
	// MonthlySections returns the sections of a report of kind for period
	// p in lang (none for a kind that has no records sections).
	MonthlySections(ctx context.Context, kind string, p calendar.Period, lang docfmt.Lang) ([]Section, error)
}

// NoRecordsStore is what a records section says when no store is
// configured: never a zero that was not counted.
const (
	NoRecordsStore   = "未配置记录库"
	NoRecordsStoreEN = "no records store configured"
)

// recordSectionTitles are the records sections of each monthly kind (id, zh, en).
// The rectification list from the store is 整改跟踪情况: 整改措施及完成情况 is
// the editable narrative section of the same report (narrative.go), and one
// document must not carry two sections of the same title.
var recordSectionTitles = map[string][][3]string{
	KindInfrastructure: {{"inspections", "巡检情况", "Inspections"}, {"rectification", "整改跟踪情况", "Rectification tracking"}},
	KindLines:          {{"inspections", "巡检情况", "Inspections"}, {"rectification", "整改跟踪情况", "Rectification tracking"}},
	KindHosts:          {{"alerts", "告警统计", "Alert statistics"}, {"inspections", "硬件巡检情况", "Hardware inspections"}},
}

// RecordSectionKinds reports which records sections (ids) a monthly kind has.
func RecordSectionKinds(kind string) []string {
	var ids []string
	for _, s := range recordSectionTitles[kind] {
		ids = append(ids, s[0])
	}
	return ids
}

// RecordSectionTitle is the title of a records section of a monthly kind.
func RecordSectionTitle(kind, id string) (zh, en string) {
	for _, s := range recordSectionTitles[kind] {
		if s[0] == id {
			return s[1], s[2]
		}
	}
	return id, id
}

// AddRecordSections appends the records sections of d's kind (a monthly
// report from Build) for d's period: from rs, or, when rs is nil, each
// section saying 未配置记录库 — never a zero that was not counted — before
// the editable sections (主要问题及原因分析 … stay last). Callers
// that render monthly reports (jianguan-report, the plugin) call it after
// Build.
func AddRecordSections(ctx context.Context, d *Document, rs RecordSections) error {
	titles := recordSectionTitles[d.Kind]
	if len(titles) == 0 {
		return nil
	}
	lang := docLang(d)
	if rs == nil {
		for _, t := range titles {
			d.Sections = insertBeforeNarrative(d.Sections, Section{ID: t[0], Title: t[1], TitleEN: t[2], Text: []string{tr(lang,
				NoRecordsStore+"：本节内容取自运维记录库，本报告生成时未配置记录库。",
				NoRecordsStoreEN+": this section is read from the operations-records store, which was not configured when the report was made.")}})
		}
		return nil
	}
	start, err1 := time.Parse(time.RFC3339, d.PeriodStart)
	end, err2 := time.Parse(time.RFC3339, d.PeriodEnd)
	if err1 != nil || err2 != nil || !start.Before(end) {
		return Errorf(ErrBadRequest, "records sections: document period %q … %q is not a period", d.PeriodStart, d.PeriodEnd)
	}
	p := calendar.Period{Kind: calendar.KindMonth, Start: start, End: end}
	ss, err := rs.MonthlySections(ctx, d.Kind, p, lang)
	if err != nil {
		return Errorf(ErrUnavailable, "records store: %v", err)
	}
	d.Sections = insertBeforeNarrative(d.Sections, ss...) // topics, before the editable sections
	return nil
}

// CoverFor is the identification block of a document of kind for period p,
// the seq-th of its kind in p's month (report numbers come from
// reports.yml's template and number_kinds).
func CoverFor(id *docfmt.Identification, kind string, p calendar.Period, seq int, lang docfmt.Lang) (*Cover, error) {
	c, err := coverOf(id, kind, p, lang)
	if err != nil || seq == 1 {
		return c, err
	}
	if c.ReportNumber, err = id.ReportNumber(kind, p, seq); err != nil {
		return nil, Errorf(ErrBadRequest, "reports configuration: %v", err)
	}
	return c, nil
}
