package main

import (
	"context"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// upsFixtures are the UPS fixtures of testdata/ (and the demo's three-phase
// RFC 1628 UPS) with the profile auto-detection must pick and the NUT
// snmp-ups MIB that reads the same card ("" = NUT not compared, see
// README).
var upsFixtures = []struct {
	community, dir, profile, nutMIB string
}{
	{"rfc1628-single-phase", "testdata", "rfc1628-ups", "ietf"},
	{"apc-nmc-probes", "testdata", "apc-ups", "apcc"},
	{"liebert-gxt5-intellislot", "testdata", "vertiv-liebert-ups", "ietf"},
	{"huawei-ups2000-card", "testdata", "rfc1628-ups", "ietf"},
	{"eaton-9px-connectups", "testdata", "eaton-xups", ""}, // NUT 2.8.0's pw MIB stops at the EMP template guesses of this fixture
	{"ups-a1", "demo", "rfc1628-ups", "ietf"},
	{"apc-srt-nmc3", "testdata", "apc-ups", "apcc"},
	{"apc-symmetra-px", "testdata", "apc-ups", "apcc"},
	{"liebert-apm", "testdata", "vertiv-liebert-ups", "ietf"},
	{"liebert-ita2-rdu101", "testdata", "vertiv-liebert-ups", "ietf"},
	{"huawei-ups5000-e", "testdata", "huawei-ups", "huawei"},
	{"eaton-93pm", "testdata", "eaton-xups", ""}, // NUT 2.8.0's pw MIB did not finish in 5 minutes on this card (EMP/outlet template guesses)
	{"delta-amplon-rt", "testdata", "delta-ups", "delta_ups"},
	{"kehua-fr-uk", "testdata", "rfc1628-ups", "ietf"},
	{"kstar-yds", "testdata", "rfc1628-ups", "ietf"},
}

// pduFixtures are the rack PDU fixtures: detected profile and rack power
// (NaN: the PDU cannot measure it, a placeholder).
var pduFixtures = []struct {
	community, profile, rack string
	watts                    float64
}{
	{"apc-ap8853-rpdu2", "apc-rpdu", "A05", 3420},
	{"apc-ap7900-no-power", "apc-rpdu", "A06", math.NaN()},
	{"raritan-px3", "raritan-px2", "A07", 2870},
}

// TestVendorProfiles_CRACRoles: the InRow profile takes the sensor roles
// from the MIB: rack inlet is judged (21–27 °C), supply air at 18.5 °C and
// return air at 34.2 °C are reported without making the unit out of band.
func TestVendorProfiles_CRACRoles(t *testing.T) {
	sim := testenv.StartSNMPSim(t, fixtures(t, "apc-inrow-rc"), nil)
	r := startRoom(t, sim, "", `          - {name: inrow-1, address: "ADDR", community: apc-inrow-rc}
`, "")
	cond := lbl("device", "inrow-1", "condition", "temperature_out_of_band")
	r.waitFor(t, 10*time.Second, "InRow read", func(f families) bool {
		return f.val("env_temperature_celsius", lbl("device", "inrow-1", "role", "return")) == 34.2 && f.val("env_condition_observed_seconds_total", cond) > 0.3
	})
	f, _ := r.scrape(t)
	for _, c := range []struct {
		sensor, role string
		want         float64
	}{{"rack-inlet", "inlet", 23.6}, {"supply-air", "supply", 18.5}, {"return-air", "return", 34.2}} {
		if got := f.val("env_temperature_celsius", lbl("device", "inrow-1", "sensor", c.sensor, "role", c.role)); got != c.want {
			t.Errorf("%s (%s) = %v, want %v", c.sensor, c.role, got, c.want)
		}
	}
	if f.val("env_device_info", lbl("device", "inrow-1", "profile", "apc-inrow")) != 1 {
		t.Errorf("not detected as apc-inrow")
	}
	if f.val("env_condition_ok", cond) != 1 || f.val("env_condition_active_seconds_total", cond) != 0 {
		t.Errorf("temperature_out_of_band: ok %v active %v, want ok (supply and return are not judged by the room band)", f.val("env_condition_ok", cond), f.val("env_condition_active_seconds_total", cond))
	}
}

// startUPSFixtures serves every UPS fixture and runs the exporter with one
// auto-detected device per fixture (named after the fixture) plus
// huawei-explicit (profile huawei-ups on the UPS2000 card: RFC 1628
// fallback).
// It returns the scrape in which every fixture was read: a later scrape
// may follow a poll that timed out (interval 300 ms, timeout 1 s, no
// retries: snmpsim starved of CPU by a busy CI), whose values are then
// absent, as they should be.
func startUPSFixtures(t *testing.T) (*testenv.SNMPSim, *running, families) {
	t.Helper()
	files := map[string]string{}
	var devs strings.Builder
	for _, f := range upsFixtures {
		b, err := os.ReadFile(f.dir + "/" + f.community + ".snmprec")
		if err != nil {
			t.Fatal(err)
		}
		files[f.community] = string(b)
		devs.WriteString("          - {name: " + f.community + ", address: \"ADDR\", community: " + f.community + "}\n")
	}
	devs.WriteString("          - {name: huawei-explicit, profile: huawei-ups, address: \"ADDR\", community: huawei-ups2000-card}\n")
	for _, p := range pduFixtures {
		b, err := os.ReadFile("testdata/" + p.community + ".snmprec")
		if err != nil {
			t.Fatal(err)
		}
		files[p.community] = string(b)
		devs.WriteString("          - {name: " + p.community + ", address: \"ADDR\", community: " + p.community + ", rack: " + p.rack + "}\n")
	}
	sim := testenv.StartSNMPSim(t, files, nil)
	r := startRoom(t, sim, "", devs.String(), "")
	var read families
	r.waitFor(t, 15*time.Second, "every fixture identified and read", func(f families) bool {
		read = f
		for _, fx := range upsFixtures {
			if !(f.val("env_device_signals", lbl("device", fx.community, "state", "read")) >= 3) { // NaN (not yet polled) is not read
				return false
			}
		}
		for _, p := range pduFixtures {
			if !(f.val("env_device_signals", lbl("device", p.community, "state", "expected")) >= 1) {
				return false
			}
		}
		return f.val("env_device_signals", lbl("device", "huawei-explicit", "state", "read")) >= 3
	})
	return sim, r, read
}

// TestVendorProfiles: each UPS fixture is detected as its profile and read
// with the values its card holds; the Liebert profile (LGP + RFC 1628
// fallback) reads at least what the generic RFC 1628 profile reads; the
// Huawei profile on a UPS2000 card that answers only RFC 1628 reads it
// through its fallback.
func TestVendorProfiles(t *testing.T) {
	_, _, f := startUPSFixtures(t)
	for _, fx := range upsFixtures {
		if f.val("env_device_info", lbl("device", fx.community, "profile", fx.profile)) != 1 {
			t.Errorf("%s: not detected as %s", fx.community, fx.profile)
		}
	}
	for _, c := range []struct {
		name string
		l    map[string]string
		want float64
	}{
		{"env_ups_on_battery", lbl("device", "eaton-9px-connectups"), 0},
		{"env_ups_on_bypass", lbl("device", "eaton-9px-connectups"), 0},
		{"env_ups_battery_runtime_seconds", lbl("device", "eaton-9px-connectups"), 2460},
		{"env_ups_battery_charge_ratio", lbl("device", "eaton-9px-connectups"), 1},
		{"env_ups_input_voltage_volts", lbl("device", "eaton-9px-connectups", "phase", "3"), 230},
		{"env_ups_output_load_ratio", lbl("device", "eaton-9px-connectups", "phase", "3"), 0.33},
		{"env_ups_alarm_active", lbl("device", "eaton-9px-connectups", "alarm", "BypassNotAvailable"), 1},
		{"env_device_info", lbl("device", "eaton-9px-connectups", "vendor", "EATON", "model", "Eaton 9PX 11000"), 1},
		// Liebert: the card lacks lgpPwrStateUpsOutputSource and the LGP battery status: RFC 1628 fallback
		{"env_ups_on_battery", lbl("device", "liebert-gxt5-intellislot"), 0},
		{"env_ups_on_bypass", lbl("device", "liebert-gxt5-intellislot"), 0},
		{"env_ups_battery_status", lbl("device", "liebert-gxt5-intellislot"), 2},
		{"env_ups_battery_runtime_seconds", lbl("device", "liebert-gxt5-intellislot"), 840},
		{"env_ups_battery_charge_ratio", lbl("device", "liebert-gxt5-intellislot"), 1},
		{"env_ups_battery_temperature_celsius", lbl("device", "liebert-gxt5-intellislot"), 29},
		{"env_ups_input_voltage_volts", lbl("device", "liebert-gxt5-intellislot", "phase", "1"), 236},
		{"env_device_signals", lbl("device", "liebert-gxt5-intellislot", "state", "missing"), 0},
		// Huawei profile on a UPS2000 card: HUAWEI-UPS-MIB absent, RFC 1628 read instead
		{"env_ups_on_battery", lbl("device", "huawei-explicit"), 0},
		{"env_ups_input_voltage_volts", lbl("device", "huawei-explicit", "phase", "1"), 219},
		{"env_ups_output_load_ratio", lbl("device", "huawei-explicit", "phase", "1"), 0.22},
		{"env_ups_battery_runtime_seconds", lbl("device", "huawei-explicit"), 2580},
		{"env_device_signals", lbl("device", "huawei-explicit", "state", "missing"), 0},
		{"env_device_info", lbl("device", "huawei-explicit", "profile", "huawei-ups", "vendor", "Huawei"), 1},
	} {
		if got := f.val(c.name, c.l); math.Abs(got-c.want) > 1e-9 || math.IsNaN(got) {
			t.Errorf("%s%v = %v, want %v", c.name, c.l, got, c.want)
		}
	}
	for _, p := range pduFixtures {
		if f.val("env_device_info", lbl("device", p.community, "profile", p.profile)) != 1 {
			t.Errorf("%s: not detected as %s", p.community, p.profile)
		}
		got := f.val("env_rack_power_watts", lbl("device", p.community, "rack", p.rack))
		if !(got == p.watts || math.IsNaN(got) && math.IsNaN(p.watts)) {
			t.Errorf("%s: env_rack_power_watts{rack=%s} = %v, want %v", p.community, p.rack, got, p.watts)
		}
	}
	if !(f.val("env_signal_invalid_total", lbl("device", "apc-ap7900-no-power", "reason", "placeholder")) >= 1) {
		t.Errorf("AP7900 −1 (no power metering) not counted as a placeholder")
	}
	for _, ph := range []string{"2", "3"} {
		if present(f, "env_ups_input_voltage_volts", lbl("device", "huawei-explicit", "phase", ph)) {
			t.Errorf("huawei-explicit: phase %s exported on a single-phase card", ph)
		}
	}
}

// nutTimeout bounds one snmp-ups run (it reads a card in a few seconds).
const nutTimeout = 60 * time.Second

// TestNUTComparison runs Debian's NUT snmp-ups driver (nut-snmp) against
// the same simulated cards and compares every value both read. A value NUT
// reads and env_exporter does not export must be one env_exporter rejects
// as invalid (listed per fixture, with the reason); a value both read must
// agree.
func TestNUTComparison(t *testing.T) {
	nut := testutil.Need(t, "/lib/nut/snmp-ups")
	sim, _, f := startUPSFixtures(t)
	type pair struct {
		metric string
		labels []string
		factor float64 // NUT value = env value × factor
	}
	var mapping = map[string]pair{
		"battery.charge":          {"env_ups_battery_charge_ratio", nil, 100},
		"battery.runtime":         {"env_ups_battery_runtime_seconds", nil, 1},
		"battery.temperature":     {"env_ups_battery_temperature_celsius", nil, 1},
		"input.voltage":           {"env_ups_input_voltage_volts", []string{"phase", "1"}, 1},
		"input.L1-N.voltage":      {"env_ups_input_voltage_volts", []string{"phase", "1"}, 1},
		"input.L2-N.voltage":      {"env_ups_input_voltage_volts", []string{"phase", "2"}, 1},
		"input.L3-N.voltage":      {"env_ups_input_voltage_volts", []string{"phase", "3"}, 1},
		"ups.load":                {"env_ups_output_load_ratio", []string{"phase", "1"}, 100},
		"output.L1.power.percent": {"env_ups_output_load_ratio", []string{"phase", "1"}, 100},
		"output.L2.power.percent": {"env_ups_output_load_ratio", []string{"phase", "2"}, 100},
		"output.L3.power.percent": {"env_ups_output_load_ratio", []string{"phase", "3"}, 100},
		"ambient.temperature":     {"env_temperature_celsius", []string{"sensor", "rack-front"}, 1},
		"ambient.humidity":        {"env_humidity_ratio", []string{"sensor", "rack-front"}, 100},
	}
	// values NUT exports that env_exporter rejects on purpose
	rejected := map[string]string{
		"rfc1628-single-phase/battery.runtime":     "placeholder 0xFFFFFFFF minutes (NUT: 257698037760 s)",
		"rfc1628-single-phase/battery.temperature": "out of range (−273 °C)",
		"kstar-yds/battery.runtime":                "out of range: 65535 minutes (NUT: 3932100 s, 45 days)",
	}
	state := t.TempDir()
	os.Chmod(state, 0o777)
	compared := 0
	for _, fx := range upsFixtures {
		if fx.nutMIB == "" {
			continue
		}
		// bounded: snmp-ups can walk its template guesses for minutes (pw MIB)
		ctx, cancel := context.WithTimeout(context.Background(), nutTimeout)
		cmd := exec.CommandContext(ctx, nut, "-s", "cmp", "-x", "port="+sim.Addr, "-x", "community="+fx.community,
			"-x", "snmp_version=v2c", "-x", "mibs="+fx.nutMIB, "-d", "1")
		cmd.Env = append(os.Environ(), "NUT_STATEPATH="+state)
		out, err := cmd.Output()
		timedOut := ctx.Err() == context.DeadlineExceeded
		cancel()
		if timedOut {
			t.Errorf("%s: snmp-ups did not finish within %v", fx.community, nutTimeout)
			continue
		}
		if err != nil {
			t.Errorf("%s: snmp-ups: %v", fx.community, err)
			continue
		}
		nutVals := map[string]string{}
		for _, line := range strings.Split(string(out), "\n") {
			if k, v, ok := strings.Cut(line, ": "); ok {
				nutVals[k] = strings.TrimSpace(v)
			}
		}
		if _, ok := nutVals["ups.status"]; !ok {
			t.Errorf("%s: NUT read nothing:\n%s", fx.community, out)
			continue
		}
		dev := []string{"device", fx.community}
		// status: OB ⇔ on battery
		if onBat := f.val("env_ups_on_battery", lbl(dev...)); !math.IsNaN(onBat) {
			if (onBat == 1) != strings.Contains(" "+nutVals["ups.status"]+" ", " OB ") {
				t.Errorf("%s: env on battery %v, NUT ups.status %q", fx.community, onBat, nutVals["ups.status"])
			}
			compared++
		}
		for key, p := range mapping {
			nv, ok := nutVals[key]
			if !ok {
				continue
			}
			n, err := strconv.ParseFloat(nv, 64)
			if err != nil {
				continue
			}
			ev := f.val(p.metric, lbl(append(append([]string{}, dev...), p.labels...)...))
			if math.IsNaN(ev) {
				if why, ok := rejected[fx.community+"/"+key]; ok {
					t.Logf("%s: %s = %v in NUT, rejected by env_exporter: %s", fx.community, key, n, why)
					continue
				}
				t.Errorf("%s: NUT reads %s = %v, env_exporter exports no %s%v", fx.community, key, n, p.metric, p.labels)
				continue
			}
			if math.Abs(ev*p.factor-n) > 0.01*math.Max(1, math.Abs(n))*0.01+1e-6 {
				t.Errorf("%s: %s: NUT %v, env_exporter %s = %v (×%v)", fx.community, key, n, p.metric, ev, p.factor)
			}
			compared++
		}
		if m := nutVals["device.model"]; m != "" && f.val("env_device_info", lbl("device", fx.community, "model", m)) != 1 {
			t.Errorf("%s: NUT model %q not in env_device_info", fx.community, m)
		}
	}
	t.Logf("%d values compared with NUT snmp-ups", compared)
	if compared < 20 {
		t.Errorf("only %d values compared", compared)
	}
}
