package constmetric

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// The side-by-side benchmarks of issue 23 (make bench-fastpaths): the same
// collector written by WriteText ("own") and by client_golang's registry +
// expfmt, what promhttp does ("lib"), at the documented scales.

// uptimeHosts is the series shape of uptime_exporter's host collector
// (exporters/uptime_exporter/metrics.go) at n hosts: the seven host labels,
// two checks per host (icmp, tcp:22), each with host_probes_total and
// host_probe_failures_total, and the 14-bucket RTT histogram.
func uptimeHosts(n int) *testCollector {
	names := []string{"host", "address", "unit", "provider", "system", "site", "path"}
	probes := NewDesc("fp_host_probes_total", "Probes sent to the host, by check (icmp, tcp:PORT).", append(names[:7:7], "check"))
	fails := NewDesc("fp_host_probe_failures_total", "Failed probes of the host, by check (icmp, tcp:PORT).", append(names[:7:7], "check"))
	rtt := NewDesc("fp_host_rtt_seconds", "ICMP echo round-trip time of the host.", names)
	bounds := []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}
	c := &testCollector{}
	for i := 0; i < n; i++ {
		vals := []string{"host-" + strconv.Itoa(i), "10." + strconv.Itoa(i/65536) + "." + strconv.Itoa(i/256%256) + "." + strconv.Itoa(i%256),
			"单位" + strconv.Itoa(i%120), "provider-" + strconv.Itoa(i%7), "系统" + strconv.Itoa(i%400), "机房" + strconv.Itoa(i%3), "/政务云/区" + strconv.Itoa(i%16)}
		for _, ck := range []string{"icmp", "tcp:22"} {
			lp := LabelPairs(append(names[:7:7], "check"), append(vals[:7:7], ck))
			c.ms = append(c.ms, &Metric{D: probes, Labels: lp, Counter: true, Value: float64(40320 + i)},
				&Metric{D: fails, Labels: lp, Counter: true, Value: float64(i % 5)})
		}
		cum := make([]uint64, len(bounds))
		for j := range cum {
			cum[j] = uint64(40000 * (j + 1) / len(bounds))
		}
		c.ms = append(c.ms, &Histogram{D: rtt, Labels: LabelPairs(names, vals), Count: 40320, Sum: 12.5, Bounds: bounds, Buckets: cum})
	}
	return c
}

// envDevices is env_exporter's shape at n devices: 48 sensor series each.
func envDevices(n int) *testCollector {
	names := []string{"site", "room", "device", "sensor"}
	temp := NewDesc("fp_env_sensor_value", "Sensor reading.", names)
	c := &testCollector{}
	for i := 0; i < n*48; i++ {
		c.ms = append(c.ms, &Metric{D: temp, Labels: LabelPairs(names,
			[]string{"机房" + strconv.Itoa(i%3), "r" + strconv.Itoa(i/480), "dev" + strconv.Itoa(i/48), "s" + strconv.Itoa(i%48)}), Value: float64(i) / 10})
	}
	return c
}

func BenchmarkFastpath(b *testing.B) {
	for _, sc := range []struct {
		name string
		c    *testCollector
	}{
		{"exposition/uptime_10000_hosts", uptimeHosts(10000)},
		{"exposition/env_1000_devices", envDevices(1000)},
	} {
		b.Run(sc.name+"/own", func(b *testing.B) {
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := WriteText(&buf, false, sc.c); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "body_bytes")
		})
		b.Run(sc.name+"/lib", func(b *testing.B) {
			reg := prometheus.NewRegistry()
			reg.MustRegister(sc.c)
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				mfs, err := reg.Gather()
				if err != nil {
					b.Fatal(err)
				}
				enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
				for _, mf := range mfs {
					if err := enc.Encode(mf); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(buf.Len()), "body_bytes")
		})
	}
}
