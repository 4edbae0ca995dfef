package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/records"
	jtestutil "github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

const shippedDir = "../../deploy/etc/jianguan/"

// slot09 is the morning inspection of 2026-11-03 (Asia/Shanghai).
var slot09 = time.Date(2026, 11, 3, 9, 0, 0, 0, calendar.Zone)

// inspectionData: the site at 2026-11-03 08:30–09:30 (Asia/Shanghai), one
// sample a minute. At 09:00: UPS a2 at 92 % load, line cu-1 down (it comes
// back at 09:01, after the slot), host h1 down; the door sensor stopped
// reporting at 08:45 (stale at 09:00: 无数据); no smoke sensor at all.
func inspectionData() string {
	var b strings.Builder
	from, to := slot09.Add(-30*time.Minute), slot09.Add(30*time.Minute)
	type series struct {
		name, labels string
		v            func(t time.Time) (float64, bool)
	}
	always := func(v float64) func(time.Time) (float64, bool) {
		return func(time.Time) (float64, bool) { return v, true }
	}
	room := `site="hq",room="A201"`
	fams := [][]series{
		{{"env_ups_on_battery", room + `,device="ups-a1"`, always(0)}, {"env_ups_on_battery", room + `,device="ups-a2"`, always(0)}},
		{{"env_ups_output_load_ratio", room + `,device="ups-a1",phase="1"`, always(0.45)}, {"env_ups_output_load_ratio", room + `,device="ups-a2",phase="1"`, always(0.92)},
			{"env_ups_output_load_ratio", room + `,device="ups-a2",phase="2"`, always(0.5)}},
		{{"env_ups_battery_runtime_seconds", room + `,device="ups-a1"`, always(1800)}},
		{{"env_leak_detected", room + `,device="leak-a",sensor="l1"`, always(0)}},
		{{"env_temperature_celsius", room + `,device="th-1",sensor="s1",rack="R01"`, always(24.5)}},
		{{"env_door_open", room + `,device="door-1",sensor="d1"`, func(t time.Time) (float64, bool) { return 0, t.Before(slot09.Add(-15 * time.Minute)) }}},
		{{"line_up", `site="hq",line="ct-1",kind="bgp",provider="电信"`, always(1)},
			{"line_up", `site="hq",line="cu-1",kind="leased",provider="联通"`, func(t time.Time) (float64, bool) {
				if t.After(slot09) {
					return 1, true
				}
				return 0, true
			}}},
		{{"host_up", `site="hq",host="h1"`, always(0)}, {"host_up", `site="hq",host="h2"`, always(1)}},
		{{"host_unknown", `site="hq",host="h1"`, always(0)}, {"host_unknown", `site="hq",host="h2"`, always(0)}},
		{{"host_in_maintenance", `site="hq",host="h1"`, always(0)}, {"host_in_maintenance", `site="hq",host="h2"`, always(0)}},
	}
	for _, fam := range fams {
		fmt.Fprintf(&b, "# TYPE %s gauge\n", fam[0].name)
		for _, s := range fam {
			for t := from; !t.After(to); t = t.Add(time.Minute) {
				if v, ok := s.v(t); ok {
					fmt.Fprintf(&b, "%s{%s} %g %d\n", s.name, s.labels, v, t.Unix())
				}
			}
		}
	}
	b.WriteString("# EOF\n")
	return b.String()
}

// startInspectionPrometheus backfills inspectionData with promtool and
// starts a real Prometheus 2.42 on it.
func startInspectionPrometheus(t *testing.T) string {
	promtool := jtestutil.Need(t, "promtool")
	prom := jtestutil.Need(t, "prometheus")
	dir := t.TempDir()
	om := filepath.Join(dir, "data.om")
	if err := os.WriteFile(om, []byte(inspectionData()), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "tsdb")
	if out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", om, data).CombinedOutput(); err != nil {
		t.Fatalf("promtool: %v\n%s", err, out)
	}
	return testenv.StartPrometheus(t, prom, data)
}

func inspectionConfig(t *testing.T, promURL string) *Config {
	cfg := testConfig(t)
	r := &cfg.Inspections.Remote
	r.Times, r.slots, r.Grace = []string{"09:00", "21:00"}, []clock{{9, 0}, {21, 0}}, 30*time.Minute
	r.Prometheus.URL, r.Prometheus.Timeout, r.Prometheus.MaxAnswerBytes = promURL, 20*time.Second, defaultPromAnswer
	var err error
	if r.check, err = records.LoadRemoteChecklist(shippedDir + "inspection-remote.yml"); err != nil {
		t.Fatal(err)
	}
	if cfg.Inspections.Onsite.check, err = records.LoadOnsiteChecklist(shippedDir + "inspection-onsite.yml"); err != nil {
		t.Fatal(err)
	}
	if cfg.cal, err = calendar.Load(shippedDir + "calendar.yml"); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func remoteInspections(t *testing.T, st records.Store) map[time.Time]records.RemoteInspection {
	t.Helper()
	rs, err := st.FindRecords(context.Background(), records.RecordFilter{Kind: records.KindRemoteInspection})
	if err != nil {
		t.Fatal(err)
	}
	out := map[time.Time]records.RemoteInspection{}
	for _, r := range rs {
		var ri records.RemoteInspection
		if err := json.Unmarshal(r.Body, &ri); err != nil {
			t.Fatal(err)
		}
		out[r.Slot.In(calendar.Zone)] = ri
	}
	return out
}

// TestRemoteInspectionRealPrometheus: the shipped checklist evaluated by the
// scheduler against a real Prometheus 2.42 at the slot's instant (not at the
// time it runs): 正常/异常/无数据 per item with values and thresholds, one
// finding per abnormal item, the earlier slot without evaluation recorded
// missed, nothing recorded twice, and the metrics.
func TestRemoteInspectionRealPrometheus(t *testing.T) {
	prom := startInspectionPrometheus(t)
	e := newEnv(t, inspectionConfig(t, prom), "", "")
	ctx := context.Background()
	now := slot09.Add(12 * time.Minute) // late but within grace: still evaluated at 09:00
	st := time.Now()
	e.srv.sched.step(ctx, now)
	t.Logf("one scheduler step (%d-item checklist on Prometheus 2.42, one missed slot, stored on SQLite): %v",
		len(e.cfg.Inspections.Remote.check.Items), time.Since(st).Round(time.Millisecond))
	e.srv.sched.step(ctx, now.Add(time.Minute)) // idempotent
	got := remoteInspections(t, e.store)
	if len(got) != 2 {
		t.Fatalf("%d inspections, want 2 (yesterday 21:00 missed, today 09:00)", len(got))
	}
	prev := got[slot09.Add(-12*time.Hour)]
	if prev.Status != records.InspectionMissed || !strings.Contains(prev.Reason, "not evaluated within 30m0s") {
		t.Errorf("21:00 the day before: %+v", prev)
	}
	ri := got[slot09]
	if ri.Status != records.InspectionCompleted || ri.EvaluatedAt == nil {
		t.Fatalf("09:00: %+v", ri)
	}
	byName := map[string]records.ItemResult{}
	for _, it := range ri.Items {
		byName[it.Name] = it
	}
	for name, want := range map[string]string{
		"ups_mode_battery": records.ResultNormal, "ups_load": records.ResultAbnormal, "ups_runtime": records.ResultNormal,
		"leak": records.ResultNormal, "temperature_high": records.ResultNormal, "temperature_low": records.ResultNormal,
		"line_state": records.ResultAbnormal, "hosts_down": records.ResultAbnormal, "websites_down": records.ResultNormal,
		"door": records.ResultNoData, "smoke": records.ResultNoData, "line_bgp": records.ResultNoData,
	} {
		if it := byName[name]; it.Result != want {
			t.Errorf("%s (%s): %s %+v, want %s", name, it.Label, it.Result, it.Series, want)
		}
	}
	if s := byName["ups_load"].Series; len(s) != 2 || s[1].Labels["device"] != "ups-a2" || s[1].Value != "0.92" || s[1].Result != records.ResultAbnormal || s[0].Result != records.ResultNormal {
		t.Errorf("ups_load series: %+v", s)
	}
	if s := byName["line_state"].Series; len(s) != 2 || s[1].Labels["line"] != "cu-1" || s[1].Value != "0" {
		t.Errorf("line_state at the slot (cu-1 back only at 09:01): %+v", s)
	}
	if s := byName["hosts_down"].Series; len(s) != 1 || s[0].Value != "1" {
		t.Errorf("hosts_down: %+v", s)
	}
	if ri.Abnormal != 3 {
		t.Errorf("abnormal %d, want 3", ri.Abnormal)
	}
	fs, err := e.store.FindRecords(ctx, records.RecordFilter{Kind: records.KindFinding})
	if err != nil || len(fs) != 3 {
		t.Fatalf("findings %d %v, want 3", len(fs), err)
	}
	code, b := e.do("GET", "/api/v1/findings?status=open", records.RoleViewer, nil)
	if code != 200 || strings.Count(string(b), `"kind": "finding"`) != 3 {
		t.Errorf("GET findings: %d %s", code, b)
	}
	code, b = e.do("GET", "/api/v1/inspections?kind=remote&since="+url.QueryEscape(slot09.Format(time.RFC3339)), records.RoleViewer, nil)
	if code != 200 || strings.Count(string(b), `"kind": "inspection-remote"`) != 1 {
		t.Errorf("GET inspections since 09:00: %d %s", code, b)
	}
	e.srv.refreshOps(ctx, now)
	if v := testutil.ToFloat64(e.srv.ops.lastCompleted.WithLabelValues("remote")); v != float64(slot09.Unix()) {
		t.Errorf("last completed %v, want %d", v, slot09.Unix())
	}
	if v := testutil.ToFloat64(e.srv.ops.lastMissed.WithLabelValues("remote")); v != float64(slot09.Add(-12*time.Hour).Unix()) {
		t.Errorf("last missed %v", v)
	}
	if v := testutil.ToFloat64(e.srv.ops.abnormal.WithLabelValues("remote")); v != 3 {
		t.Errorf("abnormal items metric %v", v)
	}
	if v := testutil.ToFloat64(e.srv.ops.findingsOpen); v != 3 {
		t.Errorf("open findings metric %v", v)
	}
}

// TestMissedInspectionPrometheusDown: Prometheus unreachable → retried
// within grace (nothing recorded), then recorded missed with the reason and
// exported; the remote inspection cannot be written through the generic
// record routes.
func TestMissedInspectionPrometheusDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	e := newEnv(t, inspectionConfig(t, dead), "", "")
	ctx := context.Background()
	// Yesterday's 21:00 is recorded missed already on the first step; 09:00 not yet.
	e.srv.sched.step(ctx, slot09.Add(time.Minute))
	if got := remoteInspections(t, e.store); len(got) != 1 {
		t.Fatalf("within grace: %d inspections, want only the day before's", len(got))
	}
	e.srv.sched.step(ctx, slot09.Add(31*time.Minute))
	ri := remoteInspections(t, e.store)[slot09]
	if ri.Status != records.InspectionMissed || !strings.Contains(ri.Reason, "Prometheus") {
		t.Fatalf("after grace: %+v", ri)
	}
	t.Logf("missed reason: %s", ri.Reason)
	if v := testutil.ToFloat64(e.srv.ops.inspections.WithLabelValues("remote", records.InspectionMissed)); v != 2 {
		t.Errorf("missed counter %v, want 2", v)
	}
	e.srv.refreshOps(ctx, slot09.Add(31*time.Minute))
	if v := testutil.ToFloat64(e.srv.ops.lastMissed.WithLabelValues("remote")); v != float64(slot09.Unix()) {
		t.Errorf("last missed %v", v)
	}
	if v := testutil.ToFloat64(e.srv.ops.lastCompleted.WithLabelValues("remote")); v != 0 {
		t.Errorf("last completed %v, want 0 (none)", v)
	}
	code, b := e.do("POST", "/api/v1/records", records.RoleEditor, map[string]any{"kind": records.KindRemoteInspection, "title": "x", "body": map[string]any{}})
	if code != 400 || !strings.Contains(string(b), "scheduler") {
		t.Errorf("generic create of a remote inspection: %d %s", code, b)
	}
}

func onsiteBody(c *records.OnsiteChecklist, date, reviewer string) map[string]any {
	var items []map[string]any
	for _, it := range c.Items {
		items = append(items, map[string]any{"name": it.Name, "result": records.ResultNormal})
	}
	items[1]["result"], items[1]["note"] = records.ResultAbnormal, "2 号灭火器压力低于绿区"
	return map[string]any{"date": date, "inspector": "张工", "reviewer": reviewer, "items": items}
}

// TestOnsiteInspectionAPI: entered by an Editor (Viewer 403), validated (400
// naming the problem), one per day (409), an abnormal item opens a finding,
// signed off only by the named reviewer (an Admin), then immutable (409) and
// amended by a validated new record; history kept. Both backends.
func TestOnsiteInspectionAPI(t *testing.T) {
	run := func(t *testing.T, e *env) {
		e.srv.nowFunc = func() time.Time { return time.Date(2026, 11, 3, 18, 0, 0, 0, calendar.Zone) }
		c := e.cfg.Inspections.Onsite.check
		body := onsiteBody(c, "2026-11-03", "ops-admin")
		if code, b := e.do("POST", "/api/v1/inspections/onsite", records.RoleViewer, body); code != 403 {
			t.Fatalf("viewer: %d %s", code, b)
		}
		bad := onsiteBody(c, "2026-11-03", "ops-admin")
		bad["items"] = bad["items"].([]map[string]any)[1:]
		if code, b := e.do("POST", "/api/v1/inspections/onsite", records.RoleEditor, bad); code != 400 || !strings.Contains(string(b), "items not answered: cleanliness (机房清洁度)") {
			t.Fatalf("missing item: %d %s", code, b)
		}
		if code, b := e.do("POST", "/api/v1/inspections/onsite", records.RoleEditor, `{"date":"2026-11-03","extra":1}`); code != 400 || !strings.Contains(string(b), "unknown field") {
			t.Fatalf("unknown field: %d %s", code, b)
		}
		code, b := e.do("POST", "/api/v1/inspections/onsite", records.RoleEditor, body)
		if code != 201 {
			t.Fatalf("create: %d %s", code, b)
		}
		var created struct {
			Inspection records.Record   `json:"inspection"`
			Findings   []records.Record `json:"findings"`
		}
		if err := json.Unmarshal(b, &created); err != nil {
			t.Fatal(err)
		}
		if len(created.Findings) != 1 || !created.Inspection.Slot.Equal(calendar.Date(2026, 11, 3)) {
			t.Fatalf("created %s", b)
		}
		if code, b := e.do("POST", "/api/v1/inspections/onsite", records.RoleEditor, body); code != 409 {
			t.Fatalf("second for the day: %d %s", code, b)
		}
		id := created.Inspection.ID
		// Another Admin is not the reviewer.
		other := onsiteBody(c, "2026-11-02", "someone-else")
		code, b = e.do("POST", "/api/v1/inspections/onsite", records.RoleEditor, other)
		if code != 201 {
			t.Fatalf("create 11-02: %d %s", code, b)
		}
		var o2 struct{ Inspection records.Record }
		_ = json.Unmarshal(b, &o2)
		if code, b := e.do("POST", fmt.Sprintf("/api/v1/records/%d/sign-off", o2.Inspection.ID), records.RoleAdmin, nil); code != 403 || !strings.Contains(string(b), "only the reviewer") {
			t.Fatalf("sign-off by a non-reviewer: %d %s", code, b)
		}
		// An edit before sign-off is validated like the entry.
		edit := onsiteBody(c, "2026-11-03", "ops-admin")
		edit["items"].([]map[string]any)[0]["result"] = "好"
		if code, b := e.do("PUT", fmt.Sprintf("/api/v1/records/%d", id), records.RoleEditor, map[string]any{"title": "现场巡检 2026-11-03", "body": edit}); code != 400 || !strings.Contains(string(b), "want 正常 or 异常") {
			t.Fatalf("invalid edit: %d %s", code, b)
		}
		if code, b := e.do("POST", fmt.Sprintf("/api/v1/records/%d/sign-off", id), records.RoleAdmin, nil); code != 200 {
			t.Fatalf("sign-off by the reviewer: %d %s", code, b)
		}
		if code, _ := e.do("PUT", fmt.Sprintf("/api/v1/records/%d", id), records.RoleEditor, map[string]any{"title": "x", "body": body}); code != 409 {
			t.Fatalf("edit after sign-off: %d", code)
		}
		wrongDay := onsiteBody(c, "2026-11-01", "ops-admin")
		if code, b := e.do("POST", fmt.Sprintf("/api/v1/records/%d/amend", id), records.RoleEditor, map[string]any{"title": "更正", "body": wrongDay}); code != 400 || !strings.Contains(string(b), "this inspection is for 2026-11-03") {
			t.Fatalf("amend to another day: %d %s", code, b)
		}
		if code, b := e.do("POST", fmt.Sprintf("/api/v1/records/%d/amend", id), records.RoleEditor, map[string]any{"title": "更正", "body": body}); code != 201 {
			t.Fatalf("amend: %d %s", code, b)
		}
		code, b = e.do("GET", fmt.Sprintf("/api/v1/records/%d/history", id), records.RoleViewer, nil)
		if code != 200 || !strings.Contains(string(b), `"action": "sign-off"`) {
			t.Fatalf("history: %d %s", code, b)
		}
		e.srv.refreshOps(context.Background(), e.srv.nowFunc())
		if v := testutil.ToFloat64(e.srv.ops.lastCompleted.WithLabelValues("onsite")); v != float64(calendar.Date(2026, 11, 3).Unix()) {
			t.Errorf("onsite last completed %v", v)
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, newEnv(t, inspectionConfig(t, "http://127.0.0.1:1"), "", "")) })
	t.Run("postgres", func(t *testing.T) {
		pg := testenv.StartPostgres(t)
		run(t, newEnv(t, inspectionConfig(t, "http://127.0.0.1:1"), records.Postgres, pg.NewDB(t)))
	})
}

// TestRepairAPI: a swap before 春节 2026 is due 2026-03-12 (调休 Saturdays
// count, the holiday does not); open → overdue in the metric; reinstalled
// late → done, late; a second reinstall 409; the generic routes refuse to
// edit a repair. Both backends.
func TestRepairAPI(t *testing.T) {
	run := func(t *testing.T, e *env) {
		now := time.Date(2026, 2, 20, 10, 0, 0, 0, calendar.Zone)
		e.srv.nowFunc = func() time.Time { return now }
		in := map[string]any{"unit": "UPS-A1 功率模块 3", "description": "模块故障，已换备件", "swapAt": "2026-02-13T10:00:00+08:00"}
		if code, _ := e.do("POST", "/api/v1/repairs", records.RoleViewer, in); code != 403 {
			t.Fatalf("viewer: %d", code)
		}
		if code, b := e.do("POST", "/api/v1/repairs", records.RoleEditor, map[string]any{"unit": "", "swapAt": "2026-02-13T10:00:00+08:00"}); code != 400 || !strings.Contains(string(b), "unit") {
			t.Fatalf("no unit: %d %s", code, b)
		}
		code, b := e.do("POST", "/api/v1/repairs", records.RoleEditor, in)
		if code != 201 {
			t.Fatalf("create: %d %s", code, b)
		}
		var v records.RepairView
		_ = json.Unmarshal(b, &v)
		if v.DueDate != "2026-03-12" || v.Status != records.RepairOpen {
			t.Fatalf("created: %s", b)
		}
		e.srv.refreshOps(context.Background(), now)
		if testutil.ToFloat64(e.srv.ops.repairsOpen) != 1 || testutil.ToFloat64(e.srv.ops.repairsLate) != 0 {
			t.Error("metrics while open")
		}
		now = time.Date(2026, 3, 13, 0, 0, 0, 0, calendar.Zone)
		e.srv.refreshOps(context.Background(), now)
		if testutil.ToFloat64(e.srv.ops.repairsLate) != 1 {
			t.Error("overdue not exported")
		}
		code, b = e.do("GET", "/api/v1/repairs?status=overdue", records.RoleViewer, nil)
		if code != 200 || !strings.Contains(string(b), `"status": "overdue"`) {
			t.Fatalf("list overdue: %d %s", code, b)
		}
		path := fmt.Sprintf("/api/v1/repairs/%d/reinstall", v.ID)
		if code, b := e.do("POST", path, records.RoleEditor, map[string]any{"reinstalledAt": "2026-02-01T10:00:00+08:00"}); code != 400 || !strings.Contains(string(b), "before the swap") {
			t.Fatalf("reinstall before swap: %d %s", code, b)
		}
		now = time.Date(2026, 3, 13, 12, 0, 0, 0, calendar.Zone)
		code, b = e.do("POST", path, records.RoleEditor, map[string]any{"reinstalledAt": "2026-03-13T09:00:00+08:00", "note": "返厂修复后回装"})
		if code != 200 {
			t.Fatalf("reinstall: %d %s", code, b)
		}
		_ = json.Unmarshal(b, &v)
		if v.Status != records.RepairDone || !v.Late || v.WorkdaysUsed != 16 {
			t.Fatalf("after reinstall: %s", b)
		}
		if code, _ := e.do("POST", path, records.RoleEditor, map[string]any{"reinstalledAt": "2026-03-13T09:00:00+08:00"}); code != 409 {
			t.Fatalf("second reinstall: %d", code)
		}
		if code, b := e.do("PUT", fmt.Sprintf("/api/v1/records/%d", v.ID), records.RoleEditor, map[string]any{"title": "x", "body": map[string]any{"dueDate": "2099-01-01"}}); code != 400 {
			t.Fatalf("generic edit of a repair: %d %s", code, b)
		}
		if code, b := e.do("POST", "/api/v1/records", records.RoleEditor, map[string]any{"kind": "repair", "title": "x", "body": map[string]any{}}); code != 400 {
			t.Fatalf("generic create of a repair: %d %s", code, b)
		}
		if code, _ := e.do("GET", fmt.Sprintf("/api/v1/repairs/%d", v.ID+1000), records.RoleViewer, nil); code != 404 {
			t.Fatalf("missing repair: %d", code)
		}
		e.srv.refreshOps(context.Background(), now)
		if testutil.ToFloat64(e.srv.ops.repairsLate) != 0 || testutil.ToFloat64(e.srv.ops.repairsOpen) != 0 {
			t.Error("metrics after reinstall")
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, newEnv(t, inspectionConfig(t, "http://127.0.0.1:1"), "", "")) })
	t.Run("postgres", func(t *testing.T) {
		pg := testenv.StartPostgres(t)
		run(t, newEnv(t, inspectionConfig(t, "http://127.0.0.1:1"), records.Postgres, pg.NewDB(t)))
	})
}

// TestInspectionConfigErrors: every wrong inspection setting is an error
// naming the file and line (the checklist's own file:line for its errors).
func TestInspectionConfigErrors(t *testing.T) {
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "bad-checklist.yml"), []byte("items:\n  - {name: a, label: A, query: up, op: '=~', threshold: 1}\n"), 0o600)
	good, _ := os.ReadFile(shippedDir + "inspection-remote.yml")
	_ = os.WriteFile(filepath.Join(dir, "remote.yml"), good, 0o600)
	_ = os.WriteFile(filepath.Join(dir, "prom.password"), []byte("hunter2-prometheus\n"), 0o600)
	base := "database: {path: r.db}\nspool: {dir: sp}\n"
	remote := func(extra string) string {
		return base + "inspections:\n  remote:\n    checklist_file: remote.yml\n    prometheus: {url: 'http://127.0.0.1:9090'" + extra + "}\n    times: ['09:00', '21:00']\n"
	}
	for _, c := range []struct{ name, yml, where, want string }{
		{"ok", remote(", password_file: prom.password"), "", ""},
		{"partial", base + "inspections:\n  remote:\n    times: ['09:00']\n", "recorder.yml:4", "checklist_file, times and prometheus.url go together"},
		{"bad time", strings.Replace(remote(""), "'21:00'", "'9pm'", 1), "recorder.yml:7", `inspections.remote.times[1]: "9pm": want HH:MM`},
		{"time twice", strings.Replace(remote(""), "'21:00'", "'09:00'", 1), "recorder.yml:7", "09:00 given twice"},
		{"grace", remote("") + "    grace: 12h\n", "recorder.yml:8", "inspections.remote.grace: 12h0m0s: want 1m … 6h"},
		{"credentials in url", strings.Replace(remote(""), "http://127.0.0.1", "http://u:p@127.0.0.1", 1), "recorder.yml:6", "credentials do not go in the URL"},
		{"timeout", remote(", timeout: 1h"), "recorder.yml:6", "inspections.remote.prometheus.timeout"},
		{"no checklist", strings.Replace(remote(""), "remote.yml", "missing.yml", 1), "missing.yml", "no such file"},
		{"bad checklist", strings.Replace(remote(""), "remote.yml", "bad-checklist.yml", 1), "bad-checklist.yml:2", "items[0].op"},
		{"no calendar", base + "calendar_file: nowhere.yml\n", "nowhere.yml", "no such file"},
		{"bad onsite", base + "inspections:\n  onsite: {checklist_file: bad-checklist.yml}\n", "bad-checklist.yml:2", "field query not found"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "recorder.yml")
			if err := os.WriteFile(p, []byte(c.yml), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(p, "")
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Inspections.Remote.Prometheus.password.Value() != "hunter2-prometheus" {
					t.Error("password_file not read")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.where) {
				t.Errorf("got %v, want %s: …%s", err, c.where, c.want)
			}
		})
	}
}

// TestIncidentAPI: an incident keyed to the report engine's entity and start,
// entered by an Editor, found by that identity, updated (validated, identity
// fixed), overdue rectification exported, signed off by an Admin. Both backends.
func TestIncidentAPI(t *testing.T) {
	run := func(t *testing.T, e *env) {
		now := time.Date(2026, 11, 12, 9, 0, 0, 0, calendar.Zone)
		e.srv.nowFunc = func() time.Time { return now }
		in := map[string]any{"ns": "line", "entity": "ct-1", "start": "2026-11-03T10:15:30+08:00", "end": "2026-11-03T11:02:00+08:00",
			"cause": "光缆被挖断", "impact": "财政局专线中断 47 分钟", "handler": "张工",
			"timeline": []map[string]any{{"at": "2026-11-03T10:16:00+08:00", "text": "告警，电话联系运营商"}, {"at": "2026-11-03T11:02:00+08:00", "text": "熔接完成，恢复"}},
			"measures": "增加第二路由", "owner": "李工", "deadline": "2026-11-10", "status": "rectifying"}
		if code, _ := e.do("POST", "/api/v1/incidents", records.RoleViewer, in); code != 403 {
			t.Fatalf("viewer: %d", code)
		}
		code, b := e.do("POST", "/api/v1/incidents", records.RoleEditor, in)
		if code != 201 {
			t.Fatalf("create: %d %s", code, b)
		}
		var rec records.Record
		_ = json.Unmarshal(b, &rec)
		if code, _ := e.do("POST", "/api/v1/incidents", records.RoleEditor, in); code != 409 {
			t.Fatalf("second: %d", code)
		}
		if code, b := e.do("POST", "/api/v1/records", records.RoleEditor, map[string]any{"kind": "incident", "title": "x", "body": in}); code != 400 {
			t.Fatalf("generic create: %d %s", code, b)
		}
		q := "/api/v1/incidents?ns=line&entity=ct-1&start=" + url.QueryEscape("2026-11-03T02:15:30Z")
		code, b = e.do("GET", q, records.RoleViewer, nil)
		if code != 200 || strings.Count(string(b), `"kind": "incident"`) != 1 {
			t.Fatalf("by identity: %d %s", code, b)
		}
		e.srv.refreshOps(context.Background(), now)
		if testutil.ToFloat64(e.srv.ops.incidentsLate) != 1 || testutil.ToFloat64(e.srv.ops.incidentsOpen) != 1 {
			t.Error("overdue rectification not exported")
		}
		moved := map[string]any{}
		for k, v := range in {
			moved[k] = v
		}
		moved["entity"] = "cu-1"
		if code, b := e.do("PUT", fmt.Sprintf("/api/v1/records/%d", rec.ID), records.RoleEditor, map[string]any{"title": rec.Title, "body": moved}); code != 400 || !strings.Contains(string(b), "cannot change") {
			t.Fatalf("identity change: %d %s", code, b)
		}
		in["status"] = "closed"
		if code, b := e.do("PUT", fmt.Sprintf("/api/v1/records/%d", rec.ID), records.RoleEditor, map[string]any{"title": rec.Title, "body": in}); code != 200 {
			t.Fatalf("close: %d %s", code, b)
		}
		e.srv.refreshOps(context.Background(), now)
		if testutil.ToFloat64(e.srv.ops.incidentsLate) != 0 || testutil.ToFloat64(e.srv.ops.incidentsOpen) != 0 {
			t.Error("closed incident still counted")
		}
		if code, b := e.do("POST", fmt.Sprintf("/api/v1/records/%d/sign-off", rec.ID), records.RoleAdmin, nil); code != 200 {
			t.Fatalf("sign-off: %d %s", code, b)
		}
		code, b = e.do("GET", "/api/v1/incidents?status=closed", records.RoleViewer, nil)
		if code != 200 || !strings.Contains(string(b), `"signedOffBy": "grafana:ops-admin"`) {
			t.Fatalf("list closed: %d %s", code, b)
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, newEnv(t, inspectionConfig(t, "http://127.0.0.1:1"), "", "")) })
	t.Run("postgres", func(t *testing.T) {
		pg := testenv.StartPostgres(t)
		run(t, newEnv(t, inspectionConfig(t, "http://127.0.0.1:1"), records.Postgres, pg.NewDB(t)))
	})
}
