package report_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/report/snapshot"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// periodEnv is the October 2026 test scenario (data from 30 September
// 18:00 to 1 November 02:00, Beijing time) on a real Prometheus.
func periodEnv(t *testing.T, now time.Time) (report.Querier, report.Config) {
	t.Helper()
	q := promapi.New(testenv.StartTestScenario(t))
	cfg := report.DefaultConfig()
	cfg.Now = func() time.Time { return now }
	return q, cfg
}

func mustPeriod(t *testing.T, s string, now time.Time) calendar.Period {
	t.Helper()
	p, err := report.ParsePeriod(s, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func downByKind(fs []report.KindFigures) map[string]float64 {
	out := map[string]float64{}
	for _, f := range fs {
		out[f.Key] += f.DownSeconds
	}
	return out
}

// TestQuarterPerMonthSumsToQuarter: a quarter report's per-month rows come
// from the same counters, so their downtime (and observed time) sums to the
// quarter's, kind by kind; December (no data) has no figures, and the
// document names the quarter.
func TestQuarterPerMonthSumsToQuarter(t *testing.T) {
	now := time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)
	q, cfg := periodEnv(t, now)
	p := mustPeriod(t, "2026-Q4", now)
	for _, kind := range []string{report.KindLines, report.KindHosts, report.KindInfrastructure} {
		t.Run(kind, func(t *testing.T) {
			d, err := report.Build(context.Background(), q, cfg, kind, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.PerMonth) != 3 || d.PerMonth[0].Period != "2026-10" || d.PerMonth[2].Period != "2026-12" {
				t.Fatalf("per-month rows: %+v", d.PerMonth)
			}
			if len(d.PerMonth[2].Kinds) != 0 {
				t.Errorf("December has no data, got %+v", d.PerMonth[2].Kinds)
			}
			whole := downByKind(report.KindFiguresOf(d.Entities, d.MaintenancePolicy))
			sum := map[string]float64{}
			obs, obsWhole := 0.0, 0.0
			for _, m := range d.PerMonth {
				for k, v := range downByKind(m.Kinds) {
					sum[k] += v
				}
				for _, f := range m.Kinds {
					obs += f.ObservedSeconds
				}
			}
			for _, e := range d.Entities {
				obsWhole += e.ObservedSeconds
			}
			if len(whole) == 0 {
				t.Fatal("no kinds")
			}
			for k, v := range whole {
				if math.Abs(sum[k]-v) > 1e-6 {
					t.Errorf("%s: months' downtime %.3f s ≠ quarter's %.3f s", k, sum[k], v)
				}
			}
			if math.Abs(obs-obsWhole) > 1e-6 {
				t.Errorf("months' observed %.3f s ≠ quarter's %.3f s", obs, obsWhole)
			}
			if !strings.Contains(d.Title, "季") || !strings.Contains(d.PeriodText, "2026年第四季度") {
				t.Errorf("title %q / period %q do not name the quarter", d.Title, d.PeriodText)
			}
			if !hasSection(d, "per-month") || !hasSection(d, "comparison") {
				t.Error("no per-month or comparison section")
			}
			if d.PreviousPeriod != "2026-Q3" {
				t.Errorf("previous period %q", d.PreviousPeriod)
			}
		})
	}
}

func hasSection(d *report.Document, id string) bool {
	for _, s := range d.Sections {
		if s.ID == id {
			return true
		}
	}
	return false
}

// TestComparisonEqualsPreviousReport: 环比 of November is October's own
// report: every 上期 figure is the figure of the October document built on
// its own, and the October document's 环比 against September (6 h of data)
// likewise.
func TestComparisonEqualsPreviousReport(t *testing.T) {
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	q, cfg := periodEnv(t, now)
	ctx := context.Background()
	for _, kind := range report.Kinds {
		t.Run(kind, func(t *testing.T) {
			nov, err := report.Build(ctx, q, cfg, kind, mustPeriod(t, "2026-11", now))
			if err != nil {
				t.Fatal(err)
			}
			oct, err := report.Build(ctx, q, cfg, kind, mustPeriod(t, "2026-10", now))
			if err != nil {
				t.Fatal(err)
			}
			own := map[string]report.Compared{}
			for _, c := range oct.Comparison {
				own[c.LabelEN] = c
			}
			n := 0
			for _, c := range nov.Comparison {
				o, ok := own[c.LabelEN]
				if !ok {
					continue
				}
				n++
				if !c.HasPrevious || c.Previous != o.Current || c.PrevValue != o.Value {
					t.Errorf("%s: November's 上期 %q (%v) ≠ October's own %q (%v)", c.Label, c.Previous, c.PrevValue, o.Current, o.Value)
				}
			}
			if n == 0 {
				t.Fatalf("no common headline figures: November %+v", nov.Comparison)
			}
			if nov.PreviousPeriod != "2026-10" || oct.PreviousPeriod != "2026-09" {
				t.Errorf("previous periods %q, %q", nov.PreviousPeriod, oct.PreviousPeriod)
			}
		})
	}
}

// TestComparisonNoPreviousData: a period whose previous one has no data
// says 无上期数据 beside every figure (August before the scenario).
func TestComparisonNoPreviousData(t *testing.T) {
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	q, cfg := periodEnv(t, now)
	d, err := report.Build(context.Background(), q, cfg, report.KindLines, mustPeriod(t, "2026-09-30..2026-10-01", now))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Comparison) == 0 {
		t.Fatal("no comparison")
	}
	for _, c := range d.Comparison {
		if c.HasPrevious || c.Previous != report.NoPrevious {
			t.Errorf("%s: previous %q, want %s", c.Label, c.Previous, report.NoPrevious)
		}
	}
}

// TestDraftPeriodRefusedAtFreeze: the unfinished month is reported up to
// the last full hour, marked 截至 … as a draft, and its freeze is refused
// (nothing written).
func TestDraftPeriodRefusedAtFreeze(t *testing.T) {
	now := time.Date(2026, 10, 15, 4, 34, 0, 0, time.UTC) // 12:34 in Beijing
	q, cfg := periodEnv(t, now)
	p := mustPeriod(t, "2026-10", now)
	build := func(ctx context.Context) (*report.Document, error) {
		return report.Build(ctx, q, cfg, report.KindLines, p)
	}
	d, err := build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !d.Draft || !strings.Contains(d.PeriodText, "截至 2026年10月15日 12时（北京时间）") || !strings.Contains(d.PeriodText, "草稿") {
		t.Errorf("draft %v, period text %q", d.Draft, d.PeriodText)
	}
	if want := time.Date(2026, 10, 15, 12, 0, 0, 0, calendar.Zone); d.PeriodEnd != want.Format(time.RFC3339) || d.MonthSeconds != want.Sub(p.Start).Seconds() {
		t.Errorf("measured to %s (%v s), want %s", d.PeriodEnd, d.MonthSeconds, want)
	}
	for _, e := range d.Entities {
		if e.ObservedSeconds > d.MonthSeconds+1 {
			t.Errorf("%s observed %v s beyond the measured %v s", e.Name, e.ObservedSeconds, d.MonthSeconds)
		}
	}
	st := snapshot.Store{Dir: t.TempDir()}
	cfg.Narrative = report.Narrative{Problems: "无", Remedies: "无", NextSteps: "无"}
	_, err = st.Freeze(context.Background(), report.KindLines, snapshot.Name(p), build, now)
	var de *report.DraftError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "草稿不可冻结") {
		t.Fatalf("freeze of a draft: %v", err)
	}
	if st.Exists(report.KindLines, snapshot.Name(p)) {
		t.Error("a draft was written")
	}
}

// TestPeriodWithoutData: a period entirely in the future is refused at
// parsing; one before any retained data is 本期无监测数据 — never a
// complete-looking report with zero entities.
func TestPeriodWithoutData(t *testing.T) {
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	if _, err := report.ParsePeriod("2027-Q1", nil, now); err == nil || report.KindOf(err) != report.ErrBadRequest || !strings.Contains(err.Error(), "has not begun") {
		t.Errorf("future quarter: %v", err)
	}
	if _, err := report.ParsePeriod("2026-13", nil, now); err == nil || report.KindOf(err) != report.ErrBadRequest {
		t.Errorf("bad month: %v", err)
	}
	q, cfg := periodEnv(t, now)
	for _, s := range []string{"2025", "2026-Q1", "2026-03-01..2026-03-31"} {
		_, err := report.Build(context.Background(), q, cfg, report.KindLines, mustPeriod(t, s, now))
		if report.KindOf(err) != report.ErrNoData || !strings.Contains(err.Error(), "本期无监测数据") {
			t.Errorf("%s: %v, want 本期无监测数据", s, err)
		}
	}
	// Begun less than an hour ago: no measured hour yet.
	early := time.Date(2026, 11, 30, 16, 20, 0, 0, time.UTC) // 1 December 00:20
	cfg.Now = func() time.Time { return early }
	_, err := report.Build(context.Background(), q, cfg, report.KindLines, mustPeriod(t, "2026-12", early))
	if report.KindOf(err) != report.ErrNoData {
		t.Errorf("period begun 20 min ago: %v", err)
	}
}

// TestSnapshotNames: months keep their YYYY-MM file names (frozen months
// load as before); other periods are named after calendar.Period.String
// without "..".
func TestSnapshotNames(t *testing.T) {
	svc, _ := calendar.NewService(calendar.Date(2025, 12, 1), time.Time{})
	for s, want := range map[string]string{"2026-10": "2026-10", "2026-Q4": "2026-Q4", "2026": "2026", "service": "service",
		"2026-11-03..2026-11-17": "2026-11-03--2026-11-17"} {
		p, err := calendar.ParsePeriod(s, &svc)
		if err != nil {
			t.Fatal(err)
		}
		if got := snapshot.Name(p); got != want {
			t.Errorf("%s: %s, want %s", s, got, want)
		}
	}
}

// TestPerMonthFromSnapshot: a quarter's per-month table reads a month
// signed off with the same measure from its snapshot (the figures as handed
// in) instead of querying it again. October is frozen, then 2026-Q4 is built
// with the snapshot store and without:
//   - the per-month figures are the same, with fewer queries, and the
//     audit's method names October's snapshot;
//   - the section says October comes from its frozen report and that the
//     months still sum to the quarter;
//   - a snapshot whose figures differ from the counters (the data changed
//     after the sign-off: here a doctored October, 60 s more downtime on
//     one entity, which verifies because it was frozen so) is shown as
//     handed in, and the section says by how much the months miss the
//     quarter's counters, kind by kind.
func TestPerMonthFromSnapshot(t *testing.T) {
	now := time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)
	q, cfg := periodEnv(t, now)
	ctx := context.Background()
	q4, oct := mustPeriod(t, "2026-Q4", now), mustPeriod(t, "2026-10", now)
	signed := cfg
	signed.Narrative = report.Narrative{Problems: "无", Remedies: "无", NextSteps: "继续巡检"}
	perMonthText := func(d *report.Document) string {
		for _, s := range d.Sections {
			if s.ID == "per-month" {
				return strings.Join(s.Text, " ")
			}
		}
		return ""
	}
	for _, kind := range []string{report.KindLines, report.KindHosts} {
		t.Run(kind, func(t *testing.T) {
			rebuilt, err := report.Build(ctx, q, cfg, kind, q4)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name  string
				alter float64 // seconds of downtime added to the frozen October's first entity
			}{{"as counted", 0}, {"changed after the sign-off", 60}} {
				t.Run(c.name, func(t *testing.T) {
					st := snapshot.Store{Dir: t.TempDir()}
					var altered string // the TargetKey of the doctored entity
					res, err := st.Freeze(ctx, kind, snapshot.Name(oct), func(ctx context.Context) (*report.Document, error) {
						d, err := report.Build(ctx, q, signed, kind, oct)
						if err == nil && c.alter != 0 {
							d.Entities[0].DownSeconds += c.alter
							altered = report.TargetKey(d.Entities[0].NS, d.Entities[0].Labels)
						}
						return d, err
					}, now)
					if err != nil {
						t.Fatal(err)
					}
					withStore := cfg
					withStore.Frozen = st
					read, err := report.Build(ctx, q, withStore, kind, q4)
					if err != nil {
						t.Fatal(err)
					}
					if len(read.PerMonth) != 3 || len(rebuilt.PerMonth) != 3 {
						t.Fatalf("per-month rows: %d read, %d rebuilt", len(read.PerMonth), len(rebuilt.PerMonth))
					}
					want := rebuilt.PerMonth[0].Kinds
					if c.alter != 0 {
						want = append([]report.KindFigures(nil), want...)
						for i := range want {
							if want[i].Key == altered {
								want[i].DownSeconds += c.alter
							}
						}
					}
					for i, f := range read.PerMonth[0].Kinds {
						if i >= len(want) || f.Key != want[i].Key || f.DownSeconds != want[i].DownSeconds || f.ObservedSeconds != want[i].ObservedSeconds || f.Entities != want[i].Entities {
							t.Errorf("October %d: read %+v, want %+v", i, f, want)
						}
					}
					if len(read.PerMonth[0].Kinds) != len(want) || len(want) == 0 {
						t.Errorf("October: %d kinds read, %d want", len(read.PerMonth[0].Kinds), len(want))
					}
					for i := 1; i < 3; i++ {
						if len(read.PerMonth[i].Kinds) != len(rebuilt.PerMonth[i].Kinds) {
							t.Errorf("%s: %d kinds, %d rebuilt", read.PerMonth[i].Period, len(read.PerMonth[i].Kinds), len(rebuilt.PerMonth[i].Kinds))
						}
					}
					if len(read.Audit.Queries) >= len(rebuilt.Audit.Queries) {
						t.Errorf("%d queries with October's snapshot, %d without: October was queried again", len(read.Audit.Queries), len(rebuilt.Audit.Queries))
					}
					method := strings.Join(read.Audit.Method, " ")
					if !strings.Contains(method, res.SHA256[:16]) {
						t.Errorf("the method does not name October's snapshot %s: %s", res.SHA256[:16], method)
					}
					text := perMonthText(read)
					if !strings.Contains(text, "2026年10月的数据取自各月已冻结的报告") {
						t.Errorf("the per-month text does not say October is read from its snapshot: %s", text)
					}
					if sums := strings.Contains(text, "之和等于全期"); sums != (c.alter == 0) {
						t.Errorf("sums to the quarter said %v, want %v: %s", sums, c.alter == 0, text)
					}
					if c.alter != 0 && (!strings.Contains(text, "停机时长相差 +60.000 秒") || !strings.Contains(text, "冻结后数据有变化")) {
						t.Errorf("the per-month text does not say by how much the months miss the quarter: %s", text)
					}
				})
			}
		})
	}
}
