package maint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const head = `service: {start: 2026-01-01}
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

func write(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "calendar.yml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestWindowsFromCalendar: the windows use avail's semantics in Beijing time.
func TestWindowsFromCalendar(t *testing.T) {
	p := write(t, head+`maintenance:
  - {name: CHG-1, start: "2026-12-12 00:00", end: "2026-12-12 04:00"}
  - {name: weekly, weekdays: [sun], from: "23:00", to: "01:00"}
`)
	_, w, err := Load(p)
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
		_, _, err := Load(write(t, head+tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v\nwant it to contain %q", err, tc.want)
		}
	}
}

func TestShippedMaintenance(t *testing.T) {
	c, w, err := Load("../../../deploy/etc/jianguan/calendar.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Maintenance) != 0 || w.Active(time.Now()) {
		t.Errorf("shipped file should declare no maintenance: %v", c.Maintenance)
	}
}
