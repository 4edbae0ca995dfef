package main

import (
	"context"
	"errors"
	"math"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/icmp"
)

// icmpTarget probes one far-end address continuously through the shared
// ICMP engine and feeds the "icmp" signal of its line.
type icmpTarget struct {
	sig     *signal
	cfg     ICMPTarget
	res     *icmp.Resolver
	pingers *pingers
	lv      []string // line labels + target
	window  int

	probes, replies prometheus.Counter
	rtt             prometheus.Observer
	loss, jitter    prometheus.Gauge

	mu      sync.Mutex
	queue   []*slot // in send order; results are applied in this order
	ring    []bool  // recent outcomes (true = lost)
	ringPos int
	ringN   int
	lost    int
	lastRTT time.Duration
	haveRTT bool
	jit     float64

	// Confirmation probes (see burstInterval): while burstUntil is in the
	// future the run loop also probes every fast interval; kick wakes it.
	fast       time.Duration
	burstUntil time.Time
	kick       chan struct{}

	cancel context.CancelFunc
	done   chan struct{}
}

type slot struct {
	at     time.Time
	done   bool
	state  avail.State
	reason string
	detail string
	rtt    time.Duration
	count  bool // counts as a probe (sent or failed to send)
	extra  bool // a confirmation probe: feeds the state only, not the probe/loss/RTT metrics
}

// burstInterval is the interval of confirmation probes: max(100 ms,
// interval/10), none when that is not shorter than the interval. A probe
// that is lost or overdue (no reply after suspectAfter), a pending change
// or a confirmed down state starts them; they stop two intervals after the
// target is confirmed up again (unknown evidence — DNS, socket — does not
// start them). They narrow the instants of a change to the
// fast interval (the recovery to ±50 ms at the 1 s default) and let a short
// outage reach its down_after confirmation (a 1 s outage at 1 s probes);
// being extra, they are not counted in line_icmp_probes_total, replies,
// loss or RTT, whose cadence stays the configured interval.
func burstInterval(iv time.Duration) time.Duration {
	f := iv / 10
	if f < 100*time.Millisecond {
		f = 100 * time.Millisecond
	}
	if f >= iv {
		return 0
	}
	return f
}

// suspectAfter is how long a probe may stay unanswered before confirmation
// probes start: four times the last RTT, at least 50 ms, at most half the
// timeout (half the timeout before any reply).
func suspectAfter(lastRTT time.Duration, haveRTT bool, timeout time.Duration) time.Duration {
	d := timeout / 2
	if haveRTT {
		d = min(max(4*lastRTT, 50*time.Millisecond), d)
	}
	return d
}

func newICMPTarget(sig *signal, cfg ICMPTarget, d Defaults, ps *pingers, m *metrics, lv []string) *icmpTarget {
	n := int(time.Duration(d.LossWindow) / time.Duration(cfg.Interval))
	if n < 1 {
		n = 1
	}
	r := icmp.NewResolver(cfg.Address, time.Duration(d.DNSRefresh))
	t := &icmpTarget{sig: sig, cfg: cfg, res: r, pingers: ps, lv: lv, window: n, ring: make([]bool, n),
		probes: m.probes.WithLabelValues(lv...), replies: m.replies.WithLabelValues(lv...),
		rtt: m.rtt.WithLabelValues(lv...), loss: m.loss.WithLabelValues(lv...), jitter: m.jitter.WithLabelValues(lv...),
		fast: burstInterval(time.Duration(cfg.Interval)), kick: make(chan struct{}, 1)}
	return t
}

// start probes every interval, first at start+offset (staggering).
func (t *icmpTarget) start(offset time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	t.done = make(chan struct{})
	go t.run(ctx, offset)
}

func (t *icmpTarget) stop() {
	if t.cancel != nil {
		t.cancel()
		<-t.done
	}
}

func (t *icmpTarget) run(ctx context.Context, offset time.Duration) {
	defer close(t.done)
	iv := time.Duration(t.cfg.Interval)
	next := time.Now().Add(offset)
	var lastSend time.Time
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-t.kick:
		}
		now := time.Now()
		if !now.Before(next) {
			t.tick(ctx, now, false)
			lastSend = now
			next = next.Add(iv)
			if d := time.Since(next); d > iv {
				// Stalled (suspend, overload): skip missed ticks, keep the phase.
				next = next.Add(d.Truncate(iv))
			}
		} else if t.bursting(now) && now.Sub(lastSend) >= t.fast-t.fast/10 {
			t.tick(ctx, now, true)
			lastSend = now
		}
		wake := next
		if t.bursting(now) {
			// A confirmation probe every fast interval, none closer than
			// half of it before the next regular probe.
			if f := lastSend.Add(t.fast); f.Before(wake) && next.Sub(f) >= t.fast/2 {
				wake = f
			}
		}
		timer.Reset(time.Until(wake))
	}
}

// bursting says whether confirmation probes are due at now.
func (t *icmpTarget) bursting(now time.Time) bool {
	if t.fast <= 0 {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return now.Before(t.burstUntil)
}

// burst keeps confirmation probes going for two intervals from now and
// wakes the run loop. Called with t.mu held.
func (t *icmpTarget) burst(now time.Time) {
	if t.fast <= 0 {
		return
	}
	if u := now.Add(2 * time.Duration(t.cfg.Interval)); u.After(t.burstUntil) {
		t.burstUntil = u
	}
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

func (t *icmpTarget) tick(ctx context.Context, now time.Time, extra bool) {
	sl := &slot{at: now, extra: extra}
	t.mu.Lock()
	t.queue = append(t.queue, sl)
	suspect := suspectAfter(t.lastRTT, t.haveRTT, time.Duration(t.cfg.Timeout))
	t.mu.Unlock()
	if t.fast > 0 {
		time.AfterFunc(suspect, func() {
			t.mu.Lock()
			if !sl.done {
				t.burst(time.Now())
			}
			t.mu.Unlock()
		})
	}

	addr, err := t.res.Addr(ctx)
	if err != nil {
		t.complete(sl, avail.Unknown, "dns", err.Error(), 0, false)
		return
	}
	p, err := t.pingers.get(t.cfg.Source)
	if err != nil {
		t.complete(sl, avail.Unknown, "socket", err.Error(), 0, false)
		return
	}
	if addr.Is6() {
		if ok, why := p.IPv6(); !ok {
			t.complete(sl, avail.Unknown, "no_ipv6", why.Error(), 0, false)
			return
		}
	}
	p.Send(addr, time.Duration(t.cfg.Timeout), func(r icmp.Result) {
		switch r.Reason {
		case icmp.ReasonOK:
			t.complete(sl, avail.Up, "", "", r.RTT, true)
		case icmp.ReasonTimeout:
			t.complete(sl, avail.Down, "timeout", "no echo reply from "+addr.String()+" within "+time.Duration(t.cfg.Timeout).String(), 0, true)
		case icmp.ReasonUnreachable:
			t.complete(sl, avail.Down, "unreachable", errText(r.Err), 0, true)
		case icmp.ReasonSendError:
			t.complete(sl, avail.Down, "send_error", errText(r.Err), 0, true)
		default: // closed, canceled: the exporter is stopping or reloading
			t.complete(sl, avail.Unknown, "stopped", string(r.Reason), 0, false)
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// complete records one result and applies every finished probe in send order.
func (t *icmpTarget) complete(sl *slot, st avail.State, reason, detail string, rtt time.Duration, count bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sl.done, sl.state, sl.reason, sl.detail, sl.rtt, sl.count = true, st, reason, detail, rtt, count
	for len(t.queue) > 0 && t.queue[0].done {
		s := t.queue[0]
		t.queue[0] = nil
		t.queue = t.queue[1:]
		t.apply(s)
	}
}

func (t *icmpTarget) apply(s *slot) {
	if s.count && !s.extra {
		t.probes.Inc()
		lost := s.state != avail.Up
		if lost {
			t.lost++
		} else {
			t.replies.Inc()
			t.rtt.Observe(s.rtt.Seconds())
			if t.haveRTT {
				d := math.Abs((s.rtt - t.lastRTT).Seconds())
				t.jit += (d - t.jit) / 16
				t.jitter.Set(t.jit)
			}
			t.lastRTT, t.haveRTT = s.rtt, true
		}
		if t.ringN == t.window {
			if t.ring[t.ringPos] {
				t.lost--
			}
		} else {
			t.ringN++
		}
		t.ring[t.ringPos] = lost
		t.ringPos = (t.ringPos + 1) % t.window
		t.loss.Set(float64(t.lost) / float64(t.ringN))
	}
	if s.reason == "stopped" {
		return
	}
	t.sig.observe(s.at, s.state, s.reason, s.detail)
	if t.fast > 0 {
		if snap := t.sig.tracker.Snapshot(s.at); s.state == avail.Down || snap.Pending != avail.Unknown || snap.State == avail.Down {
			t.burst(time.Now())
		}
	}
}

// pingers holds one ICMP engine per source address ("" = any).
type pingers struct {
	mode icmp.Mode
	opts icmp.Options

	mu    sync.Mutex
	m     map[string]*icmp.Pinger
	fails map[string]time.Time
	errs  map[string]error
}

func newPingers(o icmp.Options) *pingers {
	return &pingers{opts: o, m: map[string]*icmp.Pinger{}, fails: map[string]time.Time{}, errs: map[string]error{}}
}

// get returns the pinger of a source, opening it if needed (a failed open
// is retried at most every 10 s).
func (ps *pingers) get(source string) (*icmp.Pinger, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if p := ps.m[source]; p != nil {
		return p, nil
	}
	if t, ok := ps.fails[source]; ok && time.Since(t) < 10*time.Second {
		return nil, ps.errs[source]
	}
	o := ps.opts
	if source != "" {
		a, err := netip.ParseAddr(source)
		if err != nil {
			return nil, err
		}
		o.Source = a
	}
	p, err := icmp.New(o)
	if err != nil {
		if source != "" && !errors.Is(err, icmp.ErrPermission) {
			err = errors.New("cannot bind ICMP source address " + source + " (not an address of this host?): " + err.Error())
		}
		ps.fails[source], ps.errs[source] = time.Now(), err
		return nil, err
	}
	delete(ps.fails, source)
	ps.m[source] = p
	return p, nil
}

func (ps *pingers) close() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for k, p := range ps.m {
		p.Close()
		delete(ps.m, k)
	}
}
