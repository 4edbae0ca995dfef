// Package constmetric holds the metric types the exporters use for series
// they expose on every scrape with unchanging labels: label pairs are built
// once (when a target is configured) and shared by every scrape, so a scrape
// of 10 000 targets does not allocate and sort label pairs per series. They
// are ordinary prometheus.Metrics, served by client_golang's registry like
// every other series (issue 23, docs/fastpaths.md).
package constmetric

import (
	"sort"
	"strings"
	"unicode/utf8"

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
	out.Label = ValidLabels(m.Labels)
	v := m.Value
	if m.Counter {
		out.Counter = &dto.Counter{Value: &v}
	} else {
		out.Gauge = &dto.Gauge{Value: &v}
	}
	return nil
}

// ValidLabels returns lp when every label value is valid UTF-8, otherwise a
// copy whose invalid byte sequences are replaced by U+FFFD (as
// strings.ToValidUTF8 does). A label value that is not UTF-8 makes the
// registry fail the whole protobuf scrape and Prometheus reject the whole
// text scrape ("invalid UTF-8 label value"): one bad cell of a target file
// would make every target of the exporter unknown. Every format is
// rendered from what Write returns, so all carry the same value. The check
// is one utf8.ValidString per label, without allocation when the values are
// valid.
func ValidLabels(lp []*dto.LabelPair) []*dto.LabelPair {
	for i, p := range lp {
		if utf8.ValidString(p.GetValue()) {
			continue
		}
		out := append([]*dto.LabelPair(nil), lp...)
		for j := i; j < len(out); j++ {
			if v := out[j].GetValue(); !utf8.ValidString(v) {
				v = ValidUTF8(v)
				out[j] = &dto.LabelPair{Name: out[j].Name, Value: &v}
			}
		}
		return out
	}
	return lp
}

// ValidUTF8 replaces every run of invalid UTF-8 bytes of s by U+FFFD.
func ValidUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// Histogram is a classic histogram sample with prebuilt label pairs.
type Histogram struct {
	D       *prometheus.Desc
	Labels  []*dto.LabelPair
	Count   uint64
	Sum     float64
	Bounds  []float64 // upper bounds, ascending, without +Inf
	Buckets []uint64  // cumulative counts, one per bound
}

// Desc implements prometheus.Metric.
func (h *Histogram) Desc() *prometheus.Desc { return h.D }

// Write implements prometheus.Metric.
func (h *Histogram) Write(m *dto.Metric) error {
	m.Label = ValidLabels(h.Labels)
	bs := make([]*dto.Bucket, len(h.Bounds))
	for i := range h.Bounds {
		bs[i] = &dto.Bucket{UpperBound: &h.Bounds[i], CumulativeCount: &h.Buckets[i]}
	}
	count, sum := h.Count, h.Sum
	m.Histogram = &dto.Histogram{SampleCount: &count, SampleSum: &sum, Bucket: bs}
	return nil
}
