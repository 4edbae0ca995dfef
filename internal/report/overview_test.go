package report_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
)

var numberRE = regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)

// tableNumbers are the numbers written in d's summary, its sections'
// tables and its annexes (not the audit's PromQL).
func tableNumbers(d *report.Document) map[string]bool {
	out := map[string]bool{}
	add := func(s string) {
		for _, n := range numberRE.FindAllString(s, -1) {
			out[n] = true
		}
	}
	for _, kv := range d.Summary {
		add(kv.Value)
	}
	rows := func(t report.Table) {
		for _, r := range t.Rows {
			for _, c := range r {
				add(c)
			}
		}
	}
	for _, s := range d.Sections {
		for _, t := range s.Tables {
			rows(t)
		}
	}
	for _, a := range d.Annexes {
		rows(a.Table)
	}
	return out
}

// TestOverview_EveryNumberInATable (issue 16 item 6): every report kind —
// infrastructure, lines, the supervision report (hosts) and providers — in
// zh-CN and en, built from a real Prometheus, opens with its 总体运行情况
// paragraph, every number of which is a figure of one of the document's
// tables, and ends with the three editable sections, 「（未填写）」 in a draft
// (so UnfilledSections blocks its sign-off); the records sections added
// after Build come before them (the contract's order: topics, then
// 主要问题及原因分析 …). A filled narrative is carried into every kind.
func TestOverview_EveryNumberInATable(t *testing.T) {
	url, _ := startE2EPrometheus(t)
	q := promapi.New(url)
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	editable := []string{"problems", "remedies", "next-steps"}
	for _, lang := range []docfmt.Lang{docfmt.ZH, docfmt.EN} {
		for _, kind := range report.Kinds {
			t.Run(string(lang)+"/"+kind, func(t *testing.T) {
				if !report.HasNarrative(kind) {
					t.Fatalf("%s has no narrative", kind)
				}
				cfg := report.DefaultConfig()
				cfg.Now = func() time.Time { return now }
				cfg.Lang = lang
				m, err := report.ParseMonth("2026-10", cfg.Location, now)
				if err != nil {
					t.Fatal(err)
				}
				d, err := report.Build(ctx, q, cfg, kind, m)
				if err != nil {
					t.Fatal(err)
				}
				if err := report.AddRecordSections(ctx, d, nil); err != nil {
					t.Fatal(err)
				}
				if len(d.Sections) < 4 || d.Sections[0].ID != "overview" || len(d.Sections[0].Text) != 1 {
					t.Fatalf("first section %q is not the 总体运行情况 paragraph", d.Sections[0].ID)
				}
				ov := d.Sections[0].Text[0]
				want := "总体运行情况"
				if lang == docfmt.EN {
					want = "Overall operation"
				}
				if d.Sections[0].Title != want {
					t.Errorf("overview title %q, want %q", d.Sections[0].Title, want)
				}
				t.Log(ov)
				figures := tableNumbers(d)
				nums := numberRE.FindAllString(ov, -1)
				if len(nums) < 2 {
					t.Errorf("the overview states almost no figure: %s", ov)
				}
				for _, n := range nums {
					if !figures[n] {
						t.Errorf("总体运行情况 says %s, a number in no table: %s", n, ov)
					}
				}
				last := d.Sections[len(d.Sections)-3:]
				for i, s := range last {
					if s.ID != editable[i] {
						t.Fatalf("the document does not end with the editable sections: %q at %d", s.ID, len(d.Sections)-3+i)
					}
					if len(s.Text) != 1 || (s.Text[0] != report.Unfilled && s.Text[0] != "(not filled in)") {
						t.Errorf("draft section %s: %q", s.ID, s.Text)
					}
				}
				if got := report.UnfilledSections(d); len(got) != 3 {
					t.Errorf("unfilled %v, want the three editable sections", got)
				}
				if lang == docfmt.EN {
					return
				}
				// A filled narrative reaches every kind and nothing is unfilled.
				cfg.Narrative = report.Narrative{Problems: "P1", Remedies: "R1", NextSteps: "N1"}
				d, err = report.Build(ctx, q, cfg, kind, m)
				if err != nil {
					t.Fatal(err)
				}
				if got := report.UnfilledSections(d); len(got) != 0 || d.Sections[len(d.Sections)-1].Text[0] != "N1" {
					t.Errorf("filled narrative: unfilled %v, last section %+v", got, d.Sections[len(d.Sections)-1])
				}
			})
		}
	}
}
