package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/icmp"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestHostICMPProBingEngine: --icmp.engine=pro-bing (options.icmpEngine)
// probes the hosts through pro-bing, with the same states and series as
// the own engine (TestHostICMPLoopback).
func TestHostICMPProBingEngine(t *testing.T) {
	realPinger(t) // skips where no ICMP socket may be opened
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("host,address,unit,provider,site\n")
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&b, "pb-%02d,127.0.%d.%d,u,p,dc1\n", i, i, i)
	}
	writeFile(t, filepath.Join(dir, "hosts.csv"), b.String())
	writeFile(t, filepath.Join(dir, "uptime.yml"), `
defaults:
  host: {interval: 500ms, timeout: 300ms, down_after: 2, up_after: 1}
target_files: [hosts.csv]
`)
	s, reg := startService(t, dir, options{shard: shard{0, 1}, icmpEngine: icmp.EngineProBing})
	for i := 1; i <= 5; i++ {
		h := s.hostByName(fmt.Sprintf("pb-%02d", i))
		testenv.WaitFor(t, 5*time.Second, h.spec.addr+" up", func() bool { return h.tracker.State() == avail.Up })
	}
	testenv.WaitFor(t, 5*time.Second, "rtt samples", func() bool {
		v, _ := metricValue(t, reg, "host_rtt_seconds", "host=pb-03")
		return v >= 2
	})
	if v, ok := metricValue(t, reg, "host_probe_failures_total", "host=pb-03", "check=icmp"); !ok || v != 0 {
		t.Errorf("host_probe_failures_total{check=icmp} = %v %v, want 0", v, ok)
	}
}
