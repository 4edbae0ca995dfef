package main

import (
	"net/netip"
	"strconv"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/icmp"

	"github.com/jianguan/jianguan/internal/constmetric"
)

// rttBuckets of host_rtt_seconds (upper bounds, seconds).
var rttBuckets = [nRTTBuckets]float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

const nRTTBuckets = 14

// checkStats are the probe counters of one check of a host.
type checkStats struct {
	name             string // icmp | tcp:PORT
	port             int    // 0 for icmp
	probes, failures uint64
	lp               []*dto.LabelPair // host labels + check
}

// host is one probed host. All its probing is driven by the scheduler's
// events and the engine callbacks; it owns no goroutine.
//
// A round sends one probe per check (ICMP echo, TCP connects). After
// down_after failed rounds in a row a re-verification burst follows at
// once (burst echo requests burst_spacing apart, one more connect per
// port); the host is confirmed down only when the burst fails too. Up is
// confirmed after up_after good rounds.
type host struct {
	env     *probeEnv // shared with the other targets (probes.go)
	ev      event     // regular rounds
	burstEv event     // burst sends
	ip      netip.Addr

	mu       sync.Mutex
	spec     *hostSpec
	tracker  *avail.Tracker
	removed  bool
	inFlight bool
	fails    int

	// current round
	roundAt   time.Time
	burst     bool
	burstSent int
	pending   int
	okMask    uint64 // checks that succeeded at least once in the round
	doneMask  uint64 // checks that completed (not skipped)

	checks []checkStats
	// ICMP round-trip times
	rttCounts [nRTTBuckets + 1]uint64
	rttSum    float64
	rttCount  uint64
	lastRTT   time.Duration
	lastErr   string

	icmpCB  func(icmp.Result)
	tcpJobs []func()
	lp      []*dto.LabelPair // host labels, built once
}

func newHost(env *probeEnv, spec *hostSpec, tracker *avail.Tracker, old *host) *host {
	h := &host{env: env, spec: spec, tracker: tracker, ev: event{index: -1}, burstEv: event{index: -1}}
	h.ip, _ = netip.ParseAddr(spec.addr)
	h.ev.fire = h.fire
	h.burstEv.fire = h.fireBurst
	if spec.icmp {
		h.checks = append(h.checks, checkStats{name: "icmp"})
	}
	for _, p := range spec.ports {
		h.checks = append(h.checks, checkStats{name: "tcp:" + strconv.Itoa(p), port: p})
	}
	if old != nil {
		old.mu.Lock()
		for i := range h.checks {
			for _, oc := range old.checks {
				if oc.name == h.checks[i].name {
					h.checks[i].probes, h.checks[i].failures = oc.probes, oc.failures
				}
			}
		}
		h.rttCounts, h.rttSum, h.rttCount, h.lastRTT = old.rttCounts, old.rttSum, old.rttCount, old.lastRTT
		old.mu.Unlock()
	}
	h.icmpCB = h.onICMP
	h.lp = constmetric.LabelPairs(hostLabels, spec.labels)
	checkNames := withLabels(hostLabels, "check")
	for i := range h.checks {
		h.checks[i].lp = constmetric.LabelPairs(checkNames, withLabels(spec.labels, h.checks[i].name))
	}
	for i, c := range h.checks {
		if c.port != 0 {
			i, addr := i, netip.AddrPortFrom(h.ip, uint16(c.port)).String()
			h.tcpJobs = append(h.tcpJobs, func() {
				ok, err := env.tcpCheck(addr, spec.timeout)
				h.onTCP(i, ok, err)
			})
		} else {
			h.tcpJobs = append(h.tcpJobs, nil)
		}
	}
	return h
}

func sameChecks(a, b *hostSpec) bool {
	if a.icmp != b.icmp || len(a.ports) != len(b.ports) || a.addr != b.addr || a.timeout != b.timeout {
		return false
	}
	for i := range a.ports {
		if a.ports[i] != b.ports[i] {
			return false
		}
	}
	return true
}

// fire starts a regular round.
func (h *host) fire(at time.Time) {
	h.mu.Lock()
	if h.removed {
		h.mu.Unlock()
		return
	}
	h.env.sched.schedule(&h.ev, nextTick(at, h.spec.interval, time.Now()))
	if h.inFlight {
		h.mu.Unlock()
		return
	}
	h.inFlight = true
	h.burst = false
	h.roundAt = at
	h.pending = len(h.checks)
	h.okMask, h.doneMask = 0, 0
	h.mu.Unlock()
	h.sendAll(true)
}

// sendAll sends one probe of every check (icmp when withICMP).
func (h *host) sendAll(withICMP bool) {
	for i, c := range h.checks {
		if c.port == 0 {
			if withICMP {
				h.env.sendICMP(h.ip, h.spec.timeout, h.icmpCB)
			}
			continue
		}
		if !h.env.tcpPool.try(h.tcpJobs[i]) {
			h.env.skipped.WithLabelValues("host").Inc()
			h.mu.Lock()
			h.complete(i, false, true)
			h.mu.Unlock()
		}
	}
}

// startBurst begins the re-verification burst (h.mu held).
func (h *host) startBurst(now time.Time) {
	h.burst = true
	h.roundAt = now
	h.burstSent = 0
	h.okMask, h.doneMask = 0, 0
	n := 0
	for _, c := range h.checks {
		if c.port == 0 {
			n += h.spec.burst
		} else {
			n++
		}
	}
	h.pending = n
	h.env.sched.schedule(&h.burstEv, now)
}

func (h *host) fireBurst(at time.Time) {
	h.mu.Lock()
	if h.removed || !h.burst {
		h.mu.Unlock()
		return
	}
	first := h.burstSent == 0
	h.burstSent++
	more := h.spec.icmp && h.burstSent < h.spec.burst
	if more {
		h.env.sched.schedule(&h.burstEv, at.Add(h.spec.spacing))
	}
	h.mu.Unlock()
	if first {
		h.sendAll(h.spec.icmp)
	} else if h.spec.icmp {
		h.env.sendICMP(h.ip, h.spec.timeout, h.icmpCB)
	}
}

func (h *host) onICMP(r icmp.Result) {
	h.mu.Lock()
	defer h.mu.Unlock()
	idx := -1
	for i, c := range h.checks {
		if c.port == 0 {
			idx = i
		}
	}
	if idx < 0 {
		return
	}
	ok := r.OK()
	if ok {
		s := r.RTT.Seconds()
		b := len(rttBuckets)
		for i, ub := range rttBuckets {
			if s <= ub {
				b = i
				break
			}
		}
		h.rttCounts[b]++
		h.rttSum += s
		h.rttCount++
		h.lastRTT = r.RTT
	} else {
		h.lastErr = "icmp " + string(r.Reason)
	}
	h.complete(idx, ok, false)
}

func (h *host) onTCP(i int, ok bool, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !ok && err != nil {
		h.lastErr = h.checks[i].name + " " + err.Error()
	}
	h.complete(i, ok, false)
}

// complete records one finished probe of check i (h.mu held).
func (h *host) complete(i int, ok, skipped bool) {
	if !skipped {
		h.checks[i].probes++
		if !ok {
			h.checks[i].failures++
		}
		h.doneMask |= 1 << i
		if ok {
			h.okMask |= 1 << i
		}
	}
	h.pending--
	if h.pending > 0 || h.removed {
		if h.removed && h.pending <= 0 {
			h.inFlight = false
		}
		return
	}
	if h.doneMask == 0 { // nothing completed: no evidence
		h.inFlight, h.burst = false, false
		return
	}
	good := h.okMask != 0
	if h.spec.all {
		good = h.okMask == h.doneMask
	}
	at := h.roundAt
	wasBurst := h.burst
	h.inFlight, h.burst = false, false
	if good {
		h.fails = 0
		h.lastErr = ""
		h.tracker.Observe(at, avail.Up)
		return
	}
	h.fails++
	h.tracker.Observe(at, avail.Down)
	if !wasBurst && h.fails == h.spec.rule.DownAfter-1 && h.tracker.State() != avail.Down {
		h.inFlight = true
		h.startBurst(time.Now())
	}
}
