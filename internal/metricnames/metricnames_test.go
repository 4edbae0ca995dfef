package metricnames

import (
	"os"
	"strings"
	"testing"
)

// TestNamesInContract: every name of this package is spelled in
// docs/metrics.md — a family metric as `NS_<suffix>` (or, for a renamed
// one, literally) with its namespace listed in §1, any other as itself.
func TestNamesInContract(t *testing.T) {
	b, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	bt := func(s string) bool { return strings.Contains(doc, "`"+s+"`") }
	for _, f := range Families {
		if !bt(f.Namespace) {
			t.Errorf("namespace %s is not listed in docs/metrics.md §1", f.Namespace)
		}
		for _, n := range f.All() {
			suffix := strings.TrimPrefix(n, f.Namespace+"_")
			if !bt("NS_"+suffix) && !bt(n) {
				t.Errorf("%s: neither `NS_%s` nor `%s` in docs/metrics.md", n, suffix, n)
			}
		}
	}
	for _, n := range Others {
		if !bt(strings.TrimSuffix(n, "_bucket")) {
			t.Errorf("%s is not in docs/metrics.md", n)
		}
	}
}

func TestFamilyNames(t *testing.T) {
	for _, c := range []struct {
		f                       Family
		up, down, maintDown, st string
	}{
		{Line, "line_up", "line_down_seconds_total", "line_maintenance_down_seconds_total", "line_start_time_seconds"},
		{Host, "host_up", "host_down_seconds_total", "host_maintenance_down_seconds_total", "host_start_time_seconds"},
		{EnvCondition, "env_condition_ok", "env_condition_active_seconds_total", "env_condition_maintenance_active_seconds_total", "env_condition_start_time_seconds"},
		{Lookup("uptime_x"), "uptime_x_up", "uptime_x_down_seconds_total", "uptime_x_maintenance_down_seconds_total", "uptime_x_start_time_seconds"},
	} {
		if c.f.Up() != c.up || c.f.Down() != c.down || c.f.MaintenanceDown() != c.maintDown || c.f.StartTime() != c.st {
			t.Errorf("%s: got %s %s %s %s", c.f.Namespace, c.f.Up(), c.f.Down(), c.f.MaintenanceDown(), c.f.StartTime())
		}
		if len(c.f.All()) != 11 {
			t.Errorf("%s: %d names, want the 11 of docs/metrics.md §1", c.f.Namespace, len(c.f.All()))
		}
	}
	if Lookup("env_condition") != EnvCondition {
		t.Error("Lookup(env_condition) lost the ok/active renames")
	}
}
