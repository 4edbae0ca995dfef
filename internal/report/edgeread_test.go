package report_test

import (
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/value"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestInLookback: an instant query's value of a series is its last sample
// at or before the instant, not older than the lookback (exactly the
// lookback older only where closed), and none when that is a marker.
func TestInLookback(t *testing.T) {
	stale := math.Float64frombits(value.StaleNaN)
	const e, lb = 1_000_000, 300_000
	for _, c := range []struct {
		name   string
		t      int64
		v      float64
		closed bool
		want   bool
	}{
		{"at the instant", e, 1, false, true},
		{"just before", e - 15_000, 1, false, true},
		{"after the instant", e + 1, 1, true, false},
		{"a lookback before, closed (Prometheus 2)", e - lb, 1, true, true},
		{"a lookback before, left-open (Prometheus 3)", e - lb, 1, false, false},
		{"a millisecond inside the lookback", e - lb + 1, 1, false, true},
		{"a millisecond beyond it, closed", e - lb - 1, 1, true, false},
		{"a staleness marker", e - 15_000, stale, true, false},
		{"a marker at the instant", e, stale, true, false},
		{"a NaN that is no marker", e - 15_000, math.NaN(), false, true},
	} {
		asked := false
		got := report.InLookback(c.t, c.v, e, lb, func() bool { asked = true; return c.closed })
		if got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if asked && c.t != e-lb {
			t.Errorf("%s: the semantics were asked for a sample not exactly a lookback before", c.name)
		}
	}
}

// edgeCase is one host's samples around the edge (ms from it; stale: a
// marker) for TestEdgeReadEqualsQueries.
type edgeCase struct {
	host  string
	times []int64
	stale map[int64]bool
	nan   map[int64]bool
}

// TestEdgeReadEqualsQueries: on Prometheus 2.42 and 3.x, with the default
// lookback and with --query.lookback-delta=2m, the availability's one read
// at a period edge (edgeread.go) gives, entity by entity, the instant
// query's answer at the edge and the pairs of the ±1 min raw read it
// replaces, on hosts whose series end with a staleness marker before, at or
// after the edge, begin again after one, have their last sample exactly a
// lookback (5 or 2 min) before the edge or a millisecond either side of it,
// a NaN, samples exactly 1 min either side, or only samples after the edge.
func TestEdgeReadEqualsQueries(t *testing.T) {
	edge := time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC) // 2026-11-01 00:00 in Beijing
	every := func(from, to int64) []int64 {
		var ts []int64
		for x := from; x <= to; x += 15_000 {
			ts = append(ts, x)
		}
		return ts
	}
	cases := []edgeCase{{host: "steady", times: every(-600_000, 600_000)}}
	for _, lb := range []int64{300_000, 120_000} {
		for _, d := range []int64{-1, 0, 1} {
			cases = append(cases, edgeCase{host: "last-" + time.Duration((lb-d)*1e6).String(), times: append(every(-900_000, -lb+d), every(30_000, 600_000)...)})
		}
	}
	cases = append(cases,
		edgeCase{host: "ended-before", times: every(-600_000, -15_000), stale: map[int64]bool{-15_000: true}},
		edgeCase{host: "ended-at", times: every(-600_000, 0), stale: map[int64]bool{0: true}},
		edgeCase{host: "ended-after", times: every(-600_000, 15_000), stale: map[int64]bool{15_000: true}},
		edgeCase{host: "back-after-marker", times: append(every(-600_000, -360_000), every(-120_000, 600_000)...), stale: map[int64]bool{-360_000: true}},
		edgeCase{host: "nan", times: every(-600_000, 600_000), nan: map[int64]bool{-15_000: true, 15_000: true}},
		edgeCase{host: "minute-either-side", times: []int64{-300_000, -60_000, 60_000, 120_000}},
		edgeCase{host: "begins-after", times: every(1, 600_000)},
	)
	data := edgeBlock(t, edge, cases)
	p, err := report.ParseMonth("2026-11", nil, edge.Add(40*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		v    string
		args []string
		// boundary: the host whose last sample is exactly a lookback
		// before the edge, in the instant answer where closed.
		boundary string
		closed   bool
	}{
		{"2.42", testenv.Prom242, nil, "last-5m0s", true},
		{"3.x", testenv.Prom3, nil, "last-5m0s", false},
		{"2.42 lookback 2m", testenv.Prom242, []string{"--query.lookback-delta=2m"}, "last-2m0s", true},
		{"3.x lookback 2m", testenv.Prom3, []string{"--query.lookback-delta=2m"}, "last-2m0s", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			bin := testutil.Need(t, "prometheus")
			if c.v == testenv.Prom3 {
				bin, _ = testutil.Prom3(t)
			}
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.CopyFS(dir, os.DirFS(data)); err != nil {
				t.Fatal(err)
			}
			url := testenv.StartPrometheus(t, bin, dir, c.args...)
			ctx := context.Background()
			got, audit, ok, err := report.EdgeRead(ctx, promapi.New(url), "host", p, edge)
			if err != nil || !ok {
				t.Fatalf("the edge read: ok %v, %v", ok, err)
			}
			api := promapi.New(url)
			api.NoRemoteRead = true
			want, err := report.EdgeQueries(ctx, api, "host", p, edge)
			if err != nil {
				t.Fatal(err)
			}
			boundary := false
			for k := range want.Instant {
				boundary = boundary || strings.Contains(k, `host="`+c.boundary+`"`)
			}
			if boundary != c.closed || len(want.Pairs) < 8 {
				t.Fatalf("the queries: %s at the edge %v, want %v; %d pairs: the data are not what the test wrote", c.boundary, boundary, c.closed, len(want.Pairs))
			}
			for _, x := range []struct {
				what      string
				got, want map[string]string
			}{{"instant answer", got.Instant, want.Instant}, {"pairs", got.Pairs, want.Pairs}} {
				for k, w := range x.want {
					if x.got[k] != w {
						t.Errorf("%s of %s: read %q, queries %q", x.what, k, x.got[k], w)
					}
				}
				for k, g := range x.got {
					if _, ok := x.want[k]; !ok {
						t.Errorf("%s of %s: read %q, none from the queries", x.what, k, g)
					}
				}
			}
			if !reflect.DeepEqual(got.Labels, want.Labels) {
				t.Errorf("labels: read %v, queries %v", got.Labels, want.Labels)
			}
			var reads []string
			for _, a := range audit {
				reads = append(reads, a.PromQL)
			}
			if len(reads) == 0 || !strings.HasPrefix(reads[0], report.RemoteReadPrefix) {
				t.Errorf("audit: %q, want the remote read first", reads)
			}
			t.Logf("%d entities at the edge, %d pairs; audit %q", len(want.Instant), len(want.Pairs), reads)
		})
	}
}

// edgeBlock writes cases as the hosts' availability series (every name
// the edge read reads, the same samples) into one TSDB block around edge
// and returns a data directory holding it.
func edgeBlock(t *testing.T, edge time.Time, cases []edgeCase) string {
	t.Helper()
	names := []string{"host_observed_seconds_total", "host_down_seconds_total", "host_maintenance_seconds_total",
		"host_maintenance_down_seconds_total", "host_state_changes_total", "host_start_time_seconds", "host_up", "host_unknown",
		"host_last_change_timestamp_seconds", "host_in_maintenance"}
	blocks := filepath.Join(t.TempDir(), "blocks")
	w, err := tsdb.NewBlockWriter(slog.New(slog.DiscardHandler), blocks, 4*time.Hour.Milliseconds())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ctx := context.Background()
	e := edge.UnixMilli()
	for _, c := range cases {
		for _, n := range names {
			app := w.Appender(ctx)
			ls := labels.FromStrings("__name__", n, "host", c.host, "job", "host", "instance", "127.0.0.1:9300")
			var ref storage.SeriesRef
			for _, x := range c.times {
				v := float64(e+x) / 1e3 // grows 1 s/s: the counters' steady state
				switch {
				case c.stale[x]:
					v = math.Float64frombits(value.StaleNaN)
				case c.nan[x]:
					v = math.NaN()
				case n == "host_up":
					v = 1
				case n == "host_unknown" || n == "host_in_maintenance" || strings.Contains(n, "down") || strings.Contains(n, "maintenance") || n == "host_state_changes_total":
					v = 0
				case n == "host_start_time_seconds" || n == "host_last_change_timestamp_seconds":
					v = float64(edge.Add(-48 * time.Hour).Unix())
				}
				if ref, err = app.Append(ref, ls, e+x, v); err != nil {
					t.Fatal(err)
				}
			}
			if err := app.Commit(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if n, err := simhistory.MoveBlocks(blocks, data); err != nil || n == 0 {
		t.Fatalf("%d blocks moved: %v", n, err)
	}
	return data
}
