package report_test

import (
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/report"
)

// The names of the comparison periods (comparisonPeriods).
const (
	periodMonth   = "month"
	periodBefore  = "range before the history"
	periodQuarter = "quarter ending after the history"
)

// comparisonPeriod is one period the equality tests (raw and default
// detectors, raw and edge counters) build their reports for.
type comparisonPeriod struct {
	name   string
	period calendar.Period
}

// comparisonPeriods are the periods the equality tests compare on the e2e
// history (October 2026), with the build time now (2026-11-29): the month,
// a range beginning before the history (2026-09-25..2026-10-20) and a
// quarter (2026-Q4) whose series all end inside it (a 截至 draft).
func comparisonPeriods(t *testing.T) ([]comparisonPeriod, time.Time) {
	t.Helper()
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
	return []comparisonPeriod{{periodMonth, month}, {periodBefore, before}, {periodQuarter, quarter}}, now
}
