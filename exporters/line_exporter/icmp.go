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
}

func newICMPTarget(sig *signal, cfg ICMPTarget, d Defaults, ps *pingers, m *metrics, lv []string) *icmpTarget {
	n := int(time.Duration(d.LossWindow) / time.Duration(cfg.Interval))
	if n < 1 {
		n = 1
	}
	r := icmp.NewResolver(cfg.Address, time.Duration(d.DNSRefresh))
	t := &icmpTarget{sig: sig, cfg: cfg, res: r, pingers: ps, lv: lv, window: n, ring: make([]bool, n),
		probes: m.probes.WithLabelValues(lv...), replies: m.replies.WithLabelValues(lv...),
		rtt: m.rtt.WithLabelValues(lv...), loss: m.loss.WithLabelValues(lv...), jitter: m.jitter.WithLabelValues(lv...)}
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
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		now := time.Now()
		t.tick(ctx, now)
		next = next.Add(iv)
		if d := time.Since(next); d > iv {
			// Stalled (suspend, overload): skip missed ticks, keep the phase.
			next = next.Add(d.Truncate(iv))
		}
		timer.Reset(time.Until(next))
	}
}

func (t *icmpTarget) tick(ctx context.Context, now time.Time) {
	sl := &slot{at: now}
	t.mu.Lock()
	t.queue = append(t.queue, sl)
	t.mu.Unlock()

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
	if s.count {
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
