package report

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"
)

// sortQuantile is PromQL's quantile (promql/quantile.go, 2.42 and 3.x) as
// written there: sort.Sort with NaN first, then the weighted mean around
// rank q·(n−1). The anchor promQuantile must equal to the bit.
func sortQuantile(q float64, vals []float64) float64 {
	return sortedQuantile(q, vals, func(v []float64) { sort.Sort(byValueNaNFirst(v)) })
}

// libQuantile is the same after the library's slices.Sort.
func libQuantile(q float64, vals []float64) float64 {
	return sortedQuantile(q, vals, slices.Sort[[]float64])
}

func sortedQuantile(q float64, vals []float64, sorter func([]float64)) float64 {
	if len(vals) == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	if q < 0 {
		return math.Inf(-1)
	}
	if q > 1 {
		return math.Inf(+1)
	}
	sorter(vals)
	n := float64(len(vals))
	rank := q * (n - 1)
	lowerIndex := math.Max(0, math.Floor(rank))
	upperIndex := math.Min(n-1, lowerIndex+1)
	weight := rank - math.Floor(rank)
	if weight == 0 {
		return vals[int(lowerIndex)]
	}
	return vals[int(lowerIndex)]*(1-weight) + vals[int(upperIndex)]*weight
}

// byValueNaNFirst is vectorByValueHeap's order on plain floats.
type byValueNaNFirst []float64

func (s byValueNaNFirst) Len() int      { return len(s) }
func (s byValueNaNFirst) Swap(i, j int) { s[i], s[j] = s[j], s[i] }
func (s byValueNaNFirst) Less(i, j int) bool {
	if math.IsNaN(s[i]) {
		return true
	}
	return s[i] < s[j]
}

// monthOfRates is a line's month of 5 m traffic points as the bench's
// history has them (simhistory.LineGauges' receive counter: a daily
// swing between 0.1 and 0.5 of a 1 Gbit/s line), in time order, with
// a few holes and an outage at zero.
func monthOfRates() []float64 {
	capacity := 1e9
	rate := 0.3 * capacity / 8
	rx := func(s float64) float64 {
		return math.Floor(rate*s + 0.2*capacity/8*86400/(2*math.Pi)*(1-math.Cos(s/86400*2*math.Pi)))
	}
	start := float64(time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC).Unix())
	var out []float64
	for i := 1; i <= 8640; i++ {
		t := start + float64(i*300)
		v := (rx(t) - rx(t-300)) / 300 * 8
		if i >= 4000 && i < 4036 { // a three-hour outage
			v = 0
		}
		out = append(out, v)
	}
	return out
}

func TestPromQuantile(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	month := monthOfRates()
	cases := []struct {
		name string
		vals []float64
	}{
		{"one", []float64{7}},
		{"two", []float64{3, 1}},
		{"constant (an idle line)", slices.Repeat([]float64{0}, 8640)},
		{"ascending", func() []float64 {
			v := make([]float64, 1000)
			for i := range v {
				v[i] = float64(i)
			}
			return v
		}()},
		{"descending", func() []float64 {
			v := make([]float64, 1000)
			for i := range v {
				v[i] = float64(-i)
			}
			return v
		}()},
		{"few distinct values", func() []float64 {
			v := make([]float64, 5000)
			for i := range v {
				v[i] = float64(r.IntN(3))
			}
			return v
		}()},
		{"NaN and infinities", []float64{math.NaN(), 1, math.Inf(1), 2, math.NaN(), math.Inf(-1), 3}},
		{"only NaN", []float64{math.NaN(), math.NaN(), math.NaN()}},
		{"NaN up to the 95th percentile", append(slices.Repeat([]float64{math.NaN()}, 95), 5, 4, 3, 2, 1)},
		{"NaN just below the 95th percentile", append(slices.Repeat([]float64{math.NaN()}, 94), 6, 5, 4, 3, 2, 1)},
		{"signed zeros", []float64{0, math.Copysign(0, -1), 1, math.Copysign(0, -1), 0}},
		{"a month of a line", month},
		{"a month of a line with NaN among it", func() []float64 {
			v := slices.Clone(month)
			for i := 0; i < len(v); i += 97 {
				v[i] = math.NaN()
			}
			return v
		}()},
		{"organ pipe", func() []float64 {
			v := make([]float64, 4001)
			for i := range v {
				v[i] = float64(min(i, 4000-i))
			}
			return v
		}()},
	}
	for i := 0; i < 200; i++ {
		n := 1 + r.IntN(3000)
		v := make([]float64, n)
		for j := range v {
			v[j] = math.Round(r.NormFloat64()*1e3) / 7
		}
		cases = append(cases, struct {
			name string
			vals []float64
		}{"random", v})
	}
	for _, c := range cases {
		for _, q := range []float64{0, 0.05, 0.5, 0.95, 0.99, 1, -1, 2, math.NaN()} {
			got := promQuantile(q, slices.Clone(c.vals))
			want := sortQuantile(q, slices.Clone(c.vals))
			lib := libQuantile(q, slices.Clone(c.vals))
			for _, w := range []float64{want, lib} {
				// To the bit, but for the sign of a zero: -0 and +0 are
				// equal to every sort, so where they land is the
				// algorithm's (sort.Sort's and slices.Sort's differ too).
				if math.Float64bits(got) != math.Float64bits(w) && !(math.IsNaN(got) && math.IsNaN(w)) && !(got == 0 && w == 0) {
					t.Errorf("%s (n=%d), q=%v: select %v, sort.Sort %v, slices.Sort %v", c.name, len(c.vals), q, got, want, lib)
				}
			}
		}
	}
}

// BenchmarkPromQuantile: the engine's P95 of one line-direction's month
// (8 640 points of the bench's traffic) by selection (promQuantile), side
// by side in one run with its anchors: the same quantile after the
// library's slices.Sort, and PromQL's sort.Sort (sortQuantile). It
// reports ns per month for each and the ratios.
func BenchmarkPromQuantile(b *testing.B) {
	month := monthOfRates()
	buf := make([]float64, len(month))
	var sel, lib, srt time.Duration
	for b.Loop() {
		copy(buf, month)
		t0 := time.Now()
		a := promQuantile(0.95, buf)
		sel += time.Since(t0)
		copy(buf, month)
		t0 = time.Now()
		l := libQuantile(0.95, buf)
		lib += time.Since(t0)
		copy(buf, month)
		t0 = time.Now()
		c := sortQuantile(0.95, buf)
		srt += time.Since(t0)
		if a != c || l != c {
			b.Fatalf("select %v, slices.Sort %v, sort.Sort %v", a, l, c)
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(sel.Nanoseconds())/n, "select-ns/month")
	b.ReportMetric(float64(lib.Nanoseconds())/n, "slices.Sort-ns/month")
	b.ReportMetric(float64(srt.Nanoseconds())/n, "sort.Sort-ns/month")
	b.ReportMetric(float64(lib)/float64(sel), "slices.Sort/select")
	b.ReportMetric(float64(srt)/float64(sel), "sort.Sort/select")
}
