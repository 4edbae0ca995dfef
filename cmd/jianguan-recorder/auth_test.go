package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestBinaryBasicAuth runs the built binary behind exporter-toolkit basic
// auth: passwords are really checked, the role map applies, a web user
// without a role reads /metrics only, and --config.check validates.
func TestBinaryBasicAuth(t *testing.T) {
	bin := buildRecorder(t)
	dir := t.TempDir()
	hash := func(pw string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	web := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(web, []byte(fmt.Sprintf("basic_auth_users:\n  alertmanager: %s\n  auditor: %s\n  prometheus: %s\n",
		hash("am-pw"), hash("au-pw"), hash("pr-pw"))), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "recorder.yml")
	cfg := fmt.Sprintf("database: {path: %s}\nspool: {dir: %s}\nauth:\n  users: {alertmanager: Editor, auditor: Viewer}\n",
		filepath.Join(dir, "r.db"), filepath.Join(dir, "spool"))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "--config.check", "--config.file="+cfgPath, "--web.config.file="+web).CombinedOutput(); err != nil || !strings.Contains(string(out), "is valid") {
		t.Fatalf("--config.check: %v %s", err, out)
	}
	if out, err := exec.Command(bin, "--config.check", "--config.file="+cfgPath).CombinedOutput(); err == nil || !strings.Contains(string(out), "--web.config.file is not set") {
		t.Errorf("--config.check without web config: %v %s", err, out)
	}
	port := testutil.FreePort(t)
	p := &proc{url: fmt.Sprintf("http://127.0.0.1:%d", port), logs: &bytes.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "--config.file="+cfgPath, "--web.config.file="+web, fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port))
	w := &lockedWriter{mu: &p.mu, w: p.logs}
	p.cmd.Stdout, p.cmd.Stderr = w, w
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	req := func(method, path, user, pw string, body []byte) int {
		r, _ := http.NewRequest(method, p.url+path, bytes.NewReader(body))
		if user != "" {
			r.SetBasicAuth(user, pw)
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	testenv.WaitFor(t, 60*time.Second, "recorder up", func() bool { return req("GET", "/-/healthy", "prometheus", "pr-pw", nil) == 200 })
	hook, _ := json.Marshal(payload("g", "firing", "a", "f"))
	for _, c := range []struct {
		name, method, path, user, pw string
		body                         []byte
		want                         int
	}{
		{"no credentials", "GET", "/api/v1/alerts", "", "", nil, 401},
		{"wrong password", "POST", "/api/v1/alertmanager", "alertmanager", "wrong", hook, 401},
		{"unknown user", "GET", "/api/v1/alerts", "mallory", "x", nil, 401},
		{"editor delivers", "POST", "/api/v1/alertmanager", "alertmanager", "am-pw", hook, 200},
		{"viewer reads", "GET", "/api/v1/alerts", "auditor", "au-pw", nil, 200},
		{"viewer cannot ack", "POST", "/api/v1/alerts/1/ack", "auditor", "au-pw", []byte(`{"note":"x"}`), 403},
		{"editor acks", "POST", "/api/v1/alerts/1/ack", "alertmanager", "am-pw", []byte(`{"note":"x"}`), 200},
		{"web user without role: metrics", "GET", "/metrics", "prometheus", "pr-pw", nil, 200},
		{"web user without role: API", "GET", "/api/v1/alerts", "prometheus", "pr-pw", nil, 401},
		{"ready", "GET", "/-/ready", "prometheus", "pr-pw", nil, 200},
	} {
		if got := req(c.method, c.path, c.user, c.pw, c.body); got != c.want {
			t.Errorf("%s: %s %s as %q: %d, want %d", c.name, c.method, c.path, c.user, got, c.want)
		}
	}
	p.mu.Lock()
	logs := p.logs.String()
	p.mu.Unlock()
	for _, secret := range []string{"am-pw", "au-pw", "pr-pw"} {
		if strings.Contains(logs, secret) {
			t.Errorf("password %s in the log", secret)
		}
	}
}
