package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/eval"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/snapshot"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestDefect20_AnnualPluginAndCLIAgree: the 评估 page's annual rating
// (GET /evaluation/annual/{YYYY}) and jianguan-report --kind
// evaluation-annual on the same snapshot directory rate the same months the
// same way — both read eval.ReadYear. Before, the CLI read only snapshots of
// kind evaluation while the plugin also counted a frozen providers report
// carrying the assessment, so a year frozen from the 报告 page had a rating
// on the page and 「没有已冻结的月度评估」 from the CLI.
func TestDefect20_AnnualPluginAndCLIAgree(t *testing.T) {
	bin := buildPlugin(t)
	url := testenv.StartTestScenario(t)
	g := startPlugin(t, bin)
	system, err := filepath.Abs("../../deploy/etc/jianguan/evaluation.yml")
	if err != nil {
		t.Fatal(err)
	}
	snaps := t.TempDir()
	viewer := pctxAs(1, "Viewer", map[string]any{"prometheusUrl": url, "snapshotDir": snaps, "evaluationConfig": system})

	// October's providers report, frozen with its assessment (as the 报告
	// page freezes it; the narrative is not what this test is about).
	r := g.call(t, viewer, "GET", "/reports/providers/2026-10.json")
	var oct report.Document
	if r.code != 200 || json.Unmarshal(r.body, &oct) != nil || len(oct.Evaluation) == 0 {
		t.Fatalf("providers 2026-10: %d %.300s", r.code, r.body)
	}
	_, err = snapshot.Store{Dir: snaps}.Freeze(context.Background(), report.KindProviders, "2026-10", func(context.Context) (*report.Document, error) {
		return &report.Document{Kind: report.KindProviders, Title: oct.Title, Month: oct.Month, PeriodStart: oct.PeriodStart, PeriodEnd: oct.PeriodEnd, Evaluation: oct.Evaluation}, nil
	}, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}

	r = g.call(t, viewer, "GET", "/evaluation/annual/2026")
	var a annualAnswer
	if r.code != 200 || json.Unmarshal(r.body, &a) != nil {
		t.Fatalf("annual: %d %s", r.code, r.body)
	}
	if !a.Months[9].Frozen || a.Months[9].From != report.KindProviders || len(a.Kinds["cloud"]) == 0 {
		t.Fatalf("the plugin's annual rating: %+v", a)
	}
	var cli report.Document
	if err := json.Unmarshal(runCLI(t, "--kind=evaluation-annual", "--year=2026", "--evaluation.snapshots="+snaps, "--format=json"), &cli); err != nil {
		t.Fatal(err)
	}
	for kind, ps := range a.Kinds {
		var rank *report.Table
		for _, s := range cli.Sections {
			for i := range s.Tables {
				if s.Tables[i].ID == "annual-rank-"+kind {
					rank = &s.Tables[i]
				}
			}
		}
		if rank == nil {
			t.Errorf("the CLI's annual rating has no %s table", kind)
			continue
		}
		got := map[string]string{}
		for _, row := range rank.Rows { // rank, provider, score, grade, …
			got[row[1]] = row[2] + " " + row[3]
		}
		for _, p := range ps {
			want := "— " + eval.StateUnrated
			if p.RatedCount > 0 {
				want = fmt.Sprintf("%.2f %s", p.Score, p.Grade)
			}
			if got[p.Provider] != want {
				t.Errorf("%s %s: the CLI rates %q, the plugin %q", kind, p.Provider, got[p.Provider], want)
			}
		}
		if len(got) != len(ps) {
			t.Errorf("%s: the CLI rates %d providers, the plugin %d", kind, len(got), len(ps))
		}
	}
}
