package snmp

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// histogram is a constant classic histogram with prebuilt label pairs.
type histogram struct {
	desc    *prometheus.Desc
	labels  []*dto.LabelPair
	count   uint64
	sum     float64
	bounds  []float64
	buckets []uint64 // cumulative
}

func (h *histogram) Desc() *prometheus.Desc { return h.desc }

func (h *histogram) Write(m *dto.Metric) error {
	m.Label = h.labels
	bs := make([]*dto.Bucket, len(h.bounds))
	for i := range h.bounds {
		bs[i] = &dto.Bucket{UpperBound: &h.bounds[i], CumulativeCount: &h.buckets[i]}
	}
	count, sum := h.count, h.sum
	m.Histogram = &dto.Histogram{SampleCount: &count, SampleSum: &sum, Bucket: bs}
	return nil
}
