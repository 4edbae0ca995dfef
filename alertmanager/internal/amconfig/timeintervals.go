package amconfig

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
)

// Teams are the teams of alertmanager.yml's routes; each has a
// maintenance-<team> interval that its routes mute on.
var Teams = []string{"facilities", "network", "hosts", "websites", "meta"}

// location is what every generated entry carries: without it Alertmanager
// evaluates the entry in UTC.
const location = "Asia/Shanghai"

// TimeIntervals renders alertmanager.yml's time_intervals block from the
// calendar file (source names it in the header):
//
//   - maintenance-all: the calendar's maintenance windows (the windows the
//     exporters' availability accounting reads), one-off windows split into
//     days, weekly windows that cross midnight split in two;
//   - maintenance-<team>: empty (the calendar has no team-scoped windows;
//     mute one team with a label-scoped silence, team="…");
//   - guard-periods: the calendar's guard periods, whole days, split by month.
//
// A window the exporters would reject is an error naming the calendar's
// file and line (calendar.Calendar.Windows).
func TimeIntervals(c *calendar.Calendar, source string) ([]byte, error) {
	if _, err := c.Windows(); err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Generated from %s (guard_periods, maintenance) by `go generate ./alertmanager`: edit that file.\n", source)
	b.WriteString("time_intervals:\n")
	b.WriteString("  # 维护窗口 maintenance windows: nothing pages or tickets (Watchdog and SLA budget tickets excepted)\n")
	b.WriteString("  - name: maintenance-all\n")
	var ents []entry
	for _, m := range c.Maintenance {
		e, err := windowEntries(m)
		if err != nil {
			return nil, err
		}
		ents = append(ents, e...)
	}
	writeEntries(&b, ents)
	for _, t := range Teams {
		fmt.Fprintf(&b, "  - name: maintenance-%s\n    time_intervals: []\n", t)
	}
	b.WriteString("  # 重保时期 guard periods, whole days: warnings also page the team's on-call\n")
	b.WriteString("  - name: guard-periods\n")
	ents = ents[:0]
	for _, g := range c.GuardPeriods() {
		last := g.Period.End.AddDate(0, 0, -1)
		note := fmt.Sprintf("%s (%s) %s..%s", g.Name, g.Kind, g.Period.Start.Format(time.DateOnly), last.Format(time.DateOnly))
		if g.Provisional {
			note += " PROVISIONAL"
		}
		ents = append(ents, dayEntries(note, g.Period.Start, last, "")...)
	}
	writeEntries(&b, ents)
	return []byte(b.String()), nil
}

// entry is one Alertmanager time_interval entry.
type entry struct {
	note                  string // comment above the entry
	times                 string // "" = the whole day; else "'HH:MM', 'HH:MM'"
	weekdays              []string
	year, month, dayRange string // empty with weekdays
}

func writeEntries(b *strings.Builder, ents []entry) {
	if len(ents) == 0 {
		b.WriteString("    time_intervals: []\n")
		return
	}
	b.WriteString("    time_intervals:\n")
	for _, e := range ents {
		if e.note != "" {
			fmt.Fprintf(b, "      # %s\n", oneLine(e.note))
		}
		lead := "      - "
		field := func(format string, a ...any) {
			fmt.Fprintf(b, lead+format+"\n", a...)
			lead = "        "
		}
		if e.times != "" {
			field("times: [{%s}]", e.times)
		}
		if len(e.weekdays) > 0 {
			field("weekdays: ['%s']", strings.Join(e.weekdays, "', '"))
		} else {
			field("years: ['%s']", e.year)
			field("months: ['%s']", e.month)
			field("days_of_month: ['%s']", e.dayRange)
		}
		field("location: %s", location)
	}
}

// oneLine keeps a calendar name inside its YAML comment.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
}

// dayEntries covers the whole days first..last (inclusive), one entry per
// month; times, if set, applies to each day.
func dayEntries(note string, first, last time.Time, times string) []entry {
	var out []entry
	for d := first; !d.After(last); {
		end := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, d.Location()) // last day of d's month
		if end.After(last) {
			end = last
		}
		r := strconv.Itoa(d.Day())
		if end.Day() != d.Day() {
			r = fmt.Sprintf("%d:%d", d.Day(), end.Day())
		}
		out = append(out, entry{note: note, times: times, year: strconv.Itoa(d.Year()),
			month: strings.ToLower(d.Month().String()), dayRange: r})
		note = ""
		d = end.AddDate(0, 0, 1)
	}
	return out
}

func span(from, to string) string {
	return fmt.Sprintf("start_time: '%s', end_time: '%s'", from, to)
}

// windowEntries converts one maintenance window (already validated by
// c.Windows, so its syntax is calendar.NewWindows').
func windowEntries(m calendar.MaintenanceWindow) ([]entry, error) {
	if m.Start != "" {
		const layout = "2006-01-02 15:04"
		a, err := time.ParseInLocation(layout, m.Start, calendar.Zone)
		if err != nil {
			return nil, err
		}
		b, err := time.ParseInLocation(layout, m.End, calendar.Zone)
		if err != nil {
			return nil, err
		}
		note := fmt.Sprintf("%s: %s – %s", m.Name, m.Start, m.End)
		day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, calendar.Zone) }
		da, db := day(a), day(b)
		if da.Equal(db) {
			return dayEntries(note, da, da, span(a.Format("15:04"), b.Format("15:04"))), nil
		}
		var out []entry
		first, last := da, db.AddDate(0, 0, -1) // whole days between the partial ones
		if !a.Equal(da) {
			out = append(out, dayEntries(note, da, da, span(a.Format("15:04"), "24:00"))...)
			first, note = da.AddDate(0, 0, 1), ""
		}
		if !first.After(last) {
			out = append(out, dayEntries(note, first, last, "")...)
			note = ""
		}
		if !b.Equal(db) {
			out = append(out, dayEntries(note, db, db, span("00:00", b.Format("15:04")))...)
		}
		return out, nil
	}
	days := make([]string, len(m.Weekdays))
	next := make([]string, len(m.Weekdays))
	for i, d := range m.Weekdays {
		wd, ok := weekdays[strings.ToLower(strings.TrimSpace(d))[:3]]
		if !ok {
			return nil, fmt.Errorf("maintenance window %s: unknown weekday %q", m.Name, d)
		}
		days[i] = strings.ToLower(wd.String())
		next[i] = strings.ToLower(((wd + 1) % 7).String())
	}
	from, to := hhmm(m.From), hhmm(m.To) // "2:00" → "02:00": Alertmanager wants two digits
	note := fmt.Sprintf("%s: %s %s–%s", m.Name, strings.Join(m.Weekdays, ","), from, to)
	if to == "24:00" || to > from {
		return []entry{{note: note, times: span(from, to), weekdays: days}}, nil
	}
	// crosses midnight: from..24:00 on the day, 00:00..to on the next
	out := []entry{{note: note, times: span(from, "24:00"), weekdays: days}}
	if to != "00:00" {
		out = append(out, entry{times: span("00:00", to), weekdays: next})
	}
	return out, nil
}

// hhmm canonicalises a validated wall-clock time of day.
func hhmm(s string) string {
	if t, err := time.Parse("15:04", s); err == nil {
		return t.Format("15:04")
	}
	return s // "24:00"
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
	"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}
