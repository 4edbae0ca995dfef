package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/exporter"
	jtestutil "github.com/jianguan/jianguan/internal/testutil"
)

// peakRSS returns VmHWM (peak resident set size) of process pid in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

// TestHostile_MetricsSlowReadersBounded: issue 22 defect 2. The real
// uptime_exporter with 10 000 hosts (127.x.y.z, ICMP off, TCP to a closed
// port) and the default --web.max-requests; 20 clients send GET /metrics
// (no gzip) and never read. Before the fix they held 2.46 GB. Now at most
// DefaultMaxRequests render, the others get 503 at once, health stays up,
// the peak RSS (VmHWM) grows by at most (limit + 1) × 2 bodies + 64 MiB, and
// the stuck clients are cut off by WriteTimeout so scrapes are served
// again.
func TestHostile_MetricsSlowReadersBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("10 000-host exporter process: not in -short")
	}
	const hosts, clients = 10000, 20
	bin := buildExporterBin(t)
	dir := t.TempDir()
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).String()
	}()
	_, closedPort, _ := net.SplitHostPort(closed)
	var csv strings.Builder
	csv.WriteString("host,address,unit,system,site\n")
	for i := 0; i < hosts; i++ {
		fmt.Fprintf(&csv, "host-%05d,%s,市大数据局,政务云,dc1\n", i, loopbackAddr(i))
	}
	writeFile(t, filepath.Join(dir, "hosts.csv"), csv.String())
	cfg := filepath.Join(dir, "uptime.yml")
	writeFile(t, cfg, fmt.Sprintf("defaults:\n  host: {interval: 60s, timeout: 500ms, icmp: false, tcp_ports: [%s]}\ntarget_files: [hosts.csv]\n", closedPort))

	addr := fmt.Sprintf("127.0.0.1:%d", jtestutil.FreePort(t))
	logs := &lockedBuffer{}
	cmd := exec.Command(bin, "--config.file="+cfg, "--web.listen-address="+addr, "--no-targets.watch")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("exporter log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	scrape := func() (int, string) {
		req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
		req.Header.Set("Accept-Encoding", "identity")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var body string
	waitFor(t, 60*time.Second, "the 10 000 hosts on /metrics", func() bool {
		code, b := scrape()
		body = b
		return code == 200 && strings.Contains(b, fmt.Sprintf(`host="host-%05d"`, hosts-1))
	})
	size := int64(len(body))
	before := peakRSS(t, cmd.Process.Pid)

	// 20 clients that send a request and never read.
	for i := 0; i < clients; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.(*net.TCPConn).SetReadBuffer(4096)
		if _, err := io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * time.Second) // every request rendered or rejected by now
	if code, b := scrape(); code != http.StatusServiceUnavailable || !strings.Contains(b, "--web.max-requests") {
		t.Errorf("a scrape while %d slow readers hold every slot: %d %.100q, want 503", clients, code, b)
	}
	if code, _ := httpBody(t, http.MethodGet, base+"/-/healthy"); code != 200 {
		t.Errorf("/-/healthy = %d under the flood, want 200 (outside the limit)", code)
	}
	during := peakRSS(t, cmd.Process.Pid)
	growth := during - before
	// A render buffer's capacity is up to twice its content (doubling).
	bound := int64(exporter.DefaultMaxRequests+1)*2*size + 64<<20
	t.Logf("10 000 hosts, /metrics body %.1f MiB; %d non-reading clients, --web.max-requests=%d: VmHWM %.1f MiB before, %.1f MiB during (growth %.1f MiB, bound %.1f MiB; 2.46 GB before the fix)",
		float64(size)/(1<<20), clients, exporter.DefaultMaxRequests, float64(before)/(1<<20), float64(during)/(1<<20), float64(growth)/(1<<20), float64(bound)/(1<<20))
	if growth > bound {
		t.Errorf("peak RSS grew by %d bytes, more than (limit+1) × 2 bodies + 64 MiB = %d", growth, bound)
	}

	// The stuck clients are cut off by WriteTimeout; then scrapes succeed
	// and the rejections are counted.
	waitFor(t, exporter.WriteTimeout+20*time.Second, "a scrape served again after the slow readers were cut off", func() bool {
		code, b := scrape()
		body = b
		return code == 200
	})
	var rejected float64 = -1
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, "uptime_web_requests_rejected_total "); ok {
			rejected, _ = strconv.ParseFloat(v, 64)
		}
	}
	if rejected < clients-exporter.DefaultMaxRequests {
		t.Errorf("uptime_web_requests_rejected_total = %v, want >= %d", rejected, clients-exporter.DefaultMaxRequests)
	}
	final := peakRSS(t, cmd.Process.Pid)
	t.Logf("after the cut-off: VmHWM %.1f MiB, %v requests rejected", float64(final)/(1<<20), rejected)
}
