package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestEfficiencyCLI: --kind efficiency refuses a bad efficiency.yml or
// window with file:line before any query, and against Prometheus 2.42 with
// the 15 s node_exporter month writes the CSV of one unit (--filter): its
// idle host, its host without data as 无数据, no other unit's host; with
// --all every format of it (and no other kind) into --out-dir.
func TestEfficiencyCLI(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "efficiency.yml")
	if err := os.WriteFile(bad, []byte("rate_window: 5m\ndefault:\n  cpu_used: 'sum(rate(node_cpu_seconds_total[5m])'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--efficiency.config=" + bad}, []string{"--efficiency.config", bad + ":3", "default.cpu_used", "PromQL does not parse"}},
		{[]string{"--efficiency.config=" + filepath.Join(dir, "absent.yml")}, []string{"absent.yml", "no such file"}},
		{[]string{"--efficiency.config=../../deploy/etc/jianguan/efficiency.yml", "--efficiency.rate-window=1s"}, []string{"efficiency.yml:15: rate_window: 1s"}},
		{[]string{"--efficiency.config=", "--efficiency.rate-window=1s"}, []string{"built-in mapping", "rate_window: 1s"}},
		{[]string{"--efficiency.max-series=-1"}, []string{"max_series_per_query: -1"}},
		{[]string{"--filter=bad-label=x"}, []string{"filter", "bad-label"}},
	} {
		// Prometheus at a closed port: the configuration must fail first.
		err := run(append([]string{"--prometheus.url=http://127.0.0.1:1", "--kind=efficiency", "--month=2026-10", "-o", filepath.Join(dir, "r.html")}, c.args...))
		if err == nil {
			t.Fatalf("%v: no error", c.args)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %v (want %q)", c.args, err, w)
			}
		}
	}

	promtool := testutil.Need(t, "promtool")
	prom := testutil.Need(t, "prometheus")
	data := filepath.Join(t.TempDir(), "data")
	// The same history and cache key as internal/efficiency's tests.
	if err := simhistory.CachedBackfill(context.Background(), promtool, simhistory.NodeTestScenario(2026, time.October, 15*time.Second), "efficiency-v1", data); err != nil {
		t.Fatal(err)
	}
	url := testenv.StartPrometheus(t, prom, data)
	out := filepath.Join(dir, "efficiency.csv")
	if err := run([]string{"--prometheus.url=" + url, "--kind=efficiency", "--month=2026-10", "--filter=unit=市卫健委", "--format=csv", "-o", out}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	csv := string(b)
	for _, w := range []string{"使用单位云资源使用绩效评估分析结果", "市卫健委,华为云,wjw-idle-1,闲置", "市卫健委,华为云,wjw-nodata-1,无数据", `unit=""市卫健委""`} {
		if !strings.Contains(csv, w) {
			t.Errorf("CSV without %q", w)
		}
	}
	for _, w := range []string{"gab-idle-1", "市公安局", "jyj-"} {
		if strings.Contains(csv, w) {
			t.Errorf("CSV filtered to 市卫健委 has %q", w)
		}
	}
	// Any complete period the reports accept (issue 16 item 4): a range
	// of October is computed over its own span and says 本期, not 本月; the
	// current, unfinished month is refused naming what is accepted.
	rng := filepath.Join(dir, "efficiency-range.json")
	if err := run([]string{"--prometheus.url=" + url, "--kind=efficiency", "--period=2026-10-01..2026-10-15", "--filter=unit=市卫健委", "--format=json", "-o", rng}); err != nil {
		t.Fatalf("a range of October: %v", err)
	}
	if b, err = os.ReadFile(rng); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"periodStart": "2026-10-01T00:00:00+08:00"`, `"periodEnd": "2026-10-16T00:00:00+08:00"`, "CPU 期均", "报告期按北京时间计算"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("the range's document lacks %q", w)
		}
	}
	if strings.Contains(string(b), "本月") {
		t.Error("the range's document says 本月")
	}
	cur := calendar.MonthOf(time.Now()).String()
	if err := run([]string{"--prometheus.url=" + url, "--kind=efficiency", "--period=" + cur, "-o", filepath.Join(dir, "cur.html")}); err == nil || !strings.Contains(err.Error(), "is not finished") || !strings.Contains(err.Error(), "quarter, year, service period or range") {
		t.Errorf("the unfinished month %s: %v", cur, err)
	}
	// --all --kind efficiency: every format from one evaluation.
	all := filepath.Join(dir, "all")
	if err := run([]string{"--prometheus.url=" + url, "--all", "--kind=efficiency", "--month=2026-10", "--filter=unit=市卫健委", "--out-dir=" + all}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"html", "pdf", "csv", "xlsx", "json"} {
		if st, err := os.Stat(filepath.Join(all, "efficiency-2026-10."+f)); err != nil || st.Size() == 0 {
			t.Errorf("--all: efficiency-2026-10.%s: %v", f, err)
		}
	}
	if ents, _ := os.ReadDir(all); len(ents) != 5 {
		t.Errorf("--all --kind efficiency wrote %d files, want 5 (no other kind)", len(ents))
	}
	// --freeze once (a second freeze is refused with the SHA-256), then
	// --snapshot renders the frozen document without Prometheus.
	snap := filepath.Join(dir, "snapshots", "efficiency-2026-10.json")
	args := []string{"--prometheus.url=" + url, "--kind=efficiency", "--month=2026-10", "--filter=unit=市卫健委", "--freeze=" + snap, "-o", filepath.Join(dir, "f.html")}
	if err := run(args); err != nil {
		t.Fatal(err)
	}
	if err := run(args); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("second freeze: %v", err)
	}
	frozen := filepath.Join(dir, "frozen.html")
	if err := run([]string{"--prometheus.url=http://127.0.0.1:1", "--kind=efficiency", "--snapshot=" + snap, "-o", frozen}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(frozen); !strings.Contains(string(b), "wjw-idle-1") || !strings.Contains(string(b), "已冻结") {
		t.Errorf("frozen document without its host or the frozen mark")
	}
}
