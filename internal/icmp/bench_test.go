package icmp

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkBurst10k sends one probe to each of 10 000 loopback addresses at
// once (uptime_exporter's scale) and waits for every result.
func BenchmarkBurst10k(b *testing.B) {
	p, err := New(Options{})
	if err != nil {
		b.Skip(err)
	}
	defer p.Close()
	const n = 10000
	addrs := make([]netip.Addr, n)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{127, 1, byte(i / 250), byte(1 + i%250)})
	}
	b.ResetTimer()
	var lost atomic.Int64
	for it := 0; it < b.N; it++ {
		var wg sync.WaitGroup
		wg.Add(n)
		for _, a := range addrs {
			p.Send(a, 2*time.Second, func(r Result) {
				if !r.OK() {
					lost.Add(1)
				}
				wg.Done()
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(lost.Load())/float64(b.N*n), "lost/probe")
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "probes/s")
}
