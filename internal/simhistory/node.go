package simhistory

import (
	"math"
	"strconv"
	"time"

	"github.com/jianguan/jianguan/internal/metricnames"
)

// NodeHost is one host's node_exporter-style series (as scraped and
// relabelled by Prometheus: the host, unit and provider labels of Labels on
// every series). Utilisations follow a daily sine around their mean, so a
// month's mean is the given mean and its p95 is mean + 0.9877·swing
// (the 95th percentile of a sine over whole days).
type NodeHost struct {
	Labels map[string]string
	VCPU   int
	// CPUBusy is the mean busy fraction of each vCPU, CPUSwing the daily
	// amplitude.
	CPUBusy, CPUSwing float64
	MemoryBytes       float64
	MemoryUsed        float64 // mean used fraction (swing 0.05)
	DiskBytes         float64
	DiskUsed          float64 // used fraction (constant)
	RxRate, TxRate    float64 // mean bytes/s (daily swing ±50 %)
	// From: no sample before it (a host created in the month); zero: always.
	From time.Time
	// Noise adds the series the default mapping must leave out: a tmpfs
	// /run and the loopback interface lo (tests; the demo leaves them off
	// to keep its history small).
	Noise bool
}

// SineP95 is the 95th percentile of sin over whole periods: sin(0.45π).
var SineP95 = math.Sin(0.45 * math.Pi)

// nodeEpoch is where the simulated counters are zero (2020-09-13).
const nodeEpoch = 1.6e9

const day = 86400.0

// integral of mean + swing·sin(2π s/day + phase) from nodeEpoch to t.
func sineIntegral(t time.Time, mean, swing, phase float64) float64 {
	s := float64(t.UnixMilli())/1e3 - nodeEpoch
	w := 2 * math.Pi / day
	return mean*s + swing/w*(math.Cos(phase)-math.Cos(w*s+phase))
}

func sineAt(t time.Time, mean, swing, phase float64) float64 {
	s := float64(t.UnixMilli())/1e3 - nodeEpoch
	return mean + swing*math.Sin(2*math.Pi/day*s+phase)
}

// NodeGauges are the series node_exporter would export for hs:
// node_cpu_seconds_total (mode idle per vCPU),
// node_memory_MemTotal_bytes / MemAvailable_bytes, node_filesystem_size_bytes
// / avail_bytes (/ on ext4; with Noise also a tmpfs /run that the default
// mapping leaves out), node_network_receive/transmit_bytes_total (eth0;
// with Noise also lo, likewise left out).
func NodeGauges(hs []NodeHost) []Gauge {
	var g []Gauge
	for i, h := range hs {
		h := h
		phase := float64(i) * 0.7
		gate := func(v func(t time.Time) float64) func(t time.Time) float64 {
			return func(t time.Time) float64 {
				if !h.From.IsZero() && t.Before(h.From) {
					return math.NaN()
				}
				return v(t)
			}
		}
		node := with(h.Labels, "instance", h.Labels["host"]+":9100")
		node = with(node, "job", "node")
		for c := 0; c < h.VCPU; c++ {
			cl := with(node, "cpu", strconv.Itoa(c))
			ph := phase + float64(c)*0.1
			busy := func(t time.Time) float64 { return sineIntegral(t, h.CPUBusy, h.CPUSwing, ph) }
			// Only the idle mode: the busy time is the rest (the other
			// modes would only make the history bigger).
			g = append(g, Gauge{Name: "node_cpu_seconds_total", Labels: with(cl, "mode", "idle"), Value: gate(func(t time.Time) float64 {
				return float64(t.UnixMilli())/1e3 - nodeEpoch - busy(t)
			})})
		}
		g = append(g,
			Gauge{Name: "node_memory_MemTotal_bytes", Labels: node, Value: gate(func(time.Time) float64 { return h.MemoryBytes })},
			Gauge{Name: "node_memory_MemAvailable_bytes", Labels: node, Value: gate(func(t time.Time) float64 {
				return math.Round(h.MemoryBytes * (1 - sineAt(t, h.MemoryUsed, 0.05, phase)))
			})})
		root := with(with(with(node, "mountpoint", "/"), "fstype", "ext4"), "device", "/dev/vda1")
		run := with(with(with(node, "mountpoint", "/run"), "fstype", "tmpfs"), "device", "tmpfs")
		size := Gauge{Name: "node_filesystem_size_bytes", Labels: root, Value: gate(func(time.Time) float64 { return h.DiskBytes })}
		avail := Gauge{Name: "node_filesystem_avail_bytes", Labels: root, Value: gate(func(time.Time) float64 { return math.Round(h.DiskBytes * (1 - h.DiskUsed)) })}
		if h.Noise {
			g = append(g, size, Gauge{Name: "node_filesystem_size_bytes", Labels: run, Value: gate(func(time.Time) float64 { return 1 << 30 })},
				avail, Gauge{Name: "node_filesystem_avail_bytes", Labels: run, Value: gate(func(time.Time) float64 { return 1 << 29 })})
		} else {
			g = append(g, size, avail)
		}
		for _, dir := range []struct {
			name string
			rate float64
		}{{"node_network_receive_bytes_total", h.RxRate}, {"node_network_transmit_bytes_total", h.TxRate}} {
			rate := dir.rate
			g = append(g, Gauge{Name: dir.name, Labels: with(node, "device", "eth0"), Value: gate(func(t time.Time) float64 {
				return math.Floor(sineIntegral(t, rate, rate/2, phase))
			})})
			if h.Noise {
				g = append(g, Gauge{Name: dir.name, Labels: with(node, "device", "lo"), Value: gate(func(t time.Time) float64 {
					return math.Floor(sineIntegral(t, 1e6, 0, 0)) // loopback chatter, not traffic
				})})
			}
		}
	}
	return g
}

// DemoNodeHosts bounds the hosts of DemoScenario with node_exporter series
// (the first ones; keeps make bench-report's history small).
const DemoNodeHosts = 60

// demoNodeHosts: node series for the demo's hosts; host-003 and host-013
// (市公安局) and host-004 (市卫健委) are deliberately idle, the last host
// has no node_exporter (无数据).
func demoNodeHosts(hosts []*Entity) []NodeHost {
	var hs []NodeHost
	for i, e := range hosts {
		if i >= DemoNodeHosts || (i == len(hosts)-1 && len(hosts) >= 5) {
			break
		}
		nh := NodeHost{Labels: map[string]string{"host": e.Labels["host"], "unit": e.Labels["unit"], "provider": e.Labels["provider"]},
			VCPU: 1 << (i % 3), CPUBusy: 0.15 + 0.05*float64(i%7), CPUSwing: 0.1,
			MemoryBytes: float64(int64(4<<(i%3)) << 30), MemoryUsed: 0.4 + 0.05*float64(i%5),
			DiskBytes: float64(int64(100+50*(i%4)) << 30), DiskUsed: 0.3 + 0.1*float64(i%4),
			RxRate: 2e5 * float64(1+i%5), TxRate: 1e5 * float64(1+i%3)}
		switch e.Labels["host"] {
		case "host-003", "host-013", "host-004":
			nh.CPUBusy, nh.CPUSwing, nh.RxRate, nh.TxRate = 0.015, 0.01, 2e3, 1e3
		}
		hs = append(hs, nh)
	}
	return hs
}

// DemoIdleHosts are the hosts demoNodeHosts makes idle.
var DemoIdleHosts = []string{"host-003", "host-004", "host-013"}

const gib = 1 << 30

// NodeTestHosts are the hosts of NodeTestScenario: two idle hosts in two
// units (市公安局 on 阿里云, 市卫健委 on 华为云), two busy ones, one created
// five days before the month end (数据不足), and the labels of a host in
// the inventory (host_up) without node_exporter (无数据).
func NodeTestHosts(year int, month time.Month) (hosts []NodeHost, noNode map[string]string) {
	_, me := MonthBounds(year, month)
	return []NodeHost{
		{Labels: map[string]string{"host": "gab-idle-1", "unit": "市公安局", "provider": "阿里云"}, VCPU: 1, CPUBusy: 0.02, CPUSwing: 0.01,
			MemoryBytes: 4 * gib, MemoryUsed: 0.3, DiskBytes: 100 * gib, DiskUsed: 0.2, RxRate: 1e3, TxRate: 500, Noise: true},
		{Labels: map[string]string{"host": "gab-app-1", "unit": "市公安局", "provider": "阿里云"}, VCPU: 1, CPUBusy: 0.4, CPUSwing: 0.2,
			MemoryBytes: 8 * gib, MemoryUsed: 0.6, DiskBytes: 200 * gib, DiskUsed: 0.5, RxRate: 2e6, TxRate: 1e6, Noise: true},
		{Labels: map[string]string{"host": "wjw-idle-1", "unit": "市卫健委", "provider": "华为云"}, VCPU: 1, CPUBusy: 0.01, CPUSwing: 0.005,
			MemoryBytes: 4 * gib, MemoryUsed: 0.2, DiskBytes: 100 * gib, DiskUsed: 0.1, RxRate: 500, TxRate: 500, Noise: true},
		{Labels: map[string]string{"host": "jyj-app-1", "unit": "市教育局", "provider": "华为云"}, VCPU: 1, CPUBusy: 0.25, CPUSwing: 0.1,
			MemoryBytes: 16 * gib, MemoryUsed: 0.5, DiskBytes: 500 * gib, DiskUsed: 0.4, RxRate: 5e5, TxRate: 5e5, Noise: true},
		{Labels: map[string]string{"host": "jyj-new-1", "unit": "市教育局", "provider": "阿里云"}, VCPU: 1, CPUBusy: 0.01, CPUSwing: 0.005,
			MemoryBytes: 4 * gib, MemoryUsed: 0.2, DiskBytes: 50 * gib, DiskUsed: 0.1, RxRate: 100, TxRate: 100, Noise: true,
			From: me.Add(-5 * 24 * time.Hour)},
	}, map[string]string{"host": "wjw-nodata-1", "unit": "市卫健委", "provider": "华为云"}
}

// NodeTestScenario is a month of NodeTestHosts' node_exporter series and
// host_up of every host (the inventory), 10 minutes either side, at step
// (the efficiency tests use 15 s, node_exporter's usual scrape interval).
func NodeTestScenario(year int, month time.Month, step time.Duration) Spec {
	ms, me := MonthBounds(year, month)
	hosts, noNode := NodeTestHosts(year, month)
	sp := Spec{From: ms.Add(-10 * time.Minute), To: me.Add(10 * time.Minute), Step: step}
	sp.Gauges = NodeGauges(hosts)
	inv := []map[string]string{noNode}
	for _, h := range hosts {
		inv = append(inv, h.Labels)
	}
	for _, l := range inv {
		sp.Gauges = append(sp.Gauges, Gauge{Name: metricnames.Host.Up(), Labels: l, Value: func(time.Time) float64 { return 1 }})
	}
	return sp
}
