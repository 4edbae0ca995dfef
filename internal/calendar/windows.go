package calendar

// Maintenance windows: the one parser of the windows written in the
// calendar file and in the exporters' configurations, and the schedule the
// availability engine (internal/avail) splits its counters by.

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Schedule tells which time is inside declared maintenance
// (internal/avail.Calendar is the same interface, on the consumer's side).
type Schedule interface {
	// Overlap returns how much of [from, to) lies inside maintenance.
	Overlap(from, to time.Time) time.Duration
	// Active reports whether t is inside maintenance.
	Active(t time.Time) bool
}

// Windows is a Schedule made of one-off and weekly windows.
type Windows struct {
	loc     *time.Location
	oneOff  []span
	weekly  []weekly
	Configs []MaintenanceWindow
}

type span struct{ from, to time.Time }

type weekly struct {
	days     [7]bool
	from, to time.Duration // wall-clock times of day (to may be 24h, or <= from: crosses midnight)
}

// wallClock returns the instant at wall-clock time of day off on the local
// date of day (off = 24h: midnight of the next day).
func wallClock(day time.Time, off time.Duration, loc *time.Location) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), int(off/time.Hour), int(off%time.Hour/time.Minute), 0, 0, loc)
}

const layoutMinute = "2006-01-02 15:04"

// NewWindows parses maintenance windows in loc (Zone when nil).
func NewWindows(cfgs []MaintenanceWindow, loc *time.Location) (*Windows, error) {
	if loc == nil {
		loc = Zone
	}
	w := &Windows{loc: loc, Configs: cfgs}
	for i, c := range cfgs {
		name := c.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		switch {
		case c.Start != "" || c.End != "":
			if len(c.Weekdays) > 0 || c.From != "" || c.To != "" {
				return nil, fmt.Errorf("maintenance window %s: use either start/end or weekdays/from/to, not both", name)
			}
			a, err := time.ParseInLocation(layoutMinute, c.Start, loc)
			if err != nil {
				return nil, fmt.Errorf("maintenance window %s: start %q: want \"YYYY-MM-DD HH:MM\"", name, c.Start)
			}
			b, err := time.ParseInLocation(layoutMinute, c.End, loc)
			if err != nil {
				return nil, fmt.Errorf("maintenance window %s: end %q: want \"YYYY-MM-DD HH:MM\"", name, c.End)
			}
			if !b.After(a) {
				return nil, fmt.Errorf("maintenance window %s: end %s is not after start %s", name, c.End, c.Start)
			}
			w.oneOff = append(w.oneOff, span{a, b})
		case len(c.Weekdays) > 0:
			var wk weekly
			for _, d := range c.Weekdays {
				wd, ok := weekdayNames[strings.ToLower(strings.TrimSpace(d))]
				if !ok {
					return nil, fmt.Errorf("maintenance window %s: unknown weekday %q (mon..sun)", name, d)
				}
				wk.days[wd] = true
			}
			var err error
			if wk.from, err = clock(c.From, false); err != nil {
				return nil, fmt.Errorf("maintenance window %s: from: %w", name, err)
			}
			if wk.to, err = clock(c.To, true); err != nil {
				return nil, fmt.Errorf("maintenance window %s: to: %w", name, err)
			}
			if wk.from == wk.to {
				return nil, fmt.Errorf("maintenance window %s: from and to are equal", name)
			}
			w.weekly = append(w.weekly, wk)
		default:
			return nil, fmt.Errorf("maintenance window %s: needs start/end or weekdays/from/to", name)
		}
	}
	sort.Slice(w.oneOff, func(i, j int) bool { return w.oneOff[i].from.Before(w.oneOff[j].from) })
	return w, nil
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday, "mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday, "wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday, "fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// clock parses "HH:MM"; "24:00" (end of the day) only if end.
func clock(s string, end bool) (time.Duration, error) {
	if s == "24:00" {
		if end {
			return 24 * time.Hour, nil
		}
		return 0, fmt.Errorf("%q: a window cannot start at 24:00 (use 00:00 of the next weekday)", s)
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		if end {
			return 0, fmt.Errorf("%q: want HH:MM (00:00–24:00)", s)
		}
		return 0, fmt.Errorf("%q: want HH:MM (00:00–23:59)", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// spans returns the maintenance spans that may intersect [from, to),
// merged and sorted.
func (w *Windows) spans(from, to time.Time) []span {
	var out []span
	for _, s := range w.oneOff {
		if s.to.After(from) && s.from.Before(to) {
			out = append(out, s)
		}
	}
	if len(w.weekly) > 0 {
		// Walk local days from the day before from to the day of to.
		lf := from.In(w.loc)
		day := time.Date(lf.Year(), lf.Month(), lf.Day(), 0, 0, 0, 0, w.loc).AddDate(0, 0, -1)
		for !day.After(to) {
			for _, wk := range w.weekly {
				if !wk.days[day.Weekday()] {
					continue
				}
				// Wall clock per day, not midnight + offset: on a DST
				// change day the two differ by an hour.
				a := wallClock(day, wk.from, w.loc)
				b := wallClock(day, wk.to, w.loc)
				if wk.to <= wk.from {
					b = wallClock(day.AddDate(0, 0, 1), wk.to, w.loc)
				}
				if b.After(from) && a.Before(to) {
					out = append(out, span{a, b})
				}
			}
			day = day.AddDate(0, 0, 1)
		}
	}
	if len(out) < 2 {
		return out
	}
	sort.Slice(out, func(i, j int) bool { return out[i].from.Before(out[j].from) })
	merged := out[:1]
	for _, s := range out[1:] {
		last := &merged[len(merged)-1]
		if !s.from.After(last.to) {
			if s.to.After(last.to) {
				last.to = s.to
			}
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// Overlap implements Schedule.
func (w *Windows) Overlap(from, to time.Time) time.Duration {
	if w == nil || !to.After(from) {
		return 0
	}
	var d time.Duration
	for _, s := range w.spans(from, to) {
		a, b := s.from, s.to
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if b.After(a) {
			d += b.Sub(a)
		}
	}
	return d
}

// Active implements Schedule.
func (w *Windows) Active(t time.Time) bool {
	if w == nil {
		return false
	}
	return w.Overlap(t, t.Add(time.Nanosecond)) > 0
}

// Union combines schedules (e.g. a site-wide calendar and a line's own).
type Union []Schedule

// Overlap implements Schedule. Overlapping windows of different schedules
// are merged by sampling their boundaries: the result never exceeds to-from.
func (u Union) Overlap(from, to time.Time) time.Duration {
	var all []span
	for _, c := range u {
		if w, ok := c.(*Windows); ok && w != nil {
			all = append(all, w.spans(from, to)...)
		} else if c != nil && c.Overlap(from, to) > 0 {
			// Unknown schedule type: fall back to its own figure.
			all = append(all, span{from, from.Add(c.Overlap(from, to))})
		}
	}
	tmp := &Windows{oneOff: all}
	sort.Slice(tmp.oneOff, func(i, j int) bool { return tmp.oneOff[i].from.Before(tmp.oneOff[j].from) })
	return tmp.Overlap(from, to)
}

// Active implements Schedule.
func (u Union) Active(t time.Time) bool {
	for _, c := range u {
		if c != nil && c.Active(t) {
			return true
		}
	}
	return false
}

// Windows parses c.Maintenance in Zone; a bad window is an error naming the
// calendar file and the entry's line. An empty list gives an empty
// *Windows, never nil.
func (c *Calendar) Windows() (*Windows, error) {
	for i := range c.Maintenance {
		// One at a time first, so that an error names its entry's line.
		if _, err := NewWindows(c.Maintenance[i:i+1], Zone); err != nil {
			return nil, c.Doc.Errorf(fmt.Sprintf("maintenance[%d]", i), "%v", err)
		}
	}
	return NewWindows(c.Maintenance, Zone)
}
