package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func writeFileB(t testing.TB, path, content string) { writeFile(t, path, content) }

func startServiceB(t testing.TB, dir string) (*service, *prometheus.Registry) {
	return startService(t, dir, options{shard: shard{0, 1}})
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// startService loads dir/uptime.yml and applies it.
func startService(t testing.TB, dir string, o options) (*service, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	if o.newPinger == nil {
		o.newPinger = func() (pinger, error) { return newFakePinger(), nil }
	}
	s, err := newService(quiet, reg, o)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.Load(filepath.Join(dir, "uptime.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(s.ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s, reg
}

func (s *service) websiteByURL(url string) *website {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, w := range s.websites {
		if w.spec.url == url {
			return w
		}
	}
	return nil
}

func (w *website) snapshot() avail.Snapshot { return w.tracker.Snapshot(time.Now()) }

func (w *website) failuresOf(reason string) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, n := range reasonNames {
		if n == reason {
			return w.failures[i]
		}
	}
	return 0
}

// TestWebsiteConfirmBeforeDown: one failed probe followed by a good
// re-check is no interruption; persistent failure is confirmed down after
// down_after failures plus a failed re-check; recovery is confirmed up.
func TestWebsiteConfirmBeforeDown(t *testing.T) {
	var failNext, failAll atomic.Int64
	var requests atomic.Int64
	srv := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if failAll.Load() == 1 || failNext.Add(-1) >= 0 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "uptime.yml"), fmt.Sprintf(`
defaults:
  website: {interval: 1s, timeout: 500ms, down_after: 1, up_after: 1, recheck_delay: 100ms}
websites:
  - {url: %q, unit: 市政务办, provider: cloudA, system: portal, site: dc1}
`, srv.URL+"/"))
	s, reg := startService(t, dir, options{shard: shard{0, 1}})
	w := s.websiteByURL(srv.URL + "/")
	testenv.WaitFor(t, 5*time.Second, "website up", func() bool { return w.tracker.State() == avail.Up })

	// A single failure: the re-check succeeds, no interruption.
	failNext.Store(1)
	testenv.WaitFor(t, 5*time.Second, "one status failure", func() bool { return w.failuresOf("status") == 1 })
	r0 := requests.Load()
	testenv.WaitFor(t, 3*time.Second, "re-check", func() bool { return requests.Load() > r0 })
	time.Sleep(100 * time.Millisecond)
	if st := w.snapshot(); st.State != avail.Up || st.StateChanges != 0 || st.DownSeconds != 0 {
		t.Fatalf("after one failure + good re-check: state %v, changes %d, down %.1fs; want up, 0, 0", st.State, st.StateChanges, st.DownSeconds)
	}

	// Persistent failure: confirmed down.
	start := time.Now()
	failAll.Store(1)
	testenv.WaitFor(t, 5*time.Second, "website down", func() bool { return w.tracker.State() == avail.Down })
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("down confirmed after %s, want within one interval + re-check", d)
	}
	time.Sleep(2 * time.Second)
	failAll.Store(0)
	outage := time.Since(start)
	testenv.WaitFor(t, 5*time.Second, "website up again", func() bool { return w.tracker.State() == avail.Up })
	st := w.snapshot()
	if st.StateChanges != 2 {
		t.Errorf("state changes = %d, want 2", st.StateChanges)
	}
	if diff := st.DownSeconds - outage.Seconds(); diff < -1.5 || diff > 1.5 {
		t.Errorf("down seconds %.2f, true outage %.2f: off by more than one interval + 0.5 s", st.DownSeconds, outage.Seconds())
	}
	if n := testutil.CollectAndCount(reg, "website_probe_failures_total"); n != nReasons {
		t.Errorf("website_probe_failures_total has %d series, want %d", n, nReasons)
	}
	if v := testutil.ToFloat64(gaugeOf(t, reg, "website_up")); v != 1 {
		t.Errorf("website_up = %v", v)
	}
	if v := testutil.ToFloat64(gaugeOf(t, reg, "website_http_status_code")); v != 200 {
		t.Errorf("website_http_status_code = %v", v)
	}
}

// gaugeOf returns a collector exposing the single series of name in reg.
func gaugeOf(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			if len(mf.Metric) != 1 {
				t.Fatalf("%s: %d series", name, len(mf.Metric))
			}
			m := mf.Metric[0]
			v := 0.0
			switch {
			case m.Gauge != nil:
				v = m.Gauge.GetValue()
			case m.Counter != nil:
				v = m.Counter.GetValue()
			}
			return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "x"}, func() float64 { return v })
		}
	}
	t.Fatalf("%s not exported", name)
	return nil
}

// metricValue returns the value of the series of name whose labels
// contain all of want ("k=v").
func metricValue(t *testing.T, reg *prometheus.Registry, name string, want ...string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.Metric {
			have := map[string]string{}
			for _, lp := range m.Label {
				have[lp.GetName()] = lp.GetValue()
			}
			for _, w := range want {
				k, v, _ := strings.Cut(w, "=")
				if have[k] != v {
					continue next
				}
			}
			switch {
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount()), true
			}
		}
	}
	return 0, false
}
