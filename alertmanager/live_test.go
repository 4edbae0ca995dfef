package alertmanager

import (
	"encoding/base64"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// quiet is how long a test keeps listening after the expected deliveries arrived, to see
// that nothing else comes: > group_wait (1s) + group_interval (2s) of the test variants.
const quiet = 4 * time.Second

// expectDeliveries waits until the sink holds exactly want (receiver → alert ids, webhook
// deliveries of firing alerts), then listens for `quiet` more and checks nothing else came.
func expectDeliveries(t *testing.T, s *sink, want map[string][]string) {
	t.Helper()
	for _, v := range want {
		sort.Strings(v)
	}
	done := func() bool {
		got := s.delivered()
		for r, w := range want {
			if len(got[r]) < len(w) {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(30 * time.Second)
	for !done() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(quiet)
	if got := s.delivered(); !reflect.DeepEqual(got, want) {
		t.Fatalf("deliveries:\n got  %s\n want %s", ids(got), ids(want))
	}
}

// TestLiveInhibition: root causes and their dependants posted to a real Alertmanager; the API
// shows every dependant inhibited (status.inhibitedBy) and only the root causes, plus alerts
// that merely look related, are delivered.
func TestLiveInhibition(t *testing.T) {
	t.Parallel()
	s := newSink(t)
	am := startAM(t, "am", writeVariant(t, variant{sink: s}))

	roots := []apiAlert{
		alert("id", "line-l1", "alertname", "LineDown", "severity", "critical", "team", "network", "site", "bj1", "line", "L1", "path", "L1", "provider", "电信"),
		alert("id", "power-bj3", "alertname", "EnvSitePowerLost", "severity", "critical", "team", "facilities", "site", "bj3"),
		alert("id", "power-a201", "alertname", "EnvRoomPowerLost", "severity", "critical", "team", "facilities", "site", "bj1", "room", "A201"),
		alert("id", "unreach-pdu-b1", "alertname", "EnvDeviceUnreachable", "severity", "critical", "team", "facilities", "site", "bj1", "room", "B1", "device", "pdu-b1"),
		alert("id", "exporter-uptime", "alertname", "MetaExporterDown", "severity", "critical", "team", "meta", "site", "bj1", "job", "uptime", "instance", "10.0.0.9:9812"),
		alert("id", "unreach-ups-c9", "alertname", "EnvDeviceUnreachable", "severity", "warning", "team", "facilities", "site", "bj1", "room", "C9", "device", "ups-c9"),
		alert("id", "rack-crit", "alertname", "EnvRackPowerCritical", "severity", "critical", "team", "facilities", "site", "bj1", "room", "C9", "rack", "R01"),
		alert("id", "budget-gone-l2", "alertname", "LineErrorBudgetExhausted", "audience", "supervisors", "severity", "warning", "team", "network", "site", "bj1", "line", "L2"),
		alert("id", "temp-crac-crit", "alertname", "EnvTemperatureHigh", "severity", "critical", "team", "facilities", "site", "bj1", "room", "C1", "device", "crac-c1", "sensor", "t2"),
		alert("id", "nodata-crac-c5", "alertname", "EnvDeviceNoData", "severity", "warning", "team", "facilities", "site", "bj1", "room", "C5", "device", "crac-c5"),
	}
	dependants := []apiAlert{
		alert("id", "host-via-l1", "alertname", "HostDown", "severity", "critical", "team", "hosts", "site", "bj1", "host", "web01", "unit", "财政局", "path", "L1"),
		alert("id", "web-via-l1", "alertname", "WebsiteDown", "severity", "critical", "team", "websites", "site", "bj1", "url", "https://www.example.gov.cn/", "unit", "财政局", "path", "L1"),
		alert("id", "loss-l1", "alertname", "LineHighLoss", "severity", "warning", "team", "network", "site", "bj1", "line", "L1"),
		alert("id", "ups-a201", "alertname", "EnvUPSOnBattery", "severity", "critical", "team", "facilities", "site", "bj1", "room", "A201", "device", "ups-a1"),
		alert("id", "room-power-bj3", "alertname", "EnvRoomPowerLost", "severity", "critical", "team", "facilities", "site", "bj3", "room", "M1"),
		alert("id", "host-bj3", "alertname", "HostDown", "severity", "critical", "team", "hosts", "site", "bj3", "host", "oa01", "unit", "办公厅"),
		alert("id", "line-bj3", "alertname", "LineDown", "severity", "critical", "team", "network", "site", "bj3", "line", "L9", "path", "L9"),
		alert("id", "feed-a201", "alertname", "EnvFeedLost", "severity", "critical", "team", "facilities", "site", "bj1", "room", "A201", "device", "ats-1", "feed", "A"),
		alert("id", "rack-a201", "alertname", "EnvRackPowerCritical", "severity", "critical", "team", "facilities", "site", "bj1", "room", "A201", "rack", "R12"),
		alert("id", "host-in-a201", "alertname", "HostDown", "severity", "critical", "team", "hosts", "site", "bj1", "host", "db02", "unit", "公安局", "room", "A201"),
		alert("id", "temp-pdu-b1", "alertname", "EnvTemperatureHigh", "severity", "warning", "team", "facilities", "site", "bj1", "room", "B1", "device", "pdu-b1", "sensor", "s1"),
		alert("id", "temp-crac-warn", "alertname", "EnvTemperatureHigh", "severity", "warning", "team", "facilities", "site", "bj1", "room", "C1", "device", "crac-c1", "sensor", "t2"),
		alert("id", "stale-ups-c9", "alertname", "EnvDataStale", "severity", "warning", "team", "facilities", "site", "bj1", "room", "C9", "device", "ups-c9"),
		alert("id", "rack-crit-warn", "alertname", "EnvRackPowerHigh", "severity", "warning", "team", "facilities", "site", "bj1", "room", "C9", "rack", "R01"),
		alert("id", "budget-half-l2", "alertname", "LineErrorBudgetHalfUsed", "audience", "supervisors", "severity", "warning", "team", "network", "site", "bj1", "line", "L2"),
		// issue 21: a silent device's derived unknowns; a room power loss's unknowns
		alert("id", "cooling-unknown-c5", "alertname", "EnvRedundancyUnknown", "severity", "warning", "team", "facilities", "site", "bj1", "room", "C5", "redundancy", "cooling"),
		alert("id", "feeds-unknown-c9", "alertname", "EnvRedundancyUnknown", "severity", "warning", "team", "facilities", "site", "bj1", "room", "C9", "redundancy", "feeds"),
		alert("id", "ups-unknown-a201", "alertname", "EnvUPSRedundancyUnknown", "severity", "critical", "team", "facilities", "site", "bj1", "room", "A201"),
		alert("id", "host-of-exporter", "alertname", "HostDown", "severity", "critical", "team", "hosts", "site", "bj1", "host", "app09", "unit", "税务局", "job", "uptime", "instance", "10.0.0.9:9812"),
	}
	controls := []apiAlert{
		alert("id", "host-via-l2", "alertname", "HostDown", "severity", "critical", "team", "hosts", "site", "bj1", "host", "web02", "unit", "财政局", "path", "L2"),
		alert("id", "host-no-path", "alertname", "HostDown", "severity", "critical", "team", "hosts", "site", "bj1", "host", "web03", "unit", "财政局", "path", ""),
		alert("id", "host-bj2-via-l1", "alertname", "HostDown", "severity", "critical", "team", "hosts", "site", "bj2", "host", "web04", "unit", "财政局", "path", "L1"),
		alert("id", "ups-a202", "alertname", "EnvUPSOnBattery", "severity", "critical", "team", "facilities", "site", "bj1", "room", "A202", "device", "ups-b1"),
		alert("id", "temp-crac-other", "alertname", "EnvTemperatureHigh", "severity", "warning", "team", "facilities", "site", "bj1", "room", "C1", "device", "crac-c1", "sensor", "t3"),
		alert("id", "budget-l1", "alertname", "SLABudgetHalfUsed", "severity", "warning", "team", "network", "site", "bj1", "line", "L1"),
		alert("id", "budget-rules-l1", "alertname", "LineErrorBudgetHalfUsed", "audience", "supervisors", "severity", "warning", "team", "network", "site", "bj1", "line", "L1"),
		alert("id", "smoke-bj3", "alertname", "EnvSmokeDetected", "severity", "critical", "team", "facilities", "site", "bj3", "room", "M1", "device", "vesda-1", "sensor", "s1"),
		// escalations during a room power loss still page
		alert("id", "batt-low-a201", "alertname", "EnvUPSBatteryLow", "severity", "critical", "team", "facilities", "site", "bj1", "room", "A201", "device", "ups-a1"),
		alert("id", "genfail-a201", "alertname", "EnvGeneratorFailedToStart", "severity", "critical", "team", "facilities", "site", "bj1", "room", "A201", "device", "gen-1"),
		// a warning-level "device unreachable" must not hide a critical of that device
		alert("id", "ups-c9-battery", "alertname", "EnvUPSOnBattery", "severity", "critical", "team", "facilities", "site", "bj1", "room", "C9", "device", "ups-c9"),
		alert("id", "loss-l3", "alertname", "LineHighLoss", "severity", "warning", "team", "network", "site", "bj1", "line", "L3"),
		// a 2N pair whose state is unknown pages even beside a silent device of its room
		alert("id", "ups-unknown-c5", "alertname", "EnvUPSRedundancyUnknown", "severity", "critical", "team", "facilities", "site", "bj1", "room", "C5"),
		// a silent device does not hide another room's unknown
		alert("id", "cooling-unknown-c6", "alertname", "EnvRedundancyUnknown", "severity", "warning", "team", "facilities", "site", "bj1", "room", "C6", "redundancy", "cooling"),
	}

	// Root causes first (as they would be: a line is confirmed down in seconds, hosts after
	// their own confirmation), then everything else in one batch.
	mustPost(t, am, roots)
	testenv.WaitFor(t, 10*time.Second, "root causes in the API", func() bool { return len(getAlerts(t, am)) == len(roots) })
	mustPost(t, am, append(dependants, controls...))
	testenv.WaitFor(t, 10*time.Second, "all alerts in the API", func() bool {
		return len(getAlerts(t, am)) == len(roots)+len(dependants)+len(controls)
	})

	byID := map[string]gettableAlert{}
	for _, a := range getAlerts(t, am) {
		byID[a.Labels["id"]] = a
	}
	for _, d := range dependants {
		a := byID[d.Labels["id"]]
		if len(a.Status.InhibitedBy) == 0 || a.Status.State != "suppressed" {
			t.Errorf("%s: want inhibited, API says state=%s inhibitedBy=%v", d.Labels["id"], a.Status.State, a.Status.InhibitedBy)
		} else {
			t.Logf("%-16s inhibited by %v", d.Labels["id"], a.Status.InhibitedBy)
		}
	}
	for _, c := range append(roots, controls...) {
		a := byID[c.Labels["id"]]
		if len(a.Status.InhibitedBy) != 0 || a.Status.State != "active" {
			t.Errorf("%s: want active, API says state=%s inhibitedBy=%v", c.Labels["id"], a.Status.State, a.Status.InhibitedBy)
		}
	}

	want := map[string][]string{
		"oncall-network":     {"line-l1"},
		"oncall-facilities":  {"batt-low-a201", "genfail-a201", "power-a201", "power-bj3", "smoke-bj3", "rack-crit", "temp-crac-crit", "unreach-pdu-b1", "ups-a202", "ups-c9-battery", "ups-unknown-c5"},
		"oncall-meta":        {"exporter-uptime"},
		"oncall-hosts":       {"host-bj2-via-l1", "host-no-path", "host-via-l2"},
		"tickets-facilities": {"temp-crac-other", "unreach-ups-c9", "nodata-crac-c5", "cooling-unknown-c6"},
		"supervisors":        {"budget-gone-l2", "budget-l1", "budget-rules-l1"},
		"tickets-network":    {"loss-l3"}, // outside guard periods a warning is a ticket, not a page
	}
	// The recorder (route 0) gets every alert that is not inhibited, and no inhibited one.
	var recorded []string
	for _, ids := range want {
		recorded = append(recorded, ids...)
	}
	want["recorder"] = recorded
	expectDeliveries(t, s, want)

	// The on-call webhook carried the bearer token from credentials_file, and WeCom got
	// the markdown message with the Chinese text intact.
	recorderAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("alertmanager:"+testToken))
	for _, n := range s.all() {
		if n.Kind == "webhook" && n.Receiver == "recorder" {
			if n.Auth != recorderAuth { // basic auth, password from password_file
				t.Errorf("recorder: Authorization %q", n.Auth)
			}
			continue
		}
		if n.Kind == "webhook" && n.Auth != "Bearer "+testToken {
			t.Errorf("%s: Authorization %q", n.Receiver, n.Auth)
		}
	}
	msgs := s.wecomFor("oncall-network")
	if len(msgs) != 1 || !strings.Contains(msgs[0], "测试告警 line-l1（LineDown）") || !strings.Contains(msgs[0], "站点 bj1 / 线路 L1 / 运营商 电信") {
		t.Errorf("WeCom oncall-network messages: %q", msgs)
	} else {
		t.Logf("WeCom markdown as sent by Alertmanager:\n%s", msgs[0])
	}
	for _, n := range s.all() {
		if n.Kind == "wecom" && (n.WeCom.MsgType != "markdown" || n.WeCom.AgentID != "REPLACE_ME_WECOM_AGENT_ID") {
			t.Errorf("WeCom request: msgtype=%q agentid=%q", n.WeCom.MsgType, n.WeCom.AgentID)
		}
	}
}

// TestLiveMaintenanceMutes: a team's maintenance window mutes that team only; maintenance-all
// mutes every page and ticket but never the Watchdog heartbeat or the supervisors' budget tickets.
func TestLiveMaintenanceMutes(t *testing.T) {
	t.Parallel()
	batch := []apiAlert{
		alert("id", "line-down", "alertname", "LineDown", "severity", "critical", "team", "network", "site", "bj1", "line", "L1", "path", "L1"),
		alert("id", "line-loss", "alertname", "LineHighLoss", "severity", "warning", "team", "network", "site", "bj1", "line", "L2"),
		alert("id", "host-down", "alertname", "HostDown", "severity", "critical", "team", "hosts", "site", "bj1", "host", "web01", "unit", "财政局"),
		alert("id", "budget", "alertname", "SLABudgetExhausted", "severity", "critical", "team", "network", "site", "bj1", "line", "L1"),
		alert("id", "watchdog", "alertname", "Watchdog", "severity", "info", "team", "meta"),
	}
	t.Run("maintenance-network", func(t *testing.T) {
		t.Parallel()
		s := newSink(t)
		am := startAM(t, "am-maint-network", writeVariant(t, variant{sink: s, active: []string{"maintenance-network"}}))
		mustPost(t, am, batch)
		expectDeliveries(t, s, map[string][]string{
			"oncall-hosts": {"host-down"},
			"supervisors":  {"budget"},
			"heartbeat":    {"watchdog"},
			"recorder":     {"budget", "host-down", "line-down", "line-loss"}, // recorded while muted
		})
	})
	t.Run("maintenance-all", func(t *testing.T) {
		t.Parallel()
		s := newSink(t)
		am := startAM(t, "am-maint-all", writeVariant(t, variant{sink: s, active: []string{"maintenance-all"}}))
		mustPost(t, am, batch)
		expectDeliveries(t, s, map[string][]string{
			"supervisors": {"budget"},
			"heartbeat":   {"watchdog"},
			"recorder":    {"budget", "host-down", "line-down", "line-loss"}, // recorded while muted
		})
		if n := len(s.wecomFor("oncall-network")) + len(s.wecomFor("oncall-hosts")); n != 0 {
			t.Errorf("%d WeCom pages during maintenance-all", n)
		}
	})
}

// TestLiveGuardPeriodPages: inside a guard period (重保) a warning pages the team's on-call
// (WeCom + webhook) and still opens the ticket; maintenance still wins over a guard period.
func TestLiveGuardPeriodPages(t *testing.T) {
	t.Parallel()
	s := newSink(t)
	am := startAM(t, "am-guard", writeVariant(t, variant{sink: s, active: []string{"guard-periods", "maintenance-websites"}}))
	mustPost(t, am, []apiAlert{
		alert("id", "loss-warn", "alertname", "LineHighLoss", "severity", "warning", "team", "network", "site", "bj1", "line", "L2"),
		alert("id", "ups-warn", "alertname", "EnvUPSBatteryLow", "severity", "warning", "team", "facilities", "site", "bj1", "room", "A201", "device", "ups-a1"),
		alert("id", "cert-warn", "alertname", "WebsiteCertExpiring", "severity", "warning", "team", "websites", "site", "bj1", "url", "https://www.example.gov.cn/"),
		alert("id", "flap-info", "alertname", "LineFlapped", "severity", "info", "team", "network", "site", "bj1", "line", "L2"),
		alert("id", "budget-warn", "alertname", "LineErrorBudgetHalfUsed", "audience", "supervisors", "severity", "warning", "team", "network", "site", "bj1", "line", "L2"),
	})
	expectDeliveries(t, s, map[string][]string{
		"oncall-network":     {"loss-warn"},
		"tickets-network":    {"loss-warn"},
		"oncall-facilities":  {"ups-warn"},
		"tickets-facilities": {"ups-warn"},
		"info-log":           {"flap-info"},
		"supervisors":        {"budget-warn"},
		"recorder":           {"budget-warn", "cert-warn", "flap-info", "loss-warn", "ups-warn"}, // cert-warn: muted, recorded
	})
	if msgs := s.wecomFor("oncall-network"); len(msgs) != 1 || !strings.Contains(msgs[0], "[警告]") {
		t.Errorf("guard-period WeCom page for the network warning: %q", msgs)
	}
}
