package main

import (
	"fmt"
	"os"
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

// TestHostile_DeviceBounds: out-of-range device and defaults settings are
// rejected at load with file:line (they were accepted: timeout 1h, retries
// 100000, negative timeouts, stale_after -1m, ports 0 and 99999).
func TestHostile_DeviceBounds(t *testing.T) {
	for _, c := range []struct {
		name, from, to string
		want           string
	}{
		{"defaults timeout 1h", "  auth: v2", "  auth: v2\n  timeout: 1h", `^env\.yml:3: defaults\.timeout: must be between 10ms and 30s, not 1h0m0s`},
		{"defaults negative timeout", "  auth: v2", "  auth: v2\n  timeout: -2s", `^env\.yml:3: defaults\.timeout: must be between`},
		{"defaults retries 100000", "  auth: v2", "  auth: v2\n  retries: 100000", `^env\.yml:3: defaults\.retries: must be 0\.\.10, not 100000`},
		{"defaults negative retries", "  auth: v2", "  auth: v2\n  retries: -1", `^env\.yml:3: defaults\.retries: must be 0\.\.10`},
		{"stale_after -1m", "  auth: v2", "  auth: v2\n  stale_after: -1m", `^env\.yml:3: defaults\.stale_after: must be between 1s and 24h0m0s, not -1m0s`},
		{"interval 2h", "  auth: v2", "  auth: v2\n  interval: 2h", `^env\.yml:3: defaults\.interval: must be between 100ms and 1h0m0s`},
		{"concurrency huge", "  auth: v2", "  auth: v2\n  concurrency: 1000000", `^env\.yml:3: defaults\.concurrency: must be 1\.\.4096`},
		{"walk_max_rows huge", "  auth: v2", "  auth: v2\n  walk_max_rows: 5000000", `^env\.yml:3: defaults\.walk_max_rows: must be 1\.\.1000000`},
		{"walk_max_rows negative", "  auth: v2", "  auth: v2\n  walk_max_rows: -1", `^env\.yml:3: defaults\.walk_max_rows: must be 1\.\.1000000`},
		{"poll_deadline 1h", "  auth: v2", "  auth: v2\n  poll_deadline: 1h", `^env\.yml:3: defaults\.poll_deadline: must be between 100ms and 10m0s`},
		{"device timeout 1h", "address: 127.0.0.1:161", "address: 127.0.0.1:161\n            timeout: 1h", `^env\.yml:14: sites\[0\]\.rooms\[0\]\.devices\[0\]\.timeout: must be between 10ms and 30s, not 1h0m0s`},
		{"device negative timeout", "address: 127.0.0.1:161", "address: 127.0.0.1:161\n            timeout: -1s", `^env\.yml:14: .*devices\[0\]\.timeout: must be between`},
		{"device retries 100000", "address: 127.0.0.1:161", "address: 127.0.0.1:161\n            retries: 100000", `^env\.yml:14: .*devices\[0\]\.retries: must be 0\.\.10, not 100000`},
		{"device interval 1ms", "address: 127.0.0.1:161", "address: 127.0.0.1:161\n            interval: 1ms", `^env\.yml:14: .*devices\[0\]\.interval: must be between 100ms and 1h0m0s`},
		{"port 0", "address: 127.0.0.1:161", "address: 127.0.0.1:0", `^env\.yml:13: .*devices\[0\]\.address: port of "127\.0\.0\.1:0" must be 1\.\.65535`},
		{"port 99999", "address: 127.0.0.1:161", "address: 127.0.0.1:99999", `^env\.yml:13: .*devices\[0\]\.address: port of "127\.0\.0\.1:99999" must be 1\.\.65535`},
		{"ipv6 port 99999", "address: 127.0.0.1:161", `address: "[::1]:99999"`, `^env\.yml:13: .*devices\[0\]\.address: port of "\[::1\]:99999" must be 1\.\.65535`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(baseConfig, c.from) {
				t.Fatalf("test setup: %q not in base config", c.from)
			}
			bad := strings.Replace(baseConfig, c.from, c.to, 1)
			_, err := loadConfig("env.yml", []byte(bad), builtin(t))
			if err == nil {
				t.Fatalf("no error for\n%s", bad)
			}
			if !regexp.MustCompile(c.want).MatchString(err.Error()) {
				t.Errorf("error %q does not match %q", err, c.want)
			}
		})
	}
	// the bounds themselves are accepted
	ok := strings.Replace(baseConfig, "  auth: v2", "  auth: v2\n  timeout: 30s\n  retries: 10\n  stale_after: 24h\n  walk_max_rows: 1000000\n  poll_deadline: 10m", 1)
	ok = strings.Replace(ok, "127.0.0.1:161", "127.0.0.1:65535", 1)
	if _, err := loadConfig("env.yml", []byte(ok), builtin(t)); err != nil {
		t.Errorf("limits rejected: %v", err)
	}
}

// TestHostile_NaNThresholds: NaN or ±Inf thresholds, scales, offsets, map
// values and defaults would silently disable alarms (NaN compares false):
// rejected with file:line in the config and in profiles.
func TestHostile_NaNThresholds(t *testing.T) {
	for _, c := range []struct {
		name, from, to string
		want           string
	}{
		{"threshold .nan", "defaults:", "thresholds:\n  temperature_high_celsius: .nan\ndefaults:", `^env\.yml:2: thresholds\.temperature_high_celsius: must be a finite number, not NaN`},
		{"threshold .inf", "defaults:", "thresholds:\n  rack_power_critical_watts: .inf\ndefaults:", `^env\.yml:2: thresholds\.rack_power_critical_watts: must be a finite number, not \+Inf`},
		{"threshold -.inf", "defaults:", "thresholds:\n  temperature_low_celsius: -.inf\ndefaults:", `^env\.yml:2: thresholds\.temperature_low_celsius: must be a finite number`},
		{"room threshold .nan", "      - name: room-a", "      - name: room-a\n        thresholds: {humidity_high_ratio: .NaN}", `^env\.yml:10: sites\[0\]\.rooms\[0\]\.thresholds\.humidity_high_ratio: must be a finite number, not NaN`},
		{"ups runtime .nan", "defaults:", "thresholds:\n  ups_runtime_min_seconds: .nan\ndefaults:", `thresholds\.ups_runtime_min_seconds: must be a finite number`},
		{"signal scale .nan", "oid: 1.3.6.1.4.1.99999.1.1.0", "oid: 1.3.6.1.4.1.99999.1.1.0\n                scale: .nan", `^env\.yml:20: .*signals\[0\]\.scale: scale must be a finite number other than 0, not NaN`},
		{"signal scale .inf", "oid: 1.3.6.1.4.1.99999.1.1.0", "oid: 1.3.6.1.4.1.99999.1.1.0\n                scale: .inf", `^env\.yml:20: .*signals\[0\]\.scale: scale must be a finite`},
		{"signal offset .nan", "oid: 1.3.6.1.4.1.99999.1.1.0", "oid: 1.3.6.1.4.1.99999.1.1.0\n                offset: .nan", `^env\.yml:20: .*signals\[0\]\.offset: offset must be a finite number`},
		{"signal map .nan", "oid: 1.3.6.1.4.1.99999.1.1.0", "oid: 1.3.6.1.4.1.99999.1.1.0\n                map: {\"1\": .nan}", `^env\.yml:20: .*signals\[0\]\.map: map value of "1" must be a finite number`},
		{"signal default .inf", "oid: 1.3.6.1.4.1.99999.1.1.0", "oid: 1.3.6.1.4.1.99999.1.1.0\n                default: .inf", `^env\.yml:20: .*signals\[0\]\.default: default must be a finite number`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(baseConfig, c.from) {
				t.Fatalf("test setup: %q not in base config", c.from)
			}
			bad := strings.Replace(baseConfig, c.from, c.to, 1)
			_, err := loadConfig("env.yml", []byte(bad), builtin(t))
			if err == nil {
				t.Fatalf("no error for\n%s", bad)
			}
			if !regexp.MustCompile(c.want).MatchString(err.Error()) {
				t.Errorf("error %q does not match %q", err, c.want)
			}
		})
	}
	// operator profiles (--profiles.dir) too
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "nan.yml"), []byte("name: nan-ups\nkind: ups\nsignals:\n  - signal: ups_battery_runtime_seconds\n    oid: 1.3.6.1.4.1.1.1.0\n    scale: .nan\n"), 0o644)
	if _, err := loadProfiles(dir); err == nil || !strings.Contains(err.Error(), "nan.yml:6: signals[0].scale: scale must be a finite number other than 0, not NaN") {
		t.Errorf("profile with scale .nan: %v", err)
	}
}

const hostileTable = "1.3.6.1.4.1.99999.5.1"

func hostileConfig(addr string, extra string) string {
	return fmt.Sprintf(`defaults:
  auth: v2
  interval: 500ms
  timeout: 1s
  retries: 0
%s
auths:
  v2:
    community: public
sites:
  - name: dc1
    rooms:
      - name: room-a
        devices:
          - name: hostile
            profile: generic-sensor
            address: "%s"
            signals:
              - {signal: temperature_celsius, table: %s, index_label: sensor}
`, extra, addr, hostileTable)
}

// TestHostile_EndlessWalkMemory: an agent that answers GetBulk with ever
// increasing OIDs grew env_exporter by ~35 MB/s until the OOM killer came.
// Now each poll stops at walk_max_rows (reason row_limit): the exporter's
// peak RSS (VmHWM of the child process) stays bounded.
func TestHostile_EndlessWalkMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("20 s memory measurement")
	}
	a := hostilesnmp.Start(t, hostilesnmp.Endless, hostilesnmp.Options{Roots: []string{hostileTable}, ValueSize: 64})
	dir := t.TempDir()
	path := filepath.Join(dir, "env.yml")
	os.WriteFile(path, []byte(hostileConfig(a.Addr, "")), 0o600)
	r := start(t, "--config.file="+path)
	pid := r.cmd.Process.Pid
	before := testutil.PeakRSS(t, pid)
	const run = 20 * time.Second
	time.Sleep(run)
	after := testutil.PeakRSS(t, pid)
	f, _ := r.scrape(t)
	rowLimit := f.val("env_device_errors_total", lbl("device", "hostile", "reason", "row_limit"))
	polls := f.val("env_device_poll_duration_seconds", lbl("device", "hostile"))
	growth := after - before
	t.Logf("endless walk, %v: env_exporter VmHWM %.1f MiB at start, %.1f MiB after (growth %.1f MiB); %d requests, rows served up to %d per walk; %v polls, row_limit errors %v",
		run, float64(before)/(1<<20), float64(after)/(1<<20), float64(growth)/(1<<20), a.Requests(), a.MaxRow(), polls, rowLimit)
	if rowLimit < 5 {
		t.Errorf("env_device_errors_total{reason=row_limit} = %v after %v at 500ms", rowLimit, run)
	}
	if growth > 100<<20 {
		t.Errorf("peak RSS grew by %.1f MiB, bound 100 MiB", float64(growth)/(1<<20))
	}
	if a.MaxRow() > 10100 {
		t.Errorf("a walk went to row %d, past walk_max_rows 10000", a.MaxRow())
	}
	if up := f.val("env_device_up", lbl("device", "hostile")); up != 0 {
		t.Errorf("env_device_up = %v for a device whose walks never end", up)
	}
}

// TestHostile_SIGTERMWhileSilent: SIGTERM ends the exporter promptly while a
// poll waits for a silent agent (timeout 30 s × 11 tries).
func TestHostile_SIGTERMWhileSilent(t *testing.T) {
	a := hostilesnmp.Start(t, hostilesnmp.Silent, hostilesnmp.Options{})
	dir := t.TempDir()
	path := filepath.Join(dir, "env.yml")
	cfg := strings.Replace(hostileConfig(a.Addr, ""), "  timeout: 1s\n  retries: 0", "  timeout: 30s\n  retries: 10", 1)
	os.WriteFile(path, []byte(cfg), 0o600)
	r := start(t, "--config.file="+path)
	testenv.WaitFor(t, 10*time.Second, "a request reaching the silent agent", func() bool { return a.Requests() > 0 })
	time.Sleep(200 * time.Millisecond)
	pid := r.cmd.Process.Pid
	start := time.Now()
	r.cmd.Process.Signal(syscall.SIGTERM)
	for !gone(pid) { // start's goroutine reaps the child
		if time.Since(start) > 10*time.Second {
			t.Fatal("env_exporter still running 10 s after SIGTERM")
		}
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(start)
	t.Logf("SIGTERM → exit in %v with a poll blocked on a silent agent", took)
	if took > 2*time.Second {
		t.Errorf("exit took %v after SIGTERM, want < 2s", took)
	}
}

// gone reports whether a process has exited (a zombie, or reaped).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(rest, "Z") || strings.HasPrefix(rest, "X")
}
