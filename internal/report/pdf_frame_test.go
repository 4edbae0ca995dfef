package report_test

import (
	"cmp"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/testutil"
)

// nameColumns hold data (names of sites, rooms, devices, providers…), not
// wording: their cells may be ASCII in a zh-CN body.
var nameColumns = map[string]bool{"站点": true, "机房": true, "设备": true, "传感器": true, "网站": true, "服务商": true,
	"单位": true, "系统": true, "运营商": true, "线路": true, "云主机": true, "对象": true}

// TestPDFDocumentFrame prints each kind of report for the e2e month from a
// real Prometheus through Chromium and reads every page with pdftotext:
// the cover's identification block (reports.yml), 目录, the running header
// and 「第 N 页 共 M 页」 on every page, the sign-off block, no English word
// or code in the zh-CN body outside docfmt's allow-list and the entity
// names, and no table header word split across lines. With
// JIANGUAN_REPORT_PDF_DIR set the PDFs are kept there (docs/ screenshots).
func TestPDFDocumentFrame(t *testing.T) {
	testutil.Need(t, "chromium")
	pdftotext := testutil.Need(t, "pdftotext")
	url, _ := startE2EPrometheus(t)
	id, err := docfmt.LoadIdentification("../../deploy/etc/jianguan/reports.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := report.DefaultConfig()
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	cfg.Ident = id
	m, err := report.ParseMonth("2026-10", cfg.Location, now)
	if err != nil {
		t.Fatal(err)
	}
	pdfR := report.NewPDFRenderer("", 1)
	defer pdfR.Close()
	dir := os.Getenv("JIANGUAN_REPORT_PDF_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	ctx := context.Background()
	for _, kind := range report.Kinds {
		t.Run(kind, func(t *testing.T) {
			d, err := report.Build(ctx, promapi.New(url), cfg, kind, m)
			if err != nil {
				t.Fatal(err)
			}
			st := time.Now()
			pdf, err := pdfR.RenderPDF(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: PDF %d bytes in %v", kind, len(pdf), time.Since(st))
			pf := filepath.Join(dir, kind+"-2026-10.pdf")
			if err := os.WriteFile(pf, pdf, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(pdftotext, "-layout", pf, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			pages := strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
			n := len(pages)
			if n < 3 {
				t.Fatalf("%d pages", n)
			}
			// Header and page numbers on every page.
			for i, p := range pages {
				// pdftotext keeps the narrow spaces of the footer on some pages only.
				want := "第" + strconv.Itoa(i+1) + "页共" + strconv.Itoa(n) + "页"
				if !strings.Contains(strings.Join(strings.Fields(p), ""), want) {
					t.Errorf("page %d lacks %q", i+1, want)
				}
				if !strings.Contains(p, id.Confidentiality) || !strings.Contains(p, d.Title) {
					t.Errorf("page %d lacks the running header (title, %s)", i+1, id.Confidentiality)
				}
			}
			// Cover.
			no, _ := id.ReportNumber(kind, calendar.MonthOf(m.Start), 1)
			for _, want := range []string{d.Title, id.Project, id.ContractNo, id.SubmitterFor(kind), id.Recipient, no,
				"2025年12月1日至2026年11月30日", "2026年10月1日至10月31日（北京时间）", "报送单位", "报送对象", "报告编号", "服务期", "报告期", "草稿"} {
				if !strings.Contains(pages[0], want) {
					t.Errorf("cover lacks %q", want)
				}
			}
			// 目录 lists every numbered section.
			if !strings.Contains(pages[1], "目录") || !strings.Contains(pages[1], "一、总体情况") || !strings.Contains(pages[1], "附录") {
				t.Errorf("page 2 is no 目录:\n%s", pages[1])
			}
			all := string(out)
			appendix := strings.LastIndex(all, "附录：审计信息")
			if appendix < 0 {
				t.Fatal("no appendix")
			}
			body := all[:appendix]
			for i, s := range d.Sections {
				num, _ := docfmt.HeadingNumber(1, i+2)
				if !strings.Contains(body, num+s.Title) {
					t.Errorf("body lacks heading %q", num+s.Title)
				}
			}
			// Sign-off block (a draft: the lines are empty).
			for _, want := range []string{"编制人", "审核人", "批准人", "日期", "（盖章）"} {
				if !strings.Contains(body, want) {
					t.Errorf("sign-off block lacks %q", want)
				}
			}
			// No English word or raw code in the zh-CN body.
			// Data, not wording: the identification numbers, entity names
			// and label values, and the parts of URLs (broken after / and .).
			names := []string{id.ContractNo, no}
			for _, e := range d.Entities {
				names = append(names, e.Name)
				for _, v := range e.Labels {
					names = append(names, v)
					if strings.Contains(v, "://") {
						names = append(names, strings.FieldsFunc(v, func(r rune) bool { return r == '/' || r == ':' })...)
						for _, host := range strings.FieldsFunc(v, func(r rune) bool { return r == '/' || r == ':' }) {
							parts := strings.Split(host, ".")
							for i := range parts {
								for j := i + 1; j <= len(parts); j++ {
									names = append(names, strings.Join(parts[i:j], "."))
								}
							}
						}
					}
				}
			}
			for _, s := range d.Sections {
				for _, c := range s.Charts {
					names = append(names, c.Labels...)
				}
			}
			for _, s := range d.Sections {
				for _, tb := range s.Tables {
					for ci, c := range tb.Columns {
						if nameColumns[c.Title] {
							for _, r := range tb.Rows {
								names = append(names, strings.Fields(r[ci])...)
							}
						}
					}
				}
			}
			if w := docfmt.ASCIIWords(body, names...); len(w) > 0 {
				t.Errorf("zh-CN body has ASCII words outside the allow-list: %q", w)
			}
			if strings.Contains(body, "违约") {
				t.Error("违约 in the body")
			}
			// Raw codes as words of their own (cu-leased-1 is a name).
			for _, bad := range []string{"on_battery", "leased", "bgp", "met", "breached", "line", "host", "website"} {
				if regexp.MustCompile(`(^|[^-\w])` + bad + `([^-\w]|$)`).MatchString(body) {
					t.Errorf("body contains the code %q", bad)
				}
			}
			// Table headers: every word of every header on one line.
			lines := strings.Split(all, "\n")
			for _, s := range d.Sections {
				for _, tb := range s.Tables {
					if len(tb.Rows) == 0 {
						continue
					}
					for _, c := range tb.Columns {
						for _, w := range strings.Fields(c.Title) {
							if !lineContains(lines, w) {
								t.Errorf("table %s: header word %q is split across lines", tb.ID, w)
							}
						}
					}
				}
			}
		})
	}
}

func lineContains(lines []string, w string) bool {
	for _, l := range lines {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// TestPDFEnglishLocale: --lang en prints an English PDF: "Page N of M" on
// every page and no Chinese outside the data (entity labels, the
// identification block's names).
func TestPDFEnglishLocale(t *testing.T) {
	testutil.Need(t, "chromium")
	pdftotext := testutil.Need(t, "pdftotext")
	url, _ := startE2EPrometheus(t)
	id, err := docfmt.LoadIdentification("../../deploy/etc/jianguan/reports.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := report.DefaultConfig()
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	cfg.Ident, cfg.Lang = id, docfmt.EN
	m, _ := report.ParseMonth("2026-10", cfg.Location, now)
	d, err := report.Build(context.Background(), promapi.New(url), cfg, report.KindLines, m)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := report.RenderPDF(context.Background(), d, "")
	if err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(cmp.Or(os.Getenv("JIANGUAN_REPORT_PDF_DIR"), t.TempDir()), "lines-en.pdf")
	os.WriteFile(pf, pdf, 0o644)
	out, err := exec.Command(pdftotext, "-layout", pf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	pages := strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
	for i, p := range pages {
		if want := "Page" + strconv.Itoa(i+1) + "of" + strconv.Itoa(len(pages)); !strings.Contains(strings.Join(strings.Fields(p), ""), want) {
			t.Errorf("page %d lacks %q", i+1, want)
		}
	}
	text := strings.Join(strings.Fields(string(out)), "")
	data := []string{id.Project, id.SubmitterFor(report.KindLines), id.Recipient, id.Confidentiality}
	for _, e := range d.Entities {
		for _, v := range e.Labels {
			data = append(data, v)
		}
	}
	for _, v := range data {
		text = strings.ReplaceAll(text, strings.Join(strings.Fields(v), ""), "")
	}
	if h := regexp.MustCompile(`\p{Han}+`).FindAllString(text, 10); h != nil {
		t.Errorf("English PDF has Chinese outside the data: %q", h)
	}
	flat := strings.Join(strings.Fields(string(out)), "")
	for _, want := range []string{"Contents", "Prepared by", "Reviewed by", "Approved by", "1 October 2026 – 31 October 2026"} {
		if !strings.Contains(flat, strings.Join(strings.Fields(want), "")) {
			t.Errorf("English PDF lacks %q", want)
		}
	}
}
