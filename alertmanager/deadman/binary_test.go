package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/jianguan/jianguan/internal/testutil"
)

// recorder is the independent notification path: a generic webhook and a WeCom API emulation.
type recorder struct {
	mu     sync.Mutex
	hooks  []whPayload
	wecom  []string
	auth   []string
	hookAt []time.Time
	wcAt   []time.Time
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch req.URL.Path {
	case "/hook":
		var p whPayload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		r.hooks, r.hookAt = append(r.hooks, p), append(r.hookAt, time.Now())
		r.auth = append(r.auth, req.Header.Get("Authorization"))
	case "/wecom/gettoken":
		if req.URL.Query().Get("corpsecret") != "wecom-secret" || req.URL.Query().Get("corpid") != "corp1" {
			fmt.Fprint(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
			return
		}
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","access_token":"tok","expires_in":7200}`)
	case "/wecom/message/send":
		var m struct {
			MsgType  string `json:"msgtype"`
			ToTag    string `json:"totag"`
			Markdown struct {
				Content string `json:"content"`
			} `json:"markdown"`
		}
		if req.URL.Query().Get("access_token") != "tok" || json.Unmarshal(body, &m) != nil || m.MsgType != "markdown" || m.ToTag != "oncall-meta" {
			fmt.Fprint(w, `{"errcode":40014,"errmsg":"bad request"}`)
			return
		}
		r.wecom, r.wcAt = append(r.wecom, m.Markdown.Content), append(r.wcAt, time.Now())
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok"}`)
	default:
		http.NotFound(w, req)
	}
}

func (r *recorder) counts() (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.hooks), len(r.wecom)
}

// buildDeadman compiles this package into a temporary binary.
func buildDeadman(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "deadman")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestDeadmanBinary runs the real binary behind exporter-toolkit basic auth, feeds it
// Alertmanager-style heartbeats, stops them and expects the firing notification on both paths
// within the timeout (+ one check interval + slack), then restores them and expects resolved.
func TestDeadmanBinary(t *testing.T) {
	bin := buildDeadman(t)
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	defer srv.Close()

	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("am-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	webCfg := write("web.yml", "basic_auth_users:\n  alertmanager: '"+string(hash)+"'\n")
	secret := write("wecom.secret", "wecom-secret\n")
	token := write("hook.token", "hook-token\n")

	const timeout = 2 * time.Second
	port := testutil.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cmd := exec.Command(bin,
		"--web.listen-address="+fmt.Sprintf("127.0.0.1:%d", port),
		"--web.config.file="+webCfg,
		"--deadman.timeout="+timeout.String(),
		"--deadman.check-interval=100ms",
		"--deadman.repeat-interval=0s",
		"--deadman.site=bj1",
		"--deadman.name=bj1 Prometheus→Alertmanager",
		"--deadman.webhook.url="+srv.URL+"/hook",
		"--deadman.webhook.bearer-token-file="+token,
		"--deadman.wecom.api-url="+srv.URL+"/wecom/",
		"--deadman.wecom.corp-id=corp1",
		"--deadman.wecom.agent-id=1000002",
		"--deadman.wecom.api-secret-file="+secret,
		"--deadman.wecom.to-tag=oncall-meta",
		"--log.level=debug", "--log.format=json",
	)
	var logs bytes.Buffer
	var logMu sync.Mutex
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			logMu.Lock()
			logs.WriteString(sc.Text() + "\n")
			logMu.Unlock()
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		pw.Close()
		if t.Failed() {
			logMu.Lock()
			t.Logf("deadman log:\n%s", logs.String())
			logMu.Unlock()
		}
	}()

	get := func(path string, auth bool) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if auth {
			req.SetBasicAuth("alertmanager", "am-password")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if code, _ := get("/-/healthy", true); code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("deadman did not come up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _ := get("/metrics", false); code != http.StatusUnauthorized {
		t.Fatalf("unauthenticated /metrics: %d, want 401 (web.config.file basic auth)", code)
	}
	metric := func(name string) float64 {
		_, body := get("/metrics", true)
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, name+" ") {
				v, _ := strconv.ParseFloat(strings.Fields(l)[1], 64)
				return v
			}
		}
		return -1
	}
	beat := func() {
		body := `{"version":"4","status":"firing","receiver":"heartbeat","groupKey":"{}/{alertname=\"Watchdog\"}:{alertname=\"Watchdog\"}","alerts":[{"status":"firing","labels":{"alertname":"Watchdog","severity":"info","team":"meta"}}]}`
		req, _ := http.NewRequest(http.MethodPost, base+"/heartbeat", strings.NewReader(body))
		req.SetBasicAuth("alertmanager", "am-password")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("heartbeat: %s", resp.Status)
		}
	}

	// Heartbeats every 300 ms for longer than the timeout: silence.
	for end := time.Now().Add(timeout + time.Second); time.Now().Before(end); {
		beat()
		time.Sleep(300 * time.Millisecond)
	}
	if h, w := rec.counts(); h+w != 0 {
		t.Fatalf("notified while heartbeats flowed: webhook %d, wecom %d", h, w)
	}
	beat()
	lastBeat := time.Now()

	// Stop: the firing notification must arrive after the timeout and within timeout + 1.5 s.
	deadline = lastBeat.Add(timeout + 1500*time.Millisecond)
	for {
		if h, w := rec.counts(); h >= 1 && w >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no firing notification within %s of the last heartbeat", timeout+1500*time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
	}
	rec.mu.Lock()
	hookLag, wcLag := rec.hookAt[0].Sub(lastBeat), rec.wcAt[0].Sub(lastBeat)
	fire, fireAuth, fireMD := rec.hooks[0], rec.auth[0], rec.wecom[0]
	rec.mu.Unlock()
	if hookLag < timeout || wcLag < timeout {
		t.Fatalf("fired too early: webhook %s, wecom %s after the last heartbeat (timeout %s)", hookLag, wcLag, timeout)
	}
	t.Logf("heartbeats stopped → firing after %s (webhook) / %s (WeCom); timeout %s, check interval 100ms",
		hookLag.Round(time.Millisecond), wcLag.Round(time.Millisecond), timeout)
	if fire.Status != "firing" || fire.Alerts[0].Labels["alertname"] != "DeadmanHeartbeatMissing" || fire.Alerts[0].Labels["site"] != "bj1" ||
		!strings.Contains(fire.Alerts[0].Annotations["summary"], "监控链路心跳中断：bj1 Prometheus→Alertmanager") {
		t.Errorf("firing webhook payload: %+v", fire)
	}
	if fireAuth != "Bearer hook-token" {
		t.Errorf("webhook Authorization %q", fireAuth)
	}
	if !strings.Contains(fireMD, "监控链路心跳中断") || !strings.Contains(fireMD, "[紧急]") {
		t.Errorf("WeCom markdown: %q", fireMD)
	}
	if v := metric("deadman_alerting"); v != 1 {
		t.Errorf("deadman_alerting = %v, want 1", v)
	}

	// Restore: one heartbeat → resolved on both paths at once.
	restored := time.Now()
	beat()
	deadline = time.Now().Add(2 * time.Second)
	for {
		if h, w := rec.counts(); h >= 2 && w >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no resolved notification after heartbeats returned")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // nothing more may come
	rec.mu.Lock()
	if len(rec.hooks) != 2 || len(rec.wecom) != 2 || rec.hooks[1].Status != "resolved" || !strings.Contains(rec.wecom[1], "已恢复") {
		t.Errorf("after restore: %d webhooks (last %q), %d WeCom", len(rec.hooks), rec.hooks[len(rec.hooks)-1].Status, len(rec.wecom))
	}
	resLag := rec.hookAt[1].Sub(restored)
	rec.mu.Unlock()
	t.Logf("heartbeat restored → resolved after %s", resLag.Round(time.Millisecond))
	if v := metric("deadman_alerting"); v != 0 {
		t.Errorf("deadman_alerting = %v, want 0", v)
	}
	if v := metric(`deadman_notifications_total{result="success"}`); v != 4 {
		t.Errorf(`deadman_notifications_total{result="success"} = %v, want 4`, v)
	}
	if v := metric("deadman_heartbeats_total"); v < 5 {
		t.Errorf("deadman_heartbeats_total = %v", v)
	}
	if v := metric("deadman_heartbeat_last_timestamp_seconds"); v < float64(restored.Unix()-1) {
		t.Errorf("deadman_heartbeat_last_timestamp_seconds = %v", v)
	}
}
