package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLIBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--kind=nope", "--month=2026-10"}, "unknown report kind"},
		{[]string{"--kind=lines", "--month=2026-13"}, "no such month"},
		{[]string{"--kind=lines", "--month=2999-01"}, "not finished yet"},
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
