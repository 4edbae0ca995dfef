package alertmanager

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/alertmanager/internal/amconfig"
	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite template golden files")

const configFile = "alertmanager.yml"

// TestCheckConfig: Debian's amtool 0.25 accepts the configuration and the templates.
func TestCheckConfig(t *testing.T) {
	amtool := testutil.Need(t, "amtool")
	out, err := exec.Command(amtool, "check-config", configFile).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("SUCCESS")) {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

type routeCase struct {
	name      string
	labels    []string
	receivers string // comma-separated, in the order amtool prints them
}

// routeCases covers every route (and every leaf) of alertmanager.yml; TestRoutesCovered
// checks that nothing was left out.
// Every case but the heartbeat also goes to the recorder (route 0, continue: true).
var routeCases = []routeCase{
	{"watchdog heartbeat", []string{"alertname=Watchdog", "severity=info", "team=meta"}, "heartbeat"},
	{"watchdog without labels", []string{"alertname=Watchdog"}, "heartbeat"},
	{"budget half used → supervisors", []string{"alertname=SLABudgetHalfUsed", "severity=warning", "team=network", "site=bj1", "line=ctc-1"}, "recorder,supervisors"},
	{"rules' line budget (audience) → supervisors", []string{"alertname=LineErrorBudgetExhausted", "audience=supervisors", "severity=warning", "team=network", "site=bj1", "line=ctc-1"}, "recorder,supervisors"},
	{"rules' host budget (audience) → supervisors", []string{"alertname=HostErrorBudgetHalfUsed", "audience=supervisors", "severity=warning", "team=hosts", "site=bj1", "host=web01"}, "recorder,supervisors"},
	{"budget by name without audience", []string{"alertname=WebsiteErrorBudgetExhausted", "severity=warning", "team=websites", "site=bj1"}, "recorder,supervisors"},
	{"anything for supervisors", []string{"alertname=MonthlyReportFailed", "audience=supervisors", "severity=critical", "team=meta"}, "recorder,supervisors"},
	{"budget exhausted critical never pages", []string{"alertname=SLABudgetExhausted", "severity=critical", "team=hosts", "site=bj1", "host=web01"}, "recorder,supervisors"},
	{"critical facilities", []string{"alertname=EnvUPSOnBattery", "severity=critical", "team=facilities", "site=bj1", "room=A201", "device=ups-a1"}, "recorder,oncall-facilities"},
	{"critical room power", []string{"alertname=EnvRoomPowerLost", "severity=critical", "team=facilities", "site=bj1", "room=A201"}, "recorder,oncall-facilities"},
	{"critical network", []string{"alertname=LineDown", "severity=critical", "team=network", "site=bj1", "line=ctc-1"}, "recorder,oncall-network"},
	{"critical hosts", []string{"alertname=HostDown", "severity=critical", "team=hosts", "site=bj1", "host=web01"}, "recorder,oncall-hosts"},
	{"critical websites", []string{"alertname=WebsiteDown", "severity=critical", "team=websites", "site=bj1", "url=https://www.example.gov.cn/"}, "recorder,oncall-websites"},
	{"critical meta (rules' name)", []string{"alertname=MetaExporterDown", "severity=critical", "team=meta", "site=noc", "job=env_exporter", "instance=127.0.0.1:9810"}, "recorder,oncall-meta"},
	{"critical meta", []string{"alertname=ExporterDown", "severity=critical", "team=meta", "site=bj1", "job=env", "instance=127.0.0.1:9810"}, "recorder,oncall-meta"},
	{"critical without team pages meta on-call", []string{"alertname=Mystery", "severity=critical", "site=bj1"}, "recorder,oncall-meta"},
	// Warnings: the guard-period route (active_time_intervals, continue) comes first; amtool
	// ignores time intervals, so both receivers are listed. Outside guard periods only the
	// ticket is sent (shown by TestLive*).
	{"warning facilities", []string{"alertname=EnvTemperatureHigh", "severity=warning", "team=facilities", "site=bj1", "room=A201"}, "recorder,oncall-facilities,tickets-facilities"},
	{"warning network", []string{"alertname=LineHighLoss", "severity=warning", "team=network", "site=bj1", "line=ctc-1"}, "recorder,oncall-network,tickets-network"},
	{"warning hosts", []string{"alertname=HostHighLatency", "severity=warning", "team=hosts", "site=bj1", "host=web01"}, "recorder,oncall-hosts,tickets-hosts"},
	{"warning websites", []string{"alertname=WebsiteCertExpiring", "severity=warning", "team=websites", "site=bj1", "url=https://www.example.gov.cn/"}, "recorder,oncall-websites,tickets-websites"},
	{"warning meta", []string{"alertname=ExporterConfigReloadFailed", "severity=warning", "team=meta", "site=bj1"}, "recorder,oncall-meta,tickets-meta"},
	{"warning without team", []string{"alertname=Mystery", "severity=warning", "site=bj1"}, "recorder,oncall-meta,tickets-meta"},
	{"info", []string{"alertname=LineFlapped", "severity=info", "team=network", "site=bj1"}, "recorder,info-log"},
	{"no severity falls back to meta tickets", []string{"alertname=Mystery", "site=bj1"}, "recorder,tickets-meta"},
	{"unknown severity falls back to meta tickets", []string{"alertname=Mystery", "severity=page", "team=network"}, "recorder,tickets-meta"},
}

// TestRoutes runs every routing case through `amtool config routes test --verify.receivers`.
func TestRoutes(t *testing.T) {
	amtool := testutil.Need(t, "amtool")
	for _, c := range routeCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"config", "routes", "test", "--config.file=" + configFile, "--verify.receivers=" + c.receivers}, c.labels...)
			out, err := exec.Command(amtool, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("amtool %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}

// TestRoutesCovered: every receiver used by a route appears in the routing table above,
// every route of the tree is hit by at least one case, and every receiver is used.
func TestRoutesCovered(t *testing.T) {
	cfg := loadConfig(t, configFile)
	used := map[string]bool{}
	for _, c := range routeCases {
		for _, r := range strings.Split(c.receivers, ",") {
			used[r] = true
		}
	}
	var walk func(r map[string]any, path string)
	walk = func(r map[string]any, path string) {
		if rc, ok := r["receiver"].(string); ok && !used[rc] {
			t.Errorf("route %s: receiver %q is not covered by any routing case", path, rc)
		}
		for i, c := range asList(r["routes"]) {
			walk(c.(map[string]any), path+"/"+itoa(i))
		}
	}
	walk(cfg["route"].(map[string]any), "root")
	defined := map[string]bool{}
	for _, r := range asList(cfg["receivers"]) {
		name := r.(map[string]any)["name"].(string)
		defined[name] = true
		if !used[name] {
			t.Errorf("receiver %q is never reached by a routing case", name)
		}
	}
	for r := range used {
		if !defined[r] {
			t.Errorf("routing case expects undefined receiver %q", r)
		}
	}
}

// TestCalendarInSync: alertmanager.yml's time_intervals are what gencalendar
// writes from the calendar file (go generate ./alertmanager).
func TestCalendarInSync(t *testing.T) {
	cfg, err := os.ReadFile(configFile)
	if err != nil {
		t.Fatal(err)
	}
	want := generatedBlock(t, amconfig.CalendarFile)
	got, err := amconfig.Extract(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("alertmanager.yml's calendar block differs from what %s gives: run `go generate ./alertmanager`", amconfig.CalendarFile)
	}
}

func generatedBlock(t *testing.T, calendarFile string) []byte {
	t.Helper()
	c, err := calendar.Load(calendarFile)
	if err != nil {
		t.Fatal(err)
	}
	b, err := amconfig.TimeIntervals(c, amconfig.CalendarSource)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckConfigCalendarShapes: amtool accepts alertmanager.yml with the
// time_intervals generated from a calendar holding maintenance windows of
// every shape (partial days, 24:00, weekly across midnight) and guard periods
// across a month and a year end — not only the shipped calendar's whole days.
func TestCheckConfigCalendarShapes(t *testing.T) {
	amtool := testutil.Need(t, "amtool")
	cfg, err := os.ReadFile(configFile)
	if err != nil {
		t.Fatal(err)
	}
	block := generatedBlock(t, "internal/amconfig/testdata/calendar.yml")
	if !bytes.Contains(block, []byte("end_time: '24:00'")) || !bytes.Contains(block, []byte("weekdays: ['sunday'")) {
		t.Fatalf("test calendar does not exercise the shapes:\n%s", block)
	}
	out, err := amconfig.Splice(cfg, block)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs("templates")
	if err != nil {
		t.Fatal(err)
	}
	out = bytes.Replace(out, []byte("'templates/*.tmpl'"), []byte("'"+filepath.Join(abs, "*.tmpl")+"'"), 1)
	path := filepath.Join(t.TempDir(), "alertmanager.yml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := exec.CommandContext(t.Context(), amtool, "check-config", path).CombinedOutput()
	if err != nil || !bytes.Contains(res, []byte("SUCCESS")) {
		t.Fatalf("amtool check-config: %v\n%s", err, res)
	}
}

// TestCalendar: every calendar entry is in Beijing time, every interval name the routes use
// exists, and the guard/maintenance naming the routes rely on holds.
func TestCalendar(t *testing.T) {
	var cal struct {
		TimeIntervals []struct {
			Name          string           `yaml:"name"`
			TimeIntervals []map[string]any `yaml:"time_intervals"`
		} `yaml:"time_intervals"`
	}
	cfgBytes, err := os.ReadFile(configFile)
	if err != nil {
		t.Fatal(err)
	}
	b, err := amconfig.Extract(cfgBytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &cal); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, ti := range cal.TimeIntervals {
		if !regexp.MustCompile(`^(maintenance-(all|facilities|network|hosts|websites|meta)|guard-periods)$`).MatchString(ti.Name) {
			t.Errorf("calendar: unexpected interval name %q", ti.Name)
		}
		names[ti.Name] = true
		for i, e := range ti.TimeIntervals {
			if e["location"] != "Asia/Shanghai" {
				t.Errorf("calendar: %s entry %d has location %v, want Asia/Shanghai", ti.Name, i, e["location"])
			}
		}
	}
	cfg := loadConfig(t, configFile)
	var walk func(r map[string]any)
	walk = func(r map[string]any) {
		for _, k := range []string{"mute_time_intervals", "active_time_intervals"} {
			for _, n := range asList(r[k]) {
				if !names[n.(string)] {
					t.Errorf("route uses %s %q not defined in the calendar block", k, n)
				}
				if k == "active_time_intervals" && n != "guard-periods" || k == "mute_time_intervals" && !strings.HasPrefix(n.(string), "maintenance-") {
					t.Errorf("route uses %q as %s", n, k)
				}
			}
		}
		for _, c := range asList(r["routes"]) {
			walk(c.(map[string]any))
		}
	}
	walk(cfg["route"].(map[string]any))
	if !names["guard-periods"] || !names["maintenance-all"] {
		t.Error("calendar must define guard-periods and maintenance-all")
	}
}

// TestNoCommittedSecrets: inline secret-bearing fields hold REPLACE_ME placeholders, files
// are referenced through *_file / credentials_file.
func TestNoCommittedSecrets(t *testing.T) {
	cfg := loadConfig(t, configFile)
	secretKeys := regexp.MustCompile(`^(wechat_api_secret|api_secret|wechat_api_corp_id|corp_id|agent_id|smtp_auth_password|auth_password|smtp_auth_secret|auth_secret|credentials|password|bearer_token|url|api_url|to|to_tag|to_user|to_party|smtp_smarthost|smtp_from)$`)
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			for k, vv := range x {
				if s, ok := vv.(string); ok && secretKeys.MatchString(k) {
					if k == "wechat_api_url" || k == "api_url" && strings.HasPrefix(s, "https://qyapi.weixin.qq.com/") {
						continue
					}
					if !strings.Contains(s, "REPLACE_ME") {
						t.Errorf("%s/%s = %q: must be a REPLACE_ME placeholder (or a *_file)", path, k, s)
					}
				}
				if strings.HasSuffix(k, "_file") {
					if s, _ := vv.(string); !strings.HasPrefix(s, "/etc/prometheus/secrets/") {
						t.Errorf("%s/%s = %q: secrets live under /etc/prometheus/secrets/", path, k, s)
					}
				}
				p := path + "/" + k
				if k == "receivers" {
					for _, r := range x[k].([]any) {
						walk(r, "/receivers/"+r.(map[string]any)["name"].(string))
					}
					continue
				}
				walk(vv, p)
			}
		case []any:
			for _, e := range x {
				walk(e, path)
			}
		}
	}
	walk(cfg, "")
}

// TestTemplatesGolden renders every template for a firing and a resolved notification with
// Debian's `amtool template render` and compares with testdata/templates/*.golden
// (go test ./alertmanager -run TestTemplatesGolden -update rewrites them).
func TestTemplatesGolden(t *testing.T) {
	amtool := testutil.Need(t, "amtool")
	for _, data := range []string{"firing", "resolved", "many"} {
		for _, tc := range []struct{ name, typ string }{
			{"wecom.jianguan.message", "text"},
			{"text.jianguan.message", "text"},
			{"email.jianguan.subject", "text"},
			{"email.jianguan.html", "html"},
		} {
			t.Run(data+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				out, err := exec.Command(amtool, "template", "render",
					"--template.glob=templates/*.tmpl",
					"--template.type="+tc.typ,
					"--template.data="+filepath.Join("testdata", "templates", data+".json"),
					`--template.text={{ template "`+tc.name+`" . }}`).CombinedOutput()
				if err != nil {
					t.Fatalf("amtool template render: %v\n%s", err, out)
				}
				golden := filepath.Join("testdata", "templates", data+"."+tc.name+".golden")
				if *update {
					if err := os.WriteFile(golden, out, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create)", err)
				}
				if !bytes.Equal(out, want) {
					t.Fatalf("%s differs from golden %s:\n--- got\n%s\n--- want\n%s", tc.name, golden, out, want)
				}
				checkRendered(t, data, tc.name, string(out))
			})
		}
	}
}

// checkRendered asserts the essentials independent of the golden bytes: Chinese intact,
// Beijing time, the runbook link, resolved wording, and WeCom's 2048-byte markdown limit.
func checkRendered(t *testing.T, data, name, out string) {
	t.Helper()
	if strings.Contains(out, "\ufffd") || strings.Contains(out, "&#") && !strings.Contains(name, "html") {
		t.Errorf("mangled characters in %s", name)
	}
	want := map[string][]string{
		"firing":   {"告警", "紧急", "LineDown", "站点 bj-dc1"},
		"resolved": {"已恢复", "警告", "机房 A201"},
		"many":     {"告警:7"},
	}[data]
	if name != "email.jianguan.subject" {
		want = append(want, map[string][]string{
			"firing":   {"线路 ctc-bgp-1（中国电信）中断", "2026-11-29 02:03:04", "https://wiki.example.invalid/runbooks/network#linedown", "Line cuc-leased-2 down", "Interface down for 30s."},
			"resolved": {"UPS ups-a1 转电池供电", "2026-11-29 00:59:00", "2026-11-29 01:06:30", "7m30s", "剩余续航 25 分钟"},
			"many":     {"主机 web05", "市财政局"},
		}[data]...)
	}
	if data == "many" && name == "wecom.jianguan.message" {
		want = append(want, "其余告警见 Alertmanager")
	} else if data == "many" && name != "email.jianguan.subject" {
		want = append(want, "主机 web07")
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s/%s: missing %q", data, name, w)
		}
	}
	if name == "wecom.jianguan.message" && len(out) > 2048 {
		t.Errorf("WeCom markdown is %d bytes, limit 2048", len(out))
	}
}

func loadConfig(t testing.TB, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func itoa(i int) string { return strconv.Itoa(i) }
