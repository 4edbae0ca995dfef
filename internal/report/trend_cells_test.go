package report

import (
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/docfmt"
)

// TestTrendCells_UnknownIsNeverUp: a month of the 12-month trend (and a
// row of a longer period's per-month table) whose time is mostly unknown
// (29 of 30 days without data) prints its coverage beside the
// availability, never a bare 100 %; a month with no observed time prints
// 无数据 in every cell, never a percentage; a fully observed month is
// marked complete. zh-CN and English.
func TestTrendCells_UnknownIsNeverUp(t *testing.T) {
	const month = 30 * 86400.0
	partial := KindFigures{Key: "bgp", Entities: 1, ObservedSeconds: 86400, UnknownSeconds: month - 86400, Availability: 1}
	full := KindFigures{Key: "bgp", Entities: 2, ObservedSeconds: 2 * month, DownSeconds: 120, Availability: 1 - 120/(2*month)}
	almost := KindFigures{Key: "bgp", Entities: 1, ObservedSeconds: month - 60, UnknownSeconds: 60, Availability: 1}
	none := KindFigures{Key: "bgp", Entities: 1, UnknownSeconds: month, Availability: -1}
	months := []PeriodFigures{
		{Period: "2025-11", Label: "2025年11月", Kinds: []KindFigures{partial}},
		{Period: "2025-12", Label: "2025年12月", Kinds: []KindFigures{full}},
		{Period: "2026-01", Label: "2026年1月", Kinds: []KindFigures{almost}},
		{Period: "2026-02", Label: "2026年2月", Kinds: []KindFigures{none}},
		{Period: "2026-03", Label: "2026年3月"},
	}
	for _, c := range []struct {
		lang   docfmt.Lang
		header string
		want   [][]string // per month: availability, coverage, downtime
	}{
		{docfmt.ZH, "互联网BGP线路监测覆盖", [][]string{
			{"100.0000", "覆盖 3.3%", docfmt.Duration(0, docfmt.ZH)},
			{pct(full.Availability), "完整", docfmt.Duration(120, docfmt.ZH)},
			{"100.0000", "覆盖 99.9%", docfmt.Duration(0, docfmt.ZH)},
			{"无数据", "无数据", "无数据"},
			{"无数据", "无数据", "无数据"},
		}},
		{docfmt.EN, "BGP internet line coverage", [][]string{
			{"100.0000", "coverage 3.3%", docfmt.Duration(0, docfmt.EN)},
			{pct(full.Availability), "complete", docfmt.Duration(120, docfmt.EN)},
			{"100.0000", "coverage 99.9%", docfmt.Duration(0, docfmt.EN)},
			{"no data", "no data", "no data"},
			{"no data", "no data", "no data"},
		}},
	} {
		r := &run{cfg: Config{Lang: c.lang}}
		sec := r.trendSection(months, []string{"bgp"})
		tb := sec.Tables[0]
		if len(tb.Columns) != 4 || !strings.Contains(tb.Columns[2].Title, c.header) || strings.Contains(tb.Columns[2].TitleEN, "bgp") {
			t.Fatalf("%s: columns %+v", c.lang, tb.Columns)
		}
		for i, row := range tb.Rows {
			if strings.Join(row[1:], "|") != strings.Join(c.want[i], "|") {
				t.Errorf("%s %s: %q, want %q", c.lang, row[0], row[1:], c.want[i])
			}
		}
		// The per-month table of a longer period uses the same cells.
		for i, m := range months {
			f, ok := figureOf(m, "bgp")
			if got := r.periodCells(f, ok); strings.Join(got, "|") != strings.Join(c.want[i], "|") {
				t.Errorf("%s per-month %s: %q, want %q", c.lang, m.Label, got, c.want[i])
			}
		}
	}
}
