package recdocs_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/recdocs"
	"github.com/jianguan/jianguan/internal/testutil"
)

// TestRecordsDocumentsPDF prints one document of each records kind through
// Chromium and reads every page with pdftotext: the cover with reports.yml's
// identification block and the kind's report number, 目录, the running
// header and 「第 N 页 共 M 页」 on every page, and the sign-off block. With
// JIANGUAN_REPORT_PDF_DIR set the PDFs are kept there.
func TestRecordsDocumentsPDF(t *testing.T) {
	testutil.Need(t, "chromium")
	testutil.Need(t, "pdftotext")
	id, err := docfmt.LoadIdentification("../../../deploy/etc/jianguan/reports.yml")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.Load("../../../deploy/etc/jianguan/calendar.yml")
	if err != nil {
		t.Fatal(err)
	}
	st := openSQLite(t)
	guardDay := calendar.Date(2026, 10, 2)
	fill(t, st, guardDay)
	fx := fill(t, st, busyDay)
	o := opts(docfmt.ZH)
	o.Ident, o.Calendar = id, cal
	ctx := context.Background()
	pdfR := report.NewPDFRenderer("", 1)
	defer pdfR.Close()
	dir := os.Getenv("JIANGUAN_REPORT_PDF_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	week, _ := recdocs.ParseWeek("2026-W45", testNow)
	for _, c := range []struct {
		kind   string
		build  func() (*report.Document, error)
		number string
		period string
		body   []string
	}{
		{recdocs.KindDutyDaily, func() (*report.Document, error) { return recdocs.BuildDutyDaily(ctx, st, calendar.Day(busyDay), o) },
			"JG-202611-ZB-003", "2026年11月3日（北京时间）", []string{"告警情况", "UPS 电池供电", "巡检情况", "交接班与工单"}},
		{recdocs.KindDutyWeekly, func() (*report.Document, error) { return recdocs.BuildDutyWeekly(ctx, st, week, o) },
			"JG-202611-ZZ-045", "2026年第45周（2026年11月2日至11月8日）", []string{"每日情况", "2026年11月8日"}},
		{recdocs.KindIncident, func() (*report.Document, error) { return recdocs.BuildIncidentReport(ctx, st, fx.IncidentID, o) },
			"JG-202611-GZ-" + strconv.FormatInt(1000+fx.IncidentID, 10)[1:], "2026年11月3日（北京时间）", []string{"故障经过", "原因分析", "光缆在施工中被挖断", "线路中断"}},
		{recdocs.KindGuard, func() (*report.Document, error) { return recdocs.BuildGuardReport(ctx, st, "2026年国庆节", o) },
			"JG-202609-BZ-002", "2026年9月30日至10月7日（北京时间）", []string{"值班情况", "2026年国庆节"}},
	} {
		t.Run(c.kind, func(t *testing.T) {
			d, err := c.build()
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			pdf, err := pdfR.RenderPDF(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: PDF %d bytes in %v", c.kind, len(pdf), time.Since(start))
			pages := testutil.PDFPages(t, dir, c.kind+".pdf", pdf)
			if len(pages) < 3 {
				t.Fatalf("%d pages, want cover, 目录 and body", len(pages))
			}
			testutil.CheckPageFrame(t, pages, d.Title, id.Confidentiality)
			for _, want := range []string{d.Title, id.Project, id.ContractNo, id.Recipient, c.number, c.period, "报送单位", "报告编号", "服务期", "报告期", "草稿"} {
				if !strings.Contains(pages[0], want) {
					t.Errorf("cover lacks %q:\n%s", want, pages[0])
				}
			}
			if !strings.Contains(pages[1], "目录") || !strings.Contains(pages[1], "一、总体情况") {
				t.Errorf("page 2 is no 目录:\n%s", pages[1])
			}
			all := strings.Join(pages, "\f")
			for i, s := range d.Sections {
				num, _ := docfmt.HeadingNumber(1, i+2)
				if !strings.Contains(all, num+s.Title) {
					t.Errorf("body lacks heading %q", num+s.Title)
				}
			}
			for _, want := range append([]string{"编制人", "审核人", "批准人", "（盖章）"}, c.body...) {
				if !strings.Contains(all, want) {
					t.Errorf("PDF lacks %q", want)
				}
			}
			if strings.Contains(all, "维护策略") || strings.Contains(all, "PromQL") {
				t.Error("a records document shows the monthly reports' PromQL appendix")
			}
		})
	}
}
