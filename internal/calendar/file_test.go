package calendar

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const shipped = "../../deploy/etc/jianguan/calendar.yml"

func loadShipped(t *testing.T) *Calendar {
	t.Helper()
	c, err := Load(shipped)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestShippedCalendar(t *testing.T) {
	c := loadShipped(t)
	if ymd(c.Service.Start) != "2025-12-01" || ymd(c.Service.End) != "2026-12-01" {
		t.Errorf("service %s..%s", ymd(c.Service.Start), ymd(c.Service.End))
	}
	if got := c.ProvisionalYears(); len(got) != 1 || got[0] != 2027 {
		t.Errorf("provisional years %v, want [2027]", got)
	}
	for _, y := range []int{2025, 2026} {
		if yi, ok := c.Year(y); !ok || yi.Provisional() {
			t.Errorf("%d: %+v %v, want confirmed", y, yi, ok)
		}
	}
	// Every holiday of every year is covered by a holiday guard period.
	for _, y := range []int{2025, 2026, 2027} {
		hs := c.Holidays(y)
		if len(hs) < 6 {
			t.Fatalf("%d: %d holidays", y, len(hs))
		}
		for _, h := range hs {
			covered := false
			for _, g := range c.GuardPeriods() {
				if g.Kind == GuardHoliday && !g.Period.Start.After(h.Off.Start) && !g.Period.End.Before(h.Off.End) {
					covered = true
					if g.Provisional != h.Provisional {
						t.Errorf("%s: guard provisional %v, holiday %v", g.Name, g.Provisional, h.Provisional)
					}
				}
			}
			if !covered {
				t.Errorf("%d %s (%s) has no guard period", y, h.Name, h.Off)
			}
		}
	}
	gs := c.GuardsAt(time.Date(2026, 2, 16, 3, 0, 0, 0, time.UTC))
	if len(gs) != 1 || gs[0].Name != "2026年春节" {
		t.Errorf("guards at 除夕 2026: %v", gs)
	}
	if gs := c.GuardsIn(Month(2026, 10)); len(gs) != 1 || gs[0].Name != "2026年国庆节" {
		t.Errorf("guards in October 2026: %v", gs)
	}
	if gs := c.GuardsIn(Month(2026, 9)); len(gs) != 2 {
		t.Errorf("guards in September 2026 (中秋, 国庆 eve): %v", gs)
	}
	if h, ok := c.HolidayOn(d("2025-10-06")); !ok || h.Name != "国庆节、中秋节" {
		t.Errorf("holiday on 2025-10-06: %v %v", h, ok)
	}
}

func TestIsWorkday(t *testing.T) {
	c := loadShipped(t)
	tests := []struct {
		date string
		want bool
	}{
		{"2025-12-01", true},  // Monday
		{"2025-12-06", false}, // Saturday
		{"2026-01-01", false}, // 元旦
		{"2026-01-02", false}, // 元旦 (Friday)
		{"2026-01-04", true},  // Sunday make-up
		{"2026-02-14", true},  // Saturday make-up before 春节
		{"2026-02-16", false}, // 除夕 (Monday)
		{"2026-02-23", false}, // last day off (Monday)
		{"2026-02-24", true},
		{"2026-02-28", true}, // Saturday make-up after 春节
		{"2026-03-01", false},
		{"2025-09-28", true},  // Sunday make-up before 国庆 2025
		{"2025-10-08", false}, // last day off
		{"2025-10-11", true},  // Saturday make-up
		{"2026-09-20", true},
		{"2026-10-07", false},
		{"2026-10-10", true},
	}
	for _, tc := range tests {
		got, err := c.IsWorkday(d(tc.date))
		if err != nil || got != tc.want {
			t.Errorf("IsWorkday(%s) = %v, %v; want %v", tc.date, got, err, tc.want)
		}
	}
	// The date is taken in Beijing: 2026-02-13T16:00Z is Saturday 14 Feb (make-up day).
	if ok, _ := c.IsWorkday(time.Date(2026, 2, 13, 16, 0, 0, 0, time.UTC)); !ok {
		t.Error("2026-02-13T16:00Z is the make-up Saturday in Beijing")
	}
	if _, err := c.IsWorkday(d("2028-01-03")); !errors.Is(err, ErrNoHolidayData) {
		t.Errorf("2028: %v, want ErrNoHolidayData", err)
	}
}

// TestAddWorkdays counts the repair deadline (15 working days after the
// spare swap) across 春节 and 国庆 with their make-up days; each want was
// counted by hand on a calendar (see the comments).
func TestAddWorkdays(t *testing.T) {
	c := loadShipped(t)
	tests := []struct {
		from string
		n    int
		want string
	}{
		// Swap Tue 2026-02-10: 11,12,13 (1-3), Sat 14 make-up (4), 15..23 off,
		// 24,25,26,27 (5-8), Sat 28 make-up (9), Mar 2-6 (10-14), Mon Mar 9 (15).
		{"2026-02-10", 15, "2026-03-09"},
		// Swap Fri 2025-09-26: Sun 28 make-up (1), 29, 30 (2-3), Oct 1..8 off,
		// 9, 10 (4-5), Sat 11 make-up (6), 13-17 (7-11), 20-23 (12-15).
		{"2025-09-26", 15, "2025-10-23"},
		// Swap Wed 2026-12-30, across 元旦 2027 (provisional data): 31 (1),
		// Jan 1-3 off, 4-8 (2-6), 11-15 (7-11), 18-21 (12-15).
		{"2026-12-30", 15, "2027-01-21"},
		{"2026-02-13", 1, "2026-02-14"}, // the make-up Saturday counts
		{"2026-02-14", 1, "2026-02-24"},
		{"2026-02-15", 0, "2026-02-15"},
		{"2025-12-31", 1, "2026-01-04"}, // Jan 1-3 off, Sun Jan 4 is the make-up workday
	}
	for _, tc := range tests {
		got, err := c.AddWorkdays(d(tc.from), tc.n)
		if err != nil {
			t.Errorf("AddWorkdays(%s, %d): %v", tc.from, tc.n, err)
			continue
		}
		if ymd(got) != tc.want {
			t.Errorf("AddWorkdays(%s, %d) = %s, want %s", tc.from, tc.n, ymd(got), tc.want)
		}
		back, err := c.WorkdaysBetween(d(tc.from), got)
		if err != nil || back != tc.n {
			t.Errorf("WorkdaysBetween(%s, %s) = %d, %v; want %d", tc.from, ymd(got), back, err, tc.n)
		}
	}
	// Whole of 2026: 261 weekdays − 19 weekdays off (元旦 2, 春节 6, 清明 1, 劳动 3,
	// 端午 1, 中秋 1, 国庆 5) + 6 make-up days = 248 (365 − 104 weekend − 13 statutory).
	n, err := c.WorkdaysBetween(d("2025-12-31"), d("2026-12-31"))
	if err != nil || n != 248 {
		t.Errorf("working days in 2026: %d %v", n, err)
	}
	if _, err := c.AddWorkdays(d("2027-12-01"), 40); !errors.Is(err, ErrNoHolidayData) {
		t.Errorf("running past 2027: %v", err)
	}
	if _, err := c.AddWorkdays(d("2026-01-01"), -1); err == nil {
		t.Error("negative n accepted")
	}
	if _, err := c.WorkdaysBetween(d("2026-01-02"), d("2026-01-01")); err == nil {
		t.Error("reversed range accepted")
	}
}

const goodHead = `service:
  start: 2025-12-01
years:
  - year: 2025
    status: confirmed
    source: test
    holidays:
      - {name: 元旦, from: 2025-01-01, to: 2025-01-01}
      - {name: 春节, from: 2025-01-28, to: 2025-02-04, workdays: [2025-01-26, 2025-02-08]}
      - {name: 清明节, from: 2025-04-04, to: 2025-04-06}
      - {name: 劳动节, from: 2025-05-01, to: 2025-05-05, workdays: [2025-04-27]}
      - {name: 端午节, from: 2025-05-31, to: 2025-06-02}
      - {name: 国庆节、中秋节, from: 2025-10-01, to: 2025-10-08, workdays: [2025-09-28, 2025-10-11]}
  - year: 2026
    status: provisional
    source: test
    holidays:
      - {name: 元旦, from: 2026-01-01, to: 2026-01-03, workdays: [2026-01-04]}
      - {name: 春节, from: 2026-02-15, to: 2026-02-23}
      - {name: 清明节, from: 2026-04-04, to: 2026-04-06}
      - {name: 劳动节, from: 2026-05-01, to: 2026-05-05}
      - {name: 端午节, from: 2026-06-19, to: 2026-06-21}
      - {name: 中秋节, from: 2026-09-25, to: 2026-09-27}
      - {name: 国庆节, from: 2026-10-01, to: 2026-10-07}
`

func TestParseGood(t *testing.T) {
	c, err := Parse("cal.yml", []byte(goodHead+"guard_periods:\n  - {name: g, kind: event, from: 2026-03-03, to: 2026-03-03}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p := c.ProvisionalYears(); len(p) != 1 || p[0] != 2026 {
		t.Errorf("provisional %v", p)
	}
	if g := c.GuardPeriods(); len(g) != 1 || g[0].Provisional || g[0].Period.Days() != 1 {
		t.Errorf("guards %+v", g)
	}
}

// TestLoadErrors: every bad file names file:line and says what is wrong.
func TestLoadErrors(t *testing.T) {
	rep := func(old, new string) string {
		if !strings.Contains(goodHead, old) {
			panic(old)
		}
		return strings.Replace(goodHead, old, new, 1)
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown field", goodHead + "holidays: []\n", "cal.yml:25: field holidays not found"},
		{"unknown nested field", rep("    source: test\n    holidays:", "    source: test\n    note: x\n    holidays:"), "cal.yml:7: field note not found"},
		{"no service", strings.Replace(goodHead, "service:\n  start: 2025-12-01\n", "", 1), "service.start: required"},
		{"bad start", rep("start: 2025-12-01", "start: 2025-12-32"), "cal.yml:2: service.start: date \"2025-12-32\": no such day"},
		{"last before start", rep("start: 2025-12-01", "start: 2025-12-01\n  last_day: 2025-11-01"), "cal.yml:3: service.last_day: service period: last day 2025-11-01 is before start 2025-12-01"},
		{"zone", "zone: UTC\n" + goodHead, "cal.yml:1: zone: \"UTC\""},
		{"missing year of service", rep("start: 2025-12-01", "start: 2026-12-01"), "includes 2027 but years: has no section for it"},
		{"duplicate year", rep("- year: 2026", "- year: 2025"), "cal.yml:14: years[1].year: 2025 is declared twice"},
		{"bad status", rep("status: provisional", "status: maybe"), "cal.yml:15: years[1].status: \"maybe\""},
		{"no source", rep("source: test\n    holidays:\n      - {name: 元旦, from: 2026", "source: \"\"\n    holidays:\n      - {name: 元旦, from: 2026"), "years[1].source: required"},
		{"unknown holiday", rep("name: 端午节, from: 2026", "name: 圣诞节, from: 2026"), "cal.yml:22: years[1].holidays[4].name: \"圣诞节\""},
		{"missing holiday", rep("      - {name: 中秋节, from: 2026-09-25, to: 2026-09-27}\n", ""), "2026: 中秋节 is missing"},
		{"holiday twice", rep("{name: 中秋节, from: 2026-09-25", "{name: 国庆节, from: 2026-09-25"), "国庆节 is declared twice in 2026"},
		{"bad date", rep("from: 2026-06-19", "from: 2026-6-19"), "cal.yml:22: years[1].holidays[4].from: date \"2026-6-19\": want YYYY-MM-DD"},
		{"reversed", rep("to: 2026-06-21", "to: 2026-06-18"), "years[1].holidays[4].to: 2026-06-18 is before from 2026-06-19"},
		{"far year", rep("to: 2026-06-21", "to: 2028-06-21"), "2028-06-21 is not in or next to 2026"},
		{"too long", rep("to: 2026-06-21", "to: 2026-07-21"), "33 days off"},
		{"weekday make-up", rep("workdays: [2026-01-04]", "workdays: [2026-01-05]"), "cal.yml:18: years[1].holidays[0].workdays[0]: 2026-01-05 is a Monday"},
		{"duplicate day off", rep("{name: 中秋节, from: 2026-09-25, to: 2026-09-27}", "{name: 中秋节, from: 2026-10-01, to: 2026-10-01}"), "2026-10-01 is already a day off of 中秋节"},
		{"make-up is day off", rep("workdays: [2026-01-04]", "workdays: [2026-01-03]"), "2026-01-03 is both a make-up workday of 元旦 and a day off of 元旦"},
		{"duplicate make-up", rep("workdays: [2026-01-04]", "workdays: [2026-01-04, 2026-01-04]"), "2026-01-04 is already a make-up workday"},
		{"guard kind", goodHead + "guard_periods:\n  - {name: g, kind: party, from: 2026-03-03, to: 2026-03-04}\n", "cal.yml:26: guard_periods[0].kind: \"party\""},
		{"guard reversed", goodHead + "guard_periods:\n  - {name: g, kind: event, from: 2026-03-03, to: 2026-03-01}\n", "guard_periods[0].to: 2026-03-01 is before from 2026-03-03"},
		{"guard dup", goodHead + "guard_periods:\n  - {name: g, kind: event, from: 2026-03-03, to: 2026-03-04}\n  - {name: g, kind: event, from: 2026-04-03, to: 2026-04-04}\n", "cal.yml:27: guard_periods[1].name: \"g\" is declared twice"},
		{"guard no name", goodHead + "guard_periods:\n  - {kind: event, from: 2026-03-03, to: 2026-03-04}\n", "guard_periods[0].name: required"},
		{"guard too long", goodHead + "guard_periods:\n  - {name: g, kind: event, from: 2026-03-03, to: 2026-12-04}\n", "277 days"},
		{"not yaml", "service: [\n", "cal.yml:"},
		{"wrong type", rep("year: 2026", "year: twenty"), "cal.yml:14: cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("cal.yml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadBounds(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", MaxFileBytes)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "limited to 1048576") {
		t.Errorf("big file: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.yml")); err == nil || !strings.Contains(err.Error(), "missing.yml") {
		t.Errorf("missing file: %v", err)
	}
}

func BenchmarkLoadShipped(b *testing.B) {
	for b.Loop() {
		if _, err := Load(shipped); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddWorkdays15(b *testing.B) {
	c, err := Load(shipped)
	if err != nil {
		b.Fatal(err)
	}
	from := d("2026-02-10")
	for b.Loop() {
		if _, err := c.AddWorkdays(from, 15); err != nil {
			b.Fatal(err)
		}
	}
}
