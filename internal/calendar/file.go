package calendar

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/config"
)

// MaxFileBytes bounds the calendar file (a real one is a few KiB).
const MaxFileBytes = 1 << 20

// Calendar is a loaded calendar file.
type Calendar struct {
	// Doc locates fields of the file for errors (file:line).
	Doc *config.Doc
	// Service is the service period.
	Service Service
	// Maintenance holds the maintenance windows as written; Windows parses
	// them (NewWindows, the exporters' parser too).
	Maintenance []MaintenanceWindow

	years    map[int]YearInfo
	holidays []Holiday
	off      map[string]string // date → holiday name
	work     map[string]string // make-up workday → holiday name
	guards   []GuardPeriod
}

// MaintenanceWindow is one maintenance window as written in the calendar
// file or an exporter's configuration (NewWindows parses it). Either
// Start/End (one-off, "2006-01-02 15:04" in the location) or
// Weekdays/From/To (recurring, e.g. weekdays [sun], from "02:00", to "04:00").
//
// Weekly windows are wall-clock times of the location, computed day by day:
// in a zone with daylight saving time "02:00–04:00" stays 02:00–04:00 on
// the change days (the window is then an hour shorter or longer in real
// time). From is 00:00–23:59; To is 00:00–24:00, "24:00" meaning the end of
// the day (midnight of the next); To not after From crosses midnight
// (from "23:00" to "01:00"). A wall-clock time that does not exist or
// exists twice on a change day is resolved as time.Date does.
type MaintenanceWindow struct {
	Name     string   `yaml:"name"`
	Start    string   `yaml:"start"`
	End      string   `yaml:"end"`
	Weekdays []string `yaml:"weekdays"`
	From     string   `yaml:"from"`
	To       string   `yaml:"to"`
}

type rawFile struct {
	Zone    string `yaml:"zone"`
	Service struct {
		Start   string `yaml:"start"`
		LastDay string `yaml:"last_day"`
	} `yaml:"service"`
	Years        []rawYear           `yaml:"years"`
	GuardPeriods []rawGuard          `yaml:"guard_periods"`
	Maintenance  []MaintenanceWindow `yaml:"maintenance"`
}

type rawYear struct {
	Year     int          `yaml:"year"`
	Status   string       `yaml:"status"`
	Source   string       `yaml:"source"`
	Holidays []rawHoliday `yaml:"holidays"`
}

type rawHoliday struct {
	Name     string   `yaml:"name"`
	From     string   `yaml:"from"`
	To       string   `yaml:"to"`
	Workdays []string `yaml:"workdays"`
}

type rawGuard struct {
	Name        string `yaml:"name"`
	Kind        string `yaml:"kind"`
	From        string `yaml:"from"`
	To          string `yaml:"to"`
	Provisional bool   `yaml:"provisional"`
}

// KeyHolidays are the statutory holidays every year section must declare
// (a holiday entry may merge two, written "国庆节、中秋节").
var KeyHolidays = []string{"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}

// Load reads and validates a calendar file.
func Load(path string) (*Calendar, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, &config.Error{File: path, Msg: err.Error()}
	}
	if st.Size() > MaxFileBytes {
		return nil, &config.Error{File: path, Msg: fmt.Sprintf("file is %d bytes; a calendar file is limited to %d", st.Size(), MaxFileBytes)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &config.Error{File: path, Msg: err.Error()}
	}
	return Parse(path, data)
}

// Parse validates calendar data (file names the source in errors).
func Parse(file string, data []byte) (*Calendar, error) {
	if len(data) > MaxFileBytes {
		return nil, &config.Error{File: file, Msg: fmt.Sprintf("%d bytes; a calendar file is limited to %d", len(data), MaxFileBytes)}
	}
	var raw rawFile
	doc, err := config.Parse(file, data, &raw)
	if err != nil {
		return nil, err
	}
	c := &Calendar{Doc: doc, Maintenance: raw.Maintenance, years: map[int]YearInfo{},
		off: map[string]string{}, work: map[string]string{}}

	if raw.Zone != "" && raw.Zone != ZoneName {
		return nil, doc.Errorf("zone", "%q: jianguan writes every date in %s; this field only documents it", raw.Zone, ZoneName)
	}
	// Service period.
	if raw.Service.Start == "" {
		return nil, doc.Errorf("service.start", "required: the first day of the service period (the signing date), YYYY-MM-DD")
	}
	start, err := ParseDate(raw.Service.Start)
	if err != nil {
		return nil, doc.Errorf("service.start", "%v", err)
	}
	var last time.Time
	if raw.Service.LastDay != "" {
		if last, err = ParseDate(raw.Service.LastDay); err != nil {
			return nil, doc.Errorf("service.last_day", "%v", err)
		}
	}
	if c.Service, err = NewService(start, last); err != nil {
		return nil, doc.Errorf("service.last_day", "%v", err)
	}

	// Years and holidays.
	for i, y := range raw.Years {
		at := fmt.Sprintf("years[%d]", i)
		if y.Year < 2000 || y.Year > 2199 {
			return nil, doc.Errorf(at+".year", "%d: want a year in 2000..2199", y.Year)
		}
		if _, dup := c.years[y.Year]; dup {
			return nil, doc.Errorf(at+".year", "%d is declared twice", y.Year)
		}
		if y.Status != StatusConfirmed && y.Status != StatusProvisional {
			return nil, doc.Errorf(at+".status", "%q: want confirmed (from the published notice) or provisional (estimated)", y.Status)
		}
		if strings.TrimSpace(y.Source) == "" {
			return nil, doc.Errorf(at+".source", "required: where the dates come from (the notice, or why they are estimated)")
		}
		c.years[y.Year] = YearInfo{Year: y.Year, Status: y.Status, Source: y.Source}
		seen := map[string]int{}
		for j, h := range y.Holidays {
			hat := fmt.Sprintf("%s.holidays[%d]", at, j)
			for _, n := range strings.Split(h.Name, "、") {
				if !isKeyHoliday(n) {
					return nil, doc.Errorf(hat+".name", "%q: want one of %s (two merged are written 国庆节、中秋节)", h.Name, strings.Join(KeyHolidays, " "))
				}
				if seen[n] > 0 {
					return nil, doc.Errorf(hat+".name", "%s is declared twice in %d", n, y.Year)
				}
				seen[n] = j + 1
			}
			from, err := c.yearDate(doc, hat+".from", h.From, y.Year)
			if err != nil {
				return nil, err
			}
			to, err := c.yearDate(doc, hat+".to", h.To, y.Year)
			if err != nil {
				return nil, err
			}
			off, err := Range(from, to)
			if err != nil {
				return nil, doc.Errorf(hat+".to", "%s is before from %s", h.To, h.From)
			}
			if off.Days() > 15 {
				return nil, doc.Errorf(hat+".to", "%d days off: a holiday is at most 15 days (typo?)", off.Days())
			}
			for d := off.Start; d.Before(off.End); d = addDays(d, 1) {
				if other, dup := c.off[key(d)]; dup {
					return nil, doc.Errorf(hat, "%s is already a day off of %s", ymd(d), other)
				}
				c.off[key(d)] = h.Name
			}
			hol := Holiday{Name: h.Name, Year: y.Year, Off: off, Provisional: y.Status == StatusProvisional}
			for k, w := range h.Workdays {
				wat := fmt.Sprintf("%s.workdays[%d]", hat, k)
				d, err := c.yearDate(doc, wat, w, y.Year)
				if err != nil {
					return nil, err
				}
				if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
					return nil, doc.Errorf(wat, "%s is a %s: a make-up workday (调休上班) is a Saturday or Sunday", w, wd)
				}
				if other, dup := c.work[key(d)]; dup {
					return nil, doc.Errorf(wat, "%s is already a make-up workday of %s", w, other)
				}
				c.work[key(d)] = h.Name
				hol.Workdays = append(hol.Workdays, d)
			}
			c.holidays = append(c.holidays, hol)
		}
		for _, n := range KeyHolidays {
			if seen[n] == 0 {
				return nil, doc.Errorf(at+".holidays", "%d: %s is missing (every year declares %s)", y.Year, n, strings.Join(KeyHolidays, " "))
			}
		}
	}
	for k, name := range c.work {
		if other, ok := c.off[k]; ok {
			return nil, doc.Errorf("years", "%s is both a make-up workday of %s and a day off of %s", k, name, other)
		}
	}
	for _, y := range c.Service.Years() {
		if _, ok := c.years[y]; !ok {
			return nil, doc.Errorf("service", "the service period %s..%s includes %d but years: has no section for it (working days would be wrong)",
				ymd(c.Service.Start), ymd(addDays(c.Service.End, -1)), y)
		}
	}
	sort.Slice(c.holidays, func(i, j int) bool { return c.holidays[i].Off.Start.Before(c.holidays[j].Off.Start) })

	// Guard periods.
	names := map[string]bool{}
	for i, g := range raw.GuardPeriods {
		at := fmt.Sprintf("guard_periods[%d]", i)
		if strings.TrimSpace(g.Name) == "" {
			return nil, doc.Errorf(at+".name", "required")
		}
		if names[g.Name] {
			return nil, doc.Errorf(at+".name", "%q is declared twice", g.Name)
		}
		names[g.Name] = true
		if g.Kind != GuardHoliday && g.Kind != GuardEvent {
			return nil, doc.Errorf(at+".kind", "%q: want holiday or event", g.Kind)
		}
		from, err := ParseDate(g.From)
		if err != nil {
			return nil, doc.Errorf(at+".from", "%v", err)
		}
		to, err := ParseDate(g.To)
		if err != nil {
			return nil, doc.Errorf(at+".to", "%v", err)
		}
		p, err := Range(from, to)
		if err != nil {
			return nil, doc.Errorf(at+".to", "%s is before from %s", g.To, g.From)
		}
		if p.Days() > 62 {
			return nil, doc.Errorf(at+".to", "%d days: a guard period is at most 62 days (typo?)", p.Days())
		}
		prov := g.Provisional
		for _, y := range []int{from.Year(), to.Year()} {
			if yi, ok := c.years[y]; ok && yi.Provisional() && g.Kind == GuardHoliday {
				prov = true
			}
		}
		c.guards = append(c.guards, GuardPeriod{Name: g.Name, Kind: g.Kind, Period: p, Provisional: prov})
	}
	sort.SliceStable(c.guards, func(i, j int) bool { return c.guards[i].Period.Start.Before(c.guards[j].Period.Start) })
	return c, nil
}

func isKeyHoliday(n string) bool {
	for _, k := range KeyHolidays {
		if n == k {
			return true
		}
	}
	return false
}

// yearDate parses a holiday date that must lie in the section's year or an
// adjacent one (a 元旦 make-up day may fall in the previous December).
func (c *Calendar) yearDate(doc *config.Doc, at, s string, year int) (time.Time, error) {
	d, err := ParseDate(s)
	if err != nil {
		return time.Time{}, doc.Errorf(at, "%v", err)
	}
	if y := d.Year(); y < year-1 || y > year+1 {
		return time.Time{}, doc.Errorf(at, "%s is not in or next to %d (typo?)", s, year)
	}
	return d, nil
}
