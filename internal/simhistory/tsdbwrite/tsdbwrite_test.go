package tsdbwrite_test

import (
	"context"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/simhistory/tsdbwrite"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestBlocksMatchTruth: the blocks tsdbwrite writes (the bench's history:
// simhistory.DemoScenario, here 20 entities plus the rooms' conditions over
// two days at the production scrape interval of 15 s, 2 h blocks) are opened
// by Debian's Prometheus 2.42, which loads every block, and the report engine
// reads from them, for a two-day period, the figures of the simulation's
// truth: observed, down, maintenance, maintenance-down and unknown seconds
// and every incident — so make bench-report measures real data.
func TestBlocksMatchTruth(t *testing.T) {
	p0 := calendar.Date(2026, 11, 1)
	p1 := p0.Add(48 * time.Hour)
	from, to := p0.Add(-6*time.Hour).UTC(), p1.Add(6*time.Hour).UTC()
	matchTruth(t, simhistory.DemoScenario(from, to, 15*time.Second, 8, 9, 3), from, to, p0, p1)
}

// TestEdgeSecondReadByName: the period-edge read (interpolation of the
// counters to the edge) reads ±1 min first (on Prometheus within the one
// read at the edge: report/edgeread.go) and again over ±5 min only the
// entities without a scrape on both sides of the edge in the first read, by
// name while they are fewer than half. Here Prometheus misses the scrapes of
// two of the eight lines for 3 min around the period start and of one host
// for 4 min around its end (the exporters count on): the figures are still
// the truth to 1 ms, and the second reads name exactly those entities.
func TestEdgeSecondReadByName(t *testing.T) {
	p0 := calendar.Date(2026, 11, 1)
	p1 := p0.Add(48 * time.Hour)
	from, to := p0.Add(-6*time.Hour).UTC(), p1.Add(6*time.Hour).UTC()
	sp := simhistory.DemoScenario(from, to, 15*time.Second, 8, 9, 3)
	var lines, hosts []*simhistory.Entity
	for _, e := range sp.Entities {
		switch e.NS {
		case "line":
			lines = append(lines, e)
		case "host":
			hosts = append(hosts, e)
		}
	}
	around := func(e time.Time, before, after time.Duration) []simhistory.Window {
		return []simhistory.Window{{Start: e.Add(-before), End: e.Add(after)}}
	}
	lines[1].Unscraped = around(p0, 100*time.Second, 80*time.Second)
	lines[5].Unscraped = around(p0, 70*time.Second, 110*time.Second)
	hosts[2].Unscraped = around(p1, 2*time.Minute, 2*time.Minute)
	docs := matchTruth(t, sp, from, to, p0, p1)
	names := func(es []*simhistory.Entity, label string) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Labels[label])
		}
		return out
	}
	for _, c := range []struct {
		kind, label string
		edge        time.Time
		all, want   []string // the kind's entity names, those read again
	}{
		{report.KindLines, "line", p0, names(lines, "line"), names([]*simhistory.Entity{lines[1], lines[5]}, "line")},
		{report.KindHosts, "host", p1, names(hosts, "host"), names([]*simhistory.Entity{hosts[2]}, "host")},
	} {
		var reads, named []string
		for _, a := range docs[c.kind].Audit.Queries {
			// (the hosts report reads the websites' edges too)
			if strings.HasPrefix(a.Purpose, "period edge: raw samples ") && strings.Contains(a.Purpose, " "+c.edge.UTC().Format(time.RFC3339)+" ") && strings.Contains(a.PromQL, c.label+"_observed_seconds_total") {
				reads = append(reads, a.PromQL)
				if strings.Contains(a.PromQL, c.label+`=~"`) {
					named = append(named, a.PromQL)
				}
			}
		}
		// The narrow read, then the second read by name: once each (the
		// audit lists a query as often as it ran).
		if len(reads) != 2 || len(named) != 1 {
			t.Errorf("%s: edge %s read %d times, %d of them by name; want 2 and 1:\n%s", c.kind, c.edge, len(reads), len(named), strings.Join(reads, "\n"))
			continue
		}
		for _, n := range c.all {
			in := strings.Contains(named[0], regexp.QuoteMeta(n)+"|") || strings.Contains(named[0], regexp.QuoteMeta(n)+`"`)
			if in != slices.Contains(c.want, n) {
				t.Errorf("%s: %s in the second read %v, want %v: %s", c.kind, n, in, !in, named[0])
			}
		}
	}
}

// matchTruth writes sp as 2 h blocks, opens them with Prometheus 2.42 and
// requires the lines, hosts and infrastructure reports of [p0, p1) to state
// the simulation's truth; it returns the reports by kind.
func matchTruth(t *testing.T, sp simhistory.Spec, from, to, p0, p1 time.Time) map[string]*report.Document {
	t.Helper()
	prom := testutil.Need(t, "prometheus")
	dir := filepath.Join(t.TempDir(), "data")
	st, err := tsdbwrite.Write(context.Background(), sp, dir, tsdbwrite.Options{Block: 2 * time.Hour, Parallel: 2, CountFrom: p0, CountTo: p1})
	if err != nil {
		t.Fatal(err)
	}
	if want := int(to.Sub(from.Truncate(2*time.Hour))/(2*time.Hour)) + 1; st.Blocks != want || st.Counted == 0 || st.Counted >= st.Samples {
		t.Fatalf("wrote %+v, want %d blocks", st, want)
	}
	base := testenv.StartPrometheus(t, prom, dir)
	if n := blocksLoaded(t, base); n != st.Blocks {
		t.Fatalf("Prometheus loaded %d blocks of %d", n, st.Blocks)
	}
	q := promapi.New(base)
	cfg := report.DefaultConfig()
	cfg.Now = func() time.Time { return to.Add(24 * time.Hour) }
	m, err := calendar.Range(p0, p1.Add(-time.Hour))
	if err != nil || !m.Start.Equal(p0) || !m.End.Equal(p1) {
		t.Fatalf("period %+v: %v", m, err)
	}
	got := map[string]report.EntityResult{}
	docs := map[string]*report.Document{}
	for _, k := range []string{report.KindLines, report.KindHosts, report.KindInfrastructure} {
		d, err := report.Build(context.Background(), q, cfg, k, m)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		docs[k] = d
		for _, e := range d.Entities {
			got[key(e.NS, e.Labels)] = e
		}
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 0.001 }
	incidents := 0
	for _, e := range sp.Entities {
		k := key(e.NS, e.Labels)
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: not in the reports", k)
			continue
		}
		tr := e.TruthFor(p0, p1)
		if !near(g.ObservedSeconds, tr.Observed) || !near(g.DownSeconds, tr.Down) || !near(g.MaintenanceSeconds, tr.Maintenance) ||
			!near(g.MaintenanceDownSeconds, tr.MaintenanceDown) || !near(g.UnknownSeconds, tr.Unknown) {
			t.Errorf("%s: observed %v down %v maint %v mdown %v unknown %v; truth %+v", k, g.ObservedSeconds, g.DownSeconds,
				g.MaintenanceSeconds, g.MaintenanceDownSeconds, g.UnknownSeconds, tr)
		}
		if len(g.Incidents) != len(tr.Incidents) {
			t.Errorf("%s: %d incidents %+v, truth %+v", k, len(g.Incidents), g.Incidents, tr.Incidents)
			continue
		}
		for i, in := range tr.Incidents {
			incidents++
			end := in.End
			if end.After(p1) {
				end = p1
			}
			gi := g.Incidents[i]
			if gi.StartUnix != in.Start.Unix() || gi.EndUnix != end.Unix() || gi.Maintenance != in.Maintenance {
				t.Errorf("%s incident %d: %s – %s maintenance %v; truth %s – %s %v", k, i, gi.Start, gi.End, gi.Maintenance, in.Start, end, in.Maintenance)
			}
		}
	}
	t.Logf("%d blocks, %d series, %d samples; %d entities and %d incidents as the truth says", st.Blocks, st.Series, st.Samples, len(got), incidents)
	if len(got) != len(sp.Entities) || incidents == 0 {
		t.Errorf("%d entities in the reports for %d in the history, %d incidents compared", len(got), len(sp.Entities), incidents)
	}
	return docs
}

// key is an entity's namespace and labels without the empty ones (absent in
// Prometheus).
func key(ns string, l map[string]string) string {
	m := map[string]string{}
	for k, v := range l {
		if v != "" {
			m[k] = v
		}
	}
	return ns + simhistory.LabelString(m)
}

// blocksLoaded is Prometheus' prometheus_tsdb_blocks_loaded.
func blocksLoaded(t *testing.T, base string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, base+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "prometheus_tsdb_blocks_loaded "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	t.Fatal("prometheus_tsdb_blocks_loaded not in Prometheus' /metrics")
	return 0
}
