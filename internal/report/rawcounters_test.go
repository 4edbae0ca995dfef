package report_test

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
)

// TestRawCountersEqualEdgeCounters (issue 24 item 4): Config.RawCounters
// computes every entity's counters from its raw samples, read and folded a
// day at a time; the default path answers from instant queries at the
// period's edges (and, for series that end inside the period or a period
// that begins before the history, from resets/last/count over the period)
// and reads raw samples only where a counter reset. On the test scenario
// (restarts after a gap and twice in a month, an entity added and one
// removed inside the month, unknown time) in Debian's Prometheus 2.42, both
// give the same figures to 1 ms for a month, a range beginning before the
// history and a quarter whose series all end inside it (a 截至 draft): every
// counter of every entity, the availability figures, the incidents and every
// table of the lines (ICMP, RTT and BGP counters through increases) and
// hosts reports.
func TestRawCountersEqualEdgeCounters(t *testing.T) {
	url, _ := startE2EPrometheus(t)
	q := promapi.New(url)
	periods, now := comparisonPeriods(t)
	const rawDay = "one day at a time"
	for _, tc := range periods {
		for _, kind := range []string{report.KindLines, report.KindHosts} {
			build := func(raw bool) *report.Document {
				cfg := report.DefaultConfig()
				cfg.Now = func() time.Time { return now }
				cfg.RawCounters = raw
				d, err := report.Build(context.Background(), q, cfg, kind, tc.period)
				if err != nil {
					t.Fatalf("%s %s raw=%v: %v", tc.name, kind, raw, err)
				}
				return d
			}
			edge, raw := build(false), build(true)
			rawQueries := func(d *report.Document) int {
				n := 0
				for _, a := range d.Audit.Queries {
					if strings.Contains(a.Purpose, rawDay) {
						n++
					}
				}
				return n
			}
			if ne, nr := rawQueries(edge), rawQueries(raw); nr == 0 || ne >= nr {
				t.Errorf("%s %s: %d raw day-chunk queries on the default path, %d with RawCounters: the raw path was not taken, or taken by both", tc.name, kind, ne, nr)
			}
			if len(edge.Entities) == 0 || len(edge.Entities) != len(raw.Entities) {
				t.Fatalf("%s %s: %d entities, raw %d", tc.name, kind, len(edge.Entities), len(raw.Entities))
			}
			for i, e := range edge.Entities {
				r := raw.Entities[i]
				id := tc.name + " " + kind + " " + e.NS + " " + e.Name
				if e.Name != r.Name || len(e.Counters) != len(r.Counters) {
					t.Errorf("%s: %s with %d counters, raw %s with %d", id, e.Name, len(e.Counters), r.Name, len(r.Counters))
					continue
				}
				for n, c := range e.Counters {
					rc := r.Counters[n]
					if math.Abs(c.Delta-rc.Delta) > 0.001 || math.Abs(c.Start-rc.Start) > 0.001 || math.Abs(c.End-rc.End) > 0.001 ||
						c.Resets != rc.Resets || math.Abs(c.EdgeInterpolated-rc.EdgeInterpolated) > 0.001 {
						t.Errorf("%s %s: %+v, raw %+v", id, n, c, rc)
					}
				}
				for _, p := range [][2]float64{{e.ObservedSeconds, r.ObservedSeconds}, {e.DownSeconds, r.DownSeconds},
					{e.MaintenanceSeconds, r.MaintenanceSeconds}, {e.MaintenanceDownSeconds, r.MaintenanceDownSeconds},
					{e.UnknownSeconds, r.UnknownSeconds}, {e.Availability, r.Availability}, {e.StateChanges, r.StateChanges}} {
					if math.Abs(p[0]-p[1]) > 0.001 {
						t.Errorf("%s: figures %+v, raw %+v", id, e, r)
						break
					}
				}
				if !reflect.DeepEqual(e.Incidents, r.Incidents) {
					t.Errorf("%s: incidents %+v, raw %+v", id, e.Incidents, r.Incidents)
				}
			}
			for i, s := range edge.Sections {
				for j, tb := range s.Tables {
					if rt := raw.Sections[i].Tables[j]; !reflect.DeepEqual(tb.Rows, rt.Rows) {
						t.Errorf("%s %s: table %s differs:\n%v\nraw:\n%v", tc.name, kind, tb.ID, tb.Rows, rt.Rows)
					}
				}
			}
		}
	}
}
