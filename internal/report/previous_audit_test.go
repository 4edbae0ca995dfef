package report_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
)

// evalTimes are the evaluation times an audit entry's EvalAt names: one
// RFC 3339 instant, or "from … to" with an optional " step d".
func evalTimes(s string) ([]time.Time, bool) {
	var out []time.Time
	for _, f := range strings.Split(s, " … ") {
		f, _, _ = strings.Cut(f, " step ")
		at, err := time.Parse(time.RFC3339, f)
		if err != nil {
			return nil, false
		}
		out = append(out, at)
	}
	return out, len(out) > 0
}

// octoberAfterSeptember starts a real Prometheus holding the e2e scenario
// and returns its client, the default configuration at a clock on 29
// November, October and the September before it.
func octoberAfterSeptember(t *testing.T) (q *promapi.Client, cfg report.Config, oct, sep calendar.Period) {
	url, _ := startE2EPrometheus(t)
	cfg = report.DefaultConfig()
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	oct = calendar.Month(2026, time.October)
	return promapi.New(url), cfg, oct, oct.Previous()
}

// lineQuality: a purpose of the lines' quality figures (P95 traffic,
// capacity, the quality counters), which a previous period's build for 环比
// does not query.
// The start-time changes of the lines with a reset are read for their
// quality counters too (a query of its own when the line set differs).
func lineQuality(purpose string) bool {
	for _, s := range []string{"95th percentile", "contracted capacity", "counters and their entity's start time", "series with samples in the month",
		"interface counters", "line_icmp", "line_bgp", "line_rtt", "start-time changes", "configuration loads of the exporters"} {
		if strings.Contains(purpose, s) {
			return true
		}
	}
	return false
}

// auditKey is an audit entry less its purpose's previous-period prefix.
type auditKey struct{ purpose, promql, evalAt string }

// TestPreviousPeriodInAudit: a month's report lists the queries of the
// previous period it builds for 环比 in its own audit, each purpose
// prefixed with report.PreviousAuditPrefix and the previous period; on a
// real Prometheus holding the e2e scenario, October's report of every
// kind lists every query that September's own report runs for its body
// (the same purpose, PromQL and evaluation time; only the full report's
// extensions — the trend and the daily bands — are not part of a
// previous period's build; nor, for lines, the quality figures, which 环比
// does not print), each evaluated inside September (or just past
// its end, where the engine looks ahead), and no query September's report
// does not run.
func TestPreviousPeriodInAudit(t *testing.T) {
	q, cfg, oct, sep := octoberAfterSeptember(t)
	prefix := report.PreviousAuditPrefix + sep.String() + ": "
	const lookAhead = 2 * time.Hour
	ctx := context.Background()
	for _, kind := range report.Kinds {
		t.Run(kind, func(t *testing.T) {
			d, err := report.Build(ctx, q, cfg, kind, oct)
			if err != nil {
				t.Fatal(err)
			}
			prev, err := report.Build(ctx, q, cfg, kind, sep)
			if err != nil {
				t.Fatal(err)
			}
			listed := map[auditKey]int{}
			purposes := map[string]bool{}
			for _, a := range d.Audit.Queries {
				rest, ok := strings.CutPrefix(a.Purpose, report.PreviousAuditPrefix)
				if !ok {
					continue
				}
				what, ok := strings.CutPrefix(a.Purpose, prefix)
				if !ok {
					t.Errorf("previous-period entry of another period: %q", a.Purpose)
					continue
				}
				if strings.TrimSpace(a.PromQL) == "" {
					t.Errorf("%s: empty PromQL", a.Purpose)
				}
				ts, ok := evalTimes(a.EvalAt)
				if !ok {
					t.Errorf("%s: evaluation time %q", a.Purpose, a.EvalAt)
				}
				// Evaluated in September: the engine reads past a period's
				// end by at most 1 h 20 min (the recorded state changes'
				// window, detectors.go; the edge interpolation's 5 min,
				// provenance.go), never into the body of October.
				for _, at := range ts {
					if at.Before(sep.Start) || at.After(sep.End.Add(lookAhead)) {
						t.Errorf("%s: evaluated at %v, outside %s [%v, %v + %v]", rest, at.UTC(), sep, sep.Start.UTC(), sep.End.UTC(), lookAhead)
					}
				}
				listed[auditKey{what, a.PromQL, a.EvalAt}]++
				purposes[what] = true
			}
			if len(listed) == 0 {
				t.Fatalf("no audit entry starts with %q (%d entries)", prefix, len(d.Audit.Queries))
			}
			// September's own report: its body's queries are the ones the
			// previous build ran, none more, none fewer.
			own := map[auditKey]int{}
			for _, a := range prev.Audit.Queries {
				if strings.HasPrefix(a.Purpose, report.TrendAuditPrefix) || strings.HasPrefix(a.Purpose, report.PreviousAuditPrefix) {
					continue // another period's
				}
				k := auditKey{a.Purpose, a.PromQL, a.EvalAt}
				if kind == report.KindInfrastructure && strings.HasPrefix(a.Purpose, "daily ") && !purposes[a.Purpose] {
					continue // the daily bands: a full report's extension (bands.go)
				}
				own[k]++
			}
			var missing, extra []string
			for k, n := range own {
				if kind == report.KindLines && lineQuality(k.purpose) && listed[k] <= n {
					continue // the quality figures (or a query they share): not among the headline figures 环比 prints
				}
				if listed[k] != n {
					missing = append(missing, k.purpose+" | "+k.promql+" @ "+k.evalAt)
				}
			}
			for k := range listed {
				if _, ok := own[k]; !ok {
					extra = append(extra, k.purpose+" | "+k.promql+" @ "+k.evalAt)
				}
			}
			sort.Strings(missing)
			sort.Strings(extra)
			for _, s := range missing {
				t.Errorf("September's query not listed (or listed another number of times) in October's audit: %s", s)
			}
			for _, s := range extra {
				t.Errorf("listed as September's, not run by September's report: %s", s)
			}
			t.Logf("%s: %d previous-period entries, %d purposes", kind, len(listed), len(purposes))
		})
	}
}
