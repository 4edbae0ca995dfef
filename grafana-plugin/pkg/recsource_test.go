package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"

	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

var (
	cliOnce sync.Once
	cliBin  string
	cliErr  error
)

// buildCLI builds jianguan-report once for the package's tests.
func buildCLI(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		dir, _ := os.MkdirTemp("", "jianguan-report-bin-")
		cliBin = filepath.Join(dir, "jianguan-report")
		if out, err := exec.CommandContext(context.Background(), "go", "build", "-o", cliBin, "../../cmd/jianguan-report").CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build jianguan-report: %w\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliBin
}

// runCLI runs jianguan-report in an empty directory (no default
// reports.yml or calendar) and returns its standard output.
func runCLI(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), buildCLI(t), args...)
	cmd.Dir = t.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("jianguan-report %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// recorderAdmin calls the recorder directly with its trusted headers (what
// the plugin does; here for what no page does: the Alertmanager webhook and
// storing the indicator system).
func recorderAdmin(t *testing.T, rec, path string, body any) []byte {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, rec+"/api/v1/"+path, bytes.NewReader(b))
	req.Header.Set(hdrProxySecret, recorderSecret)
	req.Header.Set(hdrUser, "lead")
	req.Header.Set(hdrRole, "Admin")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("recorder POST %s: %d %s", path, resp.StatusCode, out.String())
	}
	return out.Bytes()
}

// alertmanagerPayload is one Alertmanager webhook notification of a firing
// alert.
func alertmanagerPayload(fp string, starts time.Time, labels map[string]string) map[string]any {
	return map[string]any{"version": "4", "groupKey": "{}:{alertname=\"" + labels["alertname"] + "\"}", "status": "firing", "receiver": "noc",
		"externalURL": "http://alertmanager.example:9093", "groupLabels": map[string]string{}, "commonLabels": labels, "commonAnnotations": map[string]string{},
		"truncatedAlerts": 0, "alerts": []map[string]any{{"status": "firing", "fingerprint": fp, "startsAt": starts.Format(time.RFC3339),
			"endsAt": "0001-01-01T00:00:00Z", "labels": labels, "annotations": map[string]string{"summary": labels["alertname"]}}}}
}

// postHostDown posts a firing HostDown of web-01 (provider 阿里云, detected
// 2026-10-15 09:00 Beijing time) to the recorder's Alertmanager webhook and
// returns the alert's id.
func postHostDown(t *testing.T, rec, fingerprint string) int64 {
	t.Helper()
	var in struct {
		AlertIDs []int64 `json:"alertIds"`
	}
	json.Unmarshal(recorderAdmin(t, rec, "alertmanager", alertmanagerPayload(fingerprint, time.Date(2026, 10, 15, 1, 0, 0, 0, time.UTC),
		map[string]string{"alertname": "HostDown", "severity": "critical", "host": "web-01", "provider": "阿里云"})), &in)
	if len(in.AlertIDs) != 1 {
		t.Fatalf("webhook stored alerts %v", in.AlertIDs)
	}
	return in.AlertIDs[0]
}

// fillRecords enters a month's records as the app's users do (through the
// plugin as an Editor), plus an alert from Alertmanager: an acknowledged
// alert, an on-site inspection with an abnormal item (a finding, then
// rectified), an incident with its rectification, a handover and a manual
// score with evidence. It returns the incident's record id.
func fillRecords(t *testing.T, g *grafana, editor *pluginv2.PluginContext, rec string) int64 {
	t.Helper()
	ok := func(r resp, want int, what string) []byte {
		t.Helper()
		if r.code != want {
			t.Fatalf("%s: %d %s", what, r.code, r.body)
		}
		return r.body
	}
	// An alert as Alertmanager posts it, acknowledged on the 值班 page.
	alert := postHostDown(t, rec, "e2e0001")
	ok(g.callBody(t, editor, "POST", fmt.Sprintf("/recorder/alerts/%d/ack", alert), map[string]any{"note": "已通知阿里云值班"}), 200, "ack")

	// The on-site inspection of 2026-10-15, one item abnormal.
	var cl struct {
		Onsite struct{ Items []struct{ Name string } }
	}
	json.Unmarshal(ok(g.call(t, editor, "GET", "/recorder/checklists"), 200, "checklists"), &cl)
	var items []map[string]any
	for i, it := range cl.Onsite.Items {
		item := map[string]any{"name": it.Name, "result": records.ResultNormal}
		if i == 0 {
			item["result"], item["note"] = records.ResultAbnormal, "精密空调 2 号机滤网积尘"
		}
		items = append(items, item)
	}
	if len(items) == 0 {
		t.Fatal("no on-site checklist")
	}
	var onsite struct {
		Findings []struct{ ID int64 }
	}
	json.Unmarshal(ok(g.callBody(t, editor, "POST", "/recorder/inspections/onsite", map[string]any{"date": "2026-10-15", "inspector": "张巡检", "reviewer": "admin-user", "items": items}), 201, "on-site"), &onsite)
	if len(onsite.Findings) != 1 {
		t.Fatalf("findings %+v", onsite.Findings)
	}
	// Its rectification.
	var f struct {
		Title string          `json:"title"`
		Body  json.RawMessage `json:"body"`
	}
	json.Unmarshal(ok(g.call(t, editor, "GET", fmt.Sprintf("/recorder/records/%d", onsite.Findings[0].ID)), 200, "finding"), &f)
	var fb map[string]any
	json.Unmarshal(f.Body, &fb)
	fb["owner"], fb["deadline"], fb["measures"] = "李整改", "2026-10-31", "更换滤网"
	ok(g.callBody(t, editor, "PUT", fmt.Sprintf("/recorder/records/%d", onsite.Findings[0].ID), map[string]any{"title": f.Title, "body": fb}), 200, "rectify finding")

	// An incident with its rectification.
	var inc struct{ ID int64 }
	json.Unmarshal(ok(g.callBody(t, editor, "POST", "/recorder/incidents", map[string]any{"ns": "host", "entity": "web-01", "start": "2026-10-15T01:00:00Z",
		"end": "2026-10-15T01:40:00Z", "cause": "宿主机内存故障", "impact": "财政门户中断 40 分钟", "handler": "王处置", "measures": "更换内存条并增加巡检项",
		"owner": "赵负责", "deadline": "2026-11-15", "status": "rectifying"}), 201, "incident"), &inc)
	// A handover and a manual score with evidence.
	ok(g.callBody(t, editor, "POST", "/recorder/records", map[string]any{"kind": "handover", "title": "交接班", "body": map[string]any{"at": "2026-10-15T08:30:00+08:00",
		"from": "李值班", "to": "王值班", "notes": "夜班 HostDown 已确认，阿里云处理中。", "tickets": []string{"INC-2026-1015"}}}), 201, "handover")
	ok(g.callBody(t, editor, "POST", "/recorder/records", map[string]any{"kind": "eval_manual_score", "title": "人工评分 阿里云 vuln_rectification 2026-10",
		"body": map[string]any{"kind": "cloud", "provider": "阿里云", "indicator": "vuln_rectification", "period": "2026-10", "score": 87.5, "evidence": "整改报告 ZG-2026-10-07"}}), 201, "manual score")
	return inc.ID
}

// TestPluginRecordsDocumentsMatchCLI (issue 20): with jsonData.recorderUrl
// the plugin's documents read the records through the recorder's API and
// are the documents jianguan-report --records.db writes from the same store
// — the monthly reports' 巡检/整改/告警统计 sections and 硬件巡检情况, the
// providers assessment with its manual score (no longer 无法评价), the duty
// log and the incident report: the same JSON, byte for byte, apart from
// when each was generated. Real Prometheus, recorder and Grafana's gRPC.
func TestPluginRecordsDocumentsMatchCLI(t *testing.T) {
	bin := buildPlugin(t)
	url := testenv.StartTestScenario(t)
	checklist, err := filepath.Abs("../../deploy/etc/jianguan/inspection-onsite.yml")
	if err != nil {
		t.Fatal(err)
	}
	rec, db := startRecorderDB(t, "inspections:\n  onsite: {checklist_file: "+checklist+"}\n")
	system, err := filepath.Abs("../../deploy/etc/jianguan/evaluation.yml")
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(system)
	if err != nil {
		t.Fatal(err)
	}
	recorderAdmin(t, rec, "eval/systems", map[string]any{"file": "evaluation.yml", "yaml": string(y)})
	g := startPlugin(t, bin)
	jd := map[string]any{"prometheusUrl": url, "snapshotDir": t.TempDir(), "recorderUrl": rec, "evaluationConfig": system}
	ctxAs := func(role string) *pluginv2.PluginContext {
		pc := pctxAs(1, role, jd)
		pc.AppInstanceSettings.DecryptedSecureJsonData["recorderProxySecret"] = recorderSecret
		return pc
	}
	incident := fillRecords(t, g, ctxAs("Editor"), rec)
	viewer := ctxAs("Viewer")

	// What the records give a document: a monthly report's records
	// sections and the providers assessment (the rest is the engine's, which
	// TestPluginEvaluation and TestPluginGRPC hold to the CLI's), a records
	// document whole, except when it was made.
	norm := func(what string, b []byte) (*report.Document, []byte) {
		t.Helper()
		var d report.Document
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v: %.300s", what, err, b)
		}
		if ids := report.RecordSectionKinds(d.Kind); len(ids) > 0 || d.Kind == report.KindProviders {
			var part struct {
				Sections   []report.Section
				Evaluation json.RawMessage
			}
			for _, s := range d.Sections {
				if slices.Contains(ids, s.ID) {
					part.Sections = append(part.Sections, s)
				}
			}
			if len(part.Sections) != len(ids) {
				t.Errorf("%s: records sections %d, want %d (%v)", what, len(part.Sections), len(ids), ids)
			}
			part.Evaluation = d.Evaluation
			out, _ := json.MarshalIndent(part, "", " ")
			return &d, out
		}
		d.GeneratedAt = ""
		out, _ := json.MarshalIndent(d, "", " ")
		return &d, out
	}
	cases := []struct {
		name, path string
		cli        []string
		want       []string // in the plugin's document
	}{
		{"infrastructure", "/reports/infrastructure/2026-10.json", []string{"--kind=infrastructure", "--month=2026-10"}, []string{"张巡检", "精密空调 2 号机滤网积尘", "李整改"}},
		{"lines", "/reports/lines/2026-10.json", []string{"--kind=lines", "--month=2026-10"}, []string{"张巡检"}},
		{"hosts", "/reports/hosts/2026-10.json", []string{"--kind=hosts", "--month=2026-10", "--evaluation.config=" + system}, []string{"主机不可达", "整改报告 ZG-2026-10-07"}},
		{"providers", "/reports/providers/2026-10.json", []string{"--kind=providers", "--month=2026-10", "--evaluation.config=" + system}, []string{"整改报告 ZG-2026-10-07"}},
		{"duty-daily", "/documents/duty-daily.json?day=2026-10-15", []string{"--kind=duty-daily", "--day=2026-10-15"}, []string{"已通知阿里云值班", "夜班 HostDown 已确认", "张巡检"}},
		{"incident", fmt.Sprintf("/documents/incident.json?id=%d", incident), []string{"--kind=incident", fmt.Sprintf("--id=%d", incident)}, []string{"宿主机内存故障", "赵负责", "更换内存条并增加巡检项"}},
	}
	for _, c := range cases {
		r := g.call(t, viewer, "GET", c.path)
		if r.code != 200 {
			t.Errorf("%s: %d %s", c.name, r.code, r.body)
			continue
		}
		pd, p := norm("plugin "+c.name, r.body)
		_, cl := norm("cli "+c.name, runCLI(t, append(c.cli, "--prometheus.url="+url, "--format=json", "--records.db="+db)...))
		if !bytes.Equal(p, cl) {
			t.Errorf("%s: the plugin's document differs from jianguan-report --records.db's:\n%s", c.name, firstDiff(p, cl))
		}
		for _, w := range append(c.want, "") {
			if w == "" {
				w = report.NoRecordsStore
				if bytes.Contains(p, []byte(w)) {
					t.Errorf("%s: still says %s", c.name, w)
				}
				continue
			}
			if !bytes.Contains(p, []byte(w)) {
				t.Errorf("%s: %q is not in the plugin's document", c.name, w)
			}
		}
		if c.name == "providers" && !strings.Contains(string(pd.Evaluation), "整改报告 ZG-2026-10-07") {
			t.Errorf("providers: the assessment does not use the manual score: %.400s", pd.Evaluation)
		}
	}
	// The HTML the 值班 page links to; a bad argument is 400 naming it.
	if r := g.call(t, viewer, "GET", "/documents/duty-weekly.html?week=2026-W42"); r.code != 200 || !strings.Contains(string(r.body), "值班周报") {
		t.Errorf("duty-weekly html: %d %.300s", r.code, r.body)
	}
	for path, want := range map[string]string{
		"/documents/duty-daily.html?day=2026-13-01": "day",
		"/documents/incident.html?id=x":             "id",
		"/documents/duty-daily.html?week=2026-W42":  "week is not used by duty-daily",
		"/documents/guard.html?period=国庆":           "calendar",
		"/documents/other.html":                     "unknown records document",
		"/documents/duty-daily.doc":                 "format",
	} {
		if r := g.call(t, viewer, "GET", path); r.code != 400 || !strings.Contains(string(r.body), want) {
			t.Errorf("%s: %d %s (want 400 naming %q)", path, r.code, r.body, want)
		}
	}
}

// firstDiff shows where two documents first differ.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(i-200, 0)
	return fmt.Sprintf("at byte %d:\nplugin: …%s…\ncli:    …%s…", i, a[lo:min(i+200, len(a))], b[lo:min(i+200, len(b))])
}
