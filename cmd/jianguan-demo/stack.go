package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/simsite"
)

func (d *demo) binPath(name string) string { return filepath.Join(d.bin, name) }

func (d *demo) writeFile(name string, data []byte) (string, error) {
	p := filepath.Join(d.work, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	return p, os.WriteFile(p, data, 0o644)
}

// prometheusConfig scrapes the demo's exporters at the shipped intervals,
// loads rules/ and alerts the demo's Alertmanager.
func (d *demo) prometheusConfig() ([]byte, error) {
	rules, err := filepath.Glob(filepath.Join(d.root, "rules", "*.yml"))
	if err != nil || len(rules) == 0 {
		return nil, fmt.Errorf("no rules in %s", filepath.Join(d.root, "rules"))
	}
	job := func(name, interval string, addr string) map[string]any {
		return map[string]any{
			"job_name":        name,
			"scrape_interval": interval,
			"scrape_timeout":  "4s",
			// No site target label: the exporters' series carry the site's
			// own (simsite.SiteName); a target label would rename theirs
			// exported_site and split the live series from the history.
			"static_configs": []any{map[string]any{"targets": []string{addr}}},
		}
	}
	cfg := map[string]any{
		"global": map[string]any{
			"scrape_interval":     "15s",
			"evaluation_interval": "5s",
			"external_labels":     map[string]string{"cluster": "demo"},
		},
		"rule_files": rules,
		"alerting": map[string]any{"alertmanagers": []any{map[string]any{
			"static_configs": []any{map[string]any{"targets": []string{addrAM}}},
		}}},
		"scrape_configs": []any{
			job("env_exporter", "15s", addrEnv),
			job("line_exporter", "5s", addrLine),
			job("uptime_exporter", "15s", addrUptime),
			job("deadman", "15s", addrDeadman),
			job("prometheus", "15s", addrProm),
			job("alertmanager", "15s", addrAM),
			job("jianguan-recorder", "15s", addrRecorder),
		},
	}
	return yaml.Marshal(cfg)
}

// alertmanagerConfig takes alertmanager/alertmanager.yml as shipped (routes,
// inhibition, calendar, templates) and points every receiver at the local
// sink, the heartbeat at the demo's dead man's switch.
func (d *demo) alertmanagerConfig() ([]byte, error) {
	src := filepath.Join(d.root, "alertmanager", "alertmanager.yml")
	b, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", src, err)
	}
	cfg["global"] = map[string]any{"resolve_timeout": "5m"}
	cfg["templates"] = []string{filepath.Join(d.root, "alertmanager", "templates", "*.tmpl")}
	recvs, _ := cfg["receivers"].([]any)
	for i, r := range recvs {
		m, _ := r.(map[string]any)
		name, _ := m["name"].(string)
		wh := map[string]any{"url": fmt.Sprintf("http://%s/%s", addrSink, name), "send_resolved": true}
		switch name {
		case "heartbeat":
			wh["url"] = fmt.Sprintf("http://%s/heartbeat", addrDeadman)
		case "recorder": // route 0: every notification is also recorded
			wh["url"], wh["max_alerts"] = fmt.Sprintf("http://%s/api/v1/alertmanager", addrRecorder), 0
		}
		recvs[i] = map[string]any{"name": name, "webhook_configs": []any{wh}}
	}
	// Shorter waits than production so the demo shows pages quickly.
	if route, ok := cfg["route"].(map[string]any); ok {
		shorten(route)
	}
	return yaml.Marshal(cfg)
}

func shorten(route map[string]any) {
	if gw, ok := route["group_wait"].(string); ok {
		if d, err := time.ParseDuration(gw); err == nil && d > 5*time.Second {
			route["group_wait"] = "5s"
		}
	}
	if subs, ok := route["routes"].([]any); ok {
		for _, s := range subs {
			if m, ok := s.(map[string]any); ok {
				shorten(m)
			}
		}
	}
}

// historyStep is the back-filled history's sample interval outside the
// site model's event regions (inside them the room's gauges are sampled
// every simsite.Fine): counters are exact at every sample, so monthly
// figures are exact, and 35 days stay a few million samples.
const historyStep = 600 * time.Second

// historyDenseStep is the interval of the room's event-driven gauges and
// the lines' traffic counters in make demo's history (simsite samples them
// every 15 s; make demo-reports does): every minute, uniform, so averages
// over samples are time averages, rate(…[5m]) has five samples and every
// excursion of a minute or more shows. At 15 s the 35 days were 14.8 M
// OpenMetrics lines (1.9 GB) for promtool, more than twice the rest.
const historyDenseStep = time.Minute

// backfill writes ~35 days of the contract's site (internal/simsite: the
// calendar's events and the week's, records.go) and turns it into TSDB
// blocks in the Prometheus data directory. promtool writes month-sized
// blocks: it re-reads its whole input once per block, and 2 h blocks over
// 35 days took many minutes.
func (d *demo) backfill(ctx context.Context, dataDir string) error {
	om := filepath.Join(d.work, "history.om")
	end := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Hour)
	from := end.Add(-demoHistoryDays * 24 * time.Hour)
	// Always the whole of last month (Asia/Shanghai), so its reports can be rendered.
	lt := end.In(shanghai)
	if lm := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, shanghai).AddDate(0, -1, 0).Add(-6 * time.Hour); lm.Before(from) {
		from = lm.UTC().Truncate(historyStep)
	}
	d.logf("generating the site's history (internal/simsite) %s – %s …", from.Format(time.RFC3339), end.Format(time.RFC3339))
	sp, _, _ := simsite.ScenarioWith(from, end, historyStep, d.week.events()...)
	sp.DenseStep = historyDenseStep
	f, err := os.Create(om)
	if err != nil {
		return err
	}
	if err := simhistory.WriteOpenMetrics(f, sp); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	d.logf("backfilling Prometheus TSDB (promtool tsdb create-blocks-from openmetrics) …")
	if out, err := exec.CommandContext(ctx, "promtool", "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=744h", om, dataDir).CombinedOutput(); err != nil {
		return fmt.Errorf("promtool tsdb create-blocks-from openmetrics: %v: %s", err, tailString(string(out), 20))
	}
	_ = os.Remove(om)
	return nil
}

// reports renders last month's four reports, in every format, into
// out/reports with the same engine the Grafana plugin uses.
func (d *demo) reports(ctx context.Context) error {
	now := time.Now().In(shanghai)
	last := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, shanghai).AddDate(0, -1, 0).Format("2006-01")
	dir := filepath.Join(d.out, "reports")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, d.binPath("jianguan-report"), "--prometheus.url=http://"+addrProm,
		"--month="+last, "--all", "--out-dir="+dir, "--org=示例市政务云 Demo City Government Cloud")
	b, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("jianguan-report --all --month=%s: %v: %s", last, err, tailString(string(b), 10))
	}
	d.logf("reports for %s written to %s (infrastructure, lines, hosts, providers × html, pdf, csv, xlsx, json)", last, dir)
	return d.efficiencyReports(ctx, last, dir) // deliverable 24 (efficiency.go)
}

var shanghai = calendar.Zone

func tailString(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
