// Package snmpsimtest starts a real snmpsimd (Debian package snmpsim) on
// loopback for integration tests of SNMP pollers. It needs root (snmpsimd
// drops privileges to nobody/nogroup); without snmpsimd or root the test is
// skipped locally and fails in CI (internal/testutil).
package snmpsimtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
)

// V3 is an SNMPv3 user of the simulator.
type V3 struct {
	User, AuthKey, AuthProto, PrivKey, PrivProto string
}

// Sim is a running snmpsimd.
type Sim struct {
	Addr    string // 127.0.0.1:PORT
	Port    int
	DataDir string
	cmd     *exec.Cmd
	log     *bytes.Buffer
	mu      sync.Mutex
}

// Start writes files (community → .snmprec content) into a data directory
// readable by nobody and starts snmpsimd on a free UDP port of 127.0.0.1,
// waiting until it answers the first community.
func Start(t testing.TB, files map[string]string, v3 *V3) *Sim {
	t.Helper()
	bin := testutil.Need(t, "snmpsimd")
	snmpget := testutil.Need(t, "snmpget")
	testutil.NeedRoot(t)
	base, err := os.MkdirTemp("", "snmpsim")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	data := filepath.Join(base, "data")
	cache := filepath.Join(base, "cache")
	for _, d := range []string{base, data, cache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, 0o777) // nobody writes the writecache and index files
	}
	first := ""
	for name, content := range files {
		if first == "" || name < first {
			first = name
		}
		p := filepath.Join(data, name+".snmprec")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port := testutil.FreeUDPPort(t)
	s := &Sim{Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, DataDir: data, log: &bytes.Buffer{}}
	args := []string{"--process-user=nobody", "--process-group=nogroup", "--data-dir=" + data,
		"--cache-dir=" + cache, "--agent-udpv4-endpoint=" + s.Addr, "--logging-method=null"}
	if v3 != nil {
		args = append(args, "--v3-user="+v3.User, "--v3-auth-key="+v3.AuthKey, "--v3-auth-proto="+v3.AuthProto,
			"--v3-priv-key="+v3.PrivKey, "--v3-priv-proto="+v3.PrivProto)
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := exec.Command(snmpget, "-v2c", "-c", first, "-t", "0.5", "-r", "0", s.Addr, "1.3.6.1.2.1.1.3.0").CombinedOutput()
		if err == nil || bytes.Contains(out, []byte("No Such")) || bytes.Contains(out, []byte(" = ")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("snmpsimd did not answer within 60 s: %s", s.Log())
		}
		time.Sleep(300 * time.Millisecond)
	}
	return s
}

// Log returns what snmpsimd printed.
func (s *Sim) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Stop kills snmpsimd (the process this test started, by its pid).
func (s *Sim) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Set changes a writecache value with snmpset (type as snmpset wants it:
// i, u, s, …).
func (s *Sim) Set(t testing.TB, community, oid, typ, value string) {
	t.Helper()
	out, err := exec.Command("snmpset", "-v2c", "-c", community, "-t", "2", "-r", "2", s.Addr, oid, typ, value).CombinedOutput()
	if err != nil {
		t.Fatalf("snmpset %s %s %s: %v: %s", oid, typ, value, err, out)
	}
}

// Writecache renders a .snmprec line whose value snmpset can change.
func Writecache(oid string, tag int, value any) string {
	return fmt.Sprintf("%s|%d:writecache|value=%v\n", oid, tag, value)
}
