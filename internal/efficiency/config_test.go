package efficiency_test

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/efficiency"
	"github.com/jianguan/jianguan/internal/metricnames"
)

// TestEfficiencyConfigErrors: every bad efficiency.yml is refused at load
// with the file, the line and the field, before any query.
func TestEfficiencyConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"PromQL that does not parse", "rate_window: 5m\ndefault:\n  cpu_used: 'sum by ($by) (rate(node_cpu_seconds_total[5m])'\n",
			"efficiency.yml:3: default.cpu_used: PromQL does not parse"},
		{"a scalar, not one series per host", "default:\n  memory_used: '42'\n",
			"efficiency.yml:2: default.memory_used: gives a scalar; want an instant vector"},
		{"a range vector", "default:\n  disk_used: 'node_filesystem_avail_bytes[5m]'\n",
			"efficiency.yml:2: default.disk_used: gives a matrix; want an instant vector"},
		{"a platform's override", "platforms:\n  华为云:\n    network_in: 'sum by ($by) (rate(x{[5m]))'\n",
			"efficiency.yml:3: platforms.华为云.network_in: PromQL does not parse"},
		{"unknown figure", "default:\n  gpu_used: 'x'\n", "efficiency.yml:2: field gpu_used not found"},
		{"unknown top-level field", "labels:\n  unit: unit\nidle_threshold: 0.05\n", "efficiency.yml:3: field idle_threshold not found"},
		{"threshold as a percentage", "idle:\n  cpu_p95_below: 5\n", "efficiency.yml:2: idle.cpu_p95_below: 5: want a fraction strictly between 0 and 1"},
		{"coverage above 1", "idle:\n  min_coverage: 1.5\n", "efficiency.yml:2: idle.min_coverage"},
		{"rate window not a duration", "\nrate_window: 5 minutes\n", "efficiency.yml:2: rate_window: \"5 minutes\""},
		{"rate window below two 15 s scrapes", "rate_window: 15s\n", "efficiency.yml:1: rate_window: 15s: want whole seconds from 30s to 6h0m0s"},
		{"series bound 0", "max_series_per_query: 0\n", "efficiency.yml:1: max_series_per_query: 0: want 1 … 100000"},
		{"annex bound too large", "idle_annex_max_rows: 1000000\n", "efficiency.yml:1: idle_annex_max_rows"},
		{"bad label name", "labels:\n  unit: 单位\n", "efficiency.yml:2: labels.unit: \"单位\" is not a Prometheus label name"},
		{"same label twice", "labels:\n  unit: host\n", "efficiency.yml:1: labels: unit, platform and host must be three different labels"},
		{"expression without a selector", "default:\n  cpu_allocated: 'vector(1)'\n", "efficiency.yml:2: default.cpu_allocated: selects no series"},
		{"second document", "rate_window: 5m\n---\nrate_window: 1m\n", "efficiency.yml:2: a second YAML document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := efficiency.Parse("efficiency.yml", []byte(tc.yaml), efficiency.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant %q", err, tc.want)
			}
		})
	}
}

// TestEfficiencyShippedConfig: deploy/etc/jianguan/efficiency.yml loads,
// its expressions are node_exporter's, and a flag overrides the window.
func TestEfficiencyShippedConfig(t *testing.T) {
	c, err := efficiency.Load("../../deploy/etc/jianguan/efficiency.yml", efficiency.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.RateWindow != 5*time.Minute || c.Idle.CPUP95Below != 0.05 || c.MaxSeries != 5000 {
		t.Errorf("%s", c)
	}
	for _, m := range []string{"node_cpu_seconds_total", "node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes", "node_filesystem_size_bytes",
		"node_filesystem_avail_bytes", "node_network_receive_bytes_total", "node_network_transmit_bytes_total"} {
		found := false
		for _, e := range c.Expr {
			found = found || strings.Contains(e, m)
		}
		if !found {
			t.Errorf("%s in no expression", m)
		}
	}
	c, err = efficiency.Load("../../deploy/etc/jianguan/efficiency.yml", efficiency.Options{RateWindow: 20 * time.Minute})
	if err != nil || !strings.Contains(c.Expr[efficiency.FigCPUUsed], "[20m]") {
		t.Errorf("override: %v %v", err, c)
	}
	if _, err := efficiency.Load("../../deploy/etc/jianguan/efficiency.yml", efficiency.Options{RateWindow: time.Second}); err == nil ||
		!strings.Contains(err.Error(), "efficiency.yml:15: rate_window") {
		t.Errorf("a 1 s window from the flag: %v", err)
	}
}

// TestEfficiencyPlatformMapping: a platform's own expression applies to its
// series only and the default to every other platform, so no host is
// counted twice.
func TestEfficiencyPlatformMapping(t *testing.T) {
	c, err := efficiency.Parse("efficiency.yml", []byte("platforms:\n  华为云:\n    memory_used: 'sum by ($by) (agent_memory_used_bytes)'\n"), efficiency.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := c.Expr[efficiency.FigMemoryUsed]
	for _, want := range []string{`node_memory_MemTotal_bytes{provider!~"华为云"}`, `agent_memory_used_bytes{provider="华为云"}`, ") or ("} {
		if !strings.Contains(got, want) {
			t.Errorf("memory_used %s\nwant %s", got, want)
		}
	}
	if got := c.Expr[efficiency.FigCPUUsed]; !strings.Contains(got, `provider!~"华为云"`) || !strings.Contains(got, `provider="华为云"`) {
		t.Errorf("cpu_used (default for both) %s", got)
	}
}

// TestEfficiencyDefaultsDocumented: the built-in default mapping (built
// from internal/metricnames where it reads a contract name) is the one
// deploy/etc/jianguan/efficiency.yml ships, figure by figure, and the
// inventory row of docs/efficiency.md spells it exactly.
func TestEfficiencyDefaultsDocumented(t *testing.T) {
	def := efficiency.DefaultFile().Default
	var shipped efficiency.File
	if _, err := config.Load("../../deploy/etc/jianguan/efficiency.yml", &shipped); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/efficiency.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, fig := range efficiency.Figures {
		t.Run(fig, func(t *testing.T) {
			want := mappingField(t, def, fig)
			if want == "" {
				t.Fatalf("no built-in default for %s", fig)
			}
			if got := mappingField(t, shipped.Default, fig); got != want {
				t.Errorf("efficiency.yml default.%s\n%s\nbuilt-in\n%s", fig, got, want)
			}
		})
	}
	if !strings.Contains(def.Inventory, metricnames.Host.Up()) {
		t.Errorf("inventory %q does not read %s", def.Inventory, metricnames.Host.Up())
	}
	if row := "| " + efficiency.FigInventory + " | `" + def.Inventory + "` |"; !strings.Contains(string(doc), row) {
		t.Errorf("docs/efficiency.md has no row %q", row)
	}
}

// mappingField is the expression of figure fig (its yaml tag) in m.
func mappingField(t *testing.T, m efficiency.Mapping, fig string) string {
	t.Helper()
	v := reflect.ValueOf(m)
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).Tag.Get("yaml") == fig {
			return v.Field(i).String()
		}
	}
	t.Fatalf("Mapping has no field %s", fig)
	return ""
}
