package calendar

import (
	"fmt"
	"sort"
	"time"
)

// YearInfo says where a year's holiday data comes from.
type YearInfo struct {
	Year int
	// Status is "confirmed" (entered from the State Council's published
	// 放假安排 notice) or "provisional" (the notice was not known when the
	// file was written: dates are estimates and documents must say so).
	Status string
	Source string
}

// Provisional reports whether the year's data is an estimate.
func (y YearInfo) Provisional() bool { return y.Status == StatusProvisional }

// Year data statuses.
const (
	StatusConfirmed   = "confirmed"
	StatusProvisional = "provisional"
)

// Holiday is one public holiday of a year (possibly two merged, e.g.
// 国庆节、中秋节) with its days off and its make-up workdays (调休上班).
type Holiday struct {
	Name        string
	Year        int // the year section it was declared in
	Off         Period
	Workdays    []time.Time
	Provisional bool
}

// ErrNoHolidayData is wrapped by working-day functions asked about a year
// the calendar file has no section for.
var ErrNoHolidayData = fmt.Errorf("no holiday data")

// maxWorkdays bounds AddWorkdays (about 40 years of working days).
const maxWorkdays = 10000

func key(t time.Time) string { return ymd(t) }

// Year returns the data status of year y, and false when the file has no
// section for it.
func (c *Calendar) Year(y int) (YearInfo, bool) {
	yi, ok := c.years[y]
	return yi, ok
}

// ProvisionalYears lists the years whose holiday data is provisional.
func (c *Calendar) ProvisionalYears() []int {
	var ys []int
	for y, yi := range c.years {
		if yi.Provisional() {
			ys = append(ys, y)
		}
	}
	sort.Ints(ys)
	return ys
}

// Holidays returns the holidays declared for year y (section year), in date order.
func (c *Calendar) Holidays(y int) []Holiday {
	var out []Holiday
	for _, h := range c.holidays {
		if h.Year == y {
			out = append(out, h)
		}
	}
	return out
}

// HolidayOn returns the holiday whose days off contain t's date.
func (c *Calendar) HolidayOn(t time.Time) (Holiday, bool) {
	for _, h := range c.holidays {
		if h.Off.Contains(DateOf(t)) {
			return h, true
		}
	}
	return Holiday{}, false
}

// IsWorkday reports whether t's date (in Zone) is a working day: a make-up
// workday, or a Monday..Friday that is not a holiday day off. It fails with
// ErrNoHolidayData for a year without a section in the file, rather than
// guess.
func (c *Calendar) IsWorkday(t time.Time) (bool, error) {
	d := DateOf(t)
	if _, ok := c.years[d.Year()]; !ok {
		return false, fmt.Errorf("%s: %w for %d (add a years: section to the calendar file)", ymd(d), ErrNoHolidayData, d.Year())
	}
	k := key(d)
	if _, ok := c.work[k]; ok {
		return true, nil
	}
	if _, ok := c.off[k]; ok {
		return false, nil
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday, nil
}

// AddWorkdays returns the n-th working day after t's date (the day of t
// itself is not counted): the repair deadline "15 working days after the
// spare swap" is AddWorkdays(swap, 15). n = 0 returns t's date. n must be in
// 0..10000.
func (c *Calendar) AddWorkdays(t time.Time, n int) (time.Time, error) {
	if n < 0 || n > maxWorkdays {
		return time.Time{}, fmt.Errorf("add %d working days: want 0..%d", n, maxWorkdays)
	}
	d := DateOf(t)
	for n > 0 {
		d = addDays(d, 1)
		ok, err := c.IsWorkday(d)
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			n--
		}
	}
	return d, nil
}

// WorkdaysBetween counts the working days d with date(a) < d ≤ date(b), so
// that WorkdaysBetween(a, AddWorkdays(a, n)) == n. b before a is an error.
func (c *Calendar) WorkdaysBetween(a, b time.Time) (int, error) {
	da, db := DateOf(a), DateOf(b)
	if db.Before(da) {
		return 0, fmt.Errorf("working days between %s and %s: end before start", ymd(da), ymd(db))
	}
	n := 0
	for d := addDays(da, 1); !d.After(db); d = addDays(d, 1) {
		ok, err := c.IsWorkday(d)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// GuardPeriod is a 重保 period: a key holiday or an event, whole days.
type GuardPeriod struct {
	Name        string
	Kind        string // "holiday" or "event"
	Period      Period // kind range
	Provisional bool   // dates are estimates (declared so, or in a provisional year)
}

// Guard kinds.
const (
	GuardHoliday = "holiday"
	GuardEvent   = "event"
)

// GuardPeriods returns every guard period, in date order.
func (c *Calendar) GuardPeriods() []GuardPeriod { return append([]GuardPeriod(nil), c.guards...) }

// GuardsAt returns the guard periods active at t.
func (c *Calendar) GuardsAt(t time.Time) []GuardPeriod {
	var out []GuardPeriod
	for _, g := range c.guards {
		if g.Period.Contains(t) {
			out = append(out, g)
		}
	}
	return out
}

// GuardsIn returns the guard periods overlapping p (for the 重保 section
// of a month's report).
func (c *Calendar) GuardsIn(p Period) []GuardPeriod {
	var out []GuardPeriod
	for _, g := range c.guards {
		if _, ok := g.Period.Intersect(p); ok {
			out = append(out, g)
		}
	}
	return out
}
