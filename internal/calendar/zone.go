// Package calendar is the one home for time in jianguan: the zone
// (Asia/Shanghai), report periods (day, ISO week, month, quarter, year, the
// service period and free ranges), working days with the State Council's
// public holidays and make-up workdays (调休), and guard periods (重保).
//
// Every period is half-open, [Start, End), with both bounds at midnight in
// Zone. Functions that take a time.Time accept any location: they look at
// the calendar date the instant has in Zone (2026-11-30T16:00:00Z is
// 1 December in Beijing).
//
// The data (service start, holidays, guard periods, maintenance windows)
// lives in one YAML file, deploy/etc/jianguan/calendar.yml, loaded by Load;
// see docs/calendar.md.
package calendar

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
	_ "time/tzdata" // Asia/Shanghai without /usr/share/zoneinfo
)

// ZoneName is the IANA name of the zone every jianguan date is written in.
const ZoneName = "Asia/Shanghai"

// Zone is Asia/Shanghai, loaded from tzdata (embedded in the binary), with
// a fixed UTC+8 fallback (China has had no DST since 1991).
var Zone = loadZone()

func loadZone() *time.Location { return zoneFrom(time.LoadLocation) }

func zoneFrom(load func(string) (*time.Location, error)) *time.Location {
	loc, err := load(ZoneName)
	if err != nil {
		return time.FixedZone(ZoneName, 8*3600)
	}
	return loc
}

// Date returns midnight of the given calendar date in Zone.
func Date(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, Zone)
}

// DateOf returns midnight (in Zone) of the calendar date t has in Zone.
func DateOf(t time.Time) time.Time {
	l := t.In(Zone)
	return Date(l.Year(), l.Month(), l.Day())
}

var dateRE = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`)

// ParseDate parses "YYYY-MM-DD" as midnight in Zone. Out-of-range days
// ("2026-02-30") are errors, not normalised.
func ParseDate(s string) (time.Time, error) {
	m := dateRE.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, time.Month(mo)) {
		return time.Time{}, fmt.Errorf("date %q: no such day", s)
	}
	return Date(y, time.Month(mo), d), nil
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// addDays moves a zone-midnight date by n calendar days (AddDate keeps
// midnight because the zone has no DST; kept in one place regardless).
func addDays(d time.Time, n int) time.Time {
	l := d.In(Zone)
	return Date(l.Year(), l.Month(), l.Day()+n)
}

func ymd(t time.Time) string { return t.In(Zone).Format("2006-01-02") }
