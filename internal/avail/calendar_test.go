package avail

import (
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
		{"Shanghai", DefaultLocation, "sun", "02:00", "04:00", utc(2026, 3, 28, 18, 0), utc(2026, 3, 28, 20, 0), utc(2026, 3, 28, 0, 0), utc(2026, 3, 29, 0, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := NewWindows([]WindowConfig{{Name: "weekly", Weekdays: []string{tc.weekday}, From: tc.from, To: tc.to}}, tc.loc)
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
			_, err := NewWindows([]WindowConfig{{Name: "nightly", Weekdays: []string{"mon"}, From: tc.from, To: tc.to}}, nil)
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
		w, err := NewWindows([]WindowConfig{{Weekdays: []string{"mon"}, From: tc.from, To: "24:00"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		mon := time.Date(2026, 11, 2, 0, 0, 0, 0, DefaultLocation) // a Monday
		if got := w.Overlap(mon.Add(-12*time.Hour), mon.Add(36*time.Hour)); got != tc.want {
			t.Errorf("from %s to 24:00: overlap %v, want %v", tc.from, got, tc.want)
		}
		if w.Active(mon.Add(24 * time.Hour)) {
			t.Errorf("from %s to 24:00: active at Tuesday 00:00", tc.from)
		}
	}
}
