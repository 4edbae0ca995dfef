// Package recdocs builds the documents that come from the operations
// records (internal/records) in the reports' document frame (cover, 目录,
// running header, 「第 N 页 共 M 页」, sign-off block): the daily duty log
// (值班日志), the weekly report (值班周报), the single-incident
// 《故障处理情况报告》 and the 《重保保障工作报告》 of a guard period, and the
// records sections of the monthly reports (report.RecordSections).
//
// It reads the store through Source (what records.Store offers), never SQL,
// and builds report.Document values that the report engine's renderers
// (HTML, PDF, CSV, XLSX, JSON) print like any other document.
//
// Bounds: at most MaxAlerts alerts per document (read in pages of
// records.MaxListLimit; more is an error, never a silent cut), at most
// MaxAlertRows alert rows listed in a daily log (the statistics count them
// all), and the newest records.MaxListLimit records of a kind for findings,
// incidents and handovers (a document that may have missed some says so).
package recdocs

import (
	"context"
	"fmt"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
)

// Source is what the documents read from the records store; records.Store
// satisfies it.
type Source interface {
	ListAlerts(ctx context.Context, f records.AlertFilter) ([]records.Alert, error)
	GetAlert(ctx context.Context, id int64) (records.Alert, error)
	GetRecord(ctx context.Context, id int64) (records.Record, error)
	FindRecords(ctx context.Context, f records.RecordFilter) ([]records.Record, error)
}

// Document kinds (jianguan-report --kind).
const (
	KindDutyDaily  = "duty-daily"  // 值班日志 (deliverables 7, 14)
	KindDutyWeekly = "duty-weekly" // 值班周报 (deliverables 8, 15)
	KindIncident   = "incident"    // 故障处理情况报告 (deliverable 5)
	KindGuard      = "guard"       // 重保保障工作报告 (deliverable 6)
)

// Kinds lists the records documents.
var Kinds = []string{KindDutyDaily, KindDutyWeekly, KindIncident, KindGuard}

// Bounds.
const (
	MaxAlerts    = 20000 // alerts one document reads
	MaxAlertRows = 1000  // alerts listed one by one in a daily log
	// ContractRemotePerDay and ContractOnsitePerDay are the contract's
	// inspections per day (one on-site, two remote).
	ContractRemotePerDay = 2
	ContractOnsitePerDay = 1
)

// Options are what every document needs besides the store.
type Options struct {
	Lang  docfmt.Lang
	Ident *docfmt.Identification // cover and sign-off (reports.yml); nil: title and period only
	Now   func() time.Time       // nil: time.Now
	// Calendar: the guard periods (calendar.yml); needed by KindGuard and
	// to mark guard days in the duty documents.
	Calendar *calendar.Calendar
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) tr(zh, en string) string {
	if o.Lang == docfmt.EN {
		return en
	}
	return zh
}

// BadInput is an error in what the caller asked for (unknown day, incident
// or guard period): report.ErrBadRequest, 400 in an API, exit 1 in the CLI.
func BadInput(format string, a ...any) error {
	return report.Errorf(report.ErrBadRequest, format, a...)
}

// storeErr wraps a store failure.
func storeErr(what string, err error) error {
	return report.Errorf(report.ErrUnavailable, "records store: %s: %v", what, err)
}

// newDocument is the frame of a records document of kind for period p.
func newDocument(kind, title, titleEN string, p calendar.Period, seq int, o Options) (*report.Document, error) {
	lang := o.Lang
	if lang == "" {
		lang = docfmt.ZH
	}
	d := &report.Document{
		Kind: kind, Lang: string(lang), Title: title, TitleEN: titleEN, Month: p.String(),
		PeriodStart: p.Start.In(calendar.Zone).Format(time.RFC3339), PeriodEnd: p.End.In(calendar.Zone).Format(time.RFC3339),
		TimeZone: calendar.ZoneName, MonthSeconds: p.Seconds(),
		GeneratedAt: o.now().In(calendar.Zone).Format(time.RFC3339),
		PeriodText:  docfmt.DateRange(p.Start, p.End, lang) + o.tr("（北京时间）", " (Beijing time)"),
	}
	if _, err := glossary(); err != nil {
		return nil, err
	}
	if o.Ident != nil {
		c, err := report.CoverFor(o.Ident, kind, p, seq, lang)
		if err != nil {
			return nil, err
		}
		d.Cover = c
	}
	d.Audit.Method = []string{
		o.tr(fmt.Sprintf("数据来源：运维记录库（jianguan-recorder）。统计区间为北京时间 %s 起至 %s 止（不含）。", d.PeriodStart, d.PeriodEnd),
			fmt.Sprintf("Source: the operations-records store (jianguan-recorder). Period in Beijing time: [%s, %s).", d.PeriodStart, d.PeriodEnd)),
		o.tr("告警按检测时间（告警开始时间）计入统计区间；通知时间为记录器首次收到该告警通知的时间；确认时延 = 首次确认时间 − 通知时间（无通知时间时自检测时间起算）；恢复时间为告警结束时间。",
			"Alerts count in the period of their detection (startsAt); notified is when the recorder first received a notification of the alert; acknowledgement delay = first acknowledgement − notified (from detection when no notification was received); resolved is the alert's end."),
		o.tr(fmt.Sprintf("合同要求每日远程巡检 %d 次、现场巡检 %d 次。", ContractRemotePerDay, ContractOnsitePerDay),
			"The contract requires "+docfmt.Count(ContractRemotePerDay, "remote inspection", "remote inspections")+" and "+
				docfmt.Count(ContractOnsitePerDay, "on-site inspection", "on-site inspections")+" a day."),
		alertNamesMethod(o),
	}
	return d, nil
}

// Punctuation of the document's language: a zh-CN document writes 全角
// punctuation, an English one ASCII.
func (o Options) list() string          { return o.tr("、", ", ") }
func (o Options) semi() string          { return o.tr("；", "; ") }
func (o Options) colon() string         { return o.tr("：", ": ") }
func (o Options) paren(s string) string { return o.tr("（"+s+"）", " ("+s+")") }

func kv(zh, en, v string) report.KV { return report.KV{Label: zh, LabelEN: en, Value: v} }

func col(zh, en string) report.Column  { return report.Column{Title: zh, TitleEN: en} }
func ncol(zh, en string) report.Column { return report.Column{Title: zh, TitleEN: en, Numeric: true} }
