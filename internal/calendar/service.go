package calendar

import (
	"fmt"
	"time"
)

// Service is the contract's service period (服务期): from the start date
// (configuration: the signing date is not a constant) for one year unless
// another last day is configured.
type Service struct {
	Start time.Time // midnight in Zone
	End   time.Time // exclusive: midnight after the last day
}

// MaxServiceYears bounds a configured service period.
const MaxServiceYears = 10

// NewService returns the service period starting on start; lastDay zero
// means one year (start + 1 year − 1 day, so 2025-12-01 → 2026-11-30).
func NewService(start, lastDay time.Time) (Service, error) {
	s := DateOf(start)
	var e time.Time
	if lastDay.IsZero() {
		l := s.In(Zone)
		e = Date(l.Year()+1, l.Month(), l.Day())
	} else {
		e = addDays(DateOf(lastDay), 1)
	}
	if !e.After(s) {
		return Service{}, fmt.Errorf("service period: last day %s is before start %s", ymd(addDays(e, -1)), ymd(s))
	}
	if l := s.In(Zone); e.After(Date(l.Year()+MaxServiceYears, l.Month(), l.Day())) {
		return Service{}, fmt.Errorf("service period: last day %s is more than %d years after start %s", ymd(addDays(e, -1)), MaxServiceYears, ymd(s))
	}
	return Service{Start: s, End: e}, nil
}

// Period is the whole service period (kind service).
func (s Service) Period() Period { return Period{KindService, s.Start, s.End} }

// Months is the number of service months: calendar months the period touches.
func (s Service) Months() int { return len(s.Period().Months()) }

// Month returns service month n (1-based): the n-th calendar month the
// service period touches, clipped to the service period (a period starting
// 2025-12-15 has month 1 = 15..31 December, kind range). Reports stay on
// calendar months; this is only their numbering within the service.
func (s Service) Month(n int) (Period, error) {
	ms := s.Period().Months()
	if n < 1 || n > len(ms) {
		return Period{}, fmt.Errorf("service month %d: the service period has months 1..%d", n, len(ms))
	}
	p, _ := ms[n-1].Intersect(s.Period())
	return p, nil
}

// Quarter returns service quarter n (1-based): service months 3n−2..3n,
// clipped to the service period.
func (s Service) Quarter(n int) (Period, error) {
	first, err := s.Month(3*n - 2)
	if err != nil {
		return Period{}, fmt.Errorf("service quarter %d: the service period has quarters 1..%d", n, (s.Months()+2)/3)
	}
	last, err := s.Month(3 * n)
	if err != nil {
		last, _ = s.Month(s.Months())
	}
	return Period{KindRange, first.Start, last.End}, nil
}

// MonthNumber returns the service month (1-based) containing t, and false
// outside the service period.
func (s Service) MonthNumber(t time.Time) (int, bool) {
	if !s.Period().Contains(t) {
		return 0, false
	}
	a, b := s.Start.In(Zone), t.In(Zone)
	return (b.Year()-a.Year())*12 + int(b.Month()-a.Month()) + 1, true
}

// QuarterNumber returns the service quarter (1-based) containing t.
func (s Service) QuarterNumber(t time.Time) (int, bool) {
	m, ok := s.MonthNumber(t)
	if !ok {
		return 0, false
	}
	return (m-1)/3 + 1, true
}

// Years lists the calendar years the service period touches.
func (s Service) Years() []int {
	var ys []int
	for y := s.Start.In(Zone).Year(); y <= s.End.Add(-time.Second).In(Zone).Year(); y++ {
		ys = append(ys, y)
	}
	return ys
}
