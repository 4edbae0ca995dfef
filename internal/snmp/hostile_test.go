package snmp

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/jianguan/jianguan/internal/testutil/hostilesnmp"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

const hostileRoot = "1.3.6.1.2.1.2.2.1.2" // ifDescr

// firstPoll polls one target until its first result.
func firstPoll(t *testing.T, tg Target, within time.Duration) (*Result, *Poller) {
	t.Helper()
	ch := make(chan *Result, 64)
	p := New(Options{Namespace: "h", Labels: []string{"device"}, OnPoll: func(r *Result) {
		select {
		case ch <- r:
		default:
		}
	}})
	t.Cleanup(p.Stop)
	if tg.Labels == nil {
		tg.Labels = map[string]string{"device": tg.Name}
	}
	// A short interval has no phase wait: the first poll starts at once.
	// The poller stops at the first result (a poll cancelled by Stop is
	// not recorded).
	tg.Interval = 10 * time.Millisecond
	if err := p.SetTargets([]Target{tg}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ch:
		p.Stop()
		return r, p
	case <-time.After(within):
		t.Fatalf("%s: no poll result within %v", tg.Name, within)
	}
	return nil, nil
}

func errorsOf(t *testing.T, p *Poller, device string, reason Reason) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(p)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "h_device_errors_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			if l["device"] == device && l["reason"] == string(reason) {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no h_device_errors_total{device=%q,reason=%q}", device, reason)
	return 0
}

// TestHostile_UnboundedWalk: walks that never end (or are far too long)
// stop at the row cap or the poll deadline, counted under their own reason;
// going back stops the walk at once.
func TestHostile_UnboundedWalk(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		mode      hostilesnmp.Mode
		version   string
		maxRows   int
		deadline  time.Duration
		want      Reason
		wantErr   error
		maxTime   time.Duration // the poll ends within
		maxRowSrv int64         // rows the agent had to serve at most
	}{
		{"endless/default cap", hostilesnmp.Endless, "2c", 0, 0, ReasonRowLimit, ErrRowLimit, 5 * time.Second, DefaultMaxRows + 100},
		{"endless/v1 getnext cap", hostilesnmp.Endless, "1", 500, 0, ReasonRowLimit, ErrRowLimit, 5 * time.Second, 501},
		{"endless/deadline", hostilesnmp.Endless, "2c", MaxMaxRows, time.Second, ReasonDeadline, ErrDeadline, 2 * time.Second, MaxMaxRows},
		{"200k table/default cap", hostilesnmp.BigTable, "2c", 0, 0, ReasonRowLimit, ErrRowLimit, 5 * time.Second, DefaultMaxRows + 100},
		{"200k table/deadline", hostilesnmp.BigTable, "2c", MaxMaxRows, 500 * time.Millisecond, ReasonDeadline, ErrDeadline, 1500 * time.Millisecond, 200000},
		{"non-increasing/bulk", hostilesnmp.NonIncreasing, "2c", 0, 0, ReasonNotIncreasing, ErrNotIncreasing, 3 * time.Second, 2},
		{"non-increasing/v1", hostilesnmp.NonIncreasing, "1", 0, 0, ReasonNotIncreasing, nil, 3 * time.Second, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := hostilesnmp.Start(t, tc.mode, hostilesnmp.Options{Roots: []string{hostileRoot}})
			tg := Target{Name: "hostile", Address: a.Addr, Auth: Auth{Version: tc.version, Community: "public"},
				Timeout: time.Second, MaxRows: tc.maxRows, Deadline: tc.deadline,
				Request: Request{Walk: []string{hostileRoot}, Uptime: true}}
			if tc.deadline > 0 {
				// Only the deadline may end these polls: on a fast, idle
				// machine the 8 MiB byte limit came first (CI: 94 400 rows
				// of the 200k table in 1.35 s, reason row_limit).
				tg.MaxBytes = 1 << 30
			}
			r, p := firstPoll(t, tg, 30*time.Second)
			t.Logf("%s: %v in %v, %d requests, rows served up to %d, %d values kept", tc.name, r.Err, r.Duration, a.Requests(), a.MaxRow(), len(r.Values))
			if r.Err == nil || r.Reason != tc.want {
				t.Fatalf("poll: err %v reason %q, want reason %q", r.Err, r.Reason, tc.want)
			}
			if tc.wantErr != nil && !errors.Is(r.Err, tc.wantErr) {
				t.Errorf("err %v, want %v", r.Err, tc.wantErr)
			}
			if r.Duration > tc.maxTime {
				t.Errorf("poll took %v, want ≤ %v", r.Duration, tc.maxTime)
			}
			if a.MaxRow() > tc.maxRowSrv {
				t.Errorf("agent served rows up to %d, want ≤ %d", a.MaxRow(), tc.maxRowSrv)
			}
			if n := errorsOf(t, p, "hostile", tc.want); n < 1 {
				t.Errorf("errors_total{reason=%s} = %v, want ≥ 1", tc.want, n)
			}
			if _, ok := p.Last("hostile"); ok {
				t.Error("an incomplete poll must not become the last good result")
			}
		})
	}
}

// TestHostile_ByteLimit: huge values stop the walk at MaxBytes.
func TestHostile_ByteLimit(t *testing.T) {
	t.Parallel()
	a := hostilesnmp.Start(t, hostilesnmp.Endless, hostilesnmp.Options{Roots: []string{hostileRoot}, ValueSize: 8000})
	tg := Target{Name: "hostile", Address: a.Addr, Auth: Auth{Community: "public"}, Timeout: time.Second,
		MaxBytes: 1 << 20, Request: Request{Walk: []string{hostileRoot}}}
	r, _ := firstPoll(t, tg, 30*time.Second)
	if r.Reason != ReasonRowLimit || !errors.Is(r.Err, ErrByteLimit) {
		t.Fatalf("err %v reason %q, want byte limit / row_limit", r.Err, r.Reason)
	}
	if a.MaxRow() > 200 { // 1 MiB / 8 kB = 131 rows
		t.Errorf("agent served %d rows of 8 kB for a 1 MiB bound", a.MaxRow())
	}
}

// TestHostile_BadAnswers: wrong types, wrong request ids, garbage BER and
// floods never panic, never hang past the deadline, and are classified.
func TestHostile_BadAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		mode    hostilesnmp.Mode
		version string
		walk    bool
		want    Reason // "" = the poll succeeds
		flood   int
	}{
		{hostilesnmp.WrongTypes, "2c", true, "", 0},
		{hostilesnmp.WrongTypes, "1", true, "", 0},
		{hostilesnmp.WrongRequestID, "2c", false, ReasonTimeout, 0},
		{hostilesnmp.WrongRequestID, "2c", true, ReasonTimeout, 0},
		{hostilesnmp.GarbageBER, "2c", false, ReasonDecode, 0}, // gosnmp fails the GET at once (the lean client of issue 9 timed out)
		{hostilesnmp.GarbageBER, "2c", true, "", 0},            // gosnmp: decode or timeout, checked below
		{hostilesnmp.Flood, "2c", false, "", 20},
		{hostilesnmp.Flood, "2c", true, "", 20},
		// 1 000 × 2 datagrams of 2 kB per request overflow the socket
		// buffer: answers are lost, the poll ends by its deadline at worst
		{hostilesnmp.Flood, "2c", true, "any", 1000},
	}
	for _, tc := range cases {
		name := tc.mode.String() + "/v" + tc.version
		if tc.walk {
			name += "/walk"
		}
		if tc.flood > 0 {
			name += "/" + strconv.Itoa(tc.flood)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := hostilesnmp.Start(t, tc.mode, hostilesnmp.Options{Roots: []string{hostileRoot}, Rows: 50, Flood: tc.flood})
			req := Request{Get: []string{"1.3.6.1.2.1.33.1.2.1.0", "1.3.6.1.2.1.33.1.2.3.0", "1.3.6.1.2.1.33.1.2.4.0"}, Uptime: true}
			if tc.walk {
				req = Request{Walk: []string{hostileRoot}}
			}
			tg := Target{Name: "hostile", Address: a.Addr, Auth: Auth{Version: tc.version, Community: "public"},
				Timeout: 300 * time.Millisecond, Retries: 1, Deadline: 3 * time.Second, Request: req}
			r, _ := firstPoll(t, tg, 10*time.Second)
			t.Logf("%s: err %v reason %q in %v, %d requests, %d datagrams sent", name, r.Err, r.Reason, r.Duration, a.Requests(), a.Sent())
			if r.Duration > 3500*time.Millisecond {
				t.Errorf("poll took %v, past its 3 s deadline", r.Duration)
			}
			switch {
			case tc.mode == hostilesnmp.GarbageBER && tc.walk:
				if r.Err == nil || (r.Reason != ReasonDecode && r.Reason != ReasonTimeout) {
					t.Errorf("err %v reason %q, want decode or timeout", r.Err, r.Reason)
				}
			case tc.want == "any":
			case tc.want == "":
				if r.Err != nil {
					t.Fatalf("err %v", r.Err)
				}
			default:
				if r.Err == nil || r.Reason != tc.want {
					t.Errorf("err %v reason %q, want %q", r.Err, r.Reason, tc.want)
				}
			}
			if tc.mode == hostilesnmp.WrongTypes {
				n := 0
				for k, v := range r.Values {
					if _, err := v.Float(); err == nil && k != sysUpTime {
						t.Errorf("%s = %v (%s) reads as a number", k, v, v.Type)
					}
					n++
				}
				if n == 0 {
					t.Error("no values")
				}
			}
			if tc.mode == hostilesnmp.Flood && !tc.walk && len(r.Values) != 4 {
				t.Errorf("flood: %d values, want 4", len(r.Values))
			}
			if tc.mode == hostilesnmp.Flood && tc.walk && tc.want == "" && len(r.Values) != 50 {
				t.Errorf("flood: %d rows, want 50", len(r.Values))
			}
		})
	}
}

// TestHostile_DeviceDoesNotStallOthers: with one concurrency slot, a device
// whose walk runs into its deadline frees the slot at the deadline and the
// healthy device keeps being polled.
func TestHostile_DeviceDoesNotStallOthers(t *testing.T) {
	t.Parallel()
	bad := hostilesnmp.Start(t, hostilesnmp.Endless, hostilesnmp.Options{Roots: []string{hostileRoot}})
	good := hostilesnmp.Start(t, hostilesnmp.BigTable, hostilesnmp.Options{Roots: []string{hostileRoot}, Rows: 5})
	var mu sync.Mutex
	var badDur []time.Duration
	goodOK := 0
	p := New(Options{Namespace: "h", Labels: []string{"device"}, Concurrency: 1, OnPoll: func(r *Result) {
		mu.Lock()
		defer mu.Unlock()
		if r.Target == "bad" {
			badDur = append(badDur, r.Duration)
		} else if r.Err == nil {
			goodOK++
		}
	}})
	defer p.Stop()
	req := Request{Walk: []string{hostileRoot}}
	err := p.SetTargets([]Target{
		{Name: "bad", Address: bad.Addr, Auth: Auth{Community: "public"}, Interval: 400 * time.Millisecond, Timeout: time.Second,
			MaxRows: MaxMaxRows, Deadline: 700 * time.Millisecond, Labels: map[string]string{"device": "bad"}, Request: req},
		{Name: "good", Address: good.Addr, Auth: Auth{Community: "public"}, Interval: 200 * time.Millisecond, Timeout: time.Second,
			Labels: map[string]string{"device": "good"}, Request: req},
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second)
	mu.Lock()
	defer mu.Unlock()
	t.Logf("bad polls %v; good polls ok: %d", badDur, goodOK)
	if len(badDur) == 0 {
		t.Fatal("the hostile device was never polled")
	}
	for _, d := range badDur {
		if d > 900*time.Millisecond {
			t.Errorf("hostile poll held its slot %v, deadline 700ms", d)
		}
	}
	// 4 s at 200 ms with the slot shared: the good device is polled between
	// the bad polls (≥ 1 per bad poll).
	if goodOK < len(badDur)/2 || goodOK < 2 {
		t.Errorf("healthy device polled %d times beside %d hostile polls", goodOK, len(badDur))
	}
}

// TestHostile_StopWhileSilent: Stop returns promptly while a poll waits for
// a silent agent (the sockets are closed, not left to time out).
func TestHostile_StopWhileSilent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		auth Auth
		req  Request
	}{
		{"v2c get", Auth{Community: "public"}, Request{Get: []string{"1.3.6.1.2.1.33.1.2.1.0"}}},
		{"v2c walk", Auth{Community: "public"}, Request{Walk: []string{hostileRoot}}},
		{"v3 discovery", Auth{Version: "3", Username: "noc", SecurityLevel: "noAuthNoPriv"}, Request{Get: []string{"1.3.6.1.2.1.33.1.2.1.0"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := hostilesnmp.Start(t, hostilesnmp.Silent, hostilesnmp.Options{})
			p := New(Options{Namespace: "h", Labels: []string{"device"}})
			err := p.SetTargets([]Target{{Name: "silent", Address: a.Addr, Auth: tc.auth, Interval: 100 * time.Millisecond,
				Timeout: 30 * time.Second, Retries: 5, Labels: map[string]string{"device": "silent"}, Request: tc.req}})
			if err != nil {
				t.Fatal(err)
			}
			testenv.WaitFor(t, 5*time.Second, "a request reaching the agent", func() bool { return a.Requests() > 0 })
			time.Sleep(200 * time.Millisecond) // the poller is blocked in its read now
			start := time.Now()
			p.Stop()
			took := time.Since(start)
			t.Logf("Stop took %v with a read blocked (timeout 30 s × 6 tries)", took)
			if took > 500*time.Millisecond {
				t.Errorf("Stop took %v, want < 500ms", took)
			}
		})
	}
}

// TestHostile_ReasonsExported: the new reasons are exported for every
// device from the start (0), like the others.
func TestHostile_ReasonsExported(t *testing.T) {
	p := New(Options{Namespace: "h", Labels: []string{"device"}})
	defer p.Stop()
	if err := p.SetTargets([]Target{{Name: "d", Address: "127.0.0.1:9", Auth: Auth{Community: "c"}, Interval: time.Hour,
		Labels: map[string]string{"device": "d"}}}); err != nil {
		t.Fatal(err)
	}
	n, err := testutil.GatherAndCount(registry(p), "h_device_errors_total")
	if err != nil {
		t.Fatal(err)
	}
	if n != len(Reasons) {
		t.Errorf("%d error series, want %d", n, len(Reasons))
	}
	for _, r := range []Reason{ReasonRowLimit, ReasonDeadline, ReasonNotIncreasing} {
		if !strings.Contains(strings.Join(reasonStrings(), ","), string(r)) {
			t.Errorf("reason %s not exported", r)
		}
	}
}

func registry(c prometheus.Collector) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	return reg
}

func reasonStrings() []string {
	out := make([]string, len(Reasons))
	for i, r := range Reasons {
		out[i] = string(r)
	}
	return out
}

func TestCompareOIDs(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.3.6.1", "1.3.6.1", 0},
		{"1.3.6.1", "1.3.6.1.1", -1},
		{"1.3.6.1.10", "1.3.6.1.9", 1},
		{"1.3.6.1.2.1", "1.3.6.1.10", -1},
		{"1.3.6.2", "1.3.6.1.5", 1},
	} {
		if got := compareOIDs(tc.a, tc.b); got != tc.want {
			t.Errorf("compareOIDs(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
