// Package testenv starts the real components that integration tests run on
// loopback (issue 23: one way to start them, used by every test). It
// imports package testing, so only _test.go files may import it; production
// binaries never link it (tools/TestNoTestingInProductionBinaries).
//
// It holds Prometheus (over a TSDB, or scraping one target), WaitFor and
// Query today; FreePort, Need and the other finders are in internal/testutil.
package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
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
// (retention 10 years so backfilled history is kept, extraArgs appended to
// its flags) and returns its base URL once /-/ready answers (at most 60 s,
// then the test fails with Prometheus' log); it is stopped when the test
// ends.
func StartPrometheus(t testing.TB, prometheus, dataDir string, extraArgs ...string) string {
	t.Helper()
	return startPrometheus(t, prometheus, "global:\n  scrape_interval: 1m\n", dataDir, extraArgs...)
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
	return startPrometheus(t, prom, b.String(), filepath.Join(t.TempDir(), "data"))
}

func startPrometheus(t testing.TB, prometheus, config, dataDir string, extraArgs ...string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	logf, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prometheus, append([]string{"--config.file=" + cfg, "--storage.tsdb.path=" + dataDir, "--web.listen-address=" + addr,
		"--storage.tsdb.retention.time=10y", "--log.level=warn"}, extraArgs...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log := func() string { b, _ := os.ReadFile(logf.Name()); return strings.TrimSpace(string(b)) }
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", log())
		}
		logf.Close()
	})
	base := "http://" + addr
	if err := waitReady(base+"/-/ready", readyTimeout); err != nil {
		t.Fatalf("prometheus not ready: %v\n%s", err, log())
	}
	return base
}

// waitReady polls u every 100 ms until it answers 200, at most timeout.
func waitReady(u string, timeout time.Duration) error {
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
		time.Sleep(100 * time.Millisecond)
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

// Query runs an instant PromQL query against a Prometheus base URL and
// returns its samples. An HTTP or API error is returned, not fatal, so that
// a caller can poll.
func Query(base, q string) ([]Sample, error) {
	resp, err := get(base + "/api/v1/query?query=" + url.QueryEscape(q))
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
