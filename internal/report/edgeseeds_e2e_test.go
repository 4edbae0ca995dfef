package report_test

import (
	"context"
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

// TestEdgeSeedsEqualReads: where an entity's first or last hour of the
// period held, the incident reconstruction takes its state at the edge
// from the period's edge read instead of reading the hour (edgeSeeds), and
// on Prometheus the first and last whole day are looked at hour by hour
// only where the day detectors flag them, like the other days. On
// Prometheus 2.42, with issue 17's defect history (restarts, gaps, a
// removed target, unknown spells, an exporter starting in the month, at a
// 1 min scrape interval) and the test scenario's months and quarter, the
// documents are those of the builds that read both hours of every
// candidate and look at both days hour by hour — entities, incidents,
// providers and caveats — with no more raw series read, and fewer in all.
func TestEdgeSeedsEqualReads(t *testing.T) {
	promtool := testutil.Need(t, "promtool")
	prom2 := testutil.Need(t, "prometheus")
	sp := simhistory.DefectScenario(2026, time.October, defectStep)
	dir := filepath.Join(t.TempDir(), "data")
	if err := simhistory.CachedBackfill(context.Background(), promtool, sp, "defects17", dir); err != nil {
		t.Fatal(err)
	}
	defects := testenv.StartPrometheus(t, prom2, dir)
	scenario := testenv.StartTestScenario(t)
	saved := 0
	for _, tc := range []struct {
		name, url string
		now       time.Time
		period    string
		kinds     []string
	}{
		{"defects", defects, time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC), "2026-10", []string{report.KindLines, report.KindProviders}},
		{"scenario", scenario, time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC), "2026-11", []string{report.KindLines, report.KindHosts, report.KindInfrastructure}},
		{"scenario", scenario, time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC), "2026-10", []string{report.KindHosts}},
		{"scenario", scenario, time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC), "2026-Q4", []string{report.KindLines}},
	} {
		for _, kind := range tc.kinds {
			t.Run(tc.name+"/"+tc.period+"/"+kind, func(t *testing.T) {
				cfg := report.DefaultConfig()
				cfg.Now = func() time.Time { return tc.now }
				p := mustPeriod(t, tc.period, tc.now)
				q := promapi.New(tc.url)
				build := func(on bool) *report.Document {
					defer report.SetEdgeSeeding(on)()
					d, err := report.Build(context.Background(), q, cfg, kind, p)
					if err != nil {
						t.Fatal(err)
					}
					return d
				}
				seeded, read := build(true), build(false)
				for _, x := range []struct {
					what string
					a, b any
				}{
					{"entities", seeded.Entities, read.Entities},
					{"providers", seeded.Providers, read.Providers},
					{"sections", seeded.Sections, read.Sections},
					{"caveats", seeded.Audit.Caveats, read.Audit.Caveats},
				} {
					if !reflect.DeepEqual(x.a, x.b) {
						t.Errorf("%s differ from the build reading every first and last hour", x.what)
					}
				}
				n, ns := purposeReads(seeded, "incident reconstruction: raw")
				m, ms := purposeReads(read, "incident reconstruction: raw")
				hn, hs := purposeReads(seeded, "incident hours")
				hm, hms := purposeReads(read, "incident hours")
				if ns > ms || hs > hms {
					t.Errorf("seeded: %d raw series in %d reads and %d series in %d hour detectors, more than reading both hours (%d in %d, %d in %d)", ns, n, hs, hn, ms, m, hms, hm)
				}
				saved += ms - ns
				t.Logf("incident reconstruction: %d raw series in %d reads, hour detectors %d series in %d queries (reading every first and last hour and day: %d in %d, %d in %d)", ns, n, hs, hn, ms, m, hms, hm)
			})
		}
	}
	if saved == 0 {
		t.Error("no raw series saved by the edge seeds")
	}
}

// purposeReads counts the queries in d's audit whose purpose contains
// purpose and the series they returned.
func purposeReads(d *report.Document, purpose string) (reads, series int) {
	for _, a := range d.Audit.Queries {
		if strings.Contains(a.Purpose, purpose) {
			reads++
			series += a.Series
		}
	}
	return reads, series
}
