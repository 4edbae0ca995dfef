// Package testenv starts the real components that integration tests run on
// loopback (issue 23: one way to start them, used by every test). It
// imports package testing, so only _test.go files may import it; production
// binaries never link it (tools/TestNoTestingInProductionBinaries).
//
// It holds Prometheus today; FreePort, Need and the other finders are in
// internal/testutil.
package testenv

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StartPrometheus runs prometheus (2.x or 3.x) on 127.0.0.1 over dataDir
// (retention 10 years so backfilled history is kept, extraArgs appended to
// its flags) and returns its base URL once /-/ready answers (at most 60 s,
// then the test fails with Prometheus' log); it is stopped when the test
// ends.
func StartPrometheus(t testing.TB, prometheus, dataDir string, extraArgs ...string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "prometheus.yml")
	os.WriteFile(cfg, []byte("global:\n  scrape_interval: 1m\n"), 0o644)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	logf, _ := os.Create(filepath.Join(t.TempDir(), "prometheus.log"))
	cmd := exec.Command(prometheus, append([]string{"--config.file=" + cfg, "--storage.tsdb.path=" + dataDir, "--web.listen-address=" + addr,
		"--storage.tsdb.retention.time=10y", "--log.level=warn"}, extraArgs...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("prometheus not ready: %v\n%s", err, strings.TrimSpace(string(b)))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
