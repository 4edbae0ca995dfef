package simhistory_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/metricnames"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/simhistory/tsdbwrite"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// recordedExpr is the expression of the recording rule record in
// rules/recording.yml (the one copy of it).
func recordedExpr(t *testing.T, record string) string {
	t.Helper()
	b, err := os.ReadFile("../../rules/recording.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Groups []struct {
			Rules []struct{ Record, Expr string }
		}
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			if r.Record == record {
				return strings.TrimSpace(r.Expr)
			}
		}
	}
	t.Fatalf("no rule %s in rules/recording.yml", record)
	return ""
}

// TestBackfillRules back-fills the recorded traffic of the test scenario's
// three lines over one day with promtool, merges its blocks by day with the
// tsdb library's compactor (tsdbwrite.CompactBlocks: what Prometheus 2.42 then reads
// was written by the library of 3.x), loads the blocks into the running
// Prometheus holding the raw history, and checks that the recorded series is
// there at every minute, on the minute, equal to the rule's expression
// evaluated over the raw samples at the same instants: in one promtool
// window (BackfillRules: the day is shorter than BackfillWindow) and in five
// of 6 h, the last one the minute after the day, run up to one per core at
// once (what the bench's year runs as 13 windows of 30 days).
func TestBackfillRules(t *testing.T) {
	promtool := testutil.Need(t, "promtool")
	prom := testutil.Need(t, "prometheus")
	sp := simhistory.TestScenario(2026, time.October, 300*time.Second)
	from := time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	type rule struct {
		rec   string
		every time.Duration // the group's interval set to it (SetInterval); 0: its own
	}
	for _, c := range []struct {
		name   string
		rules  []rule        // one rule file each, back-filled together
		window time.Duration // promtool's window (0: BackfillWindow)
	}{
		{"one window", []rule{{metricnames.LineInterfaceBitsRate5m, 0}}, 0},
		// The P95's record keeps a point every 5 minutes: evaluated only
		// there, it has the same points (checkRecorded compares them with
		// the expression at every minute). Two groups of one name.
		{"windows of 6h at once, the 5-minute record every 5 minutes", []rule{{metricnames.LineInterfaceBitsRate5m, 0}, {metricnames.LineInterfaceBitsRate5mStep5m, 5 * time.Minute}}, 6 * time.Hour},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // LoadBlocks waits a minute for two reloads
			var files []string
			for _, r := range c.rules {
				rf := filepath.Join(t.TempDir(), "line.yml")
				n, err := simhistory.SelectRules("../../rules/recording.yml", []string{"jianguan.line"}, []string{r.rec}, rf)
				if err != nil || n != 1 {
					t.Fatalf("SelectRules: %d rules, %v", n, err)
				}
				if r.every != 0 {
					if err := simhistory.SetInterval(rf, r.every); err != nil {
						t.Fatal(err)
					}
				}
				files = append(files, rf)
			}
			data := filepath.Join(t.TempDir(), "data")
			ctx := context.Background()
			if err := simhistory.CachedBackfill(ctx, promtool, sp, "test", data); err != nil {
				t.Fatal(err)
			}
			url := testenv.StartPrometheus(t, prom, data)
			out := filepath.Join(t.TempDir(), "blocks")
			st := time.Now()
			var err error
			if c.window == 0 {
				err = simhistory.BackfillRules(ctx, promtool, url, files, from, to, out)
			} else {
				err = simhistory.BackfillRulesWindows(ctx, promtool, url, files, from, to, out, c.window)
			}
			if err != nil {
				t.Fatal(err)
			}
			// promtool's 2 h blocks, merged by day (the bench merges them by its
			// generated block's span): per rule file, the 12 of 3 October and
			// the one holding the last evaluation, 4 October 00:00.
			before, after, err := tsdbwrite.CompactBlocks(ctx, out, 24*time.Hour)
			if err != nil || before != 13*len(files) || after != 2 {
				t.Fatalf("CompactBlocks: %d → %d blocks (want %d → 2), %v", before, after, 13*len(files), err)
			}
			lctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			defer cancel()
			moved, err := simhistory.LoadBlocks(lctx, url, out, data)
			if err != nil || moved != 2 {
				t.Fatalf("LoadBlocks: %d blocks (want 2), %v", moved, err)
			}
			t.Logf("back-filled and loaded %d blocks in %v", moved, time.Since(st))
			for _, r := range c.rules {
				t.Run(r.rec, func(t *testing.T) { checkRecorded(t, url, sp, r.rec, to) })
			}
		})
	}
	rf := filepath.Join(t.TempDir(), "line.yml")
	if _, err := simhistory.SelectRules("../../rules/recording.yml", []string{"jianguan.line"}, nil, rf); err != nil {
		t.Fatal(err)
	}
	if err := simhistory.BackfillRulesWindows(context.Background(), promtool, "http://127.0.0.1:1", []string{rf}, from, to, t.TempDir(), 0); err == nil || !strings.Contains(err.Error(), "not positive") {
		t.Errorf("a window of 0: %v, want an error saying it is not positive", err)
	}
}

// checkRecorded checks the recorded series rec (of the lines' traffic) at
// the Prometheus at url over the day ending at to: a point at every minute
// the rule has a value, on the minute, equal to the rule's expression over
// the raw samples, nonzero.
func checkRecorded(t *testing.T, url string, sp simhistory.Spec, rec string, to time.Time) {
	t.Helper()
	expr := recordedExpr(t, rec)
	at := fmt.Sprintf(" @ %d", to.Unix())
	// One recorded series per line and direction with a counter.
	want := map[string]bool{}
	for _, g := range sp.Gauges {
		if g.Name == metricnames.LineInterfaceReceiveBytes || g.Name == metricnames.LineInterfaceTransmitBytes {
			want[g.Labels["line"]+"|"+g.Name] = true
		}
	}
	for _, c := range []struct {
		name, q string
		want    string // every series' value
	}{
		{"a point wherever the rule has a value", "count_over_time(" + rec + "[1d]" + at + ") - count_over_time((" + expr + ")[1d:1m]" + at + ")", "0"},
		{"on the minute", "count_over_time((timestamp(" + rec + ") % 60 != 0)[1d:1m]" + at + ") or count_over_time(" + rec + "[1d]" + at + ") * 0", "0"},
		{"the rule's expression over the raw samples", "max_over_time(abs(" + rec + " - (" + expr + "))[1d:1m]" + at + ")", "0"},
		{"nonzero traffic", "min_over_time(" + rec + "[1d]" + at + ") > 0", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := testenv.Query(url, c.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%s: %d series, want %d (lines × directions): %v", c.q, len(got), len(want), got)
			}
			for _, s := range got {
				if c.want != "" && s.Value != c.want {
					t.Errorf("%v: %s, want %s", s.Labels, s.Value, c.want)
				}
			}
		})
	}
}

// TestGroupOffsetAligned: the file names BackfillRules picks put every
// group's evaluations on multiples of its interval (Prometheus 2.42's
// offset; promtool's points would otherwise sit up to one interval off).
func TestGroupOffsetAligned(t *testing.T) {
	for _, c := range []struct {
		group, file string
		iv          time.Duration
	}{
		{"jianguan.line", "/etc/prometheus/rules/recording.yml", time.Minute},
		{"jianguan.report", "rules/recording.yml", time.Hour},
	} {
		off := simhistory.GroupOffset(c.group, c.file, c.iv)
		if off < 0 || off >= c.iv {
			t.Errorf("%s in %s: offset %v outside [0, %v)", c.group, c.file, off, c.iv)
		}
		if off == simhistory.GroupOffset(c.group, c.file+"x", c.iv) {
			t.Errorf("%s: offset does not depend on the file name", c.group)
		}
	}
}

// TestSetInterval: every group of a rule file gets the interval, whether it
// had one or not, with its rules unchanged; a non-positive one is an error.
func TestSetInterval(t *testing.T) {
	src := `groups:
  - name: a
    interval: 1m
    rules:
      - record: x
        expr: vector(1)
  - name: b
    rules:
      - record: "y"
        expr: vector(2)
`
	for _, c := range []struct {
		every time.Duration
		want  string // every group's interval ("": an error)
	}{
		{5 * time.Minute, "5m"},
		{time.Hour, "1h"},
		{24 * time.Hour, "1d"},
		{0, ""},
		{-time.Minute, ""},
	} {
		t.Run(c.every.String(), func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "r.yml")
			if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			err := simhistory.SetInterval(f, c.every)
			if c.want == "" {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(f)
			var doc struct {
				Groups []struct {
					Name, Interval string
					Rules          []struct{ Record, Expr string }
				}
			}
			if err := yaml.Unmarshal(b, &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Groups) != 2 {
				t.Fatalf("%d groups, want 2:\n%s", len(doc.Groups), b)
			}
			for i, g := range doc.Groups {
				if g.Interval != c.want || len(g.Rules) != 1 || g.Rules[0].Record != []string{"x", "y"}[i] || g.Rules[0].Expr != []string{"vector(1)", "vector(2)"}[i] {
					t.Errorf("group %s: interval %q, rules %v; want %s and its rule unchanged", g.Name, g.Interval, g.Rules, c.want)
				}
			}
		})
	}
}
