package icmp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
)

func newPinger(t *testing.T, o Options) *Pinger {
	t.Helper()
	p, err := New(o)
	if err != nil {
		if errors.Is(err, ErrPermission) && !testutil.InCI() {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestPingLoopback(t *testing.T) {
	p := newPinger(t, Options{})
	r := p.Ping(context.Background(), netip.MustParseAddr("127.0.0.1"), time.Second)
	if !r.OK() {
		t.Fatalf("ping 127.0.0.1: %+v", r)
	}
	if r.RTT <= 0 || r.RTT > 500*time.Millisecond {
		t.Fatalf("rtt %v", r.RTT)
	}
	if ok, _ := p.IPv6(); ok {
		r := p.Ping(context.Background(), netip.MustParseAddr("::1"), time.Second)
		if !r.OK() {
			t.Logf("ping ::1: %+v (IPv6 loopback may be disabled)", r)
		}
	}
}

func TestModes(t *testing.T) {
	for _, m := range []Mode{ModePrivileged, ModeUnprivileged} {
		t.Run(m.String(), func(t *testing.T) {
			p, err := New(Options{Mode: m})
			if err != nil {
				if !errors.Is(err, ErrPermission) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				for _, want := range []string{"ping_group_range", "CAP_NET_RAW"} {
					if !strings.Contains(err.Error(), want) {
						t.Fatalf("permission error does not explain %s: %v", want, err)
					}
				}
				t.Logf("%s: %v", m, err)
				return
			}
			defer p.Close()
			if p.Mode() != m {
				t.Fatalf("mode %v, want %v", p.Mode(), m)
			}
			r := p.Ping(context.Background(), netip.MustParseAddr("127.0.0.1"), time.Second)
			if !r.OK() {
				t.Fatalf("%+v", r)
			}
		})
	}
}

func TestManyAsync(t *testing.T) {
	p := newPinger(t, Options{})
	const n = 2000
	var ok, bad atomic.Int64
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		a := netip.AddrFrom4([4]byte{127, 0, byte(i / 250), byte(1 + i%250)})
		p.Send(a, 2*time.Second, func(r Result) {
			if r.OK() && r.Addr == a {
				ok.Add(1)
			} else {
				bad.Add(1)
			}
			wg.Done()
		})
	}
	wg.Wait()
	if ok.Load() < n*99/100 {
		t.Fatalf("ok %d bad %d of %d", ok.Load(), bad.Load(), n)
	}
	if g := runtime.NumGoroutine(); g > 50 {
		t.Fatalf("%d goroutines: the engine must not start one per probe", g)
	}
	st := p.Stats()
	if st.Sent < n || st.Replies < uint64(ok.Load()) {
		t.Fatalf("stats %+v", st)
	}
}

func TestSourceBinding(t *testing.T) {
	p := newPinger(t, Options{Source: netip.MustParseAddr("127.0.0.1")})
	if r := p.Ping(context.Background(), netip.MustParseAddr("127.0.0.2"), time.Second); !r.OK() {
		t.Fatalf("%+v", r)
	}
	if r := p.Ping(context.Background(), netip.MustParseAddr("::1"), time.Second); r.Reason != ReasonSendError {
		t.Fatalf("IPv6 from an IPv4-bound pinger: %+v", r)
	}
	if _, err := New(Options{Source: netip.MustParseAddr("192.0.2.77")}); err == nil {
		t.Fatal("binding to an address not on the host must fail")
	}
}

func TestClose(t *testing.T) {
	p := newPinger(t, Options{})
	p.Close()
	r := p.Ping(context.Background(), netip.MustParseAddr("127.0.0.1"), time.Second)
	if r.Reason != ReasonClosed {
		t.Fatalf("%+v", r)
	}
}

func TestPingCanceled(t *testing.T) {
	p := newPinger(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := p.Ping(ctx, netip.MustParseAddr("127.0.0.1"), time.Second)
	if r.Reason != ReasonCanceled && !r.OK() {
		t.Fatalf("%+v", r)
	}
}

// newPingerInNetns creates a pinger inside a fresh network namespace prepared by
// the shell commands (run with ip netns exec).
func newPingerInNetns(t *testing.T, o Options, setup ...string) *Pinger {
	t.Helper()
	testutil.NeedRoot(t)
	testutil.Need(t, "ip")
	name := fmt.Sprintf("jgicmp%d%d", os.Getpid(), time.Now().UnixNano()%100000)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	for _, c := range setup {
		args := append([]string{"netns", "exec", name}, strings.Fields(c)...)
		if sh, ok := strings.CutPrefix(c, "sh:"); ok {
			args = []string{"netns", "exec", name, "sh", "-c", sh}
		}
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v %s", c, err, out)
		}
	}
	o.Netns = "/var/run/netns/" + name
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestUnreachableIsAnObservation(t *testing.T) {
	// lo is down in a new namespace: every send fails with ENETUNREACH.
	p := newPingerInNetns(t, Options{})
	start := time.Now()
	r := p.Ping(context.Background(), netip.MustParseAddr("10.201.0.2"), 2*time.Second)
	if r.Reason != ReasonUnreachable {
		t.Fatalf("want unreachable, got %+v", r)
	}
	if time.Since(start) > 500*time.Millisecond {
		t.Fatalf("unreachable must be reported at once, took %v", time.Since(start))
	}
}

func TestTimeout(t *testing.T) {
	// nftables drops what is sent to 127.0.0.2 in a fresh namespace.
	testutil.Need(t, "nft")
	p := newPingerInNetns(t, Options{}, "ip link set lo up", "nft add table ip jgt",
		"nft add chain ip jgt in { type filter hook input priority 0 ; policy accept ; }",
		"nft add rule ip jgt in ip daddr 127.0.0.2 drop")
	for _, to := range []time.Duration{150 * time.Millisecond, 400 * time.Millisecond} {
		start := time.Now()
		r := p.Ping(context.Background(), netip.MustParseAddr("127.0.0.2"), to)
		el := time.Since(start)
		if r.Reason != ReasonTimeout {
			t.Fatalf("want timeout, got %+v", r)
		}
		if el < to || el > to+300*time.Millisecond {
			t.Fatalf("timeout %v took %v", to, el)
		}
	}
	// Mixed: a fast reply is not delayed by a pending timeout.
	var wg sync.WaitGroup
	wg.Add(1)
	p.Send(netip.MustParseAddr("127.0.0.2"), 3*time.Second, func(Result) { wg.Done() })
	if r := p.Ping(context.Background(), netip.MustParseAddr("127.0.0.1"), time.Second); !r.OK() {
		t.Fatalf("local address: %+v", r)
	}
	wg.Wait()
}

func TestEmbeddedEcho(t *testing.T) {
	v4 := make([]byte, 28)
	v4[0] = 0x45
	v4[9] = 1
	copy(v4[16:20], []byte{10, 0, 0, 9})
	v4[20] = 8
	v4[24], v4[25], v4[26], v4[27] = 0x12, 0x34, 0x00, 0x07
	v6 := make([]byte, 48)
	v6[6] = 58
	v6[24], v6[39] = 0x20, 1
	v6[40] = 128
	v6[44], v6[45], v6[46], v6[47] = 0xab, 0xcd, 0x01, 0x00
	for _, tc := range []struct {
		name    string
		v6      bool
		d       []byte
		ok      bool
		id, seq uint16
		dst     string
	}{
		{"v4", false, v4, true, 0x1234, 7, "10.0.0.9"},
		{"v4 short", false, v4[:24], false, 0, 0, ""},
		{"v4 not icmp", false, append([]byte{0x45, 0, 0, 0, 0, 0, 0, 0, 0, 6}, v4[10:]...), false, 0, 0, ""},
		{"v6", true, v6, true, 0xabcd, 256, "2000::1"},
		{"v6 short", true, v6[:40], false, 0, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, seq, dst, ok := embeddedEcho(tc.v6, tc.d)
			if ok != tc.ok || (ok && (id != tc.id || seq != tc.seq || dst.String() != tc.dst)) {
				t.Fatalf("got %x %d %v %v", id, seq, dst, ok)
			}
		})
	}
}

func TestResolver(t *testing.T) {
	var calls atomic.Int64
	var fail atomic.Bool
	r := NewResolver("far.example", 50*time.Millisecond)
	r.Lookup = func(ctx context.Context, network, host string) ([]netip.Addr, error) {
		n := calls.Add(1)
		if fail.Load() {
			return nil, errors.New("SERVFAIL")
		}
		return []netip.Addr{netip.MustParseAddr("::1"), netip.AddrFrom4([4]byte{127, 0, 0, byte(n)})}, nil
	}
	a, err := r.Addr(context.Background())
	if err != nil || a.String() != "127.0.0.1" {
		t.Fatalf("%v %v", a, err)
	}
	fail.Store(true)
	time.Sleep(80 * time.Millisecond)
	r.Addr(context.Background()) // triggers background refresh, which fails
	time.Sleep(50 * time.Millisecond)
	if a, err := r.Addr(context.Background()); err != nil || a.String() != "127.0.0.1" {
		t.Fatalf("last good address must be kept: %v %v", a, err)
	}
	fail.Store(false)
	time.Sleep(80 * time.Millisecond)
	r.Addr(context.Background())
	time.Sleep(50 * time.Millisecond)
	if a, _ := r.Addr(context.Background()); a.String() == "127.0.0.1" {
		t.Fatalf("address not re-resolved: %v (calls %d)", a, calls.Load())
	}
	lit := NewResolver("127.0.0.5", 0)
	if a, err := lit.Addr(context.Background()); err != nil || a.String() != "127.0.0.5" {
		t.Fatal(a, err)
	}
	bad := NewResolver("no.such", 0)
	bad.Lookup = func(context.Context, string, string) ([]netip.Addr, error) { return nil, errors.New("NXDOMAIN") }
	if _, err := bad.Addr(context.Background()); err == nil {
		t.Fatal("want error")
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeAuto, "auto": ModeAuto, "raw": ModePrivileged, "privileged": ModePrivileged, "udp": ModeUnprivileged, "unprivileged": ModeUnprivileged} {
		if m, err := ParseMode(in); err != nil || m != want {
			t.Errorf("%q: %v %v", in, m, err)
		}
	}
	if _, err := ParseMode("icmp"); err == nil {
		t.Error("want error")
	}
}

func TestUnprivilegedInNetns(t *testing.T) {
	// ping_group_range is per network namespace: allow everyone in a fresh one.
	p := newPingerInNetns(t, Options{Mode: ModeUnprivileged}, "ip link set lo up",
		"sh:echo '0 2147483647' > /proc/sys/net/ipv4/ping_group_range")
	if p.Mode() != ModeUnprivileged {
		t.Fatal(p.Mode())
	}
	var wg sync.WaitGroup
	var ok atomic.Int64
	for i := 1; i <= 200; i++ {
		wg.Add(1)
		p.Send(netip.AddrFrom4([4]byte{127, 0, 1, byte(i)}), time.Second, func(r Result) {
			if r.OK() {
				ok.Add(1)
			}
			wg.Done()
		})
	}
	wg.Wait()
	if ok.Load() != 200 {
		t.Fatalf("%d of 200 replies", ok.Load())
	}
}

func TestIPv6InNetns(t *testing.T) {
	for _, m := range []Mode{ModePrivileged, ModeUnprivileged} {
		t.Run(m.String(), func(t *testing.T) {
			p := newPingerInNetns(t, Options{Mode: m}, "ip link set lo up",
				"sh:echo '0 2147483647' > /proc/sys/net/ipv4/ping_group_range")
			if ok, why := p.IPv6(); !ok {
				t.Skipf("no IPv6: %v", why)
			}
			var wg sync.WaitGroup
			var ok atomic.Int64
			for i := 0; i < 50; i++ {
				wg.Add(1)
				p.Send(netip.MustParseAddr("::1"), time.Second, func(r Result) {
					if r.OK() {
						ok.Add(1)
					}
					wg.Done()
				})
			}
			// IPv4 on the same pinger at the same time.
			if r := p.Ping(context.Background(), netip.MustParseAddr("127.0.0.1"), time.Second); !r.OK() {
				t.Fatalf("v4: %+v", r)
			}
			wg.Wait()
			if ok.Load() != 50 {
				t.Fatalf("%d of 50 IPv6 replies", ok.Load())
			}
		})
	}
}

// FuzzEmbeddedEcho: any ICMP error payload is parsed without a panic.
func FuzzEmbeddedEcho(f *testing.F) {
	f.Add(false, []byte{0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 1, 2, 3, 4})
	f.Add(true, make([]byte, 48))
	f.Add(false, []byte{0x4f})
	f.Fuzz(func(t *testing.T, v6 bool, d []byte) {
		embeddedEcho(v6, d)
	})
}
