package calendar

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("tzdata %s: %v", name, err)
	}
	return loc
}

// TestHostile_WeeklyWindowDST: issue 22 defect 5. A weekly window in a zone
// with daylight saving time covers the same wall-clock hours on the change
// days (it used to be computed as local midnight + offset: an hour off).
func TestHostile_WeeklyWindowDST(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	ny := mustLoad(t, "America/New_York")
	utc := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name               string
		loc                *time.Location
		weekday, from, to  string
		wantFrom, wantTo   time.Time // the real instants of the window
		probeFrom, probeTo time.Time // Overlap is measured over this interval
	}{
		// 2026-03-29 (Sun): 02:00 CET → 03:00 CEST. 04:00–06:00 local = 02:00–04:00 UTC (old: 03:00–05:00 UTC).
		{"Berlin spring forward, after the change", berlin, "sun", "04:00", "06:00", utc(2026, 3, 29, 2, 0), utc(2026, 3, 29, 4, 0), utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 12, 0)},
		// 01:00 CET–04:00 CEST = 00:00–02:00 UTC: two real hours.
		{"Berlin spring forward, across the change", berlin, "sun", "01:00", "04:00", utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 2, 0), utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 12, 0)},
		// 2026-10-25 (Sun): 03:00 CEST → 02:00 CET. 04:00–05:00 local = 03:00–04:00 UTC (old: 02:00–03:00 UTC).
		{"Berlin fall back", berlin, "sun", "04:00", "05:00", utc(2026, 10, 25, 3, 0), utc(2026, 10, 25, 4, 0), utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0)},
		// Saturday 23:00 CEST → Sunday 04:00 CET across the fall-back night = 21:00–03:00 UTC: six real hours.
		{"Berlin fall back, crossing midnight", berlin, "sat", "23:00", "04:00", utc(2026, 10, 24, 21, 0), utc(2026, 10, 25, 3, 0), utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0)},
		// 2026-03-08 (Sun), New York: 02:00 EST → 03:00 EDT. 05:00–07:00 EDT = 09:00–11:00 UTC.
		{"New York spring forward", ny, "sun", "05:00", "07:00", utc(2026, 3, 8, 9, 0), utc(2026, 3, 8, 11, 0), utc(2026, 3, 7, 12, 0), utc(2026, 3, 8, 18, 0)},
		// "to: 24:00" on the fall-back day: 22:00 CET – midnight CET = 21:00–23:00 UTC.
		{"Berlin to 24:00", berlin, "sun", "22:00", "24:00", utc(2026, 10, 25, 21, 0), utc(2026, 10, 25, 23, 0), utc(2026, 10, 25, 12, 0), utc(2026, 10, 26, 12, 0)},
		// A zone without DST is unchanged: Shanghai 02:00–04:00 = 18:00–20:00 UTC the day before.
		{"Shanghai", Zone, "sun", "02:00", "04:00", utc(2026, 3, 28, 18, 0), utc(2026, 3, 28, 20, 0), utc(2026, 3, 28, 0, 0), utc(2026, 3, 29, 0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWindows([]MaintenanceWindow{{Name: "weekly", Weekdays: []string{tc.weekday}, From: tc.from, To: tc.to}}, tc.loc)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := w.Overlap(tc.probeFrom, tc.probeTo), tc.wantTo.Sub(tc.wantFrom); got != want {
				t.Errorf("overlap %v, want %v", got, want)
			}
			for _, c := range []struct {
				at   time.Time
				want bool
			}{
				{tc.wantFrom.Add(-time.Minute), false}, {tc.wantFrom, true},
				{tc.wantTo.Add(-time.Minute), true}, {tc.wantTo, false},
			} {
				if got := w.Active(c.at); got != c.want {
					t.Errorf("Active(%s = %s local) = %v, want %v", c.at.Format(time.RFC3339), c.at.In(tc.loc).Format("Mon 15:04 MST"), got, c.want)
				}
			}
		})
	}
}

// TestHostile_WindowFrom2400: issue 22 defect 5. "from: 24:00" is rejected;
// "to: 24:00" means the end of the day.
func TestHostile_WindowFrom2400(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"from 24:00", "24:00", "02:00", "from: \"24:00\": a window cannot start at 24:00"},
		{"from 24:00 to 24:00", "24:00", "24:00", "cannot start at 24:00"},
		{"from 25:00", "25:00", "02:00", "want HH:MM (00:00–23:59)"},
		{"to 24:01", "23:00", "24:01", "want HH:MM (00:00–24:00)"},
		{"to 25:00", "23:00", "25:00", "want HH:MM (00:00–24:00)"},
		{"equal", "03:00", "03:00", "from and to are equal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewWindows([]MaintenanceWindow{{Name: "nightly", Weekdays: []string{"mon"}, From: tc.from, To: tc.to}}, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nightly") {
				t.Errorf("error %v, want %q naming the window", err, tc.want)
			}
		})
	}
	// to: 24:00 is the whole rest of the day; 00:00–24:00 the whole day.
	for _, tc := range []struct {
		from string
		want time.Duration
	}{{"22:00", 2 * time.Hour}, {"00:00", 24 * time.Hour}} {
		w, err := NewWindows([]MaintenanceWindow{{Weekdays: []string{"mon"}, From: tc.from, To: "24:00"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		mon := time.Date(2026, 11, 2, 0, 0, 0, 0, Zone) // a Monday
		if got := w.Overlap(mon.Add(-12*time.Hour), mon.Add(36*time.Hour)); got != tc.want {
			t.Errorf("from %s to 24:00: overlap %v, want %v", tc.from, got, tc.want)
		}
		if w.Active(mon.Add(24 * time.Hour)) {
			t.Errorf("from %s to 24:00: active at Tuesday 00:00", tc.from)
		}
	}
}

func TestWindowsWeeklyAndValidation(t *testing.T) {
	w, err := NewWindows([]MaintenanceWindow{{Name: "sunday night", Weekdays: []string{"sun"}, From: "23:00", To: "01:00"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 2026-11-01 is a Sunday in Shanghai. 23:00 Sun → 01:00 Mon local.
	sun23 := time.Date(2026, 11, 1, 23, 0, 0, 0, Zone)
	if got := w.Overlap(sun23.Add(-time.Hour), sun23.Add(3*time.Hour)); got != 2*time.Hour {
		t.Errorf("overlap %v, want 2h", got)
	}
	if !w.Active(sun23.Add(90*time.Minute)) || w.Active(sun23.Add(-time.Minute)) {
		t.Error("Active wrong around the window")
	}
	bad := []MaintenanceWindow{
		{Name: "x", Start: "2026-11-01 02:00", End: "2026-11-01 01:00"},
		{Name: "y", Start: "yesterday", End: "2026-11-01 01:00"},
		{Name: "z", Weekdays: []string{"someday"}, From: "01:00", To: "02:00"},
		{Name: "e"},
	}
	for _, c := range bad {
		if _, err := NewWindows([]MaintenanceWindow{c}, nil); err == nil || !strings.Contains(err.Error(), c.Name) {
			t.Errorf("%+v: error %v should name the window", c, err)
		}
	}
}

func TestUnionDoesNotDoubleCount(t *testing.T) {
	t0 := time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC) // 2026-11-01 00:00 Asia/Shanghai
	a, _ := NewWindows([]MaintenanceWindow{{Start: "2026-11-01 00:00", End: "2026-11-01 02:00"}}, nil)
	b, _ := NewWindows([]MaintenanceWindow{{Start: "2026-11-01 01:00", End: "2026-11-01 03:00"}}, nil)
	if got := (Union{a, b}).Overlap(t0, t0.Add(5*time.Hour)); got != 3*time.Hour {
		t.Fatalf("union overlap %v, want 3h", got)
	}
}

const maintHead = `service: {start: 2026-01-01}
years:
  - year: 2026
    status: confirmed
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

func writeCalendar(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "calendar.yml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWindowsFromCalendar: the calendar file's windows, in Beijing time.
func TestWindowsFromCalendar(t *testing.T) {
	p := writeCalendar(t, maintHead+`maintenance:
  - {name: CHG-1, start: "2026-12-12 00:00", end: "2026-12-12 04:00"}
  - {name: weekly, weekdays: [sun], from: "23:00", to: "01:00"}
`)
	_, w, err := loadWindows(t, p)
	if err != nil {
		t.Fatal(err)
	}
	// 2026-12-12 00:00..04:00 Beijing = 2026-12-11 16:00..20:00 UTC.
	from := time.Date(2026, 12, 11, 15, 0, 0, 0, time.UTC)
	if got := w.Overlap(from, from.Add(6*time.Hour)); got != 4*time.Hour {
		t.Errorf("one-off overlap %v, want 4h", got)
	}
	// Sunday 2026-12-13 23:00 → Monday 01:00 Beijing = 15:00..17:00 UTC.
	sun := time.Date(2026, 12, 13, 14, 0, 0, 0, time.UTC)
	if got := w.Overlap(sun, sun.Add(4*time.Hour)); got != 2*time.Hour {
		t.Errorf("weekly overlap %v, want 2h", got)
	}
	if !w.Active(time.Date(2026, 12, 13, 16, 30, 0, 0, time.UTC)) {
		t.Error("not active at Monday 00:30 Beijing")
	}
}

func TestWindowErrorsNameLine(t *testing.T) {
	tests := []struct{ body, want string }{
		{"maintenance:\n  - {name: ok, weekdays: [sun], from: \"02:00\", to: \"04:00\"}\n  - {name: bad, weekdays: [sonntag], from: \"02:00\", to: \"04:00\"}\n",
			"calendar.yml:16: maintenance[1]: maintenance window bad: unknown weekday \"sonntag\""},
		{"maintenance:\n  - {name: rev, start: \"2026-12-12 04:00\", end: \"2026-12-12 00:00\"}\n",
			"calendar.yml:15: maintenance[0]: maintenance window rev: end 2026-12-12 00:00 is not after start"},
		{"maintenance:\n  - {name: x, start: \"2026-12-12\", end: \"2026-12-13\"}\n",
			"calendar.yml:15: maintenance[0]: maintenance window x: start \"2026-12-12\": want \"YYYY-MM-DD HH:MM\""},
		{"maintenance:\n  - {name: x, weekdays: [sun], form: \"02:00\"}\n", "field form not found"},
	}
	for _, tc := range tests {
		_, _, err := loadWindows(t, writeCalendar(t, maintHead+tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v\nwant it to contain %q", err, tc.want)
		}
	}
}

func TestShippedMaintenance(t *testing.T) {
	c, w, err := loadWindows(t, "../../deploy/etc/jianguan/calendar.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Maintenance) != 0 || w.Active(time.Now()) {
		t.Errorf("shipped file should declare no maintenance: %v", c.Maintenance)
	}
}

// loadWindows loads a calendar file and parses its maintenance windows.
func loadWindows(t *testing.T, path string) (*Calendar, *Windows, error) {
	t.Helper()
	c, err := Load(path)
	if err != nil {
		return nil, nil, err
	}
	w, err := c.Windows()
	return c, w, err
}
