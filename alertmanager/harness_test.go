package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// ---------------------------------------------------------------- test configuration variants

// variant describes how a test configuration is derived from the real alertmanager.yml:
// same routes, inhibit rules, receivers (names) and templates; timings shortened; every
// webhook and the WeCom API pointed at the test's sink; e-mail removed (no SMTP here);
// the calendar replaced by entries that are active now (or never).
type variant struct {
	sink          *sink
	active        []string // calendar names active now; all others never active
	groupWait     string   // replaces every non-zero group_wait
	groupInterval string
	repeat        string
	heartbeatURL  string // "" = the sink
}

const testToken = "test-bearer-token"

func writeVariant(t testing.TB, v variant) string {
	t.Helper()
	cfg := loadConfig(t, configFile)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(testToken), 0o600); err != nil {
		t.Fatal(err)
	}
	if v.groupWait == "" {
		v.groupWait = "1s"
	}
	if v.groupInterval == "" {
		v.groupInterval = "2s"
	}
	if v.repeat == "" {
		v.repeat = "1h"
	}
	g := cfg["global"].(map[string]any)
	for k := range g {
		if strings.HasPrefix(k, "smtp_") {
			delete(g, k)
		}
	}
	g["wechat_api_url"] = v.sink.URL + "/wecom/"
	abs, err := filepath.Abs("templates")
	if err != nil {
		t.Fatal(err)
	}
	cfg["templates"] = []any{filepath.Join(abs, "*.tmpl")}

	var walk func(r map[string]any)
	walk = func(r map[string]any) {
		if gw, ok := r["group_wait"].(string); ok && gw != "0s" {
			r["group_wait"] = v.groupWait
		}
		if _, ok := r["group_interval"]; ok {
			r["group_interval"] = v.groupInterval
		}
		if _, ok := r["repeat_interval"]; ok {
			r["repeat_interval"] = v.repeat
			if r["receiver"] == "heartbeat" {
				r["group_interval"], r["repeat_interval"] = "1s", "500ms"
			}
		}
		for _, c := range asList(r["routes"]) {
			walk(c.(map[string]any))
		}
	}
	walk(cfg["route"].(map[string]any))

	for _, r := range asList(cfg["receivers"]) {
		rm := r.(map[string]any)
		name := rm["name"].(string)
		delete(rm, "email_configs")
		for _, w := range asList(rm["webhook_configs"]) {
			wm := w.(map[string]any)
			wm["url"] = v.sink.URL + "/webhook/" + name
			if name == "heartbeat" && v.heartbeatURL != "" {
				wm["url"] = v.heartbeatURL
			}
			if hc, ok := wm["http_config"].(map[string]any); ok {
				if a, ok := hc["authorization"].(map[string]any); ok {
					a["credentials_file"] = tokenFile
				}
				if a, ok := hc["basic_auth"].(map[string]any); ok {
					a["password_file"] = tokenFile
				}
			}
		}
	}

	active := map[string]bool{}
	for _, a := range v.active {
		active[a] = true
	}
	found := map[string]bool{}
	for _, ti := range asList(cfg["time_intervals"]) {
		tm := ti.(map[string]any)
		name := tm["name"].(string)
		found[name] = true
		if active[name] {
			// all day, every day, Beijing time: active now whatever the clock says
			tm["time_intervals"] = []any{map[string]any{"weekdays": []any{"sunday:saturday"}, "location": "Asia/Shanghai"}}
		} else {
			tm["time_intervals"] = []any{}
		}
	}
	for a := range active {
		if !found[a] {
			t.Fatalf("variant: calendar has no interval %q", a)
		}
	}
	b, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	amtool := testutil.Need(t, "amtool")
	if out, err := exec.Command(amtool, "check-config", path).CombinedOutput(); err != nil {
		t.Fatalf("test variant rejected: %v\n%s", err, out)
	}
	return path
}

// ---------------------------------------------------------------- Alertmanager processes

// amProc is one Alertmanager of a test; name tells the nodes of a cluster apart in failures.
type amProc struct {
	name string
	*testenv.Proc
}

// syncBuffer collects a process' output (the deadman's log).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startAM runs Debian's Alertmanager on loopback (testenv.StartAlertmanagerProc: Beijing
// time, debug log). extra adds cluster flags; without them the node runs single.
func startAM(t testing.TB, name, cfgPath string, extra ...string) *amProc {
	t.Helper()
	bin := testutil.Need(t, "prometheus-alertmanager")
	return &amProc{name: name, Proc: testenv.StartAlertmanagerProc(t, bin, cfgPath, append([]string{"--log.level=debug"}, extra...)...)}
}

// ---------------------------------------------------------------- API v2

type apiAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

type gettableAlert struct {
	Labels    map[string]string `json:"labels"`
	Receivers []struct {
		Name string `json:"name"`
	} `json:"receivers"`
	Status struct {
		State       string   `json:"state"`
		InhibitedBy []string `json:"inhibitedBy"`
		SilencedBy  []string `json:"silencedBy"`
	} `json:"status"`
	Fingerprint string `json:"fingerprint"`
}

func postAlerts(url string, alerts []apiAlert) error {
	b, err := json.Marshal(alerts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/api/v2/alerts", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST /api/v2/alerts: %s: %s", resp.Status, body)
	}
	return nil
}

func mustPost(t testing.TB, p *amProc, alerts []apiAlert) {
	t.Helper()
	if err := postAlerts(p.URL, alerts); err != nil {
		t.Fatalf("%s: %v", p.name, err)
	}
}

func getAlerts(t testing.TB, p *amProc) []gettableAlert {
	t.Helper()
	resp, err := http.Get(p.URL + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []gettableAlert
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// alert builds a firing alert; kv are label pairs. Every test alert carries a unique `id`
// label (not used by any group_by or inhibition equal list) so deliveries can be told apart.
func alert(kv ...string) apiAlert {
	a := apiAlert{Labels: map[string]string{}, Annotations: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		a.Labels[kv[i]] = kv[i+1]
	}
	a.Annotations["summary"] = "测试告警 " + a.Labels["id"] + "（" + a.Labels["alertname"] + "）"
	a.Annotations["description"] = "集成测试：" + a.Labels["id"]
	a.Annotations["runbook_url"] = "https://wiki.example.invalid/runbooks/" + a.Labels["alertname"]
	return a
}

// ---------------------------------------------------------------- notification sink

type webhookPayload struct {
	Receiver    string            `json:"receiver"`
	Status      string            `json:"status"`
	ExternalURL string            `json:"externalURL"`
	GroupKey    string            `json:"groupKey"`
	GroupLabels map[string]string `json:"groupLabels"`
	Alerts      []struct {
		Status      string            `json:"status"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"alerts"`
}

type notification struct {
	At       time.Time
	Kind     string // webhook | wecom
	Receiver string
	Auth     string
	Webhook  webhookPayload
	WeCom    struct {
		ToTag    string `json:"totag"`
		AgentID  string `json:"agentid"`
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
}

// sink records every webhook delivery and emulates the WeCom API (gettoken, message/send).
type sink struct {
	*httptest.Server
	mu    sync.Mutex
	notes []notification
}

func newSink(t testing.TB) *sink {
	s := &sink{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func (s *sink) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	n := notification{At: time.Now(), Auth: r.Header.Get("Authorization")}
	switch {
	case r.URL.Path == "/wecom/gettoken":
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok","access_token":"test-access-token","expires_in":7200}`)
		return
	case r.URL.Path == "/wecom/message/send":
		n.Kind = "wecom"
		if err := json.Unmarshal(body, &n.WeCom); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		// totag is REPLACE_ME_WECOM_TAG_ONCALL_<TEAM>
		tag := n.WeCom.ToTag
		n.Receiver = "oncall-" + strings.ToLower(tag[strings.LastIndex(tag, "_")+1:])
		fmt.Fprint(w, `{"errcode":0,"errmsg":"ok"}`)
	case strings.HasPrefix(r.URL.Path, "/webhook/"):
		n.Kind = "webhook"
		if err := json.Unmarshal(body, &n.Webhook); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		n.Receiver = strings.TrimPrefix(r.URL.Path, "/webhook/")
	default:
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.notes = append(s.notes, n)
	s.mu.Unlock()
}

func (s *sink) all() []notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notification(nil), s.notes...)
}

// delivered returns, per receiver, the sorted ids of firing alerts delivered by webhook.
func (s *sink) delivered() map[string][]string {
	out := map[string][]string{}
	seen := map[string]bool{}
	for _, n := range s.all() {
		if n.Kind != "webhook" {
			continue
		}
		for _, a := range n.Webhook.Alerts {
			k := n.Receiver + "/" + a.Labels["id"]
			if a.Status == "firing" && !seen[k] {
				seen[k] = true
				out[n.Receiver] = append(out[n.Receiver], a.Labels["id"])
			}
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

func (s *sink) wecomFor(receiver string) []string {
	var out []string
	for _, n := range s.all() {
		if n.Kind == "wecom" && n.Receiver == receiver {
			out = append(out, n.WeCom.Markdown.Content)
		}
	}
	return out
}

func ids(m map[string][]string) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + strings.Join(m[k], ",") + " ")
	}
	return strings.TrimSpace(b.String())
}

func mustAtoi(s string) int {
	i, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return i
}
