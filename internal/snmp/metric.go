package snmp

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// LabelPairs builds sorted label pairs once, for metrics exported on every
// scrape with the same labels (no per-scrape label allocation or sorting).
func LabelPairs(names, values []string) []*dto.LabelPair {
	out := make([]*dto.LabelPair, len(names))
	for i := range names {
		out[i] = &dto.LabelPair{Name: &names[i], Value: &values[i]}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}

// Gauge is a constant gauge with prebuilt label pairs (see LabelPairs). The
// pairs are shared between scrapes and never modified.
type Gauge struct {
	D      *prometheus.Desc
	Labels []*dto.LabelPair
	Value  float64
}

// Desc implements prometheus.Metric.
func (g *Gauge) Desc() *prometheus.Desc { return g.D }

// Write implements prometheus.Metric.
func (g *Gauge) Write(m *dto.Metric) error {
	v := g.Value
	m.Label = g.Labels
	m.Gauge = &dto.Gauge{Value: &v}
	return nil
}

// counter is a constant counter with prebuilt label pairs.
type counter struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair
	value  float64
}

func (c *counter) Desc() *prometheus.Desc { return c.desc }

func (c *counter) Write(m *dto.Metric) error {
	v := c.value
	m.Label = c.labels
	m.Counter = &dto.Counter{Value: &v}
	return nil
}

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
