package report

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
)

// TestDailyBands_OutOfBandDaysMarked: the daily table marks a day whose
// group went above 27 °C, below 21 °C or above 60 %RH, says 「正常」 on a
// day within the band, and writes 「无数据」 (never 0) for a day without
// samples, which is a gap in the band chart.
func TestDailyBands_OutOfBandDaysMarked(t *testing.T) {
	nan := math.NaN()
	first := calendar.Date(2026, 10, 1)
	data := map[string][]dayBand{
		"cold_aisle": {
			{22, 25, 0.40, 0.50},
			{22, 28.5, 0.40, 0.65},
			{nan, nan, nan, nan},
			{20.5, 24, 0.40, 0.50},
		},
		"room": {
			{23, 24, 0.45, 0.46},
			{23, 24, 0.45, 0.46},
			{23, 24, 0.45, 0.46},
			{23, 24, 0.45, 0.46},
		},
		"supply": { // not judged by the room band: not in the table
			{12, 14, 0.8, 0.9}, {12, 14, 0.8, 0.9}, {12, 14, 0.8, 0.9}, {12, 14, 0.8, 0.9},
		},
	}
	for _, c := range []struct {
		lang    docfmt.Lang
		verdict []string
		noData  string
	}{
		{docfmt.ZH, []string{"正常", "超出：冷通道高于 27 °C；冷通道湿度高于 60 %RH", "正常", "超出：冷通道低于 21 °C"}, "无数据"},
		{docfmt.EN, []string{"within band", "out of band: Cold aisle above 27 °C; Cold aisle above 60 %RH", "within band", "out of band: Cold aisle below 21 °C"}, "no data"},
	} {
		r := &run{cfg: Config{Lang: c.lang}}
		tb, charts := r.bandTable(first, 4, data)
		if len(tb.Rows) != 4 || len(charts) != 2 {
			t.Fatalf("%s: %d rows, %d charts", c.lang, len(tb.Rows), len(charts))
		}
		if len(tb.Columns) != 6 { // day, room °C, room %RH, cold aisle °C, cold aisle %RH, verdict
			t.Errorf("%s: columns %+v", c.lang, tb.Columns)
		}
		for i, row := range tb.Rows {
			if got := row[len(row)-1]; got != c.verdict[i] {
				t.Errorf("%s: day %d verdict %q, want %q", c.lang, i+1, got, c.verdict[i])
			}
		}
		if tb.Rows[1][3] != "22.0～28.5" || tb.Rows[1][4] != "40.0～65.0" {
			t.Errorf("%s: day 2 cold aisle %q %q", c.lang, tb.Rows[1][3], tb.Rows[1][4])
		}
		if tb.Rows[2][3] != c.noData || tb.Rows[2][4] != c.noData {
			t.Errorf("%s: day 3 without samples: %q %q", c.lang, tb.Rows[2][3], tb.Rows[2][4])
		}
		if c.lang == docfmt.ZH && tb.Rows[0][0] != "2026年10月1日" {
			t.Errorf("day %q", tb.Rows[0][0])
		}
		cold := charts[0].Lines[1]
		if cold.High[2] != nil || cold.High[1] == nil || *cold.High[1] != 28.5 {
			t.Errorf("%s: cold aisle band %v", c.lang, cold.High)
		}
		svg := string(seriesSVG(charts[0], c.lang))
		if n := strings.Count(svg, `class="band"`); n != 3 { // room one band; cold aisle two around the gap
			t.Errorf("%s: %d band polygons, want 3", c.lang, n)
		}
		if strings.Count(svg, `class="ref"`) != 2 || !strings.Contains(svg, "27 °C") {
			t.Errorf("%s: reference lines missing: %s", c.lang, svg)
		}
	}
}

// TestSeriesChart_MonthWithoutDataIsAGap: in the trend chart a month
// without data breaks the line and is labelled 无数据; it is never drawn
// at 0 or 100.
func TestSeriesChart_MonthWithoutDataIsAGap(t *testing.T) {
	c := SeriesChart{Title: "近12个月可用率", Unit: "%", X: []string{"25年11月", "25年12月", "26年1月", "26年2月"},
		Lines: []ChartLine{{Name: "互联网BGP线路", Values: []*float64{nil, fp(99.995), fp(99.98), fp(100)}}},
		Refs:  []ChartRef{{Value: 99.99, Label: "目标 99.99 %"}}}
	svg := string(seriesSVG(c, docfmt.ZH))
	if strings.Count(svg, `class="line"`) != 1 || strings.Count(svg, "<circle") != 3 {
		t.Errorf("want one line through 3 points: %s", svg)
	}
	if strings.Count(svg, `class="nodata"`) != 1 || !strings.Contains(svg, "无数据") {
		t.Errorf("the month without data is not labelled 无数据: %s", svg)
	}
	empty := string(seriesSVG(SeriesChart{Title: "x", X: []string{"a"}, Lines: []ChartLine{{Name: "n", Values: []*float64{nil}}}}, docfmt.ZH))
	if strings.Contains(empty, "<polyline") || !strings.Contains(empty, "无数据") {
		t.Errorf("a chart without any data: %s", empty)
	}
}

// TestTrendMonths: the twelve months end with the month of the period's
// end; a 截至 draft's last month is clipped to its as-of hour.
func TestTrendMonths(t *testing.T) {
	q4, _ := calendar.Quarter(2026, 4)
	for _, c := range []struct {
		span        calendar.Period
		first, last string
		lastEnd     time.Time
	}{
		{calendar.Month(2026, time.October), "2025-11", "2026-10", calendar.Date(2026, 11, 1)},
		{q4, "2026-01", "2026-12", calendar.Date(2027, 1, 1)},
		{calendar.Period{Kind: calendar.KindMonth, Start: calendar.Date(2026, 12, 1), End: calendar.Date(2026, 12, 4).Add(20 * time.Hour)}, "2026-01", "2026-12", calendar.Date(2026, 12, 4).Add(20 * time.Hour)},
	} {
		ms := trendMonths(c.span)
		if len(ms) != TrendMonths || ms[0].String() != c.first || calendar.MonthOf(ms[11].Start).String() != c.last || !ms[11].End.Equal(c.lastEnd) {
			t.Errorf("%v: %v … %v (end %v)", c.span, ms[0], ms[11], ms[11].End)
		}
	}
}
