package records

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

const shipped = "../../deploy/etc/jianguan/"

func shippedCalendar(t *testing.T) *calendar.Calendar {
	t.Helper()
	c, err := calendar.Load(shipped + "calendar.yml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestMigrationsDownAndUp: 00003 (ref) and 00002 (slot_at, parent_id) revert and applies
// again on both backends, so an upgrade can be rolled back.
func TestMigrationsDownAndUp(t *testing.T) {
	for _, tc := range []struct {
		backend string
		dialect goose.Dialect
		open    func(t *testing.T) *sql.DB
	}{
		{SQLite, goose.DialectSQLite3, func(t *testing.T) *sql.DB {
			db, err := sql.Open("sqlite", SQLiteDSN(filepath.Join(t.TempDir(), "m.db")))
			if err != nil {
				t.Fatal(err)
			}
			return db
		}},
		{Postgres, goose.DialectPostgres, func(t *testing.T) *sql.DB {
			db, err := sql.Open("pgx", testenv.StartPostgres(t).NewDB(t))
			if err != nil {
				t.Fatal(err)
			}
			return db
		}},
	} {
		t.Run(tc.backend, func(t *testing.T) {
			ctx := context.Background()
			db := tc.open(t)
			defer db.Close()
			sub, _ := fs.Sub(migrations, "migrations/"+tc.backend)
			p, err := goose.NewProvider(tc.dialect, db, sub)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Up(ctx); err != nil {
				t.Fatal(err)
			}
			if v, _ := p.GetDBVersion(ctx); v != 3 {
				t.Fatalf("version %d after up, want 3", v)
			}
			if _, err := p.Down(ctx); err != nil {
				t.Fatalf("down 3: %v", err)
			}
			if _, err := db.ExecContext(ctx, `SELECT ref FROM records`); err == nil {
				t.Fatal("ref still there after down")
			}
			if _, err := p.Down(ctx); err != nil {
				t.Fatalf("down 2: %v", err)
			}
			if _, err := db.ExecContext(ctx, `SELECT slot_at FROM records`); err == nil {
				t.Fatal("slot_at still there after down")
			}
			if _, err := p.Up(ctx); err != nil {
				t.Fatalf("up again: %v", err)
			}
			if _, err := db.ExecContext(ctx, `SELECT slot_at, parent_id, ref FROM records`); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestInspectionSlotOnce: one record of a kind per slot (ErrExists), findings
// tied to their inspection, written in one transaction with history;
// amendments carry no slot.
func TestInspectionSlotOnce(t *testing.T) {
	backends(t, func(t *testing.T, open func() Store) {
		ctx := context.Background()
		s := open()
		slot := at("2026-12-04T09:00:00+08:00")
		ri := RemoteInspection{Slot: slot, Status: InspectionCompleted, Items: []ItemResult{
			{RemoteItem: RemoteItem{Name: "ups_load", Label: "UPS 负载率", Op: "<=", Threshold: 0.8}, Result: ResultAbnormal,
				Series: []SeriesResult{{Labels: map[string]string{"device": "ups-a1"}, Value: "0.92", Result: ResultAbnormal}}},
			{RemoteItem: RemoteItem{Name: "leak", Label: "漏水", Op: "==", Threshold: 0}, Result: ResultNormal},
		}}
		rec, kids, err := s.CreateRecords(ctx, "jianguan-recorder", RemoteRecord(ri), ri.Findings())
		if err != nil {
			t.Fatal(err)
		}
		if len(kids) != 1 || kids[0].Kind != KindFinding || kids[0].ParentID == nil || *kids[0].ParentID != rec.ID {
			t.Fatalf("findings %+v", kids)
		}
		if rec.Slot == nil || !rec.Slot.Equal(slot) {
			t.Fatalf("slot %v", rec.Slot)
		}
		_, _, err = s.CreateRecords(ctx, "jianguan-recorder", RemoteRecord(ri), ri.Findings())
		if !errors.Is(err, ErrExists) {
			t.Fatalf("second record for the same slot: %v, want ErrExists", err)
		}
		// The failed second attempt left nothing behind.
		fs, err := s.FindRecords(ctx, RecordFilter{Kind: KindFinding})
		if err != nil || len(fs) != 1 {
			t.Fatalf("findings after the refused duplicate: %d %v", len(fs), err)
		}
		got, err := s.FindRecords(ctx, RecordFilter{Kind: KindRemoteInspection, SlotSince: slot, SlotUntil: slot.Add(time.Millisecond)})
		if err != nil || len(got) != 1 || got[0].ID != rec.ID {
			t.Fatalf("by slot: %+v %v", got, err)
		}
		byParent, err := s.FindRecords(ctx, RecordFilter{ParentID: rec.ID})
		if err != nil || len(byParent) != 1 {
			t.Fatalf("by parent: %+v %v", byParent, err)
		}
		var f Finding
		if err := json.Unmarshal(byParent[0].Body, &f); err != nil || f.Item != "ups_load" || f.Status != "open" || len(f.Series) != 1 {
			t.Fatalf("finding body %s %v", byParent[0].Body, err)
		}
		if h, _ := s.History(ctx, "record", kids[0].ID); len(h) != 1 || h[0].Action != "create" {
			t.Fatalf("finding history %+v", h)
		}
		// Sign off, amend: the amendment has no slot, the slot stays taken.
		if _, err := s.SignOff(ctx, "duty-manager", rec.ID, slot.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		am, err := s.Amend(ctx, "noc", rec.ID, Record{Title: "远程巡检（更正）", Body: rec.Body})
		if err != nil || am.Slot != nil || am.AmendsID == nil {
			t.Fatalf("amend %+v %v", am, err)
		}
		// A parent that does not exist is refused.
		bad := int64(999999)
		if _, _, err := s.CreateRecords(ctx, "x", Record{Kind: KindFinding, Title: "t", Body: json.RawMessage(`{}`), ParentID: &bad}, nil); !errors.Is(err, ErrInvalid) {
			t.Fatalf("missing parent: %v", err)
		}
	})
}

// TestRepairDeadlineAcrossHolidays: 15 working days with the shipped
// calendar, across 国庆 and 春节 with their 调休 Saturdays/Sundays.
func TestRepairDeadlineAcrossHolidays(t *testing.T) {
	cal := shippedCalendar(t)
	now := at("2028-01-01T00:00:00+08:00")
	for _, tc := range []struct {
		name, swap, due string
	}{
		// Sun 09-28 and Sat 10-11 are 调休 workdays, 10-01…10-08 off: 10-23, not the weekday count's 10-17.
		{"国庆2025", "2025-09-26T15:00:00+08:00", "2025-10-23"},
		// Sat 02-14 and Sat 02-28 are 调休 workdays, 02-15…02-23 off.
		{"春节2026", "2026-02-13T10:00:00+08:00", "2026-03-12"},
		// 国庆 2026: 10-01…10-07 off, Sat 10-10 a workday.
		{"国庆2026", "2026-09-30T23:59:00+08:00", "2026-10-27"},
		// A swap late on a UTC day is counted on its Shanghai date.
		{"UTC evening", "2026-11-02T17:30:00Z", "2026-11-24"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rp, err := NewRepair(cal, "UPS-A1 功率模块 3", "", at(tc.swap), now)
			if err != nil {
				t.Fatal(err)
			}
			if rp.DueDate != tc.due {
				t.Fatalf("due %s, want %s", rp.DueDate, tc.due)
			}
			if want := at(tc.due+"T00:00:00+08:00").AddDate(0, 0, 1); !rp.DueBy.Equal(want) {
				t.Fatalf("due by %v, want %v", rp.DueBy, want)
			}
			if n, err := cal.WorkdaysBetween(rp.SwapAt, rp.DueBy.Add(-time.Second)); err != nil || n != RepairWorkdays {
				t.Fatalf("working days swap → due: %d %v", n, err)
			}
		})
	}
}

// TestRepairLifecycle: open → overdue (computed at read) → done; the
// reinstallation is an update kept in history; a second one is refused.
func TestRepairLifecycle(t *testing.T) {
	cal := shippedCalendar(t)
	backends(t, func(t *testing.T, open func() Store) {
		ctx := context.Background()
		s := open()
		swap := at("2026-09-26T15:00:00+08:00")
		rp, err := NewRepair(cal, "CRAC-B1 压缩机", "压缩机过流，换备机", swap, swap)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := s.CreateRecord(ctx, "noc", RepairRecord(rp))
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			now    string
			status string
		}{
			{"2026-10-10T12:00:00+08:00", RepairOpen},
			{"2026-10-22T23:59:59+08:00", RepairOpen}, // the last day counts (due 10-22)
			{"2026-10-23T00:00:00+08:00", RepairOverdue},
		} {
			v, err := ViewRepair(cal, rec, at(tc.now))
			if err != nil || v.Status != tc.status {
				t.Fatalf("at %s: %s %v, want %s (due %s)", tc.now, v.Status, err, tc.status, v.DueDate)
			}
		}
		body, err := Reinstall(rec, at("2026-10-20T16:00:00+08:00"), "修复后回装", at("2026-10-21T00:00:00+08:00"))
		if err != nil {
			t.Fatal(err)
		}
		upd, err := s.UpdateRecord(ctx, "noc", rec.ID, rec.Title, body)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := ViewRepair(cal, upd, at("2026-12-01T00:00:00+08:00"))
		if v.Status != RepairDone || v.Late || v.WorkdaysUsed != 13 {
			t.Fatalf("after reinstall: %+v", v)
		}
		if _, err := Reinstall(upd, at("2026-10-21T16:00:00+08:00"), "", at("2026-10-22T00:00:00+08:00")); !errors.Is(err, ErrExists) {
			t.Fatalf("second reinstall: %v", err)
		}
		if h, _ := s.History(ctx, "record", rec.ID); len(h) != 2 || h[1].Action != "update" {
			t.Fatalf("history %+v", h)
		}
	})
}

func TestRepairInputErrors(t *testing.T) {
	cal := shippedCalendar(t)
	now := at("2026-12-04T12:00:00+08:00")
	for _, tc := range []struct {
		name, unit string
		swap       time.Time
		cal        *calendar.Calendar
		want       string
	}{
		{"no calendar", "u", now, nil, "calendar_file"},
		{"empty unit", " ", now, cal, "unit"},
		{"newline in unit", "a\nb", now, cal, "unit"},
		{"no swap", "u", time.Time{}, cal, "swapAt: required"},
		{"future swap", "u", now.Add(time.Hour), cal, "in the future"},
		{"beyond the calendar", "u", at("2024-06-03T10:00:00+08:00"), cal, "deadline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRepair(tc.cal, tc.unit, "", tc.swap, now)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
}

// TestShippedChecklists: the checklists in deploy/etc/jianguan load and the
// on-site one covers what monitoring cannot see.
func TestShippedChecklists(t *testing.T) {
	rc, err := LoadRemoteChecklist(shipped + "inspection-remote.yml")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, it := range rc.Items {
		names[it.Name] = true
	}
	for _, n := range []string{"ups_mode_battery", "ups_load", "ups_runtime", "feed_up", "generator_running", "crac_running",
		"temperature_high", "humidity", "leak", "smoke", "door", "line_state", "line_loss", "line_rtt", "line_bgp", "hosts_down", "websites_down"} {
		if !names[n] {
			t.Errorf("remote checklist lacks %s", n)
		}
	}
	oc, err := LoadOnsiteChecklist(shipped + "inspection-onsite.yml")
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]bool{}
	for _, it := range oc.Items {
		labels[it.Label] = true
	}
	for _, l := range []string{"机房清洁度", "消防器材", "门窗", "线缆", "机柜"} {
		if !labels[l] {
			t.Errorf("on-site checklist lacks %s", l)
		}
	}
}

func TestChecklistErrors(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"empty", "items: []\n", "f.yml:1: items: 0 items"},
		{"unknown field", "items:\n  - {name: a, label: A, query: up, op: '==', threshold: 1, colour: red}\n", "f.yml:2"},
		{"bad op", "items:\n  - name: a\n    label: A\n    query: up\n    op: '=~'\n    threshold: 1\n", "f.yml:5: items[0].op"},
		{"duplicate", "items:\n  - {name: a, label: A, query: up, op: '==', threshold: 1}\n  - {name: a, label: B, query: up, op: '==', threshold: 1}\n", "f.yml:3: items[1].name: \"a\" is also items[0]"},
		{"bad name", "items:\n  - {name: A-1, label: A, query: up, op: '==', threshold: 1}\n", "items[0].name"},
		{"no query", "items:\n  - {name: a, label: A, op: '==', threshold: 1}\n", "items[0].query"},
		{"nan threshold", "items:\n  - {name: a, label: A, query: up, op: '==', threshold: .nan}\n", "finite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRemoteChecklist("f.yml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want %q", err, tc.want)
			}
		})
	}
}

func onsiteChecklist(t *testing.T) *OnsiteChecklist {
	c, err := LoadOnsiteChecklist(shipped + "inspection-onsite.yml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fullOnsite(c *OnsiteChecklist) OnsiteInspection {
	in := OnsiteInspection{Date: "2026-12-04", Inspector: "张工", Reviewer: "duty-manager"}
	for _, it := range c.Items {
		in.Items = append(in.Items, OnsiteResult{Name: it.Name, Result: ResultNormal})
	}
	return in
}

// TestOnsiteValidation: every way an on-site inspection can be wrong gets an
// ErrInvalid naming the field.
func TestOnsiteValidation(t *testing.T) {
	c := onsiteChecklist(t)
	now := at("2026-12-04T18:00:00+08:00")
	for _, tc := range []struct {
		name string
		mod  func(*OnsiteInspection)
		want string
	}{
		{"bad date", func(in *OnsiteInspection) { in.Date = "2026-02-30" }, "date"},
		{"future date", func(in *OnsiteInspection) { in.Date = "2026-12-05" }, "in the future"},
		{"no inspector", func(in *OnsiteInspection) { in.Inspector = "" }, "inspector"},
		{"no reviewer", func(in *OnsiteInspection) { in.Reviewer = "  " }, "reviewer"},
		{"unknown item", func(in *OnsiteInspection) { in.Items[0].Name = "coffee" }, `"coffee" is not in the on-site checklist`},
		{"twice", func(in *OnsiteInspection) { in.Items[1].Name = in.Items[0].Name }, "answered twice"},
		{"missing", func(in *OnsiteInspection) { in.Items = in.Items[1:] }, "items not answered: cleanliness (机房清洁度)"},
		{"bad result", func(in *OnsiteInspection) { in.Items[0].Result = "OK" }, `result "OK": want 正常 or 异常`},
		{"abnormal without note", func(in *OnsiteInspection) { in.Items[0].Result = ResultAbnormal }, "is 异常: say what in note"},
		{"note too long", func(in *OnsiteInspection) { in.Items[0].Note = strings.Repeat("x", MaxOnsiteNoteBytes+1) }, "note"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := fullOnsite(c)
			tc.mod(&in)
			_, err := c.Validate(&in, now)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want ErrInvalid with %q", err, tc.want)
			}
		})
	}
	in := fullOnsite(c)
	in.Items[2].Result, in.Items[2].Note = ResultAbnormal, "北侧窗户关不严"
	day, err := c.Validate(&in, now)
	if err != nil || in.Abnormal != 1 || in.Normal != len(c.Items)-1 || in.Items[2].Label != "门窗" {
		t.Fatalf("%+v %v", in, err)
	}
	rec, fs := OnsiteRecords(in, day)
	if !rec.Slot.Equal(calendar.Date(2026, 12, 4)) || len(fs) != 1 || rec.Kind != KindOnsiteInspection {
		t.Fatalf("%+v %+v", rec, fs)
	}
}

// TestEvaluateVerdicts: the comparison, NaN, empty results, failing queries
// and the series bound, with a table querier (pure logic; the real
// Prometheus is in TestRemoteInspectionRealPrometheus).
func TestEvaluateVerdicts(t *testing.T) {
	c := &RemoteChecklist{Items: []RemoteItem{
		{Name: "load", Label: "负载", Query: "load", Op: "<=", Threshold: 0.8},
		{Name: "nan", Label: "NaN", Query: "nan", Op: "<=", Threshold: 1},
		{Name: "empty", Label: "空", Query: "empty", Op: "==", Threshold: 0},
		{Name: "broken", Label: "错", Query: "broken", Op: "==", Threshold: 0},
		{Name: "many", Label: "多", Query: "many", Op: "==", Threshold: 0},
	}}
	nan := 0.0
	nan = nan / nan
	answers := map[string][]Sample{
		"vector(1)": {{Value: 1}},
		"load":      {{Labels: map[string]string{"d": "b"}, Value: 0.92}, {Labels: map[string]string{"d": "a"}, Value: 0.5}},
		"nan":       {{Value: nan}},
	}
	for i := 0; i <= MaxSeriesPerItem; i++ {
		answers["many"] = append(answers["many"], Sample{Value: 0})
	}
	q := func(_ context.Context, expr string, _ time.Time) ([]Sample, error) {
		if expr == "broken" {
			return nil, errors.New("bad_data: parse error")
		}
		return answers[expr], nil
	}
	ri, err := c.Evaluate(context.Background(), q, at("2026-12-04T09:00:00+08:00"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{ResultAbnormal, ResultAbnormal, ResultNoData, ResultNoData, ResultNoData}
	for i, w := range want {
		if ri.Items[i].Result != w {
			t.Errorf("%s: %s, want %s", ri.Items[i].Name, ri.Items[i].Result, w)
		}
	}
	if ri.Items[0].Series[0].Labels["d"] != "a" || ri.Items[0].Series[0].Result != ResultNormal || ri.Items[0].Series[1].Value != "0.92" {
		t.Errorf("series sorted and judged one by one: %+v", ri.Items[0].Series)
	}
	if ri.Items[1].Series[0].Value != "NaN" || ri.Items[3].Error == "" || !strings.Contains(ri.Items[4].Error, "narrow the query") {
		t.Errorf("%+v", ri.Items)
	}
	if ri.Abnormal != 2 || ri.NoData != 3 || len(ri.Findings()) != 2 {
		t.Errorf("counts %d/%d, findings %d", ri.Abnormal, ri.NoData, len(ri.Findings()))
	}
	if _, err := json.Marshal(RemoteRecord(ri)); err != nil {
		t.Fatal(err)
	}
	down := func(context.Context, string, time.Time) ([]Sample, error) {
		return nil, errors.New("connection refused")
	}
	if _, err := c.Evaluate(context.Background(), down, time.Now()); err == nil || !strings.Contains(err.Error(), "Prometheus") {
		t.Fatalf("Prometheus down: %v", err)
	}
}

// TestIncidentRefOnce: one incident record per entity and start (the report
// engine's identity), found by its ref; an amendment carries no ref.
func TestIncidentRefOnce(t *testing.T) {
	backends(t, func(t *testing.T, open func() Store) {
		ctx := context.Background()
		s := open()
		start := at("2026-11-03T10:15:30.250+08:00")
		in := Incident{NS: "line", Entity: "ct-1", Start: start, Cause: "光缆被挖断", Handler: "张工", Status: IncidentRectifying,
			Timeline: []TimelineStep{{At: start.Add(2 * time.Minute), Text: "告警确认"}}, Deadline: "2026-11-10"}
		if err := in.Validate(start.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		rec, err := s.CreateRecord(ctx, "noc", IncidentRecord(in))
		if err != nil || rec.Ref == nil || *rec.Ref != "line/ct-1@1793672130" {
			t.Fatalf("%+v %v", rec.Ref, err)
		}
		// The same entity and start (sub-second difference) is the same incident.
		in2 := in
		in2.Start = start.Add(100 * time.Millisecond)
		_ = in2.Validate(start.Add(time.Hour))
		if _, err := s.CreateRecord(ctx, "noc", IncidentRecord(in2)); !errors.Is(err, ErrExists) {
			t.Fatalf("same incident twice: %v", err)
		}
		other := in
		other.Entity = "cu-1"
		if _, err := s.CreateRecord(ctx, "noc", IncidentRecord(other)); err != nil {
			t.Fatalf("another entity at the same start: %v", err)
		}
		got, err := s.FindRecords(ctx, RecordFilter{Kind: KindIncident, Ref: *rec.Ref})
		if err != nil || len(got) != 1 || got[0].ID != rec.ID {
			t.Fatalf("by ref: %+v %v", got, err)
		}
		if _, err := s.SignOff(ctx, "duty-manager", rec.ID, start.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if am, err := s.Amend(ctx, "noc", rec.ID, Record{Title: "更正", Body: rec.Body}); err != nil || am.Ref != nil {
			t.Fatalf("amend: %+v %v", am, err)
		}
		if !in.Overdue(at("2026-11-11T00:00:00+08:00")) || in.Overdue(at("2026-11-10T23:59:59+08:00")) {
			t.Error("overdue after the deadline's day only")
		}
	})
}

func TestIncidentValidation(t *testing.T) {
	now := at("2026-11-03T12:00:00+08:00")
	ok := func() Incident {
		return Incident{NS: "host", Entity: "web01", Start: now.Add(-time.Hour), Cause: "c", Handler: "h"}
	}
	for _, tc := range []struct {
		name string
		mod  func(*Incident)
		want string
	}{
		{"bad ns", func(in *Incident) { in.NS = "Line!" }, "ns"},
		{"no entity", func(in *Incident) { in.Entity = "" }, "entity: required"},
		{"@ in entity", func(in *Incident) { in.Entity = "a@b" }, "no @"},
		{"future start", func(in *Incident) { in.Start = now.Add(time.Hour) }, "start"},
		{"end before start", func(in *Incident) { e := in.Start.Add(-time.Second); in.End = &e }, "before start"},
		{"status", func(in *Incident) { in.Status = "done" }, "want open, rectifying or closed"},
		{"closed without cause", func(in *Incident) { in.Status, in.Cause = IncidentClosed, "" }, "needs cause and handler"},
		{"deadline", func(in *Incident) { in.Deadline = "2026-13-01" }, "deadline"},
		{"timeline without time", func(in *Incident) { in.Timeline = []TimelineStep{{Text: "x"}} }, "timeline[0].at"},
		{"long cause", func(in *Incident) { in.Cause = strings.Repeat("因", MaxIncidentText) }, "cause"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ok()
			tc.mod(&in)
			if err := in.Validate(now); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want %q", err, tc.want)
			}
		})
	}
	in := ok()
	if err := in.Validate(now); err != nil || in.Status != IncidentOpen {
		t.Fatalf("%v %q", err, in.Status)
	}
}

// TestHostile_RemoteInspectionTooLarge: 200 items × 200 series with long
// labels would make a record far over MaxRecordBodyBytes (refused by the
// store, so the inspection would end up missed); the record is shrunk
// instead, keeping every verdict and the abnormal series first.
func TestHostile_RemoteInspectionTooLarge(t *testing.T) {
	ri := RemoteInspection{Slot: at("2026-12-04T09:00:00+08:00"), Status: InspectionCompleted}
	long := strings.Repeat("x", 200)
	for i := 0; i < MaxChecklistItems; i++ {
		it := ItemResult{RemoteItem: RemoteItem{Name: fmt.Sprintf("i%d", i), Label: "L", Op: "==", Threshold: 0}, Result: ResultNormal}
		for j := 0; j < MaxSeriesPerItem; j++ {
			r := ResultNormal
			if j%7 == 0 {
				r, it.Result = ResultAbnormal, ResultAbnormal
			}
			it.Series = append(it.Series, SeriesResult{Labels: map[string]string{"device": fmt.Sprintf("%s-%d", long, j)}, Value: "1", Result: r})
		}
		ri.Items = append(ri.Items, it)
	}
	rec := RemoteRecord(ri)
	if err := validRecord(rec.Kind, rec.Title, rec.Body); err != nil {
		t.Fatalf("shrunk record still refused: %v (%d bytes)", err, len(rec.Body))
	}
	var got RemoteInspection
	if err := json.Unmarshal(rec.Body, &got); err != nil {
		t.Fatal(err)
	}
	for _, it := range got.Items {
		if it.Result != ResultAbnormal || len(it.Series)+it.Omitted != MaxSeriesPerItem || len(it.Series) > keptAbnormal || it.Omitted == 0 {
			t.Fatalf("%s: %s, %d kept, %d omitted", it.Name, it.Result, len(it.Series), it.Omitted)
		}
		for _, s := range it.Series {
			if s.Result != ResultAbnormal {
				t.Fatalf("%s kept a normal series before abnormal ones", it.Name)
			}
		}
	}
	t.Logf("%d bytes after shrinking", len(rec.Body))
	// A small inspection is stored whole.
	small := RemoteInspection{Slot: ri.Slot, Status: InspectionCompleted, Items: []ItemResult{ri.Items[0]}}
	small.Items[0].Series = small.Items[0].Series[:3]
	var whole RemoteInspection
	_ = json.Unmarshal(RemoteRecord(small).Body, &whole)
	if len(whole.Items[0].Series) != 3 || whole.Items[0].Omitted != 0 {
		t.Fatalf("small record shrunk: %+v", whole.Items[0])
	}
}
