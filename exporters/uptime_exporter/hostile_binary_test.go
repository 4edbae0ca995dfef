package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	jtestutil "github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/hostilehttp"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// buildExporterBin builds this exporter into a temporary directory.
func buildExporterBin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "uptime_exporter")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runExporterBin starts the exporter on a free loopback port with debug
// logs collected, and waits until it is ready.
func runExporterBin(t *testing.T, bin, cfg string) (string, *lockedBuffer) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", jtestutil.FreePort(t))
	logs := &lockedBuffer{}
	cmd := exec.Command(bin, "--config.file="+cfg, "--web.listen-address="+addr, "--log.level=debug", "--no-targets.watch")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for {
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base, logs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("exporter not ready:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func httpBody(t *testing.T, method, u string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHostile_URLPasswordNotPublished: a website URL with a password
// (https://user:pass@host/) is probed with that credential (basic auth),
// but the password appears neither in the url label of /metrics, nor on the
// landing page (also not in a probe error), nor on /config, nor in the logs
// and the answer of a failed reload whose error quotes the URL.
func TestHostile_URLPasswordNotPublished(t *testing.T) {
	const pw = "S3cretPw"
	site := hostilehttp.Start(t)
	closed := func() string {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		defer l.Close()
		return l.Addr().String()
	}()
	bin := buildExporterBin(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "uptime.yml")
	okURL := "http://" + site.Addr + "/ok"
	writeFile(t, cfg, fmt.Sprintf(`defaults:
  website: {interval: 1s, timeout: 500ms}
websites:
  - {url: "http://probe:%[1]s@%[2]s/ok", unit: 市政府办公厅}
  - {url: "http://probe:%[1]s@%[3]s/", unit: 市政府办公厅}
`, pw, site.Addr, closed))
	base, logs := runExporterBin(t, bin, cfg)

	testenv.WaitFor(t, 10*time.Second, "a probe of both sites", func() bool {
		_, m := httpBody(t, "GET", base+"/metrics")
		return len(site.Requests()) > 0 && strings.Contains(m, `website_http_status_code{path="",provider="",site="",system="",unit="市政府办公厅",url="http://`+closed+`/"} 0`)
	})
	if got, want := site.Requests()[0].Header.Get("Authorization"), "Basic "+base64.StdEncoding.EncodeToString([]byte("probe:"+pw)); got != want {
		t.Errorf("the site got Authorization %q, want %q (the credential must still be used)", got, want)
	}

	// A reload whose error quotes the URL (url.Parse errors do).
	good, _ := os.ReadFile(cfg)
	writeFile(t, cfg, string(good)+fmt.Sprintf("  - {url: \"http://probe:%s@127.0.0.1:notaport/\"}\n", pw))
	code, reloadAnswer := httpBody(t, "POST", base+"/-/reload")
	if code != http.StatusInternalServerError || !strings.Contains(reloadAnswer, `"http://probe:<redacted>@127.0.0.1:notaport/": invalid port`) {
		t.Errorf("reload answer %d %q", code, reloadAnswer)
	}

	_, metrics := httpBody(t, "GET", base+"/metrics")
	_, landing := httpBody(t, "GET", base+"/")
	_, configPage := httpBody(t, "GET", base+"/config")
	series := strings.Count(metrics, `url="`+okURL+`"`)
	t.Logf("%d series carry url=%q", series, okURL)
	places := []struct {
		name, text string
		want       string // what shows instead
	}{
		{"/metrics", metrics, `url="` + okURL + `"`},
		{"landing page", landing, okURL},
		{"landing page probe error", landing, "connect: "},
		{"/config", configPage, "http://probe:<redacted>@" + site.Addr + "/ok"},
		{"reload answer", reloadAnswer, "probe:<redacted>@"},
		{"logs", logs.String(), "probe:<redacted>@127.0.0.1:notaport"},
	}
	for _, p := range places {
		if strings.Contains(p.text, pw) {
			t.Errorf("%s shows the password:\n%s", p.name, p.text)
		}
		if !strings.Contains(p.text, p.want) {
			t.Errorf("%s does not show %q:\n%s", p.name, p.want, p.text)
		}
	}
	if series < 20 {
		t.Errorf("only %d series with the url label", series)
	}
	if strings.Contains(metrics, "probe:") {
		t.Error("/metrics carries userinfo")
	}
}

// TestHostile_NonUTF8CSVPrometheus: the GBK export of the CMDB, loaded with
// csv_encoding: gbk, is scraped by a real Prometheus without error and the
// Chinese unit arrives intact; the target is up.
func TestHostile_NonUTF8CSVPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("real Prometheus skipped in -short mode")
	}
	jtestutil.Need(t, "prometheus")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "uptime.yml"), "csv_encoding: gbk\ndefaults:\n  host: {interval: 1s, timeout: 500ms}\ntarget_files: [hosts.csv]\n")
	writeFile(t, filepath.Join(dir, "hosts.csv"), "host,address,unit,icmp,tcp_ports\nweb-01,127.0.0.1,"+gbkUnit+",no,"+port+"\n")
	base, logs := runExporterBin(t, buildExporterBin(t), filepath.Join(dir, "uptime.yml"))
	prom := testenv.StartScraping(t, "uptime", strings.TrimPrefix(base, "http://"), time.Second)
	var up, probes []testenv.Sample
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		up, _ = testenv.Query(prom, `up{job="uptime"}`)
		probes, _ = testenv.Query(prom, `host_probes_total{unit="测试单位",host="web-01"}`)
		if len(up) == 1 && len(probes) == 1 {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, v := range up {
		if v.Value != "1" {
			t.Errorf("up = %s, want 1 (scrape failed)", v.Value)
		}
	}
	if len(up) != 1 || len(probes) != 1 {
		t.Fatalf("up %v, host_probes_total{unit=\"测试单位\"} %v\nexporter log:\n%s", up, probes, logs.String())
	}
}
