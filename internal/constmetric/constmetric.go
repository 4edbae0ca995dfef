// Package constmetric holds the one metric type the exporters use for
// series they expose on every scrape with unchanging labels: label pairs are
// built once (when a target is configured) and shared by every scrape, so a
// scrape of 10 000 targets does not allocate and sort label pairs per series.
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
// would make every target of the exporter unknown. The text path
// (WriteText) applies the same replacement, so both formats carry the same
// value. The check is one utf8.ValidString per label, without allocation
// when the values are valid.
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
