package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/simsite"
)

// The live simulators (issue 24 item 2) derive from the same site model as
// the back-filled history (internal/simsite): the machine room snmpsim
// answers for and env_exporter polls are the site's devices with the
// model's values (plus the week's events, records.go), which follow the
// model's clock while the demo runs (followModel), the
// lines carry the site's names, carriers and rates, and uptime_exporter
// probes the site's hosts and websites. So the wallboard shows the
// contract's topology and a live alert has a cause in the model
// (smokeAlertsExplained).

// liveModel is the site model the history is generated from, around now
// (its events up to a week ahead: the demo's run).
func (d *demo) liveModel(now time.Time) *simsite.Model {
	return simsite.NewModel(append(simsite.Events(now.Add(-48*time.Hour), now.Add(7*24*time.Hour)), d.week.events()...))
}

// snmpDevice is one simulated device: its snmprec lines (community = name)
// and the writable values that follow the model's clock.
type snmpDevice struct {
	name string
	recs []string
	live []liveValue
}

// liveValue is one writable integer of the live room and its value on the
// model's clock.
type liveValue struct {
	community, oid string
	at             func(time.Time) int
}

// follow adds a writable integer with the model's value at now; followModel
// moves it with the clock.
func (s *snmpDevice) follow(oid string, now time.Time, at func(time.Time) int) {
	s.wc(oid, at(now))
	s.live = append(s.live, liveValue{s.name, oid, at})
}

// followEvery is how often the live room follows the model (env_exporter
// polls every 5 s, Prometheus scrapes it every 15 s).
const followEvery = 15 * time.Second

// followModel keeps the live room on the model's clock: every followEvery it
// snmpsets each value whose model value changed since it was last set, so
// the wallboard's temperatures, rack power, UPS load and runtime move as the
// history does and an event of the model that begins while the demo runs
// shows live. A value the smoke test or SCENARIO=outage set stays until the
// model's own value changes. Bound: one snmpset per changed value per tick
// (rack power is followed in 10 W steps: a few a tick). It returns when ctx
// ends or snmpsim stops answering.
func (d *demo) followModel(ctx context.Context, vals []liveValue, start time.Time) {
	last := make([]int, len(vals))
	for i, v := range vals {
		last[i] = v.at(start)
	}
	t := time.NewTicker(followEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		for i, v := range vals {
			x := v.at(now)
			if x == last[i] {
				continue
			}
			if err := snmpSet(ctx, v.community, v.oid, strconv.Itoa(x)); err != nil {
				if ctx.Err() == nil {
					d.logf("live room: snmpset %s %s: %v (no longer following the model)", v.community, v.oid, err)
				}
				return
			}
			last[i] = x
		}
	}
}

func (s *snmpDevice) add(oid string, typ int, value string) {
	s.recs = append(s.recs, fmt.Sprintf("%s|%d|%s", oid, typ, value))
}

// wc adds a writable integer (snmpset changes it: the smoke test and
// SCENARIO=outage).
func (s *snmpDevice) wc(oid string, v int) {
	s.recs = append(s.recs, fmt.Sprintf("%s|2:writecache|value=%d", oid, v))
}

func newDevice(name string) *snmpDevice {
	s := &snmpDevice{name: name}
	s.add("1.3.6.1.2.1.1.1.0", 4, "jianguan demo device "+name+" (internal/simsite)")
	s.add("1.3.6.1.2.1.1.2.0", 6, "1.3.6.1.4.1.99999.1")
	s.add("1.3.6.1.2.1.1.3.0", 67, "123456")
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// liveRoom is env_exporter's configuration of the site's room and the
// snmpsim data behind it, from the model at now.
func liveRoom(m *simsite.Model, now time.Time, tmpl []byte) (cfg []byte, devs []*snmpDevice, err error) {
	const ent = "1.3.6.1.4.1.99999."
	var devices []any
	sig := func(signal, oid string, extra map[string]any) map[string]any {
		s := map[string]any{"signal": signal, "oid": oid}
		for k, v := range extra {
			s[k] = v
		}
		return s
	}
	generic := func(d *snmpDevice, signals ...any) {
		devices = append(devices, map[string]any{"name": d.name, "profile": "generic-sensor", "address": addrSNMP, "community": d.name, "signals": signals})
		devs = append(devs, d)
	}
	// 2N UPS (RFC 1628): the model's runtime, load and source.
	for _, u := range simsite.UPSs {
		src := func(t time.Time) int {
			if m.OnBattery(t) {
				return 5 // battery
			}
			return 3 // normal
		}
		load := func(t time.Time) int { return int(math.Round(100 * simsite.UPSLoad(t))) }
		text := strings.NewReplacer("ups-a1", u).Replace(string(tmpl))
		d := &snmpDevice{name: u}
		for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
			oid := l[:strings.IndexByte(l, '|')]
			switch {
			case oid == "1.3.6.1.2.1.33.1.2.3.0": // upsEstimatedMinutesRemaining
				d.follow(oid, now, func(t time.Time) int { return int(m.Runtime(t) / 60) })
			case oid == "1.3.6.1.2.1.33.1.4.1.0": // upsOutputSource
				d.follow(oid, now, src)
			case strings.HasPrefix(oid, "1.3.6.1.2.1.33.1.4.4.1.5."): // upsOutputPercentLoad
				d.follow(oid, now, load)
			default:
				d.recs = append(d.recs, l)
			}
		}
		devices = append(devices, map[string]any{"name": u, "profile": "rfc1628-ups", "address": addrSNMP, "community": u})
		devs = append(devs, d)
	}
	// Dual feeds at the ATS, the generator.
	ats := newDevice("ats-1")
	var feeds []any
	for i, f := range simsite.Feeds {
		oid := fmt.Sprintf("%s12.%d.0", ent, i+1)
		ats.follow(oid, now, func(t time.Time) int { return b2i(m.FeedUp(t)) })
		feeds = append(feeds, sig("feed_up", oid, map[string]any{"map": map[string]int{"0": 0, "1": 1}, "labels": map[string]string{"feed": f}}))
	}
	generic(ats, feeds...)
	gen := newDevice(simsite.Generator)
	gen.follow(ent+"11.1.0", now, func(t time.Time) int { return b2i(m.GeneratorRunning(t)) })
	gen.add(ent+"11.2.0", 66, "87")
	generic(gen, sig("generator_running", ent+"11.1.0", map[string]any{"map": map[string]int{"0": 0, "1": 1}}),
		sig("generator_fuel_ratio", ent+"11.2.0", map[string]any{"scale": 0.01}))
	// N+1 CRACs with supply and return air (reported, not judged).
	for i, c := range simsite.CRACs {
		d := newDevice(c)
		base := fmt.Sprintf("%s%d.", ent, 20+i)
		d.follow(base+"1.0", now, func(t time.Time) int { return b2i(m.CRACRunning(c, t)) })
		signals := []any{sig("cooling_unit_running", base+"1.0", nil)}
		for j, role := range []string{"supply", "return"} {
			d.follow(fmt.Sprintf("%s%d.0", base, j+2), now, func(t time.Time) int {
				if v := m.CRACAir(c, role, t); !math.IsNaN(v) {
					return int(math.Round(v * 10))
				}
				return 0 // off: no air
			})
			signals = append(signals, sig("temperature_celsius", fmt.Sprintf("%s%d.0", base, j+2),
				map[string]any{"scale": 0.1, "labels": map[string]string{"sensor": c + "-" + role, "role": role}}))
		}
		generic(d, signals...)
	}
	// Room and cold-aisle sensors: temperature and humidity.
	for i, s := range simsite.ClimateSensors() {
		role, rack := simsite.SensorPlace(s)
		d := newDevice(s)
		base := fmt.Sprintf("%s%d.", ent, 30+i)
		d.follow(base+"1.0", now, func(t time.Time) int { return int(math.Round(m.Temperature(s, t) * 10)) })
		d.follow(base+"2.0", now, func(t time.Time) int { return int(math.Round(m.Humidity(t) * 100)) })
		l := map[string]string{"sensor": s, "role": role}
		if rack != "" {
			l["rack"] = rack
		}
		generic(d, sig("temperature_celsius", base+"1.0", map[string]any{"scale": 0.1, "labels": l}),
			sig("humidity_ratio", base+"2.0", map[string]any{"scale": 0.01, "labels": l}))
	}
	// Leak ropes, smoke and very-early smoke detection, doors.
	alarm := func(names []string, signal string, kind simsite.Kind, first int) {
		for i, n := range names {
			d := newDevice(n)
			oid := fmt.Sprintf("%s%d.1.0", ent, first+i)
			d.follow(oid, now, func(t time.Time) int { return b2i(m.Active(kind, n, t)) })
			generic(d, sig(signal, oid, map[string]any{"map": map[string]int{"0": 0, "1": 1}, "labels": map[string]string{"sensor": n}}))
		}
	}
	alarm(simsite.Leaks, "leak_detected", simsite.Leak, 40)
	alarm(simsite.Smokes, "smoke_detected", simsite.Smoke, 45)
	alarm(simsite.Doors, "door_open", simsite.DoorOpen, 50)
	// Rack PDUs, read through one gateway per row (simsite.PDUGateway).
	var row *snmpDevice
	var rowSignals []any
	flush := func() {
		if row != nil {
			devices = append(devices, map[string]any{"name": row.name, "profile": "generic-sensor", "address": addrSNMP, "community": row.name,
				"interval": "15s", "signals": rowSignals})
			devs = append(devs, row)
		}
	}
	for i := 0; i < simsite.Racks; i++ {
		if gw := simsite.PDUGateway(i); row == nil || row.name != gw {
			flush()
			row, rowSignals = newDevice(gw), nil
		}
		oid := fmt.Sprintf("%s13.%d.0", ent, i+1)
		row.follow(oid, now, func(t time.Time) int { return 10 * int(math.Round(simsite.RackWatts(i, t)/10)) })
		rowSignals = append(rowSignals, sig("rack_power_watts", oid, map[string]any{"labels": map[string]string{"rack": fmt.Sprintf("R%03d", i+1)}}))
	}
	flush()
	thresholds := map[string]any{}
	for _, th := range simsite.Thresholds {
		thresholds[th.Name] = th.Value
	}
	c := map[string]any{
		"defaults":   map[string]any{"interval": "5s", "timeout": "2s", "retries": 1, "auth": "demo"},
		"auths":      map[string]any{"demo": map[string]any{"version": "2c", "community": "public"}},
		"thresholds": thresholds,
		"sites": []any{map[string]any{"name": simsite.SiteName, "rooms": []any{map[string]any{
			"name": simsite.Room,
			"redundancy": map[string]any{"ups_pair": simsite.UPSs, "cooling_required": len(simsite.CRACs), // N+1: fewer running is EnvCoolingRedundancyLost
				"feeds_required": len(simsite.Feeds)},
			"devices": devices,
		}}}},
	}
	cfg, err = yaml.Marshal(c)
	return cfg, devs, err
}

// writeLiveRoom writes env.yml and the devices' snmprec files, and keeps
// the values that follow the model (d.live, followModel).
func (d *demo) writeLiveRoom(dataDir string, now time.Time) (string, error) {
	tmpl, err := os.ReadFile(filepath.Join(d.root, "exporters/env_exporter/demo/ups-a1.snmprec"))
	if err != nil {
		return "", err
	}
	cfg, devs, err := liveRoom(d.liveModel(now), now, tmpl)
	if err != nil {
		return "", err
	}
	d.live = nil
	for _, dv := range devs {
		d.live = append(d.live, dv.live...)
		if err := os.WriteFile(filepath.Join(dataDir, dv.name+".snmprec"), []byte(strings.Join(dv.recs, "\n")+"\n"), 0o666); err != nil {
			return "", err
		}
	}
	return d.writeFile("env.yml", cfg)
}

// liveSiteDown is demo-sites' website that answers 503: a website the
// model has down at start-up is probed there (its url label is then not
// the history's for the rest of the run; a start inside one of the
// month's two website outages only).
const liveSiteDown = "http://127.0.0.1:18092/"

// writeLiveTargets writes uptime_exporter's configuration of the site's
// hosts (loopback simsite.HostAddress; a host the model has down at
// start-up is checked on a closed TCP port too, so it is down) and
// websites (simsite.WebsiteURL, served by demo-sites) — the history's
// labels — and returns its path.
func (d *demo) writeLiveTargets(ca string, now time.Time) (string, error) {
	spec, _, _ := simsite.ScenarioWith(now.Add(-time.Minute), now, time.Minute, d.week.events()...)
	var csv strings.Builder
	csv.WriteString("host,address,unit,provider,system,site,path,tcp_ports\n")
	var sites []any
	for _, e := range spec.Entities {
		l := e.Labels
		downNow := false
		for _, o := range e.Outages {
			downNow = downNow || (!now.Before(o.Start) && now.Before(o.End))
		}
		switch e.NS {
		case "host":
			port := ""
			if downNow {
				port = "3389"
			}
			fmt.Fprintf(&csv, "%s,%s,%s,%s,%s,%s,%s,%s\n", l["host"], l["address"], l["unit"], l["provider"], l["system"], l["site"], l["path"], port)
		case "website":
			u := l["url"]
			if downNow {
				u = liveSiteDown
			}
			sites = append(sites, map[string]any{"url": u, "unit": l["unit"], "provider": l["provider"], "system": l["system"], "site": l["site"], "path": l["path"]})
		}
	}
	ws, err := yaml.Marshal(map[string]any{"websites": sites})
	if err != nil {
		return "", err
	}
	if _, err := d.writeFile("uptime/hosts.csv", []byte(csv.String())); err != nil {
		return "", err
	}
	if _, err := d.writeFile("uptime/websites.yml", ws); err != nil {
		return "", err
	}
	cfg, err := yaml.Marshal(map[string]any{
		"defaults": map[string]any{
			"host":    map[string]any{"interval": "10s", "timeout": "1s", "down_after": 3, "up_after": 2},
			"website": map[string]any{"interval": "15s", "timeout": "5s", "slow": "1s", "down_after": 2, "ca_file": ca},
		},
		"target_files": []string{"hosts.csv", "websites.yml"},
	})
	if err != nil {
		return "", err
	}
	return d.writeFile("uptime/uptime.yml", cfg)
}

// alertCause says what in the site model (at now) explains a live alert,
// "" when nothing does. Watchdog always fires; MetaRemoteInspectionMissed
// is the recorder's own finding (it was not running at the last slots).
func (d *demo) alertCause(l map[string]string, now time.Time) string {
	return alertCauseIn(d.liveModel(now), l, now)
}

func alertCauseIn(m *simsite.Model, l map[string]string, now time.Time) string {
	switch l["alertname"] {
	case "Watchdog":
		return "the heartbeat (always firing)"
	case "MetaRemoteInspectionMissed":
		return "a remote inspection slot of the last 24 h passed while the recorder was not running"
	case "EnvUPSOnBattery", "EnvGeneratorFailedToStart":
		if m.OnBattery(now) {
			return "utility failure: UPS on battery"
		}
	case "EnvFeedLost", "EnvRoomPowerLost", "EnvSitePowerLost":
		if !m.FeedUp(now) {
			return "utility failure"
		}
	case "EnvGeneratorRunning":
		if m.GeneratorRunning(now) {
			return "generator running (utility failure or the monthly test)"
		}
	case "EnvCoolingRedundancyLost":
		for _, c := range simsite.CRACs {
			if !m.CRACRunning(c, now) {
				return c + " stopped"
			}
		}
	case "EnvWaterLeak":
		if m.Active(simsite.Leak, l["sensor"], now) {
			return "leak at " + l["sensor"]
		}
	case "EnvSmokeDetected":
		if m.Active(simsite.Smoke, l["sensor"], now) {
			return "smoke at " + l["sensor"]
		}
	case "EnvDoorOpenTooLong":
		if m.Active(simsite.DoorOpen, l["sensor"], now) {
			return l["sensor"] + " open"
		}
	case "LineDown":
		if m.Active(simsite.LineCut, l["line"], now) {
			return l["line"] + " cut"
		}
	case "HostDown":
		if m.Active(simsite.HostDown, l["host"], now) || m.Active(simsite.LineCut, l["path"], now) {
			return l["host"] + " down (own failure or its line " + l["path"] + ")"
		}
	case "WebsiteDown":
		if l["url"] == liveSiteDown {
			return "a website the model has down"
		}
	}
	return ""
}

// liveRouter rewrites the simulated core router's interface octet counters
// (ifHCInOctets, ifHCOutOctets of the BGP line's interface) to grow with
// time at the site model's traffic — the history's 30 % of the BGP line's
// rate inbound (simhistory.LineGauges), half that outbound — instead of the
// shipped file's per-request increments, which made the live utilisation
// tens of Gbit/s and kept LineUtilisationHigh pending without a cause.
func liveRouter(b []byte) []byte {
	bgp := simsite.Lines[0].BitsPerSecond / 8
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "1.3.6.1.2.1.31.1.1.1.6.1|70:numeric|"): // ifHCInOctets
			lines[i] = fmt.Sprintf("1.3.6.1.2.1.31.1.1.1.6.1|70:numeric|rate=%.0f,atime=1", 0.3*bgp)
		case strings.HasPrefix(l, "1.3.6.1.2.1.31.1.1.1.10.1|70:numeric|"): // ifHCOutOctets
			lines[i] = fmt.Sprintf("1.3.6.1.2.1.31.1.1.1.10.1|70:numeric|rate=%.0f,atime=1", 0.15*bgp)
		}
	}
	return []byte(strings.Join(lines, "\n"))
}
