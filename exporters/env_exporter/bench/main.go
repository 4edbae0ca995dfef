// Command bench compares the CPU cost of one device poll in env_exporter
// (background polling by internal/snmp) with one scrape of Debian's
// prometheus-snmp-exporter 0.21 (one SNMP poll per HTTP scrape), on the same
// simulated devices served by one snmpsimd on loopback.
//
// Both exporters run at the same time under the same load, each device at
// the same interval: env_exporter polls every device every -interval (and
// its /metrics is scraped every 15 s, as Prometheus would), and every device
// is scraped through snmp_exporter every -interval, spread evenly over the
// interval as Prometheus spreads its targets. CPU seconds are utime+stime
// from /proc/<pid>/stat over the same measurement window.
//
//	go run ./exporters/env_exporter/bench [-devices 1000] [-oids 20] [-duration 60s]
//
// It needs root (snmpsimd drops to nobody), snmpsimd and
// prometheus-snmp-exporter. The last line of output is
//
//	snmp cost ratio (jianguan/snmp_exporter): R
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	devices  = flag.Int("devices", 1000, "simulated devices (one snmpsim community each)")
	oids     = flag.Int("oids", 20, "OIDs per device")
	duration = flag.Duration("duration", 90*time.Second, "measurement time (both exporters at once)")
	interval = flag.Duration("interval", 15*time.Second, "poll interval of env_exporter and scrape interval of each snmp_exporter target")
	workers  = flag.Int("workers", 16, "concurrent scrapes of snmp_exporter during its warm-up round")
	keep     = flag.Bool("keep", false, "keep the temporary directory")
	envVars  = flag.String("env-vars", "", "extra environment for env_exporter only, e.g. GOMAXPROCS=1 (experiments)")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-snmp:", err)
		os.Exit(1)
	}
}

func need(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not installed (apt-get install snmpsim snmp prometheus-snmp-exporter)", name)
	}
	return p, nil
}

func freePort(network string) int {
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func devName(i int) string { return fmt.Sprintf("dev%04d", i) }

func valueOID(j int) string { return fmt.Sprintf("1.3.6.1.4.1.99999.1.%d.0", j) }

func run() error {
	if os.Geteuid() != 0 {
		return errors.New("run as root (snmpsimd must drop privileges to nobody)")
	}
	snmpsimd, err := need("snmpsimd")
	if err != nil {
		return err
	}
	snmpExp, err := need("prometheus-snmp-exporter")
	if err != nil {
		return err
	}
	snmpget, err := need("snmpget")
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-snmp")
	if err != nil {
		return err
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	os.Chmod(dir, 0o755)
	data, cache := filepath.Join(dir, "data"), filepath.Join(dir, "cache")
	for _, d := range []string{data, cache} {
		os.MkdirAll(d, 0o777)
		os.Chmod(d, 0o777)
	}
	// 1. Simulated devices.
	for i := 1; i <= *devices; i++ {
		var b strings.Builder
		b.WriteString("1.3.6.1.2.1.1.3.0|67|4242\n")
		for j := 1; j <= *oids; j++ {
			fmt.Fprintf(&b, "%s|66|%d\n", valueOID(j), 200+(i*7+j*13)%100)
		}
		if err := os.WriteFile(filepath.Join(data, devName(i)+".snmprec"), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	port := freePort("udp")
	agent := fmt.Sprintf("127.0.0.1:%d", port)
	fmt.Printf("starting snmpsimd with %d devices × %d OIDs on %s\n", *devices, *oids, agent)
	sim := exec.Command(snmpsimd, "--process-user=nobody", "--process-group=nogroup", "--data-dir="+data,
		"--cache-dir="+cache, "--agent-udpv4-endpoint="+agent, "--logging-method=null")
	if err := sim.Start(); err != nil {
		return err
	}
	defer stop(sim)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		out, err := exec.Command(snmpget, "-v2c", "-c", devName(*devices), "-t", "1", "-r", "0", agent, valueOID(1)).CombinedOutput()
		if err == nil && strings.Contains(string(out), "Gauge32") {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("snmpsimd not answering: %s", out)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// 2. env_exporter.
	bin := filepath.Join(dir, "env_exporter")
	build := exec.Command("go", "build", "-o", bin, "./exporters/env_exporter")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("go build env_exporter (run from the repository root): %w", err)
	}
	profDir := filepath.Join(dir, "profiles")
	os.MkdirAll(profDir, 0o755)
	var prof strings.Builder
	prof.WriteString("name: bench-sensor\nkind: sensor\nsignals:\n")
	for j := 1; j <= *oids; j++ {
		fmt.Fprintf(&prof, "  - {signal: temperature_celsius, oid: %s, scale: 0.1, labels: {sensor: s%02d}}\n", valueOID(j), j)
	}
	os.WriteFile(filepath.Join(profDir, "bench-sensor.yml"), []byte(prof.String()), 0o644)
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "defaults:\n  interval: %s\n  timeout: 5s\n  retries: 1\n  concurrency: 32\n  auth: bench\nauths:\n  bench: {version: 2c, community: public}\nsites:\n  - name: bench\n    rooms:\n      - name: r1\n        devices:\n", *interval)
	for i := 1; i <= *devices; i++ {
		fmt.Fprintf(&cfg, "          - {name: %s, profile: bench-sensor, address: \"%s\", community: %s}\n", devName(i), agent, devName(i))
	}
	cfgPath := filepath.Join(dir, "env.yml")
	os.WriteFile(cfgPath, []byte(cfg.String()), 0o600)

	// 3. prometheus-snmp-exporter 0.21 with an equivalent module per device
	// (0.21 keeps auth inside each module, so one module per community).
	var y strings.Builder
	for i := 1; i <= *devices; i++ {
		fmt.Fprintf(&y, "%s:\n  version: 2\n  timeout: 5s\n  retries: 1\n  auth:\n    community: %s\n  get:\n", devName(i), devName(i))
		for j := 1; j <= *oids; j++ {
			fmt.Fprintf(&y, "  - %s\n", valueOID(j))
		}
		y.WriteString("  metrics:\n")
		for j := 1; j <= *oids; j++ {
			fmt.Fprintf(&y, "  - {name: bench_temperature_s%02d, oid: %s, type: gauge, help: bench value %d}\n", j, valueOID(j), j)
		}
	}
	snmpYml := filepath.Join(dir, "snmp.yml")
	os.WriteFile(snmpYml, []byte(y.String()), 0o644)
	sePort := freePort("tcp")
	se := exec.Command(snmpExp, "--config.file="+snmpYml, fmt.Sprintf("--web.listen-address=127.0.0.1:%d", sePort), "--log.level=warn")
	se.Stderr = os.Stderr
	if err := se.Start(); err != nil {
		return err
	}
	defer stop(se)
	base := fmt.Sprintf("http://127.0.0.1:%d/snmp?target=%s&module=", sePort, agent)
	deadline = time.Now().Add(time.Minute)
	for {
		if err := scrapeOK(base + devName(1)); err == nil {
			break
		} else if time.Now().After(deadline) {
			return fmt.Errorf("snmp_exporter: %v", err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	scrapeRound(base) // warm-up: every module used once

	envPort := freePort("tcp")
	env := exec.Command(bin, "--config.file="+cfgPath, "--profiles.dir="+profDir, fmt.Sprintf("--web.listen-address=127.0.0.1:%d", envPort), "--log.level=warn")
	env.Stderr = os.Stderr
	if *envVars != "" {
		env.Env = append(os.Environ(), strings.Fields(*envVars)...)
	}
	if err := env.Start(); err != nil {
		return err
	}
	defer stop(env)
	envURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", envPort)
	deadline = time.Now().Add(3 * time.Minute)
	for { // warm-up: every device polled at least once
		p, _, err := envPolls(envURL)
		if err == nil && p >= float64(*devices) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("env_exporter warm-up: %v polls, %v", p, err)
		}
		time.Sleep(time.Second)
	}

	// 4. Measure both over the same window.
	fmt.Printf("measuring %s: env_exporter polls every device every %s; snmp_exporter scraped for every device every %s\n", *duration, *interval, *interval)
	p0, e0, _ := envPolls(envURL)
	c0, err := cpuSeconds(env.Process.Pid)
	if err != nil {
		return err
	}
	s0, err := cpuSeconds(se.Process.Pid)
	if err != nil {
		return err
	}
	start := time.Now()
	end := start.Add(*duration)
	var ok, failed int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // Prometheus-like: each target once per interval, spread evenly
		defer wg.Done()
		step := *interval / time.Duration(*devices)
		tick := time.NewTicker(step)
		defer tick.Stop()
		for i := 0; time.Now().Before(end); i++ {
			<-tick.C
			wg.Add(1)
			go func(dev string) {
				defer wg.Done()
				if scrapeOK(base+dev) == nil {
					atomic.AddInt64(&ok, 1)
				} else {
					atomic.AddInt64(&failed, 1)
				}
			}(devName(i%*devices + 1))
		}
	}()
	for time.Now().Before(end) {
		time.Sleep(min(15*time.Second, time.Until(end))) // env_exporter's /metrics scraped every 15 s
		if _, _, err := envPolls(envURL); err != nil {
			return err
		}
	}
	c1, _ := cpuSeconds(env.Process.Pid)
	p1, e1, _ := envPolls(envURL)
	s1, _ := cpuSeconds(se.Process.Pid)
	elapsed := time.Since(start)
	wg.Wait()
	envPollsN, envCPU := p1-p0, c1-c0
	if envPollsN <= 0 {
		return errors.New("env_exporter made no polls")
	}
	if ok == 0 {
		return errors.New("snmp_exporter: no successful scrape")
	}
	jg := envCPU / envPollsN
	fmt.Printf("env_exporter: %.0f device polls in %.0f s (%.0f errors), %.3f CPU s → %.6f CPU s per device poll\n",
		envPollsN, elapsed.Seconds(), e1-e0, envCPU, jg)
	seCPU := s1 - s0
	sx := seCPU / float64(ok)
	fmt.Printf("snmp_exporter 0.21: %d device scrapes in %.0f s (%d failed), %.3f CPU s → %.6f CPU s per device poll\n",
		ok, elapsed.Seconds(), failed, seCPU, sx)
	fmt.Printf("snmp cost ratio (jianguan/snmp_exporter): %.3f\n", jg/sx)
	return nil
}

func stop(c *exec.Cmd) {
	if c.Process != nil && c.ProcessState == nil {
		c.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			c.Process.Kill()
			<-done
		}
	}
}

// cpuSeconds reads utime+stime of a process from /proc/<pid>/stat.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("bad /proc stat")
	}
	f := strings.Fields(s[i+2:])
	// fields after ")": state(3) … utime is field 14, stime 15 (1-based in proc(5)).
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100, nil // USER_HZ = 100 on Linux
}

// envPolls sums env_device_poll_duration_seconds_count and error counters.
func envPolls(url string) (polls, errs float64, err error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "env_device_poll_duration_seconds_count{"):
			polls += lastFloat(line)
		case strings.HasPrefix(line, "env_device_errors_total{"):
			errs += lastFloat(line)
		}
	}
	return polls, errs, sc.Err()
}

func lastFloat(line string) float64 {
	f := strings.Fields(line)
	v, _ := strconv.ParseFloat(f[len(f)-1], 64)
	return v
}

var client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func scrapeOK(url string) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "bench_temperature_s01") {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
	}
	return nil
}

// scrapeRound scrapes every device once with a pool of workers.
func scrapeRound(base string) {
	next := int64(0)
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := atomic.AddInt64(&next, 1)
				if i > int64(*devices) {
					return
				}
				_ = scrapeOK(base + devName(int(i)))
			}
		}()
	}
	wg.Wait()
}
