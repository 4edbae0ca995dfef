package eval_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/eval"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/report"
)

// TestEvalRecordFigures: the records figures (alert acknowledgement,
// inspection completion, rectification closure, findings) read a real
// SQLite store and count for the provider and the machine-room operator.
func TestEvalRecordFigures(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	m := month(t, "2026-10")
	at := func(d, h, min int) time.Time { return time.Date(2026, 10, d, h, min, 0, 0, report.Shanghai) }
	// Two alerts of 中国电信 acknowledged after 10 and 20 minutes, one of
	// September (not counted).
	for i, a := range []struct {
		start time.Time
		ack   time.Duration
	}{{at(5, 9, 0), 10 * time.Minute}, {at(6, 9, 0), 20 * time.Minute}, {at(5, 9, 0).AddDate(0, -1, 0), time.Minute}} {
		n := &records.Notification{Version: "4", GroupKey: "g", Status: "firing", Receiver: "recorder", ReceivedAt: a.start.Add(time.Minute),
			Alerts: []records.WebhookAlert{{Status: "firing", Labels: map[string]string{"alertname": "LineDown", "provider": "中国电信", "i": string(rune('a' + i))},
				StartsAt: a.start, Fingerprint: "f" + string(rune('a'+i))}}}
		res, err := st.Ingest(ctx, n, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Acknowledge(ctx, res.AlertIDs[0], "值班员", "已处理", a.start.Add(a.ack)); err != nil {
			t.Fatal(err)
		}
	}
	// Inspections: two remote (one completed, one missed), one on-site; two
	// findings, one closed.
	body := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	slot := at(5, 9, 0)
	finding := func(status string) records.Record {
		f := records.Finding{Source: records.KindRemoteInspection, Slot: slot, Item: "door", Label: "门禁", Detail: "门未关", Status: status}
		if status == "closed" {
			c := at(6, 9, 0)
			f.ClosedAt = &c
		}
		return records.Record{Kind: records.KindFinding, Title: "门禁 异常", Body: body(f)}
	}
	if _, _, err := st.CreateRecords(ctx, "recorder", records.Record{Kind: records.KindRemoteInspection, Title: "远程巡检", Slot: &slot,
		Body: body(records.RemoteInspection{Slot: slot, Status: records.InspectionCompleted})}, []records.Record{finding("open"), finding("closed")}); err != nil {
		t.Fatal(err)
	}
	missed := at(5, 15, 0)
	if _, err := st.CreateRecord(ctx, "recorder", records.Record{Kind: records.KindRemoteInspection, Title: "远程巡检", Slot: &missed,
		Body: body(records.RemoteInspection{Slot: missed, Status: records.InspectionMissed})}); err != nil {
		t.Fatal(err)
	}
	day := at(5, 0, 0)
	if _, err := st.CreateRecord(ctx, "inspector", records.Record{Kind: records.KindOnsiteInspection, Title: "现场巡检", Slot: &day,
		Body: body(records.OnsiteInspection{Date: "2026-10-05", Inspector: "张三"})}); err != nil {
		t.Fatal(err)
	}
	sum, err := eval.SummariseRecords(ctx, st, m)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.AckSeconds["中国电信"]; len(got) != 2 || got[0]+got[1] != 1800 {
		t.Errorf("acknowledgement times %v, want 600 s and 1200 s", got)
	}
	if sum.InspectionsDone != 2 || sum.InspectionsExpected != 93 || sum.FindingsOpened != 2 || sum.FindingsClosed != 1 || sum.Truncated != "" {
		t.Errorf("summary %+v, want 2 of 93 inspections, 2 findings of which 1 closed", sum)
	}
	s, err := eval.Load(systemFile)
	if err != nil {
		t.Fatal(err)
	}
	a, err := eval.Assess(ctx, s, eval.Inputs{Month: m, Records: sum, Entities: []report.EntityResult{
		{NS: "line", Name: "cu-1", Labels: map[string]string{"provider": "中国联通"}, ObservedSeconds: m.Seconds(), Availability: 1, Status: report.StatusNoTarget}}})
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := score(a, "中国电信")
	cu, _ := score(a, "中国联通")
	want := map[string]struct {
		rated bool
		score float64
	}{"alert_ack": {true, 100 * (3600 - 900) / 3300.0}, "inspection_completion": {true, 0}, "rectification_closure": {true, 0}, "inspection_findings": {true, 90}}
	for _, r := range ct.Rows {
		if w, ok := want[r.ID]; ok && (r.Rated != w.rated || r.Score-w.score > 1e-9 || w.score-r.Score > 1e-9) {
			t.Errorf("中国电信 %s: %+v, want %v", r.ID, r, w)
		}
	}
	for _, r := range cu.Rows {
		if r.ID == "inspection_completion" && r.State != eval.StateNA {
			t.Errorf("中国联通 does not run the room: %+v", r)
		}
	}
}
