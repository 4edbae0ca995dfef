package main

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// binExporter is the built line_exporter binary running as a process.
type binExporter struct {
	cmd    *exec.Cmd
	URL    string
	stderr *bytes.Buffer
}

func startBin(t *testing.T, bin string, port int, args ...string) *binExporter {
	t.Helper()
	e := &binExporter{URL: fmt.Sprintf("http://127.0.0.1:%d", port), stderr: &bytes.Buffer{}}
	e.cmd = exec.Command(bin, append([]string{fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port)}, args...)...)
	e.cmd.Stderr = e.stderr
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if e.cmd.ProcessState == nil {
			_ = e.cmd.Process.Kill()
			_ = e.cmd.Wait()
		}
	})
	testenv.WaitFor(t, 10*time.Second, "exporter healthy", func() bool {
		resp, err := http.Get(e.URL + "/-/healthy")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return e
}

// term sends SIGTERM and waits for a clean exit.
func (e *binExporter) term(t *testing.T) {
	t.Helper()
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, e.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit 10 s after SIGTERM")
	}
}

// lineVals reads the line family of one line from /metrics.
func lineVals(t *testing.T, url, line string) map[string]float64 {
	t.Helper()
	f := scrape(t, url)
	out := map[string]float64{}
	for _, n := range []string{"up", "unknown", "observed_seconds_total", "down_seconds_total", "unknown_seconds_total",
		"state_changes_total", "last_change_timestamp_seconds", "start_time_seconds", "icmp_probes_total", "icmp_replies_total", "icmp_rtt_seconds"} {
		out[n] = f.get("line_"+n, "line", line)
	}
	return out
}

// TestDefect17_10_BinaryRestartDuringOutage: issue 17 item 10 with the
// built binary. A line to 127.0.0.1 inside a network namespace is cut
// (loopback down), line_exporter is stopped with SIGTERM during the
// outage and started again with the same --state.file: on /metrics the
// counters continue, the start time, the state-change count and the last
// transition are the same, the line is still down, unknown grew by the
// time the exporter was not running only; after recovery the outage's
// down seconds are its duration minus that gap, and it is one outage.
func TestDefect17_10_BinaryRestartDuringOutage(t *testing.T) {
	testutil.NeedRoot(t) // a network namespace
	goBin := testutil.Need(t, "go")
	dir := t.TempDir()
	bin := filepath.Join(dir, "line_exporter")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ns := fmt.Sprintf("jg-state-%d", os.Getpid())
	ipc := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	ipc("netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	ipc("-n", ns, "link", "set", "lo", "up")

	cfg := filepath.Join(dir, "line.yml")
	if err := os.WriteFile(cfg, []byte("defaults: {icmp_interval: 200ms}\nlines:\n  - {name: l1, kind: leased, site: s, icmp: [{address: 127.0.0.1}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state", "line_exporter.json")
	if err := os.Mkdir(filepath.Dir(state), 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{"--config.file=" + cfg, "--icmp.netns=" + ns, "--state.file=" + state, "--log.level=info"}

	port := testutil.FreePort(t)
	prom := testenv.StartScraping(t, "line", fmt.Sprintf("127.0.0.1:%d", port), 500*time.Millisecond)
	a := startBin(t, bin, port, args...)
	testenv.WaitFor(t, 10*time.Second, "l1 up", func() bool { return lineVals(t, a.URL, "l1")["up"] == 1 })
	time.Sleep(time.Second)
	cutAt := time.Now()
	ipc("-n", ns, "link", "set", "lo", "down")
	testenv.WaitFor(t, 10*time.Second, "l1 down", func() bool { return lineVals(t, a.URL, "l1")["up"] == 0 })
	testenv.WaitFor(t, 20*time.Second, "Prometheus scraped the outage", func() bool {
		return promValue(t, prom, `min_over_time(line_up{line="l1"}[3s])`) == 0
	})
	before := lineVals(t, a.URL, "l1")
	a.term(t)
	stoppedAt := time.Now()

	time.Sleep(1500 * time.Millisecond) // not running
	b := startBin(t, bin, port, args...)
	after := lineVals(t, b.URL, "l1")
	upToScrape := time.Since(stoppedAt).Seconds()
	t.Logf("before SIGTERM: %v\nafter restart: %v", before, after)
	for _, n := range []string{"start_time_seconds", "state_changes_total", "last_change_timestamp_seconds"} {
		if after[n] != before[n] {
			t.Errorf("%s %v after the restart, %v before", n, after[n], before[n])
		}
	}
	// The line's other counters continue with it (the report reads them on
	// the basis that they reset only with line_start_time_seconds).
	for _, n := range []string{"icmp_probes_total", "icmp_replies_total", "icmp_rtt_seconds"} {
		if after[n] < before[n] || before[n] < 5 {
			t.Errorf("%s %v after the restart, %v before: want continued", n, after[n], before[n])
		}
	}
	if after["up"] != 0 || after["unknown"] != 0 {
		t.Errorf("after the restart up=%v unknown=%v, want the outage continued (down)", after["up"], after["unknown"])
	}
	if after["down_seconds_total"] < before["down_seconds_total"] || after["observed_seconds_total"] < before["observed_seconds_total"] {
		t.Errorf("counters went down across the restart: %v → %v", before, after)
	}
	gap := after["unknown_seconds_total"] - before["unknown_seconds_total"]
	if gap < 1.5 || gap > upToScrape+0.5 {
		t.Errorf("unknown grew by %v s across the restart, want the time not running (1.5 s ≤ x ≤ %v s)", gap, upToScrape)
	}

	time.Sleep(time.Second)
	upAt := time.Now()
	ipc("-n", ns, "link", "set", "lo", "up")
	testenv.WaitFor(t, 10*time.Second, "l1 up again", func() bool { return lineVals(t, b.URL, "l1")["up"] == 1 })
	final := lineVals(t, b.URL, "l1")
	testenv.WaitFor(t, 20*time.Second, "Prometheus scraped the recovery", func() bool {
		return promValue(t, prom, `max_over_time(line_up{line="l1"}[2s])`) == 1
	})
	// A real Prometheus sees one lifetime: no reset of any counter of the
	// line, no change of its start time, across the restart.
	for _, q := range []string{
		`changes(line_start_time_seconds{line="l1"}[5m])`,
		`resets(line_observed_seconds_total{line="l1"}[5m])`, `resets(line_down_seconds_total{line="l1"}[5m])`,
		`resets(line_unknown_seconds_total{line="l1"}[5m])`, `resets(line_state_changes_total{line="l1"}[5m])`,
		`resets(line_signal_observed_seconds_total{line="l1"}[5m])`, `resets(line_icmp_probes_total{line="l1"}[5m])`,
		`resets(line_icmp_replies_total{line="l1"}[5m])`, `resets(line_icmp_rtt_seconds_count{line="l1"}[5m])`,
		`resets(line_icmp_rtt_seconds_bucket{line="l1",le="+Inf"}[5m])`,
	} {
		if v := promValue(t, prom, q); v != 0 {
			t.Errorf("Prometheus: %s = %v, want 0", q, v)
		}
	}
	if n := promValue(t, prom, `count_over_time(line_up{line="l1"}[5m])`); n < 4 {
		t.Errorf("Prometheus has %v samples of line_up: too few to tell", n)
	}
	b.term(t)
	t.Logf("after recovery: %v", final)
	if final["state_changes_total"] != before["state_changes_total"]+1 {
		t.Errorf("state changes %v, want %v (one outage)", final["state_changes_total"], before["state_changes_total"]+1)
	}
	outage := upAt.Sub(cutAt).Seconds()
	want := outage - gap
	if d := final["down_seconds_total"]; math.Abs(d-want) > 0.5 {
		t.Errorf("down %v s, want %v (outage %v s − %v s not running) ± 0.5", d, want, outage, gap)
	}
	if !strings.Contains(b.stderr.String(), "state restored") {
		t.Errorf("no restore logged:\n%s", b.stderr)
	}
}

// promValue returns the single value of an instant query, NaN if none.
func promValue(t *testing.T, base, q string) float64 {
	t.Helper()
	r, err := testenv.Query(base, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(r) != 1 {
		return math.NaN()
	}
	v, _ := strconv.ParseFloat(r[0].Value, 64)
	return v
}
