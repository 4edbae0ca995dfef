package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
)

const recorderSecret = "plugin-test-proxy-secret-0123456789abcdef"

var (
	recorderBinOnce sync.Once
	recorderBin     string
	recorderBinErr  error
)

// startRecorder builds and starts the real jianguan-recorder on a SQLite
// store in a temp dir, trusting the plugin's headers with recorderSecret.
func startRecorder(t *testing.T) string {
	t.Helper()
	return startRecorderWith(t, "")
}

// startRecorderWith is startRecorder with more recorder.yml (extra is
// appended to the configuration).
func startRecorderWith(t *testing.T, extra string) string {
	t.Helper()
	url, _ := startRecorderDB(t, extra)
	return url
}

// startRecorderDB is startRecorderWith that also returns the recorder's
// SQLite file (what jianguan-report --records.db reads).
func startRecorderDB(t *testing.T, extra string) (string, string) {
	t.Helper()
	recorderBinOnce.Do(func() {
		dir, _ := os.MkdirTemp("", "jianguan-recorder-bin-")
		recorderBin = filepath.Join(dir, "jianguan-recorder")
		out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", recorderBin, "../../cmd/jianguan-recorder").CombinedOutput()
		if err != nil {
			recorderBinErr = fmt.Errorf("building the recorder: %v\n%s", err, out)
		}
	})
	if recorderBinErr != nil {
		t.Fatal(recorderBinErr)
	}
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte(recorderSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("database: {path: %s}\nspool: {dir: %s}\nauth:\n  trusted_header: {secret_file: %s}\n",
		filepath.Join(dir, "records.db"), filepath.Join(dir, "spool"), secretFile) + extra
	cfgPath := filepath.Join(dir, "recorder.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(recorderBin, "--config.file="+cfgPath, "--web.listen-address="+addr)
	var logs strings.Builder
	var mu sync.Mutex
	cmd.Stdout, cmd.Stderr = lockedBuilder{&mu, &logs}, lockedBuilder{&mu, &logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get(url + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url, filepath.Join(dir, "records.db")
			}
		}
		if time.Now().After(deadline) {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("recorder not ready:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type lockedBuilder struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (l lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// callBody is call with a request body.
func (g *grafana) callBody(t *testing.T, pc *pluginv2.PluginContext, method, path string, body any) resp {
	t.Helper()
	b, _ := json.Marshal(body)
	return g.callRaw(t, pc, method, path, b)
}

// recorderCtx is the PluginContext of a user with role, the app configured
// with the real recorder.
func recorderCtx(org int64, role, recorderURL string) *pluginv2.PluginContext {
	pc := pctxAs(org, role, map[string]any{"recorderUrl": recorderURL, "snapshotDir": os.TempDir()})
	pc.AppInstanceSettings.DecryptedSecureJsonData["recorderProxySecret"] = recorderSecret
	return pc
}

// countRecords counts the records the recorder holds (as an Editor).
func countRecords(t *testing.T, g *grafana, pc *pluginv2.PluginContext) int {
	t.Helper()
	r := g.call(t, pc, "GET", "/recorder/records?limit=1000")
	if r.code != 200 {
		t.Fatalf("list records: %d %s", r.code, r.body)
	}
	var out struct{ Records []json.RawMessage }
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	return len(out.Records)
}

// TestPluginWritesNeedRole: every write route of the records API, called
// through the plugin over Grafana's gRPC protocol, answers 403 to a Viewer
// (and to a caller without a role) and forwards nothing; an Editor enters
// (recorded as grafana:<login>), only an Admin signs off.
func TestPluginWritesNeedRole(t *testing.T) {
	bin := buildPlugin(t)
	rec := startRecorder(t)
	g := startPlugin(t, bin)
	viewer, editor, admin, none := recorderCtx(1, "Viewer", rec), recorderCtx(1, "Editor", rec), recorderCtx(1, "Admin", rec), recorderCtx(1, "", rec)

	// An Editor enters a record, which the writes below would change.
	r := g.callBody(t, editor, "POST", "/recorder/records", map[string]any{"kind": "evaluation-score", "title": "ct 2026-10", "body": map[string]any{"score": 90}})
	if r.code != 201 {
		t.Fatalf("editor POST records: %d %s", r.code, r.body)
	}
	var created struct {
		ID        int64  `json:"id"`
		CreatedBy string `json:"createdBy"`
	}
	json.Unmarshal(r.body, &created)
	if created.CreatedBy != "grafana:editor-user" {
		t.Errorf("author %q, want grafana:editor-user (the Grafana login)", created.CreatedBy)
	}
	before := countRecords(t, g, viewer)

	id := fmt.Sprint(created.ID)
	writes := []struct {
		method, path, need string
		body               any
	}{
		{"POST", "/recorder/records", "Editor", map[string]any{"kind": "note", "body": "x"}},
		{"PUT", "/recorder/records/" + id, "Editor", map[string]any{"body": map[string]any{"score": 1}}},
		{"POST", "/recorder/records/" + id + "/amend", "Editor", map[string]any{"body": "x"}},
		{"POST", "/recorder/records/" + id + "/sign-off", "Admin", nil},
		{"POST", "/recorder/alerts/1/ack", "Editor", map[string]any{"note": "x"}},
		{"POST", "/recorder/inspections/onsite", "Editor", map[string]any{"date": "2026-11-28", "inspector": "a", "reviewer": "b", "items": []any{}}},
		{"POST", "/recorder/repairs", "Editor", map[string]any{"unit": "UPS", "swapAt": "2026-11-28T00:00:00Z"}},
		{"POST", "/recorder/repairs/1/reinstall", "Editor", map[string]any{"reinstalledAt": "2026-11-28T00:00:00Z"}},
		{"POST", "/recorder/incidents", "Editor", map[string]any{"ns": "line", "entity": "ct-1", "start": "2026-11-01T00:00:00Z"}},
		{"POST", "/reports/lines/2026-10/freeze", "Admin", nil},
	}
	for _, w := range writes {
		r := g.callBody(t, viewer, w.method, w.path, w.body)
		if r.code != 403 || !strings.Contains(string(r.body), "role "+w.need) {
			t.Errorf("%s %s as Viewer: %d %s, want 403 naming %s", w.method, w.path, r.code, r.body, w.need)
		}
		// Without a role nothing at all (the message names Viewer, the least).
		if r := g.callBody(t, none, w.method, w.path, w.body); r.code != 403 || !strings.Contains(string(r.body), "role Viewer") {
			t.Errorf("%s %s without a role: %d %s, want 403", w.method, w.path, r.code, r.body)
		}
		if w.need == "Admin" {
			r := g.callBody(t, editor, w.method, w.path, w.body)
			if r.code != 403 || !strings.Contains(string(r.body), "Admin") {
				t.Errorf("%s %s as Editor: %d %s, want 403 naming Admin", w.method, w.path, r.code, r.body)
			}
		}
	}
	if n := countRecords(t, g, viewer); n != before {
		t.Errorf("records %d → %d: a refused write reached the recorder", before, n)
	}
	// Reads are for Viewers; nothing without a role.
	if r := g.call(t, viewer, "GET", "/recorder/records/"+id); r.code != 200 {
		t.Errorf("viewer GET record: %d %s", r.code, r.body)
	}
	if r := g.call(t, none, "GET", "/recorder/records"); r.code != 403 {
		t.Errorf("no role GET: %d %s", r.code, r.body)
	}
	// Only an Admin signs off; the recorder keeps who.
	r = g.callBody(t, admin, "POST", "/recorder/records/"+id+"/sign-off", nil)
	if r.code != 200 || !strings.Contains(string(r.body), `"signedOffBy": "grafana:admin-user"`) {
		t.Errorf("admin sign-off: %d %s", r.code, r.body)
	}
	// The webhook and unknown paths are not forwarded; an unconfigured
	// recorder says what to set; the secret never reaches an answer.
	for path, want := range map[string]int{"/recorder/alertmanager": 404, "/recorder/records/0": 404, "/recorder/../reports": 400, "/recorder/records/1/sign-off?x=1": 405} {
		method := "POST"
		if strings.HasSuffix(path, "?x=1") {
			method = "GET"
		}
		if r := g.callBody(t, admin, method, path, map[string]any{}); r.code != want {
			t.Errorf("%s %s: %d %s, want %d", method, path, r.code, r.body, want)
		}
	}
	unconf := pctxAs(2, "Editor", map[string]any{"snapshotDir": os.TempDir()})
	if r := g.call(t, unconf, "GET", "/recorder/records"); r.code != 503 || !strings.Contains(string(r.body), "recorderUrl") {
		t.Errorf("unconfigured: %d %s", r.code, r.body)
	}
	bad := pctxAs(3, "Editor", map[string]any{"recorderUrl": "http://u:" + recorderSecret + "@127.0.0.1:1"})
	bad.AppInstanceSettings.DecryptedSecureJsonData["recorderProxySecret"] = recorderSecret
	if r, err := g.callErr(bad, "GET", "/recorder/records"); err == nil || !strings.Contains(err.Error(), "recorderUrl carries credentials") || strings.Contains(err.Error(), recorderSecret) {
		t.Errorf("credentials in recorderUrl: %v %d %s", err, r.code, r.body)
	}
}
