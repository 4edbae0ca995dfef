// Command bench compares the CPU cost of ICMP host probing by
// uptime_exporter with Debian's prometheus-blackbox-exporter 0.23 (icmp
// module) at the same probe rate, in one run:
//
//	go run ./exporters/uptime_exporter/bench [-hosts 10000] [-interval 10s] [-duration 60s]
//
// Phase 1 builds and starts uptime_exporter with N loopback hosts
// (127.x.y.z) probed every interval and measures the exporter process's
// CPU (/proc/<pid>/stat utime+stime) over the window; the number of probes
// comes from host_probes_total (scraped just before and after the window,
// outside the measured CPU). Phase 2 starts blackbox_exporter and drives
// /probe?module=icmp&target=… for the same N addresses at the same rate
// with a bounded-concurrency Go client, measuring the blackbox process.
// It prints CPU seconds per 1 000 probes and RSS for both, the cost of one
// scrape of uptime_exporter, and as its last line
//
//	icmp cpu ratio (jianguan/blackbox): R
//
// Run as root (raw ICMP sockets for both exporters).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	nHosts      = flag.Int("hosts", 10000, "number of loopback hosts")
	interval    = flag.Duration("interval", 10*time.Second, "probe interval per host")
	duration    = flag.Duration("duration", 60*time.Second, "measurement window per exporter")
	warmup      = flag.Duration("warmup", 15*time.Second, "time before the window starts")
	blackbox    = flag.String("blackbox", "/usr/bin/prometheus-blackbox-exporter", "blackbox_exporter binary")
	concurrency = flag.Int("concurrency", 1000, "concurrent /probe requests to blackbox_exporter")
	keep        = flag.Bool("keep", false, "keep the temporary directory")
)

func loopbackAddr(i int) string {
	return fmt.Sprintf("127.%d.%d.%d", 1+i/(250*250), (i/250)%250, i%250+1)
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type result struct {
	name   string
	probes float64
	cpu    float64 // seconds
	rss    int64   // bytes at the end
}

func (r result) perK() float64 { return 1000 * r.cpu / r.probes }

func run() error {
	dir, err := os.MkdirTemp("", "uptime-bench-")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	fmt.Printf("hosts %d on loopback, one echo request per host every %s, window %s per exporter, %d CPUs\n",
		*nHosts, *interval, *duration, runtime.NumCPU())

	up, scrape, err := benchUptime(dir)
	if err != nil {
		return fmt.Errorf("uptime_exporter: %w", err)
	}
	bb, err := benchBlackbox(dir)
	if err != nil {
		return fmt.Errorf("blackbox_exporter: %w", err)
	}
	for _, r := range []result{up, bb} {
		fmt.Printf("%-18s probes %7.0f (%4.0f/s)  cpu %7.2f s  cpu per 1000 probes %.4f s  rss %6.1f MiB\n",
			r.name, r.probes, r.probes/duration.Seconds(), r.cpu, r.perK(), float64(r.rss)/(1<<20))
	}
	perScrape := scrape.cpu
	probesPer15s := float64(*nHosts) * 15 / interval.Seconds()
	withScrape := up.perK() + 1000*perScrape/probesPer15s
	fmt.Printf("uptime_exporter scrape of all %d hosts: %.0f series, %.2f cpu-s; with a 15 s scrape interval: %.4f cpu-s per 1000 probes (ratio %.3f)\n",
		*nHosts, scrape.probes, perScrape, withScrape, withScrape/bb.perK())
	fmt.Printf("icmp cpu ratio (jianguan/blackbox): %.3f\n", up.perK()/bb.perK())
	return nil
}

// benchUptime runs uptime_exporter; the second result is one scrape
// (probes = series, cpu = cpu seconds of the scrape).
func benchUptime(dir string) (result, result, error) {
	bin := filepath.Join(dir, "uptime_exporter")
	build := exec.Command("go", "build", "-o", bin, "./exporters/uptime_exporter")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return result{}, result{}, fmt.Errorf("go build (run from the repository root): %w", err)
	}
	var b strings.Builder
	b.WriteString("host,address,unit,provider,system,site\n")
	for i := 0; i < *nHosts; i++ {
		fmt.Fprintf(&b, "vm-%05d,%s,unit-%d,provider-%d,system-%d,dc1\n", i, loopbackAddr(i), i%40, i%5, i%200)
	}
	if err := os.WriteFile(filepath.Join(dir, "hosts.csv"), []byte(b.String()), 0o644); err != nil {
		return result{}, result{}, err
	}
	cfg := fmt.Sprintf("defaults:\n  host: {interval: %s, timeout: 1s}\ntarget_files: [hosts.csv]\n", *interval)
	if err := os.WriteFile(filepath.Join(dir, "uptime.yml"), []byte(cfg), 0o644); err != nil {
		return result{}, result{}, err
	}
	addr, err := freeAddr()
	if err != nil {
		return result{}, result{}, err
	}
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "uptime.yml"), "--web.listen-address="+addr, "--log.level=warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return result{}, result{}, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pid := cmd.Process.Pid
	if err := waitHTTP("http://" + addr + "/-/healthy"); err != nil {
		return result{}, result{}, err
	}
	fmt.Printf("uptime_exporter pid %d on %s: warming up %s\n", pid, addr, *warmup)
	time.Sleep(*warmup)

	// Counters are read by two scrapes; each scrape's snapshot is taken
	// when the request starts. The CPU window lies between the scrapes, so
	// it does not include their cost; the probe count of the CPU window is
	// the measured probe rate times the window.
	ts0 := time.Now()
	p0, _, err := sumProbes("http://" + addr + "/metrics")
	if err != nil {
		return result{}, result{}, err
	}
	time.Sleep(2 * time.Second) // let the scrape's garbage collection finish
	rss, _ := procRSS(pid)
	c0, err := procCPU(pid)
	if err != nil {
		return result{}, result{}, err
	}
	tc0 := time.Now()
	time.Sleep(*duration)
	c1, _ := procCPU(pid)
	tc1 := time.Now()
	p1, series, err := sumProbes("http://" + addr + "/metrics")
	if err != nil {
		return result{}, result{}, err
	}
	time.Sleep(2 * time.Second)
	c2, _ := procCPU(pid)
	tc2 := time.Now()
	rate := (p1 - p0) / tc1.Sub(ts0).Seconds()
	probes := rate * tc1.Sub(tc0).Seconds()
	rssAfter, _ := procRSS(pid)
	fmt.Printf("uptime_exporter rss %.1f MiB before a scrape, %.1f MiB after one\n", float64(rss)/(1<<20), float64(rssAfter)/(1<<20))
	// The scrape's CPU: what it used beyond the probing rate.
	scrapeCPU := (c2 - c1) - (c1-c0)/tc1.Sub(tc0).Seconds()*tc2.Sub(tc1).Seconds()
	return result{name: "uptime_exporter", probes: probes, cpu: c1 - c0, rss: rss},
		result{name: "scrape", probes: float64(series), cpu: scrapeCPU}, nil
}

// sumProbes scrapes /metrics and sums host_probes_total.
func sumProbes(url string) (float64, int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sum, series := 0.0, 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		series++
		if strings.HasPrefix(l, "host_probes_total{") {
			if i := strings.LastIndexByte(l, ' '); i > 0 {
				v, _ := strconv.ParseFloat(l[i+1:], 64)
				sum += v
			}
		}
	}
	return sum, series, sc.Err()
}

func benchBlackbox(dir string) (result, error) {
	if _, err := os.Stat(*blackbox); err != nil {
		return result{}, fmt.Errorf("%s not installed (apt-get install prometheus-blackbox-exporter)", *blackbox)
	}
	cfg := "modules:\n  icmp:\n    prober: icmp\n    timeout: 1s\n    icmp:\n      preferred_ip_protocol: ip4\n      ip_protocol_fallback: false\n"
	cfgFile := filepath.Join(dir, "blackbox.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		return result{}, err
	}
	addr, err := freeAddr()
	if err != nil {
		return result{}, err
	}
	cmd := exec.Command(*blackbox, "--config.file="+cfgFile, "--web.listen-address="+addr, "--log.level=warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pid := cmd.Process.Pid
	if err := waitHTTP("http://" + addr + "/-/healthy"); err != nil {
		return result{}, err
	}
	fmt.Printf("blackbox_exporter pid %d on %s: driving /probe at %d probes/s, warming up %s\n",
		pid, addr, int(float64(*nHosts)/interval.Seconds()), *warmup)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency, MaxConnsPerHost: *concurrency}, Timeout: 5 * time.Second}
	jobs := make(chan string, *concurrency*4)
	var ok, failed, dropped atomic.Int64
	var counting atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < *concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for target := range jobs {
				resp, err := client.Get("http://" + addr + "/probe?module=icmp&target=" + target)
				if err != nil {
					failed.Add(1)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !counting.Load() {
					continue
				}
				if resp.StatusCode == 200 && strings.Contains(string(body), "probe_success 1") {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	// Same schedule as uptime_exporter: each target once per interval,
	// start times spread evenly over the interval.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(jobs)
		start := time.Now()
		step := *interval / time.Duration(*nHosts)
		for round := 0; ; round++ {
			for i := 0; i < *nHosts; i++ {
				at := start.Add(time.Duration(round)**interval + time.Duration(i)*step)
				if d := time.Until(at); d > 0 {
					select {
					case <-time.After(d):
					case <-ctx.Done():
						return
					}
				}
				select {
				case jobs <- loopbackAddr(i):
				case <-ctx.Done():
					return
				default:
					dropped.Add(1) // the exporter cannot keep up
				}
			}
		}
	}()
	time.Sleep(*warmup)
	counting.Store(true)
	c0, err := procCPU(pid)
	if err != nil {
		cancel()
		return result{}, err
	}
	time.Sleep(*duration)
	c1, _ := procCPU(pid)
	counting.Store(false)
	n, f := ok.Load(), failed.Load()
	rss, _ := procRSS(pid)
	cancel()
	wg.Wait()
	if f > 0 {
		fmt.Printf("blackbox_exporter: %d of %d probes failed (timeout or error)\n", f, n+f)
	}
	if d := dropped.Load(); d > 0 {
		fmt.Printf("blackbox_exporter: %d probes not sent (warm-up included) because %d requests were in flight: it does not keep up with the rate\n", d, *concurrency)
	}
	return result{name: "blackbox_exporter", probes: float64(n + f), cpu: c1 - c0, rss: rss}, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitHTTP(url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after 30 s", url)
}

// procCPU returns utime+stime of pid in seconds (/proc/<pid>/stat).
func procCPU(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+2:])
	// Fields after ")": state(0) … utime(11) stime(12).
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100, nil // USER_HZ is 100 on Linux
}

func procRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS")
}
