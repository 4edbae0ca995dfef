// Package testenv starts the real components that integration tests run on
// loopback (issue 23: one way to start them, used by every test). It
// imports package testing, so only _test.go files may import it; production
// binaries never link it (tools/TestNoTestingInProductionBinaries).
//
// It holds Prometheus (over a TSDB, scraping targets, or with a given
// configuration), VictoriaMetrics, Alertmanager, snmpsimd (snmpsim.go) and
// PostgreSQL (postgres.go), each on a free loopback
// port, ready when returned and stopped when the test ends (or, for a
// fixture shared by a package's tests, by TestMain: the Launch functions);
// WaitFor, Query and QueryAt. FreePort, Need and the other finders are in
// internal/testutil.
package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
)

const (
	// readyTimeout bounds the wait for a started component's readiness.
	readyTimeout = 60 * time.Second
	// requestTimeout bounds one HTTP request to a started component.
	requestTimeout = 10 * time.Second
)

// get is one GET of u within requestTimeout; the caller closes the body.
func get(u string) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

// cancelOnClose releases a request's context with its body.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error { defer c.cancel(); return c.ReadCloser.Close() }

// StartPrometheus runs prometheus (2.x or 3.x) on 127.0.0.1 over dataDir
// (retention 10 years so backfilled history is kept; extraArgs appended to
// its flags, one of the same name as a default replacing it, see
// LaunchPrometheus) and returns its base URL once /-/ready answers (at most 60 s,
// then the test fails with Prometheus' log); it is stopped when the test
// ends.
func StartPrometheus(t testing.TB, prometheus, dataDir string, extraArgs ...string) string {
	t.Helper()
	return StartPrometheusProc(t, prometheus, dataDir, extraArgs...).URL
}

// Prometheus versions StartPrometheusVersion starts.
const (
	Prom242 = "2.42" // the Debian package (testutil.Need "prometheus")
	Prom3   = "3.x"  // make prom3's build from the Go module proxy (testutil.Prom3)
)

// StartPrometheusVersion starts Prometheus version v (Prom242 or Prom3;
// the test is skipped as Need and Prom3 skip when it is missing) over a
// copy of dataDir, so that versions never share a data directory, and
// returns its base URL.
func StartPrometheusVersion(t testing.TB, v, dataDir string) string {
	t.Helper()
	bin := ""
	switch v {
	case Prom242:
		bin = testutil.Need(t, "prometheus")
	case Prom3:
		bin, _ = testutil.Prom3(t)
	default:
		t.Fatalf("Prometheus version %q: want %q or %q", v, Prom242, Prom3)
	}
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(dir, os.DirFS(dataDir)); err != nil {
		t.Fatal(err)
	}
	return StartPrometheus(t, bin, dir)
}

// StartPrometheusProc is StartPrometheus returning the process, for a test
// that stops and restarts it (Proc.Terminate, Proc.Restart: same port and
// data directory), e.g. to open blocks added to its data directory at once
// instead of waiting for its once-a-minute reload.
func StartPrometheusProc(t testing.TB, prometheus, dataDir string, extraArgs ...string) *Proc {
	t.Helper()
	p, err := LaunchPrometheus(prometheus, "global:\n  scrape_interval: 1m\n", dataDir, extraArgs...)
	return own(t, p, err)
}

// StartPrometheusConfig is StartPrometheus with config as the text of its
// prometheus.yml (scrape and remote_write configurations, rule files).
func StartPrometheusConfig(t testing.TB, prometheus, config, dataDir string, extraArgs ...string) string {
	t.Helper()
	p, err := LaunchPrometheus(prometheus, config, dataDir, extraArgs...)
	return own(t, p, err).URL
}

// StartScraping runs the machine's prometheus (testutil.Need: the test is
// skipped without it) scraping target (host:port) as job every interval,
// with a scrape timeout of 80 % of it, over a fresh TSDB; it returns the
// base URL once /-/ready answers. Prometheus' log is printed if the test
// fails.
func StartScraping(t testing.TB, job, target string, interval time.Duration) string {
	t.Helper()
	return StartScrapingJobs(t, interval, map[string]string{job: target})
}

// StartScrapingJobs is StartScraping with several jobs, job name → target.
func StartScrapingJobs(t testing.TB, interval time.Duration, targets map[string]string) string {
	t.Helper()
	prom := testutil.Need(t, "prometheus")
	var b strings.Builder
	fmt.Fprintf(&b, "global: {scrape_interval: %s, scrape_timeout: %s}\nscrape_configs:\n", interval, interval*4/5)
	for _, job := range slices.Sorted(maps.Keys(targets)) {
		fmt.Fprintf(&b, "  - job_name: %q\n    static_configs: [{targets: [%q]}]\n", job, targets[job])
	}
	return StartPrometheusConfig(t, prom, b.String(), filepath.Join(t.TempDir(), "data"))
}

// LaunchPrometheus is StartPrometheusConfig for a fixture that outlives one
// test (started once, stopped in TestMain): no test owns it, so it returns
// an error (with Prometheus' log) instead of failing one, and the caller
// calls Stop. The flags it sets — --config.file, --storage.tsdb.path,
// --web.listen-address, --storage.tsdb.retention.time=10y,
// --log.level=warn — give way to an extraArgs flag of the same name
// (written --flag=value), except the listen address.
func LaunchPrometheus(prometheus, config, dataDir string, extraArgs ...string) (*Proc, error) {
	tmp, err := os.MkdirTemp("", "testenv-prometheus-")
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(tmp, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := withDefaults([]string{"--config.file=" + cfg, "--storage.tsdb.path=" + dataDir,
		"--storage.tsdb.retention.time=10y", "--log.level=warn"}, extraArgs)
	return launch(procSpec{name: "prometheus", bin: prometheus, base: "http://" + addr, ready: "/-/ready", tmp: tmp,
		args: append(args, "--web.listen-address="+addr)})
}

// ---------------------------------------------------------------- processes

// Proc is a component started by testenv: its base URL, its log, and how to
// stop it. The Start functions stop it when the test ends; a Launch
// function's caller calls Stop.
type Proc struct {
	// URL is the base URL, http://127.0.0.1:port.
	URL      string
	name     string
	cmd      *exec.Cmd
	log      *logBuffer
	done     chan struct{} // closed when the process has exited
	graceful bool          // Stop sends SIGTERM first
	tmp      string        // removed by Stop
	spec     procSpec      // what launch started, for Restart (restart.go)
}

// procSpec is what launch starts.
type procSpec struct {
	name, bin   string
	args, env   []string // env is added to the test's environment
	base, ready string   // base URL; readiness path answering 200
	graceful    bool
	tmp         string
}

// stopGrace bounds a graceful Stop before SIGKILL.
const stopGrace = 10 * time.Second

// launch starts s.bin and waits (readyTimeout) for s.base+s.ready to answer
// 200; a process that exits or never gets ready is killed and its log
// returned in the error.
func launch(s procSpec) (*Proc, error) {
	p := &Proc{URL: s.base, name: s.name, log: &logBuffer{}, done: make(chan struct{}), graceful: s.graceful, tmp: s.tmp, spec: s}
	p.cmd = exec.CommandContext(context.Background(), s.bin, s.args...)
	if len(s.env) > 0 {
		p.cmd.Env = append(os.Environ(), s.env...)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(s.tmp)
		return nil, fmt.Errorf("start %s: %w", s.name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	if err := waitReady(s.base+s.ready, readyTimeout, p.done); err != nil {
		p.Kill()
		p.Stop()
		return nil, fmt.Errorf("%s %s not ready: %w\n%s", s.name, s.base, err, p.Log())
	}
	return p, nil
}

// own ties a launched process to t: a launch error fails the test, and the
// process is stopped when the test ends, its log printed if it failed.
func own(t testing.TB, p *Proc, err error) *Proc {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("---- %s %s log ----\n%s", p.name, p.URL, p.Log())
		}
	})
	return p
}

// Stop ends the process — SIGTERM and up to 10 s for Alertmanager, SIGKILL
// for the stores, whose tests never need a clean shutdown — and removes the
// temporary directory testenv made for it. Stopping a stopped process does
// nothing.
func (p *Proc) Stop() {
	select {
	case <-p.done:
	default:
		if !p.graceful {
			p.Kill()
			break
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopGrace):
			p.Kill()
		}
	}
	if p.tmp != "" {
		os.RemoveAll(p.tmp)
	}
}

// Kill sends SIGKILL (a crash: an Alertmanager leaves its cluster without a
// goodbye) and waits for the process to exit.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Log is what the process wrote to stdout and stderr (its last 4 MiB).
func (p *Proc) Log() string { return strings.TrimSpace(p.log.String()) }

// logBuffer keeps the tail of a process' output.
type logBuffer struct {
	mu sync.Mutex
	b  []byte
}

const logKeep = 4 << 20

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	if len(l.b) > 2*logKeep {
		l.b = append(l.b[:0:0], l.b[len(l.b)-logKeep:]...)
	}
	return len(p), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

// withDefaults is defaults without the flags extra sets (--name=value or
// -name=value), then extra.
func withDefaults(defaults, extra []string) []string {
	set := map[string]bool{}
	for _, a := range extra {
		set[flagName(a)] = true
	}
	out := make([]string, 0, len(defaults)+len(extra))
	for _, d := range defaults {
		if !set[flagName(d)] {
			out = append(out, d)
		}
	}
	return append(out, extra...)
}

func flagName(arg string) string {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return name
}

// freePort is testutil.FreePort for a fixture no test owns.
func freePort() (int, error) {
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls u every 100 ms until it answers 200, at most timeout, or
// until exited is closed (the process is gone).
func waitReady(u string, timeout time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s", u, resp.Status)
		}
		if time.Now().After(deadline) {
			return err
		}
		select {
		case <-exited:
			return errors.New("the process exited")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// WaitFor polls cond every 50 ms until it holds; after timeout the test
// fails naming what it waited for.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Sample is one sample of an instant query: its labels and its value as
// Prometheus wrote it ("1", "NaN").
type Sample struct {
	Labels map[string]string
	Value  string
}

// Query runs an instant PromQL query against a Prometheus (or
// VictoriaMetrics) base URL at the server's now and returns its samples. An
// HTTP or API error is returned, not fatal, so that a caller can poll.
func Query(base, q string) ([]Sample, error) {
	return query(base, url.Values{"query": {q}})
}

// QueryAt is Query evaluated at the instant at (millisecond precision).
func QueryAt(base, q string, at time.Time) ([]Sample, error) {
	return query(base, url.Values{"query": {q}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)}})
}

func query(base string, v url.Values) ([]Sample, error) {
	q := v.Get("query")
	resp, err := get(base + "/api/v1/query?" + v.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  []any             `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %q: %s %s", q, r.Status, r.Error)
	}
	out := make([]Sample, 0, len(r.Data.Result))
	for _, s := range r.Data.Result {
		if len(s.Value) == 2 {
			out = append(out, Sample{Labels: s.Metric, Value: fmt.Sprint(s.Value[1])})
		}
	}
	return out, nil
}
