package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/records"
)

// TestRemoteInspectionCatchUp: an Admin runs a past slot's inspection from
// Prometheus' history (a real Prometheus 2.42): evaluated at the slot, with
// its findings, named after who ran it; a second run, a slot the scheduler
// recorded missed, a slot off the configured times, in the future or too old
// are refused.
func TestRemoteInspectionCatchUp(t *testing.T) {
	prom := startInspectionPrometheus(t)
	e := newEnv(t, inspectionConfig(t, prom), "", "")
	now := slot09.Add(3 * 24 * time.Hour)
	e.srv.nowFunc = func() time.Time { return now }
	post := func(slot time.Time) (int, string) {
		code, b := e.do("POST", "/api/v1/inspections/remote", records.RoleAdmin, map[string]any{"slot": slot.Format(time.RFC3339)})
		return code, string(b)
	}
	code, b := post(slot09)
	if code != 201 {
		t.Fatalf("catch-up of %s: %d %s", slot09, code, b)
	}
	var out struct {
		Inspection records.Record   `json:"inspection"`
		Findings   []records.Record `json:"findings"`
	}
	if err := json.Unmarshal([]byte(b), &out); err != nil {
		t.Fatal(err)
	}
	var ri records.RemoteInspection
	if err := json.Unmarshal(out.Inspection.Body, &ri); err != nil {
		t.Fatal(err)
	}
	if ri.Status != records.InspectionCompleted || ri.Abnormal != 3 || len(out.Findings) != 3 || ri.EvaluatedAt == nil || !ri.EvaluatedAt.Equal(now) {
		t.Errorf("inspection %+v, %d findings: want completed, 3 abnormal (as the scheduler finds at 09:00), evaluatedAt %s", ri, len(out.Findings), now)
	}
	if out.Inspection.CreatedBy != "grafana:ops-admin" || !out.Inspection.Slot.Equal(slot09) {
		t.Errorf("createdBy %q slot %v", out.Inspection.CreatedBy, out.Inspection.Slot)
	}
	// The scheduler records the slot before as missed (no data for it is
	// needed to do so); the catch-up may not rewrite it.
	e.srv.sched.step(context.Background(), slot09.Add(-12*time.Hour).Add(time.Hour))
	for _, c := range []struct {
		name string
		slot time.Time
		code int
		want string
	}{
		{"second run", slot09, 409, "already has"},
		{"missed slot", slot09.Add(-12 * time.Hour), 409, "already has"},
		{"not a configured time", slot09.Add(time.Hour), 400, "not at a configured time"},
		{"future", slot09.Add(4 * 24 * time.Hour), 400, "in the future"},
		{"too old", slot09.Add(-100 * 24 * time.Hour), 400, "older than 90 days"},
	} {
		if code, b := post(c.slot); code != c.code || !strings.Contains(b, c.want) {
			t.Errorf("%s: %d %s, want %d %q", c.name, code, b, c.code, c.want)
		}
	}
	if code, b := e.do("POST", "/api/v1/inspections/remote", records.RoleEditor, map[string]any{"slot": slot09.Format(time.RFC3339)}); code != 403 {
		t.Errorf("as Editor: %d %s, want 403", code, b)
	}
	if got := remoteInspections(t, e.store); len(got) != 3 || got[slot09].Status != records.InspectionCompleted {
		t.Errorf("%d remote inspection records, want 3 (the scheduler's two missed, 09:00 completed)", len(got))
	}
}
