package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/snapshot"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// fillNarrative writes filled editable sections of kind and period into the
// snapshot directory snap (where the plugin and jianguan-report read them),
// so that a test's freeze is not refused as unfilled: every report kind
// carries them (issue 16 item 6).
func fillNarrative(t testing.TB, snap, kind, period string) {
	t.Helper()
	if err := (snapshot.Store{Dir: snap}).SaveNarrative(kind, period, report.Narrative{Problems: "无。", Remedies: "无。", NextSteps: "无。"}); err != nil {
		t.Fatal(err)
	}
}

// TestPluginNarrative: the narrative editor's route, through Grafana's gRPC
// protocol against a real Prometheus and the real recorder. A Viewer reads
// but gets 403 on a write; bad input is 400 with the reason; an Editor's
// sections are stored beside the snapshot (where jianguan-report --freeze
// reads them) and recorded as theirs; an Admin's freeze refuses a draft with
// unfilled sections (409 naming them), then freezes the filled one with the
// text in the document; after the freeze the sections cannot change.
func TestPluginNarrative(t *testing.T) {
	bin := buildPlugin(t)
	url := testenv.StartTestScenario(t)
	rec := startRecorder(t)
	g := startPlugin(t, bin)
	snap := t.TempDir()
	as := func(role string) *pluginv2.PluginContext {
		pc := pctxAs(1, role, map[string]any{"prometheusUrl": url, "snapshotDir": snap, "recorderUrl": rec})
		pc.AppInstanceSettings.DecryptedSecureJsonData["recorderProxySecret"] = recorderSecret
		return pc
	}
	const path = "/narrative/infrastructure/2026-10"
	filled := report.Narrative{Problems: "10月3日机房A空调告警，原因为压缩机故障。", Remedies: "已更换压缩机。", NextSteps: "加强空调巡检。"}

	// A draft with no sections: the freeze is refused, naming them.
	if r := g.call(t, as("Admin"), "POST", "/reports/infrastructure/2026-10/freeze"); r.code != 409 || !strings.Contains(string(r.body), "主要问题及原因分析") {
		t.Fatalf("freeze of an unfilled draft: %d %s (want 409 naming the sections)", r.code, r.body)
	}

	// Viewer: reads, cannot write.
	if r := g.call(t, as("Viewer"), "GET", path); r.code != 200 || !strings.Contains(string(r.body), `"frozen": false`) {
		t.Errorf("viewer GET: %d %s", r.code, r.body)
	}
	if r := g.callBody(t, as("Viewer"), "PUT", path, filled); r.code != 403 || !strings.Contains(string(r.body), "Editor") {
		t.Errorf("viewer PUT: %d %s (want 403 naming Editor)", r.code, r.body)
	}
	if _, err := os.Stat(filepath.Join(snap, "infrastructure", "2026-10.narrative.json")); err == nil {
		t.Error("a Viewer's PUT wrote the narrative")
	}

	// Bad input: 400 with the reason.
	for _, c := range []struct {
		name, path, body, want string
	}{
		{"unknown field", path, `{"problems":"x","author":"me"}`, "unknown field"},
		{"not JSON", path, `problems=x`, "want JSON"},
		{"too long", path, `{"problems":"` + strings.Repeat("长", report.MaxNarrativeRunes+1) + `"}`, "at most 20000"},
		{"not UTF-8", path, "{\"problems\":\"\xff\"}", "not UTF-8"},
		{"kind without sections", "/narrative/duty-daily/2026-10", `{}`, "unknown report kind"},
		{"unknown kind", "/narrative/bogus/2026-10", `{}`, "unknown report kind"},
		{"period not begun", "/narrative/infrastructure/2099-01", `{}`, "has not begun"},
		{"bad period", "/narrative/infrastructure/26-10", `{}`, "want YYYY-MM-DD, YYYY-Www"},
	} {
		if r := g.callRaw(t, as("Editor"), "PUT", c.path, []byte(c.body)); r.code != 400 || !strings.Contains(string(r.body), c.want) {
			t.Errorf("%s: %d %.300s (want 400 %q)", c.name, r.code, r.body, c.want)
		}
	}

	// Editor: stored beside the snapshot, read back, recorded as theirs.
	if r := g.callBody(t, as("Editor"), "PUT", path, filled); r.code != 200 || strings.Contains(string(r.body), "warning") {
		t.Fatalf("editor PUT: %d %s", r.code, r.body)
	}
	stored, err := os.ReadFile(filepath.Join(snap, "infrastructure", "2026-10.narrative.json"))
	if err != nil || !strings.Contains(string(stored), "压缩机故障") {
		t.Fatalf("narrative file beside the snapshot: %v %s", err, stored)
	}
	var got narrativeAnswer
	r := g.call(t, as("Viewer"), "GET", path)
	if err := json.Unmarshal(r.body, &got); err != nil || got.Narrative != filled {
		t.Errorf("read back: %d %s", r.code, r.body)
	}
	r = g.call(t, as("Viewer"), "GET", "/recorder/records?kind=report-narrative")
	if r.code != 200 || !strings.Contains(string(r.body), `"grafana:editor-user"`) {
		t.Errorf("the edit is not recorded as the editor's: %d %s", r.code, r.body)
	}

	// The draft shows the sections; the freeze takes them into the document.
	if r := g.call(t, as("Viewer"), "GET", "/reports/infrastructure/2026-10.html"); r.code != 200 || !strings.Contains(string(r.body), "已更换压缩机") {
		t.Errorf("draft html lacks the narrative: %d", r.code)
	}
	if r := g.call(t, as("Admin"), "POST", "/reports/infrastructure/2026-10/freeze"); r.code != 200 {
		t.Fatalf("freeze of the filled draft: %d %s", r.code, r.body)
	}
	r = g.call(t, as("Viewer"), "GET", "/reports/infrastructure/2026-10.json")
	var d report.Document
	if err := json.Unmarshal(r.body, &d); err != nil || d.Frozen == nil {
		t.Fatalf("frozen json: %d %.300s", r.code, r.body)
	}
	var texts []string
	for _, s := range d.Sections {
		texts = append(texts, strings.Join(s.Text, "\n"))
	}
	if all := strings.Join(texts, "\n"); !strings.Contains(all, "压缩机故障") || !strings.Contains(all, "加强空调巡检") {
		t.Errorf("frozen document lacks the narrative")
	}

	// Every kind and any period the reports accept (issue 16 item 6): the
	// lines report's quarter and a range are stored under the period's
	// snapshot name, and the lines report of the month carries its own.
	for _, c := range []struct{ path, file string }{
		{"/narrative/lines/2026-Q4", "lines/2026-Q4.narrative.json"},
		{"/narrative/hosts?period=2026-10-01..2026-10-15", "hosts/2026-10-01--2026-10-15.narrative.json"},
		{"/narrative/providers/2026", "providers/2026.narrative.json"},
		{"/narrative/lines/2026-10", "lines/2026-10.narrative.json"},
	} {
		if r := g.callBody(t, as("Editor"), "PUT", c.path, report.Narrative{Problems: "线路" + c.file}); r.code != 200 {
			t.Errorf("PUT %s: %d %s", c.path, r.code, r.body)
			continue
		}
		if b, err := os.ReadFile(filepath.Join(snap, c.file)); err != nil || !strings.Contains(string(b), "线路"+c.file) {
			t.Errorf("PUT %s: not stored in %s: %v", c.path, c.file, err)
		}
	}
	if r := g.call(t, as("Viewer"), "GET", "/reports/lines/2026-10.html"); r.code != 200 || !strings.Contains(string(r.body), "线路lines/2026-10.narrative.json") || !strings.Contains(string(r.body), "总体运行情况") {
		t.Errorf("the lines report lacks its overview or narrative: %d", r.code)
	}

	// Frozen: the sections cannot change.
	if r := g.callBody(t, as("Editor"), "PUT", path, report.Narrative{Problems: "改"}); r.code != 409 || !strings.Contains(string(r.body), "已冻结") {
		t.Errorf("PUT after the freeze: %d %s (want 409)", r.code, r.body)
	}
	if r := g.call(t, as("Viewer"), "GET", path); !strings.Contains(string(r.body), `"frozen": true`) {
		t.Errorf("GET after the freeze: %s", r.body)
	}
}

// TestPluginNarrativeQuarter (issue 16): the narrative of a quarter is its
// own, not its latest month's. Through Grafana's gRPC protocol against a
// real Prometheus: an Editor writes the lines report's 2026Q4 sections
// (the alias of 2026-Q4), a Viewer reads them back under the period's name,
// the quarter's draft document carries them and its October document its
// own (the plugin's narrative editor offers both, Reports.test.tsx).
func TestPluginNarrativeQuarter(t *testing.T) {
	bin := buildPlugin(t)
	url := testenv.StartTestScenario(t)
	rec := startRecorder(t)
	g := startPlugin(t, bin)
	snap := t.TempDir()
	as := func(role string) *pluginv2.PluginContext {
		pc := pctxAs(1, role, map[string]any{"prometheusUrl": url, "snapshotDir": snap, "recorderUrl": rec})
		pc.AppInstanceSettings.DecryptedSecureJsonData["recorderProxySecret"] = recorderSecret
		return pc
	}
	quarter := report.Narrative{Problems: "第四季度线路问题：BGP线路两次中断。", Remedies: "已协调运营商。", NextSteps: "季度复盘。"}
	month := report.Narrative{Problems: "十月线路问题：专线抖动。", Remedies: "已更换光模块。", NextSteps: "观察。"}
	for _, c := range []struct {
		put, get, name string
		n              report.Narrative
	}{
		{"/narrative/lines/2026Q4", "/narrative/lines/2026-Q4", "2026-Q4", quarter},
		{"/narrative/lines/2026-10", "/narrative/lines/2026-10", "2026-10", month},
	} {
		r := g.callBody(t, as("Editor"), "PUT", c.put, c.n)
		var put narrativeAnswer
		if err := json.Unmarshal(r.body, &put); r.code != 200 || err != nil || put.Month != c.name {
			t.Fatalf("PUT %s: %d %s (want 200, month %s)", c.put, r.code, r.body, c.name)
		}
		if _, err := os.Stat(filepath.Join(snap, "lines", c.name+".narrative.json")); err != nil {
			t.Errorf("PUT %s: %v", c.put, err)
		}
		var got narrativeAnswer
		r = g.call(t, as("Viewer"), "GET", c.get)
		if err := json.Unmarshal(r.body, &got); r.code != 200 || err != nil || got.Month != c.name || got.Narrative != c.n || got.Frozen {
			t.Errorf("GET %s: %d %s", c.get, r.code, r.body)
		}
	}
	for _, c := range []struct{ doc, want, not string }{
		{"/reports/lines/2026-Q4.html", quarter.Problems, month.Problems},
		{"/reports/lines/2026-10.html", month.Problems, quarter.Problems},
	} {
		r := g.call(t, as("Viewer"), "GET", c.doc)
		if body := string(r.body); r.code != 200 || !strings.Contains(body, c.want) || strings.Contains(body, c.not) {
			t.Errorf("%s: %d; has its own narrative %v, the other period's %v", c.doc, r.code, strings.Contains(body, c.want), strings.Contains(body, c.not))
		}
	}
}
