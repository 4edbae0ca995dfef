package main

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/eval"
	"github.com/jianguan/jianguan/internal/records"
)

// TestManualScoreValidatedByRecorder: a manual score (kind
// eval_manual_score) entered through the generic record API — as the
// Grafana app's 评估 page does — is validated by eval.ManualScoreBody on
// create, update and amendment against the stored indicator system, so the
// evaluation document only reads scores in range with evidence; the author
// defaults to the authenticated user.
func TestManualScoreValidatedByRecorder(t *testing.T) {
	e := newEnv(t, testConfig(t), "", "")
	now := time.Date(2026, 11, 29, 20, 0, 0, 0, calendar.Zone)
	e.srv.nowFunc = func() time.Time { return now }
	good := map[string]any{"kind": "cloud", "provider": "ct", "indicator": "vuln_rectification", "period": "2026-11", "score": 88.5, "evidence": "整改报告 ZG-2026-11"}
	with := func(k string, v any) map[string]any { return withField(good, k, v) }
	post := func(body any) (int, []byte) {
		return e.do("POST", "/api/v1/records", records.RoleEditor, map[string]any{"kind": eval.KindManualScore, "title": "人工评分", "body": body})
	}
	if code, b := post(good); code != 400 || !strings.Contains(string(b), "no indicator system applies to 2026-11") {
		t.Errorf("before any system is stored: %d %s (want 400)", code, b)
	}
	y, err := os.ReadFile("../../deploy/etc/jianguan/evaluation.yml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eval.SaveSystem(context.Background(), e.store, "lead", "evaluation.yml", y); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		body any
		want string
	}{
		{"no evidence", with("evidence", nil), "evidence: a manual score needs a reference to its evidence"},
		{"blank evidence", with("evidence", "  "), "evidence"},
		{"two-line evidence", with("evidence", "a\nb"), "evidence"},
		{"above range", with("score", 100.5), "out of range 0 … 100"},
		{"below range", with("score", -1), "out of range"},
		{"not manual", with("indicator", "tls_valid"), "not manual"},
		{"unknown indicator", with("indicator", "nope"), "not in the cloud indicator set"},
		{"bad period", with("period", "2026-13"), "want YYYY-MM"},
		{"no provider", with("provider", ""), "provider: required"},
		{"future", with("at", "2026-12-01T00:00:00Z"), "not in the future"},
		{"unknown field", with("month", "2026-11"), `unknown field \"month\"`},
		{"not an object", []int{1}, "body"},
	} {
		if code, b := post(c.body); code != 400 || !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %d %s (want 400 with %q)", c.name, code, b, c.want)
		}
	}
	code, b := post(good)
	if code != 201 {
		t.Fatalf("valid score: %d %s", code, b)
	}
	var rec records.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	ms, err := eval.ManualScores(context.Background(), e.store, "2026-11")
	if err != nil || len(ms) != 1 || ms[0].Author != "grafana:ops-editor" || ms[0].Score != 88.5 || !ms[0].At.Equal(now) {
		t.Fatalf("the evaluation reads %+v (%v): want the score by grafana:ops-editor at %v", ms, err, now)
	}
	path := "/api/v1/records/" + strconv.FormatInt(rec.ID, 10)
	if code, b := e.do("PUT", path, records.RoleEditor, map[string]any{"title": "人工评分", "body": with("score", 101)}); code != 400 {
		t.Errorf("update out of range: %d %s", code, b)
	}
	if code, b := e.do("PUT", path, records.RoleEditor, map[string]any{"title": "人工评分", "body": with("score", 90)}); code != 200 {
		t.Errorf("valid update: %d %s", code, b)
	}
	if code, b := e.do("POST", path+"/sign-off", records.RoleAdmin, nil); code != 200 {
		t.Fatalf("sign off: %d %s", code, b)
	}
	if code, b := e.do("POST", path+"/amend", records.RoleAdmin, map[string]any{"title": "人工评分", "body": with("evidence", "")}); code != 400 {
		t.Errorf("amendment without evidence: %d %s", code, b)
	}
}

// withField is a copy of body with field k set to v (deleted when v is nil).
func withField(body map[string]any, k string, v any) map[string]any {
	m := make(map[string]any, len(body))
	for x, y := range body {
		m[x] = y
	}
	if v == nil {
		delete(m, k)
	} else {
		m[k] = v
	}
	return m
}
