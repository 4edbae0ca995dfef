package report_test

import (
	"context"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
)

// sentCounter passes every read to a real Prometheus and counts the
// instant queries and remote reads it sends, by expression and window.
type sentCounter struct {
	*promapi.Client
	mu   sync.Mutex
	sent map[string]int
}

func (c *sentCounter) count(k string) {
	c.mu.Lock()
	c.sent[k]++
	c.mu.Unlock()
}

func (c *sentCounter) Query(ctx context.Context, expr string, t time.Time) ([]report.Series, error) {
	c.count(expr)
	return c.Client.Query(ctx, expr, t)
}

func (c *sentCounter) RemoteRead(ctx context.Context, sel string, from, to time.Time, series func(map[string]string) func([]int64, []float64)) (int, bool, error) {
	c.count(report.RemoteReadPrefix + sel + " " + from.UTC().Format(time.RFC3339) + " " + to.UTC().Format(time.RFC3339))
	return c.Client.RemoteRead(ctx, sel, from, to, series)
}

func (c *sentCounter) RemoteReadStale(ctx context.Context, sel string, from, to time.Time, series func(map[string]string) func([]int64, []float64)) (int, bool, error) {
	c.count(staleRead + report.RemoteReadPrefix + sel + " " + from.UTC().Format(time.RFC3339) + " " + to.UTC().Format(time.RFC3339))
	return c.Client.RemoteReadStale(ctx, sel, from, to, series)
}

func (c *sentCounter) LookbackDelta(ctx context.Context) (time.Duration, error) {
	c.count(lookbackAsked)
	return c.Client.LookbackDelta(ctx)
}

// lookbackAsked counts the questions for the backend's lookback
// (/api/v1/status/flags), which a build asks once for all its edges.
const lookbackAsked = "status/flags: query.lookback-delta"

// staleRead marks the counted remote reads that keep the staleness
// markers: the availability's one read at an edge (edgeread.go).
const staleRead = "with markers: "

// TestEdgeReadsShared: where two runs of one build meet at an edge, they
// read the counters at the edge and the raw samples around it once (on
// Prometheus one remote read with the staleness markers: edgeread.go), each
// listing the read in its audit. The document is the one built without
// sharing, figure for figure and query for query in the audit; only the
// queries sent differ.
//
// In a quarter report, the months of the per-month table (October –
// December) and of the 12-month trend (January – September) meet at 11
// edges per family, and the quarter's own run meets December at its end
// (at its start the own run and October meet: of three runs two share, as
// at the other edges); the previous quarter's build for 环比 (July –
// September) meets September at its end: 13 edges. In a month report
// (November) the trend's months December – September meet at 9 edges, the
// previous month's build (October) meets September at its start and the
// month's own run at its end: 11 (9 before the previous period shared).
func TestEdgeReadsShared(t *testing.T) {
	now := time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)
	q, cfg := periodEnv(t, now)
	for _, tc := range []struct {
		period, kind string
		families     int
		saved        int // edge reads saved per family
	}{
		{"2026-Q4", report.KindLines, 1, 13},
		{"2026-Q4", report.KindHosts, 2, 13},
		{"2026-11", report.KindLines, 1, 11},
	} {
		t.Run(tc.period+"/"+tc.kind, func(t *testing.T) {
			p := mustPeriod(t, tc.period, now)
			d, sent := buildCounted(t, q, cfg, tc.kind, p, report.SetEdgeSharing(true))
			alone, sentAlone := buildCounted(t, q, cfg, tc.kind, p, report.SetEdgeSharing(false))
			// Nothing sent more often; the counters at an edge: tc.saved
			// fewer per family; no other query fewer.
			var edges, saved, rawSaved int
			// The lookback: asked once by the build, its previous period's
			// (环比) included, not at every run's edges (28 and 56 times
			// before).
			if sent[lookbackAsked] != 1 || sentAlone[lookbackAsked] != 1 {
				t.Errorf("lookback asked %d times, %d without sharing; want 1", sent[lookbackAsked], sentAlone[lookbackAsked])
			}
			for k, n := range sent {
				if sentAlone[k] < n {
					t.Errorf("sent %d times, %d without sharing: %s", n, sentAlone[k], k)
				}
			}
			for k, n := range sentAlone {
				switch {
				case strings.HasPrefix(k, staleRead):
					edges++
					saved += n - sent[k]
				case n != sent[k] && strings.HasPrefix(k, report.RemoteReadPrefix):
					if from, to := readWindow(t, k); to.Sub(from) == 2*time.Minute || to.Sub(from) == 10*time.Minute { // around an edge: ±1 min, then ±5 min
						rawSaved += n - sent[k]
						continue
					}
					fallthrough
				case n != sent[k]:
					t.Errorf("sent %d times, %d without sharing: %s", sent[k], n, k)
				}
			}
			if want := tc.saved * tc.families; saved != want || edges == 0 {
				t.Errorf("%d edge queries saved at %d instants, want %d", saved, edges, want)
			}
			if rawSaved <= 0 {
				t.Errorf("%d reads around an edge saved", rawSaved)
			}
			t.Logf("saved %d of the edge queries, %d of the reads around an edge", saved, rawSaved)
			sameAs(t, "the build without sharing",
				compared{"per-month table", d.PerMonth, alone.PerMonth},
				compared{"trend", d.Trend, alone.Trend},
				compared{"entities", d.Entities, alone.Entities},
				compared{"audit", auditSet(d), auditSet(alone)})
		})
	}
}

// buildCounted builds kind over p through a sentCounter on q, then calls
// restore (the test switch set for this build, undone after it), and
// returns the document and what was sent.
func buildCounted(t *testing.T, q report.Querier, cfg report.Config, kind string, p calendar.Period, restore func()) (*report.Document, map[string]int) {
	t.Helper()
	defer restore()
	c := &sentCounter{Client: q.(*promapi.Client), sent: map[string]int{}}
	d, err := report.Build(context.Background(), c, cfg, kind, p)
	if err != nil {
		t.Fatal(err)
	}
	return d, c.sent
}

// compared is one part of two builds of a document, side by side.
type compared struct {
	what string
	a, b any
}

// sameAs reports each part that differs between a build and ref, the
// build it is compared with (a list of strings: what only each lists).
func sameAs(t *testing.T, ref string, xs ...compared) {
	t.Helper()
	for _, x := range xs {
		if reflect.DeepEqual(x.a, x.b) {
			continue
		}
		t.Errorf("%s differs from %s", x.what, ref)
		if a, ok := x.a.([]string); ok {
			t.Logf("listed only in this build: %q", minus(a, x.b.([]string)))
			t.Logf("listed only in %s: %q", ref, minus(x.b.([]string), a))
		}
	}
}

// auditSet is the audit's queries in order of their text (the runs list
// theirs as they finish).
func auditSet(d *report.Document) []string {
	var out []string
	for _, a := range d.Audit.Queries {
		out = append(out, a.Purpose+" | "+a.PromQL+" | "+a.EvalAt+" | "+strconv.Itoa(a.Series))
	}
	sort.Strings(out)
	return out
}

// readWindow is the window of a counted remote read ("… FROM TO").
func readWindow(t *testing.T, k string) (from, to time.Time) {
	t.Helper()
	f := strings.Fields(k)
	from, err := time.Parse(time.RFC3339, f[len(f)-2])
	if err == nil {
		to, err = time.Parse(time.RFC3339, f[len(f)-1])
	}
	if err != nil {
		t.Fatalf("%s: %v", k, err)
	}
	return from, to
}

// minus is a without b (as multisets).
func minus(a, b []string) []string {
	n := map[string]int{}
	for _, x := range b {
		n[x]++
	}
	var out []string
	for _, x := range a {
		if n[x] > 0 {
			n[x]--
			continue
		}
		out = append(out, x)
	}
	return out
}

func (c *sentCounter) Series(ctx context.Context, match string, start, end time.Time) ([]map[string]string, error) {
	c.count("series API: " + match + " " + start.UTC().Format(time.RFC3339) + " " + end.UTC().Format(time.RFC3339))
	return c.Client.Series(ctx, match, start, end)
}

// TestMonthsEntitiesFromPeriod: in a quarter report the months of the
// per-month table (October – December) take their entities from the
// quarter's own series API answer, asking the series API only about the
// quarter's entities without a value at the month's end (a host that ends
// in October); so do the trend's months July – September from the answer
// of the previous quarter's build for 环比; the trend's earlier months ask
// as before. The per-month table, the trend and the entities are those of
// the build that asks about every entity each month.
func TestMonthsEntitiesFromPeriod(t *testing.T) {
	now := time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC)
	q, cfg := periodEnv(t, now)
	p := mustPeriod(t, "2026-Q4", now)
	for _, tc := range []struct {
		kind     string
		families int
	}{{report.KindLines, 1}, {report.KindHosts, 2}} {
		t.Run(tc.kind, func(t *testing.T) {
			d, sent := buildCounted(t, q, cfg, tc.kind, p, report.SetMonthsFromOwn(true))
			every, sentEvery := buildCounted(t, q, cfg, tc.kind, p, report.SetMonthsFromOwn(false))
			full := func(sent map[string]int) (n, filtered int) {
				for k, c := range sent {
					if !strings.HasPrefix(k, "series API: ") || !strings.Contains(k, "_observed_seconds_total{") {
						continue
					}
					if strings.Contains(k, "=~") {
						filtered += c
					} else {
						n += c
					}
				}
				return n, filtered
			}
			n, filtered := full(sent)
			nEvery, filteredEvery := full(sentEvery)
			if nEvery-n != 6*tc.families || filteredEvery != 0 {
				t.Errorf("series API over every entity: %d (asking every month: %d), want %d fewer; %d by name asking every month", n, nEvery, 6*tc.families, filteredEvery)
			}
			if tc.kind == report.KindHosts && filtered == 0 {
				t.Errorf("no month asked about the entities without a value at its end")
			}
			sameAs(t, "the build asking about every entity each month",
				compared{"per-month table", d.PerMonth, every.PerMonth},
				compared{"trend", d.Trend, every.Trend},
				compared{"entities", d.Entities, every.Entities})
			t.Logf("series API over every entity %d → %d, by name %d", nEvery, n, filtered)
		})
	}
}
