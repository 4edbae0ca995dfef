package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/avail"
)

// loopbackAddr returns a distinct 127.x.y.z address for i (x >= 1).
func loopbackAddr(i int) string {
	return fmt.Sprintf("127.%d.%d.%d", 1+i/(250*250), (i/250)%250, i%250+1)
}

type usage struct {
	at         time.Time
	cpu        time.Duration
	rss        int64
	heap       uint64
	goroutines int
}

func sampleUsage() usage {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return usage{
		at:         time.Now(),
		cpu:        time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		rss:        rssBytes(),
		heap:       ms.HeapInuse,
		goroutines: runtime.NumGoroutine(),
	}
}

func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// TestScale probes 10 000 loopback hosts every 10 s through the real ICMP
// engine and reports CPU, RSS, heap and goroutines every 10 s; memory and
// goroutines must not grow. The default run lasts 60 s; the long run:
//
//	UPTIME_SCALE_DURATION=10m go test -run TestScale -v -timeout 20m ./exporters/uptime_exporter/
//
// (UPTIME_SCALE_HOSTS changes the number of hosts; -short skips.)
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test skipped in -short mode")
	}
	dur := 60 * time.Second
	if v := os.Getenv("UPTIME_SCALE_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		dur = d
	}
	n := 10000
	if v := os.Getenv("UPTIME_SCALE_HOSTS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	const interval = 10 * time.Second
	np := realPinger(t)
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("host,address,unit,provider,system,site\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "vm-%05d,%s,unit-%d,provider-%d,system-%d,dc%d\n", i, loopbackAddr(i), i%40, i%5, i%200, i%2+1)
	}
	writeFile(t, filepath.Join(dir, "hosts.csv"), b.String())
	writeFile(t, filepath.Join(dir, "uptime.yml"), `
defaults:
  host: {interval: 10s, timeout: 1s, down_after: 3, up_after: 2}
target_files: [hosts.csv]
`)
	base := sampleUsage()
	s, reg := startService(t, dir, options{shard: shard{0, 1}, newPinger: np})
	start := time.Now()
	var samples []usage
	for time.Since(start) < dur {
		time.Sleep(interval)
		u := sampleUsage()
		samples = append(samples, u)
		t.Logf("t=%3.0fs cpu=%6.2fs (%.1f%% of a core) rss=%5.1fMiB heap=%5.1fMiB goroutines=%d",
			u.at.Sub(start).Seconds(), (u.cpu - base.cpu).Seconds(),
			100*(u.cpu-base.cpu).Seconds()/u.at.Sub(start).Seconds(), float64(u.rss)/(1<<20), float64(u.heap)/(1<<20), u.goroutines)
	}
	// Probe counts and states.
	var probes, fails uint64
	up := 0
	s.mu.RLock()
	for _, h := range s.hosts {
		h.mu.Lock()
		probes += h.checks[0].probes
		fails += h.checks[0].failures
		h.mu.Unlock()
		if h.tracker.State() == avail.Up {
			up++
		}
	}
	s.mu.RUnlock()
	elapsed := time.Since(start)
	want := float64(n) * elapsed.Seconds() / interval.Seconds()
	last := samples[len(samples)-1]
	cpu := (last.cpu - base.cpu).Seconds()
	t.Logf("%d hosts, %s: %d probes (%.0f expected), %d failed, %d up; cpu %.2fs = %.3f cpu-s per 1000 probes",
		n, elapsed.Round(time.Second), probes, want, fails, up, cpu, 1000*cpu/float64(probes))
	scrapeStart := time.Now()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	series := 0
	for _, mf := range mfs {
		series += len(mf.Metric)
	}
	t.Logf("one scrape: %d series in %s", series, time.Since(scrapeStart).Round(time.Millisecond))

	if float64(probes) < 0.9*want {
		t.Errorf("%d probes, want about %.0f", probes, want)
	}
	if up < n*999/1000 {
		t.Errorf("only %d of %d loopback hosts up", up, n)
	}
	if fails > probes/1000 {
		t.Errorf("%d of %d probes failed on loopback", fails, probes)
	}
	// Flat memory: compare the end with the first sample after warm-up.
	if len(samples) >= 3 {
		ref := samples[1]
		if last.heap > ref.heap+ref.heap/4+8<<20 {
			t.Errorf("heap grew from %.1f MiB to %.1f MiB", float64(ref.heap)/(1<<20), float64(last.heap)/(1<<20))
		}
		if last.goroutines > ref.goroutines+10 {
			t.Errorf("goroutines grew from %d to %d", ref.goroutines, last.goroutines)
		}
	}
}
