package efficiency_test

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/efficiency"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// The test month: 2026-10 (31 days) at 15 s scrapes, as node_exporter is
// scraped in production.
var (
	monthStart, monthEnd = simhistory.MonthBounds(2026, time.October)
	testNow              = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
)

var testHosts, noNodeHost = simhistory.NodeTestHosts(2026, time.October)

func testSpec() simhistory.Spec {
	return simhistory.NodeTestScenario(2026, time.October, 15*time.Second)
}

// startPrometheus backfills the 15 s month (cached per machine) and starts
// Prometheus 2.42 on it.
func startPrometheus(t *testing.T) string {
	t.Helper()
	promtool := testutil.Need(t, "promtool")
	prom := testutil.Need(t, "prometheus")
	dir := filepath.Join(t.TempDir(), "data")
	st := time.Now()
	// "efficiency-v1": bump when NodeGauges' values change (the cache key
	// sees names and labels only).
	if err := simhistory.CachedBackfill(context.Background(), promtool, testSpec(), "efficiency-v1", dir); err != nil {
		t.Fatal(err)
	}
	t.Logf("backfill ready in %v", time.Since(st))
	return testenv.StartPrometheus(t, prom, dir)
}

func month(t *testing.T) report.Month {
	m, err := report.ParseMonth("2026-10", report.Shanghai, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return report.PeriodMonth(m)
}

func evaluate(t *testing.T, url string, o efficiency.Options) (*efficiency.Result, *efficiency.Config, error) {
	t.Helper()
	c, err := efficiency.Load("../../deploy/etc/jianguan/efficiency.yml", o)
	if err != nil {
		t.Fatal(err)
	}
	st := time.Now()
	r, err := efficiency.Evaluate(context.Background(), promapi.New(url), c, month(t))
	t.Logf("evaluated in %v", time.Since(st))
	return r, c, err
}

// shared is the evaluation of the shipped mapping over the test month,
// computed once per test process (the first test that needs it starts
// Prometheus; the others read the same result).
var shared struct {
	once sync.Once
	r    *efficiency.Result
	c    *efficiency.Config
	err  error
}

func sharedEvaluation(t *testing.T) (*efficiency.Result, *efficiency.Config) {
	t.Helper()
	shared.once.Do(func() {
		url := startPrometheus(t)
		shared.r, shared.c, shared.err = evaluate(t, url, efficiency.Options{})
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	if shared.r == nil {
		t.Fatal("the shared evaluation failed in an earlier test")
	}
	return shared.r, shared.c
}

func hostByName(r *efficiency.Result, name string) *efficiency.Host {
	for i := range r.Hosts {
		if r.Hosts[i].Host == name {
			return &r.Hosts[i]
		}
	}
	return nil
}

func within(t *testing.T, what string, got *float64, want, tol float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: 无数据, want %.6g", what, want)
		return
	}
	if math.Abs(*got-want) > tol {
		t.Errorf("%s = %.6g, want %.6g ± %.3g", what, *got, want, tol)
	}
}

// TestEfficiencyIdleHosts: the shipped mapping against Prometheus 2.42 with
// a month of 15 s node_exporter-style data finds exactly the two idle hosts
// (two units), and its figures match the simulated truth: allocation,
// utilisation mean and p95 (a daily sine: mean + 0.9877·swing), tmpfs and
// lo left out, traffic bytes and p95 rate.
func TestEfficiencyIdleHosts(t *testing.T) {
	r, _ := sharedEvaluation(t)
	var idle []string
	for _, h := range r.Idle() {
		idle = append(idle, h.Unit+"/"+h.Host)
	}
	if got, want := strings.Join(idle, ","), "市公安局/gab-idle-1,市卫健委/wjw-idle-1"; got != want {
		t.Errorf("idle hosts %s, want %s", got, want)
	}
	states := map[string]string{"gab-idle-1": efficiency.StateIdle, "wjw-idle-1": efficiency.StateIdle, "gab-app-1": efficiency.StateActive,
		"jyj-app-1": efficiency.StateActive, "jyj-new-1": efficiency.StateInsufficient, "wjw-nodata-1": efficiency.StateNoData}
	if len(r.Hosts) != len(states) {
		t.Errorf("%d hosts, want %d", len(r.Hosts), len(states))
	}
	for name, want := range states {
		h := hostByName(r, name)
		if h == nil {
			t.Errorf("%s missing", name)
			continue
		}
		if h.State != want || !h.Known {
			t.Errorf("%s: state %s known %v, want %s known", name, h.State, h.Known, want)
		}
	}
	month := monthEnd.Sub(monthStart).Seconds()
	for _, nh := range testHosts {
		if !nh.From.IsZero() {
			continue
		}
		name := nh.Labels["host"]
		h := hostByName(r, name)
		within(t, name+" vCPU", h.CPU.Allocated, float64(nh.VCPU), 0)
		within(t, name+" CPU mean", h.CPU.UtilMean, nh.CPUBusy, 0.002)
		within(t, name+" CPU p95", h.CPU.UtilP95, nh.CPUBusy+simhistory.SineP95*nh.CPUSwing, 0.005)
		within(t, name+" coverage", h.Coverage, 1, 0.001)
		within(t, name+" memory allocated", h.Memory.Allocated, nh.MemoryBytes, 0)
		within(t, name+" memory mean", h.Memory.UtilMean, nh.MemoryUsed, 0.002)
		within(t, name+" memory p95", h.Memory.UtilP95, nh.MemoryUsed+simhistory.SineP95*0.05, 0.003)
		within(t, name+" disk allocated (tmpfs left out)", h.Disk.Allocated, nh.DiskBytes, 0)
		within(t, name+" disk mean", h.Disk.UtilMean, nh.DiskUsed, 1e-6)
		within(t, name+" bytes in (lo left out)", h.In.Bytes, nh.RxRate*month, 0.01*nh.RxRate*month)
		within(t, name+" bytes out", h.Out.Bytes, nh.TxRate*month, 0.01*nh.TxRate*month)
		within(t, name+" in p95", h.In.RateP95, nh.RxRate*(1+0.5*simhistory.SineP95), 0.01*nh.RxRate)
	}
	// The unit's utilisation is its total used over its total allocated:
	// 市公安局's two 1-vCPU hosts average (0.02 + 0.4) / 2.
	for _, g := range r.Units {
		switch g.Name {
		case "市公安局":
			within(t, "市公安局 CPU mean", g.CPU.UtilMean, 0.21, 0.002)
			if g.Hosts != 2 || g.Idle != 1 || g.NoData != 0 {
				t.Errorf("市公安局: %+v", g)
			}
		case "市卫健委":
			if g.Hosts != 2 || g.Idle != 1 || g.NoData != 1 {
				t.Errorf("市卫健委: hosts %d idle %d no data %d, want 2 1 1", g.Hosts, g.Idle, g.NoData)
			}
		}
	}
	if len(r.Platforms) != 2 {
		t.Errorf("platforms %+v", r.Platforms)
	}
}

// TestEfficiencyNoDataNotIdle: a host without any node data (in the
// inventory only) is 无数据 — no utilisation figure at all, never 0 %,
// never idle — and a host with five days of data out of 31 is 数据不足,
// not idle although its CPU p95 is 1.5 %; the document says so in both.
func TestEfficiencyNoDataNotIdle(t *testing.T) {
	r, c := sharedEvaluation(t)
	h := hostByName(r, "wjw-nodata-1")
	if h == nil {
		t.Fatal("the inventory host without node data is missing (it must be listed as 无数据)")
	}
	if h.State != efficiency.StateNoData || h.CPU.UtilMean != nil || h.CPU.UtilP95 != nil || h.Memory.UtilMean != nil || h.Coverage != nil {
		t.Errorf("wjw-nodata-1: %+v, want no figures", h)
	}
	n := hostByName(r, "jyj-new-1")
	if n == nil || n.State != efficiency.StateInsufficient || n.CPU.UtilP95 == nil || *n.CPU.UtilP95 >= c.Idle.CPUP95Below {
		t.Fatalf("jyj-new-1: %+v, want 数据不足 with a p95 below the threshold", n)
	}
	within(t, "jyj-new-1 coverage", n.Coverage, 5.0/31, 0.002)
	d, err := efficiency.Document(r, c, month(t), efficiency.DocOptions{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	var nodata, idleT *report.Table
	for i := range d.Sections {
		for j := range d.Sections[i].Tables {
			switch d.Sections[i].Tables[j].ID {
			case "nodata-hosts":
				nodata = &d.Sections[i].Tables[j]
			case "idle-hosts":
				idleT = &d.Sections[i].Tables[j]
			}
		}
	}
	if nodata == nil || idleT == nil {
		t.Fatal("document without the idle or no-data table")
	}
	rows := map[string][]string{}
	for _, row := range nodata.Rows {
		rows[row[2]] = row
	}
	if row := rows["wjw-nodata-1"]; row == nil || row[3] != "无数据" || row[5] != "无数据" || row[6] != "无数据" {
		t.Errorf("no-data row %q, want 无数据 for the state and the utilisation", row)
	}
	if row := rows["jyj-new-1"]; row == nil || row[3] != "数据不足" {
		t.Errorf("insufficient row %q", row)
	}
	for _, row := range idleT.Rows {
		if row[2] == "wjw-nodata-1" || row[2] == "jyj-new-1" {
			t.Errorf("%s listed as idle", row[2])
		}
	}
}

// TestEfficiencySeriesBound: max_series_per_query is a bound, not a
// truncation: 6 hosts in the inventory pass with 6 and fail with 5, the
// error naming the query and the bound.
func TestEfficiencySeriesBound(t *testing.T) {
	url := startPrometheus(t)
	for _, tc := range []struct {
		max     int
		wantErr string
	}{
		{6, ""},
		{5, "host/inventory/known 返回 6 条序列，超过上限 max_series_per_query=5"},
		{1, "超过上限 max_series_per_query=1"},
	} {
		r, _, err := evaluate(t, url, efficiency.Options{MaxSeries: tc.max})
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("max %d: %v", tc.max, err)
		case tc.wantErr == "" && len(r.Hosts) != 6:
			t.Errorf("max %d: %d hosts", tc.max, len(r.Hosts))
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("max %d: error %v, want %q", tc.max, err, tc.wantErr)
		case tc.wantErr != "" && report.KindOf(err) != report.ErrTooLarge:
			t.Errorf("max %d: error kind %v, want ErrTooLarge", tc.max, report.KindOf(err))
		}
	}
}
