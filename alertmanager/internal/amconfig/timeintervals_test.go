package amconfig

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/calendar"
)

// testCalendarFile has windows of every shape and guard periods across a
// month and a year end (alertmanager's TestCheckConfigCalendarShapes runs
// amtool on what it generates).
const testCalendarFile = "testdata/calendar.yml"

func testCalendar(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(testCalendarFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// amEntry is an Alertmanager 0.25 time_interval entry.
type amEntry struct {
	Times []struct {
		Start string `yaml:"start_time"`
		End   string `yaml:"end_time"`
	} `yaml:"times"`
	Weekdays    []string `yaml:"weekdays"`
	DaysOfMonth []string `yaml:"days_of_month"`
	Months      []string `yaml:"months"`
	Years       []string `yaml:"years"`
	Location    string   `yaml:"location"`
}

// inRange reports whether v is in one of ranges ("a" or "a:b", inclusive),
// names mapped by num — Alertmanager's documented semantics, written out
// independently of the generator.
func inRange(ranges []string, v int, num func(string) int) bool {
	if len(ranges) == 0 {
		return true
	}
	for _, r := range ranges {
		a, b, ok := strings.Cut(r, ":")
		if !ok {
			b = a
		}
		if lo, hi := num(a), num(b); lo <= v && v <= hi {
			return true
		}
	}
	return false
}

// shanghai is loaded from tzdata, not taken from internal/calendar.
var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

func (e amEntry) active(t *testing.T, at time.Time) bool {
	if e.Location != "Asia/Shanghai" {
		t.Fatalf("entry location %q, want Asia/Shanghai", e.Location)
	}
	at = at.In(shanghai)
	atoi := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("entry %+v: %v", e, err)
		}
		return n
	}
	month := func(s string) int {
		for m := time.January; m <= time.December; m++ {
			if strings.ToLower(m.String()) == s {
				return int(m)
			}
		}
		t.Fatalf("month %q", s)
		return 0
	}
	weekday := func(s string) int {
		for d := time.Sunday; d <= time.Saturday; d++ {
			if strings.ToLower(d.String()) == s {
				return int(d)
			}
		}
		t.Fatalf("weekday %q", s)
		return 0
	}
	minute := func(s string) int { h, m, _ := strings.Cut(s, ":"); return atoi(h)*60 + atoi(m) }
	if !inRange(e.Years, at.Year(), atoi) || !inRange(e.Months, int(at.Month()), month) ||
		!inRange(e.DaysOfMonth, at.Day(), atoi) || !inRange(e.Weekdays, int(at.Weekday()), weekday) {
		return false
	}
	if len(e.Times) == 0 {
		return true
	}
	m := at.Hour()*60 + at.Minute()
	for _, tr := range e.Times {
		if minute(tr.Start) <= m && m < minute(tr.End) {
			return true
		}
	}
	return false
}

func parseBlock(t *testing.T, block []byte) map[string][]amEntry {
	t.Helper()
	var doc struct {
		TimeIntervals []struct {
			Name          string    `yaml:"name"`
			TimeIntervals []amEntry `yaml:"time_intervals"`
		} `yaml:"time_intervals"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(block)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("generated block: %v\n%s", err, block)
	}
	out := map[string][]amEntry{}
	for _, ti := range doc.TimeIntervals {
		out[ti.Name] = ti.TimeIntervals
	}
	return out
}

// TestTimeIntervalsMatchCalendar: every 15 minutes of 2026–2027, the
// generated maintenance-all is active exactly when the exporters' maintenance
// windows (avail, from the same calendar file) are, and guard-periods exactly
// when a guard period of the calendar is.
func TestTimeIntervalsMatchCalendar(t *testing.T) {
	c, err := calendar.Parse("calendar.yml", []byte(testCalendar(t)))
	if err != nil {
		t.Fatal(err)
	}
	block, err := TimeIntervals(c, "calendar.yml")
	if err != nil {
		t.Fatal(err)
	}
	got := parseBlock(t, block)
	w, err := c.Windows()
	if err != nil {
		t.Fatal(err)
	}
	anyActive := func(es []amEntry, at time.Time) bool {
		for _, e := range es {
			if e.Location != "Asia/Shanghai" {
				t.Fatalf("entry without location Asia/Shanghai: %+v", e)
			}
			if e.active(t, at) {
				return true
			}
		}
		return false
	}
	checked, maintOn, guardOn := 0, 0, 0
	for at := time.Date(2026, 1, 1, 0, 0, 0, 0, calendar.Zone); at.Year() < 2028; at = at.Add(15 * time.Minute) {
		checked++
		if want, g := w.Active(at), anyActive(got["maintenance-all"], at); want != g {
			t.Fatalf("%s: maintenance-all active %v, calendar maintenance %v\n%s", at, g, want, block)
		} else if want {
			maintOn++
		}
		if want, g := len(c.GuardsAt(at)) > 0, anyActive(got["guard-periods"], at); want != g {
			t.Fatalf("%s: guard-periods active %v, calendar guard %v\n%s", at, g, want, block)
		} else if want {
			guardOn++
		}
	}
	for _, team := range Teams {
		if es, ok := got["maintenance-"+team]; !ok || len(es) != 0 {
			t.Errorf("maintenance-%s: %v (want present and empty)", team, es)
		}
	}
	if maintOn == 0 || guardOn == 0 {
		t.Fatalf("vacuous: maintenance active at %d, guard at %d of %d instants", maintOn, guardOn, checked)
	}
	t.Logf("%d instants: maintenance %d, guard %d", checked, maintOn, guardOn)
}

// TestTimeIntervalsBadWindow: a window the exporters reject is an error
// naming the calendar file and line, and nothing is generated.
func TestTimeIntervalsBadWindow(t *testing.T) {
	line := fmt.Sprintf("calendar.yml:%d:", strings.Count(testCalendar(t), "\n")+1) // the appended window
	for _, tc := range []struct{ name, window string }{
		{"end before start", `{name: x, start: "2026-03-10 04:00", end: "2026-03-10 01:00"}`},
		{"unknown weekday", `{name: y, weekdays: [sonday], from: "01:00", to: "02:00"}`},
		{"from equals to", `{name: z, weekdays: [mon], from: "01:00", to: "01:00"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := testCalendar(t) + "  - " + tc.window + "\n"
			c, err := calendar.Parse("calendar.yml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if out, err := TimeIntervals(c, "calendar.yml"); err == nil || !strings.HasPrefix(err.Error(), line) || out != nil {
				t.Fatalf("err %v (output %d bytes), want an error starting %s", err, len(out), line)
			}
		})
	}
}
