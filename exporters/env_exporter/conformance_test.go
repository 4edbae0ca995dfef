package main

import (
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/jianguan/jianguan/internal/snmp"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// The conformance suite of issue 21: every fixture of testdata/ (one real
// device model each, see the README's fixture list) is served by one
// snmpsimd and read by one exporter through profile auto. Per fixture:
// the profile detected, the values read, the invalid values by reason
// (placeholders, out of range, wrong type: never exported) and the
// missing OIDs, named on the landing page.

// nan marks an expected absent series.
var nan = math.NaN()

type confValue struct {
	metric string
	labels []string // besides device
	want   float64  // NaN: absent
}

type confRow struct {
	fixture string
	// device is extra YAML of the device (rack, or signals of a generic one)
	device  string
	profile string // detected (or configured) profile; "unrecognised"
	values  []confValue
	// invalid: reasons that must be counted (env_signal_invalid_total),
	// with the number of invalid values per poll (env_device_signals
	// state=invalid); reasons not listed must stay 0
	invalid map[string]int
	missing []string // missing OIDs, named on the landing page
}

func v(metric string, want float64, labels ...string) confValue {
	return confValue{metric, labels, want}
}

var conformance = []confRow{
	{fixture: "rfc1628-single-phase", profile: "rfc1628-ups", values: []confValue{
		v("env_ups_input_voltage_volts", 221, "phase", "1"), v("env_ups_input_voltage_volts", nan, "phase", "2"),
		v("env_ups_output_load_ratio", 0.27, "phase", "1"), v("env_ups_battery_charge_ratio", 0.97), v("env_ups_on_battery", 0),
		v("env_ups_battery_runtime_seconds", nan), v("env_ups_battery_temperature_celsius", nan), v("env_ups_alarm_active", nan)},
		invalid: map[string]int{"placeholder": 2, "out_of_range": 1}},
	{fixture: "apc-nmc-probes", profile: "apc-ups", values: []confValue{
		v("env_ups_battery_runtime_seconds", 2400), v("env_ups_battery_charge_ratio", 1), v("env_ups_battery_temperature_celsius", 25.1),
		v("env_ups_input_voltage_volts", 228.9, "phase", "1"), v("env_ups_output_load_ratio", 0.342, "phase", "1"),
		v("env_temperature_celsius", 24, "sensor", "rack-front"), v("env_humidity_ratio", 0.41, "sensor", "rack-front"),
		v("env_temperature_celsius", nan, "sensor", "rack-rear")},
		invalid: map[string]int{"placeholder": 2}},
	{fixture: "apc-srt-nmc3", profile: "apc-ups", values: []confValue{
		v("env_ups_battery_runtime_seconds", 1860), v("env_ups_battery_temperature_celsius", 26.8), v("env_ups_output_load_ratio", 0.417, "phase", "1"),
		v("env_temperature_celsius", 23, "sensor", "rack-C01-front"), v("env_temperature_celsius", 29, "sensor", "rack-C01-rear"),
		v("env_humidity_ratio", 0.44, "sensor", "rack-C01-front"), v("env_humidity_ratio", nan, "sensor", "rack-C01-rear"),
		v("env_device_info", 1, "model", "Smart-UPS SRT 10000", "serial", "AS2110234567")},
		invalid: map[string]int{"placeholder": 1}},
	{fixture: "apc-symmetra-px", profile: "apc-ups", values: []confValue{
		v("env_ups_on_battery", 0), v("env_ups_on_bypass", 1), v("env_ups_battery_runtime_seconds", 1620), v("env_ups_battery_charge_ratio", 0.985),
		v("env_ups_input_voltage_volts", 230.1, "phase", "1"), v("env_ups_output_load_ratio", 0.521, "phase", "1"),
		v("env_ups_alarm_active", 1, "alarm", "BatteryBad"), v("env_temperature_celsius", nan)}},
	{fixture: "apc-netbotz-250", profile: "apc-netbotz-rm", values: []confValue{
		v("env_temperature_celsius", 22, "sensor", "rack-B02-inlet"), v("env_temperature_celsius", 31, "sensor", "rack-B02-rear"),
		v("env_humidity_ratio", 0.47, "sensor", "rack-B02-inlet"), v("env_humidity_ratio", nan, "sensor", "rack-B02-rear")},
		invalid: map[string]int{"placeholder": 1}},
	{fixture: "apc-netbotz-200", profile: "apc-netbotz-rm", values: []confValue{
		v("env_temperature_celsius", 24, "sensor", "room-north"), v("env_humidity_ratio", 0.52, "sensor", "room-north"),
		v("env_temperature_celsius", nan, "sensor", "room-south")},
		invalid: map[string]int{"placeholder": 2}},
	{fixture: "apc-netbotz-750", profile: "apc-netbotz-v2", values: []confValue{
		v("env_temperature_celsius", 22.6, "sensor", "cold-aisle-A03"), v("env_temperature_celsius", 23.8, "sensor", "cold-aisle-A07"),
		v("env_temperature_celsius", 35.2, "sensor", "hot-aisle-A05"), v("env_humidity_ratio", 0.452, "sensor", "cold-aisle-A03")}},
	{fixture: "apc-inrow-rc", profile: "apc-inrow", values: []confValue{
		v("env_temperature_celsius", 23.6, "sensor", "rack-inlet", "role", "inlet"), v("env_temperature_celsius", 18.5, "sensor", "supply-air", "role", "supply"),
		v("env_temperature_celsius", 34.2, "sensor", "return-air", "role", "return")}},
	{fixture: "apc-ap8853-rpdu2", device: "rack: A05", profile: "apc-rpdu", values: []confValue{v("env_rack_power_watts", 3420, "rack", "A05")}},
	{fixture: "apc-ap7900-no-power", device: "rack: A06", profile: "apc-rpdu", values: []confValue{v("env_rack_power_watts", nan)},
		invalid: map[string]int{"placeholder": 1}},
	{fixture: "liebert-gxt5-intellislot", profile: "vertiv-liebert-ups", values: []confValue{
		v("env_ups_on_battery", 0), v("env_ups_on_bypass", 0), v("env_ups_battery_status", 2), v("env_ups_battery_runtime_seconds", 840),
		v("env_ups_battery_charge_ratio", 1), v("env_ups_battery_temperature_celsius", 29), v("env_ups_input_voltage_volts", 236, "phase", "1")}},
	{fixture: "liebert-apm", profile: "vertiv-liebert-ups", values: []confValue{
		v("env_ups_on_battery", 0), v("env_ups_on_bypass", 0), v("env_ups_battery_status", 2), v("env_ups_battery_runtime_seconds", 1320),
		v("env_ups_input_voltage_volts", 231, "phase", "2"), v("env_ups_output_load_ratio", 0.44, "phase", "3"),
		v("env_device_info", 1, "model", "Liebert APM 90kVA", "firmware", "R1.12")}},
	{fixture: "liebert-ita2-rdu101", profile: "vertiv-liebert-ups", values: []confValue{
		v("env_ups_on_battery", 1), v("env_ups_on_bypass", 0), v("env_ups_battery_runtime_seconds", 1080), v("env_ups_battery_charge_ratio", 0.87),
		v("env_ups_input_voltage_volts", 0, "phase", "3"), v("env_ups_output_load_ratio", 0.36, "phase", "1"), v("env_ups_output_load_ratio", nan, "phase", "2"),
		v("env_ups_alarm_active", 1, "alarm", "OnBattery")}},
	{fixture: "liebert-crv", profile: "vertiv-liebert-env", values: []confValue{
		v("env_cooling_unit_running", 1),
		v("env_temperature_celsius", nan, "sensor", "1"), v("env_temperature_celsius", 18.4, "sensor", "2", "role", "supply"),
		v("env_temperature_celsius", 30.6, "sensor", "3", "role", "return"), v("env_humidity_ratio", 0.38, "sensor", "1", "role", "return"),
		v("env_device_info", 1, "vendor", "Liebert Corporation", "model", "Liebert CRV", "serial", "1812CR0456")}},
	{fixture: "liebert-pdx", profile: "vertiv-liebert-env", values: []confValue{
		v("env_cooling_unit_running", 0),
		v("env_temperature_celsius", 17, "sensor", "1", "role", "supply"), v("env_temperature_celsius", 29, "sensor", "2", "role", "return"),
		v("env_temperature_celsius", 23, "sensor", "3", "role", "room"), v("env_humidity_ratio", 0.41, "sensor", "1", "role", "return")}},
	{fixture: "liebert-dse", profile: "vertiv-liebert-env", values: []confValue{
		v("env_cooling_unit_running", 1), v("env_temperature_celsius", 32.7, "sensor", "1", "role", "return"),
		v("env_temperature_celsius", nan, "sensor", "2"), v("env_humidity_ratio", 0.36, "sensor", "1", "role", "return")},
		invalid: map[string]int{"placeholder": 1}},
	{fixture: "geist-watchdog-100", profile: "geist-watchdog", values: []confValue{
		v("env_temperature_celsius", 23.6, "sensor", "WD100 room-west"), v("env_humidity_ratio", 0.43, "sensor", "WD100 room-west"),
		v("env_temperature_celsius", 22.1, "sensor", "cold-aisle-D02"), v("env_temperature_celsius", 22.9, "sensor", "cold-aisle-D06"),
		v("env_device_info", 1, "vendor", "Vertiv/Geist", "model", "Watchdog 100", "firmware", "3.2.0")}},
	{fixture: "geist-watchdog-15", profile: "geist-watchdog", values: []confValue{
		v("env_temperature_celsius", 25.4, "sensor", "WD15 comms-room"), v("env_humidity_ratio", 0.61, "sensor", "WD15 comms-room")}},
	{fixture: "huawei-ups2000-card", profile: "rfc1628-ups", values: []confValue{
		v("env_ups_input_voltage_volts", 219, "phase", "1"), v("env_ups_output_load_ratio", 0.22, "phase", "1"), v("env_ups_battery_runtime_seconds", 2580)},
		missing: []string{"1.3.6.1.2.1.33.1.2.7.0"}}, // no upsBatteryTemperature on this card
	{fixture: "huawei-ups5000-e", profile: "huawei-ups", values: []confValue{
		v("env_ups_on_battery", 0), v("env_ups_on_bypass", 0), v("env_ups_input_voltage_volts", 228.1, "phase", "2"),
		v("env_ups_output_load_ratio", 0.361, "phase", "3"), v("env_ups_battery_charge_ratio", 1), v("env_ups_battery_runtime_seconds", 1860),
		v("env_device_info", 1, "vendor", "Huawei", "model", "UPS5000-E-120K-FM", "serial", "2102310HUR10J7000123", "sys_object_id", "1.3.6.1.4.1.8072.3.2.10")}},
	{fixture: "eaton-9px-connectups", profile: "eaton-xups", values: []confValue{
		v("env_ups_battery_runtime_seconds", 2460), v("env_ups_input_voltage_volts", 230, "phase", "3"), v("env_ups_output_load_ratio", 0.33, "phase", "3"),
		v("env_ups_alarm_active", 1, "alarm", "BypassNotAvailable")},
		missing: []string{"1.3.6.1.4.1.534.1.6.5.0", "1.3.6.1.4.1.534.1.6.6.0"}}, // no EMP probe
	{fixture: "eaton-93pm", profile: "eaton-xups", values: []confValue{
		v("env_ups_on_battery", 0), v("env_ups_on_bypass", 0), v("env_ups_battery_runtime_seconds", 1320), v("env_ups_battery_charge_ratio", 0.99),
		v("env_ups_input_voltage_volts", 231, "phase", "3"), v("env_ups_output_load_ratio", 0.52, "phase", "2"),
		v("env_ups_output_load_ratio", nan, "phase", "3"), v("env_temperature_celsius", 24, "sensor", "emp"), v("env_ups_alarm_active", nan)},
		missing: []string{"1.3.6.1.2.1.33.1.4.4.1.5.3"}},
	{fixture: "eaton-epdu-g3", device: "rack: B07", profile: "eaton-epdu", values: []confValue{v("env_rack_power_watts", 3105, "rack", "B07"),
		v("env_device_info", 1, "vendor", "Eaton", "model", "EMAB03", "serial", "G345F21007", "firmware", "04.02.0004")}},
	{fixture: "raritan-px3", device: "rack: A07", profile: "raritan-px2", values: []confValue{v("env_rack_power_watts", 2870, "rack", "A07")}},
	{fixture: "delta-amplon-rt", profile: "delta-ups", values: []confValue{
		v("env_ups_on_battery", 0), v("env_ups_on_bypass", 0), v("env_ups_battery_charge_ratio", 1), v("env_ups_battery_temperature_celsius", 32),
		v("env_ups_input_voltage_volts", 229, "phase", "1"), v("env_ups_output_load_ratio", 0.29, "phase", "1"), v("env_ups_battery_runtime_seconds", nan),
		v("env_device_info", 1, "vendor", "Delta Electronics", "model", "Amplon RT-10K")},
		missing: []string{"1.3.6.1.4.1.2254.2.4.7.5.0"}}, // NULL: the card has no runtime estimate
	{fixture: "kehua-fr-uk", profile: "rfc1628-ups", values: []confValue{
		v("env_ups_battery_runtime_seconds", 2100), v("env_ups_battery_charge_ratio", 0.98), v("env_ups_battery_temperature_celsius", 27),
		v("env_ups_input_voltage_volts", 225, "phase", "3"), v("env_ups_output_load_ratio", 0.35, "phase", "3"),
		v("env_device_info", 1, "vendor", "KEHUA", "model", "FR-UK3320")}},
	{fixture: "kstar-yds", profile: "rfc1628-ups", values: []confValue{
		v("env_ups_battery_runtime_seconds", nan), v("env_ups_battery_charge_ratio", 1), v("env_ups_input_voltage_volts", 224, "phase", "1"),
		v("env_ups_output_load_ratio", 0.18, "phase", "1"), v("env_device_info", 1, "vendor", "KSTAR")},
		invalid: map[string]int{"out_of_range": 1}, missing: []string{"1.3.6.1.2.1.33.1.2.7.0"}},
	{fixture: "wireless-th", profile: "generic-sensor", device: `profile: generic-sensor
            signals:
              - {signal: temperature_celsius, table: 1.3.6.1.4.1.99998.3.1.1, index_label: sensor, scale: 0.1}
              - {signal: humidity_ratio, table: 1.3.6.1.4.1.99998.3.1.2, index_label: sensor, scale: 0.001}`,
		values:  []confValue{v("env_temperature_celsius", 23.6, "sensor", "1"), v("env_humidity_ratio", 0.48, "sensor", "1"), v("env_temperature_celsius", nan, "sensor", "2")},
		invalid: map[string]int{"placeholder": 2}},
	{fixture: "leak-controller", profile: "generic-sensor", device: `profile: generic-sensor
            signals:
              - {signal: leak_detected, table: 1.3.6.1.4.1.99998.4.1.1, index_label: sensor, map: {"0": 0, "1": 1}, fault_values: ["2"]}`,
		values: []confValue{v("env_leak_detected", 0, "sensor", "1"), v("env_leak_cable_fault", 0, "sensor", "1"),
			v("env_leak_detected", nan, "sensor", "2"), v("env_leak_cable_fault", 1, "sensor", "2"), v("env_leak_cable_fault", 1, "sensor", "3")},
		invalid: map[string]int{"placeholder": 1, "out_of_range": 1}},
	{fixture: "akcp-sp2plus-water", profile: "akcp-sp2plus-water", values: []confValue{
		v("env_leak_detected", 0, "sensor", "Rope CRAC-B1 drip tray"), v("env_leak_cable_fault", 0, "sensor", "Rope CRAC-B1 drip tray"),
		v("env_leak_detected", 0, "sensor", "Rope under floor row A"), v("env_leak_cable_fault", 0, "sensor", "Rope under floor row A"),
		v("env_leak_detected", nan, "sensor", "Rope under floor row B"), v("env_leak_cable_fault", 1, "sensor", "Rope under floor row B"), // sensorError(7)
		v("env_leak_detected", nan, "sensor", "Spot chilled-water valve"), v("env_leak_cable_fault", 1, "sensor", "Spot chilled-water valve"), // 0: placeholder
		v("env_leak_detected", nan, "sensor", "Spot spare port"), v("env_leak_cable_fault", 1, "sensor", "Spot spare port"), // noStatus(1): offline port
		v("env_device_info", 1, "vendor", "AKCP", "model", "SP2+ 1.0.4521 Mar 12 2021 10:21:33", "sys_object_id", "1.3.6.1.4.1.3854")},
		invalid: map[string]int{"placeholder": 3}},
	{fixture: "silent-card", profile: "unrecognised", values: []confValue{v("env_device_info", 1, "sys_object_id", "1.3.6.1.4.1.99998.1.7")}},
}

// TestConformance: every fixture of testdata/ through profile auto (one
// row per fixture; a fixture without a row fails the test).
func TestConformance(t *testing.T) {
	files := map[string]string{}
	var devs strings.Builder
	for _, c := range conformance {
		b, err := os.ReadFile(filepath.Join("testdata", c.fixture+".snmprec"))
		if err != nil {
			t.Fatal(err)
		}
		files[c.fixture] = string(b)
		devs.WriteString("          - name: " + c.fixture + "\n            address: \"ADDR\"\n            community: " + c.fixture + "\n")
		if c.device != "" {
			devs.WriteString("            " + c.device + "\n")
		}
	}
	have, _ := filepath.Glob("testdata/*.snmprec")
	for _, h := range have {
		if _, ok := files[strings.TrimSuffix(filepath.Base(h), ".snmprec")]; !ok {
			t.Errorf("%s has no row in the conformance table", h)
		}
	}
	sim := testenv.StartSNMPSim(t, files, nil)
	r := startRoom(t, sim, "", devs.String(), "")
	r.waitFor(t, 60*time.Second, "every fixture identified and polled three times", func(f families) bool {
		for _, c := range conformance {
			if f.val("env_device_info", lbl("device", c.fixture, "profile", c.profile)) != 1 ||
				c.profile != "unrecognised" && !(f.val("env_device_signals", lbl("device", c.fixture, "state", "expected")) > 0) ||
				!(f.val("env_device_poll_duration_seconds", lbl("device", c.fixture)) >= 3) {
				return false
			}
		}
		return true
	})
	f, _ := r.scrape(t)
	page := get(t, r.base+"/")
	for _, c := range conformance {
		t.Run(c.fixture, func(t *testing.T) {
			dev := func(kv ...string) map[string]string { return lbl(append([]string{"device", c.fixture}, kv...)...) }
			if f.val("env_device_info", dev("profile", c.profile)) != 1 {
				t.Errorf("not identified as %s", c.profile)
			}
			for _, w := range c.values {
				got := f.val(w.metric, dev(w.labels...))
				if math.IsNaN(w.want) != math.IsNaN(got) || !math.IsNaN(w.want) && math.Abs(got-w.want) > 1e-9 {
					t.Errorf("%s%v = %v, want %v", w.metric, w.labels, got, w.want)
				}
			}
			if c.profile == "unrecognised" {
				return
			}
			nInvalid := 0
			for _, reason := range invalidReasons {
				n, counted := c.invalid[reason], f.val("env_signal_invalid_total", dev("reason", reason))
				nInvalid += n
				if (n > 0) != (counted > 0) {
					t.Errorf("env_signal_invalid_total{reason=%s} = %v, want %s", reason, counted, map[bool]string{true: "> 0", false: "0"}[n > 0])
				}
			}
			for state, want := range map[string]int{"invalid": nInvalid, "missing": len(c.missing)} {
				if got := f.val("env_device_signals", dev("state", state)); got != float64(want) {
					t.Errorf("env_device_signals{state=%s} = %v, want %d", state, got, want)
				}
			}
			row := pageRow(page, c.fixture)
			for _, o := range c.missing {
				if !strings.Contains(row, o) {
					t.Errorf("missing OID %s not named on the landing page:\n%s", o, row)
				}
			}
			if !strings.Contains(row, "auto: "+c.profile) && !strings.Contains(row, "("+c.profile+")") {
				t.Errorf("landing page row does not show the profile %s:\n%s", c.profile, row)
			}
		})
	}
}

// fixtureRow is one row of the README's fixture list.
var fixtureRow = regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\| ([^|]+) \\| ([^|]+) \\|")

// TestFixtureListMatchesTestdata: the README's fixture list names every
// fixture of testdata/ and nothing else, and reaches the target of
// 25 device models from 8 vendors (generic/unbranded fixtures do not
// count as a vendor).
func TestFixtureListMatchesTestdata(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	sec := string(readme)
	if i := strings.Index(sec, "### Fixtures ("); i >= 0 {
		sec = sec[i:]
	} else {
		t.Fatal("README has no \"### Fixtures (\" section")
	}
	if i := strings.Index(sec, "\nThat is "); i >= 0 {
		sec = sec[:i]
	}
	listed := map[string]bool{}
	vendors := map[string]bool{}
	for _, m := range fixtureRow.FindAllStringSubmatch(sec, -1) {
		if listed[m[1]] {
			t.Errorf("README lists %s twice", m[1])
		}
		listed[m[1]] = true
		if vd := strings.TrimSpace(m[3]); vd != "—" && vd != "" {
			vendors[vd] = true
		}
	}
	have, _ := filepath.Glob("testdata/*.snmprec")
	var files []string
	for _, h := range have {
		n := strings.TrimSuffix(filepath.Base(h), ".snmprec")
		files = append(files, n)
		if !listed[n] {
			t.Errorf("testdata/%s.snmprec is not in the README's fixture list", n)
		}
		delete(listed, n)
	}
	for n := range listed {
		t.Errorf("README lists %s, which is not in testdata/", n)
	}
	var vs []string
	for v := range vendors {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	models := len(files)
	t.Logf("%d fixtures (device models), %d vendors: %s", models, len(vs), strings.Join(vs, ", "))
	if models < 25 || len(vs) < 8 {
		t.Errorf("%d models from %d vendors, the issue asks for at least 25 from 8", models, len(vs))
	}
	if !strings.Contains(string(readme), "That is "+strconv.Itoa(models)+" models from "+strconv.Itoa(len(vs))+" vendors") {
		t.Errorf("README does not say \"That is %d models from %d vendors\"", models, len(vs))
	}
}

// TestProfileRoleMap: role_oid/role_map and optional are checked at load,
// with the file and line of the mistake; a row's role comes from its
// description column (Liebert rows are not in a fixed order).
func TestProfileRoleMap(t *testing.T) {
	head := "name: p\nkind: cooling\nsignals:\n"
	for _, c := range []struct{ name, spec, want string }{
		{"unknown role", "  - {signal: temperature_celsius, table: 1.2.3, role_oid: 1.2.4, role_map: {1.2.5.1: exhaust}}\n", `p.yml:4: signals[0].role_map: unknown role "exhaust"`},
		{"map without column", "  - {signal: temperature_celsius, table: 1.2.3, role_map: {1.2.5.1: supply}}\n", "p.yml:4: signals[0].role_map: role_oid and role_map go together"},
		{"not a temperature", "  - {signal: cooling_unit_running, table: 1.2.3, role_oid: 1.2.4, role_map: {\"1\": supply}}\n", "p.yml:4: signals[0].role_oid: role_oid and role_map apply to a temperature_celsius or humidity_ratio table"},
		{"scalar", "  - {signal: temperature_celsius, oid: 1.2.3.0, role_oid: 1.2.4, role_map: {\"1\": supply}}\n", "role_oid and role_map apply to a temperature_celsius or humidity_ratio table"},
		{"role_map_only alone", "  - {signal: temperature_celsius, table: 1.2.3, role_map_only: true}\n", "p.yml:4: signals[0].role_map_only: role_map_only needs role_oid and role_map"},
		{"optional scalar", "  - {signal: temperature_celsius, oid: 1.2.3.0, optional: true}\n", "p.yml:4: signals[0].optional: optional applies to a table, not an oid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseProfile("p.yml", []byte(head+c.spec))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
	env := builtin(t)["vertiv-liebert-env"]
	temp := env.Signals[1]
	desc := func(o string) snmp.Value { return snmp.Value{Type: gosnmp.ObjectIdentifier, V: "." + o} }
	vals := map[string]snmp.Value{
		temp.Table + ".7": {Type: gosnmp.Integer, V: 181}, temp.RoleOID + ".7": desc("1.3.6.1.4.1.476.1.42.3.4.1.1.3"),
		temp.Table + ".8": {Type: gosnmp.Integer, V: 295}, temp.RoleOID + ".8": desc("1.3.6.1.4.1.476.1.42.3.4.1.1.2"),
		temp.Table + ".9": {Type: gosnmp.Integer, V: 240}, // no description: the device's role
	}
	samples, _, _ := decode(&Device{Name: "crac", Role: roleInlet}, []SignalSpec{temp}, vals)
	got := map[string]string{}
	for _, s := range samples {
		got[s.labels[0]] = s.labels[2]
	}
	if want := map[string]string{"7": roleSupply, "8": roleReturn}; !maps.Equal(got, want) {
		t.Errorf("role_map_only: roles by row %v, want %v (row 9, not named by the description column, not read)", got, want)
	}
	temp.RoleMapOnly = false
	samples, _, _ = decode(&Device{Name: "crac", Role: roleInlet}, []SignalSpec{temp}, vals)
	clear(got)
	for _, s := range samples {
		got[s.labels[0]] = s.labels[2]
	}
	if want := map[string]string{"7": roleSupply, "8": roleReturn, "9": roleInlet}; !maps.Equal(got, want) {
		t.Errorf("roles by row %v, want %v (unmapped row: the device's role)", got, want)
	}
	// the unit drives temperature_out_of_band through its judged rows only
	if conds := specConditions(&Device{}, []SignalSpec{temp}, contractThresholds); !conds[condTempBand] {
		t.Errorf("a table with room rows (ambient) does not drive temperature_out_of_band")
	}
	sup := temp
	sup.RoleMap = map[string]string{"1.3.6.1.4.1.476.1.42.3.4.1.1.3": roleSupply}
	sup.Labels = map[string]string{"role": roleReturn}
	if conds := specConditions(&Device{}, []SignalSpec{sup}, contractThresholds); conds[condTempBand] {
		t.Errorf("supply/return-only table drives temperature_out_of_band")
	}
	sup.Labels, sup.RoleMapOnly = nil, true // unmapped rows not read: the default role (room) never applies
	if conds := specConditions(&Device{}, []SignalSpec{sup}, contractThresholds); conds[condTempBand] {
		t.Errorf("supply/return-only table drives temperature_out_of_band")
	}
}
