package main

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/jianguan/jianguan/internal/constmetric"
)

// TestFastMetricsMatchConst: the host collector's precomputed-label metrics
// write exactly what client_golang's const metrics write.
func TestFastMetricsMatchConst(t *testing.T) {
	values := []string{"web-01", "10.0.0.1", "市财政局", "阿里云", "oa", "dc1", ""}
	var counts [nRTTBuckets + 1]uint64
	counts[0], counts[3], counts[nRTTBuckets] = 2, 5, 1
	buckets := map[float64]uint64{}
	var cum uint64
	for i, ub := range rttBuckets {
		cum += counts[i]
		buckets[ub] = cum
	}
	write := func(m prometheus.Metric) *dto.Metric {
		var out dto.Metric
		if err := m.Write(&out); err != nil {
			t.Fatal(err)
		}
		return &out
	}
	h := &host{lp: constmetric.LabelPairs(hostLabels, values), rttCounts: counts, rttCount: 8, rttSum: 1.5, spec: &hostSpec{icmp: true}}
	s := &service{hosts: map[string]*host{"web-01": h}}
	ch := make(chan prometheus.Metric, 16)
	(&hostCollector{s}).Collect(ch)
	close(ch)
	var hist prometheus.Metric
	for m := range ch {
		if m.Desc() == descHostRTT {
			hist = m
		}
	}
	got := write(hist)
	want := write(prometheus.MustNewConstHistogram(descHostRTT, 8, 1.5, buckets, values...))
	if !proto.Equal(got, want) {
		t.Errorf("histogram:\n got %v\nwant %v", got, want)
	}
	cv := withLabels(values, "tcp:22")
	got = write(&constmetric.Metric{D: descHostProbes, Labels: constmetric.LabelPairs(withLabels(hostLabels, "check"), cv), Counter: true, Value: 42})
	want = write(prometheus.MustNewConstMetric(descHostProbes, prometheus.CounterValue, 42, cv...))
	if !proto.Equal(got, want) {
		t.Errorf("counter:\n got %v\nwant %v", got, want)
	}
}
