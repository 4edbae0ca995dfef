package dashboards

// Dashboard lint rules as Go tests (Grafana's dashboard-linter is not usable
// here). Each rule has an id; testdata/broken.json trips every one of them.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"
)

// Lint rule ids.
const (
	ruleDatasourceVar   = "one-datasource-variable"
	rulePanelDatasource = "panel-uses-datasource-variable"
	ruleTitle           = "panel-title"
	ruleDescription     = "panel-description"
	ruleUnit            = "panel-unit"
	ruleParse           = "promql-parses"
	ruleCounter         = "counter-only-in-rate-or-increase"
	ruleRateInterval    = "rate-uses-rate-interval"
	ruleFilter          = "query-filters-by-variables"
	ruleUnknownMetric   = "metric-exists"
)

var allRules = []string{ruleDatasourceVar, rulePanelDatasource, ruleTitle, ruleDescription, ruleUnit,
	ruleParse, ruleCounter, ruleRateInterval, ruleFilter, ruleUnknownMetric}

type finding struct{ rule, where, msg string }

func (f finding) String() string { return f.rule + ": " + f.where + ": " + f.msg }

// Sentinel durations stand in for Grafana's interval variables so that the
// parsed AST still tells which variable a range came from.
const (
	rateIntervalSentinel = 7*time.Minute + 13*time.Second // $__rate_interval
	intervalSentinel     = 1*time.Minute + 17*time.Second // $__interval
	rangeSentinel        = 29*24*time.Hour + 23*time.Hour // $__range
)

var grafanaVars = []struct{ name, val string }{
	{"${__rate_interval}", "7m13s"}, {"$__rate_interval", "7m13s"},
	{"${__interval}", "1m17s"}, {"$__interval_ms", "77000"}, {"$__interval", "1m17s"},
	{"${__range_s}", "2588400"}, {"$__range_s", "2588400"},
	{"${__range_ms}", "2588400000"}, {"$__range_ms", "2588400000"},
	{"${__range}", "29d23h"}, {"$__range", "29d23h"},
}

func varToken(v string) string { return "JGVAR_" + v }

// substitute replaces Grafana's built-in variables by sentinels and the
// dashboard's variables by JGVAR_<name> (they must sit inside label matchers).
func substitute(expr string, vars []string) string {
	for _, g := range grafanaVars {
		expr = strings.ReplaceAll(expr, g.name, g.val)
	}
	for _, v := range vars {
		re := regexp.MustCompile(`\$\{` + regexp.QuoteMeta(v) + `(:[^}]*)?\}|\$` + regexp.QuoteMeta(v) + `\b|\[\[` + regexp.QuoteMeta(v) + `\]\]`)
		expr = re.ReplaceAllString(expr, varToken(v))
	}
	return expr
}

var promParser = parser.NewParser(parser.Options{})

// ---------------------------------------------------------------- metrics

var (
	availNS  = []string{"line", "line_signal", "host", "website", "env_condition"}
	configNS = []string{"env", "line", "uptime"}
	// env_condition renames (docs/metrics.md §1).
	envRenamed = map[string]bool{"NS_up": true, "NS_down_seconds_total": true, "NS_maintenance_down_seconds_total": true}
	tokenRe    = regexp.MustCompile("`([^`]+)`")
	nameRe     = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*\*?$`)
	prefixes   = []string{"NS_", "env_", "line_", "host_", "website_", "uptime_", "deadman_"}
)

// contractMetrics parses docs/metrics.md: backticked names with a known
// namespace prefix, NS_ families expanded, "/ `_suffix`" shorthands and
// `prefix_*` families resolved, histograms given _bucket/_count/_sum.
func contractMetrics(t testing.TB, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	add := func(n string, hist bool) {
		known[n] = true
		if hist {
			for _, s := range []string{"_bucket", "_count", "_sum"} {
				known[n+s] = true
			}
		}
	}
	var wildcards []string
	for _, line := range strings.Split(string(b), "\n") {
		prev := ""
		for _, m := range tokenRe.FindAllStringSubmatchIndex(line, -1) {
			tok := line[m[2]:m[3]]
			if i := strings.Index(tok, "{"); i > 0 && strings.HasSuffix(tok, "}") {
				tok = tok[:i] // `metric{label}`
			}
			if !nameRe.MatchString(tok) {
				continue
			}
			after := line[m[1]:]
			if i := strings.Index(after, "`"); i >= 0 {
				after = after[:i]
			}
			if i := strings.Index(after, "|"); i >= 0 {
				// same table cell only … but "| | histogram" rows describe the metric
				if !strings.Contains(after, "histogram") {
					after = after[:i]
				}
			}
			hist := strings.Contains(after, "histogram")
			if strings.HasPrefix(tok, "_") && prev != "" {
				segs := strings.Count(tok, "_")
				parts := strings.Split(prev, "_")
				if segs < len(parts) {
					tok = strings.Join(parts[:len(parts)-segs], "_") + tok
				}
			}
			ok := false
			for _, p := range prefixes {
				ok = ok || strings.HasPrefix(tok, p)
			}
			if !ok {
				continue
			}
			prev = tok
			if strings.HasSuffix(tok, "*") {
				wildcards = append(wildcards, strings.TrimSuffix(tok, "*"))
				continue
			}
			if strings.HasPrefix(tok, "NS_") {
				ns := availNS
				if strings.HasPrefix(tok, "NS_config_") {
					ns = configNS
				}
				for _, n := range ns {
					if n == "env_condition" && envRenamed[tok] {
						continue
					}
					add(n+strings.TrimPrefix(tok, "NS"), hist)
				}
				continue
			}
			add(tok, hist)
		}
	}
	// `line_device_*` = env_device_* under another prefix; `uptime_config_*` likewise.
	for _, w := range wildcards {
		parts := strings.Split(strings.TrimSuffix(w, "_"), "_")
		if len(parts) < 2 {
			continue // `line_*`: a whole family, already expanded from NS_
		}
		mid := "_" + parts[len(parts)-1] + "_"
		for n := range known {
			if i := strings.Index(n, mid); i > 0 && !strings.HasPrefix(n, w) {
				known[w+n[i+len(mid):]] = true
			}
		}
	}
	return known
}

// recordingRules returns the `record:` names of rules/*.yml (if rules/ exists).
func recordingRules(t testing.TB, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	more, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Groups []struct {
				Rules []struct {
					Record string `yaml:"record"`
				} `yaml:"rules"`
			} `yaml:"groups"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			continue // not a rule file (e.g. promtool test files have another shape)
		}
		for _, g := range doc.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					out[r.Record] = true
				}
			}
		}
	}
	return out
}

func knownMetrics(t testing.TB) map[string]bool {
	known := contractMetrics(t, "../docs/metrics.md")
	for r := range recordingRules(t, "../rules") {
		known[r] = true
	}
	known["ALERTS"] = true
	known["ALERTS_FOR_STATE"] = true
	return known
}

// ---------------------------------------------------------------- linter

type jsonDash struct {
	UID        string                   `json:"uid"`
	Title      string                   `json:"title"`
	Refresh    string                   `json:"refresh"`
	Panels     []jsonPanel              `json:"panels"`
	Templating struct{ List []jsonVar } `json:"templating"`
}

type jsonVar struct {
	Type       string `json:"type"`
	Name       string `json:"name"`
	Query      any    `json:"query"`
	Definition string `json:"definition"`
}

type jsonPanel struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	TimeFrom    string `json:"timeFrom"`
	Datasource  *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ X, Y, W, H int } `json:"gridPos"`
	Targets []struct {
		Expr       string `json:"expr"`
		Instant    bool   `json:"instant"`
		RefID      string `json:"refId"`
		Datasource *struct {
			UID string `json:"uid"`
		} `json:"datasource"`
	} `json:"targets"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Panels []jsonPanel `json:"panels"` // collapsed rows
}

func loadDash(t testing.TB, path string) jsonDash {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d jsonDash
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

// flatPanels returns every non-row panel, including those inside collapsed rows.
func (d jsonDash) flatPanels() []jsonPanel {
	var out []jsonPanel
	var walk func([]jsonPanel)
	walk = func(ps []jsonPanel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(d.Panels)
	return out
}

// queryVars returns the names of the dashboard's variables other than the datasource.
func (d jsonDash) queryVars() []string {
	var vs []string
	for _, v := range d.Templating.List {
		if v.Type != "datasource" {
			vs = append(vs, v.Name)
		}
	}
	return vs
}

var labelValuesRe = regexp.MustCompile(`^\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$`)

func lint(d jsonDash, known map[string]bool) []finding {
	var fs []finding
	add := func(rule, where, format string, a ...any) {
		fs = append(fs, finding{rule, where, fmt.Sprintf(format, a...)})
	}
	nds := 0
	dsName := ""
	for _, v := range d.Templating.List {
		if v.Type == "datasource" {
			nds++
			if dsName == "" {
				dsName = v.Name
			}
		}
	}
	if nds != 1 {
		add(ruleDatasourceVar, d.UID, "%d datasource variables, want exactly 1", nds)
	}
	vars := d.queryVars()
	dsRefOK := func(uid string) bool {
		return dsName != "" && (uid == "$"+dsName || uid == "${"+dsName+"}")
	}
	// Variable queries: metrics must exist.
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		qs, _ := v.Query.(string)
		if qs == "" {
			qs = v.Definition
		}
		m := labelValuesRe.FindStringSubmatch(qs)
		if m == nil {
			continue
		}
		e, err := promParser.ParseExpr(substitute(m[1], vars))
		where := d.UID + " variable " + v.Name
		if err != nil {
			add(ruleParse, where, "%v", err)
			continue
		}
		for _, n := range metricNames(e) {
			if !known[n] {
				add(ruleUnknownMetric, where, "%s is neither in docs/metrics.md nor a recording rule in rules/", n)
			}
		}
	}
	for i, p := range d.flatPanels() {
		where := fmt.Sprintf("%s panel %d %q", d.UID, i, p.Title)
		if strings.TrimSpace(p.Title) == "" {
			add(ruleTitle, where, "no title")
		}
		if strings.TrimSpace(p.Description) == "" {
			add(ruleDescription, where, "no description")
		}
		if p.FieldConfig.Defaults.Unit == "" {
			add(ruleUnit, where, "no unit (fieldConfig.defaults.unit)")
		}
		if p.Datasource == nil || !dsRefOK(p.Datasource.UID) {
			add(rulePanelDatasource, where, "panel datasource must be the ${%s} variable", dsName)
		}
		for _, tg := range p.Targets {
			tw := where + " target " + tg.RefID
			if tg.Datasource != nil && !dsRefOK(tg.Datasource.UID) {
				add(rulePanelDatasource, tw, "target datasource %q is not the datasource variable", tg.Datasource.UID)
			}
			src := substitute(tg.Expr, vars)
			e, err := promParser.ParseExpr(src)
			if err != nil {
				add(ruleParse, tw, "%v in %s", err, src)
				continue
			}
			fs = append(fs, lintExpr(e, tw, vars, known)...)
		}
	}
	return fs
}

func selectorName(vs *parser.VectorSelector) []string {
	if vs.Name != "" {
		return []string{vs.Name}
	}
	for _, m := range vs.LabelMatchers {
		if m.Name != "__name__" {
			continue
		}
		if strings.ContainsAny(m.Value, `.*+?()[]{}\^$`) {
			return []string{m.Value} // too clever to check: reported as unknown
		}
		return strings.Split(m.Value, "|")
	}
	return nil
}

func metricNames(e parser.Expr) []string {
	var out []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			out = append(out, selectorName(vs)...)
		}
		return nil
	})
	return out
}

func isCounter(name string) bool {
	for _, s := range []string{"_total", "_bucket", "_count", "_sum"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

func lintExpr(e parser.Expr, where string, vars []string, known map[string]bool) []finding {
	var fs []finding
	add := func(rule, format string, a ...any) {
		fs = append(fs, finding{rule, where, fmt.Sprintf(format, a...)})
	}
	parser.Inspect(e, func(n parser.Node, path []parser.Node) error {
		switch n := n.(type) {
		case *parser.VectorSelector:
			names := selectorName(n)
			for _, name := range names {
				if !known[name] {
					add(ruleUnknownMetric, "%s is neither in docs/metrics.md nor a recording rule in rules/", name)
				}
				if isCounter(name) {
					ok := len(path) >= 2
					if ok {
						_, isMatrix := path[len(path)-1].(*parser.MatrixSelector)
						call, isCall := path[len(path)-2].(*parser.Call)
						ok = isMatrix && isCall && (call.Func.Name == "rate" || call.Func.Name == "irate" || call.Func.Name == "increase")
					}
					if !ok {
						add(ruleCounter, "counter %s used outside rate()/irate()/increase()", name)
					}
				}
			}
			for _, v := range vars {
				found := false
				for _, m := range n.LabelMatchers {
					if strings.Contains(m.Value, varToken(v)) {
						found = true
					}
				}
				if !found {
					add(ruleFilter, "selector %s does not filter by $%s", n.String(), v)
				}
			}
		case *parser.Call:
			for _, a := range n.Args {
				ms, ok := a.(*parser.MatrixSelector)
				if !ok {
					continue
				}
				switch n.Func.Name {
				case "rate", "irate":
					if ms.Range != rateIntervalSentinel {
						add(ruleRateInterval, "%s() over [%s], want [$__rate_interval]", n.Func.Name, ms.Range)
					}
				default:
					if ms.Range != rateIntervalSentinel && ms.Range != rangeSentinel && ms.Range != intervalSentinel {
						add(ruleRateInterval, "%s() over a fixed range [%s]; use $__rate_interval or $__range", n.Func.Name, ms.Range)
					}
				}
			}
		}
		return nil
	})
	return fs
}

// ---------------------------------------------------------------- tests

func committedDashboards(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no committed dashboards: %v", err)
	}
	sort.Strings(files)
	return files
}

func TestContractMetricsParsed(t *testing.T) {
	known := contractMetrics(t, "../docs/metrics.md")
	for _, want := range []string{
		"line_up", "line_down_seconds_total", "line_signal_up", "host_observed_seconds_total",
		"website_maintenance_down_seconds_total", "env_condition_ok", "env_condition_active_seconds_total",
		"env_condition_maintenance_active_seconds_total", "env_condition_unknown_seconds_total",
		"env_threshold_temperature_high_celsius", "env_threshold_rack_power_critical_watts",
		"line_icmp_rtt_seconds_bucket", "host_rtt_seconds_count", "env_device_poll_duration_seconds_sum",
		"line_device_up", "line_device_errors_total", "uptime_config_last_reload_successful",
		"env_config_last_reload_success_timestamp_seconds", "deadman_alerting", "uptime_targets",
	} {
		if !known[want] {
			t.Errorf("contract parser missed %s", want)
		}
	}
	for _, bad := range []string{"env_condition_up", "env_condition_down_seconds_total", "site", "line_signal_config_last_reload_successful"} {
		if known[bad] {
			t.Errorf("contract parser invented %s", bad)
		}
	}
}

func TestLintDashboards(t *testing.T) {
	known := knownMetrics(t)
	for _, f := range committedDashboards(t) {
		d := loadDash(t, f)
		for _, fd := range lint(d, known) {
			t.Errorf("%s: %s", f, fd)
		}
		if n := len(d.flatPanels()); n < 4 {
			t.Errorf("%s: only %d panels", f, n)
		}
	}
}

// TestLintBrokenFixture proves every rule can fail: testdata/broken.json
// breaks each rule once, in the panel named after it.
func TestLintBrokenFixture(t *testing.T) {
	d := loadDash(t, "testdata/broken.json")
	got := map[string][]string{}
	for _, f := range lint(d, knownMetrics(t)) {
		got[f.rule] = append(got[f.rule], f.where)
	}
	for _, r := range allRules {
		if len(got[r]) == 0 {
			t.Errorf("rule %s did not fire on testdata/broken.json", r)
		} else {
			t.Logf("%-34s fired: %s", r, strings.Join(got[r], "; "))
		}
	}
	// The control panel is correct and must raise nothing.
	for r, ws := range got {
		for _, w := range ws {
			if strings.Contains(w, "control") {
				t.Errorf("rule %s fired on the correct control panel: %s", r, w)
			}
		}
	}
}

// TestWallboardFitsScreen: 1920×1080 kiosk, no scrolling, 30 s refresh.
// Grafana rows are 30 px + 8 px margin: 27 grid rows = 1018 px.
func TestWallboardFitsScreen(t *testing.T) {
	d := loadDash(t, "noc-wallboard.json")
	if d.Refresh != "30s" {
		t.Errorf("refresh %q, want 30s", d.Refresh)
	}
	type cell struct{ x, y int }
	used := map[cell]string{}
	for _, p := range d.Panels {
		if p.Type == "row" {
			t.Errorf("row %q on the wallboard: rows scroll", p.Title)
		}
		g := p.GridPos
		if g.X+g.W > 24 || g.Y+g.H > 27 || g.W == 0 || g.H == 0 {
			t.Errorf("panel %q at %+v leaves the 24×27 screen", p.Title, g)
		}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if o, ok := used[cell{x, y}]; ok {
					t.Errorf("panel %q overlaps %q at %d,%d", p.Title, o, x, y)
				}
				used[cell{x, y}] = p.Title
			}
		}
	}
	if len(used) != 24*27 {
		t.Errorf("wallboard covers %d of %d cells; leave no holes", len(used), 24*27)
	}
}

// TestGeneratedMatchesCommitted: `go generate` reproduces the committed JSON
// byte for byte, and no stray dashboard is committed.
func TestGeneratedMatchesCommitted(t *testing.T) {
	files, err := Render()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Render()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if !bytes.Equal(b, again[name]) {
			t.Errorf("%s: two renders differ (non-deterministic generator)", name)
		}
		disk, err := os.ReadFile(name)
		if err != nil {
			t.Errorf("%s not committed: %v (run go generate ./dashboards/...)", name, err)
			continue
		}
		if !bytes.Equal(disk, b) {
			t.Errorf("%s differs from the generator; run `go generate ./dashboards/...` and commit", name)
		}
	}
	for _, f := range committedDashboards(t) {
		if _, ok := files[f]; !ok {
			t.Errorf("%s is not produced by the generator", f)
		}
	}
}

// TestTitlesBilingual: titles carry Chinese and English.
func TestTitlesBilingual(t *testing.T) {
	han := regexp.MustCompile(`\p{Han}`)
	latin := regexp.MustCompile(`[A-Za-z]{2,}`)
	for _, f := range committedDashboards(t) {
		d := loadDash(t, f)
		titles := []string{d.Title}
		for _, p := range d.flatPanels() {
			titles = append(titles, p.Title)
		}
		for _, ti := range titles {
			if !han.MatchString(ti) || !latin.MatchString(ti) {
				t.Errorf("%s: title %q is not zh-CN + English", f, ti)
			}
		}
	}
}

// TestProvisioning: the provider points at the dashboards folder and the
// datasource example is a Prometheus datasource.
func TestProvisioning(t *testing.T) {
	var prov struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name                  string `yaml:"name"`
			OrgID                 int    `yaml:"orgId"`
			Folder                string `yaml:"folder"`
			FolderUID             string `yaml:"folderUid"`
			Type                  string `yaml:"type"`
			DisableDeletion       bool   `yaml:"disableDeletion"`
			AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
			UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
			Options               struct {
				Path                      string `yaml:"path"`
				FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, "provisioning/dashboards.yaml", &prov)
	if prov.APIVersion != 1 || len(prov.Providers) != 1 || prov.Providers[0].Type != "file" || prov.Providers[0].Options.Path == "" {
		t.Errorf("dashboards provider: %+v", prov)
	}
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name      string         `yaml:"name"`
			Type      string         `yaml:"type"`
			UID       string         `yaml:"uid"`
			Access    string         `yaml:"access"`
			URL       string         `yaml:"url"`
			IsDefault bool           `yaml:"isDefault"`
			Editable  bool           `yaml:"editable"`
			JSONData  map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	readYAML(t, "provisioning/datasource-prometheus.yaml", &ds)
	if len(ds.Datasources) == 0 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL == "" {
		t.Errorf("datasource: %+v", ds)
	}
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
