package rules

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

// ruleFiles are the rule files shipped to Prometheus, in load order.
var ruleFiles = []string{"recording.yml", "sla.yml", "alerts.yml"}

type ruleGroup struct {
	Name     string `yaml:"name"`
	Interval string `yaml:"interval"`
	Rules    []rule `yaml:"rules"`
}

type rule struct {
	Record      string            `yaml:"record"`
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadRuleFile(file string) ([]ruleGroup, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var f struct {
		Groups []ruleGroup `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return f.Groups, nil
}

func allRules(t *testing.T) []rule {
	t.Helper()
	var out []rule
	for _, f := range ruleFiles {
		gs, err := loadRuleFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range gs {
			out = append(out, g.Rules...)
		}
	}
	return out
}

func run(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	return runCmd(t, timeout, nil, name, args...)
}

// runBatch is run for a CPU-bound batch job (promtool test rules: the long
// SLA files evaluate every group every minute for 15-21 h) with
// GOMAXPROCS=1 and GOGC=400: promtool evaluates on one goroutine, and with
// two Ps the Go runtime spends the idle one on GC mark workers, which on a
// 2-core machine running ~30 promtools and another package's tests only
// takes CPU from them; GOGC=400 is most of the gain. User CPU of
// sla_generated_test.yml at load ≈ 3.5 (2026-12-05), default → these
// settings: promtool 2.42 98-116 s → 78-80 s (RSS 75 → 150 MB), 3.x
// 53-58 s → 44-46 s (RSS 120 → 220 MB). The tool, its input and its verdict
// are unchanged.
func runBatch(t *testing.T, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	return runCmd(t, timeout, []string{"GOMAXPROCS=1", "GOGC=400"}, name, args...)
}

// runCmd runs name with args and env added to the test's environment, and
// returns its combined output; an error or timeout fails the test.
func runCmd(t *testing.T, timeout time.Duration, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// promtools are the promtool binaries the rules are tested with: Debian's
// Prometheus 2.42 (PATH) and Prometheus 3.x (scripts/prom3.sh, `make prom3`).
// Every rule must give the same figures on both (rules/README.md).
func promtools(t *testing.T) []struct{ name, path string } {
	t.Helper()
	p2 := testutil.Need(t, "promtool")
	_, p3 := testutil.Prom3(t)
	return []struct{ name, path string }{{"prom2", p2}, {"prom3", p3}}
}

func TestPromtoolCheckRules(t *testing.T) {
	for _, p := range promtools(t) {
		t.Run(p.name, func(t *testing.T) {
			out := run(t, time.Minute, p.path, append([]string{"check", "rules", "--lint=all", "--lint-fatal"}, ruleFiles...)...)
			t.Log(out)
		})
	}
}

// TestPromtoolTestRules runs every file in tests/ with both promtools
// (subtests prom2/<file> and prom3/<file>), with the same expectations: a
// figure that differs between Prometheus 2.42 and 3.x fails one of them
// (issue 17, item 9: range selectors closed at both ends in 2.x, left-open in
// 3.x; increase() extrapolating to the window edges).
func TestPromtoolTestRules(t *testing.T) {
	tools := promtools(t)
	t.Parallel() // with the end-to-end tests, which mostly wait
	files, _ := filepath.Glob("tests/*.yml")
	if len(files) == 0 {
		t.Fatal("no promtool tests in rules/tests")
	}
	// One promtool per file, in parallel: the long-range files dominate
	// (sla_generated_test.yml and sla_restart_mid_hour_test.yml evaluate every
	// minute for 15-21 h: up to 4 min each with promtool 2.42, ~1 min with 3.x,
	// on a 2-core machine at load 12), so they take the first slots.
	long := func(f string) bool {
		return strings.HasPrefix(filepath.Base(f), "sla_generated") || strings.HasPrefix(filepath.Base(f), "sla_restart")
	}
	slices.SortStableFunc(files, func(a, b string) int {
		switch {
		case long(a) && !long(b):
			return -1
		case long(b) && !long(a):
			return 1
		}
		return 0
	})
	for _, p := range tools {
		p := p
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			for _, f := range files {
				f := f
				t.Run(filepath.Base(f), func(t *testing.T) {
					t.Parallel()
					start := time.Now()
					runBatch(t, 10*time.Minute, p.path, "test", "rules", f)
					t.Logf("%s %s passed in %s", p.name, f, time.Since(start).Round(time.Millisecond))
				})
			}
		})
	}
}

func TestVMAlertDryRun(t *testing.T) {
	vmalert := testutil.Need(t, "vmalert")
	args := []string{"-dryRun", "-loggerLevel=ERROR"}
	for _, f := range ruleFiles {
		args = append(args, "-rule="+f)
	}
	run(t, time.Minute, vmalert, args...)
}

// ---- metric contract ----

var backticked = regexp.MustCompile("`([^`]+)`")
var metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)

// contractMetrics parses docs/metrics.md: every backticked metric-like name,
// with the availability family NS_ expanded to every namespace, the "/ `_x`"
// shorthand expanded against the previous name, histogram rows given their
// _bucket/_count/_sum series and line_device_* derived from env_device_*.
func contractMetrics(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	namespaces := []string{"line", "line_signal", "host", "website", "env_condition", "env", "uptime"}
	names := map[string]bool{}
	add := func(n string, histogram bool) {
		var all []string
		if strings.HasPrefix(n, "NS_") {
			for _, ns := range namespaces {
				all = append(all, ns+strings.TrimPrefix(n, "NS"))
			}
		} else {
			all = []string{n}
		}
		for _, a := range all {
			names[a] = true
			if histogram {
				names[a+"_bucket"], names[a+"_count"], names[a+"_sum"] = true, true, true
			}
		}
	}
	lineDevice := false
	for _, line := range strings.Split(string(b), "\n") {
		histogram := strings.Contains(line, "histogram")
		prev := ""
		for _, m := range backticked.FindAllStringSubmatch(line, -1) {
			tok := strings.TrimSpace(m[1])
			if i := strings.Index(tok, "{"); i > 0 { // `host_probes_total{check}`
				tok = tok[:i]
			}
			switch {
			case tok == "line_device_*":
				lineDevice = true
				continue
			case strings.HasPrefix(tok, "_") && prev != "" && metricName.MatchString(tok):
				suf := strings.Split(strings.TrimPrefix(tok, "_"), "_")
				seg := strings.Split(prev, "_")
				if len(seg) > len(suf) {
					tok = strings.Join(append(seg[:len(seg)-len(suf)], suf...), "_")
				}
			}
			if !metricName.MatchString(tok) || !strings.Contains(tok, "_") {
				continue
			}
			add(tok, histogram)
			prev = tok
		}
	}
	if lineDevice {
		for n := range names {
			if strings.HasPrefix(n, "env_device_") {
				names["line_device_"+strings.TrimPrefix(n, "env_device_")] = true
			}
		}
	}
	return names
}

// prometheusOwn are Prometheus' own series that meta alerts use; they are not
// exporter metrics and so not in docs/metrics.md.
var prometheusOwn = map[string]bool{
	"up": true,
	"prometheus_rule_evaluation_failures_total": true,
}

func selectorNames(t *testing.T, expr string) []string {
	t.Helper()
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		t.Fatalf("parse %q: %v", expr, err)
	}
	var out []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			name := vs.Name
			for _, m := range vs.LabelMatchers {
				if m.Name == "__name__" {
					name = m.Value
				}
			}
			if name == "" {
				t.Errorf("selector without a metric name in %q", expr)
			}
			out = append(out, name)
		}
		return nil
	})
	return out
}

func TestMetricNamesInContract(t *testing.T) {
	contract := contractMetrics(t)
	// sanity: the parser must understand the contract's shorthands
	for _, n := range []string{"line_up", "host_down_seconds_total", "env_condition_active_seconds_total",
		"env_threshold_temperature_high_celsius", "env_threshold_rack_power_critical_watts",
		"line_icmp_rtt_seconds_bucket", "line_device_up", "uptime_config_last_reload_successful"} {
		if !contract[n] {
			t.Errorf("contract parser misses %s", n)
		}
	}
	rules := allRules(t)
	recorded := map[string]bool{}
	for _, r := range rules {
		if r.Record != "" {
			recorded[r.Record] = true
		}
	}
	checked := 0
	for _, r := range rules {
		for _, n := range selectorNames(t, r.Expr) {
			checked++
			if !contract[n] && !recorded[n] && !prometheusOwn[n] {
				t.Errorf("rule %s%s uses %q: neither in docs/metrics.md nor a recording rule in rules/", r.Record, r.Alert, n)
			}
		}
	}
	t.Logf("%d selectors checked against %d contract names and %d recording rules", checked, len(contract), len(recorded))
}

// TestMetricNameCheckCatchesDrift shows the check is not vacuous.
func TestMetricNameCheckCatchesDrift(t *testing.T) {
	contract := contractMetrics(t)
	for _, bogus := range []string{"line_is_up", "env_ups_on_batery", "host_rtt_seconds_bucket_total"} {
		for _, n := range selectorNames(t, "sum(rate("+bogus+"[5m]))") {
			if contract[n] {
				t.Errorf("%s accepted as a contract metric", n)
			}
		}
	}
}

// ---- alert hygiene ----

var validTeams = map[string]bool{"facilities": true, "network": true, "hosts": true, "websites": true, "meta": true}
var validSeverity = map[string]bool{"critical": true, "warning": true, "info": true}
var camel = regexp.MustCompile(`^(Env|Line|Host|Website|SLA|Exporter|Meta|Watchdog)[A-Za-z0-9]*$`)
var han = regexp.MustCompile(`\p{Han}`)

func runbookAnchors(t *testing.T) map[string]bool {
	b, err := os.ReadFile("runbook.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile(`<a id="([a-z0-9-]+)"></a>`).FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = true
	}
	return out
}

func TestAlertsHygiene(t *testing.T) {
	anchors := runbookAnchors(t)
	const base = "https://github.com/jianguan/jianguan/blob/main/rules/runbook.md#"
	seen := map[string]bool{}
	for _, r := range allRules(t) {
		if r.Alert == "" {
			continue
		}
		seen[r.Alert] = true
		if !camel.MatchString(r.Alert) {
			t.Errorf("%s: not CamelCase with a component prefix", r.Alert)
		}
		if !validSeverity[r.Labels["severity"]] {
			t.Errorf("%s: severity %q", r.Alert, r.Labels["severity"])
		}
		if !validTeams[r.Labels["team"]] {
			t.Errorf("%s: team %q", r.Alert, r.Labels["team"])
		}
		if !han.MatchString(r.Annotations["summary"]) || strings.Contains(r.Annotations["summary"], "{{") {
			t.Errorf("%s: summary must be static zh-CN: %q", r.Alert, r.Annotations["summary"])
		}
		if !han.MatchString(r.Annotations["description"]) {
			t.Errorf("%s: description must be zh-CN: %q", r.Alert, r.Annotations["description"])
		}
		if r.Alert != "Watchdog" && !strings.Contains(r.Annotations["description"], "{{") {
			t.Errorf("%s: description should be templated with the key values", r.Alert)
		}
		want := base + strings.ToLower(r.Alert)
		if r.Annotations["runbook_url"] != want {
			t.Errorf("%s: runbook_url %q, want %q", r.Alert, r.Annotations["runbook_url"], want)
		}
		if !anchors[strings.ToLower(r.Alert)] {
			t.Errorf("%s: no <a id=%q> in runbook.md", r.Alert, strings.ToLower(r.Alert))
		}
	}
	for a := range anchors {
		if !seen[a] && !seenLower(seen, a) {
			t.Errorf("runbook.md anchor %q has no alert", a)
		}
	}
}

func seenLower(seen map[string]bool, a string) bool {
	for s := range seen {
		if strings.ToLower(s) == a {
			return true
		}
	}
	return false
}

// ---- test coverage of the rules by rules/tests ----

type unitFile struct {
	RuleFiles []string `yaml:"rule_files"`
	Tests     []struct {
		AlertRuleTest []struct {
			EvalTime  string `yaml:"eval_time"`
			Alertname string `yaml:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `yaml:"exp_labels"`
				ExpAnnotations map[string]string `yaml:"exp_annotations"`
			} `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
		PromqlExprTest []struct {
			Expr string `yaml:"expr"`
		} `yaml:"promql_expr_test"`
	} `yaml:"tests"`
}

func TestEveryRuleIsTested(t *testing.T) {
	files, _ := filepath.Glob("tests/*.yml")
	exprTested := map[string]bool{}
	type span struct{ quietBefore, firing, quietAfter bool }
	alerts := map[string]*span{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var u unitFile
		if err := yaml.Unmarshal(b, &u); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tc := range u.Tests {
			for _, p := range tc.PromqlExprTest {
				for _, n := range selectorNames(t, p.Expr) {
					exprTested[n] = true
				}
			}
			// per alert within one test group: quiet before firing and quiet after
			type ev struct {
				at     time.Duration
				firing bool
			}
			evs := map[string][]ev{}
			for _, a := range tc.AlertRuleTest {
				d, err := parseDur(a.EvalTime)
				if err != nil {
					t.Fatalf("%s: eval_time %q: %v", f, a.EvalTime, err)
				}
				evs[a.Alertname] = append(evs[a.Alertname], ev{d, len(a.ExpAlerts) > 0})
				for _, e := range a.ExpAlerts {
					for _, l := range []string{"site", "severity", "team"} {
						if e.ExpLabels[l] == "" {
							t.Errorf("%s: %s expected without %s label", f, a.Alertname, l)
						}
					}
					for _, k := range []string{"summary", "description", "runbook_url"} {
						if e.ExpAnnotations[k] == "" {
							t.Errorf("%s: %s expected without annotation %s (annotations must be asserted exactly)", f, a.Alertname, k)
						}
					}
				}
			}
			for name, list := range evs {
				sort.Slice(list, func(i, j int) bool { return list[i].at < list[j].at })
				s := alerts[name]
				if s == nil {
					s = &span{}
					alerts[name] = s
				}
				firstFiring, lastFiring := time.Duration(-1), time.Duration(-1)
				for _, e := range list {
					if e.firing {
						if firstFiring < 0 {
							firstFiring = e.at
						}
						lastFiring = e.at
					}
				}
				if firstFiring < 0 {
					continue
				}
				s.firing = true
				for _, e := range list {
					if !e.firing && e.at < firstFiring {
						s.quietBefore = true
					}
					if !e.firing && e.at > lastFiring {
						s.quietAfter = true
					}
				}
			}
		}
	}
	for _, r := range allRules(t) {
		if r.Record != "" && !exprTested[r.Record] {
			t.Errorf("recording rule %s has no promql_expr_test", r.Record)
		}
		if r.Alert != "" {
			s := alerts[r.Alert]
			switch {
			case s == nil || !s.firing:
				t.Errorf("alert %s: no test shows it firing", r.Alert)
			case r.Alert == "Watchdog":
				// always firing by design: nothing to be quiet before or after
			case !s.quietBefore:
				t.Errorf("alert %s: no test shows it quiet below the threshold before firing", r.Alert)
			case !s.quietAfter:
				t.Errorf("alert %s: no test shows it resolving", r.Alert)
			}
		}
	}
}

// parseDur parses promtool durations such as 1h30m, 21h, 30d, 10s.
func parseDur(s string) (time.Duration, error) {
	var total time.Duration
	re := regexp.MustCompile(`(\d+)(ms|s|m|h|d|w|y)`)
	rest := s
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		var n int64
		fmt.Sscan(m[1], &n)
		unit := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour,
			"d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "y": 365 * 24 * time.Hour}[m[2]]
		total += time.Duration(n) * unit
		rest = strings.Replace(rest, m[0], "", 1)
	}
	if rest != "" || s == "" {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return total, nil
}

// promtool test rules evaluates every group at every tick, in the order of the
// test file's group_eval_order (without it the order is random). Prometheus
// runs groups concurrently, so order does not matter there; in the tests a
// group reading another group's recordings must come after it. Every test
// file therefore lists all groups of its rule files in load order, and load
// order must follow the dependencies.
func groupOrder(t *testing.T, files []string) (names []string, definedIn map[string]int, groups []ruleGroup) {
	t.Helper()
	definedIn = map[string]int{}
	for _, f := range files {
		gs, err := loadRuleFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, gr := range gs {
			for _, r := range gr.Rules {
				if r.Record != "" {
					definedIn[r.Record] = len(groups)
				}
			}
			names = append(names, gr.Name)
			groups = append(groups, gr)
		}
	}
	return names, definedIn, groups
}

func TestGroupOrderFollowsDependencies(t *testing.T) {
	_, definedIn, groups := groupOrder(t, ruleFiles)
	for i, gr := range groups {
		for _, r := range gr.Rules {
			for _, n := range selectorNames(t, r.Expr) {
				if d, ok := definedIn[n]; ok && d > i {
					t.Errorf("group %s (rule %s%s) reads %s from group %s, which is loaded after it", gr.Name, r.Record, r.Alert, n, groups[d].Name)
				}
			}
		}
	}
	files, _ := filepath.Glob("tests/*.yml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var u struct {
			RuleFiles      []string `yaml:"rule_files"`
			GroupEvalOrder []string `yaml:"group_eval_order"`
		}
		if err := yaml.Unmarshal(b, &u); err != nil {
			t.Fatal(err)
		}
		var rf []string
		for _, r := range u.RuleFiles {
			rf = append(rf, filepath.Join("tests", r))
		}
		want, _, _ := groupOrder(t, rf)
		if strings.Join(want, " ") != strings.Join(u.GroupEvalOrder, " ") {
			t.Errorf("%s: group_eval_order must be\n  [%s]", f, strings.Join(want, ", "))
		}
	}
}
