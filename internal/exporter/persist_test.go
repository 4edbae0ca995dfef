package exporter

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/jianguan/jianguan/internal/avail"
)

type counterProc struct {
	fam    *avail.Family
	probes *prometheus.CounterVec
	rtt    *prometheus.HistogramVec
	set    *CounterSet
}

func newCounterProc(factor float64) *counterProc {
	p := &counterProc{fam: avail.NewFamily(avail.FamilyOpts{Namespace: "line", Labels: []string{"line"}})}
	p.probes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "line_icmp_probes_total", Help: "h"}, []string{"line", "target"})
	p.rtt = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "line_icmp_rtt_seconds", Help: "h",
		Buckets: []float64{.001, .002, .005, .01, .02, .05, .1}, NativeHistogramBucketFactor: factor, NativeHistogramMaxBucketNumber: 160}, []string{"line", "target"})
	p.set = NewCounterSet(p.fam, []string{"line_icmp_probes_total", "line_icmp_rtt_seconds"}, p.probes, p.rtt)
	return p
}

// series returns the exposed metric of the set for line l.
func (p *counterProc) series(t *testing.T, name, l string) *dto.Metric {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(p.set)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.Metric {
			for _, lp := range m.Label {
				if lp.GetName() == "line" && lp.GetValue() == l {
					return m
				}
			}
		}
	}
	return nil
}

func histOf(t *testing.T, factor float64, vals []float64) *dto.Metric {
	t.Helper()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ref", Help: "h",
		Buckets: []float64{.001, .002, .005, .01, .02, .05, .1}, NativeHistogramBucketFactor: factor, NativeHistogramMaxBucketNumber: 160})
	for _, v := range vals {
		h.Observe(v)
	}
	var d dto.Metric
	if err := h.Write(&d); err != nil {
		t.Fatal(err)
	}
	return &d
}

// TestCounterSetContinuesAcrossRestart: issue 17 item 10 for the counters
// beside the availability family (line_exporter's ICMP probes and RTT
// histogram, which the report reads on the basis that they reset only
// with line_start_time_seconds): after a clean restart the exposed
// counter and histogram equal one process having seen everything —
// classic buckets, count, sum and native buckets, also when the native
// schemas of the two processes differ — and an entity no longer
// configured (or not continued) starts from 0.
func TestCounterSetContinuesAcrossRestart(t *testing.T) {
	for _, tc := range []struct {
		name           string
		factorA, factB float64
	}{
		{"same schema", 1.1, 1.1},
		{"restored schema finer than the live one", 1.1, 1.2},
		{"restored schema coarser than the live one", 1.2, 1.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			val := func() float64 { return 0.0005 + rng.ExpFloat64()*0.01 }
			a := newCounterProc(tc.factorA)
			a.fam.Tracker(avail.Rule{}, nil, "l1").Observe(time.Now(), avail.Up)
			a.fam.Tracker(avail.Rule{}, nil, "l2").Observe(time.Now(), avail.Up)
			var va, vb []float64
			for i := 0; i < 500; i++ {
				v := val()
				va = append(va, v)
				a.probes.WithLabelValues("l1", "x").Inc()
				a.rtt.WithLabelValues("l1", "x").Observe(v)
			}
			a.probes.WithLabelValues("l2", "y").Add(7)
			a.rtt.WithLabelValues("l2", "y").Observe(0.003)
			// The state file round trip.
			b1, _ := json.Marshal(a.set.save())
			b2, _ := json.Marshal(a.fam.SaveState())
			var sc SavedCounterSet
			var sf avail.SavedFamily
			if err := json.Unmarshal(b1, &sc); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b2, &sf); err != nil {
				t.Fatal(err)
			}

			b := newCounterProc(tc.factB)
			if n := b.set.restore(sc, true); n != 0 {
				t.Fatalf("%d invalid series", n)
			}
			if _, err := b.fam.RestoreState(sf, true); err != nil {
				t.Fatal(err)
			}
			b.fam.Tracker(avail.Rule{}, nil, "l1") // l2 no longer configured
			b.fam.EndRestore()
			if kept, dropped := b.set.endRestore(); kept != 2 || dropped != 2 {
				t.Fatalf("kept %d dropped %d, want 2 and 2", kept, dropped)
			}
			for i := 0; i < 300; i++ {
				v := val() * 3
				vb = append(vb, v)
				b.probes.WithLabelValues("l1", "x").Inc()
				b.rtt.WithLabelValues("l1", "x").Observe(v)
			}
			b.probes.WithLabelValues("l2", "y").Add(1)

			if c := b.series(t, "line_icmp_probes_total", "l1").GetCounter(); c.GetValue() != 800 || c.CreatedTimestamp != nil {
				t.Errorf("probes l1 %v (created %v), want 800 and no created timestamp of the new process", c.GetValue(), c.CreatedTimestamp)
			}
			if v := b.series(t, "line_icmp_probes_total", "l2").GetCounter().GetValue(); v != 1 {
				t.Errorf("probes l2 %v, want 1 (not continued: starts from 0)", v)
			}
			got := b.series(t, "line_icmp_rtt_seconds", "l1").GetHistogram()
			want := histOf(t, math.Max(tc.factorA, tc.factB), append(append([]float64{}, va...), vb...)).GetHistogram()
			if got.GetSampleCount() != 800 || math.Abs(got.GetSampleSum()-want.GetSampleSum()) > 1e-9 {
				t.Errorf("count %d sum %v, want 800 and %v", got.GetSampleCount(), got.GetSampleSum(), want.GetSampleSum())
			}
			for i, bk := range got.Bucket {
				if bk.GetCumulativeCount() != want.Bucket[i].GetCumulativeCount() {
					t.Errorf("bucket le=%v: %d, want %d", bk.GetUpperBound(), bk.GetCumulativeCount(), want.Bucket[i].GetCumulativeCount())
				}
			}
			if got.GetSchema() != want.GetSchema() || got.GetZeroCount() != want.GetZeroCount() {
				t.Fatalf("schema %d zero %d, want %d %d", got.GetSchema(), got.GetZeroCount(), want.GetSchema(), want.GetZeroCount())
			}
			gp, wp := decodeNative(got.PositiveSpan, got.PositiveDelta), decodeNative(want.PositiveSpan, want.PositiveDelta)
			var total uint64
			for i, c := range wp {
				if gp[i] != c {
					t.Errorf("native bucket %d: %d, want %d", i, gp[i], c)
				}
			}
			for _, c := range gp {
				total += c
			}
			if total+got.GetZeroCount() != got.GetSampleCount() || len(gp) != len(wp) {
				t.Errorf("native buckets hold %d (%d buckets), count %d (want %d buckets)", total, len(gp), got.GetSampleCount(), len(wp))
			}
			// What the next save writes is the continued total.
			for _, s := range b.set.save().Series["line_icmp_probes_total"] {
				if s.Labels["line"] == "l1" && *s.Counter != 800 {
					t.Errorf("saved %v, want 800", *s.Counter)
				}
			}
		})
	}
}

// TestCounterSetNotCleanAndDeleted: a save that is not from a clean stop
// installs nothing; Delete and DeletePartialMatch drop offsets with the
// series (a reload removing a target or a line).
func TestCounterSetNotCleanAndDeleted(t *testing.T) {
	v := 5.0
	sc := SavedCounterSet{Family: "line", Series: map[string][]SavedSeries{"line_icmp_probes_total": {
		{Labels: map[string]string{"line": "l1", "target": "x"}, Counter: &v},
		{Labels: map[string]string{"line": "l1", "target": "z"}, Counter: &v},
		{Labels: map[string]string{"line": "l1", "target": "bad"}, Counter: new(float64), Hist: &SavedHistogram{}},
	}}}
	p := newCounterProc(1.1)
	p.set.restore(sc, false)
	if len(p.set.offsets[0]) != 0 {
		t.Error("offsets from a save that was not a clean stop")
	}
	if n := p.set.restore(sc, true); n != 1 {
		t.Errorf("%d invalid, want 1", n)
	}
	p.set.Delete(prometheus.Labels{"line": "l1", "target": "x"})
	if len(p.set.offsets[0]) != 1 {
		t.Errorf("Delete: %d offsets left, want 1", len(p.set.offsets[0]))
	}
	p.set.DeletePartialMatch(prometheus.Labels{"line": "l1"})
	if len(p.set.offsets[0]) != 0 {
		t.Errorf("DeletePartialMatch: %d offsets left", len(p.set.offsets[0]))
	}
}
