package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/records"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

const testSecret = "0123456789abcdef0123456789abcdef-test"

type env struct {
	t     *testing.T
	srv   *server
	http  *httptest.Server
	store records.Store
	cfg   *Config
}

func testConfig(t *testing.T) *Config {
	cfg := &Config{}
	cfg.Database.Backend = records.SQLite
	cfg.Database.Path = filepath.Join(t.TempDir(), "records.db")
	cfg.Spool.Dir = filepath.Join(t.TempDir(), "spool")
	cfg.Spool.MaxBytes, cfg.Spool.MaxFiles, cfg.Spool.ReplayInterval = defaultSpoolBytes, defaultSpoolFiles, 100*time.Millisecond
	cfg.Webhook.MaxBodyBytes, cfg.Webhook.DedupWindow = defaultMaxBody, defaultDedupWindow
	cfg.Auth.TrustedHeader.secret = config.Secret(testSecret)
	cfg.Auth.Users = map[string]string{"alertmanager": records.RoleEditor}
	return cfg
}

// newEnv starts the API on a real store; target "" = SQLite in a temp dir.
func newEnv(t *testing.T, cfg *Config, backend, target string) *env {
	t.Helper()
	if backend == "" {
		backend, target = records.SQLite, cfg.Database.Path
	}
	st, err := records.Open(context.Background(), backend, target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sp, err := openSpool(cfg.Spool.Dir, cfg.Spool.MaxBytes, cfg.Spool.MaxFiles)
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(cfg, st, sp, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	mux := http.NewServeMux()
	s.register(mux)
	mux.HandleFunc("GET /-/ready", s.ready)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return &env{t: t, srv: s, http: hs, store: st, cfg: cfg}
}

// do sends a request as a Grafana user with role (trusted header); role ""
// sends it as the basic-auth user alertmanager.
func (e *env) do(method, path, role string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, e.http.URL+path, rd)
	if role == "" {
		req.SetBasicAuth("alertmanager", "x")
	} else {
		req.Header.Set(headerSecret, testSecret)
		req.Header.Set(headerUser, "ops-"+strings.ToLower(role))
		req.Header.Set(headerRole, role)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

var t0 = time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC)

func payload(group, status, peer string, fps ...string) map[string]any {
	var alerts []map[string]any
	for _, fp := range fps {
		a := map[string]any{"status": status, "fingerprint": fp, "startsAt": t0.Format(time.RFC3339),
			"labels": map[string]string{"alertname": "UPSOnBattery", "ups": fp}, "annotations": map[string]string{"summary": "市电中断"},
			"endsAt": "0001-01-01T00:00:00Z"}
		if status == "resolved" {
			a["endsAt"] = t0.Add(10 * time.Minute).Format(time.RFC3339)
		}
		alerts = append(alerts, a)
	}
	return map[string]any{"version": "4", "groupKey": group, "status": status, "receiver": "noc", "externalURL": peer,
		"groupLabels": map[string]string{}, "commonLabels": map[string]string{}, "commonAnnotations": map[string]string{},
		"truncatedAlerts": 0, "alerts": alerts}
}

func count(t *testing.T, st records.Store) int {
	t.Helper()
	n, err := st.CountNotifications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// backends runs fn against SQLite and a real PostgreSQL.
func backends(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newEnv(t, testConfig(t), "", "")) })
	t.Run("postgres", func(t *testing.T) {
		pg := testenv.StartPostgres(t)
		fn(t, newEnv(t, testConfig(t), records.Postgres, pg.NewDB(t)))
	})
}

func TestWebhookAckAndList(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		code, b := e.do("POST", "/api/v1/alertmanager", "", payload("g1", "firing", "http://am-a", "f1", "f2"))
		if code != 200 || !strings.Contains(string(b), `"stored"`) {
			t.Fatalf("first: %d %s", code, b)
		}
		code, b = e.do("POST", "/api/v1/alertmanager", "", payload("g1", "firing", "http://am-b", "f2", "f1"))
		if code != 200 || !strings.Contains(string(b), `"duplicate"`) {
			t.Fatalf("peer: %d %s", code, b)
		}
		if n := count(t, e.store); n != 1 {
			t.Fatalf("%d notifications", n)
		}
		code, b = e.do("GET", "/api/v1/alerts?status=firing", records.RoleViewer, nil)
		var list struct{ Alerts []records.Alert }
		if err := json.Unmarshal(b, &list); code != 200 || err != nil || len(list.Alerts) != 2 {
			t.Fatalf("list: %d %s", code, b)
		}
		id := list.Alerts[0].ID
		code, b = e.do("POST", fmt.Sprintf("/api/v1/alerts/%d/ack", id), records.RoleEditor, map[string]string{"note": "已到场"})
		if code != 200 || !strings.Contains(string(b), `"grafana:ops-editor"`) {
			t.Fatalf("ack: %d %s", code, b)
		}
		code, b = e.do("GET", fmt.Sprintf("/api/v1/alerts/%d", id), records.RoleViewer, nil)
		var a records.Alert
		if err := json.Unmarshal(b, &a); code != 200 || err != nil || a.AcknowledgedAt == nil || a.TimeToAck == nil || a.TimeToNotify == nil || len(a.Acks) != 1 {
			t.Fatalf("alert: %d %s", code, b)
		}
		code, b = e.do("GET", fmt.Sprintf("/api/v1/alerts/%d/history", id), records.RoleViewer, nil)
		if code != 200 || !strings.Contains(string(b), `"acknowledge"`) {
			t.Fatalf("history: %d %s", code, b)
		}
		if code, b = e.do("POST", "/api/v1/alerts/9999/ack", records.RoleEditor, map[string]string{}); code != 404 {
			t.Errorf("ack of a missing alert: %d %s", code, b)
		}
		// Records: create, edit, sign off, then edit refused, amend accepted.
		code, b = e.do("POST", "/api/v1/records", records.RoleEditor, map[string]any{"kind": "alert_handling", "alertId": id, "title": "处理", "body": map[string]string{"a": "b"}})
		var rec records.Record
		if err := json.Unmarshal(b, &rec); code != 201 || err != nil {
			t.Fatalf("create: %d %s", code, b)
		}
		rp := fmt.Sprintf("/api/v1/records/%d", rec.ID)
		if code, b = e.do("PUT", rp, records.RoleEditor, map[string]any{"title": "处理2", "body": []int{1}}); code != 200 {
			t.Fatalf("edit: %d %s", code, b)
		}
		if code, b = e.do("POST", rp+"/sign-off", records.RoleAdmin, nil); code != 200 {
			t.Fatalf("sign-off: %d %s", code, b)
		}
		if code, b = e.do("PUT", rp, records.RoleAdmin, map[string]any{"title": "x", "body": 1}); code != 409 {
			t.Errorf("edit after sign-off: %d %s, want 409", code, b)
		}
		if code, b = e.do("POST", rp+"/amend", records.RoleEditor, map[string]any{"title": "更正", "body": "x"}); code != 201 || !strings.Contains(string(b), fmt.Sprintf(`"amendsId": %d`, rec.ID)) {
			t.Errorf("amend: %d %s", code, b)
		}
		if code, b = e.do("GET", "/api/v1/notifications", records.RoleViewer, nil); code != 200 || !strings.Contains(string(b), `"http://am-a"`) {
			t.Errorf("notifications: %d %s", code, b)
		}
	})
}

// TestWebhookMalformed: every bad body is a 400 and nothing is stored.
func TestWebhookMalformed(t *testing.T) {
	e := newEnv(t, testConfig(t), "", "")
	good, _ := json.Marshal(payload("g", "firing", "u", "f1"))
	for _, c := range []struct{ name, body string }{
		{"empty", ""},
		{"not JSON", "hello"},
		{"truncated", string(good[:len(good)/2])},
		{"array", "[]"},
		{"two values", string(good) + string(good)},
		{"trailing", string(good) + "x"},
		{"non-UTF-8", strings.Replace(string(good), "市电中断", "\xff\xfe", 1)},
		{"wrong type", strings.Replace(string(good), `"truncatedAlerts":0`, `"truncatedAlerts":"x"`, 1)},
		{"bad time", strings.Replace(string(good), t0.Format(time.RFC3339), "yesterday", 1)},
		{"no alerts", strings.Replace(string(good), `"alerts":[`, `"alerts":[],"x":[`, 1)},
		{"version 3", strings.Replace(string(good), `"version":"4"`, `"version":"3"`, 1)},
		{"NUL in label", strings.Replace(string(good), "市电中断", `a\u0000b`, 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if code, b := e.do("POST", "/api/v1/alertmanager", "", c.body); code != 400 {
				t.Errorf("%d %s, want 400", code, b)
			}
		})
	}
	if n := count(t, e.store); n != 0 {
		t.Errorf("%d notifications stored", n)
	}
	if f, _ := e.srv.spool.usage(); f != 0 {
		t.Errorf("%d spooled", f)
	}
	if v := testutil.ToFloat64(e.srv.webhooks.WithLabelValues("invalid")); v < 10 {
		t.Errorf("invalid counter %v", v)
	}
}

func TestWebhookBodyBounded(t *testing.T) {
	cfg := testConfig(t)
	cfg.Webhook.MaxBodyBytes = 8 << 10
	e := newEnv(t, cfg, "", "")
	p := payload("g", "firing", "u", "f1")
	p["commonAnnotations"] = map[string]string{"description": strings.Repeat("很长", 4<<10)}
	if code, b := e.do("POST", "/api/v1/alertmanager", "", p); code != 413 {
		t.Errorf("%d %s, want 413", code, b)
	}
	if n := count(t, e.store); n != 0 {
		t.Errorf("%d stored", n)
	}
}

// TestRolesEnforced: every route refuses a role below its own (403) and
// accepts its own; no credentials is 401, a wrong proxy secret is 401.
func TestRolesEnforced(t *testing.T) {
	e := newEnv(t, testConfig(t), "", "")
	path := func(p string) string { return strings.ReplaceAll(p, "{id}", "1") }
	for _, rt := range e.srv.routes() {
		for _, role := range []string{records.RoleViewer, records.RoleEditor, records.RoleAdmin} {
			code, b := e.do(rt.method, path(rt.path), role, "{}")
			allowed := roleRank[role] >= roleRank[rt.role]
			if !allowed && code != 403 {
				t.Errorf("%s %s as %s: %d %s, want 403", rt.method, rt.path, role, code, b)
			}
			if allowed && (code == 401 || code == 403) {
				t.Errorf("%s %s as %s: %d %s", rt.method, rt.path, role, code, b)
			}
		}
		req, _ := http.NewRequest(rt.method, e.http.URL+path(rt.path), strings.NewReader("{}"))
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
			t.Errorf("%s %s anonymous: %v %v, want 401", rt.method, rt.path, resp.StatusCode, err)
		}
	}
	for _, c := range []struct {
		name   string
		header map[string]string
		user   string
	}{
		{"wrong secret", map[string]string{headerSecret: "wrong", headerUser: "u", headerRole: "Admin"}, ""},
		{"no user", map[string]string{headerSecret: testSecret, headerRole: "Admin"}, ""},
		{"role None", map[string]string{headerSecret: testSecret, headerUser: "u", headerRole: "None"}, ""},
		{"basic-auth user without role", nil, "mallory"},
	} {
		req, _ := http.NewRequest("GET", e.http.URL+"/api/v1/whoami", nil)
		for k, v := range c.header {
			req.Header.Set(k, v)
		}
		if c.user != "" {
			req.SetBasicAuth(c.user, "x")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 401 {
			t.Errorf("%s: %v %v, want 401", c.name, resp.StatusCode, err)
		}
	}
	// Without a configured secret the trusted header is refused even with a value.
	cfg := testConfig(t)
	cfg.Auth.TrustedHeader.secret = ""
	e2 := newEnv(t, cfg, "", "")
	req, _ := http.NewRequest("GET", e2.http.URL+"/api/v1/whoami", nil)
	req.Header.Set(headerSecret, "anything")
	req.Header.Set(headerUser, "u")
	req.Header.Set(headerRole, "Admin")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("unconfigured secret: %v %v", resp.StatusCode, err)
	}
}

// TestOpenAPICoversRoutes: every route is in openapi.yaml and every path
// there is served.
func TestOpenAPICoversRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	served := map[string]bool{}
	e := newEnv(t, testConfig(t), "", "")
	for _, rt := range e.srv.routes() {
		k := strings.ToLower(rt.method) + " " + rt.path
		served[k] = true
		if _, ok := doc.Paths[rt.path][strings.ToLower(rt.method)]; !ok {
			t.Errorf("%s %s not in openapi.yaml", rt.method, rt.path)
		}
		op, _ := doc.Paths[rt.path][strings.ToLower(rt.method)].(map[string]any)
		if s, _ := op["summary"].(string); !strings.Contains(s, "Role "+rt.role) {
			t.Errorf("%s %s: summary %q does not name role %s", rt.method, rt.path, s, rt.role)
		}
	}
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, m+" "+p)
			if !served[m+" "+p] {
				t.Errorf("openapi.yaml documents %s %s, which is not served", m, p)
			}
		}
	}
	sort.Strings(documented)
	t.Logf("%d operations documented", len(documented))
	code, b := e.do("GET", "/api/v1/openapi.yaml", records.RoleViewer, nil)
	if code != 200 || !bytes.Equal(b, openapiYAML) {
		t.Errorf("served openapi: %d", code)
	}
}

// TestSpoolWhileSQLiteLocked: another writer holds the SQLite lock longer
// than busy_timeout; the webhook is spooled (200) and replayed once the lock
// is released: exactly one notification, and the peer's copy is a duplicate.
func TestSpoolWhileSQLiteLocked(t *testing.T) {
	e := newEnv(t, testConfig(t), "", "")
	db, err := sql.Open("sqlite", records.SQLiteDSN(e.cfg.Database.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	code, b := e.do("POST", "/api/v1/alertmanager", "", payload("g1", "firing", "http://am-a", "f1"))
	if code != 200 || !strings.Contains(string(b), `"spooled"`) {
		t.Fatalf("while locked: %d %s", code, b)
	}
	t.Logf("spooled after %s (busy_timeout %s)", time.Since(start).Round(time.Millisecond), records.SQLiteBusyTimeout)
	if f, _ := e.srv.spool.usage(); f != 1 {
		t.Fatalf("spool has %d files", f)
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	e.srv.replay(context.Background())
	if f, _ := e.srv.spool.usage(); f != 0 {
		t.Errorf("spool still has %d files", f)
	}
	// The other peer's copy arrives after the replay: a duplicate.
	if code, b := e.do("POST", "/api/v1/alertmanager", "", payload("g1", "firing", "http://am-b", "f1")); code != 200 || !strings.Contains(string(b), "duplicate") {
		t.Errorf("peer copy: %d %s", code, b)
	}
	if n := count(t, e.store); n != 1 {
		t.Errorf("%d notifications, want 1", n)
	}
}

// TestSpoolWhilePostgresDown: the server stops; webhooks are spooled, /-/ready
// stays 200 (spooling), and after the restart the spool drains.
func TestSpoolWhilePostgresDown(t *testing.T) {
	pg := testenv.StartPostgres(t)
	e := newEnv(t, testConfig(t), records.Postgres, pg.NewDB(t))
	if code, _ := e.do("POST", "/api/v1/alertmanager", "", payload("g0", "firing", "a", "f0")); code != 200 {
		t.Fatal(code)
	}
	pg.Stop()
	for i := range 3 {
		code, b := e.do("POST", "/api/v1/alertmanager", "", payload(fmt.Sprintf("g%d", i+1), "firing", "a", "f1"))
		if code != 200 || !strings.Contains(string(b), "spooled") {
			t.Fatalf("while down: %d %s", code, b)
		}
	}
	if code, b := e.do("GET", "/-/ready", records.RoleViewer, nil); code != 200 || !strings.Contains(string(b), "spooling") {
		t.Errorf("ready while down: %d %s", code, b)
	}
	e.srv.replay(context.Background()) // fails quietly, keeps the files
	if f, _ := e.srv.spool.usage(); f != 3 {
		t.Fatalf("spool %d files", f)
	}
	pg.Restart(t)
	testenv.WaitFor(t, 30*time.Second, "spool drained after restart", func() bool {
		e.srv.replay(context.Background())
		f, _ := e.srv.spool.usage()
		return f == 0
	})
	if n := count(t, e.store); n != 4 {
		t.Errorf("%d notifications, want 4", n)
	}
}

// TestSpoolFull: database unavailable and the spool at its bound → 503, so
// Alertmanager keeps the notification and retries.
func TestSpoolFull(t *testing.T) {
	cfg := testConfig(t)
	cfg.Spool.MaxFiles = 1
	e := newEnv(t, cfg, "", "")
	e.store.Close() // every store call now fails
	if code, b := e.do("POST", "/api/v1/alertmanager", "", payload("g1", "firing", "a", "f1")); code != 200 || !strings.Contains(string(b), "spooled") {
		t.Fatalf("first: %d %s", code, b)
	}
	if code, b := e.do("POST", "/api/v1/alertmanager", "", payload("g2", "firing", "a", "f1")); code != 503 {
		t.Errorf("second: %d %s, want 503", code, b)
	}
	if code, _ := e.do("GET", "/-/ready", records.RoleViewer, nil); code != 503 {
		t.Errorf("ready: %d, want 503", code)
	}
}

// TestHostile_CorruptSpoolFile: a spool file that does not decode is moved
// aside (.rejected) and does not block the others.
func TestHostile_CorruptSpoolFile(t *testing.T) {
	e := newEnv(t, testConfig(t), "", "")
	if err := os.WriteFile(filepath.Join(e.cfg.Spool.Dir, "00000000000000000001-000001.json"), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(payload("g1", "firing", "a", "f1"))
	n, err := decodeWebhook(b)
	if err != nil {
		t.Fatal(err)
	}
	n.ReceivedAt, n.ReceivedBy = nowMS(), "alertmanager"
	if err := e.srv.spool.put(n); err != nil {
		t.Fatal(err)
	}
	e.srv.replay(context.Background())
	if c := count(t, e.store); c != 1 {
		t.Errorf("%d stored", c)
	}
	if _, err := os.Stat(filepath.Join(e.cfg.Spool.Dir, "00000000000000000001-000001.json.rejected")); err != nil {
		t.Errorf("corrupt file not kept aside: %v", err)
	}
}

// TestConfigErrors: bad configurations name file, line and field.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	web := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(web, []byte("basic_auth_users:\n  alertmanager: $2y$10$abcdefghijklmnopqrstuu5m7q6Q6Lq0uHn0sQ2N0qG6xwXWy0y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short.secret")
	_ = os.WriteFile(short, []byte("tooshort\n"), 0o600)
	for _, c := range []struct {
		name, yml, web, want string
	}{
		{"ok", "database: {path: r.db}\nspool: {dir: sp}\n", "", ""},
		{"unknown field", "database: {path: r.db}\nspool: {dir: sp}\nbogus: 1\n", "", ":3: field bogus not found"},
		{"backend", "database:\n  backend: mysql\nspool: {dir: sp}\n", "", ":2: database.backend"},
		{"no path", "database: {}\nspool: {dir: sp}\n", "", "database.path: required"},
		{"pg without dsn", "database: {backend: postgres}\nspool: {dir: sp}\n", "", "database.dsn_file: required"},
		{"no spool", "database: {path: r.db}\n", "", "spool.dir: required"},
		{"window", "database: {path: r.db}\nspool: {dir: sp}\nwebhook:\n  dedup_window: 2h\n", "", ":4: webhook.dedup_window"},
		{"body", "database: {path: r.db}\nspool: {dir: sp}\nwebhook:\n  max_body_bytes: 100\n", "", ":4: webhook.max_body_bytes"},
		{"role", "database: {path: r.db}\nspool: {dir: sp}\nauth:\n  users:\n    bob: Root\n", web, ":5: auth.users.bob"},
		{"users without web config", "database: {path: r.db}\nspool: {dir: sp}\nauth:\n  users:\n    alertmanager: Editor\n", "", "--web.config.file is not set"},
		{"user without password", "database: {path: r.db}\nspool: {dir: sp}\nauth:\n  users:\n    carol: Editor\n", web, `user "carol" has a role but no password`},
		{"users ok", "database: {path: r.db}\nspool: {dir: sp}\nauth:\n  users:\n    alertmanager: Editor\n", web, ""},
		{"short secret", "database: {path: r.db}\nspool: {dir: sp}\nauth:\n  trusted_header: {secret_file: short.secret}\n", "", "at least 32"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".yml")
			if err := os.WriteFile(p, []byte(c.yml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadConfig(p, c.web)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), p) {
				t.Errorf("got %v, want %s: …%s", err, p, c.want)
			}
			if strings.Contains(fmt.Sprint(err), "tooshort") {
				t.Error("secret in error")
			}
		})
	}
}

// TestSecretsNotInMetrics: the proxy secret and DSN never reach /metrics or errors.
func TestSecretsNotInMetrics(t *testing.T) {
	e := newEnv(t, testConfig(t), "", "")
	reg := prometheus.NewRegistry()
	_ = newServer(e.cfg, e.store, e.srv.spool, slog.New(slog.DiscardHandler), reg)
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if strings.Contains(mf.String(), testSecret) {
			t.Errorf("secret in %s", mf.GetName())
		}
	}
	code, b := e.do("GET", "/api/v1/whoami", records.RoleAdmin, nil)
	if code != 200 || regexp.MustCompile(testSecret).Match(b) {
		t.Errorf("whoami: %d %s", code, b)
	}
}

// TestSpoolWhilePostgresReadOnly: the database turns read-only (as during a
// fail-over to a standby); webhooks are spooled and replayed once writable.
func TestSpoolWhilePostgresReadOnly(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dsn := pg.NewDB(t)
	e := newEnv(t, testConfig(t), records.Postgres, dsn)
	admin, err := sql.Open("pgx", pg.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	setRO := func(on string) {
		t.Helper()
		if _, err := admin.Exec("ALTER SYSTEM SET default_transaction_read_only = " + on); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.Exec("SELECT pg_reload_conf()"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // sessions pick the reload up at their next command
	}
	setRO("on")
	code, b := e.do("POST", "/api/v1/alertmanager", "", payload("g1", "firing", "a", "f1"))
	if code != 200 || !strings.Contains(string(b), "spooled") {
		t.Fatalf("while read-only: %d %s", code, b)
	}
	if code, _ := e.do("POST", "/api/v1/records", records.RoleEditor, map[string]any{"kind": "duty", "body": 1}); code != 503 {
		t.Errorf("record while read-only: %d, want 503", code)
	}
	setRO("off")
	e.srv.replay(context.Background())
	if n := count(t, e.store); n != 1 {
		t.Errorf("%d notifications after replay, want 1", n)
	}
}

// TestStartWithDatabaseDown: PostgreSQL is unreachable when the recorder
// starts; it spools webhooks, answers reads 503, and once the database is
// up the replay loop opens (migrates) it and drains the spool.
func TestStartWithDatabaseDown(t *testing.T) {
	pg := testenv.StartPostgres(t)
	dsn := pg.NewDB(t)
	pg.Stop()
	cfg := testConfig(t)
	st := &lazyStore{open: func(ctx context.Context) (records.Store, error) { return records.Open(ctx, records.Postgres, dsn) }}
	if err := st.ensure(context.Background()); err == nil {
		t.Fatal("opened a stopped database")
	}
	t.Cleanup(func() { st.Close() })
	sp, err := openSpool(cfg.Spool.Dir, cfg.Spool.MaxBytes, cfg.Spool.MaxFiles)
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(cfg, st, sp, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	mux := http.NewServeMux()
	s.register(mux)
	hs := httptest.NewServer(mux)
	defer hs.Close()
	e := &env{t: t, srv: s, http: hs, store: st, cfg: cfg}
	if code, b := e.do("POST", "/api/v1/alertmanager", "", payload("g1", "firing", "a", "f1")); code != 200 || !strings.Contains(string(b), "spooled") {
		t.Fatalf("webhook: %d %s", code, b)
	}
	if code, _ := e.do("GET", "/api/v1/alerts", records.RoleViewer, nil); code != 503 {
		t.Errorf("read: %d, want 503", code)
	}
	pg.Restart(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.replayLoop(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	testenv.WaitFor(t, 30*time.Second, "spool drained", func() bool { f, _ := sp.usage(); return f == 0 })
	if code, b := e.do("GET", "/api/v1/alerts", records.RoleViewer, nil); code != 200 || !strings.Contains(string(b), `"f1"`) {
		t.Errorf("after start: %d %s", code, b)
	}
}

// TestRequestsBounded: with every slot taken, a request waits at most
// slotWait and gets 503; once a slot frees, requests go through.
func TestRequestsBounded(t *testing.T) {
	e := newEnv(t, testConfig(t), "", "")
	e.srv.slotWait = 200 * time.Millisecond
	for range maxInFlight {
		e.srv.slots <- struct{}{}
	}
	start := time.Now()
	if code, b := e.do("POST", "/api/v1/alertmanager", "", payload("g", "firing", "a", "f")); code != 503 {
		t.Errorf("all slots taken: %d %s, want 503", code, b)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("waited %s", d)
	}
	<-e.srv.slots
	if code, b := e.do("POST", "/api/v1/alertmanager", "", payload("g", "firing", "a", "f")); code != 200 {
		t.Errorf("one slot free: %d %s", code, b)
	}
	if n := count(t, e.store); n != 1 {
		t.Errorf("%d stored", n)
	}
}
