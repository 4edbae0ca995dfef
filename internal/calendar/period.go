package calendar

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Kind is the kind of a Period.
type Kind string

// Period kinds.
const (
	KindDay     Kind = "day"
	KindWeek    Kind = "week" // ISO 8601 week, Monday to Sunday
	KindMonth   Kind = "month"
	KindQuarter Kind = "quarter"
	KindYear    Kind = "year"
	KindService Kind = "service" // the contract's service period (服务期)
	KindRange   Kind = "range"   // any whole-day range
)

// Period is a half-open span of whole days [Start, End) in Zone.
type Period struct {
	Kind       Kind
	Start, End time.Time
}

// Day is the calendar day containing t (in Zone).
func Day(t time.Time) Period {
	d := DateOf(t)
	return Period{KindDay, d, addDays(d, 1)}
}

// Week is the ISO week containing t (in Zone).
func Week(t time.Time) Period {
	d := DateOf(t)
	back := (int(d.Weekday()) + 6) % 7 // days since Monday
	s := addDays(d, -back)
	return Period{KindWeek, s, addDays(s, 7)}
}

// ISOWeek returns week w of ISO year y.
func ISOWeek(y, w int) (Period, error) {
	jan4 := Date(y, time.January, 4) // always in week 1
	mon := addDays(jan4, -((int(jan4.Weekday()) + 6) % 7))
	p := Period{KindWeek, addDays(mon, 7*(w-1)), addDays(mon, 7*w)}
	if gy, gw := p.Start.ISOWeek(); w < 1 || gy != y || gw != w {
		return Period{}, fmt.Errorf("week %d-W%02d: ISO year %d has no week %d", y, w, y, w)
	}
	return p, nil
}

// Month is the calendar month m of year y.
func Month(y int, m time.Month) Period {
	s := Date(y, m, 1)
	return Period{KindMonth, s, Date(y, m+1, 1)}
}

// MonthOf is the calendar month containing t (in Zone).
func MonthOf(t time.Time) Period {
	l := t.In(Zone)
	return Month(l.Year(), l.Month())
}

// Quarter is quarter q (1..4) of year y.
func Quarter(y, q int) (Period, error) {
	if q < 1 || q > 4 {
		return Period{}, fmt.Errorf("quarter %d: want 1..4", q)
	}
	m := time.Month(3*(q-1) + 1)
	return Period{KindQuarter, Date(y, m, 1), Date(y, m+3, 1)}, nil
}

// QuarterOf is the quarter containing t (in Zone).
func QuarterOf(t time.Time) Period {
	l := t.In(Zone)
	p, _ := Quarter(l.Year(), (int(l.Month())-1)/3+1)
	return p
}

// Year is calendar year y.
func Year(y int) Period { return Period{KindYear, Date(y, 1, 1), Date(y+1, 1, 1)} }

// Range is the whole days first..last, both inclusive (End = last + 1 day).
func Range(first, last time.Time) (Period, error) {
	a, b := DateOf(first), DateOf(last)
	if b.Before(a) {
		return Period{}, fmt.Errorf("range %s..%s: last day before first", ymd(a), ymd(b))
	}
	return Period{KindRange, a, addDays(b, 1)}, nil
}

// For returns the period of the given kind containing t. Service and range
// periods are not derived from a time: use Service.Period.
func For(kind Kind, t time.Time) (Period, error) {
	switch kind {
	case KindDay:
		return Day(t), nil
	case KindWeek:
		return Week(t), nil
	case KindMonth:
		return MonthOf(t), nil
	case KindQuarter:
		return QuarterOf(t), nil
	case KindYear:
		return Year(t.In(Zone).Year()), nil
	}
	return Period{}, fmt.Errorf("period kind %q: want day, week, month, quarter or year", kind)
}

// Current returns the (normally unfinished) period of the kind containing
// now; its IsComplete(now) is false.
func Current(kind Kind, now time.Time) (Period, error) { return For(kind, now) }

// LastComplete returns the last period of the kind that ended at or before now.
func LastComplete(kind Kind, now time.Time) (Period, error) {
	p, err := For(kind, now)
	if err != nil {
		return Period{}, err
	}
	return p.Previous(), nil
}

// IsComplete reports whether the period has ended at now.
func (p Period) IsComplete(now time.Time) bool { return !now.Before(p.End) }

// Contains reports whether t lies in [Start, End).
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// Days is the number of calendar days in the period.
func (p Period) Days() int {
	if !p.End.After(p.Start) {
		return 0
	}
	// Zone has no DST: every day is 24 h.
	return int(math.Round(p.End.Sub(p.Start).Hours() / 24))
}

// Seconds is the length of the period in seconds.
func (p Period) Seconds() float64 { return p.End.Sub(p.Start).Seconds() }

// LastDay is the last day in the period (End − 1 day), as written in
// documents and in the "first..last" range syntax.
func (p Period) LastDay() time.Time { return addDays(p.End, -1) }

// wholeMonths returns k when End = Start + k calendar months on the same
// day of the month (1..28, so that no month is too short for it), else 0.
func (p Period) wholeMonths() int {
	s, e := p.Start.In(Zone), p.End.In(Zone)
	if s.Day() != e.Day() || s.Day() > 28 {
		return 0
	}
	k := (e.Year()-s.Year())*12 + int(e.Month()-s.Month())
	if k <= 0 {
		return 0
	}
	return k
}

// Previous returns the period of the same kind and length just before p
// (环比). Months, quarters and years step back one unit (the previous month
// of March is February, 28 or 29 days); a service or range period of k
// whole months from the same day of the month (1..28) steps back k months
// (2025-12-15..2026-12-14 → 2024-12-15..2025-12-14); other ranges step back
// by their number of days.
func (p Period) Previous() Period {
	switch p.Kind {
	case KindDay, KindWeek, KindMonth, KindQuarter, KindYear:
		prev, _ := For(p.Kind, p.Start.Add(-time.Second))
		return prev
	}
	if k := p.wholeMonths(); k > 0 {
		s := p.Start.In(Zone)
		return Period{p.Kind, Date(s.Year(), s.Month()-time.Month(k), s.Day()), p.Start}
	}
	return Period{p.Kind, addDays(p.Start, -p.Days()), p.Start}
}

// Months returns the calendar months that intersect p, in order (whole
// months: clip with Intersect when a table needs only the covered part).
func (p Period) Months() []Period {
	var out []Period
	if !p.End.After(p.Start) {
		return nil
	}
	for m := MonthOf(p.Start); m.Start.Before(p.End); m = MonthOf(m.End) {
		out = append(out, m)
	}
	return out
}

// Intersect returns the part of p inside q (kind range unless it equals p),
// and false when they do not overlap.
func (p Period) Intersect(q Period) (Period, bool) {
	s, e := p.Start, p.End
	if q.Start.After(s) {
		s = q.Start
	}
	if q.End.Before(e) {
		e = q.End
	}
	if !e.After(s) {
		return Period{}, false
	}
	if s.Equal(p.Start) && e.Equal(p.End) {
		return p, true
	}
	return Period{KindRange, s, e}, true
}

// String is the canonical form ParsePeriod accepts: "2026-11-03",
// "2026-W48", "2026-11", "2026-Q4", "2026", "service", "2026-11-01..2026-11-15".
func (p Period) String() string {
	s := p.Start.In(Zone)
	switch p.Kind {
	case KindDay:
		return s.Format("2006-01-02")
	case KindWeek:
		y, w := s.ISOWeek()
		return fmt.Sprintf("%d-W%02d", y, w)
	case KindMonth:
		return s.Format("2006-01")
	case KindQuarter:
		return fmt.Sprintf("%d-Q%d", s.Year(), (int(s.Month())-1)/3+1)
	case KindYear:
		return strconv.Itoa(s.Year())
	case KindService:
		return "service"
	}
	return ymd(p.Start) + ".." + ymd(p.LastDay())
}

var quarterZH = [...]string{"", "第一季度", "第二季度", "第三季度", "第四季度"}

// Label is the zh-CN name of the period: 2026年11月3日, 2026年第48周
// (ISO week), 2026年11月, 2026年第四季度, 2026年, 服务期. A range has no
// short name: its Label is its String; documents write ranges (and the
// service period's dates) with docfmt.PeriodLabel.
func (p Period) Label() string {
	s := p.Start.In(Zone)
	switch p.Kind {
	case KindDay:
		return fmt.Sprintf("%d年%d月%d日", s.Year(), s.Month(), s.Day())
	case KindWeek:
		y, w := s.ISOWeek()
		return fmt.Sprintf("%d年第%d周", y, w)
	case KindMonth:
		return fmt.Sprintf("%d年%d月", s.Year(), s.Month())
	case KindQuarter:
		return fmt.Sprintf("%d年%s", s.Year(), quarterZH[(int(s.Month())-1)/3+1])
	case KindYear:
		return fmt.Sprintf("%d年", s.Year())
	case KindService:
		return "服务期"
	}
	return p.String()
}

var (
	reDay     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	reWeek    = regexp.MustCompile(`^(\d{4})-W(\d{2})$`)
	reMonth   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	reQuarter = regexp.MustCompile(`^(\d{4})-?[Qq](\d)$`) // 2026-Q4; 2026Q4, 2026q4, 2026-q4 as aliases
	reYear    = regexp.MustCompile(`^(\d{4})$`)
)

// ErrNoService is returned by ParsePeriod for "service" without a
// configured service period.
var ErrNoService = errors.New(`period "service": no service period configured (calendar.yml service.start)`)

const periodSyntax = `want YYYY-MM-DD, YYYY-Www (ISO week), YYYY-MM, YYYY-Qn, YYYY, "service" or YYYY-MM-DD..YYYY-MM-DD (last day inclusive)`

// ParsePeriod parses the canonical forms (see String). svc may be nil when
// "service" is not needed. Years before 2000 or after 2199 are rejected as
// typos.
func ParsePeriod(s string, svc *Service) (Period, error) {
	in := strings.TrimSpace(s)
	bad := func(why string) (Period, error) {
		return Period{}, fmt.Errorf("period %q: %s", s, why)
	}
	year := func(x string) (int, bool) {
		y, _ := strconv.Atoi(x)
		return y, y >= 2000 && y <= 2199
	}
	switch {
	case in == "service":
		if svc == nil {
			return Period{}, ErrNoService
		}
		return svc.Period(), nil
	case strings.Contains(in, ".."):
		a, b, _ := strings.Cut(in, "..")
		da, err := ParseDate(a)
		if err != nil {
			return bad(err.Error())
		}
		db, err := ParseDate(b)
		if err != nil {
			return bad(err.Error())
		}
		if _, ok := year(a[:4]); !ok {
			return bad("year out of range 2000..2199")
		}
		if _, ok := year(b[:4]); !ok {
			return bad("year out of range 2000..2199")
		}
		p, err := Range(da, db)
		if err != nil {
			return bad("last day " + b + " is before first day " + a)
		}
		return p, nil
	case reDay.MatchString(in):
		d, err := ParseDate(in)
		if err != nil {
			return bad(err.Error())
		}
		if _, ok := year(in[:4]); !ok {
			return bad("year out of range 2000..2199")
		}
		return Day(d), nil
	case reWeek.MatchString(in):
		m := reWeek.FindStringSubmatch(in)
		y, ok := year(m[1])
		if !ok {
			return bad("year out of range 2000..2199")
		}
		w, _ := strconv.Atoi(m[2])
		p, err := ISOWeek(y, w)
		if err != nil {
			return bad(err.Error())
		}
		return p, nil
	case reMonth.MatchString(in):
		m := reMonth.FindStringSubmatch(in)
		y, ok := year(m[1])
		if !ok {
			return bad("year out of range 2000..2199")
		}
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return bad("no such month")
		}
		return Month(y, time.Month(mo)), nil
	case reQuarter.MatchString(in):
		m := reQuarter.FindStringSubmatch(in)
		y, ok := year(m[1])
		if !ok {
			return bad("year out of range 2000..2199")
		}
		q, _ := strconv.Atoi(m[2])
		p, err := Quarter(y, q)
		if err != nil {
			return bad(err.Error())
		}
		return p, nil
	case reYear.MatchString(in):
		y, ok := year(in)
		if !ok {
			return bad("year out of range 2000..2199")
		}
		return Year(y), nil
	}
	return bad(periodSyntax)
}
