package report_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestDetectorsEqualRawDetectors (issue 24 item 4): the day detectors read
// the state series at the day edges (detectors.go) instead of changes() over
// every sample; Config.RawDetectors keeps the raw changes() detectors. The
// detectors only choose what is read, so on the test scenario (restarts
// after a gap and twice in a month, an entity added and one removed inside
// the month, unknown spells, maintenance, incidents across day edges) in
// Debian's Prometheus 2.42 every report gives the same incidents, figures
// and tables both ways — for a month, and for a range beginning before the
// history and a quarter whose series end inside it (there the kinds that
// run the detectors on every state family, detectorKinds) — and the edge
// path runs no changes() over a day.
func TestDetectorsEqualRawDetectors(t *testing.T) {
	url, _ := startE2EPrometheus(t)
	periods, now := comparisonPeriods(t)
	compareDetectors(t, url, periods, now, -1)
}

// TestDetectorsRecordedEqualRawDetectors (issue 24 item 4): the day's
// sample counts come from the recorded NS:NS_up:count1h and the days and
// hours with a change from the recorded NS:NS_state:changes1h of the group
// jianguan.report (rules/recording.yml), back-filled with promtool over the
// test scenario's history as a server running the rules has them; the days
// whose evaluations of the group are incomplete are counted from the raw
// samples and their changes read at their edges. With one evaluation missing (back-filled in two ranges, the
// hours between left out, at the start of cm-bgp-2's 2 h scrape gap), and
// then with the recorded series complete (the hours left out back-filled
// into the same Prometheus), every report of the month gives the same
// incidents, figures, tables and caveats as with Config.RawDetectors.
// (Without any recorded series, and the other periods:
// TestDetectorsEqualRawDetectors.)
func TestDetectorsRecordedEqualRawDetectors(t *testing.T) {
	promtool := testutil.Need(t, "promtool")
	prom := testutil.Need(t, "prometheus")
	ms, me := simhistory.MonthBounds(e2eYear, e2eMonth)
	from, to := ms.Add(-4*24*time.Hour), me.Add(2*24*time.Hour)
	missing := ms.Add(14*24*time.Hour + 3*time.Hour) // day 15, 03:00: the gap's start
	rf := filepath.Join(t.TempDir(), "report.yml")
	if n, err := simhistory.SelectRules("../../rules/recording.yml", []string{"jianguan.report"}, nil, rf); err != nil || n < 2 {
		t.Fatalf("SelectRules: %d rules, %v", n, err)
	}
	sp := simhistory.TestScenario(e2eYear, e2eMonth, 300*time.Second)
	dir := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()
	if err := simhistory.CachedBackfill(ctx, promtool, sp, "test", dir); err != nil {
		t.Fatal(err)
	}
	// One Prometheus over the history; the rules' blocks are added with a
	// restart (it opens every block of its data directory at start), not
	// simhistory.LoadBlocks, which waits for two of 2.42's once-a-minute
	// reloads.
	p := testenv.StartPrometheusProc(t, prom, dir)
	url := p.URL
	q := promapi.New(url)
	periods, now := comparisonPeriods(t)
	month := periods[:1]
	if month[0].name != periodMonth {
		t.Fatalf("first comparison period %q, want the month", month[0].name)
	}
	// backfill evaluates the rules over ranges (promtool directly, not
	// simhistory.BackfillRules: that one finds no file name putting a 1 h
	// group's evaluations on the hour; here they are where Prometheus puts
	// them, the group's hash offset, as on a server running the rules;
	// ranges that meet at an evaluation give it twice, the same sample),
	// moves the blocks into the data directory and restarts Prometheus.
	// promtool's time goes into one query and one block per rule and 2 h,
	// so each range is cut in two and the parts run at once.
	backfill := func(name string, ranges ...[2]time.Time) {
		t.Helper()
		out := filepath.Join(t.TempDir(), name)
		var parts [][2]time.Time
		for _, r := range ranges {
			mid := r[0].Add(r[1].Sub(r[0]) / 2)
			parts = append(parts, [2]time.Time{r[0], mid}, [2]time.Time{mid, r[1]})
		}
		began := time.Now()
		errs := make([]error, len(parts))
		var wg sync.WaitGroup
		for i, r := range parts {
			wg.Go(func() {
				cmd := exec.CommandContext(ctx, promtool, "tsdb", "create-blocks-from", "rules", "--start="+r[0].Format(time.RFC3339),
					"--end="+r[1].Format(time.RFC3339), "--url="+url, "--output-dir="+filepath.Join(out, strconv.Itoa(i)), rf)
				if b, err := cmd.CombinedOutput(); err != nil {
					errs[i] = fmt.Errorf("%v: %w\n%s", cmd.Args, err, b)
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: rules back-filled over %d ranges in %v", name, len(parts), time.Since(began).Round(time.Millisecond))
		p.Terminate()
		for i := range parts {
			if n, err := simhistory.MoveBlocks(filepath.Join(out, strconv.Itoa(i)), dir); err != nil || n == 0 {
				t.Fatalf("%s part %d: %d blocks moved, %v", out, i, n, err)
			}
		}
		p.Restart(t)
	}
	// marker checks the marker: one evaluation per hour (at the group's
	// offset), fewer in the 3 h around the missing one while it is missing.
	marker := func(missingNow bool) {
		t.Helper()
		for _, c := range []struct {
			at      time.Time
			missing bool
		}{{ms.Add(10 * 24 * time.Hour), false}, {missing.Add(90 * time.Minute), missingNow}} {
			res, err := q.Query(ctx, "count_over_time(jianguan:report_rules:evaluated[3h])", c.at)
			if err != nil || len(res) != 1 || len(res[0].Points) != 1 || (res[0].Points[0].V < 3) != c.missing {
				t.Fatalf("evaluations of the marker in the 3 h before %v: %+v, want %s (%v)", c.at, res, map[bool]string{false: "3", true: "fewer"}[c.missing], err)
			}
		}
	}
	// One evaluation missing: the month's default path counts one run of
	// days per family from the raw samples.
	backfill("gapped", [2]time.Time{from, missing.Add(-time.Hour)}, [2]time.Time{missing.Add(time.Hour), to})
	marker(true)
	t.Run("one evaluation missing", func(t *testing.T) { compareDetectors(t, url, month, now, 1) })
	// The hours left out back-filled: none.
	backfill("filled", [2]time.Time{missing.Add(-time.Hour), missing.Add(time.Hour)})
	marker(false)
	t.Run("recorded series complete", func(t *testing.T) { compareDetectors(t, url, month, now, 0) })
}

// detectorKinds are the kinds compareDetectors builds for a period: every
// kind for the month; for the other periods the two whose families cover
// every state family at least once — providers fetches the availability
// (and so the incidents) of line, host and website (buildProviders), the
// infrastructure report of the room conditions (buildInfra). The lines
// report reads line only and hosts host and website only (DefaultConfig has
// no Evaluator, which would add line and the conditions), so the detectors
// on those periods are compared on every family without them.
func detectorKinds(period string) []string {
	if period == periodMonth {
		return []string{report.KindLines, report.KindHosts, report.KindProviders, report.KindInfrastructure}
	}
	return []string{report.KindProviders, report.KindInfrastructure}
}

// compareDetectors builds the reports of detectorKinds for each period with
// and without Config.RawDetectors and compares them; monthRawRuns is the
// number of runs of days per family the month's default path counts from
// the raw samples (−1: no recorded series, every day, in every period).
func compareDetectors(t *testing.T, url string, periods []comparisonPeriod, now time.Time, monthRawRuns int) {
	t.Helper()
	q := promapi.New(url)
	for _, tc := range periods {
		for _, kind := range detectorKinds(tc.name) {
			build := func(raw bool) *report.Document {
				cfg := report.DefaultConfig()
				cfg.Now = func() time.Time { return now }
				cfg.RawDetectors = raw
				d, err := report.Build(context.Background(), q, cfg, kind, tc.period)
				if err != nil {
					t.Fatalf("%s %s raw=%v: %v", tc.name, kind, raw, err)
				}
				return d
			}
			edge, raw := build(false), build(true)
			id := tc.name + " " + kind
			type n struct{ changes, edges, recordedChanges, recorded, rawCounts int }
			count := func(d *report.Document) (c n) {
				for _, a := range d.Audit.Queries {
					switch {
					case strings.HasPrefix(a.Purpose, "incident days: changes of"):
						c.changes++
					case strings.HasPrefix(a.Purpose, "incident days and hours:") && strings.Contains(a.Purpose, "from the recorded"):
						c.recordedChanges++
					case strings.HasPrefix(a.Purpose, "incident days:") && strings.Contains(a.Purpose, "at a day edge"):
						c.edges++
					case strings.HasPrefix(a.Purpose, "incident days: samples of") && strings.Contains(a.Purpose, "from the recorded"):
						c.recorded++
					case strings.HasPrefix(a.Purpose, "incident days: samples of"):
						c.rawCounts++
					}
				}
				return c
			}
			ec, rc := count(edge), count(raw)
			// The detectors flag about the days the changes() detectors
			// flag (a few more: unknown spells, a series absent at an
			// edge); an edge query that lost its series would flag every
			// day, twice the hour-detector queries here.
			hourQueries := func(d *report.Document) (n int) {
				for _, a := range d.Audit.Queries {
					if strings.HasPrefix(a.Purpose, "incident hours") {
						n++
					}
				}
				return n
			}
			if eh, rh := hourQueries(edge), hourQueries(raw); 2*eh > 3*rh {
				t.Errorf("%s: %d hour-detector queries on the default path, %d on the raw path", id, eh, rh)
			}
			if ec.changes != 0 || rc.edges != 0 || rc.recorded != 0 || rc.recordedChanges != 0 || (ec.recorded == 0) != (rc.changes == 0) ||
				ec.recordedChanges != ec.recorded {
				t.Errorf("%s: default path %+v, raw path %+v", id, ec, rc)
			}
			// The edges are read on the days the recorded changes do not
			// cover: every day without recorded series, in the month none
			// where every evaluation is there, the two edges of the one day
			// where one is missing — consecutive day edges in one
			// query_range, so one query per family.
			wantEdges := map[int]int{0: 0, 1: ec.recorded}[monthRawRuns]
			if monthRawRuns < 0 || tc.name != periodMonth {
				if (ec.edges == 0) != (rc.changes == 0) {
					t.Errorf("%s: %d edge queries, raw path %+v", id, ec.edges, rc)
				}
			} else if ec.edges != wantEdges {
				t.Errorf("%s: %d edge queries for %d families, want %d", id, ec.edges, ec.recorded, wantEdges)
			}
			// Counted from the raw samples: without recorded series every
			// day (one query per family, as on the raw path); with them,
			// in the month, one run of days per family where an
			// evaluation is missing, none where none is.
			if monthRawRuns < 0 && ec.rawCounts != rc.rawCounts {
				t.Errorf("%s: %d raw day-count queries without recorded series, %d on the raw path", id, ec.rawCounts, rc.rawCounts)
			}
			if monthRawRuns >= 0 && tc.name == periodMonth && ec.rawCounts != monthRawRuns*ec.recorded {
				t.Errorf("%s: %d raw day-count queries for %d families, want %d per family", id, ec.rawCounts, ec.recorded, monthRawRuns)
			}
			incidents := 0
			if len(edge.Entities) != len(raw.Entities) {
				t.Fatalf("%s: %d entities, raw %d", id, len(edge.Entities), len(raw.Entities))
			}
			for i, e := range edge.Entities {
				r := raw.Entities[i]
				incidents += len(e.Incidents)
				if e.Name != r.Name {
					t.Errorf("%s: entity %d %s, raw %s", id, i, e.Name, r.Name)
					continue
				}
				for _, p := range [][2]float64{{e.ObservedSeconds, r.ObservedSeconds}, {e.DownSeconds, r.DownSeconds},
					{e.UnknownSeconds, r.UnknownSeconds}, {e.Availability, r.Availability}, {e.StateChanges, r.StateChanges}} {
					if math.Abs(p[0]-p[1]) > 0.001 && !(math.IsNaN(p[0]) && math.IsNaN(p[1])) {
						t.Errorf("%s %s: figures %+v, raw %+v", id, e.Name, e, r)
						break
					}
				}
				if !reflect.DeepEqual(e.Incidents, r.Incidents) {
					t.Errorf("%s %s: incidents %+v, raw %+v", id, e.Name, e.Incidents, r.Incidents)
				}
			}
			for i, s := range edge.Sections {
				for j, tb := range s.Tables {
					if rt := raw.Sections[i].Tables[j]; !reflect.DeepEqual(tb.Rows, rt.Rows) {
						t.Errorf("%s: table %s differs:\n%v\nraw:\n%v", id, tb.ID, tb.Rows, rt.Rows)
					}
				}
			}
			if ec, rc := slices.Sorted(slices.Values(edge.Audit.Caveats)), slices.Sorted(slices.Values(raw.Audit.Caveats)); !reflect.DeepEqual(ec, rc) {
				t.Errorf("%s: caveats %q, raw %q", id, ec, rc)
			}
			t.Logf("%s: %d entities, %d incidents; queries %d (raw detectors %d); default path %+v, raw path %+v",
				id, len(edge.Entities), incidents, len(edge.Audit.Queries), len(raw.Audit.Queries), ec, rc)
		}
	}
}
