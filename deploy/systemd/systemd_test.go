// Package systemd holds the hardened systemd units; this test checks them
// with the real systemd-analyze: `verify` clean and `security` exposure ≤ 2.0.
package systemd

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
	"gopkg.in/yaml.v3"
)

const maxExposure = 2.0

func units(t *testing.T) []string {
	var us []string
	for _, pat := range []string{"*.service", "*.timer"} {
		m, _ := filepath.Glob(pat)
		us = append(us, m...)
	}
	if len(us) < 6 {
		t.Fatalf("only %d units", len(us))
	}
	return us
}

// fakeRoot builds an alternate root with the distribution's units, our units
// in /etc/systemd/system and executable stubs for every Exec*= path, so that
// `verify --root` checks our units without installing anything.
func fakeRoot(t *testing.T, us []string) string {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "usr/lib/systemd"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", "/usr/lib/systemd/system", filepath.Join(root, "usr/lib/systemd/")).CombinedOutput(); err != nil {
		t.Fatalf("copy system units: %v %s", err, out)
	}
	etc := filepath.Join(root, "etc/systemd/system")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	execRe := regexp.MustCompile(`^Exec[A-Za-z]*=[-@:+!]*(/\S+)`)
	for _, u := range us {
		b, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(etc, u), b, 0o644); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(b)))
		for sc.Scan() {
			if m := execRe.FindStringSubmatch(sc.Text()); m != nil {
				p := filepath.Join(root, m[1])
				_ = os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return root
}

func TestUnitsVerify(t *testing.T) {
	sa := testutil.Need(t, "systemd-analyze")
	us := units(t)
	root := fakeRoot(t, us)
	args := append([]string{"verify", "--man=no", "--root=" + root}, us...)
	out, err := exec.Command(sa, args...).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	// The stubs are what makes verify pass: without the binaries it must complain.
	if err := os.Remove(filepath.Join(root, "usr/local/bin/env_exporter")); err != nil {
		t.Fatal(err)
	}
	out, _ = exec.Command(sa, "verify", "--man=no", "--root="+root, "env_exporter.service").CombinedOutput()
	if !strings.Contains(string(out), "not executable") {
		t.Errorf("verify did not notice a missing binary: %s", out)
	}
}

var exposureRe = regexp.MustCompile(`Overall exposure level for (\S+): ([0-9.]+)`)

func TestUnitsSecurityExposure(t *testing.T) {
	sa := testutil.Need(t, "systemd-analyze")
	for _, u := range units(t) {
		if !strings.HasSuffix(u, ".service") {
			continue
		}
		out, err := exec.Command(sa, "security", "--offline=yes", "--no-pager", "./"+u).CombinedOutput()
		if err != nil {
			t.Errorf("%s: systemd-analyze security: %v\n%s", u, err, out)
			continue
		}
		m := exposureRe.FindStringSubmatch(string(out))
		if m == nil {
			t.Errorf("%s: no exposure in output:\n%s", u, out)
			continue
		}
		x, _ := strconv.ParseFloat(m[2], 64)
		t.Logf("%-24s exposure %.1f", u, x)
		if x > maxExposure {
			t.Errorf("%s: exposure %.1f > %.1f\n%s", u, x, maxExposure, out)
		}
	}
}

// TestUnitsHardening pins the properties the issue names, so a later edit
// cannot trade them away while staying under the exposure threshold.
func TestUnitsHardening(t *testing.T) {
	icmp := map[string]bool{"line_exporter.service": true, "uptime_exporter.service": true}
	for _, u := range units(t) {
		if !strings.HasSuffix(u, ".service") {
			continue
		}
		b, _ := os.ReadFile(u)
		s := string(b)
		for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "ProtectHome=yes",
			"PrivateTmp=yes", "PrivateDevices=yes", "SystemCallFilter=@system-service", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"} {
			if !strings.Contains(s, "\n"+want+"\n") {
				t.Errorf("%s: missing %s", u, want)
			}
		}
		wantCaps := "CapabilityBoundingSet=\n"
		if icmp[u] {
			wantCaps = "CapabilityBoundingSet=CAP_NET_RAW\n"
		}
		if !strings.Contains(s, "\n"+wantCaps) {
			t.Errorf("%s: want %q", u, strings.TrimSpace(wantCaps))
		}
	}
}

// TestExampleConfigsParse: the /etc/jianguan examples are valid YAML and
// every file a unit reads exists among them.
func TestExampleConfigsParse(t *testing.T) {
	files, _ := filepath.Glob("../etc/jianguan/*.yml")
	if len(files) < 3 {
		t.Fatalf("only %d example configs", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := yaml.Unmarshal(b, &v); err != nil || len(v) == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	ref := regexp.MustCompile(`/etc/jianguan/([a-z_.-]+\.(yml|env))`)
	for _, u := range units(t) {
		b, _ := os.ReadFile(u)
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			if _, err := os.Stat(filepath.Join("../etc/jianguan", m[1])); err != nil {
				t.Errorf("%s reads /etc/jianguan/%s: no example in deploy/etc/jianguan", u, m[1])
			}
		}
	}
}

// TestExampleConfigsCheck: the example configs pass the real exporters'
// `--config.check` (built from this tree), so they cannot drift from the
// schemas in exporters/*/config.go unnoticed.
func TestExampleConfigsCheck(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not in PATH")
	}
	dir := t.TempDir()
	for _, e := range []struct{ name, config string }{
		{"env_exporter", "env.yml"}, {"line_exporter", "line.yml"}, {"uptime_exporter", "uptime.yml"},
	} {
		bin := filepath.Join(dir, e.name)
		if out, err := exec.Command(goBin, "build", "-o", bin, "../../exporters/"+e.name).CombinedOutput(); err != nil {
			t.Errorf("build %s: %v\n%s", e.name, err, out)
			continue
		}
		out, err := exec.Command(bin, "--config.check", "--config.file=../etc/jianguan/"+e.config).CombinedOutput()
		if err != nil {
			t.Errorf("%s --config.check ../etc/jianguan/%s: %v\n%s", e.name, e.config, err, out)
		}
	}
}

// TestReportMonthlyScript: the timer's script renders the four kinds in three
// formats for last month in Asia/Shanghai (or the month given).
func TestReportMonthlyScript(t *testing.T) {
	dir := t.TempDir()
	logf := filepath.Join(dir, "calls")
	fake := filepath.Join(dir, "jianguan-report")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"$*\" >> "+logf+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) []string {
		_ = os.Remove(logf)
		cmd := exec.Command("./jianguan-report-monthly", args...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "STATE_DIRECTORY=" + dir, "JIANGUAN_REPORT_BIN=" + fake,
			"JIANGUAN_PROM_URL=http://127.0.0.1:8428", "JIANGUAN_REPORT_ARGS=--organisation=test"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("script: %v\n%s", err, out)
		}
		b, _ := os.ReadFile(logf)
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	calls := run("2026-10")
	if len(calls) != 12 {
		t.Fatalf("%d calls, want 4 kinds × 3 formats: %v", len(calls), calls)
	}
	want := "--prometheus.url=http://127.0.0.1:8428 --month=2026-10 --kind=infrastructure --format=html -o " + dir + "/2026-10/infrastructure.html --organisation=test"
	if calls[0] != want {
		t.Errorf("first call\n got %s\nwant %s", calls[0], want)
	}
	sh := time.FixedZone("CST", 8*3600)
	now := time.Now().In(sh)
	last := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, sh).AddDate(0, 0, -1).Format("2006-01")
	if calls = run(); !strings.Contains(calls[0], "--month="+last+" ") {
		t.Errorf("default month: %s, want %s", calls[0], last)
	}
}
