package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/report/snapshot"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/fakeprom"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestCLIPeriodParsing (issue 16 item 4): --period takes what
// calendar.ParsePeriod accepts (--month is its alias); a bad string is a
// clear error naming it, a period that has not begun is refused, and a
// well-formed period without data is 本期无监测数据 with no file written.
func TestCLIPeriodParsing(t *testing.T) {
	fp := fakeprom.Start(t, fakeprom.Empty)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"bad month", []string{"--period=2026-13"}, `period "2026-13": no such month`},
		{"bad quarter", []string{"--period=2026-Q5"}, "quarter 5: want 1..4"},
		{"reversed range", []string{"--period=2026-11-17..2026-11-03"}, "is before first day"},
		{"bad range day", []string{"--period=2026-11-31..2026-12-03"}, "2026-11-31"},
		{"garbage", []string{"--period=last-month"}, "want YYYY-MM-DD, YYYY-Www (ISO week), YYYY-MM, YYYY-Qn, YYYY"},
		{"typo year", []string{"--period=1926"}, "year out of range 2000..2199"},
		{"future", []string{"--period=2099-Q1"}, "has not begun"},
		{"future month alias", []string{"--month=2099-01"}, "has not begun"},
		{"both flags differ", []string{"--period=2026-10", "--month=2026-11"}, "give one"},
		{"quarter without data", []string{"--period=2026-Q3"}, "本期无监测数据"},
		{"range without data", []string{"--period=2026-08-03..2026-08-17"}, "本期无监测数据"},
		{"year without data", []string{"--period=2025"}, "本期无监测数据"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "r.html")
			err := run(append([]string{"--prometheus.url=" + fp.URL, "--kind=lines", "-o", out}, c.args...))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("%v: %v (want %q)", c.args, err, c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("a file was written although the run failed")
			}
		})
	}
	// "service" without a service period in the configuration.
	err := run([]string{"--prometheus.url=" + fp.URL, "--kind=lines", "--period=service", "-o", os.DevNull})
	if err == nil || !strings.Contains(err.Error(), "no service period configured") {
		t.Errorf("service without reports.yml: %v", err)
	}
}

// TestCLIQuarterPDFCover: a quarter's PDF names the quarter on its cover
// (报告期 2026年第四季度 with its dates), carries the per-month table and
// 环比, and an unfinished quarter cannot be frozen.
func TestCLIQuarterPDFCover(t *testing.T) {
	pdftotext := testutil.Need(t, "pdftotext")
	url := testenv.StartTestScenario(t)
	dir := t.TempDir()
	pdf := filepath.Join(dir, "q.pdf")
	args := []string{"--prometheus.url=" + url, "--kind=lines", "--period=2026-Q4", "--reports.config=../../deploy/etc/jianguan/reports.yml"}
	if err := run(append(args, "--format=pdf", "-o", pdf)); err != nil {
		t.Fatal(err)
	}
	b, err := exec.CommandContext(context.Background(), pdftotext, "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	cover, _, _ := strings.Cut(text, "\f")
	for _, want := range []string{"报告期", "2026年第四季度", "2026年10月1日至12月31日", "季度工作报告"} {
		if !strings.Contains(cover, want) {
			t.Errorf("cover lacks %q:\n%s", want, cover)
		}
	}
	for _, want := range []string{"分月情况", "2026年10月", "2026年11月", "2026年12月", "与上期比较（环比）"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF lacks %q", want)
		}
	}
	// Today (the machine's clock) decides whether 2026-Q4 is finished: a
	// draft is marked 截至 and refused at freeze, a finished one freezes.
	snap := filepath.Join(dir, "lines", "2026-Q4.json")
	if err := os.MkdirAll(filepath.Dir(snap), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(snapshot.NarrativeFileFor(snap), []byte(`{"problems":"无。","remedies":"无。","nextSteps":"无。"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run(append(args, "--format=json", "-o", os.DevNull, "--freeze="+snap))
	if strings.Contains(cover, "截至") {
		if err == nil || !strings.Contains(err.Error(), "草稿不可冻结") {
			t.Errorf("freeze of the unfinished quarter: %v", err)
		}
		if _, err := os.Stat(snap); err == nil {
			t.Error("a draft was frozen")
		}
	} else if err != nil {
		t.Errorf("freeze of the finished quarter: %v", err)
	}
}
