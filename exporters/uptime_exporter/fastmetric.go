package main

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// At 10 000 hosts a scrape is dominated by building label pairs. Host
// series therefore use label pairs built once per host (they never change:
// the labels are the host's identity): counters and gauges as
// constmetric.Metric, the RTT histogram as rttMetric; the values are copied
// at collection time.

// rttUpperBounds are shared pointers for histogram buckets.
var rttUpperBounds = func() []*float64 {
	out := make([]*float64, len(rttBuckets))
	for i := range rttBuckets {
		out[i] = &rttBuckets[i]
	}
	return out
}()

// rttMetric is host_rtt_seconds of one host.
type rttMetric struct {
	labels []*dto.LabelPair
	counts [nRTTBuckets + 1]uint64 // per bucket, not cumulative; last = above all bounds
	count  uint64
	sum    float64
}

func (m *rttMetric) Desc() *prometheus.Desc { return descHostRTT }

func (m *rttMetric) Write(out *dto.Metric) error {
	out.Label = m.labels
	buckets := make([]dto.Bucket, len(rttBuckets))
	ptrs := make([]*dto.Bucket, len(rttBuckets))
	cum := make([]uint64, len(rttBuckets))
	var c uint64
	for i := range rttBuckets {
		c += m.counts[i]
		cum[i] = c
		buckets[i] = dto.Bucket{CumulativeCount: &cum[i], UpperBound: rttUpperBounds[i]}
		ptrs[i] = &buckets[i]
	}
	count, sum := m.count, m.sum
	out.Histogram = &dto.Histogram{SampleCount: &count, SampleSum: &sum, Bucket: ptrs}
	return nil
}
