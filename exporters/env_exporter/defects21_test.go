package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/snmp"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// Regression tests of issue 21 (env_exporter on real devices): the devices
// are snmprec fixtures of testdata/ served by a real snmpsimd; each
// fixture models one kind of card and its quirks (a card that answers the
// system group only, a single-phase RFC 1628 card with placeholders, an APC
// NMC with a disconnected probe, a wireless sensor gateway, a leak
// controller with a broken rope).

// fixtures reads testdata/<name>.snmprec for the given names.
func fixtures(t *testing.T, names ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("testdata", n+".snmprec"))
		if err != nil {
			t.Fatal(err)
		}
		out[n] = string(b)
	}
	return out
}

// startRoom runs the exporter against snmpsim with one room; devices is
// the YAML list of devices (use ADDR for the simulator's address), room is
// extra YAML of the room (e.g. redundancy), top extra top-level YAML.
func startRoom(t *testing.T, sim *testenv.SNMPSim, room, devices, top string) *running {
	t.Helper()
	cfg := fmt.Sprintf(`defaults:
  interval: 300ms
  timeout: 1s
  retries: 0
  auth: v2
auths:
  v2: {version: 2c, community: public}
%s
sites:
  - name: dc1
    rooms:
      - name: r1
%s
        devices:
%s`, top, room, strings.ReplaceAll(devices, "ADDR", sim.Addr))
	p := filepath.Join(t.TempDir(), "env.yml")
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return start(t, "--config.file="+p)
}

func present(f families, name string, l map[string]string) bool {
	return !math.IsNaN(f.val(name, l))
}

// TestDefect21_1_SilentUPSPairRedundancyUnknown: a 2N pair whose cards
// answer nothing useful was "redundancy intact" (a missing on-battery
// sample counted as online). Now the pair's redundancy is unknown: no
// env_ups_redundancy_intact, env_redundancy_known 0, unknown time counted
// by the availability engine, never ok time.
func TestDefect21_1_SilentUPSPairRedundancyUnknown(t *testing.T) {
	sim := testenv.StartSNMPSim(t, fixtures(t, "silent-card"), nil)
	r := startRoom(t, sim, `        redundancy: {ups_pair: [ups-1, ups-2]}`, `          - {name: ups-1, profile: rfc1628-ups, address: "ADDR", community: silent-card}
          - {name: ups-2, profile: rfc1628-ups, address: "ADDR", community: silent-card}
`, "")
	room := lbl("room", "r1", "device", "", "condition", "ups_redundancy_lost")
	r.waitFor(t, 10*time.Second, "unknown redundancy time", func(f families) bool {
		return f.val("env_device_up", lbl("device", "ups-1")) == 1 && f.val("env_device_up", lbl("device", "ups-2")) == 1 &&
			f.val("env_condition_unknown_seconds_total", room) > 0.5
	})
	f, _ := r.scrape(t)
	if present(f, "env_ups_redundancy_intact", lbl("room", "r1")) {
		t.Errorf("env_ups_redundancy_intact = %v for a pair of silent cards, want absent (unknown)", f.val("env_ups_redundancy_intact", lbl("room", "r1")))
	}
	if got := f.val("env_redundancy_known", lbl("room", "r1", "redundancy", "ups")); got != 0 {
		t.Errorf("env_redundancy_known{redundancy=ups} = %v, want 0", got)
	}
	if got := f.val("env_condition_ok", room); got != 0 {
		t.Errorf("env_condition_ok{ups_redundancy_lost} = %v, want 0", got)
	}
	if got := f.val("env_condition_unknown", room); got != 1 {
		t.Errorf("env_condition_unknown{ups_redundancy_lost} = %v, want 1", got)
	}
	if got := f.val("env_condition_observed_seconds_total", room); got != 0 {
		t.Errorf("observed seconds %v, want 0: nothing was measured", got)
	}
	for _, d := range []string{"ups-1", "ups-2"} {
		c := lbl("device", d, "condition", "on_battery")
		if f.val("env_condition_unknown", c) != 1 || f.val("env_condition_observed_seconds_total", c) != 0 {
			t.Errorf("%s on_battery: unknown %v observed %v, want unknown and never observed", d, f.val("env_condition_unknown", c), f.val("env_condition_observed_seconds_total", c))
		}
	}
}

// TestDefect21_1_RedundancyFromKnownInputs: the derived room states are
// decided from known inputs only (pure logic over device states).
func TestDefect21_1_RedundancyFromKnownInputs(t *testing.T) {
	now := time.Now()
	ups := func(name string, polled, ok bool, onBat, onByp *float64, unknown map[string]int) *devState {
		d := &devState{dev: &Device{Name: name}, polled: polled, ok: ok, at: now, stats: pollStats{unknown: unknown},
			specs: []SignalSpec{{Signal: "ups_on_battery"}, {Signal: "ups_on_bypass"}}}
		if onBat != nil {
			d.samples = append(d.samples, sample{signal: "ups_on_battery", value: *onBat})
		}
		if onByp != nil {
			d.samples = append(d.samples, sample{signal: "ups_on_bypass", value: *onByp})
		}
		return d
	}
	unit := func(running *float64, ok bool) *devState {
		d := &devState{dev: &Device{}, polled: true, ok: ok, at: now, specs: []SignalSpec{{Signal: "cooling_unit_running"}}}
		if running != nil {
			d.samples = []sample{{signal: "cooling_unit_running", value: *running}}
		} else {
			d.stats.unknown = map[string]int{"cooling_unit_running": 1}
		}
		return d
	}
	zero, one := f(0), f(1)
	for _, c := range []struct {
		name              string
		a, b              *devState
		wantKnown, intact bool
	}{
		{"both online", ups("a", true, true, zero, zero, nil), ups("b", true, true, zero, zero, nil), true, true},
		{"both silent (nothing read)", ups("a", true, true, nil, nil, map[string]int{"ups_on_battery": 1, "ups_on_bypass": 1}), ups("b", true, true, nil, nil, map[string]int{"ups_on_battery": 1, "ups_on_bypass": 1}), false, false},
		{"on-battery missing, bypass read", ups("a", true, true, nil, zero, map[string]int{"ups_on_battery": 1}), ups("b", true, true, zero, zero, nil), false, false},
		{"bypass invalid", ups("a", true, true, zero, nil, map[string]int{"ups_on_bypass": 1}), ups("b", true, true, zero, zero, nil), false, false},
		{"one unreachable, other online", ups("a", true, false, nil, nil, nil), ups("b", true, true, zero, zero, nil), false, false},
		{"one unreachable, other on battery: lost", ups("a", true, false, nil, nil, nil), ups("b", true, true, one, zero, nil), true, false},
		{"one silent, other on bypass: lost", ups("a", true, true, nil, nil, map[string]int{"ups_on_battery": 1}), ups("b", true, true, zero, one, nil), true, false},
		{"never polled", ups("a", false, false, nil, nil, nil), ups("b", true, true, zero, zero, nil), false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rs := &roomState{room: &Room{Redundancy: Redundancy{CoolingRequired: 2, FeedsRequired: 2}}, ups: []*devState{c.a, c.b}}
			st := rs.status(time.Minute, now)
			if st.upsKnown != c.wantKnown || st.upsIntact != c.intact {
				t.Errorf("known %v intact %v, want known %v intact %v", st.upsKnown, st.upsIntact, c.wantKnown, c.intact)
			}
		})
	}
	for _, c := range []struct {
		name        string
		units       []*devState
		required    int
		known, lost bool
	}{
		{"2 of 3 running, 1 unknown, need 2: ok", []*devState{unit(one, true), unit(one, true), unit(nil, true)}, 2, true, false},
		{"1 running, 1 unknown, need 2: unknown", []*devState{unit(one, true), unit(nil, true), unit(zero, true)}, 2, false, false},
		{"1 running, 2 stopped, need 2: lost", []*devState{unit(one, true), unit(zero, true), unit(zero, true)}, 2, true, true},
		{"all unreachable: unknown", []*devState{unit(nil, false), unit(nil, false)}, 2, false, false},
	} {
		t.Run("cooling "+c.name, func(t *testing.T) {
			rs := &roomState{room: &Room{Redundancy: Redundancy{CoolingRequired: c.required, FeedsRequired: 2}}, cooling: c.units}
			st := rs.status(time.Minute, now)
			if st.coolingKnown != c.known || (st.coolingRunning < st.coolingRequired) != c.lost && c.known {
				t.Errorf("known %v running %d/%d, want known %v lost %v", st.coolingKnown, st.coolingRunning, st.coolingRequired, c.known, c.lost)
			}
		})
	}
}

// TestDefect21_2_NoMatchingOIDsIsNoData: a device whose profile matches
// none of its OIDs was green. Now env_device_signals says expected N,
// read 0, missing N; the landing page shows "no data" and names the
// missing OIDs; the debug log names them too.
func TestDefect21_2_NoMatchingOIDsIsNoData(t *testing.T) {
	sim := testenv.StartSNMPSim(t, fixtures(t, "rfc1628-single-phase"), nil)
	r := startRoom(t, sim, "", `          - {name: wrong-1, profile: apc-ups, address: "ADDR", community: rfc1628-single-phase}
          - {name: right-1, profile: rfc1628-ups, address: "ADDR", community: rfc1628-single-phase}
`, "")
	w := lbl("device", "wrong-1")
	r.waitFor(t, 10*time.Second, "signal accounting", func(f families) bool {
		return f.val("env_device_signals", lbl("device", "wrong-1", "state", "expected")) > 0 &&
			f.val("env_device_signals", lbl("device", "right-1", "state", "read")) > 0
	})
	f, _ := r.scrape(t)
	exp := f.val("env_device_signals", lbl("device", "wrong-1", "state", "expected"))
	if f.val("env_device_up", w) != 1 {
		t.Errorf("env_device_up = %v: the agent answers SNMP", f.val("env_device_up", w))
	}
	if got := f.val("env_device_signals", lbl("device", "wrong-1", "state", "read")); got != 0 {
		t.Errorf("read %v, want 0", got)
	}
	if got := f.val("env_device_signals", lbl("device", "wrong-1", "state", "missing")); got != exp {
		t.Errorf("missing %v, want %v (= expected)", got, exp)
	}
	// the right profile on the same device: every expected signal answered
	rexp := f.val("env_device_signals", lbl("device", "right-1", "state", "expected"))
	rread := f.val("env_device_signals", lbl("device", "right-1", "state", "read"))
	rmiss := f.val("env_device_signals", lbl("device", "right-1", "state", "missing"))
	rinv := f.val("env_device_signals", lbl("device", "right-1", "state", "invalid"))
	if rmiss != 0 || rread+rinv != rexp || rinv == 0 {
		t.Errorf("right profile: expected %v read %v missing %v invalid %v", rexp, rread, rmiss, rinv)
	}
	page := get(t, r.base+"/")
	row := pageRow(page, "wrong-1")
	if !strings.Contains(row, "no data") || !strings.Contains(row, "1.3.6.1.4.1.318.1.1.1.4.1.1.0") {
		t.Errorf("landing page row of wrong-1 lacks \"no data\" or the missing OID:\n%s", row)
	}
	if row := pageRow(page, "right-1"); !strings.Contains(row, ">up<") {
		t.Errorf("right-1 not up on the landing page:\n%s", row)
	}
	logs := r.stderr.String()
	if !strings.Contains(logs, "signals missing on device") || !strings.Contains(logs, "1.3.6.1.4.1.318.1.1.1.2.2.3.0") ||
		!strings.Contains(logs, "none of its expected signals") {
		t.Errorf("log does not name the missing OIDs:\n%s", logs)
	}
}

// pageRow returns the landing page's table row that mentions name.
func pageRow(page, name string) string {
	for _, row := range strings.Split(page, "<tr") {
		if strings.Contains(row, ">"+name+"<") {
			return row
		}
	}
	return ""
}

// TestDefect21_3_AutoProfile: the profile is no longer mandatory; profile
// auto (the default) detects APC from its sysObjectID, an RFC 1628 card of
// an unknown vendor from the upsIdentManufacturer probe, and reports a
// card that matches nothing as unrecognised with a hint.
func TestDefect21_3_AutoProfile(t *testing.T) {
	sim := testenv.StartSNMPSim(t, fixtures(t, "apc-nmc-probes", "rfc1628-single-phase", "silent-card"), nil)
	r := startRoom(t, sim, "", `          - {name: apc-1, address: "ADDR", community: apc-nmc-probes}
          - {name: rfc-1, profile: auto, address: "ADDR", community: rfc1628-single-phase}
          - {name: odd-1, address: "ADDR", community: silent-card}
`, "")
	r.waitFor(t, 10*time.Second, "identification", func(f families) bool {
		return f.val("env_ups_battery_charge_ratio", lbl("device", "apc-1")) == 1 &&
			f.val("env_ups_input_voltage_volts", lbl("device", "rfc-1", "phase", "1")) == 221 &&
			present(f, "env_device_info", lbl("device", "odd-1"))
	})
	f, _ := r.scrape(t)
	for _, c := range []map[string]string{
		lbl("device", "apc-1", "profile", "apc-ups", "vendor", "APC", "model", "Smart-UPS SRT 5000", "firmware", "UPS 15.5", "serial", "AS1911123456", "sys_object_id", "1.3.6.1.4.1.318.1.3.27"),
		lbl("device", "rfc-1", "profile", "rfc1628-ups", "vendor", "Generic UPS Co.", "model", "1P-3K", "firmware", "FW 1.02", "serial", ""),
		lbl("device", "odd-1", "profile", "unrecognised", "sys_object_id", "1.3.6.1.4.1.99998.1.7"),
	} {
		if f.val("env_device_info", c) != 1 {
			t.Errorf("env_device_info%v missing", c)
		}
	}
	if f.val("env_device_up", lbl("device", "apc-1", "profile", "auto")) != 1 {
		t.Errorf("env_device_up{profile=auto} of apc-1 missing")
	}
	page := get(t, r.base+"/")
	if row := pageRow(page, "odd-1"); !strings.Contains(row, "unrecognised") || !strings.Contains(row, "1.3.6.1.4.1.99998.1.7") || !strings.Contains(row, "match.sysobjectid") {
		t.Errorf("landing page row of odd-1 lacks state, sysObjectID or hint:\n%s", row)
	}
	if row := pageRow(page, "apc-1"); !strings.Contains(row, "auto: apc-ups") || !strings.Contains(row, ">up<") {
		t.Errorf("landing page row of apc-1 does not show the detected profile:\n%s", row)
	}
	if !strings.Contains(r.stderr.String(), "device not recognised") {
		t.Errorf("no log line for the unrecognised device")
	}
	// identification probes that do not answer are not noSuchObject errors
	if got := f.val("env_device_errors_total", lbl("device", "apc-1", "reason", "noSuchObject")); got != 0 {
		t.Errorf("apc-1 noSuchObject errors %v, want 0", got)
	}
}

// TestDefect21_5_PlaceholdersAreInvalid: vendor "no value" markers were
// exported as data. Each is now invalid, not exported, and counted by
// reason (decode of one raw value per row; the fixtures below check the
// same through snmpsim).
func TestDefect21_5_PlaceholdersAreInvalid(t *testing.T) {
	apc := builtin(t)["apc-ups"]
	rfc := builtin(t)["rfc1628-ups"]
	spec := func(p *Profile, signal string) SignalSpec {
		for _, s := range p.Signals {
			if s.Signal == signal {
				return s
			}
		}
		t.Fatalf("%s has no %s", p.Name, signal)
		return SignalSpec{}
	}
	wireless := []SignalSpec{{Signal: "temperature_celsius", OID: "1.3.6.1.4.1.9.1.0", Scale: f(0.1)}}
	validateSpecs(t, wireless)
	for _, c := range []struct {
		name string
		spec SignalSpec
		v    snmp.Value
		want string // invalid reason, "" = a value
	}{
		{"runtime 0xFFFFFFFF minutes (2.58e11 s)", spec(rfc, "ups_battery_runtime_seconds"), snmp.Value{Type: gosnmp.Gauge32, V: uint(4294967295)}, invalidPlaceholder},
		{"runtime 32 minutes", spec(rfc, "ups_battery_runtime_seconds"), snmp.Value{Type: gosnmp.Integer, V: 32}, ""},
		{"runtime 2000 days", spec(rfc, "ups_battery_runtime_seconds"), snmp.Value{Type: gosnmp.Integer, V: 2880000}, invalidOutOfRange},
		{"battery temperature -273 °C", spec(rfc, "ups_battery_temperature_celsius"), snmp.Value{Type: gosnmp.Integer, V: -273}, invalidOutOfRange},
		{"battery temperature 25 °C", spec(rfc, "ups_battery_temperature_celsius"), snmp.Value{Type: gosnmp.Integer, V: 25}, ""},
		{"absent wireless sensor -214748364.7 °C", wireless[0], snmp.Value{Type: gosnmp.Integer, V: -2147483647}, invalidPlaceholder},
		{"APC disconnected probe -1 °C", spec(apc, "temperature_celsius"), snmp.Value{Type: gosnmp.Integer, V: -1}, invalidPlaceholder},
		{"APC disconnected probe -1 %RH", spec(apc, "humidity_ratio"), snmp.Value{Type: gosnmp.Integer, V: -1}, invalidPlaceholder},
		{"APC probe 0 °C is a value", spec(apc, "temperature_celsius"), snmp.Value{Type: gosnmp.Integer, V: 0}, ""},
		{"charge 140 %", spec(rfc, "ups_battery_charge_ratio"), snmp.Value{Type: gosnmp.Integer, V: 140}, invalidOutOfRange},
		{"string where a number is expected", spec(rfc, "ups_battery_charge_ratio"), snmp.Value{Type: gosnmp.OctetString, V: []byte("n/a")}, invalidWrongType},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := c.spec
			if s.Table != "" { // a table column: one row
				s.LabelOID = ""
			}
			key := s.OID
			if key == "" {
				key = s.Table + ".1"
			}
			samples, _, st := decode(&Device{Name: "d"}, []SignalSpec{s}, map[string]snmp.Value{key: c.v})
			if c.want == "" {
				if len(samples) != 1 || st.invalidN != 0 {
					t.Errorf("samples %v invalid %v, want one value", samples, st.invalid)
				}
				return
			}
			if len(samples) != 0 || st.invalid[c.want] != 1 || st.read != 0 || st.expected != 1 {
				t.Errorf("samples %v, stats %+v, want no sample and one %s", samples, st, c.want)
			}
		})
	}
	// through snmpsim: the values are absent and counted
	sim := testenv.StartSNMPSim(t, fixtures(t, "rfc1628-single-phase", "apc-nmc-probes", "wireless-th"), nil)
	r := startRoom(t, sim, "", `          - {name: rfc-1, profile: rfc1628-ups, address: "ADDR", community: rfc1628-single-phase}
          - {name: apc-1, profile: apc-ups, address: "ADDR", community: apc-nmc-probes}
          - name: wl-1
            profile: generic-sensor
            address: "ADDR"
            community: wireless-th
            signals:
              - {signal: temperature_celsius, table: 1.3.6.1.4.1.99998.3.1.1, index_label: sensor, scale: 0.1}
              - {signal: humidity_ratio, table: 1.3.6.1.4.1.99998.3.1.2, index_label: sensor, scale: 0.001}
`, "")
	r.waitFor(t, 10*time.Second, "first polls", func(f families) bool {
		return f.val("env_device_signals", lbl("device", "wl-1", "state", "expected")) == 4 &&
			f.val("env_device_signals", lbl("device", "rfc-1", "state", "read")) > 0 &&
			f.val("env_device_signals", lbl("device", "apc-1", "state", "read")) > 0
	})
	f, text := r.scrape(t)
	for _, c := range []struct {
		name string
		l    map[string]string
	}{
		{"env_ups_battery_runtime_seconds", lbl("device", "rfc-1")},
		{"env_ups_battery_temperature_celsius", lbl("device", "rfc-1")},
		{"env_temperature_celsius", lbl("device", "apc-1", "sensor", "rack-rear")},
		{"env_humidity_ratio", lbl("device", "apc-1", "sensor", "rack-rear")},
		{"env_temperature_celsius", lbl("device", "wl-1", "sensor", "2")},
		{"env_humidity_ratio", lbl("device", "wl-1", "sensor", "2")},
	} {
		if present(f, c.name, c.l) {
			t.Errorf("%s%v = %v exported, want absent (placeholder)", c.name, c.l, f.val(c.name, c.l))
		}
	}
	for _, c := range []struct {
		device, reason string
		min            float64
	}{{"rfc-1", "placeholder", 1}, {"rfc-1", "out_of_range", 1}, {"apc-1", "placeholder", 2}, {"wl-1", "placeholder", 2}} {
		if got := f.val("env_signal_invalid_total", lbl("device", c.device, "reason", c.reason)); got < c.min {
			t.Errorf("env_signal_invalid_total{%s,%s} = %v, want ≥ %v", c.device, c.reason, got, c.min)
		}
	}
	if f.val("env_temperature_celsius", lbl("device", "wl-1", "sensor", "1")) != 23.6 || f.val("env_temperature_celsius", lbl("device", "apc-1", "sensor", "rack-front")) != 24 {
		t.Errorf("valid values lost:\n%s", text)
	}
	// Only the exporter's own samples: the process collector's
	// process_network_*_bytes_total count the whole network namespace's
	// traffic, past 10¹¹ bytes (e+11) on a machine that has moved 100 GB
	// over loopback.
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "env_") && (strings.Contains(l, "e+11") || strings.Contains(l, "-273") || strings.Contains(l, "-2.147")) {
			t.Errorf("a placeholder reached /metrics: %s", l)
		}
	}
}

// TestDefect21_6_SinglePhaseRFC1628: a single-phase RFC 1628 card answers
// rows 2 and 3 of the line tables with 0 V and an alarm row of zeroDotZero:
// phases now come from upsInputNumLines/upsOutputNumLines and the alarm
// table from its well-known alarm OIDs, with no alarm_0.
func TestDefect21_6_SinglePhaseRFC1628(t *testing.T) {
	sim := testenv.StartSNMPSim(t, fixtures(t, "rfc1628-single-phase"), nil)
	r := startRoom(t, sim, "", `          - {name: ups-1p, profile: rfc1628-ups, address: "ADDR", community: rfc1628-single-phase}
`, "")
	r.waitFor(t, 10*time.Second, "first poll", func(f families) bool {
		return f.val("env_ups_input_voltage_volts", lbl("device", "ups-1p", "phase", "1")) == 221
	})
	f, text := r.scrape(t)
	if got := f.val("env_ups_output_load_ratio", lbl("device", "ups-1p", "phase", "1")); got != 0.27 {
		t.Errorf("load phase 1 = %v, want 0.27", got)
	}
	for _, ph := range []string{"2", "3"} {
		for _, m := range []string{"env_ups_input_voltage_volts", "env_ups_output_load_ratio"} {
			if present(f, m, lbl("device", "ups-1p", "phase", ph)) {
				t.Errorf("%s{phase=%s} exported on a single-phase UPS", m, ph)
			}
		}
	}
	if strings.Contains(text, "alarm_0") || present(f, "env_ups_alarm_active", lbl("device", "ups-1p")) {
		t.Errorf("alarm exported for a zeroDotZero alarm row:\n%s", grepLines(text, "env_ups_alarm_active"))
	}
	// decoded by name through the well-known alarm OIDs, stale rows ignored when upsAlarmsPresent is 0
	rfc := builtin(t)["rfc1628-ups"]
	var alarm SignalSpec
	for _, s := range rfc.Signals {
		if s.Signal == "ups_alarm_active" {
			alarm = s
		}
	}
	for _, c := range []struct {
		name    string
		present int
		rows    map[string]string
		want    []string
	}{
		{"on battery and low battery", 2, map[string]string{"3": "1.3.6.1.2.1.33.1.6.3.2", "4": "1.3.6.1.2.1.33.1.6.3.3"}, []string{"LowBattery", "OnBattery"}},
		{"stale row, none present", 0, map[string]string{"1": "1.3.6.1.2.1.33.1.6.3.18"}, nil},
		{"zeroDotZero", 1, map[string]string{"1": "0.0"}, nil},
	} {
		vals := map[string]snmp.Value{alarm.RowsFrom: {Type: gosnmp.Gauge32, V: uint(c.present)}}
		for idx, o := range c.rows {
			vals[alarm.Table+"."+idx] = snmp.Value{Type: gosnmp.ObjectIdentifier, V: "." + o}
		}
		samples, _, _ := decode(&Device{}, []SignalSpec{alarm}, vals)
		var got []string
		for _, s := range samples {
			got = append(got, s.labels[0])
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: alarms %v, want %v", c.name, got, c.want)
		}
	}
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestDefect21_7_SensorRoles: the 21–27 °C band applied to every sensor,
// CRAC supply air included. Roles room, inlet and cold_aisle are judged
// against the room band; supply, return and hot_aisle only against their
// own optional band.
func TestDefect21_7_SensorRoles(t *testing.T) {
	thr := contractThresholds
	thr.RoleBands = map[string]Band{roleReturn: {TemperatureHigh: f(35)}}
	temp := func(role string, v float64) sample {
		return sample{signal: "temperature_celsius", labels: []string{"s", "", role}, value: v}
	}
	for _, c := range []struct {
		name    string
		samples []sample
		want    avail.State
	}{
		{"supply air 18.5 °C is not out of band", []sample{temp(roleSupply, 18.5), temp(roleColdAisle, 23)}, avail.Up},
		{"supply air alone is not judged", []sample{temp(roleSupply, 18.5)}, avail.Unknown},
		{"room sensor 18.5 °C is out of band", []sample{temp(roleRoom, 18.5)}, avail.Down},
		{"inlet 28 °C is out of band", []sample{temp(roleInlet, 28)}, avail.Down},
		{"hot aisle 38 °C: no band, reported only", []sample{temp(roleHotAisle, 38), temp(roleRoom, 24)}, avail.Up},
		{"return air 28 °C within its own band", []sample{temp(roleReturn, 28), temp(roleRoom, 24)}, avail.Up},
		{"return air 36 °C beyond its own band", []sample{temp(roleReturn, 36), temp(roleRoom, 24)}, avail.Down},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := deviceCondition(condTempBand, c.samples, nil, thr); got != c.want {
				t.Errorf("state %v, want %v", got, c.want)
			}
		})
	}
	// a CRAC with supply-air sensors only has no temperature condition at all
	d := &Device{Name: "crac"}
	specs := []SignalSpec{{Signal: "cooling_unit_running", OID: "1.1.0"}, {Signal: "temperature_celsius", OID: "1.2.0", Labels: map[string]string{"role": roleSupply}}}
	if conds := specConditions(d, specs, contractThresholds); conds[condTempBand] {
		t.Errorf("supply-air sensor drives temperature_out_of_band: %v", conds)
	}
	d.Role = roleInlet
	specs[1].Labels = nil
	if conds := specConditions(d, specs, contractThresholds); !conds[condTempBand] {
		t.Errorf("inlet sensor (device role) does not drive temperature_out_of_band")
	}
	// bad roles are rejected with file:line
	bad := strings.Replace(baseConfig, "address: 127.0.0.1:161", "address: 127.0.0.1:161\n            role: exhaust", 1)
	if _, err := loadConfig("env.yml", []byte(bad), builtin(t)); err == nil || !strings.Contains(err.Error(), `env.yml:14: sites[0].rooms[0].devices[0].role: unknown role "exhaust"`) {
		t.Errorf("role exhaust: %v", err)
	}
	bad = strings.Replace(baseConfig, "defaults:", "thresholds:\n  role_bands: {room: {temperature_high_celsius: 30}}\ndefaults:", 1)
	if _, err := loadConfig("env.yml", []byte(bad), builtin(t)); err == nil || !strings.Contains(err.Error(), "role_bands") {
		t.Errorf("role band for room accepted: %v", err)
	}
}

// TestDefect21_8_LeakCableFault: a disconnected rope read as a leak or
// disappeared. Leak state is now leak / no leak / cable fault: a fault
// value (or an invalid reading) gives env_leak_cable_fault 1, no
// env_leak_detected sample and an unknown leak condition, never "no leak".
func TestDefect21_8_LeakCableFault(t *testing.T) {
	sim := testenv.StartSNMPSim(t, fixtures(t, "leak-controller"), nil)
	r := startRoom(t, sim, "", `          - name: leak-1
            profile: generic-sensor
            address: "ADDR"
            community: leak-controller
            signals:
              - {signal: leak_detected, oid: 1.3.6.1.4.1.99998.4.1.1.1, map: {"0": 0, "1": 1}, fault_values: ["2"], labels: {sensor: rope-1}}
              - {signal: leak_detected, oid: 1.3.6.1.4.1.99998.4.1.1.2, map: {"0": 0, "1": 1}, fault_values: ["2"], labels: {sensor: rope-2}}
              - {signal: leak_detected, oid: 1.3.6.1.4.1.99998.4.1.1.3, map: {"0": 0, "1": 1}, fault_values: ["2"], labels: {sensor: rope-3}}
`, "")
	leak := lbl("device", "leak-1", "condition", "leak")
	r.waitFor(t, 10*time.Second, "leak polls", func(f families) bool {
		return present(f, "env_leak_cable_fault", lbl("device", "leak-1", "sensor", "rope-3")) && f.val("env_condition_unknown_seconds_total", leak) > 0.3
	})
	f, _ := r.scrape(t)
	for _, c := range []struct {
		name, sensor string
		want         float64 // NaN: absent
	}{
		{"env_leak_detected", "rope-1", 0},
		{"env_leak_cable_fault", "rope-1", 0},
		{"env_leak_detected", "rope-2", math.NaN()},
		{"env_leak_cable_fault", "rope-2", 1}, // fault value
		{"env_leak_detected", "rope-3", math.NaN()},
		{"env_leak_cable_fault", "rope-3", 1}, // not in the map: not "no leak"
	} {
		got := f.val(c.name, lbl("device", "leak-1", "sensor", c.sensor))
		if !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("%s{sensor=%s} = %v, want %v", c.name, c.sensor, got, c.want)
		}
	}
	if f.val("env_condition_unknown", leak) != 1 || f.val("env_condition_observed_seconds_total", leak) != 0 {
		t.Errorf("leak condition: unknown %v observed %v, want unknown while a rope is faulty", f.val("env_condition_unknown", leak), f.val("env_condition_observed_seconds_total", leak))
	}
	// a leak on a good rope is still a leak while another rope is faulty
	sim.Set(t, "leak-controller", "1.3.6.1.4.1.99998.4.1.1.1", "i", "1")
	r.waitFor(t, 5*time.Second, "leak on rope-1", func(f families) bool {
		return f.val("env_leak_detected", lbl("device", "leak-1", "sensor", "rope-1")) == 1 && f.val("env_condition_active_seconds_total", leak) > 0
	})
}
