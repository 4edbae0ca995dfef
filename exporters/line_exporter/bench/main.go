// Command bench is `make bench-sla`: a network-namespace line watched at
// the same time by line_exporter and by Debian's prometheus-blackbox-exporter
// (ICMP module), both scraped every 15 s by a real Prometheus on loopback.
// It injects outages of 1 s, 3 s, 7 s, 20 s, 90 s and 5 min (an nftables
// blackhole on the far end), then measures each outage with each tool over
// the same window:
//
//	line_exporter: increase(line_down_seconds_total[W])
//	blackbox:      (1 - avg_over_time(probe_success[W])) × W
//
// and prints per-outage errors against the truth. line_exporter watches the
// far end twice: with the 1 s default probe interval and with 250 ms
// (recommended for 99.99 % lines). blackbox's error depends on its probe
// phase, so one run proves little: -runs (default 5) independent benches
// run at once, each with its own namespaces and processes, and the last
// lines are one per probe interval,
//
//	sla error ratio (blackbox/jianguan) at 1s probes (the default), median of 5 runs: R  (runs: …)
//
// R being blackbox's sum of absolute per-outage errors over line_exporter's.
//
// Run as root from the repository root: go run ./exporters/line_exporter/bench
// (-short: 1 s, 3 s, 7 s, 20 s only, for a quick check; -runs N).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var (
	inside    = flag.Bool("inside", false, "internal: run inside the core namespace")
	far       = flag.String("far", "", "internal: far-end namespace")
	dir       = flag.String("dir", "", "internal: work directory")
	short     = flag.Bool("short", false, "only 1 s, 3 s, 7 s and 20 s outages (quick check)")
	gap       = flag.Duration("gap", 30*time.Second, "time between outages")
	promBin   = flag.String("prometheus", "/usr/bin/prometheus", "Prometheus 2.42 binary")
	bbBin     = flag.String("blackbox", "/usr/bin/prometheus-blackbox-exporter", "blackbox_exporter 0.23 binary")
	scrapeInt = flag.Duration("scrape-interval", 15*time.Second, "Prometheus scrape interval")
	runs      = flag.Int("runs", 5, "independent runs at once (1-9); one line per probe interval gives the median ratio")
)

const (
	farAddr  = "10.78.1.2"
	coreAddr = "10.78.1.1"
	lePort   = 19811
	bbPort   = 19115
	promPort = 19090
)

func main() {
	flag.Parse()
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "bench-sla needs root (network namespaces, nftables, ICMP)")
		os.Exit(2)
	}
	if *inside {
		os.Exit(benchInside())
	}
	os.Exit(outer())
}

func sh(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		panic(err)
	}
}

// outer builds line_exporter, runs -runs independent benches at once (each
// with its own core and far-end namespaces, Prometheus, blackbox_exporter
// and line_exporter; their probe phases differ, which is what makes one run
// prove little), prints each run's table and then one line per probe
// interval with the median ratio. It always removes the namespaces.
func outer() int {
	for _, b := range []string{*promBin, *bbBin} {
		if _, err := os.Stat(b); err != nil {
			fmt.Fprintf(os.Stderr, "missing %s (apt-get install prometheus prometheus-blackbox-exporter)\n", b)
			return 2
		}
	}
	if *runs < 1 || *runs > 9 {
		fmt.Fprintln(os.Stderr, "-runs must be between 1 and 9")
		return 2
	}
	work, err := os.MkdirTemp("", "bench-sla")
	must(err)
	defer os.RemoveAll(work)
	fmt.Println("building line_exporter …")
	build := exec.Command("go", "build", "-o", filepath.Join(work, "line_exporter"), "./exporters/line_exporter")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "go build ./exporters/line_exporter failed (run from the repository root):", err)
		return 2
	}
	self, err := os.Executable()
	must(err)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	type result struct {
		out  bytes.Buffer
		err  error
		cmd  *exec.Cmd
		done chan struct{}
	}
	res := make([]*result, *runs)
	var cleanups []func()
	defer func() {
		for _, c := range cleanups {
			c()
		}
	}()
	fmt.Printf("%d runs at once, each with its own namespaces, Prometheus, blackbox_exporter and line_exporter …\n", *runs)
	for i := range res {
		r := &result{done: make(chan struct{})}
		res[i] = r
		id := fmt.Sprintf("jgsla%d-%d", os.Getpid(), i)
		core, farNS := id+"c", id+"f"
		cleanups = append(cleanups, func() {
			exec.Command("ip", "netns", "del", core).Run()
			exec.Command("ip", "netns", "del", farNS).Run()
		})
		for _, c := range [][]string{
			{"netns", "add", core}, {"netns", "add", farNS},
			{"-n", core, "link", "set", "lo", "up"}, {"-n", farNS, "link", "set", "lo", "up"},
			{"-n", core, "link", "add", "c1", "type", "veth", "peer", "name", "f1", "netns", farNS},
			{"-n", core, "addr", "add", coreAddr + "/30", "dev", "c1"},
			{"-n", farNS, "addr", "add", farAddr + "/30", "dev", "f1"},
			{"-n", core, "link", "set", "c1", "up"}, {"-n", farNS, "link", "set", "f1", "up"},
		} {
			if err := sh("ip", c...); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		wd := filepath.Join(work, fmt.Sprint("run", i))
		must(os.MkdirAll(wd, 0o755))
		must(os.Link(filepath.Join(work, "line_exporter"), filepath.Join(wd, "line_exporter")))
		args := []string{"netns", "exec", core, self, "-inside", "-far", farNS, "-dir", wd,
			"-gap", gap.String(), "-prometheus", *promBin, "-blackbox", *bbBin, "-scrape-interval", scrapeInt.String()}
		if *short {
			args = append(args, "-short")
		}
		r.cmd = exec.Command("ip", args...)
		r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
		must(r.cmd.Start())
		go func() { r.err = r.cmd.Wait(); close(r.done) }()
		// Staggered starts: the runs' outages do not all hit at once.
		time.Sleep(2300 * time.Millisecond)
	}
	for _, r := range res {
		select {
		case <-r.done:
		case <-sig:
			for _, r := range res {
				r.cmd.Process.Signal(syscall.SIGTERM)
			}
			for _, r := range res {
				<-r.done
			}
			return 130
		}
	}
	// Per run: its table; then per probe interval the median ratio.
	ratios := map[string][]float64{}
	var order []string
	failed := 0
	for i, r := range res {
		fmt.Printf("\n=== run %d ===\n%s", i+1, r.out.String())
		if r.err != nil {
			fmt.Printf("run %d failed: %v\n", i+1, r.err)
			failed++
			continue
		}
		for _, ln := range strings.Split(r.out.String(), "\n") {
			f := strings.Fields(ln)
			if len(f) != 5 || f[0] != "RESULT" {
				continue
			}
			bb, _ := strconv.ParseFloat(f[3], 64)
			jg, _ := strconv.ParseFloat(f[4], 64)
			if _, ok := ratios[f[2]]; !ok {
				order = append(order, f[2])
			}
			ratios[f[2]] = append(ratios[f[2]], ratio(bb, jg))
		}
	}
	fmt.Println()
	for _, iv := range order {
		rs := ratios[iv]
		txt := make([]string, len(rs))
		for i, x := range rs {
			txt[i] = fmt.Sprintf("%.1f", x)
		}
		def := ""
		if iv == "1s" {
			def = " (the default)"
		}
		fmt.Printf("sla error ratio (blackbox/jianguan) at %s probes%s, median of %d runs: %.1f  (runs: %s)\n",
			iv, def, len(rs), median(rs), strings.Join(txt, " "))
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// ratio is blackbox's sum of absolute errors over jianguan's (at least 1 ms).
func ratio(bb, jg float64) float64 {
	if jg < 0.001 {
		jg = 0.001
	}
	return bb / jg
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

type proc struct {
	name string
	cmd  *exec.Cmd
}

func start(name, logFile string, bin string, args ...string) *proc {
	f, err := os.Create(logFile)
	must(err)
	c := exec.Command(bin, args...)
	c.Stdout, c.Stderr = f, f
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	must(c.Start())
	return &proc{name, c}
}

func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

type outage struct {
	dur        time.Duration
	start, end time.Time // truth: middle of the commands that cut and restore
}

// The two line_exporter lines watch the same far end: the default 1 s
// probe interval, and 250 ms (recommended for 99.99 % lines).
var lines = []struct{ name, interval string }{{"sla-250ms", "250ms"}, {"sla-1s", "1s"}}

func benchInside() int {
	w := *dir
	leCfg := fmt.Sprintf(`lines:
  - name: %s
    kind: leased
    provider: bench
    site: lab
    capacity: 200M
    icmp: [{address: %s, interval: %s}]
  - name: %s
    kind: leased
    provider: bench
    site: lab
    capacity: 200M
    icmp: [{address: %s, interval: %s}]
`, lines[0].name, farAddr, lines[0].interval, lines[1].name, farAddr, lines[1].interval)
	bbCfg := "modules:\n  icmp:\n    prober: icmp\n" // Debian's /etc/prometheus/blackbox.yml module
	promCfg := fmt.Sprintf(`global:
  scrape_interval: %s
  scrape_timeout: 10s
scrape_configs:
  - job_name: line
    static_configs: [{targets: ["127.0.0.1:%d"]}]
  - job_name: blackbox
    metrics_path: /probe
    params: {module: [icmp]}
    static_configs: [{targets: ["%s"]}]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {source_labels: [__param_target], target_label: instance}
      - {target_label: __address__, replacement: "127.0.0.1:%d"}
`, *scrapeInt, lePort, farAddr, bbPort)
	for f, c := range map[string]string{"line.yml": leCfg, "blackbox.yml": bbCfg, "prometheus.yml": promCfg} {
		must(os.WriteFile(filepath.Join(w, f), []byte(c), 0o644))
	}
	must(os.MkdirAll(filepath.Join(w, "tsdb"), 0o755))
	le := start("line_exporter", filepath.Join(w, "line_exporter.log"), filepath.Join(w, "line_exporter"),
		"--config.file="+filepath.Join(w, "line.yml"), fmt.Sprintf("--web.listen-address=127.0.0.1:%d", lePort))
	defer le.stop()
	bb := start("blackbox", filepath.Join(w, "blackbox.log"), *bbBin,
		"--config.file="+filepath.Join(w, "blackbox.yml"), fmt.Sprintf("--web.listen-address=127.0.0.1:%d", bbPort))
	defer bb.stop()
	prom := start("prometheus", filepath.Join(w, "prometheus.log"), *promBin,
		"--config.file="+filepath.Join(w, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(w, "tsdb"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", promPort), "--storage.tsdb.retention.time=1d")
	defer prom.stop()

	api := fmt.Sprintf("http://127.0.0.1:%d", promPort)
	fmt.Println("waiting for Prometheus to scrape both exporters …")
	deadline := time.Now().Add(90 * time.Second)
	for {
		v1, err1 := query(api, `min(line_up)`, time.Now())
		v2, err2 := query(api, `probe_success`, time.Now())
		if err1 == nil && err2 == nil && v1 == 1 && v2 == 1 {
			break
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "exporters not up in Prometheus after 90 s (%v %v %v %v); logs in %s\n", v1, err1, v2, err2, w)
			dump(w)
			return 1
		}
		time.Sleep(2 * time.Second)
	}
	time.Sleep(*gap / 2)

	durs := []time.Duration{1 * time.Second, 3 * time.Second, 7 * time.Second, 20 * time.Second, 90 * time.Second, 5 * time.Minute}
	if *short {
		durs = durs[:4]
	}
	total := time.Duration(0)
	for _, d := range durs {
		total += d + *gap
	}
	fmt.Printf("injecting %d outages (nftables blackhole on the far end), about %v …\n", len(durs), (total + *gap).Round(time.Second))
	var outs []*outage
	nft := func(script string) error {
		c := exec.Command("ip", "netns", "exec", *far, "nft", "-f", "-")
		c.Stdin = strings.NewReader(script)
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("nft: %v: %s", err, out)
		}
		return nil
	}
	defer nft("delete table inet jgsla\n")
	for i, d := range durs {
		o := &outage{dur: d}
		t0 := time.Now()
		must(nft("table inet jgsla {\n chain in { type filter hook input priority 0; policy accept; ip protocol icmp drop; }\n}\n"))
		t1 := time.Now()
		o.start = t0.Add(t1.Sub(t0) / 2)
		time.Sleep(d - t1.Sub(t0)/2)
		t2 := time.Now()
		must(nft("delete table inet jgsla\n"))
		t3 := time.Now()
		o.end = t2.Add(t3.Sub(t2) / 2)
		outs = append(outs, o)
		fmt.Printf("  outage %d: %v (true %.3f s) at %s\n", i+1, d, o.end.Sub(o.start).Seconds(), o.start.UTC().Format("15:04:05.000"))
		time.Sleep(*gap)
	}
	// Let Prometheus take two more scrapes after the last window.
	time.Sleep(2**scrapeInt + 2*time.Second)

	fmt.Println()
	fmt.Printf("each outage measured over the window from the middle of the gap before it to the middle of the gap after it (Prometheus scrape interval %v):\n", *scrapeInt)
	fmt.Println("  jianguan: increase(line_down_seconds_total{line=…}[W]) with W between the samples nearest to the window's edges")
	fmt.Println("  blackbox: (1 - avg_over_time(probe_success[W])) * W, W = the window")
	fmt.Println()
	fmt.Printf("%-8s %10s | %10s %9s | %10s %9s | %10s %9s\n", "outage", "truth s", "blackbox", "error", lines[0].name, "error", lines[1].name, "error")
	var sumBB, sumJG [2]float64
	var totTruth, totBB float64
	var totJG [2]float64
	for i, o := range outs {
		// The window of an outage runs from the middle of the gap before
		// it to the middle of the gap after it.
		a := o.start.Add(-*gap / 2)
		if i > 0 {
			a = outs[i-1].end.Add(o.start.Sub(outs[i-1].end) / 2)
		}
		b := o.end.Add(*gap / 2)
		if i+1 < len(outs) {
			b = o.end.Add(outs[i+1].start.Sub(o.end) / 2)
		}
		truth := o.end.Sub(o.start).Seconds()
		w := b.Sub(a)
		bbDown, err := query(api, fmt.Sprintf(`(1 - avg_over_time(probe_success{job="blackbox"}[%dms])) * %f`, w.Milliseconds(), w.Seconds()), b)
		if err != nil {
			fmt.Fprintln(os.Stderr, "blackbox query:", err)
			return 1
		}
		bbOK, _ := query(api, fmt.Sprintf(`sum_over_time(probe_success{job="blackbox"}[%dms])`, w.Milliseconds()), b)
		bbN, _ := query(api, fmt.Sprintf(`count_over_time(probe_success{job="blackbox"}[%dms])`, w.Milliseconds()), b)
		bbNote := fmt.Sprintf("%v/%v probes failed", bbN-bbOK, bbN)
		var jg [2]float64
		for k, l := range lines {
			sel := fmt.Sprintf(`line_down_seconds_total{line=%q}`, l.name)
			ts, err := sampleTimes(api, sel, b.Add(time.Minute), w+3*time.Minute)
			if err != nil {
				fmt.Fprintln(os.Stderr, "samples:", err)
				return 1
			}
			ta, tb := nearest(ts, a), nearest(ts, b)
			if ta.IsZero() || tb.IsZero() || !ta.Before(tb) {
				fmt.Fprintf(os.Stderr, "no samples of %s around outage %d\n", sel, i+1)
				return 1
			}
			jg[k], err = query(api, fmt.Sprintf(`increase(%s[%dms])`, sel, tb.Sub(ta).Milliseconds()), tb)
			if err != nil {
				fmt.Fprintln(os.Stderr, "line_exporter query:", err)
				return 1
			}
			sumJG[k] += math.Abs(jg[k] - truth)
			totJG[k] += jg[k]
		}
		sumBB[0] += math.Abs(bbDown - truth)
		totTruth += truth
		totBB += bbDown
		fmt.Printf("%-8s %10.3f | %10.3f %+9.3f | %10.3f %+9.3f | %10.3f %+9.3f   (blackbox %s)\n", o.dur.String(), truth, bbDown, bbDown-truth,
			jg[0], jg[0]-truth, jg[1], jg[1]-truth, bbNote)
	}
	fmt.Printf("%-8s %10.3f | %10.3f %+9.3f | %10.3f %+9.3f | %10.3f %+9.3f\n", "total", totTruth, totBB, totBB-totTruth,
		totJG[0], totJG[0]-totTruth, totJG[1], totJG[1]-totTruth)
	fmt.Printf("sum of absolute errors: blackbox %.3f s, %s %.3f s, %s %.3f s\n", sumBB[0], lines[0].name, sumJG[0], lines[1].name, sumJG[1])
	for k, l := range lines {
		fmt.Printf("sla error ratio (blackbox/jianguan) of this run at %s probes: %.1f\n", l.interval, ratio(sumBB[0], sumJG[k]))
	}
	// Machine-readable, for outer: RESULT line interval blackbox-sum jianguan-sum.
	for k, l := range lines {
		fmt.Printf("RESULT %s %s %.6f %.6f\n", l.name, l.interval, sumBB[0], sumJG[k])
	}
	return 0
}

// sampleTimes returns the timestamps of the raw samples of sel in the range
// (at-rng, at].
func sampleTimes(api, sel string, at time.Time, rng time.Duration) ([]time.Time, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	q := fmt.Sprintf("%s[%dms]", sel, rng.Milliseconds())
	u := api + "/api/v1/query?" + url.Values{"query": {q}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)}}.Encode()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string
		Error  string
		Data   struct {
			Result []struct {
				Values [][2]any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" || len(r.Data.Result) != 1 {
		return nil, fmt.Errorf("%s: %s (%d series)", q, r.Error, len(r.Data.Result))
	}
	var out []time.Time
	for _, v := range r.Data.Result[0].Values {
		f, _ := v[0].(float64)
		out = append(out, time.UnixMilli(int64(math.Round(f*1000))))
	}
	return out, nil
}

// nearest returns the sample time nearest to t: increase() over a range
// from one sample to another sees samples exactly at both edges and does
// not extrapolate.
func nearest(ts []time.Time, t time.Time) time.Time {
	var best time.Time
	for _, x := range ts {
		if best.IsZero() || absDur(x.Sub(t)) < absDur(best.Sub(t)) {
			best = x
		}
	}
	return best
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func dump(w string) {
	for _, f := range []string{"line_exporter.log", "blackbox.log", "prometheus.log"} {
		b, _ := os.ReadFile(filepath.Join(w, f))
		if len(b) > 3000 {
			b = b[len(b)-3000:]
		}
		fmt.Fprintf(os.Stderr, "--- %s\n%s\n", f, b)
	}
}

// query runs an instant query and returns the single value.
func query(api, q string, at time.Time) (float64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	u := api + "/api/v1/query?" + url.Values{"query": {q}, "time": {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)}}.Encode()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return math.NaN(), err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r struct {
		Status string
		Error  string
		Data   struct {
			Result []struct {
				Value [2]any
			}
		}
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return math.NaN(), err
	}
	if r.Status != "success" {
		return math.NaN(), fmt.Errorf("%s: %s", q, r.Error)
	}
	if len(r.Data.Result) != 1 {
		return math.NaN(), fmt.Errorf("%s: %d series", q, len(r.Data.Result))
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	return strconv.ParseFloat(s, 64)
}
