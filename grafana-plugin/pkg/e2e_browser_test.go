package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// grafanaShim is the stand-in for Grafana's own HTTP server in the
// end-to-end test, on loopback: it serves the host page (e2e/host/, built by
// scripts/frontend.sh e2e-host) and the app's built dist module.js, and it
// is Grafana's resource proxy — /api/plugins/<id>/resources/* becomes the
// plugin's CallResource over Grafana's plugin gRPC protocol with the signed-in
// user's PluginContext (login, organisation role) and the app's settings.
// The "session" is the shim's current user, which the test switches.
type grafanaShim struct {
	g        *grafana
	jsonData map[string]any
	secure   map[string]string
	hostDir  string // build/e2e-host
	module   string // build/frontend/module.js

	mu           sync.Mutex
	login, role  string
	theme        string // light or dark
	pageLanguage string
}

func (s *grafanaShim) as(login, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.login, s.role = login, role
}

func (s *grafanaShim) setTheme(theme string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.theme = theme
}

const resourcesPrefix = "/api/plugins/" + PluginID + "/resources/"

func (s *grafanaShim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, resourcesPrefix):
		s.resource(w, r)
	case p == "/public/plugins/"+PluginID+"/module.js":
		w.Header().Set("Content-Type", "text/javascript")
		http.ServeFile(w, r, s.module)
	case strings.HasPrefix(p, "/public/e2e-host/") && !strings.Contains(p, ".."):
		w.Header().Set("Content-Type", "text/javascript")
		http.ServeFile(w, r, filepath.Join(s.hostDir, strings.TrimPrefix(p, "/public/e2e-host/")))
	case strings.HasPrefix(p, "/a/"+PluginID+"/"):
		s.hostPage(w)
	default:
		http.NotFound(w, r)
	}
}

// hostPage is the HTML Grafana would serve for an app page: the boot data
// (user, theme, the app's jsonData) and the host bundle.
func (s *grafanaShim) hostPage(w http.ResponseWriter) {
	s.mu.Lock()
	boot, _ := json.Marshal(map[string]any{
		"pluginId":  PluginID,
		"moduleUrl": "/public/plugins/" + PluginID + "/module.js",
		"user":      map[string]string{"login": s.login, "orgRole": s.role, "language": s.pageLanguage},
		"theme":     s.theme,
		"jsonData":  map[string]any{"serviceStart": "2026-01"},
	})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>%s</title>
<script>window.jianguanBoot = %s; window.jianguanErrors = [];
addEventListener('error', (e) => jianguanErrors.push(String(e.message)));
addEventListener('unhandledrejection', (e) => jianguanErrors.push(String(e.reason)));
window.jianguanConsole = []; const ce = console.error; console.error = (...a) => { jianguanConsole.push(a.map(String).join(' ').slice(0, 300)); ce(...a); };</script>
</head><body><div id="root"></div><script src="/public/e2e-host/host.js"></script></body></html>`, html.EscapeString("监管 · Grafana (e2e host)"), boot)
}

// resource forwards one call to the plugin as Grafana's resource proxy does.
func (s *grafanaShim) resource(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	pc := pctxAs(1, s.role, s.jsonData)
	pc.User.Login = s.login
	s.mu.Unlock()
	for k, v := range s.secure {
		pc.AppInstanceSettings.DecryptedSecureJsonData[k] = v
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 2<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, resourcesPrefix)
	u := "/" + path
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	hdr := map[string]*pluginv2.StringList{}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		hdr["Content-Type"] = &pluginv2.StringList{Values: []string{ct}}
	}
	stream, err := s.g.res.CallResource(r.Context(), &pluginv2.CallResourceRequest{PluginContext: pc, Path: path, Method: r.Method, Url: u, Body: body, Headers: hdr})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	first := true
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			if first {
				http.Error(w, err.Error(), http.StatusBadGateway)
			}
			return
		}
		if first {
			for k, v := range m.Headers {
				for _, x := range v.Values {
					w.Header().Add(k, x)
				}
			}
			w.WriteHeader(int(m.Code))
			first = false
		}
		w.Write(m.Body)
	}
}

// tab drives one browser tab over CDP (report.Page).
type tab struct {
	t    *testing.T
	page *report.Page
	base string
}

func (*tab) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 60*time.Second)
}

func (b *tab) do(method string, params, result any) {
	b.t.Helper()
	ctx, cancel := b.ctx()
	defer cancel()
	if err := b.page.Do(ctx, method, params, result); err != nil {
		b.t.Fatalf("%s: %v", method, err)
	}
}

// eval runs a JavaScript expression (promises awaited) and decodes its value.
func (b *tab) eval(expr string, out any) {
	b.t.Helper()
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	b.do("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res)
	if res.ExceptionDetails != nil {
		b.t.Fatalf("%s: %s %s", expr, res.ExceptionDetails.Text, res.ExceptionDetails.Exception.Description)
	}
	if out != nil && len(res.Result.Value) > 0 {
		if err := json.Unmarshal(res.Result.Value, out); err != nil {
			b.t.Fatalf("%s: %v (%s)", expr, err, res.Result.Value)
		}
	}
}

// waitFor polls a JavaScript condition until it is true (30 s).
func (b *tab) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var ok bool
		b.eval("!!("+cond+")", &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var errs []string
			b.eval(`[...(window.jianguanErrors || []), ...(window.jianguanConsole || [])]`, &errs)
			b.t.Fatalf("waiting for %s: not there after 30 s; JavaScript errors and console.error %q; the page says:\n%.2000s", what, errs, b.text())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// text is what the page shows (innerText).
func (b *tab) text() string {
	var s string
	b.eval(`document.body.innerText`, &s)
	return s
}

// waitText waits until the page shows every one of want.
func (b *tab) waitText(want ...string) {
	b.t.Helper()
	js, _ := json.Marshal(want)
	b.waitFor(strings.Join(want, ", "), string(js)+`.every((w) => document.body.innerText.includes(w))`)
}

// open loads an app page and waits for the app to be mounted.
func (b *tab) open(page string) {
	b.t.Helper()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	b.do("Page.navigate", map[string]any{"url": b.base + "/a/" + PluginID + "/" + page}, &nav)
	if nav.ErrorText != "" {
		b.t.Fatalf("navigate %s: %s", page, nav.ErrorText)
	}
	b.waitFor("the app mounted", `window.jianguanMounted && document.querySelector('[role="tablist"]')`)
}

// typeInto focuses the control with the aria-label (the first one, or the
// n-th of several) and types text as a user does (CDP Input.insertText:
// real input events), replacing what it held.
func (b *tab) typeInto(label, text string) {
	b.t.Helper()
	js, _ := json.Marshal(label)
	var ok bool
	b.eval(`(() => { const e = document.querySelector('[aria-label=' + JSON.stringify(`+string(js)+`) + ']'); if (!e) return false; e.focus(); e.select && e.select(); return true; })()`, &ok)
	if !ok {
		b.t.Fatalf("no control labelled %q; the page says:\n%.2000s", label, b.text())
	}
	b.do("Input.insertText", map[string]any{"text": text}, nil)
}

// click clicks the enabled element matching selector whose text is what
// (or else the first whose text contains it), once there is one (30 s).
func (b *tab) click(selector, what string) {
	b.t.Helper()
	s, _ := json.Marshal(selector)
	w, _ := json.Marshal(what)
	all := `[...document.querySelectorAll(` + string(s) + `)].filter((x) => !x.disabled)`
	find := `(` + all + `.find((x) => x.textContent.trim() === ` + string(w) + `) || ` + all + `.find((x) => x.textContent.includes(` + string(w) + `)))`
	b.waitFor(fmt.Sprintf("%s %q to click", selector, what), find)
	b.eval(find+`.click()`, nil)
}

// fetchAs calls a resource from the page as the signed-in user does.
func (b *tab) fetch(method, path, body string) (int, string) {
	b.t.Helper()
	var out struct {
		Status int    `json:"status"`
		Text   string `json:"text"`
	}
	m, _ := json.Marshal(method)
	u, _ := json.Marshal(resourcesPrefix + strings.TrimPrefix(path, "/"))
	bd := "undefined"
	if body != "" {
		bj, _ := json.Marshal(body)
		bd = string(bj)
	}
	b.eval(`fetch(`+string(u)+`, {method: `+string(m)+`, body: `+bd+`, headers: {'Content-Type': 'application/json'}}).then(async (r) => ({status: r.status, text: await r.text()}))`, &out)
	return out.Status, out.Text
}

// noErrors fails on a JavaScript error the page reported.
func (b *tab) noErrors(where string) {
	b.t.Helper()
	var errs []string
	b.eval(`window.jianguanErrors || []`, &errs)
	if len(errs) > 0 {
		b.t.Errorf("%s: JavaScript errors: %v", where, errs)
	}
}

// screenshot saves the whole page as PNG, 1280 px wide.
func (b *tab) screenshot(path string) {
	b.t.Helper()
	time.Sleep(300 * time.Millisecond) // the last paint (fonts, transitions)
	var h int
	b.eval(`Math.ceil(document.documentElement.scrollHeight)`, &h)
	if h > 6000 {
		h = 6000
	}
	b.do("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": h, "deviceScaleFactor": 1, "mobile": false}, nil)
	var shot struct {
		Data string `json:"data"`
	}
	b.do("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.do("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil)
}

// TestPluginBrowserE2E drives the built app (dist module.js) in Debian's
// headless Chromium, mounted in a host page that stands in for Grafana's
// frontend, against the real plugin backend over Grafana's gRPC protocol,
// a real Prometheus (the October 2026 scenario) and the real recorder:
// every page renders its zh-CN text; an Editor writes the narrative, an
// on-site inspection (one item abnormal: a finding for rectification) and
// a handover, each still there after a reload; a Viewer's write is refused
// with the 403 naming the role, shown by the page; an Admin signs off
// (freezes) the month from the 报告 page and the generated report carries
// the narrative; the 评估 page shows the month's grades and the annual
// rating. With JIANGUAN_SCREENSHOTS=dir it saves every page, light and
// dark, as dir/plugin-<page>-<theme>.png (make plugin-screenshots).
func TestPluginBrowserE2E(t *testing.T) {
	testutil.Need(t, "chromium")
	here, _ := os.Getwd()
	root := filepath.Dir(here) // grafana-plugin/
	if _, err := os.Stat(filepath.Join(root, "node_modules", ".bin", "webpack")); err != nil {
		if testutil.InCI() {
			t.Fatal("grafana-plugin/node_modules is missing: make test runs make plugin-frontend-test (npm ci) first")
		}
		t.Skip("grafana-plugin/node_modules is missing (make plugin-frontend-test installs it): no frontend to drive")
	}
	bin := buildPlugin(t) // build.sh: the frontend into build/frontend/module.js, the backend
	module := filepath.Join(root, "build", "frontend", "module.js")
	if _, err := os.Stat(module); err != nil {
		t.Skipf("the built frontend is missing (%v): make plugin builds it", err)
	}
	st := time.Now()
	if out, err := exec.CommandContext(context.Background(), "bash", filepath.Join(root, "scripts", "frontend.sh"), "e2e-host").CombinedOutput(); err != nil {
		t.Fatalf("building the host page: %v\n%s", err, out)
	}
	t.Logf("host page built (or up to date) in %v", time.Since(st).Round(time.Millisecond))

	url := testenv.StartTestScenario(t)
	checklist, err := filepath.Abs("../../deploy/etc/jianguan/inspection-onsite.yml")
	if err != nil {
		t.Fatal(err)
	}
	rec := startRecorderWith(t, "inspections:\n  onsite: {checklist_file: "+checklist+"}\n")
	system, err := filepath.Abs("../../deploy/etc/jianguan/evaluation.yml")
	if err != nil {
		t.Fatal(err)
	}
	g := startPlugin(t, bin)
	snapDir := t.TempDir()
	shim := &grafanaShim{g: g, hostDir: filepath.Join(root, "build", "e2e-host"), module: module, theme: "light", pageLanguage: "zh-Hans",
		jsonData: map[string]any{"prometheusUrl": url, "snapshotDir": snapDir, "recorderUrl": rec, "evaluationConfig": system},
		secure:   map[string]string{"recorderProxySecret": recorderSecret}}
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: shim, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	browser := report.NewPDFRenderer("", 1)
	t.Cleanup(func() { browser.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	page, err := browser.NewPage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// localhost, not 127.0.0.1: the browser's resolver rules map every other
	// name, IP literals included, to NOTFOUND (report/browser.go).
	b := &tab{t: t, page: page, base: "http://localhost:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)}
	b.do("Emulation.setDeviceMetricsOverride", map[string]any{"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil)
	b.do("Emulation.setScrollbarsHidden", map[string]any{"hidden": true}, nil) // a scrollbar would crop the screenshots' right edge

	// Every page renders its zh-CN text (as an Editor).
	shim.as("editor-user", "Editor")
	for _, c := range []struct {
		page string
		want []string
	}{
		{"reports", []string{"报告按 Asia/Shanghai 自然月计算", "2026-10", "草稿（未冻结）", "报告正文 · 2026-10", "主要问题及原因分析"}},
		{"inspections", []string{"提交现场巡检", "巡检人"}},
		{"duty", []string{"交接班说明", "记录"}},
		{"incidents", []string{"整改"}},
		{"evaluation", []string{"月度等级", "年度评级 · 2026", "人工评分", "提交评分"}},
	} {
		b.open(c.page)
		b.waitText(append([]string{"报告", "巡检", "值班", "事件与整改", "评估"}, c.want...)...)
		b.noErrors(c.page)
	}

	// The narrative editor: an Editor fills the three sections; after a
	// reload they are still there.
	narrative := map[string]string{
		"主要问题及原因分析":  "10月3日A机房空调压缩机故障，机房温度短时超过告警阈值。",
		"整改措施及完成情况":  "已更换压缩机，10月5日恢复正常。",
		"下一步工作计划及建议": "加强空调巡检频次。",
	}
	b.open("reports")
	b.waitText("未填写的章节")
	for label, text := range narrative {
		b.typeInto(label, text)
	}
	b.click("button", "保存正文")
	b.waitText("已保存")
	b.open("reports")
	for label, text := range narrative {
		js, _ := json.Marshal(label)
		tj, _ := json.Marshal(text)
		b.waitFor(label+" after a reload", `document.querySelector('[aria-label='+JSON.stringify(`+string(js)+`)+']')?.value === `+string(tj))
	}

	// The on-site inspection: every item answered, the first 异常 with a note.
	b.open("inspections")
	b.waitText("提交现场巡检")
	b.typeInto("巡检人", "张巡检")
	b.typeInto("复核人", "admin-user")
	var items int
	// Each item's radio group is 正常, 异常 in that order.
	b.eval(`(() => { const ins = [...document.querySelectorAll('form[aria-label="现场巡检"] input[type=radio]')];
		let n = 0; for (let i = 0; i + 1 < ins.length; i += 2) { ins[i === 0 ? i + 1 : i].click(); n++; } return n; })()`, &items)
	if items == 0 {
		t.Fatalf("the on-site form has no checklist item:\n%s", b.text())
	}
	var noteLabel string
	b.eval(`document.querySelector('form[aria-label="现场巡检"] input[placeholder="说明（异常必填）"]').getAttribute('aria-label')`, &noteLabel)
	b.typeInto(noteLabel, "地面积尘、有纸箱，已安排清理")
	b.click("button", "提交现场巡检")
	b.waitText("已保存现场巡检 #", "新发现问题 1 项")
	b.open("inspections")
	b.waitText("张巡检")
	b.open("incidents")
	b.waitText("地面积尘、有纸箱") // the finding, for rectification
	b.noErrors("inspection")

	// A handover.
	b.open("duty")
	b.typeInto("交班人", "李值班")
	b.typeInto("接班人", "王值班")
	b.typeInto("交接班说明", "夜班平稳；UPS 告警已报修。")
	b.click("button", "记录")
	b.waitText("夜班平稳；UPS 告警已报修。")
	b.open("duty")
	b.waitText("李值班", "王值班", "夜班平稳；UPS 告警已报修。")

	// The records: an acknowledgement, an incident's rectification and a
	// manual score, each in its document; a Viewer refused each
	// (e2e_records_test.go).
	e2eRecordFlows(t, b, shim, rec)

	// A Viewer: the page shows the server's refusal naming the role; the
	// narrative is read only, and a direct write is refused too.
	shim.as("viewer-user", "Viewer")
	b.open("duty")
	b.typeInto("交班人", "赵只读")
	b.typeInto("接班人", "钱只读")
	b.typeInto("交接班说明", "只读用户的交接")
	b.click("button", "记录")
	b.waitText("权限不足", "Editor")
	b.open("duty")
	if strings.Contains(b.text(), "只读用户的交接") {
		t.Error("a Viewer's handover was recorded")
	}
	b.open("reports")
	b.waitText("只读：编写正文需要 Editor")
	if code, body := b.fetch("PUT", "/narrative/infrastructure/2026-10", `{"problems":"改"}`); code != 403 || !strings.Contains(body, "Editor") {
		t.Errorf("a Viewer's narrative PUT: %d %s", code, body)
	}
	if code, body := b.fetch("POST", "/reports/infrastructure/2026-10/freeze", ""); code != 403 || !strings.Contains(body, "Admin") {
		t.Errorf("a Viewer's freeze: %d %s", code, body)
	}

	// An Admin signs off (freezes) the month from the 报告 page, after the
	// confirmation; the report generated then carries the narrative.
	shim.as("admin-user", "Admin")
	b.open("reports")
	b.click("button", "签署并冻结")
	b.waitText("冻结 数据机房基础设施 2026-10？")
	b.click("button", "冻结")
	b.waitText("SHA-256", "🔒 已冻结", "本月已冻结，正文不能再修改")
	code, doc := b.fetch("GET", "/reports/infrastructure/2026-10.html", "")
	if code != 200 {
		t.Fatalf("the frozen report: %d %.300s", code, doc)
	}
	for _, text := range narrative {
		if !strings.Contains(doc, text) {
			t.Errorf("the frozen report lacks %q", text)
		}
	}
	if !strings.Contains(doc, "已冻结") {
		t.Error("the frozen report is not marked 已冻结")
	}

	// 评估: freeze October's providers report, then the month's grades and
	// the annual rating (its editable sections filled: every kind has them).
	fillNarrative(t, snapDir, "providers", "2026-10")
	if code, body := b.fetch("POST", "/reports/providers/2026-10/freeze", ""); code != 200 {
		t.Fatalf("freezing the providers report: %d %s", code, body)
	}
	b.open("evaluation")
	b.waitFor("the monthly grades", `document.querySelector('[data-testid="grades-cloud"] tbody tr')`)
	b.waitFor("the annual rating", `document.querySelector('[data-testid="annual-cloud"] tbody tr')`)
	b.waitText("已冻结：2026-10", "综合得分", "年度得分")
	b.noErrors("evaluation")

	dir := os.Getenv("JIANGUAN_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, theme := range []string{"light", "dark"} {
		shim.setTheme(theme)
		for _, c := range []struct{ page, ready string }{
			{"reports", `document.querySelector('[data-testid="report-months"]') && document.body.innerText.includes('报告正文')`},
			{"inspections", `document.body.innerText.includes('张巡检')`},
			{"duty", `document.body.innerText.includes('李值班')`},
			{"incidents", `document.body.innerText.includes('地面积尘')`},
			{"evaluation", `document.querySelector('[data-testid="annual-cloud"] tbody tr')`},
		} {
			b.open(c.page)
			b.waitFor(c.page+" ready", c.ready)
			b.screenshot(filepath.Join(dir, "plugin-"+c.page+"-"+theme+".png"))
		}
	}
}
