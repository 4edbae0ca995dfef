package report_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/testutil"
)

// TestPDFInfraFiveTopicsInContractOrder (issue 16 item 3): the
// infrastructure report of the e2e month, printed by Chromium and read back
// with pdftotext, has the five topics of deliverable 1 as numbered headings
// in the contract's order (电力、空调、消防、安防、环境), each with its status
// sentence, even a topic where nothing happened; the rack inventory uses
// reports.yml's 106 racks + 20 %; the summary no longer adds UPS seconds to
// temperature seconds.
func TestPDFInfraFiveTopicsInContractOrder(t *testing.T) {
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
	ctx := context.Background()
	d, err := report.Build(ctx, promapi.New(url), cfg, report.KindInfrastructure, m)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"电力（UPS、油机）", "空调", "消防（烟感系统、报警系统）", "安防系统（门禁、门窗）", "环境（机房清洁度、温度、湿度）"}
	if got := report.InfraTopicTitles(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("topics %v, want %v", got, want)
	}
	var titles []string
	pos := map[string]int{}
	for i, s := range d.Sections {
		titles = append(titles, s.Title)
		pos[s.Title] = i
		if !slices.Contains(want, s.Title) {
			continue
		}
		if len(s.Text) == 0 || !(strings.HasPrefix(s.Text[0], "本期运行正常，未发生告警") || strings.HasPrefix(s.Text[0], "本期发生告警") || strings.HasPrefix(s.Text[0], "本期无监测数据")) {
			t.Errorf("section %s has no status sentence: %q", s.Title, s.Text)
		}
	}
	figures := map[string]bool{}
	for _, kv := range d.Summary {
		if kv.Label == "事件累计时长" {
			t.Errorf("summary adds unlike durations: %v", kv)
		}
		figures[kv.Value] = true
	}
	// 总体运行情况 (issue 16 item 6): template sentences whose every number
	// is a figure of the summary table.
	if d.Sections[0].ID != "overview" || len(d.Sections[0].Text) != 1 {
		t.Fatalf("first section %q is not the 总体运行情况 paragraph", d.Sections[0].Title)
	}
	overview := d.Sections[0].Text[0]
	for _, n := range regexp.MustCompile(`[0-9]+(\.[0-9]+)?`).FindAllString(overview, -1) {
		if !figures[n] {
			t.Errorf("总体运行情况 says %s, a number in no table: %s", n, overview)
		}
	}
	// The editable sections of a draft: 「（未填写）」, and they block the sign-off.
	if got := report.UnfilledSections(d); len(got) != 3 {
		t.Errorf("unfilled sections %v, want the three editable ones", got)
	}
	inv := map[string]string{}
	for _, s := range d.Sections {
		for _, tb := range s.Tables {
			if tb.ID == "rack-inventory" {
				for _, r := range tb.Rows {
					inv[r[0]] = r[1]
				}
			}
		}
	}
	if inv["合同机柜数"] != "106" || inv["机柜容量（含预留）"] != "127" {
		t.Errorf("rack inventory %v, want 106 racks, 127 with the 20 %% reserve", inv)
	}
	pdfR := report.NewPDFRenderer("", 1)
	defer pdfR.Close()
	pdf, err := pdfR.RenderPDF(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(t.TempDir(), "infrastructure.pdf")
	if err := os.WriteFile(pf, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", pf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	pages := strings.Split(string(out), "\f")
	if len(pages) < 3 {
		t.Fatalf("%d pages", len(pages))
	}
	body := strings.Join(pages[2:], "\f") // after the cover and 目录
	at := 0
	for _, w := range want {
		num, _ := docfmt.HeadingNumber(1, pos[w]+2) // 一、 is 总体情况
		h := num + w
		j := strings.Index(body[at:], h)
		if j < 0 {
			t.Fatalf("heading %q missing or out of contract order (sections %v)", h, titles)
		}
		at += j + len(h)
	}
	if c := strings.Count(body, report.Unfilled); c < 3 {
		t.Errorf("the draft shows 「（未填写）」 %d times, want 3", c)
	}
}
