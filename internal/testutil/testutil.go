// Package testutil holds small helpers shared by tests: finding the real
// components (promtool, amtool, snmpsimd, chromium, …) that integration tests
// start on loopback. Locally a missing component skips the test; in CI
// (CI=true) it fails it, so a missing install step in .ci/run is never hidden.
package testutil

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// InCI reports whether the tests run under .ci/run.
func InCI() bool { return os.Getenv("CI") == "true" }

// Need returns the path of an executable, skipping (locally) or failing (CI)
// the test when it is not installed.
func Need(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if InCI() {
			t.Fatalf("%s not installed; .ci/run must install it", name)
		}
		t.Skipf("%s not installed (apt-get install it, or run bash .ci/run)", name)
	}
	return p
}

// NeedRoot skips (locally) or fails (CI) a test that needs root, e.g. for
// network namespaces or nftables.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		if InCI() {
			t.Fatal("test needs root and CI runs as root")
		}
		t.Skip("test needs root")
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func FreeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// Prom3 returns the Prometheus 3 prometheus and promtool binaries that
// scripts/prom3.sh (`make prom3`) keeps in a cache directory keyed by the
// version pinned in that script: $JIANGUAN_PROM3_DIR, or else
// $HOME/.cache/jianguan/prom3-<version>. Like Need, a missing binary skips the
// test locally and fails it in CI.
func Prom3(t testing.TB) (prometheus, promtool string) {
	t.Helper()
	dir, err := Prom3Dir()
	if err == nil {
		prometheus, promtool = filepath.Join(dir, "prometheus"), filepath.Join(dir, "promtool")
		for _, p := range []string{prometheus, promtool} {
			if st, e := os.Stat(p); e != nil || st.IsDir() || st.Mode()&0o111 == 0 {
				err = &os.PathError{Op: "find Prometheus 3 binary", Path: p, Err: os.ErrNotExist}
				break
			}
		}
	}
	if err != nil {
		if InCI() {
			t.Fatalf("Prometheus 3: %v; .ci/run must run `make prom3` first", err)
		}
		t.Skipf("Prometheus 3: %v (run `make prom3`)", err)
	}
	return prometheus, promtool
}

// Prom3Dir is the directory Prom3 reads: $JIANGUAN_PROM3_DIR, or
// $HOME/.cache/jianguan/prom3-<version of scripts/prom3.sh --version>.
func Prom3Dir() (string, error) {
	if d := os.Getenv("JIANGUAN_PROM3_DIR"); d != "" {
		return d, nil
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "prom3.sh")
	out, err := exec.Command("bash", script, "--version").Output()
	if err != nil {
		return "", err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".cache", "jianguan", "prom3-"+strings.TrimSpace(string(out))), nil
}

// PeakRSS returns the peak resident set size (VmHWM) of process pid in
// bytes, read from /proc/PID/status: the figure the hostile-input tests
// bound and log.
func PeakRSS(t testing.TB, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM of %d: %v", pid, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}
