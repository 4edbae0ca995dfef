package exporter

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jianguan/jianguan/internal/constmetric"
)

// uptimeHosts has the series shape of uptime_exporter's host collector
// (exporters/uptime_exporter/metrics.go) at n hosts: the seven host labels,
// two checks per host (icmp, tcp:22), each with host_probes_total and
// host_probe_failures_total, and the 14-bucket RTT histogram.
type uptimeHosts struct{ ms []prometheus.Metric }

func (*uptimeHosts) Describe(chan<- *prometheus.Desc) {}
func (c *uptimeHosts) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.ms {
		ch <- m
	}
}

func newUptimeHosts(n int) *uptimeHosts {
	names := []string{"host", "address", "unit", "provider", "system", "site", "path"}
	probes := prometheus.NewDesc("bench_host_probes_total", "Probes sent to the host, by check (icmp, tcp:PORT).", append(names[:7:7], "check"), nil)
	fails := prometheus.NewDesc("bench_host_probe_failures_total", "Failed probes of the host, by check (icmp, tcp:PORT).", append(names[:7:7], "check"), nil)
	rtt := prometheus.NewDesc("bench_host_rtt_seconds", "ICMP echo round-trip time of the host.", names, nil)
	bounds := []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}
	c := &uptimeHosts{}
	for i := range n {
		vals := []string{"host-" + strconv.Itoa(i), "10." + strconv.Itoa(i/65536) + "." + strconv.Itoa(i/256%256) + "." + strconv.Itoa(i%256),
			"单位" + strconv.Itoa(i%120), "provider-" + strconv.Itoa(i%7), "系统" + strconv.Itoa(i%400), "机房" + strconv.Itoa(i%3), "/政务云/区" + strconv.Itoa(i%16)}
		for _, ck := range []string{"icmp", "tcp:22"} {
			lp := constmetric.LabelPairs(append(names[:7:7], "check"), append(vals[:7:7], ck))
			c.ms = append(c.ms, &constmetric.Metric{D: probes, Labels: lp, Counter: true, Value: float64(40320 + i)},
				&constmetric.Metric{D: fails, Labels: lp, Counter: true, Value: float64(i % 5)})
		}
		cum := make([]uint64, len(bounds))
		for j := range cum {
			cum[j] = uint64(40000 * (j + 1) / len(bounds))
		}
		c.ms = append(c.ms, &constmetric.Histogram{D: rtt, Labels: constmetric.LabelPairs(names, vals), Count: 40320, Sum: 12.5, Bounds: bounds, Buckets: cum})
	}
	return c
}

// BenchmarkMetrics10000Hosts: one /metrics scrape of uptime_exporter's host
// series at 10 000 hosts (37 MB of text) through the frame's handler
// (promhttp over the registry), as Prometheus asks for it (text, gzip) and
// uncompressed. docs/fastpaths.md records it against the text writer it
// replaced.
func BenchmarkMetrics10000Hosts(b *testing.B) {
	reg := newRegistry()
	reg.MustRegister(newUptimeHosts(10000))
	h := reg.handler(slog.New(slog.DiscardHandler))
	for _, enc := range []string{"identity", "gzip"} {
		b.Run(enc, func(b *testing.B) {
			var w countingWriter
			for b.Loop() {
				req := httptest.NewRequestWithContext(b.Context(), http.MethodGet, "/metrics", nil)
				req.Header.Set("Accept", "text/plain;version=0.0.4")
				req.Header.Set("Accept-Encoding", enc)
				w = countingWriter{h: http.Header{}, code: 200}
				h.ServeHTTP(&w, req)
				if w.code != 200 {
					b.Fatalf("HTTP %d", w.code)
				}
			}
			b.ReportMetric(float64(w.n), "body_bytes")
		})
	}
}

// countingWriter is a ResponseWriter that counts the body and keeps none
// of it (a recorder's buffer would dominate the allocations measured).
type countingWriter struct {
	h    http.Header
	code int
	n    int64
}

func (w *countingWriter) Header() http.Header  { return w.h }
func (w *countingWriter) WriteHeader(code int) { w.code = code }
func (w *countingWriter) Write(b []byte) (int, error) {
	w.n += int64(len(b))
	return len(b), nil
}
