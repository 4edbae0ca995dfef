package report_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/metricnames"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestTrafficRuleIsTheGoExpression: the recording rule
// line:line_interface_bits:rate5m in rules/recording.yml is
// report.TrafficBitsRate5m of each direction's counter (the raw path
// computes exactly what the rule records), line:line_interface_bits:rate5m_step5m
// the same filtered to every fifth minute (report.TrafficStep5m), and their
// group is evaluated every report.TrafficRuleInterval (the recorded path's
// coverage check).
func TestTrafficRuleIsTheGoExpression(t *testing.T) {
	b, err := os.ReadFile("../../rules/recording.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Groups []struct {
			Name, Interval string
			Rules          []struct{ Record, Expr string }
		}
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	want := norm(fmt.Sprintf(`label_replace(%s, "direction", "receive", "", "") or label_replace(%s, "direction", "transmit", "", "")`,
		report.TrafficBitsRate5m(metricnames.LineInterfaceReceiveBytes), report.TrafficBitsRate5m(metricnames.LineInterfaceTransmitBytes)))
	wants := map[string]string{
		metricnames.LineInterfaceBitsRate5m: want,
		// the same at every fifth minute
		metricnames.LineInterfaceBitsRate5mStep5m: "( " + want + " ) and on() (" + report.TrafficStep5m + ")",
	}
	found := 0
	for _, g := range doc.Groups {
		for _, r := range g.Rules {
			w, ok := wants[r.Record]
			if !ok {
				continue
			}
			found++
			if got := norm(r.Expr); got != w {
				t.Errorf("rules/recording.yml %s:\n%s\nreport.TrafficBitsRate5m per direction:\n%s", r.Record, got, w)
			}
			if iv, err := time.ParseDuration(g.Interval); err != nil || iv != report.TrafficRuleInterval {
				t.Errorf("group %s interval %q, report.TrafficRuleInterval %v", g.Name, g.Interval, report.TrafficRuleInterval)
			}
		}
	}
	if found != len(wants) {
		t.Fatalf("%d rules record %s and %s, want one each", found, metricnames.LineInterfaceBitsRate5m, metricnames.LineInterfaceBitsRate5mStep5m)
	}
}

// TestTrafficP95RecordedEqualsRaw back-fills the recorded traffic over the
// test scenario's history (simhistory.BackfillRules: evaluations on the
// minute) and builds the October lines report twice, from the recorded
// series and with Config.RawTraffic: the same P95 per line and direction,
// to the bit. A line whose recorded series has holes in the month (its
// exporter's gap) is not covered and takes the raw path in both builds;
// every other line takes the recorded path. With the group's marker
// (metricnames.LineRulesEvaluated) back-filled from 3 October, a range from 4 October takes
// the recorded path for every line, with the same figures, and no raw query.
func TestTrafficP95RecordedEqualsRaw(t *testing.T) {
	promtool := testutil.Need(t, "promtool")
	prom := testutil.Need(t, "prometheus")
	sp := simhistory.TestScenario(e2eYear, e2eMonth, 300*time.Second)
	data := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()
	if err := simhistory.CachedBackfill(ctx, promtool, sp, "test", data); err != nil {
		t.Fatal(err)
	}
	// A loaded machine (and Prometheus merging the new blocks): no query
	// may fail on the default 2 min limit.
	p := testenv.StartPrometheusProc(t, prom, data, "--query.timeout=10m")
	url := p.URL
	rf := filepath.Join(t.TempDir(), "line.yml")
	if _, err := simhistory.SelectRules("../../rules/recording.yml", []string{"jianguan.line"}, []string{metricnames.LineInterfaceBitsRate5mStep5m}, rf); err != nil {
		t.Fatal(err)
	}
	ms, me := simhistory.MonthBounds(e2eYear, e2eMonth)
	out := filepath.Join(t.TempDir(), "blocks")
	if err := simhistory.BackfillRules(ctx, promtool, url, []string{rf}, ms.Add(-time.Hour), me.Add(time.Hour), out); err != nil {
		t.Fatal(err)
	}
	// The group's marker from the month's third day on (the rules deployed
	// on 3 October): the month itself takes the per-line coverage check, a
	// range from 4 October the marker path. Both sets of blocks are added
	// with one restart (Prometheus opens every block at start).
	mf := filepath.Join(t.TempDir(), "marker.yml")
	if _, err := simhistory.SelectRules("../../rules/recording.yml", []string{"jianguan.line"}, []string{metricnames.LineRulesEvaluated}, mf); err != nil {
		t.Fatal(err)
	}
	if err := simhistory.BackfillRules(ctx, promtool, url, []string{mf}, ms.Add(48*time.Hour), me.Add(time.Hour), out); err != nil {
		t.Fatal(err)
	}
	p.Terminate()
	if n, err := simhistory.MoveBlocks(out, data); err != nil || n == 0 {
		t.Fatalf("%s: %d blocks moved, %v", out, n, err)
	}
	p.Restart(t)
	// Lines whose exporter left a gap in the month: no rule evaluation
	// there, so their recorded series has a hole.
	holes := map[string]bool{}
	lines := 0
	for _, e := range sp.Entities {
		if e.NS != metricnames.Line.Namespace {
			continue
		}
		lines++
		for _, g := range e.Gaps {
			if g.End.After(ms) && g.Start.Before(me) && g.End.Sub(g.Start) > 5*time.Minute {
				holes[e.Labels["line"]] = true
			}
		}
	}
	if len(holes) == 0 || len(holes) == lines {
		t.Fatalf("the scenario should have lines with and without a hole: %d of %d", len(holes), lines)
	}
	// The recorded path twice: its points read through the remote-read
	// API and the quantile computed by the engine (the default on
	// Prometheus), and PromQL's quantile_over_time over the query API.
	clients := map[bool]*promapi.Client{}
	for _, remote := range []bool{true, false} {
		q := promapi.New(url)
		q.Timeout = 5 * time.Minute // a loaded machine; Prometheus may be merging the new blocks
		q.NoRemoteRead = !remote
		clients[remote] = q
	}
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	m, err := report.ParseMonth("2026-10", report.Shanghai, now)
	if err != nil {
		t.Fatal(err)
	}
	buildVia := func(p calendar.Period, raw, remote bool) *report.Document {
		cfg := report.DefaultConfig()
		cfg.Now = func() time.Time { return now }
		cfg.RawTraffic = raw
		d, err := report.Build(ctx, clients[remote], cfg, report.KindLines, p)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	build := func(p calendar.Period, raw bool) *report.Document { return buildVia(p, raw, true) }
	rec, recAPI, raw := build(m, false), buildVia(m, false, false), build(m, true)
	for _, c := range []struct {
		name     string
		d        *report.Document
		recorded int // at most this many line-directions take the recorded path
		remote   bool
	}{
		{"recorded", rec, 2 * (lines - len(holes)), true}, // receive and transmit
		{"recorded, query API", recAPI, 2 * (lines - len(holes)), false},
		{"RawTraffic", raw, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, rawQueries, remoteReads := 0, 0, 0
			for _, a := range c.d.Audit.Queries {
				if strings.HasPrefix(a.Purpose, report.PreviousAuditPrefix) {
					continue // the previous period's (环比), another period
				}
				if strings.Contains(a.PromQL, "quantile_over_time(0.95, "+metricnames.LineInterfaceBitsRate5m) {
					n += a.Series
					if !strings.Contains(a.Purpose, "recorded") {
						t.Errorf("recorded-path query's purpose does not say so: %s", a.Purpose)
					}
					if strings.HasPrefix(a.PromQL, report.RemoteReadPrefix) {
						remoteReads++
					}
				}
				if strings.Contains(a.PromQL, "quantile_over_time(0.95, (max by (site, line, kind, provider)") {
					rawQueries++
					if !strings.Contains(a.Purpose, "raw interface counters") {
						t.Errorf("raw-path query's purpose does not say so: %s", a.Purpose)
					}
				}
			}
			// Every line with an exporter gap falls back; on the recorded
			// build at least one line takes the recorded path (a line may
			// also miss single minutes, e.g. around a restart, and fall back).
			if n > c.recorded || (c.recorded > 0 && n == 0) {
				t.Errorf("recorded path answered %d line-directions, want 1..%d (both directions of the lines without a gap)", n, c.recorded)
			}
			if rawQueries != 2 {
				t.Errorf("%d raw-path queries, want one per direction", rawQueries)
			}
			if want := map[bool]int{true: 2}[c.remote]; remoteReads != want {
				t.Errorf("%d P95 remote reads, want %d", remoteReads, want)
			}
		})
	}
	byLine := func(d *report.Document) map[string]report.EntityResult {
		m := map[string]report.EntityResult{}
		for _, e := range d.Entities {
			m[e.Name] = e
		}
		return m
	}
	// The remote path as it reads a period longer than a month: a line
	// per remote read (forced here for the month).
	restore := report.SetP95Batches(0, 1)
	batched := build(m, false)
	restore()
	batches := 0
	for _, a := range batched.Audit.Queries {
		if strings.Contains(a.Purpose, "read through the remote-read API in batches") && !strings.HasPrefix(a.Purpose, report.PreviousAuditPrefix) {
			batches++
		}
	}
	if batches != 2 {
		t.Errorf("%d series lookups for the P95's batches, want one per direction", batches)
	}
	rl, al, wl, bl := byLine(rec), byLine(recAPI), byLine(raw), byLine(batched)
	if len(rl) != lines || len(al) != lines || len(wl) != lines || len(bl) != lines {
		t.Fatalf("%d, %d, %d and %d lines in the reports, %d in the scenario", len(rl), len(al), len(wl), len(bl), lines)
	}
	for name, e := range rl {
		for _, k := range []string{"rx_p95", "tx_p95"} {
			a, okA := e.Extra[k]
			b, okB := wl[name].Extra[k]
			c, okC := al[name].Extra[k]
			d, okD := bl[name].Extra[k]
			if okA != okB || a != b || okC != okB || c != b || okD != okB || d != b {
				t.Errorf("%s %s: recorded %v (%v), recorded through the query API %v (%v), recorded a line per remote read %v (%v), raw %v (%v)", name, k, a, okA, c, okC, d, okD, b, okB)
			}
		}
		if _, ok := e.Extra["rx_p95"]; !ok {
			t.Errorf("%s: no receive P95", name)
		}
	}

	// Where the group's marker has every minute (4–31 October), every
	// line takes the recorded path, the lines with holes too, and no
	// raw-path query runs: still the same P95 to the bit (a hole is a
	// minute without a raw 5 m rate on both paths).
	tail, err := calendar.Range(calendar.Date(2026, 10, 4), calendar.Date(2026, 10, 31))
	if err != nil {
		t.Fatal(err)
	}
	wl = byLine(build(tail, true))
	want := 0
	for _, e := range wl {
		for _, k := range []string{"rx_p95", "tx_p95"} {
			if _, ok := e.Extra[k]; ok {
				want++
			}
		}
	}
	for _, remote := range []bool{true, false} {
		marked := buildVia(tail, false, remote)
		n, rawQueries := 0, 0
		for _, a := range marked.Audit.Queries {
			if strings.HasPrefix(a.Purpose, report.PreviousAuditPrefix) {
				continue // the previous period's (环比), another period
			}
			if strings.Contains(a.PromQL, "quantile_over_time(0.95, "+metricnames.LineInterfaceBitsRate5m) {
				n += a.Series
				if !strings.HasPrefix(a.PromQL, report.RemoteReadPrefix) {
					n-- // and the marker check's series
				}
				if !strings.Contains(a.Purpose, "for every line") {
					t.Errorf("marker-path query's purpose does not say so: %s", a.Purpose)
				}
			}
			if strings.Contains(a.PromQL, "quantile_over_time(0.95, (max by (site, line, kind, provider)") {
				rawQueries++
			}
		}
		if n != want || rawQueries != 0 {
			t.Errorf("with the marker (remote read %v): recorded path answered %d line-directions (want %d, every one the raw path has), %d raw-path queries (want 0)", remote, n, want, rawQueries)
		}
		for _, e := range marked.Entities {
			for _, k := range []string{"rx_p95", "tx_p95"} {
				a, okA := e.Extra[k]
				b, okB := wl[e.Name].Extra[k]
				if okA != okB || a != b {
					t.Errorf("with the marker (remote read %v), %s %s: recorded %v (%v), raw %v (%v)", remote, e.Name, k, a, okA, b, okB)
				}
			}
		}
	}
}
