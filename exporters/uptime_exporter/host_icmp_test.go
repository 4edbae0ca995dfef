package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/icmp"
	jtestutil "github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// realPinger opens the shared engine or skips/fails like testutil.Need.
func realPinger(t *testing.T) func() (pinger, error) {
	t.Helper()
	p, err := icmp.New(icmp.Options{Logger: quiet})
	if err != nil {
		if jtestutil.InCI() {
			t.Fatalf("icmp: %v", err)
		}
		t.Skipf("icmp: %v", err)
	}
	return func() (pinger, error) { return p, nil }
}

// TestHostICMPLoopback: addresses in 127.0.0.0/8 answer ICMP through the
// shared internal/icmp engine.
func TestHostICMPLoopback(t *testing.T) {
	np := realPinger(t)
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("host,address,unit,provider,site\n")
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(&b, "lo-%02d,127.0.%d.%d,u,p,dc1\n", i, i, i)
	}
	writeFile(t, filepath.Join(dir, "hosts.csv"), b.String())
	writeFile(t, filepath.Join(dir, "uptime.yml"), `
defaults:
  host: {interval: 500ms, timeout: 200ms, down_after: 2, up_after: 1}
target_files: [hosts.csv]
`)
	s, reg := startService(t, dir, options{shard: shard{0, 1}, newPinger: np})
	for i := 1; i <= 20; i++ {
		h := s.hostByName(fmt.Sprintf("lo-%02d", i))
		testenv.WaitFor(t, 3*time.Second, h.spec.addr+" up", func() bool { return h.tracker.State() == avail.Up })
	}
	testenv.WaitFor(t, 3*time.Second, "rtt samples", func() bool {
		v, _ := metricValue(t, reg, "host_rtt_seconds", "host=lo-07")
		return v >= 2
	})
}

// TestHostOutageNftables: a loopback host taken away with an nftables drop
// rule (own table, removed afterwards) is confirmed down after down_after
// failed rounds plus the failed burst, and host_down_seconds_total matches
// the true outage within one probe interval + 0.5 s.
func TestHostOutageNftables(t *testing.T) {
	jtestutil.NeedRoot(t)
	nft := jtestutil.Need(t, "nft")
	np := realPinger(t)
	const table, addr = "jianguan_uptime_test", "127.77.0.9"
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command(nft, args...).CombinedOutput(); err != nil {
			t.Fatalf("nft %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	_ = exec.Command(nft, "delete", "table", "ip", table).Run()
	run("add", "table", "ip", table)
	t.Cleanup(func() { _ = exec.Command(nft, "delete", "table", "ip", table).Run() })
	run("add", "chain", "ip", table, "input", "{ type filter hook input priority -10 ; policy accept ; }")

	const interval = time.Second
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "uptime.yml"), fmt.Sprintf(`
defaults:
  host: {interval: %s, timeout: 300ms, down_after: 2, up_after: 2, burst: 3, burst_spacing: 100ms}
hosts:
  - {host: victim, address: %s, unit: 市数据局, provider: cloudA, site: dc1}
  - {host: bystander, address: 127.77.0.10, unit: 市数据局, provider: cloudA, site: dc1}
`, interval, addr))
	s, reg := startService(t, dir, options{shard: shard{0, 1}, newPinger: np})
	h := s.hostByName("victim")
	testenv.WaitFor(t, 5*time.Second, "victim up", func() bool { return h.tracker.State() == avail.Up })
	time.Sleep(1500 * time.Millisecond)

	start := time.Now()
	run("add", "rule", "ip", table, "input", "ip", "daddr", addr, "icmp", "type", "echo-request", "drop")
	_, f0 := h.probes("icmp")
	testenv.WaitFor(t, 6*time.Second, "victim confirmed down", func() bool { return h.tracker.State() == avail.Down })
	_, f1 := h.probes("icmp")
	if f1-f0 < 2+3 {
		t.Errorf("down after %d failed echo requests, want >= 2 rounds + burst of 3", f1-f0)
	}
	if d := time.Since(start); d < interval {
		t.Errorf("down confirmed after %s: faster than down_after rounds", d)
	}
	time.Sleep(5 * time.Second)
	run("flush", "chain", "ip", table, "input")
	outage := time.Since(start)
	testenv.WaitFor(t, 6*time.Second, "victim up again", func() bool { return h.tracker.State() == avail.Up })

	down, _ := metricValue(t, reg, "host_down_seconds_total", "host=victim")
	if diff := down - outage.Seconds(); diff < -(interval.Seconds()+0.5) || diff > interval.Seconds()+0.5 {
		t.Errorf("host_down_seconds_total %.2f, true outage %.2f: more than one interval + 0.5 s apart", down, outage.Seconds())
	} else {
		t.Logf("host_down_seconds_total %.3f s, true outage %.3f s", down, outage.Seconds())
	}
	if v, _ := metricValue(t, reg, "host_state_changes_total", "host=victim"); v != 2 {
		t.Errorf("state changes %v, want 2", v)
	}
	if v, _ := metricValue(t, reg, "host_down_seconds_total", "host=bystander"); v != 0 {
		t.Errorf("bystander down %v s", v)
	}
}

// TestPromtoolCheckMetrics: the exposition of hosts and websites passes
// promtool check metrics.
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := jtestutil.Need(t, "promtool")
	pki := newTestPKI(t)
	expired := pki.leaf(t, []string{"localhost"}, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour), false)
	srv := serveTLS(t, expired, okHandler("hi"))
	plain := serveHTTP(t, okHandler("hi"))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "uptime.yml"), fmt.Sprintf(`
defaults:
  host: {interval: 300ms, timeout: 100ms, down_after: 1, tcp_ports: [%s]}
  website: {interval: 1s, timeout: 500ms, down_after: 1}
hosts:
  - {host: a, address: 10.9.9.9}
websites:
  - {url: "https://localhost:%s/", ca_file: %q}
  - {url: %q, body_regexp: hi, slow: 400ms}
`, portOf(plain), portOf(srv), pki.caFile, plain.URL+"/"))
	_, reg := startService(t, dir, options{shard: shard{0, 1}})
	time.Sleep(1500 * time.Millisecond)
	if v, ok := metricValue(t, reg, "website_tls_leaf_expiry_timestamp_seconds", "url=https://localhost:"+portOf(srv)+"/"); !ok || v != float64(expired.Leaf.NotAfter.Unix()) {
		t.Errorf("expired certificate: expiry %v %v, want %d", v, ok, expired.Leaf.NotAfter.Unix())
	}
	if _, ok := metricValue(t, reg, "website_tls_info", "verify_error=expired"); !ok {
		t.Error("website_tls_info{verify_error=expired} missing")
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	_ = http.StatusOK
}
