package report

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestEvaluate(t *testing.T) {
	const m31 = 31 * 86400.0
	const m30 = 30 * 86400.0
	for _, c := range []struct {
		name                    string
		month, obs, down, maint float64
		policy                  string
		avail, budget, unknown  float64
		status                  string
	}{
		{"clean 30 d", m30, m30, 0, 0, MaintenanceExcluded, 1, 259.2, 0, StatusMet},
		{"exactly the budget is met", m30, m30, 259.2, 0, MaintenanceExcluded, 1 - 259.2/m30, 259.2, 0, StatusMet},
		{"one second over", m31, m31, 268.84, 0, MaintenanceExcluded, 1 - 268.84/m31, 267.84, 0, StatusBreached},
		{"unknown beyond remaining budget", m31, m31 - 100, 200, 0, MaintenanceExcluded, 1 - 200/(m31-100), 267.84, 100, StatusIndeterminate},
		{"unknown within remaining budget", m31, m31 - 60, 200, 0, MaintenanceExcluded, 1 - 200/(m31-60), 267.84, 60, StatusMet},
		{"no data is never met", m31, 0, 0, 0, MaintenanceExcluded, math.NaN(), 267.84, m31, StatusIndeterminate},
		{"maintenance excluded", m30, m30, 100, 3600, MaintenanceExcluded, 1 - 100/(m30-3600), 0.0001 * (m30 - 3600), 0, StatusMet},
		{"maintenance as uptime", m30, m30, 100, 3600, MaintenanceUptime, 1 - 100/m30, 259.2, 0, StatusMet},
	} {
		e := Evaluate(c.month, c.obs, c.down, c.maint, 0.9999, c.policy)
		if e.Status != c.status || math.Abs(e.Budget-c.budget) > 1e-6 || math.Abs(e.Unknown-c.unknown) > 1e-9 ||
			!(math.Abs(e.Availability-c.avail) < 1e-12 || math.IsNaN(c.avail) && math.IsNaN(e.Availability)) {
			t.Errorf("%s: got %+v", c.name, e)
		}
	}
}

func TestScoreArithmetic(t *testing.T) {
	w := Weights{Availability: 0.5, SLA: 0.2, Incidents: 0.15, Recovery: 0.15}
	for _, c := range []struct {
		p    ProviderScore
		want float64
	}{
		{ProviderScore{Entities: 4, Met: 4, Availability: 1}, 100},
		// A = 99.95 %: (0.9999−0.9995)/(10·0.0001) = 0.4 → S_avail 60; 3/4 met → 75; 2 incidents/20 → 90; MTTR 900 s → 75.
		{ProviderScore{Entities: 4, Met: 3, Availability: 0.9995, Incidents: 2, MTTRSeconds: 900}, 0.5*60 + 0.2*75 + 0.15*90 + 0.15*75},
		// Ten budgets or worse → 0; MTTR ≥ 1 h → 0.
		{ProviderScore{Entities: 1, Met: 0, Availability: 0.998, Incidents: 5, MTTRSeconds: 7200}, 0},
	} {
		p := c.p
		Score(&p, 0.9999, w)
		if math.Abs(p.Score-c.want) > 1e-9 {
			t.Errorf("%+v: score %v, want %v", c.p, p.Score, c.want)
		}
	}
}

func TestParseMonth(t *testing.T) {
	now := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	m, err := ParseMonth("2026-10", Shanghai, now)
	if err != nil || m.Start.UTC().Format(time.RFC3339) != "2026-09-30T16:00:00Z" || m.End.UTC().Format(time.RFC3339) != "2026-10-31T16:00:00Z" || m.Seconds() != 31*86400 {
		t.Fatalf("%+v %v", m, err)
	}
	m, _ = ParseMonth("2026-02", Shanghai, now)
	if m.Seconds() != 28*86400 {
		t.Errorf("feb %v", m.Seconds())
	}
	// 2026-10 ends 2026-10-31T16:00Z: a minute before it is not finished.
	if _, err := ParseMonth("2026-10", Shanghai, time.Date(2026, 10, 31, 15, 59, 0, 0, time.UTC)); err == nil {
		t.Error("unfinished month accepted")
	}
	for _, bad := range []string{"2026-13", "2026-00", "26-10", "2026-1", "2026-10-01", "", "2027-01", "x"} {
		if _, err := ParseMonth(bad, Shanghai, now); err == nil || KindOf(err) != ErrBadRequest {
			t.Errorf("%q accepted (%v)", bad, err)
		}
	}
}

func TestMatchersEscape(t *testing.T) {
	s, err := Matchers(map[string]string{"site": `dc1"} or vector(1) #`, "unit": "市\\财政"})
	if err != nil {
		t.Fatal(err)
	}
	if s != `site="dc1\"} or vector(1) #",unit="市\\财政"` {
		t.Errorf("got %s", s)
	}
	if _, err := Matchers(map[string]string{`a"}or{`: "x"}); err == nil {
		t.Error("bad label name accepted")
	}
	if r := RegexAlternation([]string{"a.b", "c|d"}); r != `"a\\.b|c\\|d"` {
		t.Errorf("regex %s", r)
	}
}

// fakeQuerier answers the availability-family queries of the engine from
// per-metric start/end values for one entity.
type fakeQuerier struct {
	labels  map[string]string
	start   map[string]float64
	end     map[string]float64
	fail    error
	mu      sync.Mutex // the engine queries in parallel
	seen    []string
	endUnix int64
	// answers: an instant query containing the key gets one series with
	// labels and the value (quality figures such as the capacity).
	answers map[string]float64
}

func (f *fakeQuerier) saw(q string) {
	f.mu.Lock()
	f.seen = append(f.seen, q)
	f.mu.Unlock()
}

var namesRE = regexp.MustCompile(`__name__=~"([^"]*)"`)

// Query answers the two instant queries of the availability family (all
// counters at the month end, at the month start).
func (f *fakeQuerier) Query(_ context.Context, expr string, _ time.Time) ([]Series, error) {
	f.saw(expr)
	if f.fail != nil {
		return nil, f.fail
	}
	m := namesRE.FindStringSubmatch(expr)
	if m == nil {
		for k, v := range f.answers {
			if strings.Contains(expr, k) {
				return []Series{{Labels: f.labels, Points: []Point{{V: v}}}}, nil
			}
		}
	}
	if m == nil || strings.Contains(expr, "ms] @") {
		return nil, nil
	}
	vals := f.start
	if strings.HasSuffix(expr, fmt.Sprintf("@ %d", f.endUnix)) {
		vals = f.end
	}
	var out []Series
	for _, name := range strings.Split(strings.ReplaceAll(m[1], `\\`, ""), "|") {
		if v, ok := vals[name]; ok {
			l := map[string]string{"__name__": name}
			for k, v := range f.labels {
				l[k] = v
			}
			out = append(out, Series{Labels: l, Points: []Point{{V: v}}})
		}
	}
	return out, nil
}

func (f *fakeQuerier) Series(_ context.Context, match string, _, _ time.Time) ([]map[string]string, error) {
	f.saw(match)
	if f.fail != nil {
		return nil, f.fail
	}
	l := map[string]string{"__name__": "line_observed_seconds_total"}
	for k, v := range f.labels {
		l[k] = v
	}
	return []map[string]string{l}, nil
}

func (f *fakeQuerier) QueryRange(context.Context, string, time.Time, time.Time, time.Duration) ([]Series, error) {
	return nil, nil
}

func TestBuildWithFakeQuerier(t *testing.T) {
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	m, _ := ParseMonth("2026-10", Shanghai, now)
	ms := m.Seconds()
	fq := &fakeQuerier{
		labels: map[string]string{"line": "l1", "provider": "p", "site": "s", "kind": "bgp"},
		start: map[string]float64{"line_observed_seconds_total": 1000, "line_down_seconds_total": 50, "line_up": 1, "line_unknown": 0,
			"line_maintenance_seconds_total": 0, "line_maintenance_down_seconds_total": 0, "line_state_changes_total": 0, "line_start_time_seconds": 1},
		end: map[string]float64{"line_observed_seconds_total": 1000 + ms - 500, "line_down_seconds_total": 250,
			"line_maintenance_seconds_total": 0, "line_maintenance_down_seconds_total": 0, "line_state_changes_total": 0, "line_start_time_seconds": 1},
	}
	fq.endUnix = m.End.Unix()
	cfg := DefaultConfig()
	cfg.Now = func() time.Time { return now }
	d, err := Build(context.Background(), fq, cfg, KindLines, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Entities) != 1 {
		t.Fatalf("%+v", d.Entities)
	}
	e := d.Entities[0]
	// 200 s down, 500 s unknown, budget 267.84 → remaining 67.84 < 500 → indeterminate.
	if e.DownSeconds != 200 || e.UnknownSeconds != 500 || e.Status != StatusIndeterminate || math.Abs(e.Availability-(1-200/(ms-500))) > 1e-12 {
		t.Errorf("%+v", e)
	}
	for _, q := range fq.seen {
		if strings.Contains(q, "increase(line_down") || strings.Contains(q, "increase(line_observed") {
			t.Errorf("availability must not use increase(): %s", q)
		}
	}
	var html bytes.Buffer
	if err := RenderHTML(&html, d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"无法判定", "数据机房线路检查与巡检运行情况月度工作报告", "@ 1793462400", "99.9925", "<svg"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	// Query failure → no document.
	fq.fail = Errorf(ErrTimeout, "slow")
	if d, err := Build(context.Background(), fq, cfg, KindLines, m); err == nil || d != nil || KindOf(err) != ErrTimeout {
		t.Errorf("failure: %v %v", d, err)
	}
}

func TestFreezeByteIdentical(t *testing.T) {
	d := &Document{Kind: KindLines, Title: "线路", Month: "2026-10", Entities: []EntityResult{{Name: "l1", DownSeconds: 12, Counters: map[string]Counter{"x": {Start: 1, End: 2}}}}}
	snap, err := Freeze(d, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var outs [2][]byte
	for i := range outs {
		fd, err := Thaw(snap)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"html", "csv", "json"} {
			var b bytes.Buffer
			Render(&b, fd, f)
			outs[i] = append(outs[i], b.Bytes()...)
		}
	}
	if !bytes.Equal(outs[0], outs[1]) || !bytes.Contains(outs[0], []byte("SHA-256")) {
		t.Error("re-rendering a frozen month is not byte-identical")
	}
	tampered := regexp.MustCompile(`("downSeconds":\s*)12`).ReplaceAll(snap, []byte("${1}13"))
	if bytes.Equal(tampered, snap) {
		t.Fatal("tamper pattern did not match")
	}
	if _, err := Thaw(tampered); err == nil {
		t.Error("tampered snapshot accepted")
	}
}

// bucketQuantile answers as Prometheus 2.42's histogram_quantile.
func TestBucketQuantile(t *testing.T) {
	inf := math.Inf(1)
	bs := []bucket{{0.01, 10}, {0.02, 60}, {0.05, 90}, {inf, 100}}
	for _, c := range []struct {
		name string
		q    float64
		in   []bucket
		want float64
	}{
		{"first bucket from 0", 0.05, bs, 0.005},
		{"interpolated", 0.5, bs, 0.01 + 0.01*40/50},
		{"upper edge", 0.9, bs, 0.05},
		{"rank in +Inf: highest finite bound", 0.95, bs, 0.05},
		{"unsorted input", 0.5, []bucket{{inf, 100}, {0.05, 90}, {0.01, 10}, {0.02, 60}}, 0.018},
		{"equal bounds coalesced", 0.5, []bucket{{0.01, 5}, {0.01, 5}, {0.02, 60}, {0.05, 90}, {inf, 100}}, 0.018},
		{"non-monotonic raised", 0.5, []bucket{{0.01, 10}, {0.02, 60}, {0.05, 40}, {inf, 100}}, 0.018},
		{"negative first bound", 0.05, []bucket{{-1, 10}, {1, 60}, {inf, 100}}, -1},
		{"q < 0", -0.1, bs, math.Inf(-1)},
		{"q > 1", 1.1, bs, inf},
		{"no +Inf bucket", 0.5, bs[:3], math.NaN()},
		{"one bucket", 0.5, []bucket{{inf, 100}}, math.NaN()},
		{"no observation", 0.5, []bucket{{0.01, 0}, {inf, 0}}, math.NaN()},
	} {
		got := bucketQuantile(c.q, c.in)
		if !(got == c.want || math.Abs(got-c.want) < 1e-12 || math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("%s: bucketQuantile(%v) = %v, want %v", c.name, c.q, got, c.want)
		}
	}
}
