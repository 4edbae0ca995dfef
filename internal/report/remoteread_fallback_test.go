package report

import (
	"context"
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

func (q *tooLargeReader) RemoteRead(_ context.Context, _ string, from, _ time.Time, series func(map[string]string) func(int64, float64)) (int, bool, error) {
	q.calls++
	series(map[string]string{"__name__": "host_up", "host": "h1"})(from.UnixMilli()+1, 1)
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
