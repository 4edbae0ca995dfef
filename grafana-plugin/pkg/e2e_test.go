package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

const secretPW = "s3cr3t-Pa55w0rd-xyz"

// buildPlugin runs build.sh (as `make plugin` does), checks the archive
// layout the plugin validator expects and returns the extracted binary.
func buildPlugin(t *testing.T) string {
	t.Helper()
	return checkDist(t)
}

type grafana struct {
	diag   grpcplugin.DiagnosticsClient
	res    grpcplugin.ResourceClient
	cmd    *exec.Cmd
	client *plugin.Client
}

// startPlugin starts the binary like Grafana does: go-plugin handshake
// (protocol 2, grafana_plugin_type=datasource), gRPC, an almost empty env.
func startPlugin(t *testing.T, bin string) *grafana {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = []string{"JIANGUAN_REPORT_NOW=2026-11-29T00:00:00Z"} // no HOME, no PATH
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: plugin.HandshakeConfig{ProtocolVersion: 2, MagicCookieKey: "grafana_plugin_type", MagicCookieValue: "datasource"},
		Plugins: map[string]plugin.Plugin{
			"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
			"resource":    &grpcplugin.ResourceGRPCPlugin{},
		},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     30 * time.Second,
		Stderr:           io.Discard,
		Logger:           hclog.New(&hclog.LoggerOptions{Output: io.Discard, Level: hclog.Error}),
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatal(err)
	}
	d, err := rpc.Dispense("diagnostics")
	if err != nil {
		t.Fatal(err)
	}
	r, err := rpc.Dispense("resource")
	if err != nil {
		t.Fatal(err)
	}
	return &grafana{diag: d.(grpcplugin.DiagnosticsClient), res: r.(grpcplugin.ResourceClient), cmd: cmd, client: client}
}

// pctx is the PluginContext Grafana sends for an org Admin.
func pctx(org int64, jsonData map[string]any) *pluginv2.PluginContext {
	return pctxAs(org, "Admin", jsonData)
}

// pctxAs is the PluginContext Grafana sends for a user with an org role
// ("" = no user in the context).
func pctxAs(org int64, role string, jsonData map[string]any) *pluginv2.PluginContext {
	jd, _ := json.Marshal(jsonData)
	pc := &pluginv2.PluginContext{OrgId: org, PluginId: PluginID, AppInstanceSettings: &pluginv2.AppInstanceSettings{
		JsonData: jd, DecryptedSecureJsonData: map[string]string{"basicAuthPassword": secretPW}, LastUpdatedMS: org}}
	if role != "" {
		pc.User = &pluginv2.User{Login: strings.ToLower(role) + "-user", Role: role}
	}
	return pc
}

type resp struct {
	code    int
	headers map[string][]string
	body    []byte
}

func (g *grafana) call(t *testing.T, pc *pluginv2.PluginContext, method, path string) resp {
	t.Helper()
	return g.callRaw(t, pc, method, path, nil)
}

// callRaw is call with a request body.
func (g *grafana) callRaw(t *testing.T, pc *pluginv2.PluginContext, method, path string, body []byte) resp {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	u := path
	p := strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	stream, err := g.res.CallResource(ctx, &pluginv2.CallResourceRequest{PluginContext: pc, Path: p, Method: method, Url: u, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	var r resp
	first := true
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		if first {
			r.code = int(m.Code)
			r.headers = map[string][]string{}
			for k, v := range m.Headers {
				r.headers[k] = v.Values
			}
			first = false
		}
		if len(m.Body) > 1<<20 {
			t.Errorf("%s: a gRPC message carries %d bytes (> 1 MiB)", path, len(m.Body))
		}
		r.body = append(r.body, m.Body...)
	}
	if bytes.Contains(r.body, []byte(secretPW)) {
		t.Errorf("%s %s: response contains the password", method, path)
	}
	return r
}

func TestPluginGRPC(t *testing.T) {
	prom := testutil.Need(t, "prometheus")
	bin := buildPlugin(t)
	url := testenv.StartTestScenario(t)
	sp := simhistory.TestScenario(2026, time.October, 300*time.Second) // its truth
	g := startPlugin(t, bin)
	snap := t.TempDir()
	good := pctx(1, map[string]any{"prometheusUrl": url, "basicAuthUser": "grafana", "snapshotDir": snap, "timeoutSeconds": 60})
	ctx := context.Background()

	// CheckHealth: reachable, metrics present, retention covers 13 months.
	h, err := g.diag.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: good})
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != pluginv2.CheckHealthResponse_OK || !strings.Contains(h.Message, "retention") {
		t.Fatalf("health: %v %s", h.Status, h.Message)
	}
	// Issue 24 item 3: the health check names the plugin's version and revision.
	if !strings.HasPrefix(h.Message, "jianguan ") || !strings.Contains(string(h.JsonDetails), `"revision":`) {
		t.Errorf("health lacks the plugin's version: %s %s", h.Message, h.JsonDetails)
	}
	// Short retention is reported.
	short := startShortRetention(t, prom)
	h, _ = g.diag.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: pctx(2, map[string]any{"prometheusUrl": short})})
	if h.Status != pluginv2.CheckHealthResponse_ERROR || !strings.Contains(h.Message, "retention 15d") || !strings.Contains(h.Message, "metrics missing") {
		t.Errorf("short retention health: %v %s", h.Status, h.Message)
	}
	// Down Prometheus.
	down := pctx(3, map[string]any{"prometheusUrl": "http://grafana:" + secretPW + "@" + closedAddr(t), "timeoutSeconds": 5})
	h, _ = g.diag.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: down})
	if h.Status != pluginv2.CheckHealthResponse_ERROR || strings.Contains(h.Message, secretPW) || !strings.Contains(h.Message, "unreachable") {
		t.Errorf("down health: %v %q", h.Status, h.Message)
	}

	// List.
	r := g.call(t, good, "GET", "/reports")
	if r.code != 200 || !bytes.Contains(r.body, []byte(`"2026-10"`)) || !bytes.Contains(r.body, []byte(`"providers"`)) {
		t.Fatalf("list: %d %s", r.code, r.body)
	}

	// The lines report through gRPC matches the truth.
	r = g.call(t, good, "GET", "/reports/lines/2026-10.json")
	if r.code != 200 {
		t.Fatalf("lines json: %d %s", r.code, r.body)
	}
	var doc report.Document
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	ms, me := simhistory.MonthBounds(2026, time.October)
	if doc.PeriodStart != "2026-10-01T00:00:00+08:00" || doc.PeriodEnd != "2026-11-01T00:00:00+08:00" {
		t.Errorf("period %s %s", doc.PeriodStart, doc.PeriodEnd)
	}
	got := map[string]report.EntityResult{}
	for _, e := range doc.Entities {
		got[e.Name] = e
	}
	for _, e := range sp.Entities {
		if e.NS != "line" {
			continue
		}
		tr := e.TruthFor(ms, me)
		g := got[e.Labels["line"]]
		if math.Abs(g.DownSeconds-tr.Down) > 1 || len(g.Incidents) != len(tr.Incidents) {
			t.Errorf("%s: down %v (truth %v), %d incidents (truth %d)", e.Labels["line"], g.DownSeconds, tr.Down, len(g.Incidents), len(tr.Incidents))
			continue
		}
		for i, in := range tr.Incidents {
			if g.Incidents[i].StartUnix != in.Start.Unix() {
				t.Errorf("%s incident %d start %s, truth %s", e.Labels["line"], i, g.Incidents[i].Start, in.Start)
			}
		}
	}

	// Other formats.
	for _, f := range []string{"html", "csv", "xlsx"} {
		r := g.call(t, good, "GET", "/reports/hosts/2026-10."+f)
		if r.code != 200 || len(r.body) < 1000 || r.headers["Content-Type"][0] != report.ContentType(f) {
			t.Errorf("hosts.%s: %d %d bytes %v", f, r.code, len(r.body), r.headers["Content-Type"])
		}
	}

	// Bad input → 400 with a clear message.
	for path, want := range map[string]string{
		"/reports/bogus/2026-10.html":                       "unknown report kind",
		"/reports/lines/2026-13.html":                       "no such month",
		"/reports/lines/26-10.html":                         "want YYYY-MM",
		"/reports/lines/2099-01.html":                       "has not begun",
		"/reports/lines/2026-Q5.html":                       "quarter 5: want 1..4",
		"/reports/lines.html?period=2026-11-17..2026-11-03": "is before first day",
		"/reports/lines.html":                               "no period",
		"/reports/lines/2026-10.doc":                        "unsupported format",
		"/reports/lines/2026-10.exe":                        "unsupported format",
		"/reports/lines/2026-10":                            "want /reports/",
		"/reports/lines/../etc/passwd":                      "",
	} {
		r := g.call(t, good, "GET", path)
		if r.code != 400 || !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("%s: %d %s (want 400 %q)", path, r.code, r.body, want)
		}
	}

	// Issue 16 item 4: any period, one engine. The current month (the
	// plugin's clock: 29 November 08:00) is a 截至 draft whose freeze is
	// refused; a quarter comes with its per-month rows and 环比; a range is
	// asked for with ?period= (a path cannot hold "..").
	r = g.call(t, good, "GET", "/reports/lines/2026-11.json")
	var draft report.Document
	if err := json.Unmarshal(r.body, &draft); r.code != 200 || err != nil || !draft.Draft || !strings.Contains(draft.PeriodText, "截至 2026年11月29日 8时（北京时间）") {
		t.Errorf("current month: %d draft %v %q", r.code, draft.Draft, draft.PeriodText)
	}
	if r := g.call(t, good, "POST", "/reports/lines/2026-11/freeze"); r.code != 409 || !bytes.Contains(r.body, []byte("草稿不可冻结")) {
		t.Errorf("freeze of the current month: %d %s", r.code, r.body)
	}
	for path, check := range map[string]func(d report.Document) bool{
		"/reports/lines/2026-Q4.json": func(d report.Document) bool { return d.Draft && len(d.PerMonth) == 2 && d.PreviousPeriod == "2026-Q3" }, // October, November up to the 29th
		"/reports/lines.json?period=2026-10-01..2026-10-15": func(d report.Document) bool {
			return d.PeriodKind == "range" && len(d.PerMonth) == 0 && d.PeriodEnd == "2026-10-16T00:00:00+08:00"
		},
		"/reports/lines.json?month=2026-10": func(d report.Document) bool { return d.Month == "2026-10" && !d.Draft && len(d.Comparison) > 0 },
	} {
		r := g.call(t, good, "GET", path)
		var d report.Document
		if err := json.Unmarshal(r.body, &d); r.code != 200 || err != nil || !check(d) {
			t.Errorf("%s: %d %v draft %v perMonth %d previous %q kind %q", path, r.code, err, d.Draft, len(d.PerMonth), d.PreviousPeriod, d.PeriodKind)
		}
	}
	if r := g.call(t, good, "GET", "/reports"); !bytes.Contains(r.body, []byte(`"period": "2026-Q4"`)) || !bytes.Contains(r.body, []byte(`"draft": true`)) {
		t.Errorf("list lacks the offered periods: %s", r.body)
	}

	// Injection: a label value from a parameter is escaped.
	inj := `dc1"} or vector(1) or up{x="`
	// The escaped filter matches nothing: 本期无监测数据 naming the filter
	// (JSON-escaped in the body), never a report of the injected query.
	r = g.call(t, good, "GET", "/reports/lines/2026-10.json?site="+urlEscape(inj))
	var ierr struct{ Error string }
	json.Unmarshal(r.body, &ierr)
	if r.code != 404 || !strings.Contains(ierr.Error, "本期无监测数据") || !strings.Contains(ierr.Error, `site="dc1\"} or vector(1) or up{x=\""`) {
		t.Errorf("injection not neutralised: %d %s", r.code, r.body)
	}
	var idoc report.Document
	r = g.call(t, good, "GET", "/reports/lines/2026-10.json?site=dc2")
	json.Unmarshal(r.body, &idoc)
	if len(idoc.Entities) != 2 || idoc.Entities[0].Name != "cm-bgp-2" || idoc.Entities[1].Name != "ct-leased-2" {
		t.Errorf("site filter (the scenario's two dc2 lines): %+v", idoc.Entities)
	}

	// Prometheus down → 502; too slow → 504; never a partial report; no secrets.
	r = g.call(t, down, "GET", "/reports/lines/2026-10.html")
	if r.code != 502 || !bytes.Contains(r.body, []byte("no report was produced")) || bytes.Contains(r.body, []byte("<html")) {
		t.Errorf("down: %d %s", r.code, r.body)
	}
	slow := slowServer(t)
	r = g.call(t, pctx(4, map[string]any{"prometheusUrl": slow, "timeoutSeconds": 1}), "GET", "/reports/lines/2026-10.html")
	if r.code != 504 || !bytes.Contains(r.body, []byte("did not answer")) {
		t.Errorf("slow: %d %s", r.code, r.body)
	}

	// Freeze (its editable sections filled), then re-render byte-identically.
	fillNarrative(t, snap, "lines", "2026-10")
	r = g.call(t, good, "POST", "/reports/lines/2026-10/freeze")
	if r.code != 200 || !bytes.Contains(r.body, []byte("sha256")) {
		t.Fatalf("freeze: %d %s", r.code, r.body)
	}
	if r2 := g.call(t, good, "POST", "/reports/lines/2026-10/freeze"); r2.code != 409 {
		t.Errorf("second freeze: %d", r2.code)
	}
	a := g.call(t, good, "GET", "/reports/lines/2026-10.html")
	b := g.call(t, good, "GET", "/reports/lines/2026-10.html")
	if a.code != 200 || !bytes.Equal(a.body, b.body) || !bytes.Contains(a.body, []byte("已冻结")) {
		t.Errorf("frozen html not byte-identical / not marked (%d)", a.code)
	}
	// Frozen month survives Prometheus going away.
	r = g.call(t, pctx(5, map[string]any{"prometheusUrl": "http://" + closedAddr(t), "snapshotDir": snap}), "GET", "/reports/lines/2026-10.csv")
	if r.code != 200 {
		t.Errorf("frozen csv without Prometheus: %d %s", r.code, r.body)
	}

	// PDF through the plugin (one Chromium start) and its text.
	if os.Getenv("SKIP_PDF") == "" {
		testutil.Need(t, "chromium")
		pdftotext := testutil.Need(t, "pdftotext")
		st := time.Now()
		r = g.call(t, good, "GET", "/reports/lines/2026-10.pdf")
		if r.code != 200 || !bytes.HasPrefix(r.body, []byte("%PDF-")) {
			t.Fatalf("pdf: %d %.300s", r.code, r.body)
		}
		t.Logf("PDF via plugin in %v, %d bytes", time.Since(st), len(r.body))
		pf := filepath.Join(t.TempDir(), "r.pdf")
		os.WriteFile(pf, r.body, 0o644)
		out, err := exec.Command(pdftotext, "-layout", pf, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		txt := string(out)
		for _, want := range []string{"数据机房线路检查与巡检运行情况月度工作报告", "线路可用性", "故障事件", "附录", "ct-bgp-1", "cm-bgp-2",
			"99.9902", "无法判定", "已冻结", "2026-10"} { // 99.990255… rounded down (docfmt.Availability)
			if !strings.Contains(txt, want) {
				t.Errorf("PDF text lacks %q", want)
			}
		}
		// A second PDF is printed by the same (persistent) browser, and
		// stopping the plugin the way Grafana does leaves no browser behind.
		before := descendants(g.cmd.Process.Pid)
		if len(before) == 0 {
			t.Fatal("no browser process under the plugin after a PDF")
		}
		r = g.call(t, good, "GET", "/reports/hosts/2026-10.pdf")
		if r.code != 200 || !bytes.HasPrefix(r.body, []byte("%PDF-")) {
			t.Fatalf("second pdf: %d %.300s", r.code, r.body)
		}
		after := descendants(g.cmd.Process.Pid)
		for pid, c := range before {
			if _, ok := after[pid]; !ok && !strings.Contains(c, "--type=") { // tabs' renderers come and go
				t.Errorf("browser process %s (%s) gone after the second PDF: not reused", pid, c)
			}
		}
		g.client.Kill()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var left []string
			for pid, cmdline := range before {
				if alive(pid) {
					left = append(left, cmdline)
				}
			}
			if len(left) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("browser processes left after the plugin stopped: %v", left)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// descendants maps every live (non-zombie) descendant of pid to its
// command line.
func descendants(pid int) map[string]string {
	parent := map[string]string{}
	cmdline := map[string]string{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		st, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(st), ')')
		f := strings.Fields(string(st)[i+1:])
		if len(f) < 2 || f[0] == "Z" {
			continue
		}
		parent[e.Name()] = f[1]
		c, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		cmdline[e.Name()] = strings.ReplaceAll(string(c), "\x00", " ")
	}
	out := map[string]string{}
	root := fmt.Sprint(pid)
	for p := range parent {
		for q, n := parent[p], 0; q != "" && n < 64; q, n = parent[q], n+1 {
			if q == root {
				out[p] = cmdline[p]
				break
			}
		}
	}
	return out
}

// alive reports whether /proc/pid exists and is not a zombie.
func alive(pid string) bool {
	st, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(st), ')')
	f := strings.Fields(string(st)[i+1:])
	return len(f) > 0 && f[0] != "Z"
}

func urlEscape(s string) string {
	r := strings.NewReplacer("%", "%25", " ", "%20", `"`, "%22", "{", "%7B", "}", "%7D", "(", "%28", ")", "%29", "=", "%3D", "#", "%23", "&", "%26")
	return r.Replace(s)
}

func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Addr().String()
	l.Close()
	return a
}

func slowServer(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
		}
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

// startShortRetention runs an empty Prometheus with Prometheus' default
// retention of 15 d, set explicitly (testenv's default is 10 y).
func startShortRetention(t *testing.T, prom string) string {
	t.Helper()
	return testenv.StartPrometheusConfig(t, prom, "global: {}\n", filepath.Join(t.TempDir(), "d"),
		"--storage.tsdb.retention.time=15d", "--log.level=error")
}
