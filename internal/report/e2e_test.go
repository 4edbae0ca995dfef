package report_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/simhistory/tsdbwrite"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// E2EMonth is the month the e2e history covers (in the past).
const e2eYear, e2eMonth = 2026, time.October

// startE2EPrometheus backfills the test scenario and starts Prometheus 2.42.
func startE2EPrometheus(t *testing.T) (string, simhistory.Spec) {
	prom := testutil.Need(t, "prometheus")
	dir, sp := e2eData(t)
	return testenv.StartPrometheus(t, prom, dir), sp
}

// e2eData backfills the test scenario into a new data directory.
func e2eData(t *testing.T) (string, simhistory.Spec) {
	promtool := testutil.Need(t, "promtool")
	sp := simhistory.TestScenario(e2eYear, e2eMonth, 300*time.Second)
	dir := filepath.Join(t.TempDir(), "data")
	st := time.Now()
	if err := simhistory.CachedBackfill(context.Background(), promtool, sp, "test", dir); err != nil {
		t.Fatal(err)
	}
	t.Logf("backfill ready in %v", time.Since(st))
	return dir, sp
}

// blocksData writes specs as one-day TSDB blocks (tsdbwrite) into a new
// data directory for Prometheus.
func blocksData(t *testing.T, specs ...simhistory.Spec) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, sp := range specs {
		blocks := filepath.Join(t.TempDir(), "blocks")
		if _, err := tsdbwrite.Write(context.Background(), sp, blocks, tsdbwrite.Options{Block: 24 * time.Hour, Parallel: 2}); err != nil {
			t.Fatal(err)
		}
		if n, err := simhistory.MoveBlocks(blocks, data); err != nil || n == 0 {
			t.Fatalf("%d blocks moved: %v", n, err)
		}
	}
	return data
}

// atMonthEnd is an evaluation time in PromQL from October 2026's end
// (1793462400) to 93 min past it (1793467999).
var atMonthEnd = regexp.MustCompile(`@ 179346[2-7]\d{3}\b`)

// key drops empty labels as Prometheus does.
func key(ns string, l map[string]string) string {
	m := map[string]string{}
	for k, v := range l {
		if v != "" {
			m[k] = v
		}
	}
	return ns + simhistory.LabelString(m)
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1 }

func TestE2ERealPrometheus(t *testing.T) {
	url, sp := startE2EPrometheus(t)
	q := promapi.New(url)
	cfg := report.DefaultConfig()
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	m, err := report.ParseMonth("2026-10", cfg.Location, now)
	if err != nil {
		t.Fatal(err)
	}
	ms, me := simhistory.MonthBounds(e2eYear, e2eMonth)
	if !m.Start.Equal(ms) || m.Start.UTC().Format(time.RFC3339) != "2026-09-30T16:00:00Z" || !m.End.Equal(me) {
		t.Fatalf("month bounds %v %v", m.Start.UTC(), m.End.UTC())
	}
	ctx := context.Background()
	docs := map[string]*report.Document{}
	for _, k := range report.Kinds {
		st := time.Now()
		d, err := report.Build(ctx, q, cfg, k, m)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		t.Logf("%s built in %v (%d queries)", k, time.Since(st), len(d.Audit.Queries))
		docs[k] = d
	}
	byKey := map[string]report.EntityResult{}
	for _, k := range []string{report.KindLines, report.KindHosts, report.KindInfrastructure} {
		for _, e := range docs[k].Entities {
			byKey[key(e.NS, e.Labels)] = e
		}
	}
	for _, e := range sp.Entities {
		key := key(e.NS, e.Labels)
		got, ok := byKey[key]
		if !ok {
			t.Errorf("%s missing from reports", key)
			continue
		}
		tr := e.TruthFor(ms, me)
		if !near(got.DownSeconds, tr.Down) || !near(got.MaintenanceDownSeconds, tr.MaintenanceDown) ||
			!near(got.MaintenanceSeconds, tr.Maintenance) || !near(got.ObservedSeconds, tr.Observed) || !near(got.UnknownSeconds, tr.Unknown) {
			t.Errorf("%s: got down=%v mdown=%v maint=%v obs=%v unknown=%v; truth %+v", key, got.DownSeconds, got.MaintenanceDownSeconds,
				got.MaintenanceSeconds, got.ObservedSeconds, got.UnknownSeconds, tr)
		}
		if len(got.Incidents) != len(tr.Incidents) {
			t.Errorf("%s: %d incidents, truth %d: %+v vs %+v", key, len(got.Incidents), len(tr.Incidents), got.Incidents, tr.Incidents)
			continue
		}
		for i, in := range tr.Incidents {
			g := got.Incidents[i]
			end := in.End
			if end.After(me) {
				end = me
			}
			if math.Abs(float64(g.StartUnix-in.Start.Unix())) > 1 || math.Abs(float64(g.EndUnix-end.Unix())) > 1 || g.Maintenance != in.Maintenance {
				t.Errorf("%s incident %d: got %s – %s maint=%v, truth %s – %s maint=%v", key, i, g.Start, g.End, g.Maintenance, in.Start, end, in.Maintenance)
			}
			a, b := in.Start, end
			if a.Before(ms) {
				a = ms
			}
			if !near(g.Seconds, b.Sub(a).Seconds()) {
				t.Errorf("%s incident %d: %v s in month, truth %v", key, i, g.Seconds, b.Sub(a).Seconds())
			}
		}
	}
	// Month boundary and status checks on named entities.
	find := func(name string) report.EntityResult {
		for _, e := range byKey {
			if e.Name == name {
				return e
			}
		}
		t.Fatalf("%s not found", name)
		return report.EntityResult{}
	}
	ct := find("ct-bgp-1")
	if ct.DownSeconds != 95+125+41 || len(ct.Incidents) != 3 || ct.Incidents[0].Seconds != 95 || ct.Status != report.StatusMet {
		t.Errorf("ct-bgp-1 (outage across the month start): %+v", ct)
	}
	cu := find("cu-leased-1")
	if cu.DownSeconds != 20+50 || cu.MaintenanceDownSeconds != 300 || !cu.Incidents[len(cu.Incidents)-1].Ongoing {
		t.Errorf("cu-leased-1 (maintenance, outage across the month end): %+v", cu)
	}
	cm := find("cm-bgp-2")
	if cm.Status != report.StatusIndeterminate || cm.Counters["line_observed_seconds_total"].Resets != 1 {
		t.Errorf("cm-bgp-2 (exporter gap, unknown time > remaining budget) must be indeterminate with a reset: %+v", cm)
	}
	// Restarts found from line_start_time_seconds and a short window of
	// samples before each (no availability query reads every sample of the
	// month; gauge statistics such as temperature min/max must).
	for name, want := range map[string]int{"ct-leased-2": 2, "https://jy.example.gov.cn/": 1} {
		e := find(name)
		for n, c := range e.Counters {
			if c.Resets != want || !strings.Contains(c.Note, "start_time_seconds") {
				t.Errorf("%s %s: %d resets (%s), want %d from the start time", name, n, c.Resets, c.Note, want)
			}
		}
	}
	for _, k := range report.Kinds {
		for _, q := range docs[k].Audit.Queries {
			if strings.Contains(q.PromQL, "resets(") || strings.Contains(q.PromQL, "_observed_seconds_total") && strings.Contains(q.PromQL, "[2678400s]") {
				t.Errorf("%s: an availability query reads every sample of the month: %s", k, q.PromQL)
			}
		}
	}
	// The contract sets no availability target for websites: availability
	// without a verdict by default; with a configured internal target the
	// same 600 s are judged against its budget (268 s).
	if w := find("https://www.example.gov.cn/"); w.Status != report.StatusNoTarget || w.DownSeconds != 600 || w.Target != 0 {
		t.Errorf("website without a target: %+v", w)
	}
	icfg := cfg
	icfg.Targets = map[string]report.Target{"bgp": {Ratio: 0.9999}, "website": {Ratio: 0.9999, Internal: true}}
	hd, err := report.Build(ctx, q, icfg, report.KindHosts, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range hd.Entities {
		if w.Name == "https://www.example.gov.cn/" && (w.Status != report.StatusBreached || w.DownSeconds != 600 || !w.TargetInternal) {
			t.Errorf("website with an internal target: %+v", w)
		}
	}
	checkLineQuality(t, q, sp, docs[report.KindLines], ms, me)
	// Headless Chromium: layout, charts, Chinese headings, screenshot.
	var html bytes.Buffer
	report.RenderHTML(&html, docs[report.KindLines])
	checkHTMLInChromium(t, html.Bytes())
	// Renderers produce output and carry the audit.
	for _, k := range report.Kinds {
		for _, f := range []string{"html", "csv", "json", "xlsx"} {
			var b bytes.Buffer
			if err := report.Render(&b, docs[k], f); err != nil {
				t.Fatalf("%s.%s: %v", k, f, err)
			}
			if b.Len() < 500 {
				t.Errorf("%s.%s: only %d bytes", k, f, b.Len())
			}
			// The audit's first queries (printedQueries) evaluated at the
			// month end or past it (the edge read, edgeread.go: 1 min; the
			// recorded hours': 20 min + 1 h).
			if f == "html" && (!atMonthEnd.Match(b.Bytes()) || !strings.Contains(b.String(), "<svg")) {
				t.Errorf("%s.html lacks audit PromQL at the month end or charts", k)
			}
			if os.Getenv("REPORT_OUT") != "" {
				os.WriteFile(filepath.Join(os.Getenv("REPORT_OUT"), k+"."+f), b.Bytes(), 0o644)
			}
		}
	}
}

// checkLineQuality compares the lines report's flaps, loss and RTT
// percentiles with the generator's counters (restarted lines included: their
// counters restart at 0 with the exporter) and the percentiles with
// Prometheus' own histogram_quantile on the same month.
func checkLineQuality(t *testing.T, q *promapi.Client, sp simhistory.Spec, d *report.Document, ms, me time.Time) {
	t.Helper()
	gauge := func(name, line string) simhistory.Gauge {
		for _, g := range sp.Gauges {
			if g.Name == name && g.Labels["line"] == line {
				return g
			}
		}
		t.Fatalf("no %s for %s", name, line)
		return simhistory.Gauge{}
	}
	res, err := q.Query(context.Background(), `histogram_quantile(0.95, sum by (line, le) (increase(line_icmp_rtt_seconds_bucket[2678400s] @ 1793462400)))`, me)
	if err != nil {
		t.Fatal(err)
	}
	promP95 := map[string]float64{}
	for _, s := range res {
		promP95[s.Labels["line"]] = s.Points[0].V
	}
	n := 0
	for _, e := range d.Entities {
		n++
		flaps := sp.Increase(gauge("line_bgp_established_transitions_total", e.Name), ms, me)
		loss := 1 - sp.Increase(gauge("line_icmp_replies_total", e.Name), ms, me)/sp.Increase(gauge("line_icmp_probes_total", e.Name), ms, me)
		if e.Extra["bgp_flaps"] != flaps || math.Abs(e.Extra["loss"]-loss) > 1e-12 {
			t.Errorf("%s: flaps %v loss %v, truth %v and %v", e.Name, e.Extra["bgp_flaps"], e.Extra["loss"], flaps, loss)
		}
		for k, qq := range map[string]float64{"rtt_p50": 0.5, "rtt_p95": 0.95, "rtt_p99": 0.99} {
			if want := simhistory.RTTQuantiles[qq]; math.Abs(e.Extra[k]-want) > 0.005*want {
				t.Errorf("%s: %s %v, truth %v", e.Name, k, e.Extra[k], want)
			}
		}
		if p := promP95[e.Name]; math.Abs(e.Extra["rtt_p95"]-p) > 0.01*p {
			t.Errorf("%s: p95 %v, Prometheus' histogram_quantile %v", e.Name, e.Extra["rtt_p95"], p)
		}
	}
	// ct-leased-2's two restarts are read at the last scrapes the
	// availability walk found; only cm-bgp-2 (restarted 2 h after its last
	// sample, beyond the walk's window) reads its month of samples.
	lastScrapes := 0
	for _, q := range d.Audit.Queries {
		if strings.Contains(q.Purpose, "raw samples in the month") && !strings.HasPrefix(q.Purpose, report.TrendAuditPrefix) && !strings.Contains(q.PromQL, `line=~"cm-bgp-2"}`) {
			t.Errorf("lines: a query reads the month's samples of more than cm-bgp-2: %s", q.PromQL)
		}
		if strings.Contains(q.Purpose, "last scrape of a lifetime") {
			lastScrapes++
		}
	}
	if lastScrapes != 2 {
		t.Errorf("lines: %d queries at a lifetime's last scrape, want 2 (ct-leased-2's restarts)", lastScrapes)
	}
	if n != 4 || d.Entities[0].Extra["bgp_flaps"] == 0 {
		t.Errorf("line quality checked on %d lines (want 4), first with %v flaps", n, d.Entities[0].Extra["bgp_flaps"])
	}
}
