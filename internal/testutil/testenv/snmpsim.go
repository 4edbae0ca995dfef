package testenv

// snmpsim.go: a real snmpsimd (Debian package snmpsim) on loopback for the
// integration tests of SNMP pollers (moved here from internal/snmp/snmpsimtest,
// issue 23). It needs root (snmpsimd drops privileges to nobody/nogroup);
// without snmpsimd, snmpget or root the test is skipped locally and fails in
// CI (testutil.Need, testutil.NeedRoot).

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
)

// SNMPv3 is an SNMPv3 user of the simulator.
type SNMPv3 struct {
	User, AuthKey, AuthProto, PrivKey, PrivProto string
}

// SNMPSim is a running snmpsimd.
type SNMPSim struct {
	Addr    string // 127.0.0.1:PORT
	Port    int
	DataDir string
	cmd     *exec.Cmd
	log     *logBuffer
	done    chan struct{} // closed when snmpsimd has exited
}

// StartSNMPSim writes recordings (community → .snmprec content) into a data
// directory readable by nobody and starts snmpsimd on a free UDP port of
// 127.0.0.1 (testutil.FreeUDPPort), optionally with one SNMPv3 user. It
// returns once a real SNMP GET (snmpget) of the first community in sort order
// is answered (at most 60 s, then the test fails with snmpsimd's log);
// t.Cleanup stops it.
func StartSNMPSim(t testing.TB, recordings map[string]string, v3 *SNMPv3) *SNMPSim {
	t.Helper()
	bin := testutil.Need(t, "snmpsimd")
	snmpget := testutil.Need(t, "snmpget")
	testutil.NeedRoot(t)
	// Not t.TempDir(): its parents are 0700 root, closed to nobody.
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
		if err := os.Chmod(d, 0o777); err != nil { // nobody writes the writecache and index files
			t.Fatal(err)
		}
	}
	first := ""
	for name, content := range recordings {
		if first == "" || name < first {
			first = name
		}
		p := filepath.Join(data, name+".snmprec")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	port := testutil.FreeUDPPort(t)
	s := &SNMPSim{Addr: "127.0.0.1:" + strconv.Itoa(port), Port: port, DataDir: data, log: &logBuffer{}, done: make(chan struct{})}
	args := []string{"--process-user=nobody", "--process-group=nogroup", "--data-dir=" + data,
		"--cache-dir=" + cache, "--agent-udpv4-endpoint=" + s.Addr, "--logging-method=null"}
	if v3 != nil {
		args = append(args, "--v3-user="+v3.User, "--v3-auth-key="+v3.AuthKey, "--v3-auth-proto="+v3.AuthProto,
			"--v3-priv-key="+v3.PrivKey, "--v3-priv-proto="+v3.PrivProto)
	}
	s.cmd = exec.CommandContext(context.Background(), bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	deadline := time.Now().Add(readyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		out, err := exec.CommandContext(ctx, snmpget, "-v2c", "-c", first, "-t", "0.5", "-r", "0", s.Addr, "1.3.6.1.2.1.1.3.0").CombinedOutput()
		cancel()
		if err == nil || bytes.Contains(out, []byte("No Such")) || bytes.Contains(out, []byte(" = ")) {
			break
		}
		select {
		case <-s.done:
			t.Fatalf("snmpsimd exited: %s", s.Log())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("snmpsimd did not answer within %v: %s", readyTimeout, s.Log())
		}
		time.Sleep(300 * time.Millisecond)
	}
	return s
}

// Log returns what snmpsimd printed.
func (s *SNMPSim) Log() string { return s.log.String() }

// Stop kills snmpsimd (the process this test started, by its pid) and waits
// for it to exit; stopping a stopped simulator does nothing.
func (s *SNMPSim) Stop() {
	select {
	case <-s.done:
	default:
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Set changes a writecache value with snmpset (type as snmpset wants it:
// i, u, s, …).
func (s *SNMPSim) Set(t testing.TB, community, oid, typ, value string) {
	t.Helper()
	snmpset := testutil.Need(t, "snmpset")
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, snmpset, "-v2c", "-c", community, "-t", "2", "-r", "2", s.Addr, oid, typ, value).CombinedOutput()
	if err != nil {
		t.Fatalf("snmpset %s %s %s: %v: %s", oid, typ, value, err, out)
	}
}

// Writecache renders a .snmprec line whose value snmpset can change.
func Writecache(oid string, tag int, value any) string {
	return fmt.Sprintf("%s|%d:writecache|value=%v\n", oid, tag, value)
}
