package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// sortRecs sorts .snmprec lines by OID (snmpsim walks in file order).
func sortRecs(lines ...string) string {
	key := func(l string) []int {
		var out []int
		for _, p := range strings.Split(strings.SplitN(l, "|", 2)[0], ".") {
			n, _ := strconv.Atoi(p)
			out = append(out, n)
		}
		return out
	}
	sort.Slice(lines, func(i, j int) bool {
		a, b := key(lines[i]), key(lines[j])
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
	return strings.Join(lines, "\n") + "\n"
}

// routerRecs simulates the core router: IF-MIB for ifIndex 5 (c5) and
// ifIndex 7 (c7), BGP4-MIB for peer 10.77.5.2.
// Counters come from files the test writes (snmpset cannot set Counter32).
func routerRecs(dir string) string {
	w := func(oid string, tag int, v any) string {
		return strings.TrimSpace(testenv.Writecache(oid, tag, v))
	}
	sub := func(oid string, tag int, file string) string {
		return fmt.Sprintf("%s|%d:subprocess|cat %s", oid, tag, filepath.Join(dir, file))
	}
	return sortRecs(
		"1.3.6.1.2.1.1.3.0|67|123456",
		w(oidIfOperStatus+".5", 2, 1), oidIfInDiscards+".5|65|0", oidIfInErrors+".5|65|3", oidIfOutDiscards+".5|65|0", oidIfOutErrors+".5|65|0",
		oidIfName+".5|4|c5", sub(oidIfHCInOctets+".5", 70, "rx"), w(oidIfHCOutOctets+".5", 70, 2000), oidIfHighSpeed+".5|66|1000", oidIfAlias+".5|4|CT internet 1G",
		oidIfOperStatus+".7|2|2", oidIfName+".7|4|c7", oidIfHighSpeed+".7|66|200", oidIfAlias+".7|4|spare",
		w(oidBgpPeerState+".10.77.5.2", 2, 6), oidBgpPeerAdminStatus+".10.77.5.2|2|2", oidBgpPeerLastError+".10.77.5.2|4x|0400",
		sub(oidBgpPeerTransitions+".10.77.5.2", 65, "transitions"), oidBgpPeerEstablishedFor+".10.77.5.2|66|100",
	)
}

func netnsConfig(tp *topo, routerAddr string) string {
	return fmt.Sprintf(`
defaults:
  icmp_interval: 250ms
  loss_window: 30s
routers:
  - name: core-rtr
    address: "%s"
    auth: {version: 2c, community: rtr}
    interval: 1s
    timeout: 2s
    retries: 1
lines:
  - name: ct-internet
    kind: bgp
    provider: China Telecom
    site: dc1
    capacity: 1G
    icmp: [{address: 10.77.5.2}]
    router: core-rtr
    interface: {name: c5}
    bgp_peers: [10.77.5.2]
  - name: leased-1
    kind: leased
    provider: CU
    site: dc1
    capacity: 200M
    icmp: [{address: 10.77.1.2, source: 10.77.1.1}]
  - name: leased-2
    kind: leased
    provider: CU
    site: dc1
    capacity: 200M
    icmp: [{address: 10.77.2.2}]
  - name: leased-3
    kind: leased
    provider: CM
    site: dc2
    capacity: 200M
    icmp: [{address: 10.77.3.2, interval: 1s}]
  - name: leased-4
    kind: leased
    provider: CM
    site: dc2
    capacity: 200M
    icmp: [{address: 10.77.4.2, interval: 100ms}]
    rules:
      icmp: {down_after: 10}
`, routerAddr)
}

type cut struct {
	line     string
	interval time.Duration // of the signal that sees the cut
	do, undo func()
	hold     time.Duration
	truth    time.Duration
}

// TestNetnsLines is the acceptance test of issue 3: a core namespace and
// five far ends; lines are cut for exact durations in three ways (local end
// down, far end down, nftables blackhole) and the BGP session is taken down
// over SNMP, all at the same time; then 30 % random loss.
func TestNetnsLines(t *testing.T) {
	testutil.NeedRoot(t)
	testutil.Need(t, "nft")
	t.Parallel()
	tp := newTopo(t, 5)
	dir, err := os.MkdirTemp("", "linesim")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755) // snmpsimd runs as nobody
	put := func(file, v string) {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("rx", "1000")
	put("transitions", "1")
	sim := testenv.StartSNMPSim(t, map[string]string{"rtr": routerRecs(dir)}, nil)
	ex := startExporter(t, netnsConfig(tp, sim.Addr), "--icmp.netns="+tp.Core)
	lines := []string{"ct-internet", "leased-1", "leased-2", "leased-3", "leased-4"}
	testenv.WaitFor(t, 30*time.Second, "all lines up", func() bool {
		f := scrape(t, ex.URL)
		for _, l := range lines {
			if f.get("line_up", "line", l) != 1 {
				return false
			}
		}
		return true
	})
	before := scrape(t, ex.URL)

	ipn := func(ns string, args ...string) func() {
		return func() { run(t, "ip", append([]string{"-n", ns}, args...)...) }
	}
	cuts := []*cut{
		{line: "leased-1", interval: 250 * time.Millisecond, hold: 3 * time.Second,
			do: ipn(tp.Core, "link", "set", "c1", "down"), undo: ipn(tp.Core, "link", "set", "c1", "up")},
		{line: "leased-2", interval: 250 * time.Millisecond, hold: 4 * time.Second,
			do: ipn(tp.Far[1], "link", "set", "f2", "down"), undo: ipn(tp.Far[1], "link", "set", "f2", "up")},
		{line: "leased-3", interval: time.Second, hold: 5 * time.Second,
			do: func() {
				nftIn(t, tp.Far[2], "table inet jgblackhole {\n chain in { type filter hook input priority 0; policy accept; ip protocol icmp drop; }\n}\n")
			},
			undo: func() { run(t, "ip", "netns", "exec", tp.Far[2], "nft", "delete", "table", "inet", "jgblackhole") }},
		{line: "ct-internet", interval: 1500 * time.Millisecond, hold: 4 * time.Second, // SNMP: poll interval + poll time (snmpsim is slow under load)
			do: func() { sim.Set(t, "rtr", oidBgpPeerState+".10.77.5.2", "i", "3") },
			undo: func() {
				put("transitions", "2")
				sim.Set(t, "rtr", oidBgpPeerState+".10.77.5.2", "i", "6")
			}},
	}
	// Watch line_up and the reasons while the cuts run.
	minUp := map[string]float64{}
	sawLastError := false
	reasons := map[string]map[string]bool{}
	var mu sync.Mutex
	stopWatch := make(chan struct{})
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(150 * time.Millisecond):
			}
			f, err := tryScrape(ex.URL)
			if err != nil {
				continue
			}
			if resp, err := http.Get(ex.URL + "/"); err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if strings.Contains(string(b), "bgpPeerState active(3) on router core-rtr, last error Hold Timer Expired (4/0)") {
					mu.Lock()
					sawLastError = true
					mu.Unlock()
				}
			}
			mu.Lock()
			for _, l := range lines {
				v := f.get("line_up", "line", l)
				if old, ok := minUp[l]; !ok || v < old {
					minUp[l] = v
				}
				if reasons[l] == nil {
					reasons[l] = map[string]bool{}
				}
				for _, r := range f.labelValues("line_signal_problem", "reason", "line", l) {
					reasons[l][r] = true
				}
			}
			mu.Unlock()
		}
	}()
	// 30 % random loss on leased-4 (probes every 100 ms, down after 10
	// lost in a row) during the cuts: the loss ratio shows it, the line
	// stays up.
	nftIn(t, tp.Far[3], "table inet jgloss {\n chain in { type filter hook input priority 0; policy accept; ip protocol icmp numgen random mod 100 < 30 drop; }\n}\n")
	lossStart := time.Now()
	put("rx", "1001000")
	var wg sync.WaitGroup
	for _, c := range cuts {
		wg.Add(1)
		go func(c *cut) {
			defer wg.Done()
			t0 := time.Now()
			c.do()
			t1 := time.Now()
			time.Sleep(c.hold)
			t2 := time.Now()
			c.undo()
			t3 := time.Now()
			// The outage runs from the middle of "do" to the middle of "undo".
			c.truth = t2.Add(t3.Sub(t2) / 2).Sub(t0.Add(t1.Sub(t0) / 2))
		}(c)
	}
	wg.Wait()
	testenv.WaitFor(t, 30*time.Second, "all lines up again", func() bool {
		f := scrape(t, ex.URL)
		for _, l := range lines {
			if f.get("line_up", "line", l) != 1 {
				return false
			}
		}
		return true
	})
	time.Sleep(1500 * time.Millisecond) // let every signal settle past the recovery
	close(stopWatch)
	<-watchDone
	after := scrape(t, ex.URL)

	delta := func(name string, pairs ...string) float64 {
		return after.get(name, pairs...) - before.get(name, pairs...)
	}
	for _, c := range cuts {
		got := delta("line_down_seconds_total", "line", c.line)
		tol := (c.interval + 500*time.Millisecond).Seconds()
		t.Logf("%-12s cut %.3fs measured %.3fs error %+.3fs (tolerance ±%.2fs) reasons %v", c.line, c.truth.Seconds(), got, got-c.truth.Seconds(), tol, keys(reasons[c.line]))
		if math.Abs(got-c.truth.Seconds()) > tol {
			t.Errorf("%s: line_down_seconds_total grew by %.3f s, true outage %.3f s (tolerance ±%.2f s)", c.line, got, c.truth.Seconds(), tol)
		}
		if minUp[c.line] != 0 {
			t.Errorf("%s: line_up never dropped to 0", c.line)
		}
		if ch := delta("line_state_changes_total", "line", c.line); ch != 2 {
			t.Errorf("%s: line_state_changes_total grew by %v, want 2 (down and up)", c.line, ch)
		}
	}
	if d := delta("line_down_seconds_total", "line", "leased-4"); d != 0 || minUp["leased-4"] != 1 {
		t.Errorf("leased-4 was not cut but saw %v s of downtime (min line_up %v)", d, minUp["leased-4"])
	}
	if d := delta("line_signal_down_seconds_total", "line", "ct-internet", "signal", "icmp"); d != 0 {
		t.Errorf("ct-internet ICMP was not cut but its signal saw %v s down", d)
	}
	// Reasons seen while down.
	for line, want := range map[string]string{"leased-1": "unreachable", "leased-3": "timeout", "ct-internet": "bgp_active"} {
		if !reasons[line][want] {
			t.Errorf("%s: reason %q never exported (saw %v)", line, want, keys(reasons[line]))
		}
	}
	if !sawLastError {
		t.Error("landing page never showed the BGP state with bgpPeerLastError")
	}
	// BGP: flaps counted by the router's counter and by the exporter.
	if d := delta("line_bgp_established_transitions_total", "line", "ct-internet"); d != 1 {
		t.Errorf("line_bgp_established_transitions_total grew by %v, want 1", d)
	}
	if d := delta("line_signal_state_changes_total", "line", "ct-internet", "signal", "bgp"); d != 2 {
		t.Errorf("bgp signal state changes %v, want 2", d)
	}
	if v := after.get("line_bgp_peer_established", "line", "ct-internet"); v != 1 {
		t.Errorf("line_bgp_peer_established %v", v)
	}
	if v := after.get("line_interface_oper_up", "line", "ct-internet", "interface", "c5"); v != 1 {
		t.Errorf("line_interface_oper_up %v", v)
	}
	if v := after.get("line_interface_speed_bytes_per_second", "line", "ct-internet"); v != 1.25e8 {
		t.Errorf("line_interface_speed_bytes_per_second %v", v)
	}
	if v := after.get("line_device_up", "device", "core-rtr"); v != 1 {
		t.Errorf("line_device_up %v", v)
	}

	if v := delta("line_interface_receive_bytes_total", "line", "ct-internet"); v != 1e6 {
		t.Errorf("line_interface_receive_bytes_total grew by %v, want 1e6", v)
	}

	// Interface down on the BGP line (IF-MIB ifOperStatus down(2)) for 3 s.
	b4 := scrape(t, ex.URL)
	t0 := time.Now()
	sim.Set(t, "rtr", oidIfOperStatus+".5", "i", "2")
	sawOper := false
	testenv.WaitFor(t, 10*time.Second, "ct-internet down on ifOperStatus", func() bool {
		f := scrape(t, ex.URL)
		for _, r := range f.labelValues("line_signal_problem", "reason", "line", "ct-internet", "signal", "interface") {
			sawOper = sawOper || r == "oper_down"
		}
		return f.get("line_up", "line", "ct-internet") == 0 && sawOper
	})
	time.Sleep(3*time.Second - time.Since(t0))
	sim.Set(t, "rtr", oidIfOperStatus+".5", "i", "1")
	ifTruth := time.Since(t0)
	testenv.WaitFor(t, 10*time.Second, "ct-internet up again", func() bool { return scrape(t, ex.URL).get("line_up", "line", "ct-internet") == 1 })
	time.Sleep(2500 * time.Millisecond)
	f0 := scrape(t, ex.URL)
	ifDown := f0.get("line_down_seconds_total", "line", "ct-internet") - b4.get("line_down_seconds_total", "line", "ct-internet")
	t.Logf("ct-internet  interface down %.3fs measured %.3fs error %+.3fs (tolerance ±2.00s)", ifTruth.Seconds(), ifDown, ifDown-ifTruth.Seconds())
	if math.Abs(ifDown-ifTruth.Seconds()) > 2 || !sawOper {
		t.Errorf("interface down: measured %.3f s, truth %.3f s, reason oper_down seen %v", ifDown, ifTruth.Seconds(), sawOper)
	}

	lossMinUp := 1.0
	for time.Since(lossStart) < 31*time.Second {
		time.Sleep(500 * time.Millisecond)
		if v := scrape(t, ex.URL).get("line_up", "line", "leased-4"); v < lossMinUp {
			lossMinUp = v
		}
	}
	b4 = before
	f := scrape(t, ex.URL)
	loss := f.get("line_icmp_loss_ratio", "line", "leased-4")
	probes := f.get("line_icmp_probes_total", "line", "leased-4") - b4.get("line_icmp_probes_total", "line", "leased-4")
	replies := f.get("line_icmp_replies_total", "line", "leased-4") - b4.get("line_icmp_replies_total", "line", "leased-4")
	t.Logf("leased-4 with 30%% drop: loss ratio %.3f over the last 30 s, %v probes %v replies, min line_up %v", loss, probes, replies, lossMinUp)
	if loss < 0.2 || loss > 0.4 {
		t.Errorf("loss ratio %.3f, want 0.2–0.4", loss)
	}
	if minUp["leased-4"] != 1 || lossMinUp != 1 || f.get("line_down_seconds_total", "line", "leased-4") != before.get("line_down_seconds_total", "line", "leased-4") {
		t.Errorf("30%% loss declared leased-4 down")
	}
	if j := f.get("line_icmp_jitter_seconds", "line", "leased-4"); !(j >= 0) {
		t.Errorf("jitter %v", j)
	}

	promtoolCheck(t, scrapeText(t, ex.URL))
}

// promtoolCheck runs promtool check metrics on an exposition: any finding
// fails (link speeds are exported in bytes/s, the base unit).
func promtoolCheck(t *testing.T, text string) {
	t.Helper()
	promtool := testutil.Need(t, "promtool")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
