package report_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/snapshot"
)

// TestPreviousFromSnapshot: with a snapshot store (Config.Frozen), 环比
// reads a signed-off previous period from its snapshot instead of
// rebuilding it. On a real Prometheus holding the e2e scenario, September
// is frozen, then October's report of every kind is built twice — with
// the store and without — and
//   - the comparison table is the same, figure by figure (the frozen
//     figures are the engine's, so reading them changes nothing but the
//     cost);
//   - with the store no query of September is run or listed, the document
//     names the snapshot (PreviousFrozen, the SHA-256 in the 环比 text and
//     in the audit's method);
//   - the 12-month trend (lines, hosts) reads September from the snapshot
//     too: the same trend, none of September's queries; rebuilt, it takes
//     September from 环比's build, whose queries are listed once;
//   - a snapshot that measured something else (another maintenance
//     policy, another filter) is not used: September is rebuilt, and the
//     环比 text says why;
//   - a snapshot that does not verify fails the report, naming the period.
func TestPreviousFromSnapshot(t *testing.T) {
	q, cfg, oct, sep := octoberAfterSeptember(t)
	ctx := context.Background()
	now := cfg.Now()
	st := snapshot.Store{Dir: t.TempDir()}
	signed := cfg
	signed.Narrative = report.Narrative{Problems: "无", Remedies: "无", NextSteps: "继续巡检"}
	for _, kind := range report.Kinds {
		t.Run(kind, func(t *testing.T) {
			res, err := st.Freeze(ctx, kind, snapshot.Name(sep), func(ctx context.Context) (*report.Document, error) {
				return report.Build(ctx, q, signed, kind, sep)
			}, now)
			if err != nil {
				t.Fatal(err)
			}
			rebuilt, err := report.Build(ctx, q, cfg, kind, oct)
			if err != nil {
				t.Fatal(err)
			}
			withStore := cfg
			withStore.Frozen = st
			read, err := report.Build(ctx, q, withStore, kind, oct)
			if err != nil {
				t.Fatal(err)
			}
			if len(read.Comparison) == 0 || len(read.Comparison) != len(rebuilt.Comparison) {
				t.Fatalf("comparison: %d figures from the snapshot, %d rebuilt", len(read.Comparison), len(rebuilt.Comparison))
			}
			withPrev := 0
			for i, c := range read.Comparison {
				if c != rebuilt.Comparison[i] {
					t.Errorf("%s: from the snapshot %+v, rebuilt %+v", c.LabelEN, c, rebuilt.Comparison[i])
				}
				if c.HasPrevious {
					withPrev++
				}
			}
			if withPrev == 0 {
				t.Errorf("no figure has a previous value: nothing was compared")
			}
			if read.PreviousFrozen == nil || read.PreviousFrozen.SHA256 != res.SHA256 {
				t.Errorf("PreviousFrozen = %+v, want the snapshot's SHA-256 %s", read.PreviousFrozen, res.SHA256)
			}
			if rebuilt.PreviousFrozen != nil {
				t.Errorf("without a store: PreviousFrozen = %+v", rebuilt.PreviousFrozen)
			}
			if n := previousQueries(read); n != 0 {
				t.Errorf("with the snapshot %d queries of the previous period are listed; it was not queried", n)
			}
			if previousQueries(rebuilt) == 0 {
				t.Errorf("rebuilt: no query of the previous period listed")
			}
			// The trend (lines, hosts) reads September from the snapshot too.
			if !reflect.DeepEqual(read.Trend, rebuilt.Trend) {
				t.Errorf("trend from the snapshot %+v, rebuilt %+v", read.Trend, rebuilt.Trend)
			}
			trendSep := report.TrendAuditPrefix + sep.String() + ": "
			if n := prefixed(read, trendSep); n != 0 {
				t.Errorf("with the snapshot %d queries of the trend's %s are listed; it was not queried", n, sep)
			}
			// Rebuilt, the trend takes September from 环比's build: its
			// queries are listed once, as the previous period's.
			if n := prefixed(rebuilt, trendSep); n != 0 {
				t.Errorf("rebuilt: %d queries of the trend's %s listed; 环比 built it already", n, sep)
			}
			sha := res.SHA256[:16]
			named := 0
			for _, m := range read.Audit.Method {
				if strings.Contains(m, sha) {
					named++
				}
			}
			if named != 1 {
				t.Errorf("the audit's method names the snapshot %d times, want once: %q", named, read.Audit.Method)
			}
			if !strings.Contains(sectionText(read, "comparison"), sha) {
				t.Errorf("the 环比 text does not name the snapshot %s: %q", sha, sectionText(read, "comparison"))
			}
			// Measured otherwise: not comparable, rebuilt.
			other := withStore
			other.MaintenancePolicy = report.MaintenanceUptime
			if d, err := report.Build(ctx, q, other, kind, oct); err != nil {
				t.Fatal(err)
			} else if d.PreviousFrozen != nil || previousQueries(d) == 0 {
				t.Errorf("another maintenance policy: the snapshot was used (PreviousFrozen %+v)", d.PreviousFrozen)
			} else if !strings.Contains(sectionText(d, "comparison"), "统计口径不同") {
				t.Errorf("another maintenance policy: the 环比 text does not say why the snapshot was not used: %q", sectionText(d, "comparison"))
			}
			// a filter that keeps data: one label of the first entity
			other = withStore
			other.Filter = oneLabel(rebuilt.Entities[0].Labels)
			if d, err := report.Build(ctx, q, other, kind, oct); err != nil {
				t.Fatalf("filter %v: %v", other.Filter, err)
			} else if d.PreviousFrozen != nil || !strings.Contains(sectionText(d, "comparison"), "统计口径不同") {
				t.Errorf("filter %v: the snapshot of the unfiltered report was used (PreviousFrozen %+v)", other.Filter, d.PreviousFrozen)
			}
		})
	}
	t.Run("does not verify", func(t *testing.T) {
		path := st.Path(report.KindLines, snapshot.Name(sep))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		bad := snapshot.Store{Dir: t.TempDir()}
		p := bad.Path(report.KindLines, snapshot.Name(sep))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		// one figure changed after the freeze: valid JSON, another hash
		altered := regexp.MustCompile(`("downSeconds":\s*)(\d)`).ReplaceAllString(string(b), "${1}1${2}")
		if altered == string(b) {
			t.Fatal("no downSeconds in the snapshot")
		}
		if err := os.WriteFile(p, []byte(altered), 0o644); err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.Frozen = bad
		_, err = report.Build(ctx, q, c, report.KindLines, oct)
		if err == nil || !strings.Contains(err.Error(), sep.String()) || !strings.Contains(err.Error(), "SHA-256 mismatch") {
			t.Fatalf("a snapshot that does not verify: err = %v, want its SHA-256 mismatch naming %s", err, sep)
		}
		t.Logf("%v", err)
	})
}

// oneLabel is a filter on one of labels: site when there is one, else the
// first in order.
func oneLabel(labels map[string]string) map[string]string {
	if v, ok := labels["site"]; ok {
		return map[string]string{"site": v}
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return map[string]string{keys[0]: labels[keys[0]]}
}

// previousQueries counts the audit's queries of the previous period.
func previousQueries(d *report.Document) int { return prefixed(d, report.PreviousAuditPrefix) }

// prefixed counts the audit's queries whose purpose starts with prefix.
func prefixed(d *report.Document, prefix string) int {
	n := 0
	for _, a := range d.Audit.Queries {
		if strings.HasPrefix(a.Purpose, prefix) {
			n++
		}
	}
	return n
}

// sectionText is the text of d's section id.
func sectionText(d *report.Document, id string) string {
	for _, s := range d.Sections {
		if s.ID == id {
			return strings.Join(s.Text, "\n")
		}
	}
	return ""
}
