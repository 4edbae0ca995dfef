package recdocs_test

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// backends runs fn on a fresh store per backend: SQLite in t.TempDir() and
// a real PostgreSQL (testenv.StartPostgres).
func backends(t *testing.T, fn func(t *testing.T, st records.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) {
		srv := testenv.StartPostgres(t)
		st, err := records.Open(context.Background(), records.Postgres, srv.NewDB(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, st)
	})
}

func openSQLite(t *testing.T) records.Store {
	t.Helper()
	st, err := records.Open(context.Background(), records.SQLite, filepath.Join(t.TempDir(), "records.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// fixture is what fill wrote, for the assertions.
type fixture struct {
	Day        calendar.Period // the busy day (Beijing time)
	IncidentID int64
	FindingIDs []int64 // remote, on-site
	AlertIDs   map[string]int64
}

func at(day time.Time, hhmmss string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", day.In(calendar.Zone).Format("2006-01-02")+" "+hhmmss, calendar.Zone)
	if err != nil {
		panic(err)
	}
	return t
}

// must fails t on err (use: must(t)(call())).
func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// ingest stores one notification of one alert through the store's API.
func ingest(t *testing.T, st records.Store, status, name, sev string, labels map[string]string, starts, ends, received time.Time) int64 {
	t.Helper()
	l := map[string]string{"alertname": name, "severity": sev}
	for k, v := range labels {
		l[k] = v
	}
	fp := name // the same alert in the firing and the resolved notification
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		fp += "-" + labels[k]
	}
	n := &records.Notification{Version: "4", GroupKey: "{}:{alertname=\"" + name + "\"}", Status: status, Receiver: "recorder",
		GroupLabels: map[string]string{"alertname": name}, ExternalURL: "http://am-a:9093",
		Alerts:     []records.WebhookAlert{{Status: status, Labels: l, Annotations: map[string]string{"summary": name}, StartsAt: starts, EndsAt: ends, Fingerprint: fp}},
		ReceivedAt: received, ReceivedBy: "alertmanager"}
	res := must[records.IngestResult](t)(st.Ingest(context.Background(), n, 2*time.Minute))
	return res.AlertIDs[0]
}

// fill writes a day of records around day (a date, Beijing time) through
// the store's own API, and one alert on the next day:
//
//	08:00 EnvUPSOnBattery (critical, ups-1): notified 08:00:30, acknowledged 08:05:30 (5 min, note with a ticket), resolved 08:20
//	09:00 LineDown (critical, line ct-1): notified 09:00:10, acknowledged 09:02:10 (2 min), resolved 09:40
//	13:00 EnvTemperatureOutOfBand (warning, room A1): notified 13:00:05, never acknowledged, still firing
//	next day 10:00 DiskFull (warning; an external alert: no rule of ours defines it)
//	09:00 remote inspection: UPS 负载率 abnormal (0.92 > 0.8) → finding, rectified (closed) at 16:00
//	21:00 remote inspection missed (Prometheus down)
//	on-site inspection: 消防器材 abnormal → finding, open
//	incident line/ct-1 09:00–09:40 with timeline, cause, measures, owner, deadline, status rectifying
//	handover at 08:30 (夜班 → 白班) with a ticket
func fill(t *testing.T, st records.Store, day time.Time) fixture {
	t.Helper()
	ctx := context.Background()
	fx := fixture{Day: calendar.Day(day), AlertIDs: map[string]int64{}}
	zero := time.Time{}
	a1 := ingest(t, st, "firing", "EnvUPSOnBattery", "critical", map[string]string{"site": "bj-1", "device": "ups-1"}, at(day, "08:00:00"), zero, at(day, "08:00:30"))
	must[records.Ack](t)(st.Acknowledge(ctx, a1, "zhang", "已派单 INC-2026-0042，现场确认市电切换", at(day, "08:05:30")))
	ingest(t, st, "resolved", "EnvUPSOnBattery", "critical", map[string]string{"site": "bj-1", "device": "ups-1"}, at(day, "08:00:00"), at(day, "08:20:00"), at(day, "08:20:10"))
	a2 := ingest(t, st, "firing", "LineDown", "critical", map[string]string{"line": "ct-1"}, at(day, "09:00:00"), zero, at(day, "09:00:10"))
	must[records.Ack](t)(st.Acknowledge(ctx, a2, "li", "", at(day, "09:02:10")))
	ingest(t, st, "resolved", "LineDown", "critical", map[string]string{"line": "ct-1"}, at(day, "09:00:00"), at(day, "09:40:00"), at(day, "09:40:05"))
	a3 := ingest(t, st, "firing", "EnvTemperatureOutOfBand", "warning", map[string]string{"room": "A1"}, at(day, "13:00:00"), zero, at(day, "13:00:05"))
	next := day.AddDate(0, 0, 1)
	a4 := ingest(t, st, "firing", "DiskFull", "warning", map[string]string{"host": "vm-7"}, at(next, "10:00:00"), zero, at(next, "10:00:20"))
	fx.AlertIDs = map[string]int64{"EnvUPSOnBattery": a1, "LineDown": a2, "EnvTemperatureOutOfBand": a3, "DiskFull": a4}

	// Remote inspections: one with an abnormal item, one missed.
	ev := at(day, "09:00:02")
	ri := records.RemoteInspection{Slot: at(day, "09:00:00").UTC(), Status: records.InspectionCompleted, EvaluatedAt: &ev, Normal: 1, Abnormal: 1,
		Items: []records.ItemResult{
			{RemoteItem: records.RemoteItem{Name: "ups_load", Label: "UPS 负载率", Query: "env_ups_output_load_ratio", Op: "<=", Threshold: 0.8},
				Result: records.ResultAbnormal, Series: []records.SeriesResult{{Labels: map[string]string{"device": "ups-1"}, Value: "0.92", Result: records.ResultAbnormal}}},
			{RemoteItem: records.RemoteItem{Name: "leak", Label: "漏水", Query: "env_leak_detected", Op: "==", Threshold: 0},
				Result: records.ResultNormal, Series: []records.SeriesResult{{Labels: map[string]string{"device": "leak-1"}, Value: "0", Result: records.ResultNormal}}},
		}}
	_, fs := must2(t)(st.CreateRecords(ctx, "recorder", records.RemoteRecord(ri), ri.Findings()))
	missed := records.RemoteInspection{Slot: at(day, "21:00:00").UTC(), Status: records.InspectionMissed, Reason: "Prometheus: connection refused", Items: []records.ItemResult{}}
	must[records.Record](t)(st.CreateRecord(ctx, "recorder", records.RemoteRecord(missed)))
	// Rectify the remote finding the same afternoon.
	var f records.Finding
	if err := json.Unmarshal(fs[0].Body, &f); err != nil {
		t.Fatal(err)
	}
	closed := at(day, "16:00:00")
	f.Status, f.Owner, f.Deadline, f.Measures, f.ClosedAt = "closed", "王工", day.In(calendar.Zone).Format("2006-01-02"), "迁移两台服务器至 UPS-2，负载降至 0.71", &closed
	b, _ := json.Marshal(f)
	must[records.Record](t)(st.UpdateRecord(ctx, "zhang", fs[0].ID, fs[0].Title, b))
	fx.FindingIDs = append(fx.FindingIDs, fs[0].ID)

	// On-site inspection with one abnormal item.
	chk, err := records.LoadOnsiteChecklist("../../../deploy/etc/jianguan/inspection-onsite.yml")
	if err != nil {
		t.Fatal(err)
	}
	on := records.OnsiteInspection{Date: day.In(calendar.Zone).Format("2006-01-02"), Inspector: "张工", Reviewer: "duty-manager"}
	for _, it := range chk.Items {
		r := records.OnsiteResult{Name: it.Name, Result: records.ResultNormal}
		if it.Name == "fire_equipment" {
			r.Result, r.Note = records.ResultAbnormal, "2 号灭火器压力低于绿区"
		}
		on.Items = append(on.Items, r)
	}
	dayT, err := chk.Validate(&on, at(day, "23:00:00"))
	if err != nil {
		t.Fatal(err)
	}
	rec, kids := records.OnsiteRecords(on, dayT)
	_, ofs := must2(t)(st.CreateRecords(ctx, "zhang", rec, kids))
	fx.FindingIDs = append(fx.FindingIDs, ofs[0].ID)

	// The incident of line ct-1.
	end := at(day, "09:40:00")
	in := records.Incident{NS: "line", Entity: "ct-1", Start: at(day, "09:00:00"), End: &end,
		Cause: "光缆在施工中被挖断", Impact: "互联网BGP线路中断 40 分钟，对外网站不可访问", Handler: "李工",
		Timeline: []records.TimelineStep{{At: at(day, "09:02:10"), Text: "值班员确认告警并通知运营商"}, {At: at(day, "09:40:00"), Text: "运营商熔接完成，线路恢复"}},
		Measures: "与施工方建立路由报备机制", Owner: "赵经理", Deadline: day.AddDate(0, 0, 14).In(calendar.Zone).Format("2006-01-02"), Status: records.IncidentRectifying}
	if err := in.Validate(time.Now()); err != nil {
		t.Fatal(err)
	}
	ir := must[records.Record](t)(st.CreateRecord(ctx, "li", records.IncidentRecord(in)))
	fx.IncidentID = ir.ID

	// A handover through the generic record kind.
	hb, err := records.HandoverBody(json.RawMessage(`{"at":"`+at(day, "08:30:00").Format(time.RFC3339)+`","from":"夜班 王五","to":"白班 张三","notes":"UPS-1 告警已恢复，继续观察","tickets":["INC-2026-0042"]}`), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	must[records.Record](t)(st.CreateRecord(ctx, "wang", records.Record{Kind: records.KindHandover, Title: "交接班", Body: hb}))
	return fx
}

func must2(t *testing.T) func(records.Record, []records.Record, error) (records.Record, []records.Record) {
	return func(r records.Record, rs []records.Record, err error) (records.Record, []records.Record) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r, rs
	}
}
