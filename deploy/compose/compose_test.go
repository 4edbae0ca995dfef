// Package compose holds the single-host docker compose deployment; the test
// validates it offline with compose-spec/compose-go (schema, interpolation,
// consistency) and checks the house rules: loopback-only ports, hardening,
// ICMP via ping_group_range, every bind mount present in the repository.
package compose

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/jianguan/jianguan/internal/testutil"
	"gopkg.in/yaml.v3"
)

func loadProject(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"docker-compose.yml"},
		cli.WithWorkingDirectory("."),
		cli.WithEnv([]string{}),
		cli.WithConsistency(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose-go: %v", err)
	}
	return p
}

func TestComposeValid(t *testing.T) {
	p := loadProject(t)
	want := []string{"alertmanager", "deadman", "env-exporter", "grafana", "line-exporter", "prometheus", "uptime-exporter"}
	if got := strings.Join(p.ServiceNames(), ","); !sameSet(p.ServiceNames(), want) {
		t.Fatalf("services %s, want %v", got, want)
	}
	icmp := map[string]bool{"line-exporter": true, "uptime-exporter": true}
	for name, s := range p.Services {
		if !s.ReadOnly {
			t.Errorf("%s: read_only not set", name)
		}
		if len(s.CapDrop) != 1 || s.CapDrop[0] != "ALL" || len(s.CapAdd) != 0 {
			t.Errorf("%s: cap_drop %v cap_add %v, want [ALL] / none", name, s.CapDrop, s.CapAdd)
		}
		if !contains(s.SecurityOpt, "no-new-privileges:true") {
			t.Errorf("%s: no-new-privileges missing", name)
		}
		if s.User == "" || strings.HasPrefix(s.User, "0") || s.User == "root" {
			t.Errorf("%s: runs as %q", name, s.User)
		}
		if tz := s.Environment["TZ"]; tz == nil || *tz != "Asia/Shanghai" {
			t.Errorf("%s: TZ not Asia/Shanghai", name)
		}
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s: port %s published on %q, want 127.0.0.1 only", name, port.Published, port.HostIP)
			}
		}
		if got := s.Sysctls["net.ipv4.ping_group_range"]; (got == "0 2147483647") != icmp[name] {
			t.Errorf("%s: ping_group_range %q (ICMP service: %v)", name, got, icmp[name])
		}
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("%s: bind mount source %s missing from the repository", name, v.Source)
			}
			if !v.ReadOnly {
				t.Errorf("%s: bind mount %s is writable", name, v.Source)
			}
		}
		if s.Build != nil {
			if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
				t.Errorf("%s: Dockerfile: %v", name, err)
			}
			cmd := s.Build.Args["CMD"]
			if cmd == nil {
				t.Errorf("%s: build arg CMD missing", name)
			} else if _, err := os.Stat(filepath.Join(s.Build.Context, *cmd)); err != nil {
				t.Errorf("%s: CMD %s: %v", name, *cmd, err)
			}
		}
	}
	prom := p.Services["prometheus"]
	if !contains(prom.Command, "--storage.tsdb.retention.time=400d") {
		t.Errorf("prometheus: retention not 400d: %v", prom.Command)
	}
}

// TestComposePrometheusConfig: the compose Prometheus scrapes every exporter
// service by its compose name and port.
func TestComposePrometheusConfig(t *testing.T) {
	p := loadProject(t)
	b, err := os.ReadFile("prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		ScrapeConfigs []struct {
			JobName       string `yaml:"job_name"`
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"scrape_configs"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			for _, tg := range st.Targets {
				targets[tg] = true
			}
		}
	}
	for name, s := range p.Services {
		for _, port := range s.Ports {
			if name == "prometheus" || name == "grafana" {
				continue
			}
			tg := name + ":" + port.Published
			if !targets[tg] {
				t.Errorf("prometheus.yml does not scrape %s", tg)
			}
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}

// TestComposePrometheusConfigPromtool: Debian's promtool accepts the compose
// Prometheus configuration.
func TestComposePrometheusConfigPromtool(t *testing.T) {
	promtool := testutil.Need(t, "promtool")
	out, err := exec.Command(promtool, "check", "config", "prometheus.yml").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
}
