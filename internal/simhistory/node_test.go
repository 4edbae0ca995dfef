package simhistory

import (
	"testing"
	"time"
)

// TestDemoNodeHosts: make demo's history gives node_exporter series to its
// hosts, the idle ones (DemoIdleHosts) in two units with a CPU p95 below
// 5 %, every other one above it, and none to the last host (无数据).
func TestDemoNodeHosts(t *testing.T) {
	to := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	sp := DemoScenario(to.Add(-35*24*time.Hour), to, 600*time.Second, 10, 40, 12)
	idle := map[string]bool{}
	for _, h := range DemoIdleHosts {
		idle[h] = true
	}
	var hosts []*Entity
	for _, e := range sp.Entities {
		if e.NS == "host" {
			hosts = append(hosts, e)
		}
	}
	units := map[string]bool{}
	nodeHosts := map[string]bool{}
	for _, nh := range demoNodeHosts(hosts) {
		name := nh.Labels["host"]
		nodeHosts[name] = true
		p95 := nh.CPUBusy + SineP95*nh.CPUSwing
		if idle[name] != (p95 < 0.05) {
			t.Errorf("%s: CPU p95 %.3f, idle %v", name, p95, idle[name])
		}
		if idle[name] {
			units[nh.Labels["unit"]] = true
		}
	}
	if len(units) != 2 {
		t.Errorf("idle hosts in units %v, want two", units)
	}
	if nodeHosts["host-040"] || len(nodeHosts) != 39 {
		t.Errorf("%d hosts with node series, host-040 among them: %v", len(nodeHosts), nodeHosts["host-040"])
	}
	n := 0
	for _, g := range sp.Gauges {
		if g.Name == "node_cpu_seconds_total" {
			n++
		}
	}
	if n == 0 {
		t.Error("DemoScenario has no node_cpu_seconds_total series")
	}
}
