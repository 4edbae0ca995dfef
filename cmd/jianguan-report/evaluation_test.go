package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestCLIEvaluation runs the evaluation kinds end to end against a real
// Prometheus (the report tests' October 2026 scenario) and a SQLite records
// store: freeze the monthly assessment, render the annual rating from the
// snapshot directory, and the providers report with the indicator system.
func TestCLIEvaluation(t *testing.T) {
	url := testenv.StartTestScenario(t)
	dir := t.TempDir()
	st, err := records.Open(context.Background(), records.SQLite, filepath.Join(dir, "records.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	common := []string{"--prometheus.url=" + url, "--records.db=" + filepath.Join(dir, "records.db"),
		"--reports.config=../../deploy/etc/jianguan/reports.yml", "--evaluation.config=../../deploy/etc/jianguan/evaluation.yml"}
	snaps := filepath.Join(dir, "snapshots")
	monthly := filepath.Join(dir, "evaluation.json")
	if err := run(append(common, "--kind=evaluation", "--month=2026-10", "--format=json", "-o", monthly,
		"--freeze="+filepath.Join(snaps, "evaluation", "2026-10.json"))); err != nil {
		t.Fatal(err)
	}
	var d report.Document
	b, _ := os.ReadFile(monthly)
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Kind != "evaluation" || len(d.Evaluation) == 0 || d.Frozen == nil || d.Cover == nil || d.Cover.ReportNumber != "JG-202610-YP-001" {
		t.Fatalf("monthly assessment: kind %q, evaluation %d bytes, frozen %v, cover %+v", d.Kind, len(d.Evaluation), d.Frozen, d.Cover)
	}
	annual := filepath.Join(dir, "annual.html")
	if err := run(append(common, "--kind=evaluation-annual", "--year=2026", "--evaluation.snapshots="+snaps, "--format=html", "-o", annual)); err != nil {
		t.Fatal(err)
	}
	h, _ := os.ReadFile(annual)
	for _, w := range []string{"云服务商综合评估年度评级报告", "未冻结", "2026年10月：冻结于", "JG-202601-NP-001"} {
		if !strings.Contains(string(h), w) {
			t.Errorf("annual rating lacks %q", w)
		}
	}
	prov := filepath.Join(dir, "providers.json")
	if err := run(append(common, "--kind=providers", "--month=2026-10", "--format=json", "-o", prov)); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(prov)
	d = report.Document{}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, s := range d.Sections {
		ids[s.ID] = true
	}
	if ids["scores"] || ids["formula"] || !ids["eval-method"] || !ids["eval-rank-cloud"] || !ids["eval-rank-carrier"] || len(d.Evaluation) == 0 {
		t.Errorf("providers report with an indicator system: sections %v", ids)
	}

	// Bad input: a clear error, nothing written.
	bad := filepath.Join(dir, "bad.yml")
	y, _ := os.ReadFile("../../deploy/etc/jianguan/evaluation.yml")
	os.WriteFile(bad, []byte(strings.Replace(string(y), "weight: 40\n", "weight: 45\n", 1)), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--prometheus.url=" + url, "--kind=evaluation", "--month=2026-10", "--evaluation.config=" + bad}, "bad.yml:30: kinds.cloud.capabilities: weights sum to 105, want 100"},
		{[]string{"--prometheus.url=" + url, "--kind=evaluation", "--month=2026-10"}, "no indicator system: give --evaluation.config"},
		{[]string{"--kind=evaluation-annual", "--year=2025", "--evaluation.snapshots=" + snaps}, "2025 年没有已冻结的月度评估"},
	}
	for _, c := range cases {
		out := filepath.Join(dir, "out")
		err := run(append(c.args, "-o", out))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args, err, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: output written on error", c.args)
		}
	}
}

// TestEvaluationPeriods_MonthOnly: --kind evaluation scores one complete
// calendar month (docs/evaluation.md: the indicator system's version and
// the manual scores are per month); a quarter, a year, a range or the
// unfinished month is refused before any query, naming what is accepted —
// the month, evaluation-annual for a year, the providers report of a
// quarter for its review (季评).
func TestEvaluationPeriods_MonthOnly(t *testing.T) {
	cur := time.Now().In(report.Shanghai).Format("2006-01")
	for _, p := range []string{"2026-Q3", "2025", "2026-10-01..2026-10-15", cur} {
		err := run([]string{"--prometheus.url=http://127.0.0.1:1", "--kind=evaluation", "--period=" + p,
			"--evaluation.config=../../deploy/etc/jianguan/evaluation.yml", "-o", filepath.Join(t.TempDir(), "e.html")})
		if err == nil {
			t.Fatalf("--period=%s: no error", p)
		}
		for _, want := range []string{"one complete calendar month (--period YYYY-MM", "--kind evaluation-annual --year YYYY", "--kind providers --period YYYY-Qn"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("--period=%s: %v (want %q)", p, err, want)
			}
		}
	}
}
