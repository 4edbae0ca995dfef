package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/eval"
	"github.com/jianguan/jianguan/internal/records"
)

// demoHistoryDays is how far back the backfilled history reaches
// (startPrometheus: jianguan-history --days=35).
const demoHistoryDays = 35

// The manual score the demo enters: the yearly operating-licence review of
// one cloud provider, with its evidence (eval_manual_score in the records
// store, through the recorder's generic record API).
const (
	demoLicenceProvider = "华为云"
	demoLicenceScore    = 100
	demoLicenceEvidence = "运营资质年度审查记录 ZC-2026-HW-07（云计算服务相关许可与认证齐全，审查通过）"
)

// evaluationReports writes the provider evaluation by the indicator system
// (internal/eval, docs/evaluation.md) into out/reports/evaluation: it enters
// the licence review of last month as a manual score, freezes the monthly
// assessment of every month the backfilled history touches into the demo's
// snapshot dir (jianguan-report --kind evaluation --freeze, the CLI's own
// path), renders last month's assessment from its snapshot as html and pdf,
// and the year's annual rating (deliverable 25) from the frozen months only:
// the year's other months are listed 未冻结, never computed.
func (d *demo) evaluationReports(ctx context.Context) error {
	now := time.Now().In(shanghai)
	last := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, shanghai).AddDate(0, -1, 0)
	dir := filepath.Join(d.out, "reports", "evaluation")
	snaps := filepath.Join(d.work, "snapshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	shipped := filepath.Join(d.root, "deploy", "etc", "jianguan")
	system := filepath.Join(shipped, "evaluation.yml")
	if err := d.enterLicenceReview(ctx, system, last.Format("2006-01")); err != nil {
		return err
	}
	common := []string{"--prometheus.url=http://" + addrProm, "--records.db=" + filepath.Join(d.work, "recorder", "records.db"),
		"--evaluation.config=" + system, "--reports.config=" + filepath.Join(shipped, "reports.yml")}
	run := func(args ...string) error {
		args = append(append([]string{}, common...), args...)
		if b, err := exec.CommandContext(ctx, d.binPath("jianguan-report"), args...).CombinedOutput(); err != nil {
			return fmt.Errorf("jianguan-report %s: %v: %s", strings.Join(args[len(common):], " "), err, tailString(string(b), 10))
		}
		return nil
	}
	months := demoMonths(now, last)
	start := time.Now()
	for _, m := range months {
		label := m.Format("2006-01")
		snap := filepath.Join(snaps, "evaluation", label+".json")
		if err := run("--kind=evaluation", "--month="+label, "--freeze="+snap, "--format=html", "-o", filepath.Join(dir, "evaluation-"+label+".html")); err != nil {
			return err
		}
	}
	froze := time.Since(start).Round(100 * time.Millisecond)
	label := last.Format("2006-01")
	if err := run("--snapshot="+filepath.Join(snaps, "evaluation", label+".json"), "--format=pdf", "-o", filepath.Join(dir, "evaluation-"+label+".pdf")); err != nil {
		return err
	}
	year := strconv.Itoa(last.Year())
	for _, f := range []string{"html", "pdf"} {
		if err := run("--kind=evaluation-annual", "--year="+year, "--evaluation.snapshots="+snaps, "--format="+f, "-o", filepath.Join(dir, "rating-"+year+"."+f)); err != nil {
			return err
		}
	}
	d.logf("provider evaluation written to %s: monthly assessments (%s frozen in %s, %s) and the %s rating (the other months 未冻结)",
		dir, monthList(months), snaps, froze, year)
	return nil
}

// demoMonths are the months of last's year, up to last, that the backfilled
// history (demoHistoryDays back from now) reaches into, oldest first.
func demoMonths(now, last time.Time) []time.Time {
	from := now.AddDate(0, 0, -demoHistoryDays)
	first := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, shanghai)
	if first.Year() < last.Year() {
		first = time.Date(last.Year(), 1, 1, 0, 0, 0, 0, shanghai)
	}
	var ms []time.Time
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		ms = append(ms, m)
	}
	return ms
}

func monthList(ms []time.Time) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.Format("2006-01")
	}
	return strings.Join(s, ", ")
}

// enterLicenceReview enters the demo's manual score for period, checked
// against the indicator system first (eval.ManualScore.Check: the indicator
// is manual, the score in range, evidence, author and time given), then
// stored through the recorder's API by the 值班长.
func (d *demo) enterLicenceReview(ctx context.Context, system, period string) error {
	data, err := os.ReadFile(system)
	if err != nil {
		return err
	}
	s, err := eval.Parse(system, data)
	if err != nil {
		return err
	}
	c := recClient{ctx: ctx, secret: d.recorderSecret}
	// The recorder checks a manual score against the indicator system stored
	// for its period (eval.ManualScoreBody): the 值班长 (Admin) stores the
	// shipped version first, through the recorder's own route (eval.SaveSystem:
	// jianguan-report finds it there, same SHA-256).
	if err := c.call("POST", "/api/v1/eval/systems", userManager, records.RoleAdmin, map[string]any{"file": filepath.Base(system), "yaml": string(data)}, nil, 200); err != nil {
		return fmt.Errorf("storing the indicator system %s: %w", s.Version, err)
	}
	m := eval.ManualScore{Kind: "cloud", Provider: demoLicenceProvider, Indicator: s.LicenceIndicator, Period: period,
		Score: demoLicenceScore, Evidence: demoLicenceEvidence, Author: userManager, At: time.Now().UTC().Truncate(time.Second)}
	if err := m.Check(s); err != nil {
		return err
	}
	return c.call("POST", "/api/v1/records", userManager, records.RoleEditor, map[string]any{"kind": eval.KindManualScore,
		"title": fmt.Sprintf("人工评分 %s %s %s", m.Provider, m.Indicator, m.Period), "body": m}, nil, 201)
}

// smokeEvaluation checks the provider evaluation: last month's assessment
// (html, pdf) shows the licence review with its evidence, and the annual
// rating names every frozen month and lists the others 未冻结.
func (d *demo) smokeEvaluation() error {
	now := time.Now().In(shanghai)
	last := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, shanghai).AddDate(0, -1, 0)
	dir := filepath.Join(d.out, "reports", "evaluation")
	year := strconv.Itoa(last.Year())
	read := func(name string) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil && len(b) == 0 {
			err = fmt.Errorf("%s is empty", name)
		}
		return string(b), err
	}
	for _, name := range []string{"evaluation-" + last.Format("2006-01") + ".pdf", "rating-" + year + ".pdf"} {
		b, err := read(name)
		if err != nil {
			return err
		}
		if !bytes.HasPrefix([]byte(b), []byte("%PDF")) {
			return fmt.Errorf("%s is not a PDF", name)
		}
	}
	monthly, err := read("evaluation-" + last.Format("2006-01") + ".html")
	if err != nil {
		return err
	}
	for _, w := range []string{"云服务商月度综合评估报告", demoLicenceProvider, demoLicenceEvidence} {
		if !strings.Contains(monthly, w) {
			return fmt.Errorf("the monthly assessment does not show %q", w)
		}
	}
	annual, err := read("rating-" + year + ".html")
	if err != nil {
		return err
	}
	want := []string{"云服务商综合评估年度评级报告", demoLicenceEvidence}
	for _, m := range demoMonths(now, last) {
		want = append(want, fmt.Sprintf("%d年%d月：冻结于", m.Year(), int(m.Month())))
	}
	if len(demoMonths(now, last)) < 12 {
		want = append(want, "未冻结")
	}
	for _, w := range want {
		if !strings.Contains(annual, w) {
			return fmt.Errorf("the annual rating does not name %q", w)
		}
	}
	return nil
}
