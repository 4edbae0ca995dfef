package simsite

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/report/promapi"
	sh "github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestEventsFireTheirAlerts (issue 24 item 4): each event kind of the
// site's month would fire the rule that pages it. The history around one
// event of each kind (15 s samples, as Prometheus scrapes) is back-filled
// into a real Prometheus; each expected rule's expression (rules/alerts.yml,
// as shipped) evaluated over the event's interval holds for the matching
// series at least its `for:` without a break — what ALERTS would show as
// firing had Prometheus evaluated the rule live.
func TestEventsFireTheirAlerts(t *testing.T) {
	promtool := testutil.Need(t, "promtool")
	prometheus := testutil.Need(t, "prometheus")
	rules := loadAlertRules(t, "../../rules/alerts.yml")
	ms, me := sh.MonthBounds(2026, time.November)
	first := func(k Kind, target string) Event {
		for _, e := range Events(ms, me) {
			if e.Kind == k && (target == "" || e.Target == target) && !e.Start.Before(ms) {
				return e
			}
		}
		t.Fatalf("no %s event in the month", k)
		return Event{}
	}
	bgpHost := HostsBehind(BGPLine)[0]
	leased := firstLeasedCut(t, Events(ms, me), ms)
	cases := []struct {
		ev     Event
		alert  string
		labels map[string]string
	}{
		{first(UtilityFailure, ""), "EnvUPSOnBattery", map[string]string{"device": UPSs[0]}},
		{first(UtilityFailure, ""), "EnvRoomPowerLost", map[string]string{"room": Room}},
		{first(UtilityFailure, ""), "EnvFeedLost", map[string]string{"feed": Feeds[1]}},
		{first(UtilityFailure, ""), "EnvGeneratorRunning", map[string]string{"device": Generator}},
		{first(GeneratorTest, ""), "EnvGeneratorRunning", map[string]string{"device": Generator}},
		{first(CRACFailure, ""), "EnvCoolingRedundancyLost", map[string]string{"room": Room}},
		{leased, "LineDown", map[string]string{"line": leased.Target}},
		{leased, "HostDown", map[string]string{"host": HostsBehind(leased.Target)[0]}},
		{first(LineCut, BGPLine), "LineDown", map[string]string{"line": BGPLine}},
		{first(LineCut, BGPLine), "HostDown", map[string]string{"host": bgpHost}},
		{first(HostDown, ""), "HostDown", map[string]string{"host": first(HostDown, "").Target}},
		{first(WebsiteDown, ""), "WebsiteDown", map[string]string{"url": WebsiteURL(first(WebsiteDown, "").Target)}},
		{first(Leak, ""), "EnvWaterLeak", map[string]string{"sensor": first(Leak, "").Target}},
		{first(Smoke, ""), "EnvSmokeDetected", map[string]string{"sensor": first(Smoke, "").Target}},
	}
	// Back-fill each event's stretch (one promtool run per distinct event:
	// the stretches do not overlap, so their blocks do not either).
	data := t.TempDir()
	done := map[time.Time]bool{}
	for _, c := range cases {
		if done[c.ev.Start] {
			continue
		}
		done[c.ev.Start] = true
		from, to := c.ev.Start.Add(-15*time.Minute).Truncate(time.Minute), c.ev.End.Add(15*time.Minute)
		sp, _, _ := Scenario(from, to, Fine)
		om := filepath.Join(t.TempDir(), "h.om")
		f, err := os.Create(om)
		if err != nil {
			t.Fatal(err)
		}
		if err := sh.WriteOpenMetrics(f, sp); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if out, err := exec.CommandContext(context.Background(), promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=744h", om, data).CombinedOutput(); err != nil {
			t.Fatalf("promtool: %v\n%s", err, out)
		}
	}
	client := promapi.New(testenv.StartPrometheus(t, prometheus, data))
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %s → %s", c.ev.Kind, c.ev.Target, c.alert), func(t *testing.T) {
			r, ok := rules[c.alert]
			if !ok {
				t.Fatalf("rules/alerts.yml has no %s", c.alert)
			}
			const res = 5 * time.Second // the env and host groups' evaluation interval
			run := longestRun(t, client, r.Expr, c.labels, c.ev.Start.Add(-2*time.Minute), c.ev.End.Add(2*time.Minute), res)
			if run < r.For+res {
				t.Errorf("%s%v held for %v over %s (%v), want at least its for: %v — the event would not page", c.alert, c.labels, run, c.ev.Kind, c.ev.End.Sub(c.ev.Start), r.For)
			}
		})
	}
}

// firstLeasedCut is the month's first unplanned cut of a leased line (one
// outside every maintenance window: a planned cut pages nobody's budget).
func firstLeasedCut(t *testing.T, ev []Event, ms time.Time) Event {
	t.Helper()
	var maint []sh.Window
	for _, e := range ev {
		if e.Kind == Maintenance {
			maint = append(maint, e.Window)
		}
	}
	var best Event
	for _, e := range ev {
		if e.Kind == LineCut && e.Target != BGPLine && !e.Start.Before(ms) && !inside(maint, e.Start) &&
			(best.Start.IsZero() || e.Start.Before(best.Start)) {
			best = e
		}
	}
	if best.Start.IsZero() {
		t.Fatal("no unplanned leased-line cut in the month")
	}
	return best
}

type alertRule struct {
	Expr string
	For  time.Duration
}

func loadAlertRules(t *testing.T, path string) map[string]alertRule {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
				For   string `yaml:"for"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]alertRule{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			var d time.Duration
			if r.For != "" {
				if d, err = time.ParseDuration(r.For); err != nil {
					t.Fatalf("%s: %s for %q: %v", path, r.Alert, r.For, err)
				}
			}
			out[r.Alert] = alertRule{r.Expr, d}
		}
	}
	return out
}

// longestRun evaluates expr over [from, to] every step and returns the
// longest stretch in which a series whose labels include want is present
// at consecutive steps (the span from its first to its last point + step).
func longestRun(t *testing.T, c *promapi.Client, expr string, want map[string]string, from, to time.Time, step time.Duration) time.Duration {
	t.Helper()
	res, err := c.QueryRange(context.Background(), expr, from, to, step)
	if err != nil {
		t.Fatalf("query_range %s: %v", expr, err)
	}
	best := time.Duration(0)
	for _, s := range res {
		match := true
		for k, v := range want {
			if s.Labels[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		var runStart, prev time.Time
		for _, p := range s.Points {
			if prev.IsZero() || p.T.Sub(prev) > step {
				runStart = p.T
			}
			prev = p.T
			best = max(best, p.T.Sub(runStart)+step)
		}
	}
	return best
}
