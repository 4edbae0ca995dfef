package exporter

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/jianguan/jianguan/internal/avail"
)

// CounterSet keeps an exporter's other per-entity counters and histograms
// (e.g. line_exporter's ICMP probes, RTT histogram, interface bytes, BGP
// flaps) across restarts together with the availability family whose
// entities they belong to. The report engine reads such counters on the
// basis that they reset only when the entity's NS_start_time_seconds
// changes (internal/report/counters.go, increases); when a clean stop lets
// the family's counters continue with the same start time, these must
// continue too. Register the CounterSet instead of the collectors it
// wraps. After a restore from a clean stop, each series of an entity whose
// family tracker continued is exposed as the saved value plus the live one
// (counters, classic buckets, count, sum, native buckets); the offsets of
// other entities are dropped. Series deleted from the wrapped vectors
// must be deleted here too (Delete, DeletePartialMatch).
type CounterSet struct {
	fam   *avail.Family
	names []string
	cs    []prometheus.Collector

	mu      sync.RWMutex
	offsets []map[string]*SavedSeries // per collector: label signature → saved series
}

// NewCounterSet wraps collectors (counter and histogram vectors) keyed by
// a stable name each (the metric name) for the entities of fam.
func NewCounterSet(fam *avail.Family, names []string, cs ...prometheus.Collector) *CounterSet {
	if len(names) != len(cs) {
		panic("exporter: CounterSet names and collectors differ in number")
	}
	return &CounterSet{fam: fam, names: names, cs: cs, offsets: make([]map[string]*SavedSeries, len(cs))}
}

// SavedSeries is one counter or histogram series in the state file.
type SavedSeries struct {
	Labels  map[string]string `json:"labels"`
	Counter *float64          `json:"counter,omitempty"`
	Hist    *SavedHistogram   `json:"histogram,omitempty"`
	Created int64             `json:"created_unix_ms,omitempty"`
}

// SavedHistogram is a histogram's counts: classic buckets (cumulative, by
// upper bound) and native buckets (absolute counts by index).
type SavedHistogram struct {
	Count         uint64           `json:"count"`
	Sum           float64          `json:"sum"`
	Bounds        []float64        `json:"bounds,omitempty"`
	Cumulative    []uint64         `json:"cumulative,omitempty"`
	Native        bool             `json:"native,omitempty"`
	Schema        int32            `json:"schema,omitempty"`
	ZeroThreshold float64          `json:"zero_threshold,omitempty"`
	ZeroCount     uint64           `json:"zero_count,omitempty"`
	Positive      map[int32]uint64 `json:"positive,omitempty"`
	Negative      map[int32]uint64 `json:"negative,omitempty"`
}

// SavedCounterSet is a CounterSet in the state file.
type SavedCounterSet struct {
	Family string                   `json:"family"`
	Series map[string][]SavedSeries `json:"series"` // by collector name
}

func signature(ls []*dto.LabelPair) string {
	ps := make([]string, 0, len(ls))
	for _, l := range ls {
		ps = append(ps, l.GetName()+"\xfe"+l.GetValue())
	}
	sort.Strings(ps)
	return strings.Join(ps, "\xff")
}

func signatureMap(m map[string]string) string {
	ps := make([]string, 0, len(m))
	for k, v := range m {
		ps = append(ps, k+"\xfe"+v)
	}
	sort.Strings(ps)
	return strings.Join(ps, "\xff")
}

// Describe implements prometheus.Collector.
func (s *CounterSet) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range s.cs {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (s *CounterSet) Collect(ch chan<- prometheus.Metric) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for i := range s.cs {
		s.collectOne(i, ch)
	}
}

// collectOne collects collector i with the saved offsets added (s.mu held).
func (s *CounterSet) collectOne(i int, ch chan<- prometheus.Metric) {
	if len(s.offsets[i]) == 0 {
		s.cs[i].Collect(ch)
		return
	}
	in := make(chan prometheus.Metric, 64)
	go func() { s.cs[i].Collect(in); close(in) }()
	for m := range in {
		var d dto.Metric
		if err := m.Write(&d); err != nil {
			ch <- m
			continue
		}
		off := s.offsets[i][signature(d.Label)]
		if off == nil {
			ch <- m
			continue
		}
		addSaved(&d, off)
		ch <- &dtoMetric{desc: m.Desc(), d: &d}
	}
}

// dtoMetric is a metric already written.
type dtoMetric struct {
	desc *prometheus.Desc
	d    *dto.Metric
}

func (m *dtoMetric) Desc() *prometheus.Desc { return m.desc }

func (m *dtoMetric) Write(out *dto.Metric) error {
	out.Label, out.Counter, out.Histogram, out.TimestampMs = m.d.Label, m.d.Counter, m.d.Histogram, m.d.TimestampMs
	return nil
}

// Delete drops the saved offset of the series with exactly these labels.
func (s *CounterSet) Delete(ls prometheus.Labels) {
	sig := signatureMap(ls)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.offsets {
		delete(o, sig)
	}
}

// DeletePartialMatch drops the saved offsets of the series with these
// labels among theirs.
func (s *CounterSet) DeletePartialMatch(ls prometheus.Labels) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.offsets {
	next:
		for sig, v := range o {
			for k, want := range ls {
				if v.Labels[k] != want {
					continue next
				}
			}
			delete(o, sig)
		}
	}
}

// save returns the current values of every series, offsets included.
func (s *CounterSet) save() SavedCounterSet {
	out := SavedCounterSet{Family: s.fam.Opts().Namespace, Series: map[string][]SavedSeries{}}
	for i := range s.cs {
		ch := make(chan prometheus.Metric, 64)
		go func() {
			s.mu.RLock()
			s.collectOne(i, ch)
			s.mu.RUnlock()
			close(ch)
		}()
		for m := range ch {
			var d dto.Metric
			if m.Write(&d) != nil {
				continue
			}
			if sv, ok := toSaved(&d); ok {
				out.Series[s.names[i]] = append(out.Series[s.names[i]], sv)
			}
		}
	}
	return out
}

func toSaved(d *dto.Metric) (SavedSeries, bool) {
	sv := SavedSeries{Labels: map[string]string{}}
	for _, l := range d.Label {
		sv.Labels[l.GetName()] = l.GetValue()
	}
	switch {
	case d.Counter != nil:
		v := d.Counter.GetValue()
		sv.Counter = &v
		if ct := d.Counter.GetCreatedTimestamp(); ct != nil {
			sv.Created = ct.AsTime().UnixMilli()
		}
	case d.Histogram != nil:
		h := d.Histogram
		sh := &SavedHistogram{Count: h.GetSampleCount(), Sum: h.GetSampleSum()}
		for _, b := range h.Bucket {
			sh.Bounds = append(sh.Bounds, b.GetUpperBound())
			sh.Cumulative = append(sh.Cumulative, b.GetCumulativeCount())
		}
		if h.Schema != nil {
			sh.Native, sh.Schema, sh.ZeroThreshold, sh.ZeroCount = true, h.GetSchema(), h.GetZeroThreshold(), h.GetZeroCount()
			sh.Positive = decodeNative(h.PositiveSpan, h.PositiveDelta)
			sh.Negative = decodeNative(h.NegativeSpan, h.NegativeDelta)
		}
		sv.Hist = sh
		if ct := h.GetCreatedTimestamp(); ct != nil {
			sv.Created = ct.AsTime().UnixMilli()
		}
	default:
		return sv, false
	}
	return sv, true
}

// decodeNative turns spans and deltas into absolute counts by index.
func decodeNative(spans []*dto.BucketSpan, deltas []int64) map[int32]uint64 {
	out := map[int32]uint64{}
	idx, k := int32(0), 0
	var cur int64
	for _, sp := range spans {
		idx += sp.GetOffset()
		for j := uint32(0); j < sp.GetLength() && k < len(deltas); j++ {
			cur += deltas[k]
			k++
			if cur > 0 {
				out[idx] += uint64(cur)
			}
			idx++
		}
	}
	return out
}

// encodeNative turns absolute counts by index into spans and deltas.
func encodeNative(m map[int32]uint64) ([]*dto.BucketSpan, []int64) {
	idx := make([]int32, 0, len(m))
	for i, c := range m {
		if c > 0 {
			idx = append(idx, i)
		}
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	var spans []*dto.BucketSpan
	var deltas []int64
	var prev int32
	var prevC int64
	for n, i := range idx {
		if n == 0 || i != prev+1 {
			off := i
			if n > 0 {
				off = i - prev - 1
			}
			spans = append(spans, &dto.BucketSpan{Offset: &off, Length: new(uint32)})
		}
		*spans[len(spans)-1].Length++
		c := int64(m[i])
		deltas = append(deltas, c-prevC)
		prevC, prev = c, i
	}
	return spans, deltas
}

// downscale maps native bucket counts from schema from to schema to (< from).
func downscale(m map[int32]uint64, from, to int32) map[int32]uint64 {
	if from <= to {
		return m
	}
	out := make(map[int32]uint64, len(m))
	for i, c := range m {
		out[((i-1)>>(from-to))+1] += c
	}
	return out
}

// addSaved adds the saved series off to the live metric d.
func addSaved(d *dto.Metric, off *SavedSeries) {
	switch {
	case d.Counter != nil && off.Counter != nil:
		v := d.Counter.GetValue() + *off.Counter
		d.Counter.Value = &v
		d.Counter.CreatedTimestamp = nil
	case d.Histogram != nil && off.Hist != nil:
		h, o := d.Histogram, off.Hist
		n, sum := h.GetSampleCount()+o.Count, h.GetSampleSum()+o.Sum
		h.SampleCount, h.SampleSum = &n, &sum
		for _, b := range h.Bucket {
			for j, ub := range o.Bounds {
				if ub == b.GetUpperBound() || (math.IsInf(ub, 1) && math.IsInf(b.GetUpperBound(), 1)) {
					c := b.GetCumulativeCount() + o.Cumulative[j]
					b.CumulativeCount = &c
				}
			}
		}
		if h.Schema != nil && o.Native {
			schema := min(h.GetSchema(), o.Schema)
			pos := downscale(decodeNative(h.PositiveSpan, h.PositiveDelta), h.GetSchema(), schema)
			neg := downscale(decodeNative(h.NegativeSpan, h.NegativeDelta), h.GetSchema(), schema)
			for i, c := range downscale(o.Positive, o.Schema, schema) {
				pos[i] += c
			}
			for i, c := range downscale(o.Negative, o.Schema, schema) {
				neg[i] += c
			}
			zc := h.GetZeroCount() + o.ZeroCount
			h.Schema, h.ZeroCount = &schema, &zc
			h.PositiveSpan, h.PositiveDelta = encodeNative(pos)
			h.NegativeSpan, h.NegativeDelta = encodeNative(neg)
			if len(h.PositiveSpan) == 0 && len(h.NegativeSpan) == 0 && zc == 0 {
				// a native histogram without any bucket: keep it recognisable
				h.PositiveSpan = []*dto.BucketSpan{{Offset: new(int32), Length: new(uint32)}}
			}
		}
		h.CreatedTimestamp = nil
	}
}

// validSaved checks a saved series.
func validSaved(v *SavedSeries) error {
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) || x < 0 }
	switch {
	case v.Counter != nil && v.Hist == nil:
		if bad(*v.Counter) {
			return fmt.Errorf("counter %v", *v.Counter)
		}
	case v.Hist != nil && v.Counter == nil:
		h := v.Hist
		if len(h.Bounds) != len(h.Cumulative) || math.IsNaN(h.Sum) || math.IsInf(h.Sum, 0) || h.Schema < -4 || h.Schema > 8 {
			return fmt.Errorf("histogram")
		}
		for j := 1; j < len(h.Cumulative); j++ {
			if h.Cumulative[j] < h.Cumulative[j-1] || h.Bounds[j] <= h.Bounds[j-1] {
				return fmt.Errorf("histogram buckets not increasing")
			}
		}
	default:
		return fmt.Errorf("neither a counter nor a histogram")
	}
	return nil
}

// restore installs saved offsets (only from a clean stop: see state.go);
// it returns the number of invalid series skipped.
func (s *CounterSet) restore(sv SavedCounterSet, clean bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !clean {
		return 0
	}
	invalid := 0
	for i, n := range s.names {
		for j := range sv.Series[n] {
			v := &sv.Series[n][j]
			if validSaved(v) != nil {
				invalid++
				continue
			}
			if s.offsets[i] == nil {
				s.offsets[i] = map[string]*SavedSeries{}
			}
			s.offsets[i][signatureMap(v.Labels)] = v
		}
	}
	return invalid
}

// endRestore drops the offsets of series whose entity's tracker did not
// continue its counters (not configured, or a new lifetime): those start
// at 0 with the entity's new start time.
func (s *CounterSet) endRestore() (kept, dropped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	labels := s.fam.Opts().Labels
	for _, o := range s.offsets {
		for sig, v := range o {
			vals := make([]string, len(labels))
			for i, l := range labels {
				vals[i] = v.Labels[l]
			}
			if s.fam.Continued(vals...) {
				kept++
			} else {
				delete(o, sig)
				dropped++
			}
		}
	}
	return kept, dropped
}
