package report

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// tooLargeReader answers every remote read with the client's answer-limit
// error after handing over part of a series, and the query API with one
// canned series.
type tooLargeReader struct {
	calls int
}

func (q *tooLargeReader) RemoteRead(_ context.Context, _ string, from, _ time.Time, series func(map[string]string) func([]int64, []float64)) (int, bool, error) {
	q.calls++
	series(map[string]string{"__name__": "host_up", "host": "h1"})([]int64{from.UnixMilli() + 1}, []float64{1})
	return 1, false, Errorf(ErrTooLarge, "查询结果过大 / query answer too large")
}

func (*tooLargeReader) Query(context.Context, string, time.Time) ([]Series, error) {
	return []Series{{Labels: map[string]string{}, Points: []Point{{V: 2}}}}, nil // the boundary probe: left-open
}

func (*tooLargeReader) QueryRange(_ context.Context, _ string, start, _ time.Time, _ time.Duration) ([]Series, error) {
	return []Series{{Labels: map[string]string{"host": "h1"}, Points: []Point{{T: start, V: 240}}}}, nil
}

func (*tooLargeReader) Series(context.Context, string, time.Time, time.Time) ([]map[string]string, error) {
	return nil, nil
}

// TestCountPointsOverTheLimit: where a day's samples are over the client's
// answer limit, countPoints takes the query API's counts (24 a day per
// entity) instead of failing the report, and drops what the read handed
// over.
func TestCountPointsOverTheLimit(t *testing.T) {
	q := &tooLargeReader{}
	from := time.Date(2026, 10, 9, 16, 0, 0, 0, time.UTC)
	r := &run{ctx: context.Background(), q: q, cfg: DefaultConfig()}
	r.month.Start, r.month.End = from, from.Add(24*time.Hour)
	got := map[string][]Point{}
	var mu sync.Mutex
	if err := r.countPoints("test", `host_up{host=~"h1"}`, from, from.Add(24*time.Hour), time.Hour, &mu, func(k string, p Point) { got[k] = append(got[k], p) }); err != nil {
		t.Fatal(err)
	}
	if q.calls != 1 || len(got) != 1 || len(got[labelKey(map[string]string{"host": "h1"})]) != 1 || got[labelKey(map[string]string{"host": "h1"})][0].V != 240 {
		t.Errorf("%d remote reads, points %v: want the query API's one point", q.calls, got)
	}
	for _, a := range r.audit {
		if a.Purpose == "test" && strings.HasPrefix(a.PromQL, RemoteReadPrefix) {
			t.Errorf("audit lists a remote read: %+v", a)
		}
	}
}

// TestTrafficP95ReadOverTheLimit: where the month's recorded points are
// over the client's answer limit, the P95's remote path steps aside (read
// false, no error, nothing put) and the query API's path answers.
func TestTrafficP95ReadOverTheLimit(t *testing.T) {
	q := &tooLargeReader{}
	from := time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC)
	r := &run{ctx: context.Background(), q: q, cfg: DefaultConfig()}
	r.month.Start, r.month.End = from, from.AddDate(0, 1, 0)
	out := map[string]float64{}
	covered, read, err := r.trafficP95Read(q, "receive", "receive", out)
	if err != nil || read || covered != nil || len(out) != 0 || q.calls != 1 {
		t.Errorf("covered %v, read %v, %v, out %v, %d remote reads: want the query API's path", covered, read, err, out, q.calls)
	}
}

// batchReader holds one recorded step series per line and answers remote
// reads of a line=~"…" batch (or of every line); a read of more than
// maxLines lines is over the answer limit after handing over bogus points.
type batchReader struct {
	lines    map[string][]float64
	maxLines int
	reads    [][]string
}

func (q *batchReader) names() []string {
	var out []string
	for n := range q.lines {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func (q *batchReader) RemoteRead(_ context.Context, sel string, from, _ time.Time, series func(map[string]string) func([]int64, []float64)) (int, bool, error) {
	names := q.names()
	if m := regexp.MustCompile(`line=~"([^"]*)"`).FindStringSubmatch(sel); m != nil {
		names = strings.Split(m[1], "|")
	}
	q.reads = append(q.reads, names)
	if len(names) > q.maxLines {
		// One line's series whole, the next one's begun: then the limit.
		series(map[string]string{"line": names[0]})([]int64{from.UnixMilli() + 300_000}, []float64{1e12})
		series(map[string]string{"line": names[1]})([]int64{from.UnixMilli() + 300_000}, []float64{1e12})
		return 2, false, Errorf(ErrTooLarge, "查询结果过大 / query answer too large")
	}
	for _, n := range names {
		// In chunks of 120 points, as Prometheus stores them.
		add := series(map[string]string{"line": n, "direction": "receive"})
		off := 0
		for c := range slices.Chunk(q.lines[n], 120) {
			ts := make([]int64, len(c))
			for i := range ts {
				ts[i] = from.UnixMilli() + int64(off+i+1)*300_000
			}
			add(ts, c)
			off += len(c)
		}
	}
	return len(names), true, nil
}

func (*batchReader) Query(context.Context, string, time.Time) ([]Series, error) {
	return []Series{{Labels: map[string]string{}, Points: []Point{{V: 1}}}}, nil // the marker is complete
}

func (*batchReader) QueryRange(context.Context, string, time.Time, time.Time, time.Duration) ([]Series, error) {
	return nil, nil
}

func (q *batchReader) Series(context.Context, string, time.Time, time.Time) ([]map[string]string, error) {
	var out []map[string]string
	for _, n := range q.names() {
		out = append(out, map[string]string{"__name__": "line:line_interface_bits:rate5m_step5m", "line": n, "direction": "receive"})
	}
	return out, nil
}

// TestTrafficP95ReadBatches: over a period longer than a month, the P95's
// remote path reads the lines in batches of at most p95ReadPoints points
// (here three lines), a batch over the answer limit again in halves with
// what it handed over dropped, and gives every line PromQL's quantile of
// its own points; a month is one read.
func TestTrafficP95ReadBatches(t *testing.T) {
	q := &batchReader{lines: map[string][]float64{}, maxLines: 2}
	want := map[string]float64{}
	for i := 1; i <= 8; i++ {
		n := fmt.Sprintf("l%d", i)
		for k := 0; k < 40; k++ {
			q.lines[n] = append(q.lines[n], float64((k*7+i*13)%41)*float64(i)*1e6)
		}
		want[n] = promQuantile(0.95, slices.Clone(q.lines[n]))
	}
	quarter := time.Date(2026, 6, 30, 16, 0, 0, 0, time.UTC)
	r := &run{ctx: context.Background(), q: q, cfg: DefaultConfig()}
	r.month.Start, r.month.End = quarter, quarter.AddDate(0, 3, 0)
	steps := int64(r.month.Seconds()) / 300
	defer func(p int64) { p95ReadPoints = p }(p95ReadPoints)
	p95ReadPoints = 3 * steps
	out := map[string]float64{}
	covered, read, err := r.trafficP95Read(q, "receive", "receive", out)
	if err != nil || !read || covered != nil {
		t.Fatalf("covered %v, read %v, %v", covered, read, err)
	}
	if !maps.Equal(out, want) {
		t.Errorf("P95 %v, want %v", out, want)
	}
	wantReads := [][]string{{"l1", "l2", "l3"}, {"l1"}, {"l2", "l3"}, {"l4", "l5", "l6"}, {"l4"}, {"l5", "l6"}, {"l7", "l8"}}
	if !slices.EqualFunc(q.reads, wantReads, slices.Equal) {
		t.Errorf("reads %v, want %v", q.reads, wantReads)
	}
	// A month: one read of every line (over the limit here: the query API).
	q.reads, q.maxLines = nil, 8
	r.month.End = quarter.AddDate(0, 1, 0)
	out = map[string]float64{}
	if _, read, err := r.trafficP95Read(q, "receive", "receive", out); err != nil || !read || !maps.Equal(out, want) || len(q.reads) != 1 || len(q.reads[0]) != 8 {
		t.Errorf("a month: read %v, %v, P95 %v, reads %v", read, err, out, q.reads)
	}
}

// chunkReader hands over fixed series, chunk by chunk.
type chunkReader map[string][][]int64 // series name → its chunks' timestamps

func (q chunkReader) RemoteRead(_ context.Context, _ string, _, _ time.Time, series func(map[string]string) func([]int64, []float64)) (int, bool, error) {
	names := slices.Sorted(maps.Keys(q))
	for _, name := range names {
		add := series(map[string]string{"__name__": name})
		for _, ts := range q[name] {
			vs := make([]float64, len(ts))
			for i, t := range ts {
				vs[i] = float64(t) / 10
			}
			add(ts, vs)
		}
	}
	return len(names), true, nil
}

// TestReadKeptChunks: readKept hands over, chunk by chunk, exactly the
// samples its window keeps, whatever side of the window's edges the
// chunks lie on; a series with none in it is not handed over.
func TestReadKeptChunks(t *testing.T) {
	lo, hi := int64(100), int64(200)
	keep := func(t int64) bool { return t > lo && t <= hi }
	q := chunkReader{
		"before":   {{10, 20}, {30, 100}},
		"after":    {{201, 300}},
		"inside":   {{101, 150}, {160, 200}},
		"across":   {{50, 100, 101, 120}, {130}, {190, 200, 201, 250}},
		"wide":     {{0, 100, 150, 200, 250}},
		"one-kept": {{90, 100}, {200, 210}},
		"empty":    {{}},
	}
	want := map[string][]int64{
		"inside":   {101, 150, 160, 200},
		"across":   {101, 120, 130, 190, 200},
		"wide":     {150, 200},
		"one-kept": {200},
	}
	r := &run{ctx: context.Background(), cfg: DefaultConfig()}
	got := map[string][]int64{}
	n, read, err := readKept(r, q, "", time.UnixMilli(lo), time.UnixMilli(hi), keep, func(l map[string]string) func([]int64, []float64) {
		name := l["__name__"]
		if _, ok := got[name]; ok {
			t.Errorf("%s handed over twice", name)
		}
		got[name] = []int64{}
		return func(ts []int64, vs []float64) {
			for i, x := range ts {
				if vs[i] != float64(x)/10 {
					t.Errorf("%s: value %v at %d", name, vs[i], x)
				}
			}
			got[name] = append(got[name], ts...)
		}
	})
	if err != nil || !read {
		t.Fatal(read, err)
	}
	if n != len(want) || !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("%d series %v, want %v", n, got, want)
	}
}
