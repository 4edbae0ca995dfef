package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/testutil/fakeprom"
)

func TestCLIBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--kind=nope", "--month=2026-10"}, "unknown report kind"},
		{[]string{"--kind=lines", "--month=2026-13"}, "no such month"},
		{[]string{"--kind=lines", "--month=2099-01"}, "has not begun"}, // a period not begun; an unfinished one is a 截至 draft
		{[]string{"--kind=lines", "--month=2026-10", "--format=docx"}, "unsupported format"},
	} {
		err := run(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v (want %q)", c.args, err, c.want)
		}
	}
}

func TestCLIPrometheusDownNoSecrets(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	t.Setenv("JIANGUAN_PROMETHEUS_PASSWORD", "pw-very-secret-123")
	out := filepath.Join(t.TempDir(), "r.html")
	err := run([]string{"--prometheus.url=http://" + addr, "--prometheus.user=u", "--kind=lines", "--month=2026-10", "-o", out})
	if err == nil || !strings.Contains(err.Error(), "unreachable") || strings.Contains(err.Error(), "pw-very-secret-123") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a report file was written although Prometheus is down")
	}
}

// TestHostile_CLIParameterBounds: out-of-range SLA targets and timeouts are
// rejected before anything is queried.
func TestHostile_CLIParameterBounds(t *testing.T) {
	for _, c := range []struct {
		arg, want string
	}{
		{"--sla=NaN", "strictly between 0 and 1"},
		{"--sla=0", "strictly between 0 and 1"},
		{"--sla=1", "strictly between 0 and 1"},
		{"--sla=-0.5", "strictly between 0 and 1"},
		{"--sla=99.99", "strictly between 0 and 1"},
		{"--sla=+Inf", "strictly between 0 and 1"},
		{"--prometheus.timeout=0", "must be > 0"},
		{"--prometheus.timeout=-5s", "must be > 0"},
		{"--prometheus.max-answer-mib=0", "want 1 … 1024"},
		{"--prometheus.max-answer-mib=4096", "want 1 … 1024"},
		{"--prometheus.max-concurrent=0", "want 1 … 32"},
		{"--prometheus.max-concurrent=1000", "want 1 … 32"},
		{"--prometheus.json-decoder=simd", `--prometheus.json-decoder="simd": want fast or std`},
	} {
		err := run([]string{"--prometheus.url=http://127.0.0.1:1", "--kind=lines", "--month=2026-10", c.arg})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v (want %q)", c.arg, err, c.want)
		}
	}
}

// FuzzCLIParameters drives the CLI's parameter parsing (month, SLA target,
// timeout, kind, format, filter) against a fake Prometheus without data.
// Properties: no panic; every run fails with an error (bad parameters, or
// 本期无监测数据), and no output file is written.
func FuzzCLIParameters(f *testing.F) {
	fp := fakeprom.Start(f, fakeprom.Empty)
	for _, s := range [][6]string{
		{"2026-10", "0.9999", "60s", "lines", "html", "site=dc1"},
		{"2026-13", "NaN", "0", "hosts", "csv", "=x"},
		{"9999-99", "1e309", "-1s", "providers", "pdf", `a"b=c`},
		{"2026-1", "0x1p-2", "1h", "bogus", "docx", "site"},
		{"", "-0", "9223372036s", "infrastructure", "json", "__name__=up"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	f.Fuzz(func(t *testing.T, month, sla, timeout, kind, format, filter string) {
		dir := t.TempDir()
		out := filepath.Join(dir, "r")
		err := run([]string{"--prometheus.url=" + fp.URL, "--month=" + month, "--sla=" + sla, "--prometheus.timeout=" + timeout,
			"--kind=" + kind, "--format=" + format, "--filter=" + filter, "-o", out})
		if err == nil {
			t.Fatalf("month %q sla %q timeout %q kind %q format %q filter %q: succeeded without data", month, sla, timeout, kind, format, filter)
		}
		if ents, _ := os.ReadDir(dir); len(ents) > 0 {
			t.Fatalf("file written although the run failed: %v (%v)", ents, err)
		}
	})
}
