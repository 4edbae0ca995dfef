package snmp

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	jtu "github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

const rec = `1.3.6.1.2.1.1.3.0|67|12345
1.3.6.1.2.1.2.2.1.8.1|2|1
1.3.6.1.2.1.2.2.1.8.2|2|2
1.3.6.1.2.1.2.2.1.8.3|2|1
1.3.6.1.2.1.33.1.2.1.0|2|2
1.3.6.1.2.1.33.1.2.3.0|2|42
1.3.6.1.2.1.33.1.4.1.0|2|3
`

func TestPollerAgainstSnmpsim(t *testing.T) {
	v3 := &testenv.SNMPv3{User: "noc", AuthKey: "authkey-123", AuthProto: "SHA", PrivKey: "privkey-123", PrivProto: "AES"}
	sim := testenv.StartSNMPSim(t, map[string]string{"public": rec}, v3)
	dead := "127.0.0.1:" + itoa(jtu.FreeUDPPort(t))       // nothing listens: ICMP port unreachable
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // listens, never answers: timeouts
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()

	var mu sync.Mutex
	polls := map[string]int{}
	p := New(Options{Namespace: "t", Labels: []string{"device"}, Concurrency: 4, OnPoll: func(r *Result) {
		mu.Lock()
		polls[r.Target]++
		mu.Unlock()
	}})
	defer p.Stop()
	req := Request{Get: []string{"1.3.6.1.2.1.33.1.2.1.0", "1.3.6.1.2.1.33.1.2.3.0", "1.3.6.1.2.1.33.1.4.1.0", "1.3.6.1.2.1.33.1.9.9.0"},
		Walk: []string{"1.3.6.1.2.1.2.2.1.8"}, Uptime: true}
	iv := 300 * time.Millisecond
	targets := []Target{
		{Name: "v2c", Address: sim.Addr, Auth: Auth{Community: "public"}, Interval: iv, Timeout: time.Second, MaxOIDs: 2, Labels: map[string]string{"device": "v2c"}, Request: req},
		{Name: "v3", Address: sim.Addr, Auth: Auth{Version: "3", Username: "noc", AuthProtocol: "SHA", AuthPassword: "authkey-123", PrivProtocol: "AES", PrivPassword: "privkey-123", ContextName: "public"}, Interval: iv, Timeout: time.Second, Labels: map[string]string{"device": "v3"}, Request: req},
		{Name: "v3bad", Address: sim.Addr, Auth: Auth{Version: "3", Username: "noc", AuthProtocol: "SHA", AuthPassword: "wrong-password", PrivProtocol: "AES", PrivPassword: "privkey-123", ContextName: "public"}, Interval: iv, Timeout: time.Second, Labels: map[string]string{"device": "v3bad"}, Request: req},
		{Name: "dead", Address: dead, Auth: Auth{Community: "public"}, Interval: iv, Timeout: time.Second, Labels: map[string]string{"device": "dead"}, Request: req},
		{Name: "silent", Address: silent.LocalAddr().String(), Auth: Auth{Community: "public"}, Interval: iv, Timeout: 2 * time.Second, Retries: 1, Labels: map[string]string{"device": "silent"}, Request: req},
	}
	if err := p.SetTargets(targets); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	mu.Lock()
	good, deadN := polls["v2c"], polls["silent"]
	mu.Unlock()
	// 3 s at 300 ms: ~10 polls; the dead device (2 s × 2 tries) must not slow it.
	if good < 7 {
		t.Errorf("v2c polled %d times in 3 s, want ≥ 7 (dead device must not delay it)", good)
	}
	if deadN > 1 {
		t.Errorf("silent device polled %d times", deadN)
	}
	for _, name := range []string{"v2c", "v3"} {
		r, ok := p.Last(name)
		if !ok {
			t.Fatalf("%s: no good result", name)
		}
		if f, _ := r.Values["1.3.6.1.2.1.33.1.2.3.0"].Float(); f != 42 {
			t.Errorf("%s: runtime %v", name, f)
		}
		if f, _ := r.Values["1.3.6.1.2.1.2.2.1.8.2"].Float(); f != 2 {
			t.Errorf("%s: walk ifOperStatus.2 = %v", name, f)
		}
		if !r.HasUptime || r.Uptime != 12345 {
			t.Errorf("%s: uptime %v %v", name, r.Uptime, r.HasUptime)
		}
		if len(r.Missing) != 1 || r.Missing[0] != "1.3.6.1.2.1.33.1.9.9.0" {
			t.Errorf("%s: missing %v", name, r.Missing)
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(p)
	for dev, want := range map[string]float64{"v2c": 1, "v3": 1, "v3bad": 0, "dead": 0, "silent": 0} {
		if got := gaugeValue(t, reg, "t_device_up", map[string]string{"device": dev}); got != want {
			t.Errorf("t_device_up{device=%q} = %v, want %v", dev, got, want)
		}
	}
	if got := gaugeValue(t, reg, "t_device_errors_total", map[string]string{"device": "v3bad", "reason": "auth"}); got < 1 {
		t.Errorf("v3bad auth errors = %v", got)
	}
	time.Sleep(2 * time.Second)
	if got := gaugeValue(t, reg, "t_device_errors_total", map[string]string{"device": "silent", "reason": "timeout"}); got < 1 {
		t.Errorf("silent timeout errors = %v", got)
	}
	if got := gaugeValue(t, reg, "t_device_errors_total", map[string]string{"device": "dead", "reason": "other"}); got < 1 {
		t.Errorf("dead (port unreachable) errors = %v", got)
	}
	if got := gaugeValue(t, reg, "t_device_errors_total", map[string]string{"device": "v2c", "reason": "noSuchObject"}); got < 1 {
		t.Errorf("v2c noSuchObject errors = %v", got)
	}
	// Reload with the same targets: loops and last-good kept.
	before, _ := p.Last("v2c")
	if err := p.SetTargets(targets[:2]); err != nil {
		t.Fatal(err)
	}
	after, ok := p.Last("v2c")
	if !ok || after.Time.Before(before.Time) {
		t.Errorf("last good lost on reload")
	}
	if n := len(p.Health()); n != 2 {
		t.Errorf("%d targets after reload", n)
	}
	if lint, err := testutil.GatherAndLint(reg); err != nil || len(lint) > 0 {
		t.Errorf("lint: %v %v", lint, err)
	}
	// Many dead devices and a small concurrency limit: once their first
	// polls have timed out, the dead devices wait in their own smaller pool
	// and the live device keeps its schedule.
	var live int
	var liveMu sync.Mutex
	p2 := New(Options{Namespace: "t2", Concurrency: 2, OnPoll: func(r *Result) {
		if r.Target == "live" {
			liveMu.Lock()
			live++
			liveMu.Unlock()
		}
	}})
	defer p2.Stop()
	ts := []Target{{Name: "live", Address: sim.Addr, Auth: Auth{Community: "public"}, Interval: iv, Timeout: time.Second, Request: req}}
	for i := 0; i < 6; i++ {
		ts = append(ts, Target{Name: "silent" + itoa(i), Address: silent.LocalAddr().String(), Auth: Auth{Community: "public"},
			Interval: iv, Timeout: time.Second, Request: req})
	}
	if err := p2.SetTargets(ts); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second) // first polls: 6 timeouts of 1 s over 2 slots
	liveMu.Lock()
	liveBefore := live
	liveMu.Unlock()
	time.Sleep(3 * time.Second)
	liveMu.Lock()
	if n := live - liveBefore; n < 8 {
		t.Errorf("live device polled %d times in 3 s beside 6 dead devices with concurrency 2, want ≥ 8 (every 300 ms)", n)
	}
	liveMu.Unlock()

	for _, l := range []string{"authkey-123", "privkey-123", "wrong-password"} {
		for _, h := range p.Health() {
			if strings.Contains(h.LastErr, l) {
				t.Errorf("secret in error %q", h.LastErr)
			}
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func gaugeValue(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			if m.Gauge != nil {
				return m.GetGauge().GetValue()
			}
			if m.Counter != nil {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

// TestPhaseSlots: devices get stable phases on a coarse grid, so devices
// sharing a slot are polled in one wake-up, and every phase is inside the
// interval.
func TestPhaseSlots(t *testing.T) {
	now := time.Date(2026, 11, 29, 5, 0, 0, 123456789, time.UTC)
	for _, tc := range []struct {
		interval  time.Duration
		grid      time.Duration
		wantSlots int // distinct phases of 5 000 names
	}{
		{15 * time.Second, 250 * time.Millisecond, 60},
		{10 * time.Second, 10 * time.Second / 60, 60},
		{60 * time.Second, 250 * time.Millisecond, 240},
		{time.Second, 16666666 * time.Nanosecond, 60},
		{300 * time.Millisecond, 10 * time.Millisecond, 30},
		{15 * time.Millisecond, 10 * time.Millisecond, 1}, // shorter than two slots: no phase
	} {
		if g := slotGrid(tc.interval); g != tc.grid {
			t.Errorf("interval %v: grid %v, want %v", tc.interval, g, tc.grid)
		}
		slots := map[time.Duration]bool{}
		for i := 0; i < 5000; i++ {
			name := "dev" + strconv.Itoa(i)
			w := phase(name, tc.interval, now)
			if w < 0 || w >= tc.interval {
				t.Fatalf("interval %v: phase %v outside [0, interval)", tc.interval, w)
			}
			if w2 := phase(name, tc.interval, now.Add(tc.interval)); w2 != w {
				t.Fatalf("interval %v: phase of %s not stable: %v then %v", tc.interval, name, w, w2)
			}
			slots[(time.Duration(now.UnixNano()%int64(tc.interval))+w)%tc.interval] = true
		}
		if len(slots) != tc.wantSlots {
			t.Errorf("interval %v: %d slots, want %d", tc.interval, len(slots), tc.wantSlots)
		}
	}
}
