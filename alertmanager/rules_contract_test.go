package alertmanager

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/testutil"
)

type ruleAlert struct {
	file, name string
	labels     map[string]string
}

// rulesAlerts reads the alerting rules of ../rules (written against the same label contract).
func rulesAlerts(t *testing.T) []ruleAlert {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "rules", "*.yml"))
	if len(files) == 0 {
		t.Skip("no ../rules/*.yml in this tree")
	}
	var out []ruleAlert
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Groups []struct {
				Rules []struct {
					Alert  string            `yaml:"alert"`
					Labels map[string]string `yaml:"labels"`
				} `yaml:"rules"`
			} `yaml:"groups"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			continue // not a rule file (e.g. a promtool test file)
		}
		for _, g := range doc.Groups {
			for _, r := range g.Rules {
				if r.Alert != "" {
					out = append(out, ruleAlert{file: filepath.Base(f), name: r.Alert, labels: r.Labels})
				}
			}
		}
	}
	if len(out) == 0 {
		t.Skip("no alerting rules in ../rules")
	}
	return out
}

// TestRulesRouting routes every alerting rule of rules/ (its static labels) with amtool and
// checks it reaches the receiver the contract promises: Watchdog → heartbeat,
// audience=supervisors → supervisors, critical → oncall-<team>, warning → ticket (+ guard page),
// info → info-log. An alert with an unknown team or severity fails here, not at 3 a.m.
func TestRulesRouting(t *testing.T) {
	amtool := testutil.Need(t, "amtool")
	teams := map[string]bool{"facilities": true, "network": true, "hosts": true, "websites": true, "meta": true}
	templated := regexp.MustCompile(`\{\{.*\}\}`)
	for _, r := range rulesAlerts(t) {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"config", "routes", "test", "--config.file=" + configFile}
			labels := []string{"alertname=" + r.name}
			for k, v := range r.labels {
				labels = append(labels, k+"="+templated.ReplaceAllString(v, "x"))
			}
			sort.Strings(labels)
			sev, team := r.labels["severity"], r.labels["team"]
			var want string
			switch {
			case r.name == "Watchdog":
				want = "heartbeat"
			case r.labels["audience"] == "supervisors":
				want = "supervisors"
			case !teams[team]:
				t.Fatalf("%s: team %q not in the contract", r.file, team)
			case sev == "critical":
				want = "oncall-" + team
			case sev == "warning":
				want = "oncall-" + team + ",tickets-" + team
			case sev == "info":
				want = "info-log"
			default:
				t.Fatalf("%s: severity %q not in the contract", r.file, sev)
			}
			if r.name != "Watchdog" {
				want = "recorder," + want // route 0: every notification is recorded (continue: true)
			}
			args = append(append(args, "--verify.receivers="+want), labels...)
			if out, err := exec.Command(amtool, args...).CombinedOutput(); err != nil {
				t.Fatalf("%s %v → want %s: %v\n%s", r.file, labels, want, err, out)
			}
		})
	}
}

// TestRulesInhibitionSources lists which inhibition sources rules/ provides; the ones the
// dependency chain cannot do without must exist.
func TestRulesInhibitionSources(t *testing.T) {
	have := map[string]bool{}
	for _, r := range rulesAlerts(t) {
		have[r.name] = true
	}
	for _, name := range []string{"Watchdog", "LineDown", "HostDown", "WebsiteDown", "EnvDeviceUnreachable"} {
		if !have[name] {
			t.Errorf("rules/ has no %s alert: alertmanager.yml's routing/inhibition relies on it", name)
		}
	}
	var inert []string
	for _, name := range []string{"EnvSitePowerLost", "EnvRoomPowerLost", "ExporterDown|MetaExporterDown", "EnvRackPowerCritical", "WebsiteCertificateExpiring7d"} {
		ok := false
		for _, n := range strings.Split(name, "|") {
			ok = ok || have[n]
		}
		if !ok {
			inert = append(inert, name)
		}
	}
	t.Logf("inhibition sources not (yet) produced by rules/, their rules are inert: %v", inert)
}
