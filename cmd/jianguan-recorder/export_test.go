package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/records"
	jtestutil "github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// exportTestData writes notifications (one carrying mark in a label), an
// acknowledgement and a signed-off record — history rows for each — through
// the API.
func exportTestData(t *testing.T, e *env, mark string) {
	t.Helper()
	p := payload("g-handover", "firing", "http://am-1", "fp-h1", "fp-h2")
	p["alerts"].([]map[string]any)[0]["labels"].(map[string]string)["room"] = mark
	if code, b := e.do("POST", "/api/v1/alertmanager", "", p); code != 200 {
		t.Fatalf("webhook: %d %s", code, b)
	}
	if code, b := e.do("POST", "/api/v1/alerts/1/ack", records.RoleEditor, map[string]string{"note": "已处理 " + mark}); code != 200 {
		t.Fatalf("ack: %d %s", code, b)
	}
	if code, b := e.do("POST", "/api/v1/records", records.RoleEditor, map[string]any{"kind": "alert_handling", "title": "处理记录", "body": map[string]string{"note": mark}}); code != 201 {
		t.Fatalf("record: %d %s", code, b)
	}
	if code, b := e.do("POST", "/api/v1/records/1/sign-off", records.RoleAdmin, nil); code != 200 {
		t.Fatalf("sign-off: %d %s", code, b)
	}
}

func readExportManifest(t testing.TB, dir string) Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestExportPurgeBothBackends: on SQLite and a real PostgreSQL, export writes every
// table (history too) as JSON lines with a manifest whose SHA-256 sums
// sha256sum accepts; purge refuses a wrong token and a token of content that
// changed since, then deletes every row including append-only history and
// signed-off records, and verifies (SQLite: neither the canary nor the
// exported data is left in the file bytes); the recorder opens the purged
// database and works.
func TestExportPurgeBothBackends(t *testing.T) {
	for _, backend := range []string{records.SQLite, records.Postgres} {
		t.Run(backend, func(t *testing.T) {
			cfg := testConfig(t)
			target := cfg.Database.Path
			if backend == records.Postgres {
				target = testenv.StartPostgres(t).NewDB(t)
				cfg.Database.Backend, cfg.Database.dsn, cfg.Database.Path = records.Postgres, config.Secret(target), ""
			}
			e := newEnv(t, cfg, backend, target)
			mark := fmt.Sprintf("handover-mark-%d", time.Now().UnixNano())
			exportTestData(t, e, mark)
			ctx := context.Background()
			db, err := openRaw(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			reports := t.TempDir()
			if err := os.WriteFile(filepath.Join(reports, "2026-11-infrastructure.pdf"), []byte("%PDF-1.7 frozen"), 0o644); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "export")
			var out bytes.Buffer
			if err := export(ctx, db, backend, exportOptions{Dir: dir, Reports: reports}, &out); err != nil {
				t.Fatal(err)
			}
			m := readExportManifest(t, dir)
			for table, min := range map[string]int64{"notifications": 1, "alerts": 2, "notification_alerts": 2, "acknowledgements": 1, "records": 1, "history": 5} {
				if m.Tables[table] < min {
					t.Errorf("manifest: table %s has %d rows, want ≥ %d", table, m.Tables[table], min)
				}
				lines := 0
				f, err := os.Open(filepath.Join(dir, "records", table+".jsonl"))
				if err != nil {
					t.Fatal(err)
				}
				sc := bufio.NewScanner(f)
				sc.Buffer(nil, 1<<20)
				for sc.Scan() {
					var row map[string]any
					if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
						t.Errorf("%s.jsonl line %d: %v", table, lines+1, err)
					}
					lines++
				}
				f.Close()
				if int64(lines) != m.Tables[table] {
					t.Errorf("%s.jsonl has %d lines, manifest says %d", table, lines, m.Tables[table])
				}
			}
			if h, _ := os.ReadFile(filepath.Join(dir, "records", "history.jsonl")); !bytes.Contains(h, []byte(mark)) {
				t.Errorf("history.jsonl lacks the history of the data: %.300s", h)
			}
			if len(m.Files) < 8 || !strings.Contains(out.String(), "purge token: "+m.Token) {
				t.Errorf("%d files, output %q", len(m.Files), out.String())
			}
			cmd := exec.Command("sha256sum", "-c", "--quiet", "SHA256SUMS")
			cmd.Dir = dir
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("sha256sum -c in the export: %v %s", err, b)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "reports", "2026-11-infrastructure.pdf")); string(got) != "%PDF-1.7 frozen" {
				t.Errorf("report snapshot not copied: %q", got)
			}
			if err := export(ctx, db, backend, exportOptions{Dir: dir}, &out); err == nil || !strings.Contains(err.Error(), "not empty") {
				t.Errorf("export into a non-empty dir: %v", err)
			}

			// Wrong token, then content changed since the export: refused, nothing deleted.
			if err := purge(ctx, db, backend, cfg.Database.Path, "0123456789abcdef01234567", &out); err == nil || !strings.Contains(err.Error(), "does not match") {
				t.Errorf("wrong token: %v", err)
			}
			if code, b := e.do("POST", "/api/v1/alertmanager", "", payload("g-late", "firing", "http://am-1", "fp-late")); code != 200 {
				t.Fatalf("late webhook: %d %s", code, b)
			}
			if err := purge(ctx, db, backend, cfg.Database.Path, m.Token, &out); err == nil || !strings.Contains(err.Error(), "since that export") {
				t.Errorf("content changed since the export: %v", err)
			}
			if n := count(t, e.store); n != 2 {
				t.Fatalf("after refused purges %d notifications, want 2", n)
			}
			if backend == records.SQLite {
				if found, _ := scanFiles([]string{cfg.Database.Path, cfg.Database.Path + "-wal"}, mark); len(found) == 0 {
					t.Fatalf("the data's mark is not in the SQLite files before the purge: the scan below would prove nothing")
				}
			}

			dir2 := filepath.Join(t.TempDir(), "export2")
			if err := export(ctx, db, backend, exportOptions{Dir: dir2}, &out); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			st := time.Now()
			if err := purge(ctx, db, backend, cfg.Database.Path, readExportManifest(t, dir2).Token, &out); err != nil {
				t.Fatalf("purge: %v\n%s", err, out.String())
			}
			t.Logf("purge (%s) in %v:\n%s", backend, time.Since(st).Round(time.Millisecond), out.String())
			if !strings.Contains(out.String(), "purge verified: every table is empty") || !strings.Contains(out.String(), "table history                0 rows") {
				t.Errorf("verification output:\n%s", out.String())
			}
			if backend == records.SQLite {
				if !strings.Contains(out.String(), "canary not found") {
					t.Errorf("no canary scan in the output:\n%s", out.String())
				}
				if found, _ := scanFiles([]string{cfg.Database.Path, cfg.Database.Path + "-wal"}, mark); len(found) > 0 {
					t.Errorf("the exported data's mark is still in %v after the purge", found)
				}
			}
			// The append-only rule is back for everyone else, and the recorder works on the purged database.
			if code, b := e.do("POST", "/api/v1/alertmanager", "", payload("g-after", "firing", "http://am-1", "fp-after")); code != 200 {
				t.Fatalf("webhook after purge: %d %s", code, b)
			}
			if n := count(t, e.store); n != 1 {
				t.Errorf("after purge and one webhook: %d notifications", n)
			}
			if _, err := db.ExecContext(ctx, "DELETE FROM history"); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("history deletable after the purge: %v", err)
			}
		})
	}
}

// TestExportPrometheusSnapshotAdminAPI: a real Prometheus 2.42 with the admin API
// gives a TSDB snapshot that is copied into the export and hashed; without
// --web.enable-admin-api the error names that flag.
func TestExportPrometheusSnapshotAdminAPI(t *testing.T) {
	prom := jtestutil.Need(t, "prometheus")
	promtool := jtestutil.Need(t, "promtool")
	// A TSDB with blocks (the inspection test's hour of data), so that the
	// snapshot has files to copy.
	start := func(admin bool) (string, string) {
		dir := t.TempDir()
		om, data := filepath.Join(dir, "data.om"), filepath.Join(dir, "tsdb")
		if err := os.WriteFile(om, []byte(inspectionData()), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", om, data).CombinedOutput(); err != nil {
			t.Fatalf("promtool: %v\n%s", err, out)
		}
		var extra []string
		if admin {
			extra = append(extra, "--web.enable-admin-api")
		}
		return testenv.StartPrometheus(t, prom, data, extra...), data
	}
	e := newEnv(t, testConfig(t), "", "")
	exportTestData(t, e, "snapshot-test")
	db, err := openRaw(context.Background(), e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	url, data := start(true)
	dir := filepath.Join(t.TempDir(), "export")
	var out bytes.Buffer
	if err := export(context.Background(), db, records.SQLite, exportOptions{Dir: dir, PromURL: url, PromDataDir: data}, &out); err != nil {
		t.Fatal(err)
	}
	m := readExportManifest(t, dir)
	n := 0
	for _, f := range m.Files {
		if strings.HasPrefix(f.Path, "prometheus/"+m.PrometheusSnapshot+"/") {
			n++
		}
	}
	if m.PrometheusSnapshot == "" || n == 0 {
		t.Errorf("snapshot %q, %d of its files in the manifest", m.PrometheusSnapshot, n)
	}

	url2, _ := start(false)
	err = export(context.Background(), db, records.SQLite, exportOptions{Dir: filepath.Join(t.TempDir(), "x"), PromURL: url2}, &out)
	if err == nil || !strings.Contains(err.Error(), "--web.enable-admin-api") {
		t.Errorf("admin API disabled: %v", err)
	} else {
		t.Logf("admin API disabled: %v", err)
	}
}

// TestExportPurgeCLI: the export and purge subcommands as an operator runs
// them (configuration file, flags, exit codes).
func TestExportPurgeCLI(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "recorder.yml")
	if err := os.WriteFile(cfgPath, []byte("database: {path: records.db}\nspool: {dir: spool}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if code := run(ctx, []string{"export", "--config.file=" + cfgPath, "--to=" + filepath.Join(dir, "x")}); code != 1 {
		t.Errorf("export of a database that does not exist: exit %d, want 1", code)
	}
	cfg := testConfig(t)
	cfg.Database.Path = filepath.Join(dir, "records.db")
	e := newEnv(t, cfg, "", "")
	exportTestData(t, e, "cli-mark")
	out := filepath.Join(dir, "export")
	if code := run(ctx, []string{"export", "--config.file=" + cfgPath, "--to=" + out}); code != 0 {
		t.Fatalf("export: exit %d", code)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"purge", "--config.file=" + cfgPath}, 2},                        // --confirm required
		{[]string{"export", "--config.file=" + cfgPath, "--to=" + out}, 1},        // not empty
		{[]string{"purge", "--config.file=" + cfgPath, "--confirm=nottheone"}, 1}, // wrong token
		{[]string{"purge", "--config.file=" + cfgPath, "--confirm=" + readExportManifest(t, out).Token}, 0},
	} {
		if code := run(ctx, c.args); code != c.code {
			t.Errorf("%v: exit %d, want %d", c.args, code, c.code)
		}
	}
	if n := count(t, e.store); n != 0 {
		t.Errorf("%d notifications after the purge", n)
	}
}

// BenchmarkExportPurge: export and purge (with verification) of a SQLite
// store of 5000 notifications (40 004 rows); logs the database size and
// the process's peak RSS. go test -run '^$' -bench ExportPurge -benchtime 1x ./cmd/jianguan-recorder/
func BenchmarkExportPurge(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := &Config{}
		cfg.Database.Backend, cfg.Database.Path = records.SQLite, filepath.Join(b.TempDir(), "records.db")
		st, err := records.Open(context.Background(), records.SQLite, cfg.Database.Path)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		base := time.Now().Add(-time.Hour)
		for j := 0; j < 5000; j++ {
			body, _ := json.Marshal(payload(fmt.Sprintf("g-%d", j), "firing", "http://am", fmt.Sprintf("fp-%d-a", j), fmt.Sprintf("fp-%d-b", j)))
			n, err := decodeWebhook(body)
			if err != nil {
				b.Fatal(err)
			}
			n.ReceivedAt = base.Add(time.Duration(j) * time.Second)
			if _, err := st.Ingest(ctx, n, time.Second); err != nil {
				b.Fatal(err)
			}
		}
		st.Close()
		fi, _ := os.Stat(cfg.Database.Path)
		db, err := openRaw(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		dir := filepath.Join(b.TempDir(), "export")
		var out bytes.Buffer
		b.StartTimer()
		s := time.Now()
		if err := export(ctx, db, records.SQLite, exportOptions{Dir: dir}, &out); err != nil {
			b.Fatal(err)
		}
		te := time.Since(s)
		b.StopTimer()
		tok := readExportManifest(b, dir).Token
		b.StartTimer()
		s = time.Now()
		if err := purge(ctx, db, records.SQLite, cfg.Database.Path, tok, &out); err != nil {
			b.Fatal(err)
		}
		b.Logf("database %d bytes: export %v, purge with verification %v, peak RSS %.1f MB", fi.Size(), te.Round(time.Millisecond),
			time.Since(s).Round(time.Millisecond), float64(jtestutil.PeakRSS(b, os.Getpid()))/1e6)
		db.Close()
	}
}

// TestHostile_ExportBadInput: an export target that is a file, a reports
// directory with a symbolic link (an export holds data only) or missing, a
// Prometheus that is unreachable or answers something else than a snapshot:
// each a clear error, and nothing half-written is presented as an export.
func TestHostile_ExportBadInput(t *testing.T) {
	e := newEnv(t, testConfig(t), "", "")
	exportTestData(t, e, "bad-input")
	db, err := openRaw(context.Background(), e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tmp := t.TempDir()
	file := filepath.Join(tmp, "a-file")
	os.WriteFile(file, []byte("x"), 0o644)
	linked := filepath.Join(tmp, "reports-with-link")
	os.MkdirAll(linked, 0o755)
	os.Symlink("/etc/passwd", filepath.Join(linked, "passwd"))
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"status":"success","data":{"name":"../../etc"}}`))
	}))
	defer garbage.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, c := range []struct {
		name string
		o    exportOptions
		want string
	}{
		{"target is a file", exportOptions{Dir: file}, "not a directory"},
		{"reports dir with a symlink", exportOptions{Reports: linked}, "is not a regular file"},
		{"reports dir missing", exportOptions{Reports: filepath.Join(tmp, "nope")}, "no such file"},
		{"prometheus unreachable", exportOptions{PromURL: closed.URL}, "connection refused"},
		{"prometheus answers a path as the snapshot name", exportOptions{PromURL: garbage.URL}, "answers 200"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.o.Dir == "" {
				c.o.Dir = filepath.Join(t.TempDir(), "export")
			}
			var out bytes.Buffer
			err := export(context.Background(), db, records.SQLite, c.o, &out)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to say %q", err, c.want)
			}
			if _, serr := os.Stat(filepath.Join(c.o.Dir, "manifest.json")); serr == nil {
				t.Errorf("a failed export left a manifest.json")
			}
			if strings.Contains(out.String(), "purge token") {
				t.Errorf("a failed export printed a purge token: %s", out.String())
			}
		})
	}
}
