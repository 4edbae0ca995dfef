package report

import (
	"context"
	"strings"
	"testing"
	"time"
)

// batchFake answers remote reads of one series per entity named in the
// selector's host=~"…", with a sample 1 min before each read's window, one
// inside it and one at its end; RemoteReadBatch answers all of them in one
// call, unless refuse.
type batchFake struct {
	refuse         bool
	batches, reads int
}

func (*batchFake) answer(sel string, from, to time.Time, series func(map[string]string) func([]int64, []float64)) {
	i := strings.Index(sel, `host=~"`)
	for _, h := range strings.Split(strings.SplitN(sel[i+7:], `"`, 2)[0], "|") {
		series(map[string]string{"__name__": "host_up", "host": h})(
			[]int64{from.Add(-time.Minute).UnixMilli(), from.Add(time.Minute).UnixMilli(), to.UnixMilli()}, []float64{0, 1, 1})
	}
}

func (q *batchFake) RemoteRead(_ context.Context, sel string, from, to time.Time, series func(map[string]string) func([]int64, []float64)) (int, bool, error) {
	q.reads++
	q.answer(sel, from, to, series)
	return 0, true, nil
}

func (q *batchFake) RemoteReadBatch(_ context.Context, reads []RawRead, series func(int, map[string]string) func([]int64, []float64)) (bool, error) {
	q.batches++
	if q.refuse {
		return false, nil
	}
	for i, rd := range reads {
		q.answer(rd.Selector, rd.From, rd.To, func(l map[string]string) func([]int64, []float64) { return series(i, l) })
	}
	return true, nil
}

func (*batchFake) Query(context.Context, string, time.Time) ([]Series, error) { return nil, nil }
func (*batchFake) QueryRange(context.Context, string, time.Time, time.Time, time.Duration) ([]Series, error) {
	return nil, nil
}
func (*batchFake) Series(context.Context, string, time.Time, time.Time) ([]map[string]string, error) {
	return nil, nil
}

// keptSamples counts the samples a read kept per series.
type keptSamples map[string]int

func (k keptSamples) series(l map[string]string) func(int64, float64) {
	return func(int64, float64) { k[l["host"]]++ }
}

// TestRawReadsBatch: the reads of a batch (batchRemoteReader) go in one
// request, or one by one through RemoteRead where the backend refuses the
// batch; either way each read's sink gets its own series and the samples
// in its window only, and the audit lists each read.
func TestRawReadsBatch(t *testing.T) {
	t0 := time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC)
	specs := []rawSpec{
		{names: []string{"host_up"}, nameLabel: "host", vals: []string{"h-1", "h-2"}, from: t0, to: t0.Add(time.Hour)},
		{names: []string{"host_up"}, nameLabel: "host", vals: []string{"h-1"}, from: t0.Add(5 * time.Hour), to: t0.Add(7 * time.Hour)},
	}
	for _, tc := range []struct {
		name           string
		refuse         bool
		batches, reads int
	}{{"batch", false, 1, 0}, {"refused", true, 1, 2}} {
		t.Run(tc.name, func(t *testing.T) {
			q := &batchFake{refuse: tc.refuse}
			r := &run{ctx: context.Background(), q: q, cfg: DefaultConfig()}
			out, err := rawReads(r, "test", specs, func(int, func(int64) bool) keptSamples { return keptSamples{} })
			if err != nil {
				t.Fatal(err)
			}
			if q.batches != tc.batches || q.reads != tc.reads {
				t.Errorf("%d batches, %d single reads; want %d, %d", q.batches, q.reads, tc.batches, tc.reads)
			}
			want := []keptSamples{{"h-1": 2, "h-2": 2}, {"h-1": 2}} // the sample before the window dropped
			for i := range want {
				if len(out[i]) != len(want[i]) || out[i]["h-1"] != want[i]["h-1"] || out[i]["h-2"] != want[i]["h-2"] {
					t.Errorf("read %d kept %v, want %v", i, out[i], want[i])
				}
			}
			if len(r.audit) != 2 || r.audit[0].Series != 2 || r.audit[1].Series != 1 || !strings.HasPrefix(r.audit[0].PromQL, RemoteReadPrefix) {
				t.Errorf("audit %+v", r.audit)
			}
		})
	}
}
