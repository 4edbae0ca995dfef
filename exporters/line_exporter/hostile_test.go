package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/hostilesnmp"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestMain lets a test run the exporter as a child process (the test binary
// itself), to measure its memory alone.
func TestMain(m *testing.M) {
	if os.Getenv("LINE_EXPORTER_CHILD") == "1" {
		os.Exit(app().Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// A config with SNMP signals only (no ICMP socket needed).
const snmpOnlyConfig = `defaults:
  icmp_interval: 1s
routers:
  - name: rtr
    address: "127.0.0.1:1161"
    auth: {community: public}
lines:
  - name: l1
    kind: bgp
    site: dc1
    capacity: 1G
    router: rtr
    interface: {name: ge-0/0/1}
  - name: l2
    kind: leased
    site: dc1
    icmp:
      - address: 192.0.2.1
`

func configError(t *testing.T, from, to string) error {
	t.Helper()
	if !strings.Contains(snmpOnlyConfig, from) {
		t.Fatalf("test setup: %q not in the config", from)
	}
	_, err := ParseConfig("line.yml", []byte(strings.Replace(snmpOnlyConfig, from, to, 1)))
	return err
}

// TestHostile_RouterBounds: router timeout 1h, retries 100000, negative
// timeouts, ports 0 and 99999 and out-of-range bounds are rejected at load
// with file:line.
func TestHostile_RouterBounds(t *testing.T) {
	for _, c := range []struct {
		name, from, to, want string
	}{
		{"timeout 1h", "auth: {community: public}", "auth: {community: public}\n    timeout: 1h", `^line\.yml:7: routers\[0\]\.timeout: must be between 100ms and 30s, not 1h0m0s`},
		{"negative timeout", "auth: {community: public}", "auth: {community: public}\n    timeout: -1s", `^line\.yml:7: routers\[0\]\.timeout: must be between 100ms and 30s, not -1s`},
		{"retries 100000", "auth: {community: public}", "auth: {community: public}\n    retries: 100000", `^line\.yml:7: routers\[0\]\.retries: must be 0\.\.10, not 100000`},
		{"negative retries", "auth: {community: public}", "auth: {community: public}\n    retries: -1", `^line\.yml:7: routers\[0\]\.retries: must be 0\.\.10, not -1`},
		{"interval 2h", "auth: {community: public}", "auth: {community: public}\n    interval: 2h", `^line\.yml:7: routers\[0\]\.interval: must be between 1s and 1h0m0s`},
		{"walk_max_rows huge", "auth: {community: public}", "auth: {community: public}\n    walk_max_rows: 2000000", `^line\.yml:7: routers\[0\]\.walk_max_rows: must be 1\.\.1000000, not 2000000`},
		{"poll_deadline 1h", "auth: {community: public}", "auth: {community: public}\n    poll_deadline: 1h", `^line\.yml:7: routers\[0\]\.poll_deadline: must be between 100ms and 10m0s`},
		{"port 0", `address: "127.0.0.1:1161"`, `address: "127.0.0.1:0"`, `^line\.yml:5: routers\[0\]\.address: malformed port in "127\.0\.0\.1:0"`},
		{"port 99999", `address: "127.0.0.1:1161"`, `address: "127.0.0.1:99999"`, `^line\.yml:5: routers\[0\]\.address: malformed port in "127\.0\.0\.1:99999"`},
		{"ipv6 port 99999", `address: "127.0.0.1:1161"`, `address: "[::1]:99999"`, `^line\.yml:5: routers\[0\]\.address: malformed port`},
		{"dns_refresh negative", "  icmp_interval: 1s", "  icmp_interval: 1s\n  dns_refresh: -1m", `^line\.yml:3: defaults\.dns_refresh: must be between 1s and 24h0m0s, not -1m0s`},
		{"bad duration has its line", "  icmp_interval: 1s", "  icmp_interval: 1s\n  dns_refresh: soon", `^line\.yml:3: invalid duration "soon"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := configError(t, c.from, c.to)
			if err == nil || !regexp.MustCompile(c.want).MatchString(err.Error()) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	ok := strings.Replace(snmpOnlyConfig, "auth: {community: public}", "auth: {community: public}\n    timeout: 30s\n    retries: 10\n    interval: 1h\n    walk_max_rows: 1000000\n    poll_deadline: 10m", 1)
	if _, err := ParseConfig("line.yml", []byte(ok)); err != nil {
		t.Errorf("limits rejected: %v", err)
	}
}

// TestHostile_LossWindowUnbounded: loss_window had no upper bound:
// --config.check passed, the exporter died of OOM at start, and a reload
// with that file killed a running exporter. Now --config.check, start and
// reload all refuse it, naming file and line.
func TestHostile_LossWindowUnbounded(t *testing.T) {
	huge := strings.Replace(snmpOnlyConfig, "  icmp_interval: 1s", "  icmp_interval: 1s\n  loss_window: 1000000h", 1)
	want := `line.yml:3: defaults.loss_window: must be between icmp_interval (1s) and 1h0m0s, not 1000000h0m0s`
	if _, err := ParseConfig("line.yml", []byte(huge)); err == nil || err.Error() != want {
		t.Errorf("parse: %v, want %s", err, want)
	}
	ok := strings.Replace(snmpOnlyConfig, "  icmp_interval: 1s", "  icmp_interval: 100ms\n  loss_window: 1h", 1)
	if _, err := ParseConfig("line.yml", []byte(ok)); err != nil {
		t.Errorf("loss_window 1h (36 000 probes at 100ms) rejected: %v", err)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "line.yml")
	os.WriteFile(bad, []byte(huge), 0o644)
	// --config.check
	stderr := captureStderr(t, func() {
		if code := app().Run(context.Background(), []string{"--config.file=" + bad, "--config.check"}); code == 0 {
			t.Error("--config.check accepted loss_window: 1000000h")
		}
	})
	if !strings.Contains(stderr, "line.yml:3: defaults.loss_window") {
		t.Errorf("--config.check output does not name file:line: %s", stderr)
	}
	// start
	port := testutil.FreePort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if code := app().Run(ctx, []string{"--config.file=" + bad, fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port)}); code == 0 {
		t.Error("start with loss_window: 1000000h succeeded")
	}
	// reload of a running exporter keeps the running config
	noICMP := strings.Replace(snmpOnlyConfig, "  - name: l2\n    kind: leased\n    site: dc1\n    icmp:\n      - address: 192.0.2.1\n", "", 1)
	ex := startExporter(t, noICMP)
	os.WriteFile(ex.Cfg, []byte(strings.Replace(noICMP, "  icmp_interval: 1s", "  icmp_interval: 1s\n  loss_window: 1000000h", 1)), 0o644)
	resp, err := http.Post(ex.URL+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Error("reload with loss_window: 1000000h succeeded")
	}
	f := scrape(t, ex.URL)
	if f.get("line_config_last_reload_successful") != 0 {
		t.Error("line_config_last_reload_successful not 0 after the refused reload")
	}
	if v := f.get("line_up", "line", "l1"); math.IsNaN(v) {
		t.Error("the running line l1 is gone after the refused reload")
	}
}

// TestHostile_DuplicateFarEnd: the same far end written in two forms
// (IPv4-mapped IPv6, IPv6 spellings, host name case) was probed twice.
func TestHostile_DuplicateFarEnd(t *testing.T) {
	for _, c := range []struct{ a, b string }{
		{"192.0.2.1", "::ffff:192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8::1", "2001:DB8:0:0::1"},
		{"far.example", "FAR.example."},
	} {
		t.Run(c.a+"="+c.b, func(t *testing.T) {
			err := configError(t, "      - address: 192.0.2.1\n", fmt.Sprintf("      - address: %q\n      - address: %q\n", c.a, c.b))
			want := fmt.Sprintf(`^line\.yml:19: lines\[1\]\.icmp\[1\]\.address: duplicate ICMP target "%s" in line "l2" \(same as icmp\[0\]`, regexp.QuoteMeta(c.b))
			if err == nil || !regexp.MustCompile(want).MatchString(err.Error()) {
				t.Errorf("error %v, want %s", err, want)
			}
		})
	}
	// one mapped address alone is probed as the IPv4 address
	c, err := ParseConfig("line.yml", []byte(strings.Replace(snmpOnlyConfig, "address: 192.0.2.1", `address: "::ffff:192.0.2.1"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Lines[1].ICMP[0].Address; a != "192.0.2.1" {
		t.Errorf("::ffff:192.0.2.1 normalised to %q", a)
	}
	// BGP peers too
	bgp := strings.Replace(snmpOnlyConfig, "    interface: {name: ge-0/0/1}", "    interface: {name: ge-0/0/1}\n    bgp_peers: [192.0.2.9, \"::ffff:192.0.2.9\"]", 1)
	if _, err := ParseConfig("line.yml", []byte(bgp)); err == nil || !strings.Contains(err.Error(), `line.yml:14: lines[0].bgp_peers[1]: duplicate BGP peer "::ffff:192.0.2.9"`) {
		t.Errorf("duplicate mapped BGP peer: %v", err)
	}
}

// TestHostile_CapacityLine: capacity errors name their line.
func TestHostile_CapacityLine(t *testing.T) {
	for _, c := range []struct{ to, want string }{
		{"capacity: lots", `^line\.yml:11: invalid capacity "lots"`},
		{"capacity: -1G", `^line\.yml:11: invalid capacity "-1G"`},
		{"capacity: [1G]", `^line\.yml:11: want a single value, not a list`},
		{"capacity: 99999999999999999999T", `^line\.yml:11: lines\[0\]\.capacity: must be between 0 and 1P`},
	} {
		t.Run(c.to, func(t *testing.T) {
			err := configError(t, "capacity: 1G", c.to)
			if err == nil || !regexp.MustCompile(c.want).MatchString(err.Error()) {
				t.Errorf("error %v, want %s", err, c.want)
			}
		})
	}
}

func hostileRouterConfig(addr, router string) string {
	return fmt.Sprintf(`routers:
  - {name: rtr, address: "%s", auth: {community: public}, %s}
lines:
  - {name: l1, kind: leased, site: dc1, router: rtr, interface: {name: ge-0/0/1}}
`, addr, router)
}

// TestHostile_EndlessWalkMemory: an agent answering the IF-MIB walk with
// ever increasing OIDs grew line_exporter by 1.10 GB in 30 s. Now the walk
// stops at walk_max_rows: the peak RSS (VmHWM) of the exporter, run as a
// child process, stays bounded.
func TestHostile_EndlessWalkMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("20 s memory measurement")
	}
	a := hostilesnmp.Start(t, hostilesnmp.Endless, hostilesnmp.Options{Roots: ifColumns, ValueSize: 64})
	path := filepath.Join(t.TempDir(), "line.yml")
	os.WriteFile(path, []byte(hostileRouterConfig(a.Addr, "interval: 1s, timeout: 1s")), 0o644)
	port := testutil.FreePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(os.Args[0], "--config.file="+path, fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn")
	cmd.Env = append(os.Environ(), "LINE_EXPORTER_CHILD=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	testenv.WaitFor(t, 20*time.Second, "child exporter healthy", func() bool {
		resp, err := http.Get(url + "/-/healthy")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	before := testutil.PeakRSS(t, cmd.Process.Pid)
	const run = 20 * time.Second
	time.Sleep(run)
	after := testutil.PeakRSS(t, cmd.Process.Pid)
	f := scrape(t, url)
	rowLimit := f.get("line_device_errors_total", "device", "rtr", "reason", "row_limit")
	growth := after - before
	t.Logf("endless IF-MIB walk, %v: line_exporter VmHWM %.1f MiB at start, %.1f MiB after (growth %.1f MiB); %d requests, rows served up to %d per walk; row_limit errors %v",
		run, float64(before)/(1<<20), float64(after)/(1<<20), float64(growth)/(1<<20), a.Requests(), a.MaxRow(), rowLimit)
	if rowLimit < 5 {
		t.Errorf("line_device_errors_total{reason=row_limit} = %v after %v at 1s", rowLimit, run)
	}
	if growth > 100<<20 {
		t.Errorf("peak RSS grew by %.1f MiB, bound 100 MiB", float64(growth)/(1<<20))
	}
	if a.MaxRow() > 10100 {
		t.Errorf("a walk went to row %d, past walk_max_rows 10000", a.MaxRow())
	}
	if up := f.get("line_device_up", "device", "rtr"); up != 0 {
		t.Errorf("line_device_up = %v for a router whose walks never end", up)
	}
}

// TestHostile_StopWhileSilent: stopping the exporter does not wait for an
// SNMP read blocked on a silent router (timeout 30 s × 11 tries).
func TestHostile_StopWhileSilent(t *testing.T) {
	a := hostilesnmp.Start(t, hostilesnmp.Silent, hostilesnmp.Options{})
	ex := startExporter(t, hostileRouterConfig(a.Addr, "interval: 1s, timeout: 30s, retries: 10"))
	testenv.WaitFor(t, 10*time.Second, "a request at the silent router", func() bool { return a.Requests() > 0 })
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	ex.stop()
	select {
	case <-ex.code:
	case <-time.After(10 * time.Second):
		t.Fatal("line_exporter still running 10 s after stop")
	}
	took := time.Since(start)
	ex.code <- 0 // for the cleanup of startExporter
	t.Logf("stop → exit in %v with a poll blocked on a silent router", took)
	if took > 2*time.Second {
		t.Errorf("stop took %v, want < 2s", took)
	}
}
