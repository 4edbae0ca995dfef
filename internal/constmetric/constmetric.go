// Package constmetric holds the one metric type the exporters use for
// series they expose on every scrape with unchanging labels: label pairs are
// built once (when a target is configured) and shared by every scrape, so a
// scrape of 10 000 targets does not allocate and sort label pairs per series.
package constmetric

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// LabelPairs builds label pairs sorted by name, as the exposition needs.
// names and values must not be modified afterwards.
func LabelPairs(names, values []string) []*dto.LabelPair {
	out := make([]*dto.LabelPair, len(names))
	for i := range names {
		out[i] = &dto.LabelPair{Name: &names[i], Value: &values[i]}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out
}

// Metric is a counter or gauge sample with prebuilt label pairs (from
// LabelPairs or prometheus.MakeLabelPairs); the pairs are never modified.
type Metric struct {
	D       *prometheus.Desc
	Labels  []*dto.LabelPair
	Counter bool
	Value   float64
}

// Desc implements prometheus.Metric.
func (m *Metric) Desc() *prometheus.Desc { return m.D }

// Write implements prometheus.Metric.
func (m *Metric) Write(out *dto.Metric) error {
	out.Label = m.Labels
	v := m.Value
	if m.Counter {
		out.Counter = &dto.Counter{Value: &v}
	} else {
		out.Gauge = &dto.Gauge{Value: &v}
	}
	return nil
}
