package eval_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/eval"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/report/snapshot"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

const systemFile = "../../deploy/etc/jianguan/evaluation.yml"

var now = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

// startPrometheus serves the report tests' October 2026 scenario from a
// real Prometheus (promtool backfill).
func startPrometheus(t *testing.T) string { return testenv.StartTestScenario(t) }

func openStore(t *testing.T) records.Store {
	st, err := records.Open(context.Background(), records.SQLite, filepath.Join(t.TempDir(), "records.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func config(t *testing.T) report.Config {
	cfg := report.DefaultConfig()
	cfg.Now = func() time.Time { return now }
	id, err := docfmt.LoadIdentification("../../deploy/etc/jianguan/reports.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Ident = id
	return cfg
}

func month(t *testing.T, label string) report.Month {
	return report.PeriodMonth(monthPeriod(t, label))
}

// monthPeriod is the complete month label as report.Build takes it.
func monthPeriod(t *testing.T, label string) calendar.Period {
	m, err := report.ParseMonth(label, report.Shanghai, now)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func assessment(t *testing.T, d *report.Document) *eval.Assessment {
	t.Helper()
	var a eval.Assessment
	if err := json.Unmarshal(d.Evaluation, &a); err != nil {
		t.Fatal(err)
	}
	return &a
}

func score(a *eval.Assessment, provider string) (eval.ProviderResult, bool) {
	for _, k := range a.Kinds {
		for _, p := range k.Providers {
			if p.Provider == provider {
				return p, true
			}
		}
	}
	return eval.ProviderResult{}, false
}

// saveSystem stores the default system as version v applying from `from`,
// with edits (old, new, old, new …).
func saveSystem(t *testing.T, st records.Store, v, from string, edits ...string) *eval.System {
	y := strings.Replace(strings.Replace(mustRead(t, systemFile), `version: "2025.1-draft"`, `version: "`+v+`"`, 1), "applies_from: 2025-12", "applies_from: "+from, 1)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(y, edits[i]) {
			t.Fatalf("edit %q: not in %s", edits[i], systemFile)
		}
		y = strings.Replace(y, edits[i], edits[i+1], 1)
	}
	s, err := eval.SaveSystem(context.Background(), st, "lead", "evaluation-"+v+".yml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEvalManualScoreNeedsEvidence: a manual score out of range, without
// evidence, author or time, or for an indicator that is not manual is
// refused at entry; an accepted one is a record with history, and a
// correction (newer record) wins.
func TestEvalManualScoreNeedsEvidence(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { manualScoreNeedsEvidence(t, openStore(t)) })
	t.Run("postgres", func(t *testing.T) {
		st, err := records.Open(context.Background(), records.Postgres, testenv.StartPostgres(t).NewDB(t))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		manualScoreNeedsEvidence(t, st)
	})
}

func manualScoreNeedsEvidence(t *testing.T, st records.Store) {
	ctx := context.Background()
	s, err := eval.Load(systemFile)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 10, 20, 10, 0, 0, 0, report.Shanghai)
	good := eval.ManualScore{Kind: eval.KindCloud, Provider: "阿里云", Indicator: "licence_review", Period: "2026-10", Score: 100,
		Evidence: "资质审查记录 ZZ-2026-07", Author: "张三", At: at}
	cases := []struct {
		name string
		edit func(m *eval.ManualScore)
		want string
	}{
		{"no evidence", func(m *eval.ManualScore) { m.Evidence = "" }, "needs a reference to its evidence"},
		{"blank evidence", func(m *eval.ManualScore) { m.Evidence = "  " }, "evidence"},
		{"over range", func(m *eval.ManualScore) { m.Score = 101 }, "out of range 0 … 100"},
		{"negative", func(m *eval.ManualScore) { m.Score = -1 }, "out of range"},
		{"no author", func(m *eval.ManualScore) { m.Author = "" }, "author"},
		{"no time", func(m *eval.ManualScore) { m.At = time.Time{} }, "time"},
		{"measured indicator", func(m *eval.ManualScore) { m.Indicator = "availability" }, "is measured, not manual"},
		{"unknown indicator", func(m *eval.ManualScore) { m.Indicator = "nope" }, "not in the cloud indicator set"},
		{"bad period", func(m *eval.ManualScore) { m.Period = "2026-13" }, "period"},
	}
	for _, c := range cases {
		m := good
		c.edit(&m)
		if _, err := eval.EnterManual(ctx, st, s, "editor", m); !errors.Is(err, eval.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want ErrInvalid with %q", c.name, err, c.want)
		}
	}
	if rs, _ := st.ListRecords(ctx, eval.KindManualScore, 10); len(rs) != 0 {
		t.Fatalf("refused entries were stored: %d", len(rs))
	}
	r, err := eval.EnterManual(ctx, st, s, "editor", good)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := st.History(ctx, "record", r.ID); err != nil || len(h) != 1 || h[0].Actor != "editor" {
		t.Fatalf("history %+v %v", h, err)
	}
	fix := good
	fix.Score, fix.At, fix.Note = 60, at.Add(time.Hour), "限期整改"
	if _, err := eval.EnterManual(ctx, st, s, "editor", fix); err != nil {
		t.Fatal(err)
	}
	ms, err := eval.ManualScores(ctx, st, "2026-10")
	if err != nil || len(ms) != 2 {
		t.Fatalf("manual scores %v %v", ms, err)
	}
	a, err := eval.Assess(ctx, s, eval.Inputs{Month: month(t, "2026-10"), Manual: ms})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := score(a, "阿里云")
	for _, r := range p.Rows {
		if r.ID == "licence_review" && (r.Score != 60 || !strings.Contains(r.Source, "资质审查记录 ZZ-2026-07") || !strings.Contains(r.Source, "张三") || r.Deduction != "限期整改") {
			t.Errorf("the newer manual score must win, with evidence and author: %+v", r)
		}
	}
}

// TestEvalRevisionLeavesFrozenMonths: a revised indicator system applies
// from its stated period; a month frozen before keeps the version and the
// scores it used, and freezing it again is refused.
func TestEvalRevisionLeavesFrozenMonths(t *testing.T) {
	url := startPrometheus(t)
	st := openStore(t)
	ctx := context.Background()
	snaps := snapshot.Store{Dir: t.TempDir()}
	v1 := saveSystem(t, st, "2026.1", "2026-01")
	ev := &eval.Evaluator{Store: st, Querier: promapi.New(url)}
	m := month(t, "2026-10")
	build := func(ctx context.Context) (*report.Document, error) {
		return eval.BuildMonthly(ctx, promapi.New(url), config(t), ev, m)
	}
	if _, err := snaps.Freeze(ctx, eval.DocMonthly, "2026-10", build, now); err != nil {
		t.Fatal(err)
	}
	frozen, err := snaps.Load(eval.DocMonthly, "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	a1 := assessment(t, frozen)
	if a1.SystemVersion != "2026.1" || a1.SystemSHA256 != v1.SHA256 {
		t.Fatalf("frozen month scored with %s (%s), want 2026.1", a1.SystemVersion, a1.SystemSHA256)
	}
	// Revision 2026.2 from 2026-10: more unknown time is accepted and a
	// provider is rated on less, so a re-score would change the scores.
	saveSystem(t, st, "2026.2", "2026-10", "max_unknown_share: 0.05", "max_unknown_share: 0.10", "min_evaluable_weight: 50", "min_evaluable_weight: 10")
	if s, err := ev.SystemFor(ctx, "2026-09"); err != nil || s.Version != "2026.1" {
		t.Fatalf("2026-09: %v %v, want 2026.1", s, err)
	}
	if s, err := ev.SystemFor(ctx, "2026-10"); err != nil || s.Version != "2026.2" {
		t.Fatalf("2026-10: %v %v, want 2026.2", s, err)
	}
	if _, err := eval.SaveSystem(ctx, st, "lead", "x.yml", []byte(strings.Replace(mustRead(t, systemFile), `version: "2025.1-draft"`, `version: "2026.1"`, 1))); err == nil || !strings.Contains(err.Error(), "needs a new version") {
		t.Fatalf("a changed file under a stored version must be refused: %v", err)
	}
	// A fresh build of 2026-10 now uses 2026.2 …
	fresh, err := build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v := assessment(t, fresh).SystemVersion; v != "2026.2" {
		t.Fatalf("fresh build used %s", v)
	}
	// … but the frozen month is never re-scored.
	var fe *snapshot.FrozenError
	if _, err := snaps.Freeze(ctx, eval.DocMonthly, "2026-10", build, now); !errors.As(err, &fe) {
		t.Fatalf("second freeze: %v", err)
	}
	again, err := snaps.Load(eval.DocMonthly, "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Evaluation) != string(frozen.Evaluation) || again.Frozen.SHA256 != frozen.Frozen.SHA256 {
		t.Fatal("the frozen month changed")
	}
	months, err := eval.ReadYear(snaps, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if got := months[9].Assessment; got == nil || got.SystemVersion != "2026.1" {
		t.Fatalf("annual read of 2026-10: %+v", got)
	}
}

func mustRead(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEvalAnnualReadsFrozenMonths: the annual rating reads the frozen
// months (real snapshot directory, SQLite store, real Prometheus for the
// frozen October); months not frozen are 未冻结 and nothing is recomputed;
// the monthly and annual documents print through Chromium and read back
// with pdftotext.
func TestEvalAnnualReadsFrozenMonths(t *testing.T) {
	url := startPrometheus(t)
	st := openStore(t)
	ctx := context.Background()
	snaps := snapshot.Store{Dir: t.TempDir()}
	// The scenario's cloud entities lack data for 5.9 % of October.
	s := saveSystem(t, st, "2026.1", "2026-01", "max_unknown_share: 0.05", "max_unknown_share: 0.10")
	for _, p := range []struct {
		prov, kind, period string
		score              float64
		ind                string
	}{{"阿里云", eval.KindCloud, "2026-09", 100, "licence_review"}, {"阿里云", eval.KindCloud, "2026-10", 60, "licence_review"},
		{"中国电信", eval.KindCarrier, "2026-10", 100, "licence_review"}, {"阿里云", eval.KindCloud, "2026-10", 95, "user_satisfaction"}} {
		if _, err := eval.EnterManual(ctx, st, s, "editor", eval.ManualScore{Kind: p.kind, Provider: p.prov, Indicator: p.ind, Period: p.period,
			Score: p.score, Evidence: "审查记录 " + p.period, Author: "李四", At: time.Date(2026, 10, 28, 9, 0, 0, 0, report.Shanghai)}); err != nil {
			t.Fatal(err)
		}
	}
	q := promapi.New(url)
	ev := &eval.Evaluator{Store: st, Querier: q}
	// September: the engine's figures of another month, frozen through the
	// same store (the test Prometheus holds October only).
	sep := month(t, "2026-09")
	_, err := snaps.Freeze(ctx, eval.DocMonthly, "2026-09", func(ctx context.Context) (*report.Document, error) {
		oct, err := report.Build(ctx, q, config(t), report.KindProviders, monthPeriod(t, "2026-10"))
		if err != nil {
			return nil, err
		}
		res, err := ev.Evaluate(ctx, sep, report.MaintenanceExcluded, oct.Entities, nil)
		if err != nil {
			return nil, err
		}
		return &report.Document{Kind: eval.DocMonthly, Title: "云服务商月度综合评估报告", Month: sep.Label, Sections: res.Sections, Evaluation: res.JSON}, nil
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	var monthly *report.Document
	if _, err := snaps.Freeze(ctx, eval.DocMonthly, "2026-10", func(ctx context.Context) (*report.Document, error) {
		d, err := eval.BuildMonthly(ctx, q, config(t), ev, month(t, "2026-10"))
		monthly = d
		return d, err
	}, now); err != nil {
		t.Fatal(err)
	}
	octA := assessment(t, monthly)
	ali, ok := score(octA, "阿里云")
	if !ok || !ali.Rated {
		t.Fatalf("阿里云 in October: %+v", ali)
	}
	// After freezing, a new manual score for October must not change the
	// annual rating: it reads the frozen month.
	if _, err := eval.EnterManual(ctx, st, s, "editor", eval.ManualScore{Kind: eval.KindCloud, Provider: "阿里云", Indicator: "licence_review", Period: "2026-10",
		Score: 0, Evidence: "迟到的记录", Author: "王五", At: time.Date(2026, 11, 20, 9, 0, 0, 0, report.Shanghai)}); err != nil {
		t.Fatal(err)
	}
	d, err := eval.BuildAnnual(snaps, config(t), 2026)
	if err != nil {
		t.Fatal(err)
	}
	var y struct {
		Months []eval.FrozenMonth               `json:"months"`
		Kinds  map[string][]eval.AnnualProvider `json:"kinds"`
	}
	if err := json.Unmarshal(d.Evaluation, &y); err != nil {
		t.Fatal(err)
	}
	for i, fm := range y.Months {
		if fm.Frozen != (i == 8 || i == 9) {
			t.Errorf("month %s frozen=%v", fm.Month, fm.Frozen)
		}
	}
	var got eval.AnnualProvider
	for _, p := range y.Kinds[eval.KindCloud] {
		if p.Provider == "阿里云" {
			got = p
		}
	}
	if got.RatedCount != 2 || got.Months[0] != eval.MonthNotFrozen || got.Months[11] != eval.MonthNotFrozen {
		t.Fatalf("阿里云's year: %+v", got)
	}
	if !strings.Contains(got.Months[9], fmt.Sprintf("%.2f", ali.Score)) {
		t.Errorf("October cell %q, want the frozen score %.2f", got.Months[9], ali.Score)
	}
	if !strings.Contains(got.Licence, "60 / 100") || !strings.Contains(got.Licence, "2026年10月录入；证据：审查记录 2026-10") || strings.Contains(got.Licence, "迟到") {
		t.Errorf("licence review from the frozen October: %q", got.Licence)
	}
	if !strings.Contains(strings.Join(got.Weaknesses, ""), "运营资质年度审查（2026年9月至2026年10月下降 40.00 分）") {
		t.Errorf("weaknesses %v: the licence review fell from 100 to 60", got.Weaknesses)
	}
	if !strings.Contains(got.Trend, "2026年9月至2026年10月") {
		t.Errorf("trend %q", got.Trend)
	}
	for _, carrier := range y.Kinds[eval.KindCarrier] {
		for _, c := range y.Kinds[eval.KindCloud] {
			if c.Provider == carrier.Provider {
				t.Errorf("%s ranked as both", c.Provider)
			}
		}
	}
	// Not a single month frozen → no annual rating (无数据), never computed.
	if _, err := eval.BuildAnnual(snapshot.Store{Dir: t.TempDir()}, config(t), 2026); err == nil || !strings.Contains(err.Error(), "没有已冻结的月度评估") {
		t.Errorf("annual without frozen months: %v", err)
	}

	// The zh-CN body has no English word or code beyond docfmt's allow-list
	// and the data (entity and provider names, grades, the system version).
	for _, doc := range []*report.Document{monthly, d} {
		extra := []string{"A", "B", "C", "D", "2026.1", octA.SystemSHA256[:12]} // grades, version, hash: data
		for _, e := range monthly.Entities {
			extra = append(extra, e.Name)
			for _, v := range e.Labels {
				extra = append(extra, v)
			}
		}
		var body []string
		for _, sec := range doc.Sections {
			body = append(body, sec.Title)
			body = append(body, sec.Text...)
			for _, tb := range sec.Tables {
				for _, r := range tb.Rows {
					body = append(body, r...)
				}
			}
		}
		if w := docfmt.ASCIIWords(strings.Join(body, "\n"), extra...); len(w) > 0 {
			t.Errorf("%s: English words or codes in the zh-CN body: %q", doc.Kind, w)
		}
	}

	// One PDF of each kind through Chromium, read back with pdftotext.
	testutil.Need(t, "chromium")
	pdftotext := testutil.Need(t, "pdftotext")
	pdfR := report.NewPDFRenderer("", 1)
	defer pdfR.Close()
	dir := os.Getenv("JIANGUAN_EVAL_PDF_DIR") // keep the PDFs (docs, review)
	if dir == "" {
		dir = t.TempDir()
	}
	frozenOct, err := snaps.Load(eval.DocMonthly, "2026-10")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		d    *report.Document
		want []string
	}{
		{"evaluation", frozenOct, []string{"云服务商月度综合评估报告", "JG-202610-YP-001", "云服务商排名", "电信运营商排名", "指标得分：阿里云", "维度", "评分标准", "实测值", "扣分说明", "数据来源", "基础服务能力", "待与甲方确认", "第 1 页"}},
		{"evaluation-annual", d, []string{"云服务商综合评估年度评级报告", "JG-202601-NP-001", "云服务商年度评级", "未冻结", "运营资质审查", "评级分析：阿里云", "优势", "不足"}},
	} {
		b, err := pdfR.RenderPDF(ctx, c.d)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		p := filepath.Join(dir, c.name+".pdf")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pdftotext, "-layout", p, "-").Output()
		if err != nil {
			t.Fatalf("%s: pdftotext: %v", c.name, err)
		}
		text := strings.Join(strings.Fields(string(out)), " ")
		for _, w := range c.want {
			if !strings.Contains(strings.ReplaceAll(text, " ", ""), strings.ReplaceAll(w, " ", "")) {
				t.Errorf("%s PDF lacks %q", c.name, w)
			}
		}
	}
}

// TestEvalSupervisionReportSection: 《北京市市级政务云综合监管月报》
// (deliverable 16, the report of kind hosts) carries the monthly
// comprehensive evaluation — the same assessment, byte for byte, as the
// providers report of the month — and a security-posture section that says
// it has no data source instead of showing nothing.
func TestEvalSupervisionReportSection(t *testing.T) {
	url := startPrometheus(t)
	st := openStore(t)
	saveSystem(t, st, "2026.1", "2026-01")
	cfg := config(t)
	cfg.Evaluator = &eval.Evaluator{Store: st, Querier: promapi.New(url)}
	ctx := context.Background()
	sup, err := report.Build(ctx, promapi.New(url), cfg, report.KindHosts, monthPeriod(t, "2026-10"))
	if err != nil {
		t.Fatal(err)
	}
	prov, err := report.Build(ctx, promapi.New(url), cfg, report.KindProviders, monthPeriod(t, "2026-10"))
	if err != nil {
		t.Fatal(err)
	}
	if sup.Title != "北京市市级政务云综合监管月报" {
		t.Errorf("title %q", sup.Title)
	}
	if len(sup.Evaluation) == 0 || string(sup.Evaluation) != string(prov.Evaluation) {
		t.Fatalf("the supervision report's assessment differs from the providers report's:\n%s\n%s", sup.Evaluation, prov.Evaluation)
	}
	var ids []string
	for _, s := range sup.Sections {
		ids = append(ids, s.ID)
	}
	joined := "," + strings.Join(ids, ",") + ","
	for _, want := range []string{",hosts,", ",websites,", ",eval-method,", ",eval-rank-cloud,", ",eval-rank-carrier,", ",security,"} {
		if !strings.Contains(joined, want) {
			t.Errorf("sections %v lack %s", ids, strings.Trim(want, ","))
		}
	}
	// English (issue 16: one language per document): the evaluation is
	// written in zh-CN only, so an English document carries none of its
	// sections, purposes (「评估指标：…」) or method lines, and says where the
	// evaluation is instead of claiming no indicator system is configured.
	en := cfg
	en.Lang = docfmt.EN
	for _, kind := range []string{report.KindHosts, report.KindProviders} {
		d, err := report.Build(ctx, promapi.New(url), en, kind, monthPeriod(t, "2026-10"))
		if err != nil {
			t.Fatal(err)
		}
		texts := append(append([]string{}, d.Audit.Method...), d.Audit.Caveats...)
		for _, q := range d.Audit.Queries {
			texts = append(texts, report.AuditPurpose(docfmt.EN, q.Purpose))
		}
		for _, s := range d.Sections {
			if s.ID == "evaluation" {
				texts = append(texts, s.Text...)
				if j := strings.Join(s.Text, ""); kind == report.KindHosts && !strings.Contains(j, "zh-CN edition") {
					t.Errorf("English %s: evaluation section %q", kind, j)
				}
			}
		}
		for _, x := range texts {
			if strings.ContainsFunc(x, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				t.Errorf("English %s: Chinese in %q", kind, x)
			}
		}
		if len(d.Evaluation) != 0 {
			t.Errorf("English %s carries an assessment", kind)
		}
	}
	// A period that begins before the first month of every stored system
	// is reported, not assessed, and the section says so: a month, and a
	// quarter, whose label "2026-Q4" sorts after "2026-11" as text although
	// it begins in October.
	late := openStore(t)
	saveSystem(t, late, "2026.2", "2026-11")
	q4, err := report.ParsePeriod("2026-Q4", nil, now)
	if err != nil {
		t.Fatal(err)
	}
	lateCfg := cfg
	lateCfg.Evaluator = &eval.Evaluator{Store: late, Querier: promapi.New(url)}
	for _, p := range []calendar.Period{monthPeriod(t, "2026-10"), q4} {
		for _, kind := range []string{report.KindHosts, report.KindProviders} {
			d, err := report.Build(ctx, promapi.New(url), lateCfg, kind, p)
			if err != nil {
				t.Fatalf("%s %s before the system applies: %v", kind, p, err)
			}
			var text string
			for _, s := range d.Sections {
				if s.ID == "evaluation" {
					text = strings.Join(s.Text, "")
				}
			}
			if !strings.Contains(text, "评估指标体系不适用于本期") || len(d.Evaluation) != 0 || len(d.Entities) == 0 {
				t.Errorf("%s %s before the system applies: evaluation section %q, assessment %d bytes, %d entities", kind, p, text, len(d.Evaluation), len(d.Entities))
			}
		}
	}
	// Without an indicator system the section says so.
	cfg.Evaluator = nil
	bare, err := report.Build(ctx, promapi.New(url), cfg, report.KindHosts, monthPeriod(t, "2026-10"))
	if err != nil {
		t.Fatal(err)
	}
	var text string
	for _, s := range bare.Sections {
		if s.ID == "evaluation" {
			text = strings.Join(s.Text, "")
		}
	}
	if !strings.Contains(text, "未配置评估指标体系") || len(bare.Evaluation) != 0 {
		t.Errorf("no indicator system: evaluation section %q, assessment %d bytes", text, len(bare.Evaluation))
	}
}
