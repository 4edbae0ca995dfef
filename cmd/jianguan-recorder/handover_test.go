package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/records"
)

// TestHandoverRecordValidated: a handover (交接班, kind handover) entered
// through the generic record API is validated on create, update and
// amendment; the stored body is the normalised one the duty log reads.
func TestHandoverRecordValidated(t *testing.T) {
	e := newEnv(t, testConfig(t), "", "")
	now := time.Date(2026, 11, 3, 20, 0, 0, 0, calendar.Zone)
	e.srv.nowFunc = func() time.Time { return now }
	good := map[string]any{"at": "2026-11-03T08:30:00+08:00", "from": "夜班 王五", "to": "白班 张三", "notes": "UPS-1 告警已恢复", "tickets": []string{"INC-2026-0042"}}
	with := func(k string, v any) map[string]any { return withField(good, k, v) }
	for _, c := range []struct {
		name string
		body any
		want string
	}{
		{"no at", with("at", nil), "at: required"},
		{"future", with("at", "2026-11-04T08:30:00+08:00"), "not in the future"},
		{"no from", with("from", ""), "from: required"},
		{"two-line to", with("to", "a\nb"), "to: required, 1–128 bytes on one line"},
		{"no notes", with("notes", " "), "notes: required"},
		{"empty ticket", with("tickets", []string{""}), "tickets[0]"},
		{"long ticket", with("tickets", []string{strings.Repeat("9", 65)}), "tickets[0]"},
		{"unknown field", with("shift", "night"), `unknown field \"shift\"`},
		{"not an object", []int{1}, "handover body"},
	} {
		code, b := e.do("POST", "/api/v1/records", records.RoleEditor, map[string]any{"kind": records.KindHandover, "title": "交接班", "body": c.body})
		if code != 400 || !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %d %s (want 400 with %q)", c.name, code, b, c.want)
		}
	}
	code, b := e.do("POST", "/api/v1/records", records.RoleEditor, map[string]any{"kind": records.KindHandover, "title": "交接班", "body": good})
	if code != 201 {
		t.Fatalf("create: %d %s", code, b)
	}
	var rec records.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	var h records.Handover
	if err := json.Unmarshal(rec.Body, &h); err != nil || !h.At.Equal(time.Date(2026, 11, 3, 0, 30, 0, 0, time.UTC)) || h.At.Location() != time.UTC {
		t.Errorf("stored body %s (%v): want at normalised to UTC", rec.Body, err)
	}
	path := "/api/v1/records/" + strconv.FormatInt(rec.ID, 10)
	if code, b := e.do("PUT", path, records.RoleEditor, map[string]any{"title": "交接班", "body": with("notes", "")}); code != 400 {
		t.Errorf("update with empty notes: %d %s", code, b)
	}
	if code, b := e.do("PUT", path, records.RoleEditor, map[string]any{"title": "交接班", "body": with("notes", "补充：空调 2 号机告警已派单")}); code != 200 {
		t.Errorf("valid update: %d %s", code, b)
	}
}
