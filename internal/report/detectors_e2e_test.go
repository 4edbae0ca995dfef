package report_test

import (
	"context"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
)

// TestDetectorsEqualRawDetectors (issue 24 item 4): the day detectors read
// the state series at the day edges (detectors.go) instead of changes() over
// every sample; Config.RawDetectors keeps the raw changes() detectors. The
// detectors only choose what is read, so on the test scenario (restarts
// after a gap and twice in a month, an entity added and one removed inside
// the month, unknown spells, maintenance, incidents across day edges) in
// Debian's Prometheus 2.42 every report gives the same incidents, figures
// and tables both ways — for a month, a range beginning before the history
// and a quarter whose series end inside it — and the edge path runs no
// changes() over a day.
func TestDetectorsEqualRawDetectors(t *testing.T) {
	url, _ := startE2EPrometheus(t)
	q := promapi.New(url)
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	month, err := report.ParseMonth("2026-10", report.Shanghai, now)
	if err != nil {
		t.Fatal(err)
	}
	before, err := calendar.Range(calendar.Date(2026, 9, 25), calendar.Date(2026, 10, 20))
	if err != nil {
		t.Fatal(err)
	}
	quarter, err := report.ParsePeriod("2026-Q4", nil, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		period calendar.Period
	}{{"month", month}, {"range before the history", before}, {"quarter ending after the history", quarter}} {
		for _, kind := range []string{report.KindLines, report.KindHosts, report.KindProviders, report.KindInfrastructure} {
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
			dayChanges := func(d *report.Document) (changes, edges int) {
				for _, a := range d.Audit.Queries {
					switch {
					case strings.HasPrefix(a.Purpose, "incident days: changes of"):
						changes++
					case strings.HasPrefix(a.Purpose, "incident days:") && strings.Contains(a.Purpose, "at a day edge"):
						edges++
					}
				}
				return changes, edges
			}
			ec, ee := dayChanges(edge)
			rc, re := dayChanges(raw)
			if ec != 0 || re != 0 || (ee == 0) != (rc == 0) {
				t.Errorf("%s: default path %d changes() day detectors and %d edge queries, raw path %d and %d", id, ec, ee, rc, re)
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
				t.Errorf("%s: caveats %q, raw %q", id, edge.Audit.Caveats, raw.Audit.Caveats)
			}
			t.Logf("%s: %d entities, %d incidents; queries %d (raw detectors %d), edge queries %d, raw changes() day detectors %d",
				id, len(edge.Entities), incidents, len(edge.Audit.Queries), len(raw.Audit.Queries), ee, rc)
		}
	}
}
