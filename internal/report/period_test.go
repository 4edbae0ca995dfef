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
