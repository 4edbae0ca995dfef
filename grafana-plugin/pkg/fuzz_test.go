package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/jianguan/jianguan/internal/testutil/fakeprom"
)

// FuzzReportRequest drives the resource handler with arbitrary paths,
// query parameters (label filters), methods and roles against a fake
// Prometheus without data. Properties: no panic; a known status; every
// error is a JSON {"error": …} without the password; no snapshot is written
// (the fake has no data, and only an Admin's POST may freeze); a Viewer's
// write is always 403, also to the records API (/recorder/…, not configured
// here: 503 for an allowed call).
func FuzzReportRequest(f *testing.F) {
	fp := fakeprom.Start(f, fakeprom.Empty)
	snap := f.TempDir()
	for _, s := range []struct{ method, role, path, query string }{
		{"GET", "Viewer", "/reports", ""},
		{"GET", "Viewer", "/reports/lines/2026-10.json", "site=dc1"},
		{"GET", "Admin", "/reports/hosts/2026-10.csv", `site=dc1"} or vector(1)&unit=%00`},
		{"POST", "Viewer", "/reports/lines/2026-10/freeze", ""},
		{"POST", "Admin", "/reports/lines/2026-10/freeze", ""},
		{"POST", "Admin", "/reports/lines/2026-10/freeze", "site=x"},
		{"GET", "Editor", "/reports/lines/../../etc/passwd", ""},
		{"GET", "", "/reports/providers/9999999999-01.pdf", "timeout=1e308"},
		{"DELETE", "Admin", "/reports/lines/2026-1.json", "line=%ff%fe"},
		{"GET", "Viewer", "/reports/lines/2026-10.xlsx", "provider=" + strings.Repeat("=", 5000)},
		{"POST", "Viewer", "/recorder/records/1/sign-off", ""},
		{"PUT", "Editor", "/recorder/records/1", ""},
		{"POST", "Viewer", "/recorder/alertmanager", ""},
		{"GET", "Viewer", "/recorder/records/../../reports", "kind=x"},
	} {
		f.Add(s.method, s.role, s.path, s.query)
	}
	a, err := NewApp(context.Background(), backend.AppInstanceSettings{
		JSONData:                []byte(`{"prometheusUrl":"` + fp.URL + `","snapshotDir":"` + snap + `","timeoutSeconds":5}`),
		DecryptedSecureJSONData: map[string]string{"basicAuthPassword": secretPW},
	})
	if err != nil {
		f.Fatal(err)
	}
	app := a.(*App)
	app.now = func() time.Time { return time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC) }
	f.Fuzz(func(t *testing.T, method, role, path, query string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#") {
			path = "/" + strings.NewReplacer("?", "", "#", "").Replace(path)
		}
		u := &url.URL{Path: path, RawQuery: query}
		req, err := http.NewRequest("GET", "http://plugin"+u.RequestURI(), nil)
		if err != nil {
			return // not a request Grafana could send
		}
		req.Method = method
		pc := backend.PluginContext{OrgID: 1, PluginID: PluginID}
		if role != "" {
			pc.User = &backend.User{Login: "u", Role: role}
		}
		req = req.WithContext(backend.WithPluginContext(context.Background(), pc))
		w := httptest.NewRecorder()
		app.route(w, req)
		switch w.Code {
		case 200, 400, 403, 404, 405, 409, 502, 504:
		case 503: // the records API is not configured here
			if !strings.HasPrefix(req.URL.Path, "/recorder/") {
				t.Fatalf("%s %s: 503 outside /recorder/", method, u.RequestURI())
			}
		default:
			t.Fatalf("%s %s (%s): unexpected status %d %s", method, u.RequestURI(), role, w.Code, w.Body.Bytes())
		}
		if strings.Contains(w.Body.String(), secretPW) {
			t.Fatalf("password in the answer")
		}
		if w.Code != 200 {
			var e struct{ Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("%s %s: error body is not {\"error\":…}: %q", method, u.RequestURI(), w.Body.Bytes())
			}
		}
		if method == "POST" && roleRank[role] < roleRank["Admin"] && strings.HasSuffix(req.URL.Path, "/freeze") && w.Code != 403 && w.Code != 400 &&
			!(w.Code == 404 && strings.Contains(w.Body.String(), "unknown resource")) { // a path that is no freeze route (seed: "freeze" alone) writes nothing either
			t.Fatalf("%s freeze by %q: %d %s", method, role, w.Code, w.Body.Bytes())
		}
		// A write to the records API by a Viewer (or without a role) never
		// gets past the role check (403), unless it names no route at all.
		if method != "GET" && roleRank[role] < roleRank["Editor"] && strings.HasPrefix(req.URL.Path, "/recorder/") && w.Code != 403 && w.Code != 404 && w.Code != 405 && w.Code != 400 {
			t.Fatalf("%s %s by %q: %d %s", method, u.RequestURI(), role, w.Code, w.Body.Bytes())
		}
		if m, _ := filepath.Glob(filepath.Join(snap, "*", "*")); len(m) > 0 {
			t.Fatalf("snapshot written: %v", m)
		}
		if _, err := os.Stat(filepath.Join(snap, "..", "passwd")); err == nil {
			t.Fatal("file outside the snapshot directory")
		}
	})
}
