package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/metricnames"
	"github.com/jianguan/jianguan/internal/simsite"
)

// Fixed loopback endpoints. The exporters keep their documented ports;
// Prometheus and Alertmanager use 19090/19093 so a packaged Prometheus on
// 9090 does not collide; snmpsim uses the port the demo configs name.
const (
	addrEnv     = "127.0.0.1:9810"
	addrLine    = "127.0.0.1:9811"
	addrUptime  = "127.0.0.1:9812"
	addrDeadman = "127.0.0.1:9813"
	addrProm    = "127.0.0.1:19090"
	addrAM      = "127.0.0.1:19093"
	addrSink    = "127.0.0.1:19099"
	addrSNMP    = "127.0.0.1:11161"
	addrSite1   = "127.0.0.1:18081"
)

func isRoot() bool { return os.Geteuid() == 0 }

// up starts the whole stack in dependency order.
func (d *demo) up(ctx context.Context) error {
	for _, a := range []string{addrEnv, addrLine, addrUptime, addrDeadman, addrProm, addrAM, addrSink, addrSite1, addrRecorder} {
		if c, err := net.DialTimeout("tcp", a, 200*time.Millisecond); err == nil {
			c.Close()
			return fmt.Errorf("%s is already in use (another demo still running? stop it first)", a)
		}
	}
	d.week = demoWeek(time.Now())
	var err error
	if d.sink, err = startSink(addrSink, func(s string) {
		if !d.smoke {
			d.logf("%s", s)
		}
	}); err != nil {
		return err
	}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"snmpsim (machine room and core router)", d.startSNMPSim},
		{"env_exporter", d.startEnv},
		{"lines", d.startLines},
		{"websites and uptime_exporter", d.startUptime},
		{"dead man's switch", d.startDeadman},
		{"Prometheus with backfilled history", d.startPrometheus},
		{"jianguan-recorder (records, SQLite)", d.startRecorder},
		{"Alertmanager", d.startAlertmanager},
		{"a week of records through the recorder's API", d.writeWeek},
		{"documents from the week's records", d.recordDocs},
		{"last month's reports", d.reports},
		{"last month's provider assessment and the year's rating (evaluation.go)", d.evaluationReports},
	}
	for _, s := range steps {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d.logf("starting %s …", s.name)
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	d.urls = append(d.urls,
		"env_exporter:       http://"+addrEnv+"/",
		"line_exporter:      http://"+addrLine+"/",
		"uptime_exporter:    http://"+addrUptime+"/",
		"deadman:            http://"+addrDeadman+"/metrics",
		"Prometheus:         http://"+addrProm+"/alerts",
		"Alertmanager:       http://"+addrAM+"/",
		"recorder:           http://"+addrRecorder+"/api/v1/alerts (records: route 0 of Alertmanager; a week of inspections, alerts, an incident, a repair)",
		"notification sink:  http://"+addrSink+" (notifications are printed here)",
	)
	return nil
}

func (d *demo) startSNMPSim(ctx context.Context) error {
	data := filepath.Join(d.work, "snmpsim", "data")
	cache := filepath.Join(d.work, "snmpsim", "cache")
	for _, dir := range []string{data, cache} {
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return err
		}
		_ = os.Chmod(dir, 0o777)
	}
	// The machine room: the site model's devices (live.go); the core router as shipped.
	start := time.Now()
	env, err := d.writeLiveRoom(data, start)
	if err != nil {
		return err
	}
	d.envConfig = env
	files, _ := filepath.Glob(filepath.Join(d.root, "exporters/line_exporter/demo/*.snmprec"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(data, filepath.Base(f)), liveRouter(b), 0o666); err != nil {
			return err
		}
	}
	args := []string{"--data-dir=" + data, "--cache-dir=" + cache, "--agent-udpv4-endpoint=" + addrSNMP}
	if isRoot() {
		args = append(args, "--process-user=nobody", "--process-group=nogroup")
	}
	pr, err := d.p.start("snmpsimd", nil, "snmpsimd", args...)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		out, err := exec.CommandContext(ctx, "snmpget", "-v2c", "-c", simsite.UPSs[0], "-t", "1", "-r", "0", addrSNMP, "1.3.6.1.2.1.33.1.4.1.0").CombinedOutput()
		if err == nil && strings.Contains(string(out), "INTEGER") {
			go d.followModel(ctx, d.live, start)
			return nil
		}
		if pr.exited() || time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("snmpsimd does not answer on %s; log:\n%s", addrSNMP, pr.tail(15))
		}
		time.Sleep(time.Second)
	}
}

func (d *demo) startEnv(ctx context.Context) error {
	pr, err := d.p.start("env_exporter", nil, d.binPath("env_exporter"),
		"--config.file="+d.envConfig, "--web.listen-address="+addrEnv)
	if err != nil {
		return err
	}
	return waitHTTP(ctx, pr, "http://"+addrEnv+"/-/healthy", 30*time.Second)
}

// startLines builds the netns lines when root (loopback lines otherwise)
// and starts line_exporter, with the simulated core router's BGP session and
// interface as signals of the BGP line.
func (d *demo) startLines(ctx context.Context) error {
	script := filepath.Join(d.root, "exporters/line_exporter/demo/lines.sh")
	src := filepath.Join(d.root, "exporters/line_exporter/demo/line-loopback.yml")
	var extra []string
	if isRoot() {
		if out, err := exec.CommandContext(ctx, "bash", script, "up").CombinedOutput(); err != nil {
			return fmt.Errorf("lines.sh up: %v: %s", err, out)
		}
		d.undo = append(d.undo, func() { _ = exec.Command("bash", script, "down").Run() })
		src = filepath.Join(d.root, "exporters/line_exporter/demo/line.yml")
		extra = append(extra, "--icmp.netns=jgdemo-core")
	} else {
		d.logf("not root: lines are simulated on loopback (127.0.0.11-15) and cannot be cut")
	}
	cfg, err := d.lineConfig(src)
	if err != nil {
		return err
	}
	path, err := d.writeFile("line.yml", cfg)
	if err != nil {
		return err
	}
	args := append([]string{"--config.file=" + path, "--web.listen-address=" + addrLine}, extra...)
	pr, err := d.p.start("line_exporter", nil, d.binPath("line_exporter"), args...)
	if err != nil {
		return err
	}
	return waitHTTP(ctx, pr, "http://"+addrLine+"/-/healthy", 30*time.Second)
}

// lineConfig adds the simulated core router (snmpsim community "router")
// to the demo line config: the BGP line gets its interface and BGP peer.
func (d *demo) lineConfig(src string) ([]byte, error) {
	b, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	cfg["routers"] = []any{map[string]any{
		"name": "core-rtr", "address": addrSNMP, "auth": map[string]any{"community": "router"}, "interval": "5s",
	}}
	lines, _ := cfg["lines"].([]any)
	if len(lines) != len(simsite.Lines) {
		return nil, fmt.Errorf("%s: %d lines, the site has %d (internal/simsite)", src, len(lines), len(simsite.Lines))
	}
	for i, l := range lines { // the site's lines, carriers and rates (the shipped file's targets)
		m, _ := l.(map[string]any)
		sl := simsite.Lines[i]
		m["name"], m["kind"], m["provider"], m["site"] = sl.Name, sl.Kind, sl.Provider, simsite.SiteName
		m["capacity"] = fmt.Sprintf("%gM", sl.BitsPerSecond/1e6)
	}
	for _, l := range lines {
		m, _ := l.(map[string]any)
		if m["kind"] == "bgp" {
			m["router"] = "core-rtr"
			m["interface"] = map[string]any{"name": "c1"}
			m["bgp_peers"] = []any{"10.79.1.2"}
			break
		}
	}
	return yaml.Marshal(cfg)
}

func (d *demo) startUptime(ctx context.Context) error {
	ca := filepath.Join(os.TempDir(), "jianguan-demo", "ca.pem")
	sites, err := d.p.start("demo-sites", nil, d.binPath("demo-sites"), "--ca="+ca)
	if err != nil {
		return err
	}
	if err := waitTCP(ctx, sites, addrSite1, 30*time.Second); err != nil {
		return err
	}
	cfg, err := d.writeLiveTargets(ca, time.Now())
	if err != nil {
		return err
	}
	pr, err := d.p.start("uptime_exporter", nil, d.binPath("uptime_exporter"),
		"--config.file="+cfg, "--web.listen-address="+addrUptime)
	if err != nil {
		return err
	}
	return waitHTTP(ctx, pr, "http://"+addrUptime+"/-/healthy", 30*time.Second)
}

func (d *demo) startDeadman(ctx context.Context) error {
	pr, err := d.p.start("deadman", nil, d.binPath("deadman"), "--web.listen-address="+addrDeadman,
		"--deadman.timeout=3m", "--deadman.site=demo-dc1", "--deadman.webhook.url=http://"+addrSink+"/deadman")
	if err != nil {
		return err
	}
	return waitHTTP(ctx, pr, "http://"+addrDeadman+"/metrics", 30*time.Second)
}

func (d *demo) startPrometheus(ctx context.Context) error {
	dataDir := filepath.Join(d.work, "prometheus")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	if err := d.backfill(ctx, dataDir); err != nil {
		return err
	}
	cfg, err := d.prometheusConfig()
	if err != nil {
		return err
	}
	path, err := d.writeFile("prometheus.yml", cfg)
	if err != nil {
		return err
	}
	resend, err := shippedResendDelay(d.root)
	if err != nil {
		return err
	}
	pr, err := d.p.start("prometheus", nil, "prometheus", "--config.file="+path,
		"--storage.tsdb.path="+dataDir, "--storage.tsdb.retention.time=400d",
		"--web.listen-address="+addrProm, "--web.enable-lifecycle", resend)
	if err != nil {
		return err
	}
	if err := waitHTTP(ctx, pr, "http://"+addrProm+"/-/ready", 120*time.Second); err != nil {
		return err
	}
	d.promStarted = time.Now()
	return nil
}

// shippedResendDelay is the --rules.alert.resend-delay flag production
// runs Prometheus with (deploy/prometheus/prometheus.default; its comment and
// rules/README.md say why 1 min): the demo's pages and resolutions behave as
// a deployment's.
func shippedResendDelay(root string) (string, error) {
	p := filepath.Join(root, "deploy", "prometheus", "prometheus.default")
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	f := resendFlag.Find(b)
	if f == nil {
		return "", fmt.Errorf("%s: no --rules.alert.resend-delay=DURATION", p)
	}
	return string(f), nil
}

var resendFlag = regexp.MustCompile(`--rules\.alert\.resend-delay=[0-9a-z]+`)

func (d *demo) startAlertmanager(ctx context.Context) error {
	cfg, err := d.alertmanagerConfig()
	if err != nil {
		return err
	}
	path, err := d.writeFile("alertmanager.yml", cfg)
	if err != nil {
		return err
	}
	pr, err := d.p.start("alertmanager", []string{"TZ=Asia/Shanghai"}, "prometheus-alertmanager",
		"--config.file="+path, "--storage.path="+filepath.Join(d.work, "alertmanager"),
		"--web.listen-address="+addrAM, "--cluster.listen-address=")
	if err != nil {
		return err
	}
	return waitHTTP(ctx, pr, "http://"+addrAM+"/-/ready", 60*time.Second)
}

func waitTCP(ctx context.Context, pr *proc, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		if pr.exited() || time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%s does not listen on %s; log:\n%s", pr.name, addr, pr.tail(15))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// promSample is one element of an instant query's result.
type promSample struct {
	Metric map[string]string
	Value  float64
}

// promInstant runs an instant query against the demo's Prometheus (answer
// bounded to 16 MiB).
func promInstant(ctx context.Context, q string) ([]promSample, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addrProm+"/api/v1/query?query="+url.QueryEscape(q), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&r); err != nil {
		return nil, fmt.Errorf("query %s: %v", q, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", q, r.Error)
	}
	out := make([]promSample, 0, len(r.Data.Result))
	for _, s := range r.Data.Result {
		v, _ := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
		out = append(out, promSample{s.Metric, v})
	}
	return out, nil
}

// promQuery runs an instant query and returns the samples' values by their
// label sets rendered as text.
func promQuery(ctx context.Context, q string) (map[string]float64, error) {
	ss, err := promInstant(ctx, q)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, s := range ss {
		out[fmt.Sprint(s.Metric)] = s.Value
	}
	return out, nil
}

func scalar(ctx context.Context, q string) float64 {
	m, err := promQuery(ctx, q)
	if err != nil || len(m) == 0 {
		return -1
	}
	for _, v := range m {
		return v
	}
	return -1
}

// statusLoop prints one status line every 10 s until Ctrl-C.
func (d *demo) statusLoop(ctx context.Context) {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Println()
			return
		case <-t.C:
		}
		f := func(q string) string {
			v := scalar(ctx, q)
			if v < 0 {
				return "?"
			}
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		d.logf("lines up %s/%s · hosts up %s/%s · websites up %s/%s · UPS on battery %s · alerts firing %s · notifications %d",
			f("sum("+metricnames.Line.Up()+")"), f("count("+metricnames.Line.Up()+")"),
			f("sum("+metricnames.Host.Up()+")"), f("count("+metricnames.Host.Up()+")"),
			f("sum("+metricnames.Website.Up()+")"), f("count("+metricnames.Website.Up()+")"), f(`sum(env_ups_on_battery)`),
			f(`count(ALERTS{alertstate="firing"})`), d.sink.count())
	}
}

// runScenario SCENARIO=outage: a minute after start, the room loses utility
// power (both feeds, UPS pair on battery) and the leased line 2 is cut for
// two minutes; the pages and the inhibited dependants can be watched in
// Alertmanager and at the sink. Power returns after three minutes.
func (d *demo) runScenario(ctx context.Context) {
	if d.scenario != "outage" {
		d.logf("unknown scenario %q (known: outage)", d.scenario)
		return
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Minute):
	}
	d.logf("SCENARIO outage: " + simsite.Room + " loses utility power (feeds down, UPS pair on battery); line 2 is cut for 2 min")
	d.setPower(ctx, false)
	if isRoot() {
		go func() {
			_ = exec.CommandContext(ctx, "bash", filepath.Join(d.root, "exporters/line_exporter/demo/lines.sh"), "cut", "2", "120").Run()
			d.logf("SCENARIO outage: line 2 restored")
		}()
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(3 * time.Minute):
	}
	d.setPower(ctx, true)
	d.logf("SCENARIO outage: utility power restored")
}

// setPower switches the room's feeds and UPS pair through snmpsim writecache.
func (d *demo) setPower(ctx context.Context, on bool) {
	feed, ups := "0", "5"
	if on {
		feed, ups = "1", "3"
	}
	for _, s := range [][]string{
		{"ats-1", "1.3.6.1.4.1.99999.12.1.0", feed},
		{"ats-1", "1.3.6.1.4.1.99999.12.2.0", feed},
		{simsite.UPSs[0], "1.3.6.1.2.1.33.1.4.1.0", ups},
		{simsite.UPSs[1], "1.3.6.1.2.1.33.1.4.1.0", ups},
	} {
		if err := snmpSet(ctx, s[0], s[1], s[2]); err != nil {
			d.logf("snmpset %s %s: %v", s[0], s[1], err)
		}
	}
}

func snmpSet(ctx context.Context, community, oid, value string) error {
	out, err := exec.CommandContext(ctx, "snmpset", "-v2c", "-c", community, "-t", "2", "-r", "2", addrSNMP, oid, "i", value).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
