package main

import (
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
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// floodRun is one uptime_exporter process with 10 000 hosts (127.x.y.z,
// ICMP off, TCP to a closed port) after clients non-reading GET /metrics.
type floodRun struct {
	base                 string
	scrape               func() (int, string)
	size, before, during int64 // body bytes; VmHWM before and during the flood
}

// floodUptime starts the real exporter with args, scrapes it once (body
// size, VmHWM), sends GET /metrics (no gzip) on clients connections that
// never read and measures VmHWM again once it stops growing.
func floodUptime(t *testing.T, clients int, args ...string) *floodRun {
	const hosts = 10000
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
	cmd := exec.Command(bin, append([]string{"--config.file=" + cfg, "--web.listen-address=" + addr, "--no-targets.watch"}, args...)...)
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
	r := &floodRun{base: "http://" + addr}
	r.scrape = func() (int, string) {
		req, _ := http.NewRequest(http.MethodGet, r.base+"/metrics", nil)
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
	testenv.WaitFor(t, 60*time.Second, "the 10 000 hosts on /metrics", func() bool {
		code, b := r.scrape()
		body = b
		return code == 200 && strings.Contains(b, fmt.Sprintf(`host="host-%05d"`, hosts-1))
	})
	r.size = int64(len(body))
	r.before = jtestutil.PeakRSS(t, cmd.Process.Pid)
	for i := 0; i < clients; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		_ = c.(*net.TCPConn).SetReadBuffer(4096)
		if _, err := io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	// Until VmHWM has not grown for 3 s (every request rendered or
	// rejected), at most 25 s (WriteTimeout cuts the clients off at 30 s).
	r.during = jtestutil.PeakRSS(t, cmd.Process.Pid)
	for still, end := 0, time.Now().Add(25*time.Second); still < 3 && time.Now().Before(end); {
		time.Sleep(time.Second)
		if v := jtestutil.PeakRSS(t, cmd.Process.Pid); v > r.during {
			r.during, still = v, 0
		} else {
			still++
		}
	}
	return r
}

// slowReaderBound is the asserted VmHWM growth: (limit + 1) render buffers
// of the body size + 1/8 (the frame sizes them from the last body), plus
// 64 MiB for the runtime and GC headroom.
func slowReaderBound(size int64) int64 {
	return int64(exporter.DefaultMaxRequests+1)*(size+size/8) + 64<<20
}

// TestHostile_MetricsSlowReadersBounded: issue 22 defect 2. The real
// uptime_exporter with 10 000 hosts and the default --web.max-requests; 20
// clients send GET /metrics (no gzip) and never read. Before the fix they
// held 2.46 GB. Now at most DefaultMaxRequests render, the others get 503
// at once, health stays up, the peak RSS (VmHWM) grows by at most
// slowReaderBound, and the stuck clients are cut off by WriteTimeout so
// scrapes are served again.
func TestHostile_MetricsSlowReadersBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("10 000-host exporter process: not in -short")
	}
	const clients = 20
	r := floodUptime(t, clients)
	if code, b := r.scrape(); code != http.StatusServiceUnavailable || !strings.Contains(b, "--web.max-requests") {
		t.Errorf("a scrape while %d slow readers hold every slot: %d %.100q, want 503", clients, code, b)
	}
	if code, _ := httpBody(t, http.MethodGet, r.base+"/-/healthy"); code != 200 {
		t.Errorf("/-/healthy = %d under the flood, want 200 (outside the limit)", code)
	}
	growth, bound := r.during-r.before, slowReaderBound(r.size)
	t.Logf("10 000 hosts, /metrics body %.1f MiB; %d non-reading clients, --web.max-requests=%d: VmHWM %.1f MiB before, %.1f MiB during (growth %.1f MiB, bound %.1f MiB; 2.46 GB before the fix)",
		float64(r.size)/(1<<20), clients, exporter.DefaultMaxRequests, float64(r.before)/(1<<20), float64(r.during)/(1<<20), float64(growth)/(1<<20), float64(bound)/(1<<20))
	if growth > bound {
		t.Errorf("peak RSS grew by %d bytes, more than (limit+1) × 1.125 bodies + 64 MiB = %d", growth, bound)
	}

	// The stuck clients are cut off by WriteTimeout; then scrapes succeed
	// and the rejections are counted.
	var body string
	testenv.WaitFor(t, exporter.WriteTimeout+20*time.Second, "a scrape served again after the slow readers were cut off", func() bool {
		code, b := r.scrape()
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
}

// TestHostile_MetricsSlowReadersUnbounded is the comparison: the same flood
// with --web.max-requests=0 (no limit) must exceed the bound the limited
// exporter keeps. It needs about 1 GB, so it runs only when asked:
//
//	JIANGUAN_UNBOUNDED_FLOOD=1 go test -run SlowReadersUnbounded -v ./exporters/uptime_exporter
func TestHostile_MetricsSlowReadersUnbounded(t *testing.T) {
	if os.Getenv("JIANGUAN_UNBOUNDED_FLOOD") == "" {
		t.Skip("set JIANGUAN_UNBOUNDED_FLOOD=1 (uses about 1 GB)")
	}
	const clients = 20
	r := floodUptime(t, clients, "--web.max-requests=0")
	growth, bound := r.during-r.before, slowReaderBound(r.size)
	t.Logf("10 000 hosts, /metrics body %.1f MiB; %d non-reading clients, --web.max-requests=0: VmHWM %.1f MiB before, %.1f MiB during (growth %.1f MiB; the default limit keeps it under %.1f MiB)",
		float64(r.size)/(1<<20), clients, float64(r.before)/(1<<20), float64(r.during)/(1<<20), float64(growth)/(1<<20), float64(bound)/(1<<20))
	if growth <= bound {
		t.Errorf("without a limit the flood grew VmHWM by only %d bytes (bound %d): the test no longer reproduces the defect", growth, bound)
	}
}
