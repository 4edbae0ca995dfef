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

	// Build the exporter (cached by the go build cache in CI).
	bin := filepath.Join(t.TempDir(), "uptime_exporter")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "./exporters/uptime_exporter")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build uptime_exporter: %v\n%s", err, out)
	}
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
	logf, err := os.Create(filepath.Join(dir, "exporter.log"))
	if err != nil {
		t.Fatal(err)
	}
	exp := exec.Command(bin, "--config.file="+filepath.Join(dir, "uptime.yml"), "--web.listen-address="+expAddr, "--log.level=warn")
	exp.Stdout, exp.Stderr = logf, logf
	if err := exp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exp.Process.Kill()
		exp.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "exporter.log"))
			t.Logf("uptime_exporter log:\n%s", b)
		}
	})
	websiteUp := func() string {
		resp, err := http.Get("http://" + expAddr + "/metrics")
		if err != nil {
			return "no answer"
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "website_up{") {
				return l[strings.LastIndex(l, " ")+1:]
			}
		}
		return "absent"
	}

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
