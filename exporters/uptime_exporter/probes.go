package main

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/icmp"
)

// probeEnv is what a host or a website probes with: the scheduler, the worker
// pools, the ICMP engine, the TCP dialer, the web prober and the skipped
// counter. The service owns one (embedded) and hands it to every target, so
// host.go and website.go know nothing of the service: no back-pointer.
type probeEnv struct {
	ctx     context.Context // cancelled at Stop: in-flight connects and requests end
	sched   *scheduler
	web     *webProber
	skipped *prometheus.CounterVec // uptime_probes_skipped_total{kind}
	dialer  net.Dialer

	// httpPool and tcpPool are created by the first Apply (their sizes are
	// configuration), before any target exists; read-only afterwards.
	httpPool *pool
	tcpPool  *pool

	pmu    sync.RWMutex
	pinger pinger // opened by the first configuration with an ICMP check
}

// currentPinger returns the ICMP engine (nil before one was opened).
func (p *probeEnv) currentPinger() pinger {
	p.pmu.RLock()
	defer p.pmu.RUnlock()
	return p.pinger
}

func (p *probeEnv) setPinger(pg pinger) {
	p.pmu.Lock()
	p.pinger = pg
	p.pmu.Unlock()
}

// sendICMP sends one echo request; without an engine cb gets ReasonClosed.
func (p *probeEnv) sendICMP(ip netip.Addr, timeout time.Duration, cb func(icmp.Result)) {
	pg := p.currentPinger()
	if pg == nil {
		cb(icmp.Result{Addr: ip, Reason: icmp.ReasonClosed, Err: errors.New("no icmp engine")})
		return
	}
	pg.Send(ip, timeout, cb)
}

// tcpCheck connects to addr and closes at once.
func (p *probeEnv) tcpCheck(addr string, timeout time.Duration) (bool, error) {
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	c, err := p.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false, err
	}
	c.Close()
	return true, nil
}
