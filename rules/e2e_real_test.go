package rules

// End-to-end with a real exporter: uptime_exporter (exporters/uptime_exporter,
// built from this module) probes a website served by the test; the test makes
// the site return HTTP 500 and measures the outage until WebsiteDown reaches
// the Alertmanager sink through a real Prometheus with the shipped config.
// The line and env exporters need a netns/BGP and snmpsim rigs; their
// alerts are covered by TestEndToEndPrometheus with fake exporters.

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
)

func TestEndToEndRealUptimeExporter(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	testutil.Need(t, "prometheus")
	if _, err := os.Stat("../exporters/uptime_exporter/main.go"); err != nil {
		t.Skip("exporters/uptime_exporter not in this tree")
	}
	t.Parallel()
	start := time.Now()

	bin := buildExporter(t, "uptime_exporter")
	t.Logf("built uptime_exporter in %s", time.Since(start).Round(time.Millisecond))

	// The website: 200 with the expected text, or 500.
	var broken atomic.Bool
	site := listen(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "<html><body>欢迎访问 jianguan 测试站点</body></html>")
	}))
	url := "http://" + site + "/"

	// Probing interval 2 s, down after 2 failures + one re-check: the exporter
	// confirms an outage in about 2-5 s.
	dir := t.TempDir()
	cfg := fmt.Sprintf(`defaults:
  website:
    interval: 2s
    timeout: 1s
    body_regexp: "欢迎访问"
    down_after: 2
    recheck_delay: 500ms
    up_after: 1
websites:
  - {url: %q, unit: gov-a, provider: ctc, system: oa, site: bj1, path: ctc-1}
`, url)
	if err := os.WriteFile(filepath.Join(dir, "uptime.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	expPort := testutil.FreePort(t)
	expAddr := fmt.Sprintf("127.0.0.1:%d", expPort)
	startExporter(t, dir, bin, "--config.file="+filepath.Join(dir, "uptime.yml"), "--web.listen-address="+expAddr, "--log.level=warn")
	websiteUp := func() string { return scrapeValue(expAddr, "website_up{") }

	am := newAMSink()
	amAddr := listen(t, am)
	p := startPrometheus(t, map[string]string{"uptime_exporter": expAddr}, amAddr)
	p.waitFor("the exporter to confirm the site up and Prometheus to evaluate the uptime group", 60*time.Second, func() bool {
		return websiteUp() == "1" && p.groupsEvaluated(start, "jianguan.uptime.alerts")
	})
	var q struct {
		Data struct {
			Result []any `json:"result"`
		} `json:"data"`
	}
	p.waitFor("website_up == 1 in Prometheus", 30*time.Second, func() bool {
		return p.getJSON("/api/v1/query?query=website_up%3D%3D1", &q) == nil && len(q.Data.Result) == 1
	})

	t0 := time.Now()
	broken.Store(true)
	var confirmed time.Duration
	p.waitFor("the exporter to confirm the outage", 20*time.Second, func() bool {
		if websiteUp() == "0" {
			confirmed = time.Since(t0)
			return true
		}
		return false
	})
	limit := promised["WebsiteDown"] + 10*time.Second // + the exporter's confirmation (2 failures at 2 s + re-check)
	p.waitFor("WebsiteDown at the Alertmanager", limit+slack, func() bool {
		_, ok := am.get(am.firing, "WebsiteDown")
		return ok
	})
	at, _ := am.get(am.firing, "WebsiteDown")
	t.Logf("real uptime_exporter: site 500 → exporter confirmed down after %.1f s → WebsiteDown at Alertmanager after %.1f s (promised ≤ %s after confirmation)",
		confirmed.Seconds(), at.Sub(t0).Seconds(), promised["WebsiteDown"])
	if at.Sub(t0)-confirmed > promised["WebsiteDown"]+slack {
		t.Errorf("WebsiteDown %s after the exporter confirmed, promised %s", at.Sub(t0)-confirmed, promised["WebsiteDown"])
	}
	am.mu.Lock()
	l := am.labels["WebsiteDown"]
	am.mu.Unlock()
	if l["url"] != url || l["site"] != "bj1" || l["path"] != "ctc-1" || l["severity"] != "critical" || l["team"] != "websites" {
		t.Errorf("WebsiteDown labels: %v", l)
	}

	t1 := time.Now()
	broken.Store(false)
	p.waitFor("WebsiteDown resolved at the Alertmanager", 40*time.Second, func() bool {
		_, ok := am.get(am.resolved, "WebsiteDown")
		return ok
	})
	rt, _ := am.get(am.resolved, "WebsiteDown")
	t.Logf("real uptime_exporter: site 200 again → WebsiteDown resolved at Alertmanager after %.1f s; test took %s",
		rt.Sub(t1).Seconds(), time.Since(start).Round(time.Millisecond))
}

// buildExporter builds ./exporters/<name> into a temp dir.
func buildExporter(t *testing.T, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "./exporters/"+name)
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, out)
	}
	return bin
}

// startExporter starts bin with args, logging to dir; killed at the end.
func startExporter(t *testing.T, dir, bin string, args ...string) {
	t.Helper()
	logf, err := os.Create(filepath.Join(dir, filepath.Base(bin)+".log"))
	if err != nil {
		t.Fatal(err)
	}
	exp := exec.Command(bin, args...)
	exp.Stdout, exp.Stderr = logf, logf
	if err := exp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exp.Process.Kill()
		exp.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("%s log:\n%s", filepath.Base(bin), b)
		}
	})
}

// scrapeValue returns the value of the first line of addr's /metrics that
// starts with prefix ("no answer" / "absent" otherwise).
func scrapeValue(addr, prefix string) string {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return "no answer"
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, prefix) {
			return l[strings.LastIndex(l, " ")+1:]
		}
	}
	return "absent"
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestEndToEndRealLineExporter: a real line (two network namespaces joined by
// a veth pair, line_exporter probing the far end every 250 ms from the core
// namespace) is cut by setting the core end down; LineDown must reach the
// Alertmanager sink through a real Prometheus with the shipped config within
// 30 s of the cut — the promise, exporter confirmation included.
func TestEndToEndRealLineExporter(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	testutil.Need(t, "prometheus")
	testutil.NeedRoot(t)
	testutil.Need(t, "ip")
	if _, err := os.Stat("../exporters/line_exporter/main.go"); err != nil {
		t.Skip("exporters/line_exporter not in this tree")
	}
	t.Parallel()
	start := time.Now()
	bin := buildExporter(t, "line_exporter")
	t.Logf("built line_exporter in %s", time.Since(start).Round(time.Millisecond))

	id := fmt.Sprintf("jgr%d%04d", os.Getpid()%100000, time.Now().UnixNano()%10000)
	core, far := id+"c", id+"f"
	for _, ns := range []string{core, far} {
		ipCmd(t, "netns", "add", ns)
		ns := ns
		t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
		ipCmd(t, "-n", ns, "link", "set", "lo", "up")
	}
	ipCmd(t, "-n", core, "link", "add", "c1", "type", "veth", "peer", "name", "f1", "netns", far)
	ipCmd(t, "-n", core, "addr", "add", "10.78.1.1/30", "dev", "c1")
	ipCmd(t, "-n", far, "addr", "add", "10.78.1.2/30", "dev", "f1")
	ipCmd(t, "-n", core, "link", "set", "c1", "up")
	ipCmd(t, "-n", far, "link", "set", "f1", "up")

	dir := t.TempDir()
	cfg := `defaults:
  icmp_interval: 250ms
  loss_window: 30s
rules:
  leased:
    icmp: {down_after: 3, up_after: 3}
lines:
  - name: cu-leased-1
    kind: leased
    provider: China Unicom
    site: bj1
    capacity: 100M
    icmp: [{address: 10.78.1.2}]
`
	if err := os.WriteFile(filepath.Join(dir, "line.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	expAddr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	startExporter(t, dir, bin, "--config.file="+filepath.Join(dir, "line.yml"), "--web.listen-address="+expAddr,
		"--icmp.netns="+core, "--log.level=warn")
	lineUp := func() string { return scrapeValue(expAddr, "line_up{") }

	am := newAMSink()
	amAddr := listen(t, am)
	p := startPrometheus(t, map[string]string{"line_exporter": expAddr}, amAddr)
	p.waitFor("the exporter to confirm the line up and Prometheus to evaluate the line group", 60*time.Second, func() bool {
		return lineUp() == "1" && p.groupsEvaluated(start, "jianguan.line.alerts")
	})
	var q struct {
		Data struct {
			Result []any `json:"result"`
		} `json:"data"`
	}
	p.waitFor("line_up == 1 in Prometheus", 30*time.Second, func() bool {
		return p.getJSON("/api/v1/query?query=line_up%3D%3D1", &q) == nil && len(q.Data.Result) == 1
	})

	t0 := time.Now()
	ipCmd(t, "-n", core, "link", "set", "c1", "down")
	var confirmed time.Duration
	p.waitFor("the exporter to confirm the cut", 20*time.Second, func() bool {
		if lineUp() == "0" {
			confirmed = time.Since(t0)
			return true
		}
		return false
	})
	const promise = 30 * time.Second // issue 5: a line outage reaches Alertmanager in ≤ 30 s
	p.waitFor("LineDown at the Alertmanager", promise+slack, func() bool {
		_, ok := am.get(am.firing, "LineDown")
		return ok
	})
	at, _ := am.get(am.firing, "LineDown")
	t.Logf("real line_exporter: cut → exporter confirmed down after %.1f s → LineDown at Alertmanager after %.1f s (promised ≤ %s)",
		confirmed.Seconds(), at.Sub(t0).Seconds(), promise)
	if at.Sub(t0) > promise {
		t.Errorf("LineDown reached Alertmanager %s after the cut, promised ≤ %s", at.Sub(t0), promise)
	}
	am.mu.Lock()
	l := am.labels["LineDown"]
	am.mu.Unlock()
	if l["line"] != "cu-leased-1" || l["path"] != "cu-leased-1" || l["site"] != "bj1" || l["kind"] != "leased" || l["severity"] != "critical" || l["team"] != "network" {
		t.Errorf("LineDown labels: %v", l)
	}

	t1 := time.Now()
	ipCmd(t, "-n", core, "link", "set", "c1", "up")
	p.waitFor("LineDown resolved at the Alertmanager", 40*time.Second, func() bool {
		_, ok := am.get(am.resolved, "LineDown")
		return ok
	})
	rt, _ := am.get(am.resolved, "LineDown")
	down := scrapeValue(expAddr, "line_down_seconds_total{")
	t.Logf("real line_exporter: link up → LineDown resolved at Alertmanager after %.1f s; line_down_seconds_total %s (cut lasted %.1f s); test took %s",
		rt.Sub(t1).Seconds(), down, t1.Sub(t0).Seconds(), time.Since(start).Round(time.Millisecond))
}
