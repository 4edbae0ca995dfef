// Package testutil holds small helpers shared by tests: finding the real
// components (promtool, amtool, snmpsimd, chromium, …) that integration tests
// start on loopback. Locally a missing component skips the test; in CI
// (CI=true) it fails it, so a missing install step in .ci/run is never hidden.
package testutil

import (
	"net"
	"os"
	"os/exec"
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
