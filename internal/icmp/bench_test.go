package icmp

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// burstAddrs are n loopback addresses 127.1.x.y (the kernel answers every
// one of them).
func burstAddrs(n int) []netip.Addr {
	addrs := make([]netip.Addr, n)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{127, 1, byte(i / 250), byte(1 + i%250)})
	}
	return addrs
}

// burst sends one probe to each address at once through p and waits for
// every result; it returns the number of probes without a reply.
func burst(p *Pinger, addrs []netip.Addr) int64 {
	var lost atomic.Int64
	var wg sync.WaitGroup
	wg.Add(len(addrs))
	for _, a := range addrs {
		p.Send(a, 2*time.Second, func(r Result) {
			if !r.OK() {
				lost.Add(1)
			}
			wg.Done()
		})
	}
	wg.Wait()
	return lost.Load()
}

// BenchmarkBurst10k sends one probe to each of 10 000 loopback addresses at
// once (uptime_exporter's scale) and waits for every result.
func BenchmarkBurst10k(b *testing.B) {
	p, err := New(Options{})
	if err != nil {
		b.Skip(err)
	}
	defer p.Close()
	addrs := burstAddrs(10000)
	var lost int64
	for b.Loop() {
		lost += burst(p, addrs)
	}
	b.ReportMetric(float64(lost)/float64(b.N*len(addrs)), "lost/probe")
	b.ReportMetric(float64(b.N*len(addrs))/b.Elapsed().Seconds(), "probes/s")
}

// BenchmarkFastpath is issue 23's side by side (make bench-fastpaths): one
// echo to each of 10 000 loopback addresses through this engine ("own":
// one socket, Send for every target) and through pro-bing ("lib",
// EngineProBing: one pro-bing Pinger per target, ProBingParallel at once),
// in the same socket mode (what New chose: raw sockets as root, datagram
// sockets where net.ipv4.ping_group_range allows them).
func BenchmarkFastpath(b *testing.B) {
	addrs := burstAddrs(10000)
	for _, e := range []struct {
		side   string
		engine Engine
	}{{"own", EngineOwn}, {"lib", EngineProBing}} {
		b.Run("icmp/burst_10000_loopback/"+e.side, func(b *testing.B) {
			p, err := New(Options{Engine: e.engine})
			if err != nil {
				b.Skip(err)
			}
			defer p.Close()
			var lost int64
			for b.Loop() {
				lost += burst(p, addrs)
			}
			b.ReportMetric(float64(lost)/float64(b.N*len(addrs)), "lost/probe")
		})
	}
}
