package constmetric

// The text exposition of const metrics, without the registry.
//
// client_golang's Registry.Gather checks every sample (label names, UTF-8,
// duplicate hashes), sorts every family and builds a dto tree that expfmt
// then walks again: at 48 000 series (env_exporter with 1 000 devices) that
// costs 101 ms against 19 ms here (BenchmarkFastpath, make bench-fastpaths;
// at 10 000 uptime hosts the gain is under 2×: docs/fastpaths.md), and a scrape
// happens once per poll interval, as often as every device is polled. The series
// of the exporters' big collectors are consistent by construction (label
// pairs built and validated once per target, names fixed in NewDesc), so
// WriteText formats them straight from the metrics: one pass, no dto tree,
// no per-sample checks. The registry still serves everything else and the
// protobuf format, and a test holds both paths to the same lines.

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Texter is a prometheus.Collector whose metrics are all *Metric or
// *Histogram with descriptors from NewDesc; WriteText can format it.
type Texter interface {
	prometheus.Collector
	ConstMetricsOnly()
}

type descInfo struct {
	name, help string
	// HELP text escaped once, for the text format and for OpenMetrics
	// (which also escapes double quotes).
	helpText, helpOM string
}

var descs sync.Map // *prometheus.Desc → descInfo

// NewDesc is prometheus.NewDesc (no constant labels) that also records the
// name and help for WriteText.
func NewDesc(name, help string, labels []string) *prometheus.Desc {
	d := prometheus.NewDesc(name, help, labels, nil)
	descs.Store(d, descInfo{name: name, help: help,
		helpText: textHelpEscaper.Replace(help), helpOM: omHelpEscaper.Replace(help)})
	return d
}

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

type family struct {
	info descInfo
	kind byte // 'c' counter, 'g' gauge, 'h' histogram
	ms   []prometheus.Metric
}

// WriteText appends the metrics of the collectors to out in the text format
// 0.0.4, or in OpenMetrics 1.0 when om is set (without the final # EOF).
// Families are sorted by name; samples keep the collectors' order.
func WriteText(out *bytes.Buffer, om bool, cs ...Texter) error {
	ch := make(chan prometheus.Metric, 4096)
	go func() {
		defer close(ch)
		for _, c := range cs {
			c.Collect(ch)
		}
	}()
	fams := map[*prometheus.Desc]*family{}
	byName := map[string]*family{} // descriptors of one name share a family, as in the registry
	var err error
	for m := range ch {
		if err != nil {
			continue // drain
		}
		d := m.Desc()
		f := fams[d]
		if f == nil {
			v, ok := descs.Load(d)
			if !ok {
				err = fmt.Errorf("constmetric: descriptor %s was not made by NewDesc", d)
				continue
			}
			info := v.(descInfo)
			if f = byName[info.name]; f == nil {
				f = &family{info: info}
				byName[info.name] = f
			} else if f.info.help != info.help {
				err = fmt.Errorf("constmetric: %s has two help texts: %q and %q", info.name, f.info.help, info.help)
				continue
			}
			fams[d] = f
		}
		k := byte(0)
		switch x := m.(type) {
		case *Metric:
			k = 'g'
			if x.Counter {
				k = 'c'
			}
		case *Histogram:
			k = 'h'
		default:
			err = fmt.Errorf("constmetric: %s: metric type %T cannot be formatted", f.info.name, m)
			continue
		}
		if f.kind != 0 && f.kind != k {
			err = fmt.Errorf("constmetric: %s mixes metric types", f.info.name)
			continue
		}
		f.kind = k
		f.ms = append(f.ms, m)
	}
	if err != nil {
		return err
	}
	list := make([]*family, 0, len(byName))
	for _, f := range byName {
		list = append(list, f)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].info.name < list[j].info.name })
	var line []byte
	for _, f := range list {
		name, typ := f.info.name, "gauge"
		switch f.kind {
		case 'c':
			typ = "counter"
			if om { // as expfmt: family name without _total, or "unknown"
				if strings.HasSuffix(name, "_total") {
					name = strings.TrimSuffix(name, "_total")
				} else {
					typ = "unknown"
				}
			}
		case 'h':
			typ = "histogram"
		}
		out.WriteString("# HELP ")
		out.WriteString(name)
		out.WriteByte(' ')
		if om {
			out.WriteString(f.info.helpOM)
		} else {
			out.WriteString(f.info.helpText)
		}
		out.WriteString("\n# TYPE ")
		out.WriteString(name)
		out.WriteByte(' ')
		out.WriteString(typ)
		out.WriteByte('\n')
		for _, m := range f.ms {
			if h, ok := m.(*Histogram); ok {
				line = appendHistogram(line[:0], f.info.name, h, om)
			} else {
				x := m.(*Metric)
				line = appendSample(line[:0], f.info.name, "", x.Labels, "", x.Value, om)
			}
			out.Write(line)
		}
	}
	return nil
}

func appendHistogram(b []byte, name string, h *Histogram, om bool) []byte {
	bucket := name + "_bucket"
	for i, ub := range h.Bounds {
		b = appendLabels(append(b, bucket...), h.Labels, "le", appendFloat(nil, ub, om))
		b = append(b, ' ')
		b = strconv.AppendUint(b, h.Buckets[i], 10)
		b = append(b, '\n')
	}
	b = appendLabels(append(b, bucket...), h.Labels, "le", []byte("+Inf"))
	b = append(b, ' ')
	b = strconv.AppendUint(b, h.Count, 10)
	b = append(b, '\n')
	b = appendSample(b, name, "_sum", h.Labels, "", h.Sum, om)
	b = appendLabels(append(append(b, name...), "_count"...), h.Labels, "", nil)
	b = append(b, ' ')
	b = strconv.AppendUint(b, h.Count, 10)
	return append(b, '\n')
}

func appendSample(b []byte, name, suffix string, lp []*dto.LabelPair, extra string, v float64, om bool) []byte {
	b = append(b, name...)
	b = append(b, suffix...)
	b = appendLabels(b, lp, extra, nil)
	b = append(b, ' ')
	b = appendFloat(b, v, om)
	return append(b, '\n')
}

// appendLabels writes {a="x",b="y"} (sorted pairs as built by LabelPairs),
// plus extra="extraValue" last when extra is set, nothing when empty.
func appendLabels(b []byte, lp []*dto.LabelPair, extra string, extraValue []byte) []byte {
	if len(lp) == 0 && extra == "" {
		return b
	}
	b = append(b, '{')
	for i, p := range lp {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, p.GetName()...)
		b = append(b, '=', '"')
		b = appendEscaped(b, p.GetValue())
		b = append(b, '"')
	}
	if extra != "" {
		if len(lp) > 0 {
			b = append(b, ',')
		}
		b = append(b, extra...)
		b = append(b, '=', '"')
		b = append(b, extraValue...)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendEscaped escapes a label value (\ " and newline), as both formats do.
// Invalid UTF-8 is replaced by U+FFFD (ValidUTF8), as Metric.Write does for
// the protobuf format: one bad value must not make Prometheus reject the
// whole scrape.
func appendEscaped(b []byte, s string) []byte {
	i := 0
	for i < len(s) && s[i] != '\\' && s[i] != '"' && s[i] != '\n' && s[i] < utf8.RuneSelf {
		i++
	}
	if i < len(s) && !utf8.ValidString(s[i:]) {
		s = s[:i] + ValidUTF8(s[i:])
	}
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return b
}

var (
	textHelpEscaper = strings.NewReplacer("\\", `\\`, "\n", `\n`)
	omHelpEscaper   = strings.NewReplacer("\\", `\\`, "\n", `\n`, "\"", `\"`)
)

// appendFloat formats a value as expfmt does: shortest 'g' form; in
// OpenMetrics integral values get ".0".
func appendFloat(b []byte, f float64, om bool) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	n := len(b)
	b = strconv.AppendFloat(b, f, 'g', -1, 64)
	if om && !bytes.ContainsAny(b[n:], "e.") {
		b = append(b, '.', '0')
	}
	return b
}
