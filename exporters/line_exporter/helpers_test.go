package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// exporterRun is line_exporter running in-process.
type exporterRun struct {
	URL  string
	Cfg  string
	code chan int
	stop context.CancelFunc
}

// startExporter runs line_exporter (the real App frame) with a config on a
// free loopback port and waits for /-/healthy.
func startExporter(t *testing.T, cfg string, args ...string) *exporterRun {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "line.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	port := testutil.FreePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	r := &exporterRun{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Cfg: path, code: make(chan int, 1), stop: cancel}
	all := append([]string{"--config.file=" + path, fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--log.level=warn"}, args...)
	go func() { r.code <- app().Run(ctx, all) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.code:
		case <-time.After(10 * time.Second):
			t.Error("exporter did not stop")
		}
	})
	testenv.WaitFor(t, 10*time.Second, "exporter healthy", func() bool {
		select {
		case c := <-r.code:
			t.Fatalf("exporter exited with %d", c)
		default:
		}
		resp, err := http.Get(r.URL + "/-/healthy")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return r
}

type families map[string]*dto.MetricFamily

func scrapeText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tryScrape is scrape for goroutines other than the test's.
func tryScrape(url string) (families, error) {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}

func scrape(t *testing.T, url string) families {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(scrapeText(t, url)))
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// get returns the value of the first series of name whose labels include
// the pairs ("line", "x", …), or NaN.
func (f families) get(name string, pairs ...string) float64 {
	mf := f[name]
	if mf == nil {
		return math.NaN()
	}
next:
	for _, m := range mf.Metric {
		for i := 0; i+1 < len(pairs); i += 2 {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == pairs[i] && lp.GetValue() == pairs[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			return m.Untyped.GetValue()
		}
	}
	return math.NaN()
}

// labelValues lists a label's values over the series of name matching pairs.
func (f families) labelValues(name, label string, pairs ...string) []string {
	mf := f[name]
	if mf == nil {
		return nil
	}
	var out []string
next:
	for _, m := range mf.Metric {
		var v string
		for i := 0; i+1 < len(pairs); i += 2 {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == pairs[i] && lp.GetValue() == pairs[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		for _, lp := range m.Label {
			if lp.GetName() == label {
				v = lp.GetValue()
			}
		}
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// topo is a core network namespace joined to n far-end namespaces by veth
// pairs: core cN 10.77.N.1/30 ↔ farN fN 10.77.N.2/30. Names are unique per
// run; everything is deleted by t.Cleanup.
type topo struct {
	Core string
	Far  []string
}

func newTopo(t *testing.T, n int) *topo {
	t.Helper()
	testutil.NeedRoot(t)
	testutil.Need(t, "ip")
	id := fmt.Sprintf("jgl%d%04d", os.Getpid()%100000, time.Now().UnixNano()%10000)
	tp := &topo{Core: id + "c"}
	var mu sync.Mutex
	var made []string
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, ns := range made {
			exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	add := func(ns string) {
		run(t, "ip", "netns", "add", ns)
		mu.Lock()
		made = append(made, ns)
		mu.Unlock()
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	add(tp.Core)
	for i := 1; i <= n; i++ {
		far := fmt.Sprintf("%sf%d", id, i)
		add(far)
		tp.Far = append(tp.Far, far)
		c, f := fmt.Sprintf("c%d", i), fmt.Sprintf("f%d", i)
		run(t, "ip", "-n", tp.Core, "link", "add", c, "type", "veth", "peer", "name", f, "netns", far)
		run(t, "ip", "-n", tp.Core, "addr", "add", fmt.Sprintf("10.77.%d.1/30", i), "dev", c)
		run(t, "ip", "-n", far, "addr", "add", fmt.Sprintf("10.77.%d.2/30", i), "dev", f)
		run(t, "ip", "-n", tp.Core, "link", "set", c, "up")
		run(t, "ip", "-n", far, "link", "set", f, "up")
	}
	return tp
}

// nft runs an nft script inside a namespace.
func nftIn(t *testing.T, ns, script string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft in %s: %v\n%s\n%s", ns, err, out, script)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func post(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Post(url, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

var stderrMu sync.Mutex

// captureStderr runs f with os.Stderr redirected to a pipe.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	stderrMu.Lock()
	defer stderrMu.Unlock()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	f()
	os.Stderr = old
	w.Close()
	return <-done
}
