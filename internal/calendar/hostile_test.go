package calendar

import (
	"strings"
	"testing"
	"time"
)

// TestHostile_YAMLAliasBomb: a "billion laughs" calendar file fails fast
// instead of expanding (yaml.v3's alias limit, plus MaxFileBytes).
func TestHostile_YAMLAliasBomb(t *testing.T) {
	// Under a known field, so that the strict decoder walks it (an unknown
	// top-level key would be skipped unexpanded).
	bomb := `maintenance:
  - weekdays: &a ["x","x","x","x","x","x","x","x","x"]
  - weekdays: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  - weekdays: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  - weekdays: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  - weekdays: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  - weekdays: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  - weekdays: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  - weekdays: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  - weekdays: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`
	start := time.Now()
	_, err := Parse("bomb.yml", []byte(bomb))
	if err != nil && len(err.Error()) > 1<<20 {
		t.Errorf("alias bomb error is %d bytes", len(err.Error()))
	}
	if err == nil || !strings.HasPrefix(err.Error(), "bomb.yml") {
		t.Errorf("alias bomb: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("alias bomb took %v", d)
	}
	if _, err := Parse("big.yml", make([]byte, MaxFileBytes+1)); err == nil || !strings.Contains(err.Error(), "limited to") {
		t.Errorf("oversized data: %v", err)
	}
}

// TestHostile_PeriodYearBounds: a range's END year is bounded too (a
// "2026-01-01..9999-12-31" range would make every per-month loop walk
// 95 000 months).
func TestHostile_PeriodYearBounds(t *testing.T) {
	for _, in := range []string{"2026-01-01..9999-12-31", "1999-12-31..2026-01-01", "0001-01-01", "2200-W01", "9999-Q1", "2200"} {
		if _, err := ParsePeriod(in, nil); err == nil || !strings.Contains(err.Error(), "2000..2199") {
			t.Errorf("%q: %v", in, err)
		}
	}
	// 200 years of days is still counted exactly without walking them.
	p, err := ParsePeriod("2000-01-01..2199-12-31", nil)
	if err != nil || p.Days() != 73049 || len(p.Months()) != 2400 {
		t.Errorf("200 years: %d days %v", p.Days(), err)
	}
}

// TestHostile_ServiceTooLong: a service last_day typo (2036 for 2026) is
// refused rather than demanding 11 years of holiday sections.
func TestHostile_ServiceTooLong(t *testing.T) {
	if _, err := NewService(d("2025-12-01"), d("2036-11-30")); err == nil || !strings.Contains(err.Error(), "more than 10 years") {
		t.Errorf("11-year service: %v", err)
	}
	if _, err := NewService(d("2025-12-01"), d("2035-11-30")); err != nil {
		t.Errorf("10-year service: %v", err)
	}
}
