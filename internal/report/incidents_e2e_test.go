package report_test

import (
	"context"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// defectStep is the scrape interval of the issue-17 defect history.
const defectStep = time.Minute

// defectIncidents builds the lines and providers reports of October 2026 from
// a backend holding simhistory.DefectScenario and checks every line's
// incidents against the generator's observed-incident truth: the same
// number, start and end within 1 s where the exporter published the
// transition (exact) and within one scrape interval where the report must
// take a scrape (a restarted exporter publishes none; a recovery inside a gap),
// unknown time within one scrape interval, the 监测中断/ongoing flags, and no
// caveat from the incidents-vs-counters cross-check. It returns the lines'
// incidents by line name.
func defectIncidents(t *testing.T, url string, sp simhistory.Spec) map[string][]report.Incident {
	t.Helper()
	q := promapi.New(url)
	cfg := report.DefaultConfig()
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	m, err := report.ParseMonth("2026-10", cfg.Location, now)
	if err != nil {
		t.Fatal(err)
	}
	ms, me := simhistory.MonthBounds(2026, time.October)
	ctx := context.Background()
	lines, err := report.Build(ctx, q, cfg, report.KindLines, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range lines.Audit.Caveats {
		if strings.Contains(c, "d17-") && strings.Contains(c, "事件时长合计") { // the incidents-vs-counters cross-check (provenance caveats are expected here)
			t.Errorf("caveat: %s", c)
		}
	}
	// Edges that must be exact (the exporter published the transition).
	exact := map[string][2]bool{
		"d17-1-restart":  {true, true}, // start before, end after the restart
		"d17-2-gap":      {true, false},
		"d17-3-removed":  {true, true}, // ends at the last sample, 1 s before the exporter stopped
		"d17-4-unknown":  {true, true},
		"d17-13-startup": {false, true},
	}
	sec := defectStep.Seconds()
	got := againstTruth(t, sp, ms, me, lines, func(name string, in report.Incident, tr simhistory.ObservedIncident) {
		t.Logf("%s: %s – %s, %v s, unknown %v s, interrupted %v, ongoing %v, note %q; truth %s – %s, unknown %v s", name, in.Start, in.End, in.Seconds,
			in.UnknownSeconds, in.Interrupted, in.Ongoing, in.Note, tr.Start.In(simhistory.Shanghai).Format(time.RFC3339), tr.End.In(simhistory.Shanghai).Format(time.RFC3339), tr.Unknown)
		tol := func(ex bool) float64 {
			if ex {
				return 1
			}
			return sec
		}
		end := tr.End
		if d := float64(in.StartUnix - tr.Start.Unix()); d < -1 || d > tol(exact[name][0]) {
			t.Errorf("%s: start %s, truth %s", name, in.Start, tr.Start.In(simhistory.Shanghai))
		}
		if d := float64(in.EndUnix - end.Unix()); math.Abs(d) > 1 && (d < 0 || d > tol(exact[name][1])) {
			t.Errorf("%s: end %s, truth %s", name, in.End, end.In(simhistory.Shanghai))
		}
		if math.Abs(in.UnknownSeconds-tr.Unknown) > sec || in.Interrupted != tr.Interrupted || in.Ongoing != tr.Ongoing || in.Maintenance != tr.Maintenance {
			t.Errorf("%s: %+v, truth %+v", name, in, tr)
		}
		if tr.Interrupted && !strings.Contains(in.Note, "监测中断") {
			t.Errorf("%s: note %q lacks 监测中断", name, in.Note)
		}
	})
	prov, err := report.Build(ctx, q, cfg, report.KindProviders, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prov.Providers {
		if p.Provider == "d17-1-restart" && (p.Incidents != 1 || math.Abs(p.MTTRSeconds-1437) > 1) {
			t.Errorf("provider d17-1-restart: %d incidents, MTTR %v s, want 1 and 1437 s", p.Incidents, p.MTTRSeconds)
		}
	}
	return got
}

// againstTruth pairs the lines' incidents in d with the generator's
// observed incidents of sp over [from, to): an entity with another number
// of incidents is an error, the others are handed to each, incident by
// incident. It returns the incidents by line name.
func againstTruth(t *testing.T, sp simhistory.Spec, from, to time.Time, d *report.Document, each func(name string, in report.Incident, tr simhistory.ObservedIncident)) map[string][]report.Incident {
	t.Helper()
	got := map[string][]report.Incident{}
	for _, e := range d.Entities {
		got[e.Name] = e.Incidents
	}
	for _, e := range sp.Entities {
		name := e.Labels["line"]
		truth := e.ObservedIncidents(from, to, sp.To)
		g := got[name]
		if len(g) != len(truth) {
			t.Errorf("%s: %d incidents %+v, truth %d %+v", name, len(g), g, len(truth), truth)
			continue
		}
		for i, tr := range truth {
			each(name, g[i], tr)
		}
	}
	return got
}

// TestDefect17_IncidentsE2E: issue 17's incident defects (1, 2, 3, 4 and 13)
// on simhistory.DefectScenario backfilled into Debian's Prometheus 2.42 and
// Prometheus 3.x; both must list identical incidents.
func TestDefect17_IncidentsE2E(t *testing.T) {
	promtool := testutil.Need(t, "promtool")
	prom2 := testutil.Need(t, "prometheus")
	sp := simhistory.DefectScenario(2026, time.October, defectStep)
	results := map[string]map[string][]report.Incident{}
	backends := []struct {
		name string
		bin  func(t *testing.T) string
	}{
		{"prometheus2", func(*testing.T) string { return prom2 }},
		{"prometheus3", func(t *testing.T) string { p, _ := testutil.Prom3(t); return p }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			bin := b.bin(t)
			dir := filepath.Join(t.TempDir(), "data")
			if err := simhistory.CachedBackfill(context.Background(), promtool, sp, "defects17", dir); err != nil {
				t.Fatal(err)
			}
			results[b.name] = defectIncidents(t, testenv.StartPrometheus(t, bin, dir), sp)
		})
	}
	if a, b := results["prometheus2"], results["prometheus3"]; a != nil && b != nil && !reflect.DeepEqual(a, b) {
		t.Errorf("Prometheus 2 and 3 disagree:\n%+v\n%+v", a, b)
	}
}
