package report_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestRemoteReadSameDocuments: on Prometheus 2.42 and 3.x holding the e2e
// scenario, every kind's October report and the Q4 draft built with the
// raw reads through the remote-read API (the default) are the documents
// built through the query API alone (promapi.Client.NoRemoteRead), figure
// for figure: all but the audit, whose remote reads are marked and whose
// query-API build has none.
func TestRemoteReadSameDocuments(t *testing.T) {
	data, _ := e2eData(t)
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	for _, v := range []string{testenv.Prom242, testenv.Prom3} {
		t.Run(v, func(t *testing.T) {
			url := testenv.StartPrometheusVersion(t, v, data)
			cfg := report.DefaultConfig()
			cfg.Now = func() time.Time { return now }
			oct, err := report.ParseMonth("2026-10", cfg.Location, now)
			if err != nil {
				t.Fatal(err)
			}
			q4, err := report.ParsePeriod("2026-Q4", nil, now)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []struct {
				name string
				p    calendar.Period
			}{{"2026-10", oct}, {"2026-Q4", q4}} {
				for _, k := range report.Kinds {
					build := func(remote bool) (string, int) {
						q := promapi.New(url)
						q.NoRemoteRead = !remote
						d, err := report.Build(context.Background(), q, cfg, k, p.p)
						if err != nil {
							t.Fatalf("%s %s (remote read %v): %v", p.name, k, remote, err)
						}
						reads := 0
						for _, a := range d.Audit.Queries {
							if strings.HasPrefix(a.PromQL, report.RemoteReadPrefix) {
								reads++
							}
						}
						d.Audit.Queries = nil
						b, err := json.Marshal(d)
						if err != nil {
							t.Fatal(err)
						}
						return string(b), reads
					}
					viaRead, reads := build(true)
					viaAPI, none := build(false)
					if reads == 0 || none != 0 {
						t.Errorf("%s %s: %d remote reads in the default build (want some), %d in the query-API build (want none)", p.name, k, reads, none)
					}
					if viaRead != viaAPI {
						t.Errorf("%s %s: the documents differ:\n%s", p.name, k, firstDiff(viaRead, viaAPI))
					}
				}
			}
		})
	}
}

// firstDiff shows where two texts part.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(i-300, 0)
	return "remote read: …" + a[lo:min(i+300, len(a))] + "…\nquery API:   …" + b[lo:min(i+300, len(b))] + "…"
}

// TestCountPointsRemoteEqualsQuery: the incident hours' samples per hour
// (countPoints) counted by the engine from a remote read are the points
// of count_over_time at 1 h steps through the query API, on 2.42 (closed
// windows: a sample on the hour counts in both hours) and 3.x (left-open),
// at the e2e scenario's 5-minute scrapes, which lie on the hour, for spans
// on the hour and off it.
func TestCountPointsRemoteEqualsQuery(t *testing.T) {
	data, _ := e2eData(t)
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	oct, err := report.ParseMonth("2026-10", nil, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{testenv.Prom242, testenv.Prom3} {
		t.Run(v, func(t *testing.T) {
			url := testenv.StartPrometheusVersion(t, v, data)
			for _, c := range []struct {
				sel      string
				from, to time.Time
			}{
				{`line_up`, oct.Start, oct.Start.Add(24 * time.Hour)},
				{`host_up`, oct.Start.Add(9*24*time.Hour + 90*time.Second), oct.Start.Add(10*24*time.Hour - 7*time.Minute)},
				{`website_up`, oct.End.Add(-24 * time.Hour), oct.End},
			} {
				got := map[bool]map[string][]report.Point{}
				for _, remote := range []bool{true, false} {
					q := promapi.New(url)
					q.NoRemoteRead = !remote
					pts, audit, err := report.CountPoints(context.Background(), q, oct, c.sel, c.from, c.to, time.Hour)
					if err != nil {
						t.Fatal(err)
					}
					if len(audit) != 1 || strings.HasPrefix(audit[0].PromQL, report.RemoteReadPrefix) != remote {
						t.Errorf("%s (remote read %v): audit %+v", c.sel, remote, audit)
					}
					got[remote] = pts
				}
				n := 0
				for k, want := range got[false] {
					g := got[true][k]
					if len(g) != len(want) {
						t.Errorf("%s %s: %d points counted, %d through the query API", c.sel, k, len(g), len(want))
						continue
					}
					for i := range want {
						if !g[i].T.Equal(want[i].T) || g[i].V != want[i].V {
							t.Errorf("%s %s point %d: counted (%v, %v), query API (%v, %v)", c.sel, k, i, g[i].T.UTC(), g[i].V, want[i].T.UTC(), want[i].V)
						}
						n++
					}
				}
				if len(got[true]) != len(got[false]) || n == 0 {
					t.Errorf("%s: %d series counted, %d through the query API; %d points compared", c.sel, len(got[true]), len(got[false]), n)
				}
			}
		})
	}
}
