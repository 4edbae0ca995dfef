package report_test

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
)

func tableByID(d *report.Document, id string) (report.Section, report.Table, bool) {
	for _, s := range d.Sections {
		for _, t := range s.Tables {
			if t.ID == id {
				return s, t, true
			}
		}
	}
	return report.Section{}, report.Table{}, false
}

// TestTrendAndDailyBandsRealPrometheus: on a real Prometheus holding the
// e2e scenario (September–November 2026), the lines and the 综合监管月报 of
// October carry the 12-month availability trend — 2025-11 … 2026-10, the
// months before the retained data 「无数据」 (never 0 or 100), October the
// body's own figure per kind — and the infrastructure report's 环境 topic
// the daily temperature and humidity bands, each day's lowest and highest
// equal to the simulated history's samples of that Beijing day.
func TestTrendAndDailyBandsRealPrometheus(t *testing.T) {
	url, sp := startE2EPrometheus(t)
	q := promapi.New(url)
	cfg := report.DefaultConfig()
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	oct := calendar.Month(2026, time.October)
	ctx := context.Background()
	docs := map[string]*report.Document{}
	for _, kind := range []string{report.KindLines, report.KindHosts} {
		d, err := report.Build(ctx, q, cfg, kind, oct)
		if err != nil {
			t.Fatal(err)
		}
		docs[kind] = d
		sec, tb, ok := tableByID(d, "trend")
		if !ok {
			t.Fatalf("%s: no trend table", kind)
		}
		if len(sec.SeriesCharts) != 1 || len(sec.SeriesCharts[0].X) != report.TrendMonths {
			t.Errorf("%s: trend chart %+v", kind, sec.SeriesCharts)
		}
		if len(tb.Rows) != report.TrendMonths || len(d.Trend) != report.TrendMonths {
			t.Fatalf("%s: %d trend rows, %d months", kind, len(tb.Rows), len(d.Trend))
		}
		if tb.Rows[0][0] != "2025年11月" || tb.Rows[11][0] != "2026年10月" {
			t.Errorf("%s: trend months %s … %s", kind, tb.Rows[0][0], tb.Rows[11][0])
		}
		// Before September 2026 there is no data: every cell 无数据.
		for _, row := range tb.Rows[:10] {
			for _, c := range row[1:] {
				if c != "无数据" {
					t.Errorf("%s: %s before the retained data: %q, want 无数据", kind, row[0], c)
				}
			}
		}
		// October is the body's figure, per kind.
		byKey := map[string][]report.EntityResult{}
		for _, e := range d.Entities {
			k := report.TargetKey(e.NS, e.Labels)
			byKey[k] = append(byKey[k], e)
		}
		last := d.Trend[len(d.Trend)-1]
		if len(last.Kinds) != len(byKey) {
			t.Errorf("%s: October has %d kinds, body %d", kind, len(last.Kinds), len(byKey))
		}
		for _, k := range last.Kinds {
			if want := report.AggregateAvailability(byKey[k.Key], cfg.MaintenancePolicy); k.Availability != want {
				t.Errorf("%s: October %s %v, body %v", kind, k.Key, k.Availability, want)
			}
		}
		// September is read from its own month's counters (partial history).
		sepKinds := d.Trend[len(d.Trend)-2].Kinds
		t.Logf("%s: September %+v", kind, sepKinds)
		for _, k := range sepKinds {
			if k.Availability < 0 || k.Availability > 1 {
				t.Errorf("%s: September %s availability %v", kind, k.Key, k.Availability)
			}
		}
		// September is 环比's previous month, built for it: the trend takes
		// its figures and lists no query of its own for it; they are
		// September's own report's, kind by kind.
		for _, a := range d.Audit.Queries {
			if strings.HasPrefix(a.Purpose, report.TrendAuditPrefix+"2026-09:") {
				t.Errorf("%s: September queried again for the trend: %s", kind, a.Purpose)
				break
			}
		}
		sep, err := report.Build(ctx, q, cfg, kind, calendar.Month(2026, time.September))
		if err != nil {
			t.Fatal(err)
		}
		sepByKey := map[string][]report.EntityResult{}
		for _, e := range sep.Entities {
			k := report.TargetKey(e.NS, e.Labels)
			sepByKey[k] = append(sepByKey[k], e)
		}
		if len(sepKinds) != len(sepByKey) || len(sepKinds) == 0 {
			t.Errorf("%s: September has %d kinds in the trend, %d in its report", kind, len(sepKinds), len(sepByKey))
		}
		for _, k := range sepKinds {
			if want := report.AggregateAvailability(sepByKey[k.Key], cfg.MaintenancePolicy); k.Availability != want {
				t.Errorf("%s: September %s %v in the trend, %v in its report", kind, k.Key, k.Availability, want)
			}
		}
		// Its unknown days (before the history) are never read as up: each
		// kind's coverage cell, beside the availability, says 覆盖 n%.
		for i := 2; i < len(tb.Columns); i += 3 {
			if c := tb.Rows[10][i]; !strings.HasPrefix(c, "覆盖 ") || !strings.HasSuffix(tb.Columns[i].Title, "监测覆盖") {
				t.Errorf("%s: September %s %q, want 覆盖 n%%", kind, tb.Columns[i].Title, c)
			}
		}
	}

	// A quarter (a 截至 draft on 29 November): the trend ends with
	// November (clipped to the as-of hour) and its months inside the
	// quarter are the per-month table's figures.
	q4, _ := calendar.Quarter(2026, 4)
	qd, err := report.Build(ctx, q, cfg, report.KindLines, q4)
	if err != nil {
		t.Fatal(err)
	}
	if len(qd.Trend) != report.TrendMonths || qd.Trend[11].Label != "2026年11月" || len(qd.PerMonth) != 2 {
		t.Fatalf("Q4: trend %d months ending %+v, per-month %d", len(qd.Trend), qd.Trend[len(qd.Trend)-1], len(qd.PerMonth))
	}
	// The per-month table: one row per month and kind, then the whole
	// period's; November (history ends early in the month) says its
	// coverage beside its availability, never a bare percentage.
	_, pmt, ok := tableByID(qd, "per-month")
	nk := len(qd.PerMonth[0].Kinds)
	if !ok || len(pmt.Columns) != 5 || nk == 0 || len(pmt.Rows) != (len(qd.PerMonth)+1)*nk {
		t.Fatalf("Q4 per-month table: %v, %d columns, %d rows for %d kinds", ok, len(pmt.Columns), len(pmt.Rows), nk)
	}
	for _, row := range pmt.Rows[nk : 2*nk] {
		if !strings.HasPrefix(row[0], "2026年11月") || !strings.HasPrefix(row[3], "覆盖 ") {
			t.Errorf("Q4 per-month November row %q: want 2026年11月 with 覆盖 n%%", row)
		}
	}
	for i, pm := range qd.PerMonth {
		tm := qd.Trend[10+i]
		if tm.Period != pm.Period || len(tm.Kinds) != len(pm.Kinds) {
			t.Errorf("Q4 %s: trend %+v, per month %+v", pm.Period, tm, pm)
			continue
		}
		for j := range tm.Kinds {
			if tm.Kinds[j] != pm.Kinds[j] {
				t.Errorf("Q4 %s: trend %+v, per month %+v", pm.Period, tm.Kinds[j], pm.Kinds[j])
			}
		}
	}

	d, err := report.Build(ctx, q, cfg, report.KindInfrastructure, oct)
	if err != nil {
		t.Fatal(err)
	}
	docs[report.KindInfrastructure] = d
	sec, tb, ok := tableByID(d, "daily-bands")
	if !ok || sec.ID != "environment" {
		t.Fatalf("no daily bands in the 环境 topic (%q)", sec.ID)
	}
	if len(tb.Rows) != 31 || len(sec.SeriesCharts) != 2 {
		t.Fatalf("daily bands: %d rows, %d charts", len(tb.Rows), len(sec.SeriesCharts))
	}
	// Truth: the simulated samples of each Beijing day, all sensors (the
	// scenario's sensors carry no role: one group).
	type mm struct{ tmin, tmax, hmin, hmax float64 }
	for i, row := range tb.Rows {
		day := oct.Start.AddDate(0, 0, i)
		want := mm{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
		err := sp.EachSeries(day, day.AddDate(0, 0, 1), func(s *simhistory.Samples) error {
			for _, v := range s.V {
				switch s.Name {
				case "env_temperature_celsius":
					want.tmin, want.tmax = math.Min(want.tmin, v), math.Max(want.tmax, v)
				case "env_humidity_ratio":
					want.hmin, want.hmax = math.Min(want.hmin, v*100), math.Max(want.hmax, v*100)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if row[0] != docfmt.Date(day, docfmt.ZH) {
			t.Errorf("row %d: day %s", i, row[0])
		}
		if wt := fmt1(want.tmin) + "～" + fmt1(want.tmax); row[1] != wt {
			t.Errorf("%s temperature %s, truth %s", row[0], row[1], wt)
		}
		if wh := fmt1(want.hmin) + "～" + fmt1(want.hmax); row[2] != wh {
			t.Errorf("%s humidity %s, truth %s", row[0], row[2], wh)
		}
		if row[3] != "正常" {
			t.Errorf("%s verdict %s (the scenario stays within 21–27 °C, 60 %%RH)", row[0], row[3])
		}
	}
	// Printed (Chromium) and read back with pdftotext: the trend and the
	// bands are in the zh-CN body with their 无数据 months.
	testutil.Need(t, "chromium")
	pdftotext := testutil.Need(t, "pdftotext")
	pdfR := report.NewPDFRenderer("", 1)
	defer pdfR.Close()
	for kind, want := range map[string][]string{
		report.KindLines:          {"可用率趋势", "近12个月可用率趋势", "近12个月可用率", "25年11月", "无数据", "互联网BGP线路可用率"},
		report.KindInfrastructure: {"每日温湿度", "每日温度范围", "每日相对湿度范围", "21 °C", "27 °C", "2026年10月31日"},
	} {
		pdf, err := pdfR.RenderPDF(ctx, docs[kind])
		if err != nil {
			t.Fatal(err)
		}
		body := strings.Join(report.PDFPages(t, pdftotext, pdf), "\f")
		if i := strings.LastIndex(body, "附录：审计信息"); i > 0 {
			body = body[:i]
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s PDF body lacks %q", kind, w)
			}
		}
	}
}

func fmt1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
