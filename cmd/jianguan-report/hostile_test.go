package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil/fakeprom"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// cliBinary builds jianguan-report once per test run.
func cliBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "jianguan-report-test-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "jianguan-report")
		out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = &exec.ExitError{}
			t.Logf("go build: %s", out)
		}
	})
	if binErr != nil {
		t.Fatalf("building the CLI: %v", binErr)
	}
	return binPath
}

// TestHostile_HugeAnswerBoundedMemory: a Prometheus answering 200 MB to every
// query (with and without Content-Length). The CLI (the built binary, a child
// process) must fail with 「查询结果过大」 naming a query and the limit, and
// its peak RSS must stay bounded (before: 6.6–7.2 GB and a misdiagnosis).
func TestHostile_HugeAnswerBoundedMemory(t *testing.T) {
	bin := cliBinary(t)
	const boundMiB = 400
	for _, c := range []struct {
		name string
		mode fakeprom.Mode
		args []string
		want string
	}{
		{"chunked-default-limit", fakeprom.Huge, nil, "limit is 64 MiB per answer"},
		{"content-length-default-limit", fakeprom.HugeWithLength, nil, "limit is 64 MiB per answer"},
		{"chunked-8MiB-limit", fakeprom.Huge, []string{"--prometheus.max-answer-mib=8", "--prometheus.max-concurrent=2"}, "limit is 8 MiB per answer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fp := fakeprom.Start(t, c.mode)
			cmd := exec.Command(bin, append([]string{"--prometheus.url=" + fp.URL, "--kind=providers", "--month=2026-10", "--format=json", "-o", filepath.Join(t.TempDir(), "r.json")}, c.args...)...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			st := time.Now()
			err := cmd.Run()
			if err == nil {
				t.Fatal("the CLI succeeded against 200 MB answers")
			}
			rssMiB := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss / 1024
			t.Logf("%s: exit %d after %v, peak RSS %d MiB, %d requests, %d MB sent; stderr: %s",
				c.name, cmd.ProcessState.ExitCode(), time.Since(st).Round(time.Millisecond), rssMiB, fp.Requests(), fp.BytesSent()/1e6, strings.TrimSpace(stderr.String()))
			msg := stderr.String()
			if !strings.Contains(msg, "查询结果过大") || !strings.Contains(msg, "query answer too large") || !strings.Contains(msg, c.want) || !strings.Contains(msg, `for query "`) {
				t.Errorf("stderr lacks the too-large error with query and limit: %s", msg)
			}
			if rssMiB > boundMiB {
				t.Errorf("peak RSS %d MiB > %d MiB", rssMiB, boundMiB)
			}
		})
	}
}

// TestHostile_FakePrometheusAnswers: empty, malformed, warnings-only, slow
// and Authorization-echoing answers each give a clear error, a non-zero
// exit and no file; no secret is printed.
func TestHostile_FakePrometheusAnswers(t *testing.T) {
	bin := cliBinary(t)
	const pw = "pw-Very-Secret-987"
	for _, c := range []struct {
		name string
		mode fakeprom.Mode
		args []string
		want string
	}{
		{"empty", fakeprom.Empty, nil, "本期无监测数据"},
		{"empty-freeze", fakeprom.Empty, []string{"--freeze=FREEZE"}, "no monitoring data for the period 2026-10"},
		{"warnings-partial", fakeprom.Warnings, nil, "the data may be partial"},
		{"malformed", fakeprom.Malformed, nil, "non-API body"},
		{"slow", fakeprom.Slow, []string{"--prometheus.timeout=1s"}, "did not answer within 1s"},
		{"echo-authorization", fakeprom.EchoAuth, nil, "<redacted>"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fp := fakeprom.Start(t, c.mode)
			dir := t.TempDir()
			out := filepath.Join(dir, "r.html")
			args := []string{"--prometheus.url=" + fp.URL, "--prometheus.user=grafana", "--kind=lines", "--month=2026-10", "-o", out}
			for _, a := range c.args {
				args = append(args, strings.Replace(a, "FREEZE", filepath.Join(dir, "snap.json"), 1))
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "JIANGUAN_PROMETHEUS_PASSWORD="+pw)
			b, err := cmd.CombinedOutput()
			if err == nil || cmd.ProcessState.ExitCode() == 0 {
				t.Fatalf("exit 0: %s", b)
			}
			if !strings.Contains(string(b), c.want) {
				t.Errorf("output lacks %q: %s", c.want, b)
			}
			if strings.Contains(string(b), pw) || strings.Contains(string(b), "Z3JhZmFuYTpwdy1WZXJ5LVNlY3JldC05ODc=") {
				t.Errorf("secret printed: %s", b)
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 0 {
				t.Errorf("files written although the report failed: %v", ents)
			}
		})
	}
}
