package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func d(s string) time.Time {
	t, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestZone(t *testing.T) {
	if Zone.String() != "Asia/Shanghai" {
		t.Fatalf("zone name %q", Zone)
	}
	_, off := time.Date(2026, 7, 1, 0, 0, 0, 0, Zone).Zone()
	_, off2 := time.Date(2026, 1, 1, 0, 0, 0, 0, Zone).Zone()
	if off != 8*3600 || off2 != 8*3600 {
		t.Fatalf("offsets %d %d, want 28800 (no DST)", off, off2)
	}
	// Without tzdata the fixed fallback gives the same dates.
	fb := zoneFrom(func(string) (*time.Location, error) { return nil, errors.New("no tzdata") })
	at := time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)
	if fb.String() != ZoneName || at.In(fb).Format("2006-01-02 15:04") != at.In(Zone).Format("2006-01-02 15:04") {
		t.Fatalf("fallback %q gives %s", fb, at.In(fb))
	}
}

func TestParsePeriod(t *testing.T) {
	svc, err := NewService(d("2025-12-01"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in         string
		kind       Kind
		start, end string // end exclusive
		label      string
	}{
		{"2026-11", KindMonth, "2026-11-01", "2026-12-01", "2026年11月"},
		{"2026-12", KindMonth, "2026-12-01", "2027-01-01", "2026年12月"},
		{"2028-02", KindMonth, "2028-02-01", "2028-03-01", "2028年2月"},
		{"2026-Q4", KindQuarter, "2026-10-01", "2027-01-01", "2026年第四季度"},
		{"2026-Q1", KindQuarter, "2026-01-01", "2026-04-01", "2026年第一季度"},
		{"2026Q4", KindQuarter, "2026-10-01", "2027-01-01", "2026年第四季度"}, // aliases of 2026-Q4
		{"2026q4", KindQuarter, "2026-10-01", "2027-01-01", "2026年第四季度"},
		{"2026-q2", KindQuarter, "2026-04-01", "2026-07-01", "2026年第二季度"},
		{"2026", KindYear, "2026-01-01", "2027-01-01", "2026年"},
		{"service", KindService, "2025-12-01", "2026-12-01", "服务期"},
		{"2026-11-01..2026-11-15", KindRange, "2026-11-01", "2026-11-16", "2026-11-01..2026-11-15"},
		{"2026-11-15..2026-11-15", KindRange, "2026-11-15", "2026-11-16", "2026-11-15..2026-11-15"},
		{"2026-W48", KindWeek, "2026-11-23", "2026-11-30", "2026年第48周"},
		{"2026-W01", KindWeek, "2025-12-29", "2026-01-05", "2026年第1周"},  // ISO week 1 starts in December
		{"2026-W53", KindWeek, "2026-12-28", "2027-01-04", "2026年第53周"}, // 2026 has 53 ISO weeks
		{"2026-11-03", KindDay, "2026-11-03", "2026-11-04", "2026年11月3日"},
		{" 2026-11 ", KindMonth, "2026-11-01", "2026-12-01", "2026年11月"},
	}
	for _, tc := range tests {
		p, err := ParsePeriod(tc.in, &svc)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if p.Kind != tc.kind || !p.Start.Equal(d(tc.start)) || !p.End.Equal(d(tc.end)) {
			t.Errorf("%q = %s [%s, %s), want %s [%s, %s)", tc.in, p.Kind, ymd(p.Start), ymd(p.End), tc.kind, tc.start, tc.end)
		}
		if p.Label() != tc.label {
			t.Errorf("%q label %q, want %q", tc.in, p.Label(), tc.label)
		}
		// String round-trips.
		q, err := ParsePeriod(p.String(), &svc)
		if err != nil || q != p {
			t.Errorf("%q: String %q does not round-trip: %v %v", tc.in, p.String(), q, err)
		}
	}
}

func TestParsePeriodErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2026-13", "no such month"},
		{"2026-00", "no such month"},
		{"2026-Q5", "want 1..4"},
		{"2026-Q0", "want 1..4"},
		{"2025-W53", "no week 53"},
		{"2026-W00", "no week 0"},
		{"2026-02-30", "no such day"},
		{"2026-11-15..2026-11-01", "before first day"},
		{"2026-11-01..2026-11", "want YYYY-MM-DD"},
		{"1999", "out of range"},
		{"26-11", "want YYYY-MM-DD, YYYY-Www"},
		{"2026/11", "want YYYY-MM-DD, YYYY-Www"},
		{"November", "want YYYY-MM-DD, YYYY-Www"},
		{"", "want YYYY-MM-DD, YYYY-Www"},
	}
	for _, tc := range tests {
		_, err := ParsePeriod(tc.in, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.in, err, tc.want)
		}
	}
	if _, err := ParsePeriod("service", nil); !errors.Is(err, ErrNoService) {
		t.Errorf("service without config: %v", err)
	}
}

func TestPrevious(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2026-03", "2026-02"},
		{"2028-03", "2028-02"}, // 29 days
		{"2026-01", "2025-12"},
		{"2026-Q1", "2025-Q4"},
		{"2026-Q3", "2026-Q2"},
		{"2026", "2025"},
		{"2026-W01", "2025-W52"},
		{"2027-W01", "2026-W53"},
		{"2026-03-01", "2026-02-28"},
		{"2028-03-01", "2028-02-29"},
		{"2026-11-01..2026-11-15", "2026-10-17..2026-10-31"}, // 15 days
		{"2026-03-01..2026-04-30", "2026-01-01..2026-02-28"}, // whole months step by months
		{"2026-01-31..2026-01-31", "2026-01-30..2026-01-30"},
		{"2026-01-15..2026-02-14", "2025-12-15..2026-01-14"}, // one month from the 15th
		{"2026-03-31..2026-04-29", "2026-03-01..2026-03-30"}, // 30 days: the 31st has no "same day" in April
		{"2026-03-29..2026-04-28", "2026-02-26..2026-03-28"}, // 31 days: the 29th is past 28, by days

	}
	for _, tc := range tests {
		p, err := ParsePeriod(tc.in, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Previous().String(); got != tc.want {
			t.Errorf("Previous(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	svc, _ := NewService(d("2025-12-01"), time.Time{})
	prev := svc.Period().Previous()
	if prev.Kind != KindService || ymd(prev.Start) != "2024-12-01" || ymd(prev.End) != "2025-12-01" {
		t.Errorf("previous service period %s..%s", ymd(prev.Start), ymd(prev.End))
	}
	mid, _ := NewService(d("2025-12-15"), time.Time{})
	if prev := mid.Period().Previous(); ymd(prev.Start) != "2024-12-15" || ymd(prev.End) != "2025-12-15" {
		t.Errorf("previous of a mid-month service period %s..%s", ymd(prev.Start), ymd(prev.End))
	}
}

func TestMonthsAndContains(t *testing.T) {
	svc, _ := NewService(d("2025-12-01"), time.Time{})
	ms := svc.Period().Months()
	if len(ms) != 12 || ms[0].String() != "2025-12" || ms[11].String() != "2026-11" {
		t.Fatalf("service months %v", ms)
	}
	q, _ := ParsePeriod("2026-11-20..2027-01-05", nil)
	var got []string
	for _, m := range q.Months() {
		got = append(got, m.String())
	}
	if strings.Join(got, ",") != "2026-11,2026-12,2027-01" {
		t.Errorf("months of range: %v", got)
	}
	m := Month(2026, 11)
	in := []struct {
		t    time.Time
		want bool
	}{
		{time.Date(2026, 10, 31, 15, 59, 59, 0, time.UTC), false},
		{time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC), true}, // 2026-11-01 00:00 Beijing
		{time.Date(2026, 11, 30, 15, 59, 59, 999999999, time.UTC), true},
		{time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC), false}, // 2026-12-01 00:00 Beijing
	}
	for _, tc := range in {
		if m.Contains(tc.t) != tc.want {
			t.Errorf("Contains(%s) = %v", tc.t, !tc.want)
		}
	}
}

// TestPeriodUTCAt16 pins the classic off-by-one: 16:00 UTC is already the
// next day in Beijing.
func TestPeriodUTCAt16(t *testing.T) {
	tests := []struct {
		utc  time.Time
		kind Kind
		want string
	}{
		{time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC), KindMonth, "2026-12"},
		{time.Date(2026, 11, 30, 15, 59, 59, 0, time.UTC), KindMonth, "2026-11"},
		{time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC), KindYear, "2027"},
		{time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC), KindQuarter, "2027-Q1"},
		{time.Date(2026, 9, 30, 16, 0, 0, 0, time.UTC), KindQuarter, "2026-Q4"},
		{time.Date(2026, 9, 30, 15, 0, 0, 0, time.UTC), KindQuarter, "2026-Q3"},
		{time.Date(2028, 2, 28, 16, 0, 0, 0, time.UTC), KindDay, "2028-02-29"},
		{time.Date(2026, 11, 29, 16, 0, 0, 0, time.UTC), KindWeek, "2026-W49"}, // Monday 30 Nov in Beijing
		{time.Date(2026, 11, 29, 15, 0, 0, 0, time.UTC), KindWeek, "2026-W48"},
	}
	for _, tc := range tests {
		p, err := For(tc.kind, tc.utc)
		if err != nil {
			t.Fatal(err)
		}
		if p.String() != tc.want {
			t.Errorf("For(%s, %s) = %s, want %s", tc.kind, tc.utc, p, tc.want)
		}
		if p.Start.Location() != Zone {
			t.Errorf("period start not in Zone: %v", p.Start.Location())
		}
	}
}

func TestMonthLengths(t *testing.T) {
	tests := []struct {
		y    int
		m    time.Month
		days int
	}{
		{2026, 1, 31}, {2026, 2, 28}, {2028, 2, 29}, {2100, 2, 28}, {2000, 2, 29},
		{2026, 4, 30}, {2026, 7, 31}, {2026, 8, 31}, {2026, 12, 31},
	}
	for _, tc := range tests {
		p := Month(tc.y, tc.m)
		if p.Days() != tc.days || p.Seconds() != float64(tc.days*86400) {
			t.Errorf("%s: %d days %v s", p, p.Days(), p.Seconds())
		}
	}
	if p, _ := ParsePeriod("2026-Q1", nil); p.Days() != 90 {
		t.Errorf("Q1 2026 %d days", p.Days())
	}
	if p, _ := ParsePeriod("2028-Q1", nil); p.Days() != 91 {
		t.Errorf("Q1 2028 %d days", p.Days())
	}
}

func TestCurrentAndLastComplete(t *testing.T) {
	now := time.Date(2026, 12, 4, 13, 55, 0, 0, time.UTC) // 21:55 Beijing
	tests := []struct {
		kind      Kind
		cur, last string
	}{
		{KindDay, "2026-12-04", "2026-12-03"},
		{KindWeek, "2026-W49", "2026-W48"},
		{KindMonth, "2026-12", "2026-11"},
		{KindQuarter, "2026-Q4", "2026-Q3"},
		{KindYear, "2026", "2025"},
	}
	for _, tc := range tests {
		c, err := Current(tc.kind, now)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := LastComplete(tc.kind, now)
		if c.String() != tc.cur || l.String() != tc.last {
			t.Errorf("%s: current %s last %s, want %s %s", tc.kind, c, l, tc.cur, tc.last)
		}
		if c.IsComplete(now) || !l.IsComplete(now) {
			t.Errorf("%s: IsComplete current=%v last=%v", tc.kind, c.IsComplete(now), l.IsComplete(now))
		}
	}
	// A month is complete exactly at its end.
	if !Month(2026, 11).IsComplete(time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)) {
		t.Error("November not complete at 2026-12-01 00:00 Beijing")
	}
	if _, err := Current(KindService, now); err == nil {
		t.Error("Current(service) should be an error")
	}
}

func TestService(t *testing.T) {
	svc, err := NewService(d("2025-12-01"), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if ymd(svc.End) != "2026-12-01" || svc.Months() != 12 {
		t.Fatalf("end %s months %d", ymd(svc.End), svc.Months())
	}
	if n, ok := svc.MonthNumber(time.Date(2026, 2, 28, 16, 0, 0, 0, time.UTC)); !ok || n != 4 { // 1 March Beijing
		t.Errorf("month number %d %v, want 4", n, ok)
	}
	if q, ok := svc.QuarterNumber(d("2026-11-30")); !ok || q != 4 {
		t.Errorf("quarter number %d", q)
	}
	if _, ok := svc.MonthNumber(d("2026-12-01")); ok {
		t.Error("2026-12-01 is after the service period")
	}
	q2, _ := svc.Quarter(2)
	if ymd(q2.Start) != "2026-03-01" || ymd(q2.End) != "2026-06-01" {
		t.Errorf("service Q2 %s..%s", ymd(q2.Start), ymd(q2.End))
	}
	if _, err := svc.Month(13); err == nil {
		t.Error("month 13 should fail")
	}
	// A service period starting mid-month: month 1 and 13 are clipped.
	mid, _ := NewService(d("2025-12-15"), time.Time{})
	m1, _ := mid.Month(1)
	m13, err := mid.Month(13)
	if err != nil || mid.Months() != 13 || m1.String() != "2025-12-15..2025-12-31" || m13.String() != "2026-12-01..2026-12-14" {
		t.Errorf("mid-month service: %d months, m1 %s, m13 %s, %v", mid.Months(), m1, m13, err)
	}
	if q5, err := mid.Quarter(5); err != nil || q5.String() != "2026-12-01..2026-12-14" {
		t.Errorf("mid-month service quarter 5 (month 13 only): %s %v", q5, err)
	}
	if _, err := mid.Quarter(6); err == nil || !strings.Contains(err.Error(), "quarters 1..5") {
		t.Errorf("quarter 6: %v", err)
	}
	if _, ok := mid.QuarterNumber(d("2025-12-14")); ok {
		t.Error("2025-12-14 is before the service period")
	}
	// Configured last day.
	short, err := NewService(d("2025-12-01"), d("2026-05-31"))
	if err != nil || short.Months() != 6 || strings.Join(intsToStrings(short.Years()), ",") != "2025,2026" {
		t.Errorf("short service %v %v", short, err)
	}
	if _, err := NewService(d("2025-12-01"), d("2025-11-30")); err == nil {
		t.Error("last day before start should fail")
	}
	// 29 February start: one year later is 1 March (no 29 Feb 2029): last day 28 Feb.
	leap, _ := NewService(d("2028-02-29"), time.Time{})
	if ymd(leap.End) != "2029-03-01" {
		t.Errorf("leap start end %s", ymd(leap.End))
	}
}

func intsToStrings(xs []int) []string {
	var out []string
	for _, x := range xs {
		out = append(out, time.Date(x, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006"))
	}
	return out
}
