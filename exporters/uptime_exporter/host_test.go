package main

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/icmp"
	jtestutil "github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// fakePinger answers instantly for addresses not marked down and times
// out for the others (unit tests; the real engine is tested in
// host_icmp_test.go).
type fakePinger struct {
	mu    sync.Mutex
	down  map[netip.Addr]bool
	sends map[netip.Addr]int
}

func newFakePinger() *fakePinger {
	return &fakePinger{down: map[netip.Addr]bool{}, sends: map[netip.Addr]int{}}
}

func (f *fakePinger) set(addr string, down bool) {
	f.mu.Lock()
	f.down[netip.MustParseAddr(addr)] = down
	f.mu.Unlock()
}

func (f *fakePinger) count(addr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sends[netip.MustParseAddr(addr)]
}

func (f *fakePinger) Send(addr netip.Addr, timeout time.Duration, cb func(icmp.Result)) {
	f.mu.Lock()
	down := f.down[addr]
	f.sends[addr]++
	f.mu.Unlock()
	if down {
		time.AfterFunc(timeout, func() { cb(icmp.Result{Addr: addr, Reason: icmp.ReasonTimeout}) })
		return
	}
	time.AfterFunc(time.Millisecond, func() { cb(icmp.Result{Addr: addr, RTT: 200 * time.Microsecond}) })
}

func (f *fakePinger) Close() error { return nil }

func (s *service) hostByName(name string) *host {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, h := range s.hosts {
		if h.spec.labels[0] == name {
			return h
		}
	}
	return nil
}

func (h *host) probes(check string) (uint64, uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.checks {
		if c.name == check {
			return c.probes, c.failures
		}
	}
	return 0, 0
}

// TestHostConfirmBeforeDown: down_after failed rounds, then a burst of
// echo requests; only a failed burst confirms down. A blip of one round
// is not an outage. up_after good rounds confirm up.
func TestHostConfirmBeforeDown(t *testing.T) {
	fp := newFakePinger()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "uptime.yml"), `
defaults:
  host: {interval: 500ms, timeout: 100ms, down_after: 2, up_after: 2, burst: 3, burst_spacing: 50ms}
hosts:
  - {host: web-01, address: 10.0.0.1, unit: 市大数据局, provider: cloudA, system: oa, site: dc1}
`)
	s, reg := startService(t, dir, options{shard: shard{0, 1}, newPinger: func() (pinger, error) { return fp, nil }})
	h := s.hostByName("web-01")
	testenv.WaitFor(t, 3*time.Second, "host up", func() bool { return h.tracker.State() == avail.Up })

	// One failed round: not down, no burst (down_after 2).
	fp.set("10.0.0.1", true)
	testenv.WaitFor(t, 2*time.Second, "one failure", func() bool { _, f := h.probes("icmp"); return f >= 1 })
	fp.set("10.0.0.1", false)
	time.Sleep(time.Second)
	if st := h.tracker.Snapshot(time.Now()); st.State != avail.Up || st.DownSeconds != 0 {
		t.Fatalf("after a blip: %v, down %.2f", st.State, st.DownSeconds)
	}

	// Outage: 2 failed rounds + failed burst of 3.
	_, before := h.probes("icmp")
	fp.set("10.0.0.1", true)
	start := time.Now()
	testenv.WaitFor(t, 3*time.Second, "host down", func() bool { return h.tracker.State() == avail.Down })
	if _, f := h.probes("icmp"); f-before != 2+3 {
		t.Errorf("failed echo requests until down = %d, want 2 rounds + burst of 3", f-before)
	}
	time.Sleep(time.Second)
	fp.set("10.0.0.1", false)
	outage := time.Since(start)
	testenv.WaitFor(t, 3*time.Second, "host up again", func() bool { return h.tracker.State() == avail.Up })
	st := h.tracker.Snapshot(time.Now())
	if st.StateChanges != 2 {
		t.Errorf("state changes %d, want 2", st.StateChanges)
	}
	if d := st.DownSeconds - outage.Seconds(); d < -1.0 || d > 1.0 {
		t.Errorf("down seconds %.2f vs outage %.2f", st.DownSeconds, outage.Seconds())
	}
	if v, ok := metricValue(t, reg, "host_probes_total", "host=web-01", "check=icmp"); !ok || v < 8 {
		t.Errorf("host_probes_total = %v, %v", v, ok)
	}
	if v, ok := metricValue(t, reg, "host_rtt_seconds", "host=web-01"); !ok || v < 3 {
		t.Errorf("host_rtt_seconds count = %v, %v", v, ok)
	}
	if v, _ := metricValue(t, reg, "host_state_changes_total", "host=web-01"); v != 2 {
		t.Errorf("host_state_changes_total = %v", v)
	}
}

// TestHostTCP: TCP-connect checks to a listening and a closed port on
// loopback, with up_when all and any.
func TestHostTCP(t *testing.T) {
	srv := serveHTTP(t, nil)
	open := portOf(srv)
	closed := fmt.Sprint(freeTCPPort(t))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "uptime.yml"), fmt.Sprintf(`
defaults:
  host: {interval: 300ms, timeout: 200ms, down_after: 1, up_after: 1, burst: 1, icmp: false}
hosts:
  - {host: open, address: 127.0.0.1, tcp_ports: [%[1]s]}
  - {host: closed, address: 127.0.0.1, tcp_ports: [%[2]s]}
  - {host: both-all, address: 127.0.0.1, tcp_ports: [%[1]s, %[2]s]}
  - {host: both-any, address: 127.0.0.1, tcp_ports: [%[1]s, %[2]s], up_when: any}
`, open, closed))
	s, reg := startService(t, dir, options{shard: shard{0, 1}})
	want := map[string]avail.State{"open": avail.Up, "closed": avail.Down, "both-all": avail.Down, "both-any": avail.Up}
	for name, st := range want {
		h := s.hostByName(name)
		testenv.WaitFor(t, 3*time.Second, name+" "+st.String(), func() bool { return h.tracker.State() == st })
	}
	if v, ok := metricValue(t, reg, "host_probe_failures_total", "host=closed", "check=tcp:"+closed); !ok || v < 2 {
		t.Errorf("failures of closed port = %v %v", v, ok)
	}
	if _, ok := metricValue(t, reg, "host_rtt_seconds", "host=open"); ok {
		t.Error("host_rtt_seconds without icmp check")
	}
}

func TestNextTick(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		at, now, want time.Duration
	}{
		{0, 0, 10 * time.Second},
		{0, 9 * time.Second, 10 * time.Second},
		{0, 25 * time.Second, 30 * time.Second},
		{0, 30 * time.Second, 30 * time.Second},
	} {
		got := nextTick(t0.Add(tc.at), 10*time.Second, t0.Add(tc.now))
		if got.Sub(t0) != tc.want {
			t.Errorf("nextTick(%v, now %v) = %v, want %v", tc.at, tc.now, got.Sub(t0), tc.want)
		}
	}
}

func TestSchedulerOrder(t *testing.T) {
	s := newScheduler()
	defer s.close()
	var mu sync.Mutex
	var got []string
	base := time.Now().Add(50 * time.Millisecond)
	evs := map[string]*event{}
	for i, name := range []string{"c", "a", "d", "b"} {
		name := name
		e := &event{index: -1, fire: func(time.Time) { mu.Lock(); got = append(got, name); mu.Unlock() }}
		evs[name] = e
		s.schedule(e, base.Add(time.Duration(strings.Index("abcd", name))*10*time.Millisecond+time.Duration(i)))
	}
	s.cancel(evs["d"])
	s.schedule(evs["a"], base.Add(35*time.Millisecond)) // moved after c
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, "") != "bca" {
		t.Errorf("fired %v, want b c a", got)
	}
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	return jtestutil.FreePort(t)
}
