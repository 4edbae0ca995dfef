package main

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestDemoAgainstSnmpsim runs the demo machine room (demo/*.snmprec and
// demo/env.yml) through snmpsim: every vendor profile (RFC 1628, APC,
// Huawei, Vertiv/Liebert) and the generic sensors decode to the expected
// normalised values without decode errors.
func TestDemoAgainstSnmpsim(t *testing.T) {
	recs, _ := filepath.Glob("demo/*.snmprec")
	files := map[string]string{}
	for _, p := range recs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimSuffix(filepath.Base(p), ".snmprec")] = string(b)
	}
	sim := testenv.StartSNMPSim(t, files, nil)
	cfg, err := os.ReadFile("demo/env.yml")
	if err != nil {
		t.Fatal(err)
	}
	c := strings.ReplaceAll(string(cfg), "127.0.0.1:11161", sim.Addr)
	c = strings.Replace(c, "interval: 5s", "interval: 500ms", 1)
	p := filepath.Join(t.TempDir(), "env.yml")
	os.WriteFile(p, []byte(c), 0o600)
	r := start(t, "--config.file="+p)
	r.waitFor(t, 15*time.Second, "all demo devices up", func(f families) bool {
		mf := f["env_device_up"]
		if mf == nil || len(mf.GetMetric()) != len(files) {
			return false
		}
		for _, m := range mf.GetMetric() {
			if m.GetGauge().GetValue() != 1 {
				return false
			}
		}
		return true
	})
	time.Sleep(1200 * time.Millisecond) // room evaluation
	f, text := r.scrape(t)
	for _, c := range []struct {
		name string
		l    map[string]string
		want float64
	}{
		{"env_ups_on_battery", lbl("device", "ups-a1"), 0},
		{"env_ups_battery_runtime_seconds", lbl("device", "ups-a1"), 1920},
		{"env_ups_output_load_ratio", lbl("device", "ups-a1", "phase", "2"), 0.41},
		{"env_ups_on_battery", lbl("device", "ups-a2"), 0},
		{"env_ups_battery_runtime_seconds", lbl("device", "ups-a2"), 1800},
		{"env_ups_battery_status", lbl("device", "ups-a2"), 2},
		{"env_ups_input_voltage_volts", lbl("device", "ups-a2", "phase", "3"), 229},
		{"env_ups_battery_runtime_seconds", lbl("device", "ups-net"), 1800},
		{"env_ups_battery_charge_ratio", lbl("device", "ups-net"), 1},
		{"env_ups_battery_temperature_celsius", lbl("device", "ups-net"), 26.2},
		{"env_ups_input_voltage_volts", lbl("device", "ups-net", "phase", "1"), 230.1},
		{"env_ups_output_load_ratio", lbl("device", "ups-net"), 0.215},
		{"env_ups_alarm_active", lbl("device", "ups-net", "alarm", "BatteryBad"), 0},
		{"env_temperature_celsius", lbl("device", "ups-net", "sensor", "net-rack-rear", "rack", "B01"), 25},
		{"env_humidity_ratio", lbl("device", "ups-net", "sensor", "net-rack-front"), 0.44},
		{"env_ups_on_bypass", lbl("device", "ups-hw"), 0},
		{"env_ups_input_voltage_volts", lbl("device", "ups-hw", "phase", "2"), 230.5},
		{"env_ups_output_load_ratio", lbl("device", "ups-hw", "phase", "1"), 0.312},
		{"env_ups_battery_runtime_seconds", lbl("device", "ups-hw"), 1980},
		{"env_temperature_celsius", lbl("device", "th-a-row1", "sensor", "a-row1-cold", "rack", "A01"), 23.5},
		{"env_humidity_ratio", lbl("device", "th-b-row2"), 0.44},
		{"env_leak_detected", lbl("device", "leak-a"), 0},
		{"env_door_open", lbl("device", "leak-b"), 0},
		{"env_smoke_detected", lbl("device", "leak-b"), 0},
		{"env_generator_running", lbl("device", "gen-1"), 0},
		{"env_generator_fuel_ratio", lbl("device", "gen-1"), 0.87},
		{"env_feed_up", lbl("device", "ats-1", "feed", "utility-B"), 1},
		{"env_cooling_unit_running", lbl("device", "crac-b2"), 1},
		{"env_rack_power_watts", lbl("device", "pdu-a2", "rack", "A04"), 4210},
		{"env_ups_redundancy_intact", lbl("room", "room-a"), 1},
		{"env_ups_redundancy_intact", lbl("room", "room-b"), 1},
		{"env_cooling_units_running", lbl("room", "room-a"), 2},
		{"env_cooling_units_required", lbl("room", "room-b"), 2},
		{"env_feeds_up", lbl("room", "room-b"), 2},
		{"env_feeds_required", lbl("room", "room-a"), 2},
		{"env_condition_ok", lbl("room", "room-a", "device", "", "condition", "feed_lost"), 1},
		{"env_condition_ok", lbl("room", "room-b", "device", "", "condition", "cooling_redundancy_lost"), 1},
		{"env_condition_ok", lbl("device", "th-a-row2", "condition", "temperature_out_of_band"), 1},
		// issue 21: ups-net has no profile (auto): its APC sysObjectID selects apc-ups
		{"env_device_info", lbl("device", "ups-net", "profile", "apc-ups", "vendor", "APC", "model", "Smart-UPS SRT 6000"), 1},
		{"env_redundancy_known", lbl("room", "room-a", "redundancy", "ups"), 1},
		{"env_redundancy_known", lbl("room", "room-a", "redundancy", "cooling"), 1},
		{"env_device_signals", lbl("device", "ups-a1", "state", "missing"), 0},
		{"env_temperature_celsius", lbl("device", "crac-a1", "role", "supply"), 18.5},
	} {
		if got := f.val(c.name, c.l); math.Abs(got-c.want) > 1e-9 || math.IsNaN(got) {
			t.Errorf("%s%v = %v, want %v", c.name, c.l, got, c.want)
		}
	}
	// issue 21: the CRAC supply-air sensors (18.5 °C) are role supply; every
	// judged sensor (room, inlet, cold_aisle) of the demo is inside 21–27 °C,
	// so no EnvTemperatureOutOfBand is pending, and no CRAC device has a
	// temperature_out_of_band condition
	for _, m := range f["env_temperature_celsius"].GetMetric() {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		if judged := roles[l["role"]]; judged && (m.GetGauge().GetValue() < 21 || m.GetGauge().GetValue() > 27) {
			t.Errorf("demo sensor %v at %v °C is out of band", l, m.GetGauge().GetValue())
		}
	}
	for _, crac := range []string{"crac-a1", "crac-a2", "crac-b1", "crac-b2"} {
		if present(f, "env_condition_ok", lbl("device", crac, "condition", "temperature_out_of_band")) {
			t.Errorf("%s (supply air only) has a temperature_out_of_band condition", crac)
		}
	}
	for _, reason := range []string{"wrongType", "decode", "noSuchObject", "auth", "timeout"} {
		mf := f["env_device_errors_total"]
		for _, m := range mf.GetMetric() {
			dev, rs := "", ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "device" {
					dev = l.GetValue()
				}
				if l.GetName() == "reason" {
					rs = l.GetValue()
				}
			}
			if rs == reason && m.GetCounter().GetValue() != 0 {
				t.Errorf("demo device %s has %v %s errors", dev, m.GetCounter().GetValue(), reason)
			}
		}
	}
	promtool := testutil.Need(t, "promtool")
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
	// Cut one CRAC unit: room-a's cooling redundancy is lost.
	sim.Set(t, "crac-a1", "1.3.6.1.4.1.99999.1.1.0", "i", "0")
	r.waitFor(t, 5*time.Second, "cooling redundancy lost", func(f families) bool {
		return f.val("env_cooling_units_running", lbl("room", "room-a")) == 1 &&
			f.val("env_condition_ok", lbl("room", "room-a", "device", "", "condition", "cooling_redundancy_lost")) == 0
	})
	sim.Set(t, "ats-1", "1.3.6.1.4.1.99999.12.1.0", "i", "0")
	r.waitFor(t, 5*time.Second, "feed lost", func(f families) bool {
		return f.val("env_feeds_up", lbl("room", "room-b")) == 1 &&
			f.val("env_condition_ok", lbl("room", "room-b", "device", "", "condition", "feed_lost")) == 0
	})
}
