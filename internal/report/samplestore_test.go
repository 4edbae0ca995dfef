package report

import (
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"
	"unsafe"
)

// refSorted is what fetchIncidents did with an entity's []stateSample and
// hours before sampleStore: a stable sort by time, the first of several
// samples with one timestamp kept.
func refSorted(s []stateSample, unit []int) ([]stateSample, []int) {
	idx := make([]int, len(s))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s[idx[a]].T.Before(s[idx[b]].T) })
	var ss []stateSample
	var ds []int
	for _, j := range idx {
		if len(ss) > 0 && ss[len(ss)-1].T.Equal(s[j].T) {
			continue
		}
		ss = append(ss, s[j])
		ds = append(ds, unit[j])
	}
	return ss, ds
}

// sameForDerivation reports whether a and b are the same sample for
// deriveIncidents and coverageCaveats: the fields they read, and Up,
// Unknown and Maint as they compare them.
func sameForDerivation(a, b stateSample) bool {
	eq := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	return a.T.Equal(b.T) && a.HasUp == b.HasUp && (a.Up == 0) == (b.Up == 0) && (a.Unknown == 1) == (b.Unknown == 1) &&
		(a.Maint == 1) == (b.Maint == 1) && a.state() == b.state() && eq(a.LastChange, b.LastChange) &&
		a.HasCounters == b.HasCounters && eq(a.Changes, b.Changes) && eq(a.Down, b.Down) && a.Cont == b.Cont
}

// TestSampleStoreSorted: the packed store gives back, oldest first and
// without duplicate timestamps, the samples fetchIncidents sorted before,
// with the same hours, whatever order the hours were read in, and the
// derivation finds the same incidents from them.
func TestSampleStoreSorted(t *testing.T) {
	hourOf := func(x stateSample) int { return int(x.T.Sub(t0) / time.Hour) }
	outage := toSamples(cat(run15(0, 3585, 'u', -3600), run15(3600, 5385, 'd', 3590), []smp{{5400, '?', 3590, true}},
		run15(5415, 9000, 'u', 5410), run15(16200, 18000, 'd', 0), run15(18015, 21600, 'u', 0)))
	for i := range outage { // counters on, and a value the flags reduce
		outage[i].HasCounters, outage[i].Changes, outage[i].Down = i > 3, float64(i/100), float64(i)*0.5
		if outage[i].Up == 1 && i%7 == 0 {
			outage[i].Up = 2
		}
	}
	dup := toSamples(cat(run15(0, 600, 'u', 0), run15(300, 900, 'd', 310))) // 300–600 twice: up read first
	odd := []stateSample{
		{T: t0.Add(time.Second), HasUp: true, Up: math.NaN(), Unknown: math.NaN(), LastChange: math.NaN(), Maint: 0.5},
		{T: t0.Add(2 * time.Second), HasUp: false, Up: 0, Unknown: 1, Maint: 1, HasCounters: true, Changes: math.Inf(1), Down: -1},
		{T: t0.Add(-time.Millisecond), HasUp: true, Up: 0, LastChange: 1.5e9 + 0.001},
	}
	cases := []struct {
		name    string
		samples []stateSample
		shuffle bool
	}{
		{"empty", nil, false},
		{"an outage and an exporter restart, hours in order", outage, false},
		{"the same, hours in random order", outage, true},
		{"one timestamp read twice (first kept)", dup, false},
		{"NaN, absent up, values other than 0 and 1", odd, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Read hour by hour, as incidentSamples does; shuffled: the
			// hours in a random order, the samples of each in order.
			byHour := map[int][]stateSample{}
			var hs []int
			for _, x := range c.samples {
				h := hourOf(x)
				if _, ok := byHour[h]; !ok {
					hs = append(hs, h)
				}
				byHour[h] = append(byHour[h], x)
			}
			if c.shuffle {
				rand.New(rand.NewPCG(1, 2)).Shuffle(len(hs), func(i, j int) { hs[i], hs[j] = hs[j], hs[i] })
			}
			var st sampleStore
			var all []stateSample
			var units []int
			for _, h := range hs {
				for _, x := range byHour[h] {
					st.add(h, x)
					all = append(all, x)
					units = append(units, h)
				}
			}
			if st.len() != len(all) {
				t.Fatalf("len %d, want %d", st.len(), len(all))
			}
			wantS, wantU := refSorted(all, units)
			gotS, gotU := st.sorted()
			if st.len() != 0 {
				t.Errorf("store holds %d samples after sorted, want 0", st.len())
			}
			if len(gotS) != len(wantS) || !reflect.DeepEqual(gotU, wantU) && len(wantU) > 0 {
				t.Fatalf("%d samples, units %v; want %d, %v", len(gotS), gotU, len(wantS), wantU)
			}
			for i := range wantS {
				if !sameForDerivation(gotS[i], wantS[i]) {
					t.Fatalf("sample %d: %+v, want %+v", i, gotS[i], wantS[i])
				}
			}
			if len(wantS) == 0 {
				return
			}
			p := deriveParams{Start: t0, End: t0.Add(24 * time.Hour), MaxGap: 2 * scrapeInterval(wantS)}
			if got, want := deriveIncidents(gotS, p), deriveIncidents(wantS, p); !reflect.DeepEqual(got, want) {
				t.Errorf("incidents %+v, want %+v", got, want)
			}
		})
	}
}

// TestSampleStoreAddRow: a scrape of the seven signals, streamed series by
// series into stateRows (with a series of another name and a sample
// outside the window), becomes the sample incidentSamples builds from it.
func TestSampleStoreAddRow(t *testing.T) {
	f := familyFor("host")
	ts := t0.Add(90 * time.Second).UnixMilli()
	cases := []struct {
		name string
		vals map[string]float64
		want stateSample
	}{
		{"all seven", map[string]float64{f.up: 0, f.unknownGauge: 0, f.lastChange: 1.7e9, f.inMaintenance(): 1, f.changes: 4, f.down: 30, f.maintDown: 12},
			stateSample{HasUp: true, Up: 0, LastChange: 1.7e9, Maint: 1, HasCounters: true, Changes: 4, Down: 42}},
		{"up absent", map[string]float64{f.unknownGauge: 1, f.changes: 4, f.down: 30},
			stateSample{Unknown: 1, HasCounters: true, Changes: 4, Down: 30}},
		{"no down counter", map[string]float64{f.up: 1, f.changes: 4},
			stateSample{HasUp: true, Up: 1, Changes: 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newStateRows(f, func(t int64) bool { return t <= ts }, 0)
			for n, v := range c.vals {
				add := b.series(map[string]string{"__name__": n, "host": "h1"})
				add(ts, v)
				add(ts+15000, v+1) // outside the window
			}
			b.series(map[string]string{"__name__": f.observed, "host": "h1"})(ts, 99)
			var st sampleStore
			for k, e := range b.by {
				if k != labelKey(map[string]string{"host": "h1"}) || len(e.rows) != 1 {
					t.Fatalf("entity %s: %d rows, want 1 of host h1", k, len(e.rows))
				}
				st.addRow(7, e.rows[0])
			}
			got, units := st.sorted()
			c.want.T = time.UnixMilli(ts).UTC()
			if len(got) != 1 || !reflect.DeepEqual(units, []int{7}) || !sameForDerivation(got[0], c.want) {
				t.Errorf("got %+v units %v, want %+v in unit 7", got, units, c.want)
			}
		})
	}
}

// TestSampleStoreSize: the point of the store, 40 bytes a sample against
// a stateSample's and its hour's 88 (104 before).
func TestSampleStoreSize(t *testing.T) {
	if p, s := unsafe.Sizeof(packedSample{}), unsafe.Sizeof(stateSample{})+unsafe.Sizeof(int(0)); p > 40 || p*2 > s {
		t.Errorf("packedSample is %d bytes, a stateSample and its unit %d", p, s)
	}
}

// TestStateRowsOrders: whatever order the series and their samples come in
// (the same timestamps, gaps, a series starting later, out of order,
// repeats), each timestamp has one row holding every value sent for it.
func TestStateRowsOrders(t *testing.T) {
	f := familyFor("line")
	sigs := f.stateSignals()
	type smp struct {
		sig int
		t   int64
	}
	cases := []struct {
		name   string
		series [][]smp
	}{
		{"aligned", [][]smp{{{0, 1}, {0, 2}, {0, 3}}, {{1, 1}, {1, 2}, {1, 3}}, {{6, 1}, {6, 2}, {6, 3}}}},
		{"second series has gaps", [][]smp{{{0, 1}, {0, 2}, {0, 3}, {0, 4}}, {{1, 2}, {1, 4}}}},
		{"second series longer at both ends", [][]smp{{{0, 2}, {0, 3}}, {{1, 1}, {1, 2}, {1, 3}, {1, 4}}}},
		{"out of order", [][]smp{{{0, 3}, {0, 1}, {0, 2}}, {{1, 2}, {1, 3}, {1, 1}}}},
		{"repeated timestamp", [][]smp{{{0, 1}, {0, 1}, {0, 2}}, {{1, 1}, {1, 2}, {1, 2}}}},
		{"disjoint", [][]smp{{{0, 1}, {0, 2}}, {{1, 5}, {1, 6}}, {{2, 3}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newStateRows(f, nil, 3)
			want := map[int64]stateRow{}
			for _, ser := range c.series {
				add := b.series(map[string]string{"__name__": sigs[ser[0].sig], "line": "l1"})
				for i, s := range ser {
					v := float64(100*s.sig + i)
					add(s.t, v)
					w := want[s.t]
					w.t, w.v[s.sig], w.has = s.t, v, w.has|1<<s.sig
					want[s.t] = w
				}
			}
			e := b.by[labelKey(map[string]string{"line": "l1"})]
			got := map[int64]stateRow{}
			for _, r := range e.rows {
				if _, dup := got[r.t]; dup {
					t.Errorf("two rows for %d", r.t)
				}
				got[r.t] = r
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rows %+v, want %+v", got, want)
			}
		})
	}
}

// TestGridOfMs: a sample's unit from its unix ms is the one grid.of gives
// its time: (start, end] units, the lookback before the start in the
// first, the last unit short and holding the end.
func TestGridOfMs(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, Shanghai)
	end := start.Add(5*time.Hour + 30*time.Minute)
	g := newGrid(start, end, time.Hour)
	s := start.UnixMilli()
	for _, ms := range []int64{s - 20*60000, s - 1, s, s + 1, s + 3600000 - 1, s + 3600000, s + 3600000 + 1,
		s + 5*3600000, s + 5*3600000 + 1, end.UnixMilli(), end.UnixMilli() + 15000} {
		if got, want := g.ofMs(ms), g.of(time.UnixMilli(ms)); got != want {
			t.Errorf("ofMs(start %+d ms) = %d, of = %d", ms-s, got, want)
		}
	}
}
