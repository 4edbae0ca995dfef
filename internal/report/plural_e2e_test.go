package report_test

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
)

var htmlTagRE = regexp.MustCompile(`<[^>]*>`)

// TestEnglishPlurals_EveryKind (issue 16): every report kind — lines, the
// supervision report (hosts), providers, infrastructure — of the e2e
// scenario on a real Prometheus, in English, for October and for the Q4
// quarter (its per-month table and trend), rendered as HTML: the text has
// no count of one with a plural noun ("1 alarms", "1 entities have"),
// whatever the scenario's counts are (TestEnglishPlurals_Counts012 sets
// them to 0, 1 and 2 sentence by sentence).
func TestEnglishPlurals_EveryKind(t *testing.T) {
	url, _ := startE2EPrometheus(t)
	q := promapi.New(url)
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	q4, _ := calendar.Quarter(2026, 4)
	for _, p := range []calendar.Period{calendar.Month(2026, time.October), q4} {
		for _, kind := range report.Kinds {
			t.Run(p.String()+"/"+kind, func(t *testing.T) {
				cfg := report.DefaultConfig()
				cfg.Now = func() time.Time { return now }
				cfg.Lang = docfmt.EN
				d, err := report.Build(ctx, q, cfg, kind, p)
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				if err := report.Render(&b, d, "html"); err != nil {
					t.Fatal(err)
				}
				text := htmlTagRE.ReplaceAllString(b.String(), " ")
				if len(text) < 1000 {
					t.Fatalf("almost empty document: %q", text)
				}
				if errs := docfmt.PluralErrors(text); len(errs) > 0 {
					t.Errorf("English plurals: %q", errs)
				}
				// Every audit purpose this kind writes is worded in both
				// languages (TestAuditPurpose: the glossary itself).
				bad := map[string]bool{}
				for _, a := range d.Audit.Queries {
					for _, lang := range []docfmt.Lang{docfmt.ZH, docfmt.EN} {
						if p := report.PurposeProblems(lang, a.Purpose); len(p) > 0 && !bad[a.Purpose] {
							bad[a.Purpose] = true
							t.Errorf("audit purpose %q in %s: %q", a.Purpose, lang, p)
						}
					}
				}
			})
		}
	}
}
