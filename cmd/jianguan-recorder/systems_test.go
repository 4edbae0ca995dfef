package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jianguan/jianguan/internal/eval"
	"github.com/jianguan/jianguan/internal/records"
)

// TestDefect19_SystemVersionAdminOnly: an indicator-system version decides
// every provider's score, so it is stored only through
// POST /api/v1/eval/systems by an Admin, parsed and checked by
// eval.SaveSystem. Before, an Editor could POST an eval_system_version record
// with any body through the generic record API, and the assessment would
// read it.
func TestDefect19_SystemVersionAdminOnly(t *testing.T) {
	e := newEnv(t, testConfig(t), "", "")
	y, err := os.ReadFile("../../deploy/etc/jianguan/evaluation.yml")
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]any{"file": "evaluation.yml", "yaml": string(y)}
	shipped, err := eval.Parse("evaluation.yml", y)
	if err != nil {
		t.Fatal(err)
	}
	forged := map[string]any{"kind": eval.KindSystemVersion, "title": "评估指标体系",
		"body": eval.SystemRecord{Version: shipped.Version, AppliesFrom: shipped.AppliesFrom, Status: shipped.Status, SHA256: shipped.SHA256, YAML: string(y)}}
	for _, c := range []struct {
		name, method, path, role string
		body                     any
		code                     int
		want                     string
	}{
		{"generic record API, Editor", "POST", "/api/v1/records", records.RoleEditor, forged, 400, "use POST /api/v1/eval/systems"},
		{"generic record API, Admin", "POST", "/api/v1/records", records.RoleAdmin, forged, 400, "use POST /api/v1/eval/systems"},
		{"route, Viewer", "POST", "/api/v1/eval/systems", records.RoleViewer, good, 403, ""},
		{"route, Editor", "POST", "/api/v1/eval/systems", records.RoleEditor, good, 403, ""},
		{"not a system", "POST", "/api/v1/eval/systems", records.RoleAdmin, map[string]any{"file": "x.yml", "yaml": "version: [1"}, 400, "x.yml"},
		{"no file name", "POST", "/api/v1/eval/systems", records.RoleAdmin, map[string]any{"yaml": string(y)}, 400, "file:"},
		{"path as file name", "POST", "/api/v1/eval/systems", records.RoleAdmin, map[string]any{"file": "../etc/evaluation.yml", "yaml": string(y)}, 400, "file:"},
		{"unknown field", "POST", "/api/v1/eval/systems", records.RoleAdmin, map[string]any{"file": "e.yml", "yaml": string(y), "version": "9"}, 400, "unknown field"},
		{"stored", "POST", "/api/v1/eval/systems", records.RoleAdmin, good, 200, shipped.SHA256},
		{"same content again: a no-op", "POST", "/api/v1/eval/systems", records.RoleAdmin, good, 200, shipped.SHA256},
		{"other content, same version", "POST", "/api/v1/eval/systems", records.RoleAdmin, map[string]any{"file": "evaluation.yml", "yaml": string(y) + "\n# changed\n"}, 409, "needs a new version"},
	} {
		code, b := e.do(c.method, c.path, c.role, c.body)
		if code != c.code || !strings.Contains(string(b), c.want) {
			t.Errorf("%s: %d %s (want %d with %q)", c.name, code, b, c.code, c.want)
		}
	}
	rs, err := e.store.ListRecords(context.Background(), eval.KindSystemVersion, 10)
	if err != nil || len(rs) != 1 || rs[0].CreatedBy == "" || !strings.Contains(rs[0].CreatedBy, "admin") {
		t.Fatalf("stored versions %+v (%v): want exactly one, created by the Admin", rs, err)
	}
	// A stored version cannot be edited or amended through the record API.
	path := "/api/v1/records/" + strconv.FormatInt(rs[0].ID, 10)
	if code, b := e.do("PUT", path, records.RoleAdmin, map[string]any{"title": "x", "body": forged["body"]}); code != 400 || !strings.Contains(string(b), "eval/systems") {
		t.Errorf("PUT of a stored system version: %d %s (want 400)", code, b)
	}
	if code, b := e.do("POST", path+"/amend", records.RoleAdmin, map[string]any{"title": "x", "body": forged["body"]}); code != 400 || !strings.Contains(string(b), "eval/systems") {
		t.Errorf("amend of a stored system version: %d %s (want 400)", code, b)
	}
}
