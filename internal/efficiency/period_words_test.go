package efficiency_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/docfmt"
	"github.com/jianguan/jianguan/internal/efficiency"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/report/promapi"
)

var tagRE = regexp.MustCompile(`<[^>]*>`)

// TestEfficiencyPeriodWords (issue 16): the efficiency document of a
// period that is not a calendar month — a date range evaluated on
// Prometheus 2.42 (2026-10-01..2026-10-31: 31 days like the month, but a
// range) and the same figures under a quarter's name — says 本期/期均/期内
// in every sentence, table header and audit query purpose, never
// 本月/月内/月均 (zh-CN) or "month" (English); the month's own document
// still says 本月 and 月均 (the words depend on the period, not the data).
// Both English documents write their counts with the noun's number
// (docfmt.PluralErrors finds no "1 hosts").
func TestEfficiencyPeriodWords(t *testing.T) {
	c, err := efficiency.Load("../../deploy/etc/jianguan/efficiency.yml", efficiency.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng, err := calendar.Range(monthStart, monthEnd.Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	url := startPrometheus(t)
	r, err := efficiency.Evaluate(context.Background(), promapi.New(url), c, report.PeriodMonth(rng))
	if err != nil {
		t.Fatal(err)
	}
	q4, _ := calendar.Quarter(2026, 4)
	monthWords := regexp.MustCompile(`本月|月内|月均|(?i)\bmonth`)
	for _, tc := range []struct {
		name   string
		period calendar.Period
		lang   docfmt.Lang
		month  bool
	}{
		{"range/zh", rng, docfmt.ZH, false},
		{"range/en", rng, docfmt.EN, false},
		{"quarter/zh", q4, docfmt.ZH, false},
		{"quarter/en", q4, docfmt.EN, false},
		{"month/zh", calendar.MonthOf(monthStart), docfmt.ZH, true},
		{"month/en", calendar.MonthOf(monthStart), docfmt.EN, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := efficiency.Document(r, c, report.PeriodMonth(rng), efficiency.DocOptions{Lang: tc.lang, Now: testNow, Period: tc.period})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := report.Render(&b, d, "html"); err != nil {
				t.Fatal(err)
			}
			text := tagRE.ReplaceAllString(b.String(), " ")
			// The audit appendix's query purposes are part of the text.
			if len(d.Audit.Queries) == 0 || !strings.Contains(text, d.Audit.Queries[0].Purpose) {
				t.Fatalf("no audit purposes in the HTML")
			}
			found := monthWords.FindAllString(text, -1)
			if tc.month {
				if len(found) == 0 {
					t.Errorf("the month's document has none of 本月/月均/month")
				}
			} else if len(found) > 0 {
				for _, m := range monthWords.FindAllStringIndex(text, 5) {
					t.Errorf("%q in …%s…", text[m[0]:m[1]], text[max(0, m[0]-60):min(len(text), m[1]+60)])
				}
			}
			if tc.lang == docfmt.EN {
				if errs := docfmt.PluralErrors(text); len(errs) > 0 {
					t.Errorf("English plurals: %q", errs)
				}
			}
		})
	}
}
