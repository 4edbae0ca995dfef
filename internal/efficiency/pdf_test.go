package efficiency_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/efficiency"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/testutil"
)

// TestEfficiencyPDF prints the efficiency document of the 15 s month from
// Prometheus 2.42 through Chromium, in zh-CN and in English, and reads it
// back with pdftotext: cover with the identification block (reports.yml,
// report number …-XN-001), 目录, the page footer on every page, the unit and
// platform sections, the idle annex naming exactly the idle hosts, the
// no-data host shown as 无数据, the methodology's PromQL and the sign-off.
// With JIANGUAN_REPORT_PDF_DIR set the PDFs are kept there.
func TestEfficiencyPDF(t *testing.T) {
	testutil.Need(t, "chromium")
	pdftotext := testutil.Need(t, "pdftotext")
	r, c := sharedEvaluation(t)
	id, err := docfmt.LoadIdentification("../../deploy/etc/jianguan/reports.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("JIANGUAN_REPORT_PDF_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	pdfR := report.NewPDFRenderer("", 1)
	defer pdfR.Close()
	for _, tc := range []struct {
		lang docfmt.Lang
		want []string
		page *regexp.Regexp
	}{
		{docfmt.ZH, []string{"使用单位云资源使用绩效评估分析结果", "JG-202610-XN-001", "安芯网盾（北京）科技有限公司", "目录", "各使用单位资源使用情况",
			"各云平台资源使用情况", "闲置云主机", "无数据与数据不足的云主机", "评估方法", "node_cpu_seconds_total", "签署", "编制人"},
			regexp.MustCompile(`第 (\d+) 页 共 (\d+) 页`)},
		{docfmt.EN, []string{"Cloud resource use and efficiency of the user units", "JG-202610-XN-001", "Contents", "Resource use per user unit",
			"Resource use per platform", "Idle hosts", "Method", "node_cpu_seconds_total", "Sign-off"},
			regexp.MustCompile(`Page (\d+) of (\d+)`)},
	} {
		t.Run(string(tc.lang), func(t *testing.T) {
			d, err := efficiency.Document(r, c, month(t), efficiency.DocOptions{Lang: tc.lang, Ident: id, Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			b, err := pdfR.RenderPDF(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "efficiency-2026-10-"+string(tc.lang)+".pdf")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(pdftotext, "-layout", p, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			text := string(out)
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("%q missing from the PDF", w)
				}
			}
			pages := strings.Split(text, "\f")
			if pages[len(pages)-1] == "" {
				pages = pages[:len(pages)-1]
			}
			for i, pg := range pages {
				m := tc.page.FindStringSubmatch(pg)
				if m == nil || m[1] != itoa(i+1) || m[2] != itoa(len(pages)) {
					t.Errorf("page %d of %d: footer %q", i+1, len(pages), m)
				}
			}
			// The idle annex: its section holds the idle hosts and no
			// other; the no-data host is 无数据 in its own section.
			idleSec := between(text, pick(tc.lang, `四、\s*闲置云主机`, `4\.\s*Idle hosts`), pick(tc.lang, `五、\s*无数据与数据不足的云主机`, `5\.\s*Hosts without sufficient data`))
			for _, h := range r.Hosts {
				in := strings.Contains(idleSec, h.Host)
				if in != (h.State == efficiency.StateIdle) {
					t.Errorf("%s (%s) in the idle annex: %v", h.Host, h.State, in)
				}
			}
			if tc.lang == docfmt.ZH {
				noData := between(text, `五、\s*无数据与数据不足的云主机`, `六、\s*评估方法`)
				if !regexp.MustCompile(`wjw-nodata-1\s+无数据`).MatchString(noData) {
					t.Errorf("wjw-nodata-1 not shown as 无数据:\n%s", noData)
				}
			}
			t.Logf("%s: %d pages, %d bytes", p, len(pages), len(b))
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func pick(l docfmt.Lang, zh, en string) string {
	if l == docfmt.EN {
		return en
	}
	return zh
}

// between is the text from the last match of the pattern from (the body,
// not the 目录) up to the next match of to.
func between(s, from, to string) string {
	ms := regexp.MustCompile(from).FindAllStringIndex(s, -1)
	if ms == nil {
		return ""
	}
	s = s[ms[len(ms)-1][0]:]
	if j := regexp.MustCompile(to).FindStringIndex(s); j != nil {
		s = s[:j[0]]
	}
	return s
}
