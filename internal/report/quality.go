package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/jianguan/jianguan/internal/metricnames"
)

// Line quality from line_exporter's counters: BGP flaps, ICMP loss and RTT
// percentiles of the month, from the exact increase of each counter series
// (increases: values at both ends, no month of samples read) summed per
// line.
const (
	mBGPTransitions = metricnames.LineBGPEstablishedTransitions
	mICMPProbes     = metricnames.LineICMPProbes
	mICMPReplies    = metricnames.LineICMPReplies
	mRTTBucket      = metricnames.LineICMPRTTBucket
)

// rttQuantiles are the RTT percentiles of the lines report (key → q).
var rttQuantiles = []struct {
	key string
	q   float64
}{{"rtt_p50", 0.5}, {"rtt_p95", 0.95}, {"rtt_p99", 0.99}}

// lineCounterNames are the counters lineCounters reads.
var lineCounterNames = []string{mBGPTransitions, mICMPProbes, mICMPReplies, mRTTBucket}

// lineCounterEdges reads lineCounters' counterEdges (independent of the
// availability walk).
func (r *run) lineCounterEdges() (*counterEdges, error) {
	return r.readCounterEdges(familyFor(metricnames.Line.Namespace), lineCounterNames)
}

// lineCounters returns, per line, bgp_flaps, loss and the RTT percentiles,
// from ce (lineCounterEdges) and aw, what availability("line") found.
func (r *run) lineCounters(ce *counterEdges, aw *availWalk) (map[string]map[string]float64, error) {
	incs, err := r.increases(familyFor(metricnames.Line.Namespace), lineCounterNames, ce, aw)
	if err != nil {
		return nil, err
	}
	type sums struct {
		flaps, probes, replies float64
		hasFlaps               bool
		buckets                map[float64]float64 // le → count
	}
	by := map[string]*sums{}
	for _, c := range incs {
		line := c.Labels["line"]
		s := by[line]
		if s == nil {
			s = &sums{buckets: map[float64]float64{}}
			by[line] = s
		}
		switch c.Name {
		case mBGPTransitions:
			s.flaps += c.Delta
			s.hasFlaps = true
		case mICMPProbes:
			s.probes += c.Delta
		case mICMPReplies:
			s.replies += c.Delta
		case mRTTBucket:
			le, err := strconv.ParseFloat(c.Labels["le"], 64)
			if err != nil {
				return nil, fmt.Errorf("%s with le=%q: %w", mRTTBucket, c.Labels["le"], err)
			}
			s.buckets[le] += c.Delta
		}
	}
	out := map[string]map[string]float64{}
	for line, s := range by {
		m := map[string]float64{}
		if s.hasFlaps {
			m["bgp_flaps"] = s.flaps
		}
		if s.probes > 0 {
			m["loss"] = 1 - s.replies/s.probes
		}
		if len(s.buckets) > 0 {
			bs := make([]bucket, 0, len(s.buckets))
			for le, n := range s.buckets {
				bs = append(bs, bucket{le, n})
			}
			for _, q := range rttQuantiles {
				if v := bucketQuantile(q.q, bs); !math.IsNaN(v) {
					m[q.key] = v
				}
			}
		}
		out[line] = m
	}
	return out, nil
}

// bucket is one cumulative histogram bucket.
type bucket struct{ upper, count float64 }

// bucketQuantile is PromQL's histogram_quantile on classic buckets
// (Prometheus 2.42 promql/quantile.go): linear interpolation inside the
// bucket holding the rank, the lowest bucket starting at 0, a rank in the
// +Inf bucket answered with the highest finite bound; non-monotonic counts
// are raised to the running maximum. NaN without a +Inf bucket, with fewer
// than two buckets or no observation.
func bucketQuantile(q float64, in []bucket) float64 {
	switch {
	case math.IsNaN(q):
		return math.NaN()
	case q < 0:
		return math.Inf(-1)
	case q > 1:
		return math.Inf(1)
	}
	bs := append([]bucket(nil), in...)
	sort.Slice(bs, func(i, j int) bool { return bs[i].upper < bs[j].upper })
	if len(bs) == 0 || !math.IsInf(bs[len(bs)-1].upper, 1) {
		return math.NaN()
	}
	// Coalesce equal bounds, then make the counts monotonic.
	merged := bs[:1]
	for _, b := range bs[1:] {
		if b.upper == merged[len(merged)-1].upper {
			merged[len(merged)-1].count += b.count
		} else {
			merged = append(merged, b)
		}
	}
	bs = merged
	max := math.Inf(-1)
	for i := range bs {
		if bs[i].count > max {
			max = bs[i].count
		} else {
			bs[i].count = max
		}
	}
	if len(bs) < 2 {
		return math.NaN()
	}
	obs := bs[len(bs)-1].count
	if obs == 0 {
		return math.NaN()
	}
	rank := q * obs
	b := sort.Search(len(bs)-1, func(i int) bool { return bs[i].count >= rank })
	if b == len(bs)-1 {
		return bs[len(bs)-2].upper
	}
	if b == 0 && bs[0].upper <= 0 {
		return bs[0].upper
	}
	start, end, count := 0.0, bs[b].upper, bs[b].count
	if b > 0 {
		start = bs[b-1].upper
		count -= bs[b-1].count
		rank -= bs[b-1].count
	}
	return start + (end-start)*(rank/count)
}
