package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/simsite"
)

// TestLiveRoomFollowsSiteModel (issue 24 item 2): the live machine room
// snmpsim serves is the site model's at start-up — during a utility
// failure the UPS pair is on battery and the feeds are down, otherwise on
// mains — its CRAC air sensors carry roles supply/return (not judged by
// the room band), its devices are the site's, and an alert is explained
// exactly when the model's state causes it.
func TestLiveRoomFollowsSiteModel(t *testing.T) {
	tmpl, err := os.ReadFile("../../exporters/env_exporter/demo/ups-a1.snmprec")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	failure := simsite.Event{Kind: simsite.UtilityFailure, Window: simhistory.Window{Start: now.Add(-10 * time.Second), End: now.Add(5 * time.Minute)}}
	for _, c := range []struct {
		name            string
		events          []simsite.Event
		upsSource, feed string
		onBatteryCause  bool
	}{
		{"on mains", nil, "value=3", "value=1", false},
		{"utility failure", []simsite.Event{failure}, "value=5", "value=0", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := simsite.NewModel(c.events)
			cfg, devs, err := liveRoom(m, now, tmpl)
			if err != nil {
				t.Fatal(err)
			}
			recs := map[string]string{}
			for _, d := range devs {
				recs[d.name] = strings.Join(d.recs, "\n")
			}
			for _, u := range simsite.UPSs {
				if !strings.Contains(recs[u], "1.3.6.1.2.1.33.1.4.1.0|2:writecache|"+c.upsSource) {
					t.Errorf("%s: output source is not %s:\n%s", u, c.upsSource, recs[u])
				}
			}
			if !strings.Contains(recs["ats-1"], "12.1.0|2:writecache|"+c.feed) {
				t.Errorf("ats-1: feed not %s:\n%s", c.feed, recs["ats-1"])
			}
			if n := len(devs); n != 2+1+1+len(simsite.CRACs)+len(simsite.RoomSensors)+len(simsite.AisleSensors)+len(simsite.Leaks)+len(simsite.Smokes)+len(simsite.Doors)+(simsite.Racks+simsite.RacksPerRow-1)/simsite.RacksPerRow {
				t.Errorf("%d devices", n)
			}
			var parsed struct {
				Sites []struct {
					Name  string
					Rooms []struct {
						Name    string
						Devices []struct {
							Name    string
							Signals []struct {
								Signal string
								Labels map[string]string
							}
						}
					}
				}
			}
			if err := yaml.Unmarshal(cfg, &parsed); err != nil {
				t.Fatal(err)
			}
			if len(parsed.Sites) != 1 || parsed.Sites[0].Name != simsite.SiteName || parsed.Sites[0].Rooms[0].Name != simsite.Room {
				t.Fatalf("site/room: %+v", parsed.Sites)
			}
			roles := map[string]int{}
			for _, dv := range parsed.Sites[0].Rooms[0].Devices {
				for _, s := range dv.Signals {
					if s.Signal == "temperature_celsius" {
						roles[s.Labels["role"]]++
					}
				}
			}
			if roles["supply"] != len(simsite.CRACs) || roles["return"] != len(simsite.CRACs) || roles["room"] != 2 || roles["cold_aisle"] != 4 || roles[""] != 0 {
				t.Errorf("temperature roles %v", roles)
			}
			cause := alertCauseIn(m, map[string]string{"alertname": "EnvUPSOnBattery", "device": simsite.UPSs[0]}, now)
			if (cause != "") != c.onBatteryCause {
				t.Errorf("EnvUPSOnBattery explained %q, want explained=%v", cause, c.onBatteryCause)
			}
			if cause := alertCauseIn(m, map[string]string{"alertname": "EnvRackPowerHigh", "rack": "R001"}, now); cause != "" {
				t.Errorf("EnvRackPowerHigh explained by %q: the model's racks stay below the warning", cause)
			}
		})
	}
}

// TestLiveRoomMovesWithModelClock (issue 24: the live room's values were
// fixed at start-up): every writable value of the live room is the
// snmprec's at start and the model's later on — a utility failure that
// begins after start moves the UPS pair to battery and the feeds down on
// the clock, temperatures and rack power follow the time of day — and
// every followed OID is served as writecache (snmpset accepts it).
func TestLiveRoomMovesWithModelClock(t *testing.T) {
	tmpl, err := os.ReadFile("../../exporters/env_exporter/demo/ups-a1.snmprec")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 4, 5, 0, 0, 0, time.UTC) // 13:00 in Beijing: warming
	failure := simsite.Event{Kind: simsite.UtilityFailure, Window: simhistory.Window{Start: start.Add(time.Minute), End: start.Add(6 * time.Minute)}}
	m := simsite.NewModel([]simsite.Event{failure})
	_, devs, err := liveRoom(m, start, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]liveValue{}
	for _, d := range devs {
		recs := strings.Join(d.recs, "\n")
		for _, v := range d.live {
			want := fmt.Sprintf("%s|2:writecache|value=%d", v.oid, v.at(start))
			if !strings.Contains(recs, want) {
				t.Errorf("%s: snmprec lacks %q", d.name, want)
			}
			byKey[v.community+" "+v.oid] = v
		}
	}
	for _, c := range []struct {
		key          string
		at           time.Time
		want, before int
	}{
		{simsite.UPSs[0] + " 1.3.6.1.2.1.33.1.4.1.0", start.Add(70 * time.Second), 5, 3},    // on battery
		{"ats-1 1.3.6.1.4.1.99999.12.1.0", start.Add(70 * time.Second), 0, 1},               // feed lost
		{simsite.Generator + " 1.3.6.1.4.1.99999.11.1.0", start.Add(3 * time.Minute), 1, 0}, // generator carries the load
	} {
		v, ok := byKey[c.key]
		if !ok {
			t.Fatalf("%s is not followed", c.key)
		}
		if got, was := v.at(c.at), v.at(start); got != c.want || was != c.before {
			t.Errorf("%s: %d at start, %d at %s; want %d then %d", c.key, was, got, c.at.Format(time.RFC3339), c.before, c.want)
		}
	}
	moved := 0
	for k, v := range byKey {
		if strings.HasPrefix(k, "pdu-row-") || strings.HasPrefix(k, "th-") {
			if v.at(start.Add(3*time.Hour)) != v.at(start) {
				moved++
			}
		}
	}
	if moved < simsite.Racks/2 {
		t.Errorf("only %d temperature and rack power values move in 3 h", moved)
	}
}

// TestLiveRouterTrafficFollowsModel: the core router's octet counters grow
// with time at the model's rate (snmpsim numeric atime), not per request.
func TestLiveRouterTrafficFollowsModel(t *testing.T) {
	b, err := os.ReadFile("../../exporters/line_exporter/demo/router.snmprec")
	if err != nil {
		t.Fatal(err)
	}
	out := string(liveRouter(b))
	for _, want := range []string{"1.3.6.1.2.1.31.1.1.1.6.1|70:numeric|rate=37500000,atime=1", "1.3.6.1.2.1.31.1.1.1.10.1|70:numeric|rate=18750000,atime=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("router data lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "cumulative") {
		t.Errorf("per-request counters left:\n%s", out)
	}
}

// TestDemoResendDelayIsShipped (issue 24: the demo's Prometheus ran with
// --rules.alert.resend-delay=30s while production uses 1m): the demo takes
// the flag from deploy/prometheus/prometheus.default, and a file without it
// is an error naming the file.
func TestDemoResendDelayIsShipped(t *testing.T) {
	got, err := shippedResendDelay("../..")
	if err != nil || got != "--rules.alert.resend-delay=1m" {
		t.Errorf("shipped resend delay %q, %v; want --rules.alert.resend-delay=1m", got, err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(dir+"/deploy/prometheus", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/deploy/prometheus/prometheus.default", []byte("ARGS=\"--web.enable-lifecycle\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := shippedResendDelay(dir); err == nil || !strings.Contains(err.Error(), "prometheus.default") {
		t.Errorf("file without the flag: %v", err)
	}
}
