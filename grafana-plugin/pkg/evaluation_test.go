package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestPluginEvaluation: with jsonData.evaluationConfig the plugin builds the
// providers report with the indicator system (issue 19), through the same
// gRPC protocol Grafana uses, and shows the same assessment as
// jianguan-report --evaluation.config on the same Prometheus; without it the
// former score table stays; an invalid indicator system fails the instance
// with file:line.
func TestPluginEvaluation(t *testing.T) {
	bin := buildPlugin(t)
	url := testenv.StartTestScenario(t)
	g := startPlugin(t, bin)
	system, err := filepath.Abs("../../deploy/etc/jianguan/evaluation.yml")
	if err != nil {
		t.Fatal(err)
	}

	doc := func(r resp) *report.Document {
		t.Helper()
		if r.code != 200 {
			t.Fatalf("providers json: %d %s", r.code, r.body)
		}
		var d report.Document
		if err := json.Unmarshal(r.body, &d); err != nil {
			t.Fatal(err)
		}
		return &d
	}
	tables := func(d *report.Document) string {
		var b strings.Builder
		for _, s := range d.Sections {
			for _, tb := range s.Tables {
				b.WriteString(tb.Title + "|")
				for _, c := range tb.Columns {
					b.WriteString(c.Title + "|")
				}
			}
		}
		return b.String()
	}

	// With the indicator system: its assessment, its indicator table.
	withEval := doc(g.call(t, pctx(1, map[string]any{"prometheusUrl": url, "snapshotDir": t.TempDir(), "evaluationConfig": system}), "GET", "/reports/providers/2026-10.json"))
	if len(withEval.Evaluation) == 0 {
		t.Fatal("providers report with evaluationConfig carries no assessment")
	}
	if ts := tables(withEval); !strings.Contains(ts, "扣分说明") || strings.Contains(ts, "可用性得分") {
		t.Errorf("providers report with evaluationConfig: want the indicator tables, not the former score table: %s", ts)
	}
	var a struct {
		SystemVersion string `json:"systemVersion"`
		Kinds         []struct {
			Kind      string            `json:"kind"`
			Providers []json.RawMessage `json:"providers"`
		} `json:"kinds"`
	}
	if err := json.Unmarshal(withEval.Evaluation, &a); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, k := range a.Kinds {
		kinds[k.Kind] = len(k.Providers)
	}
	if a.SystemVersion == "" || kinds["cloud"] == 0 || kinds["carrier"] == 0 {
		t.Errorf("assessment: version %q, providers per kind %v (want cloud and carrier ranked apart)", a.SystemVersion, kinds)
	}

	// The CLI on the same Prometheus with the same file: the same assessment.
	cmd := exec.CommandContext(context.Background(), buildCLI(t), "--prometheus.url="+url, "--kind=providers", "--month=2026-10", "--format=json", "--evaluation.config="+system)
	cmd.Dir = t.TempDir() // no default reports.yml or records store
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jianguan-report: %v\n%s", err, stderr.String())
	}
	var cliDoc report.Document
	if err := json.Unmarshal(out, &cliDoc); err != nil {
		t.Fatal(err)
	}
	var p, c bytes.Buffer
	if err := json.Compact(&p, withEval.Evaluation); err != nil {
		t.Fatal(err)
	}
	if err := json.Compact(&c, cliDoc.Evaluation); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p.Bytes(), c.Bytes()) {
		t.Errorf("the plugin and the CLI assess October differently:\nplugin: %.600s\ncli:    %.600s", p.String(), c.String())
	}
	if tp, tc := tables(withEval), tables(&cliDoc); tp != tc {
		t.Errorf("the plugin and the CLI show other tables:\nplugin: %s\ncli:    %s", tp, tc)
	}

	// Without it: the former score table, no assessment.
	without := doc(g.call(t, pctx(2, map[string]any{"prometheusUrl": url, "snapshotDir": t.TempDir()}), "GET", "/reports/providers/2026-10.json"))
	if len(without.Evaluation) != 0 || !strings.Contains(tables(without), "可用性得分") {
		t.Errorf("providers report without evaluationConfig: evaluation %q, tables %s", without.Evaluation, tables(without))
	}

	// An invalid indicator system fails the instance, naming file:line.
	bad := filepath.Join(t.TempDir(), "evaluation.yml")
	b, err := os.ReadFile(system)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, bytes.Replace(b, []byte("weight: 40"), []byte("weight: 41"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct{ path, want string }{
		{bad, bad + ":"},
		{filepath.Join(t.TempDir(), "missing.yml"), "jsonData.evaluationConfig"},
	} {
		r, err := g.callErr(pctx(int64(10+i), map[string]any{"prometheusUrl": url, "evaluationConfig": c.path}), "GET", "/reports")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("evaluationConfig %s: %v %d %s (want an error naming %q)", c.path, err, r.code, r.body, c.want)
		}
	}
}
