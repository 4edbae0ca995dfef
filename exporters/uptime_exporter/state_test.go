package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	jtestutil "github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// websiteVals reads the website family from /metrics by url.
func websiteVals(t *testing.T, base string) map[string]map[string]float64 {
	t.Helper()
	_, body := httpBody(t, "GET", base+"/metrics")
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for _, n := range []string{"up", "unknown", "observed_seconds_total", "down_seconds_total", "unknown_seconds_total",
		"state_changes_total", "last_change_timestamp_seconds", "start_time_seconds"} {
		for _, m := range fams["website_"+n].GetMetric() {
			u := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "url" {
					u = l.GetValue()
				}
			}
			if out[u] == nil {
				out[u] = map[string]float64{}
			}
			v := m.GetGauge().GetValue()
			if m.Counter != nil {
				v = m.GetCounter().GetValue()
			}
			out[u][n] = v
		}
	}
	return out
}

// TestDefect17_10_UptimeRestart: issue 17 item 10 for uptime_exporter —
// a website up and one down (closed port) keep their counters, start
// times, states and last transitions across a clean stop and start with
// the same --state.file; unknown grows by the time not running only.
func TestDefect17_10_UptimeRestart(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") }))
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/"
	l.Close()
	up := srv.URL + "/"
	dir := t.TempDir()
	cfg := filepath.Join(dir, "uptime.yml")
	writeFile(t, cfg, fmt.Sprintf("defaults:\n  website: {interval: 1s, timeout: 500ms, recheck_delay: 100ms}\nwebsites:\n  - {url: %q}\n  - {url: %q}\n", up, closed))
	state := filepath.Join(dir, "state.json")

	run := func() (string, func()) {
		addr := fmt.Sprintf("127.0.0.1:%d", jtestutil.FreePort(t))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() {
			done <- newApp().Run(ctx, []string{"--config.file=" + cfg, "--web.listen-address=" + addr, "--no-targets.watch",
				"--state.file=" + state, "--log.level=warn"})
		}()
		base := "http://" + addr
		testenv.WaitFor(t, 10*time.Second, "exporter ready", func() bool {
			resp, err := http.Get(base + "/-/ready")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
		return base, func() {
			cancel()
			select {
			case c := <-done:
				if c != 0 {
					t.Errorf("exit %d", c)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("exporter did not stop")
			}
		}
	}
	base, stop := run()
	testenv.WaitFor(t, 20*time.Second, "one site up, the other down", func() bool {
		v := websiteVals(t, base)
		return v[up]["up"] == 1 && v[closed]["down_seconds_total"] > 0
	})
	time.Sleep(500 * time.Millisecond)
	before := websiteVals(t, base)
	stop()
	stoppedAt := time.Now()
	time.Sleep(time.Second)
	base, stop = run()
	defer stop()
	after := websiteVals(t, base)
	upToScrape := time.Since(stoppedAt).Seconds()
	for _, u := range []string{up, closed} {
		b, a := before[u], after[u]
		t.Logf("%s\n  before %v\n  after  %v", u, b, a)
		for _, n := range []string{"start_time_seconds", "state_changes_total", "last_change_timestamp_seconds", "up"} {
			if a[n] != b[n] {
				t.Errorf("%s: %s %v after the restart, %v before", u, n, a[n], b[n])
			}
		}
		if a["observed_seconds_total"] < b["observed_seconds_total"] || a["down_seconds_total"] < b["down_seconds_total"] {
			t.Errorf("%s: counters went down across the restart", u)
		}
		// The time from the last probe before the stop to the restart:
		// at least the second not running, at most that plus one interval.
		if g := a["unknown_seconds_total"] - b["unknown_seconds_total"]; g < 1 || g > upToScrape+1.5 {
			t.Errorf("%s: unknown grew by %v s, want the time not running (1 s ≤ x ≤ %v s)", u, g, upToScrape+1.5)
		}
	}
}
