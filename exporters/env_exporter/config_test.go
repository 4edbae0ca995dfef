package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/jianguan/jianguan/internal/snmp"
)

const baseConfig = `defaults:
  auth: v2
auths:
  v2:
    community: Comm-7fq2-SECRET
sites:
  - name: dc1
    rooms:
      - name: room-a
        devices:
          - name: ups-a
            profile: rfc1628-ups
            address: 127.0.0.1:161
          - name: th-1
            profile: generic-sensor
            address: 127.0.0.1
            signals:
              - signal: temperature_celsius
                oid: 1.3.6.1.4.1.99999.1.1.0
`

func builtin(t testing.TB) map[string]*Profile {
	p, err := loadProfiles("")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name, from, to string
		want           string // regexp on the error: file:line: field: message
	}{
		{"unknown profile", "profile: rfc1628-ups", "profile: rfc9999", `^env\.yml:12: sites\[0\]\.rooms\[0\]\.devices\[0\]\.profile: unknown profile "rfc9999"`},
		{"duplicate device", "name: th-1", "name: ups-a", `^env\.yml:14: sites\[0\]\.rooms\[0\]\.devices\[1\]\.name: duplicate device "ups-a"`},
		{"bad OID", "oid: 1.3.6.1.4.1.99999.1.1.0", "oid: 1.3.6.x.1", `^env\.yml:19: sites\[0\]\.rooms\[0\]\.devices\[1\]\.signals\[0\]\.oid: bad OID`},
		{"unknown signal", "signal: temperature_celsius", "signal: temprature", `^env\.yml:18: .*signals\[0\]\.signal: unknown signal "temprature"`},
		{"unknown field", "address: 127.0.0.1:161", "adress: 127.0.0.1:161", `^env\.yml:13: .*adress`},
		{"yaml syntax", "    rooms:", "    rooms: [", `^env\.yml:\d+: `},
		{"unknown auth", "  auth: v2", "  auth: v9", `^env\.yml:2: defaults\.auth: unknown auth "v9"`},
		{"bad address", "address: 127.0.0.1\n", "address: \"127.0.0.1:161:7\"\n", `devices\[1\]\.address: address`},
		{"bad label", "oid: 1.3.6.1.4.1.99999.1.1.0", "oid: 1.3.6.1.4.1.99999.1.1.0\n                labels: {phase: x}", `signals\[0\]\.labels: signal temperature_celsius has no label "phase"`},
		{"v3 short password", "    community: Comm-7fq2-SECRET", "    version: \"3\"\n    username: u\n    auth_protocol: SHA\n    auth_password: Comm-7fq2-SECRET\n    priv_protocol: AES\n    priv_password: short", `^env\.yml:4: auths\.v2: priv_password must have at least 8 characters`},
		{"bad threshold", "defaults:", "thresholds:\n  humidity_high_ratio: 60\ndefaults:", `thresholds\.humidity_high_ratio: is a ratio`},
		{"bad ups pair", "        devices:", "        redundancy:\n          ups_pair: [ups-a, th-1]\n        devices:", `redundancy\.ups_pair\[1\]: device "th-1" has no ups_on_battery signal`},
		{"duplicate room", "sites:", "sites:\n  - name: dc0\n    rooms: [{name: r, devices: []}, {name: r, devices: []}]", `sites\[0\]\.rooms\[1\]\.name: duplicate room "r"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(baseConfig, c.from) {
				t.Fatalf("test setup: %q not in base config", c.from)
			}
			bad := strings.Replace(baseConfig, c.from, c.to, 1)
			_, err := loadConfig("env.yml", []byte(bad), builtin(t))
			if err == nil {
				t.Fatalf("no error for\n%s", bad)
			}
			if !regexp.MustCompile(c.want).MatchString(err.Error()) {
				t.Errorf("error %q does not match %q", err, c.want)
			}
			if strings.Contains(err.Error(), "Comm-7fq2-SECRET") {
				t.Errorf("secret in error: %v", err)
			}
		})
	}
	if _, err := loadConfig("env.yml", []byte(baseConfig), builtin(t)); err != nil {
		t.Fatalf("base config: %v", err)
	}
}

func TestInvalidConfigExitCode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "env.yml")
	os.WriteFile(p, []byte(strings.Replace(baseConfig, "profile: rfc1628-ups", "profile: nope", 1)), 0o600)
	code, out := runChild(t, "--config.file="+p, "--web.listen-address=127.0.0.1:0")
	if code == 0 {
		t.Fatalf("exit code 0 for an invalid config:\n%s", out)
	}
	if !strings.Contains(out, p+":12: sites[0].rooms[0].devices[0].profile: unknown profile \"nope\"") {
		t.Errorf("message does not name file:line: field:\n%s", out)
	}
	os.WriteFile(p, []byte(baseConfig), 0o600)
	if code, out := runChild(t, "--config.file="+p, "--config.check"); code != 0 {
		t.Errorf("--config.check of a good config: %d\n%s", code, out)
	}
	if code, _ := runChild(t, "--config.file="+filepath.Join(dir, "missing.yml")); code == 0 {
		t.Errorf("missing config file: exit 0")
	}
}

func TestProfilesDir(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "site-ups.yml"), []byte("name: site-ups\nkind: ups\nsignals:\n  - {signal: ups_on_battery, oid: 1.3.6.1.4.1.1.1.0, map: {\"1\": 1, \"0\": 0}}\n"), 0o644)
	ps, err := loadProfiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ps["site-ups"] == nil || ps["rfc1628-ups"] == nil {
		t.Fatalf("profiles: %v", ps)
	}
	os.WriteFile(filepath.Join(dir, "bad.yml"), []byte("name: bad\nkind: ups\nsignals:\n  - {signal: ups_on_battery, oid: not.an.oid}\n"), 0o644)
	if _, err := loadProfiles(dir); err == nil || !strings.Contains(err.Error(), "bad.yml:4: signals[0].oid: bad OID") {
		t.Errorf("bad profile: %v", err)
	}
}

func TestBuiltinProfiles(t *testing.T) {
	ps := builtin(t)
	for _, name := range []string{"rfc1628-ups", "apc-ups", "huawei-ups", "vertiv-liebert-ups", "generic-sensor"} {
		if ps[name] == nil {
			t.Errorf("profile %s missing", name)
		}
	}
}

func f(x float64) *float64 { return &x }

// validateSpecs validates specs built in a test (effective ranges, placeholders).
func validateSpecs(t *testing.T, specs []SignalSpec) {
	t.Helper()
	for i := range specs {
		if err := specs[i].validate(fmt.Sprintf("signals[%d]", i), func(path, format string, args ...any) error {
			return fmt.Errorf(path+": "+format, args...)
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDecode(t *testing.T) {
	d := &Device{Name: "d", Rack: "R9", specs: []SignalSpec{
		{Signal: "ups_on_battery", OID: "1.1.0", Map: map[string]float64{"5": 1, "3": 0}},
		{Signal: "ups_battery_runtime_seconds", OID: "1.2.0", Scale: f(60)},
		{Signal: "temperature_celsius", OID: "1.3.0", Scale: f(0.1), Labels: map[string]string{"sensor": "s1"}},
		{Signal: "temperature_celsius", OID: "1.4.0", Labels: map[string]string{"sensor": "s2"}},
		{Signal: "humidity_ratio", OID: "1.5.0", Scale: f(0.01)},
		{Signal: "ups_input_voltage_volts", Table: "1.6", IndexLabel: "phase"},
		{Signal: "temperature_celsius", Table: "1.7", LabelOID: "1.8", LabelFrom: "sensor"},
		{Signal: "ups_alarm_active", Table: "1.9", AlarmNames: map[string]string{"1.3.6.1.2.1.33.1.6.3.2": "OnBattery"}},
		{Signal: "leak_detected", OID: "1.10.0", Map: map[string]float64{"1": 0, "2": 1}},
		{Signal: "door_open", OID: "1.11.0", Map: map[string]float64{"1": 0}, Default: f(1)},
	}}
	vals := map[string]snmp.Value{
		"1.1.0":   {Type: gosnmp.Integer, V: 5},
		"1.2.0":   {Type: gosnmp.Integer, V: 20},
		"1.3.0":   {Type: gosnmp.Integer, V: 235},
		"1.4.0":   {Type: gosnmp.OctetString, V: []byte("broken")}, // wrong type
		"1.5.0":   {Type: gosnmp.Gauge32, V: uint(55)},
		"1.6.1":   {Type: gosnmp.Integer, V: 230},
		"1.6.2":   {Type: gosnmp.Integer, V: 231},
		"1.7.1":   {Type: gosnmp.OctetString, V: []byte("22.5")},
		"1.8.1":   {Type: gosnmp.OctetString, V: []byte("probe-A")},
		"1.9.1":   {Type: gosnmp.ObjectIdentifier, V: ".1.3.6.1.2.1.33.1.6.3.2"},
		"1.9.2":   {Type: gosnmp.ObjectIdentifier, V: ".1.3.6.1.2.1.33.1.6.3.99"},
		"1.9.3":   {Type: gosnmp.Integer, V: 7}, // wrong type in an alarm table
		"1.10.0":  {Type: gosnmp.Integer, V: 9}, // not in map: decode error
		"1.11.0":  {Type: gosnmp.Integer, V: 4}, // default
		"1.99.99": {Type: gosnmp.Integer, V: 1},
	}
	validateSpecs(t, d.specs)
	got, errs, _ := decode(d, d.specs, vals)
	want := map[string]float64{
		"ups_on_battery{}":                     1,
		"ups_battery_runtime_seconds{}":        1200,
		"temperature_celsius{s1,R9,room}":      23.5,
		"humidity_ratio{,R9,room}":             0.55,
		"ups_input_voltage_volts{1}":           230,
		"ups_input_voltage_volts{2}":           231,
		"temperature_celsius{probe-A,R9,room}": 22.5,
		"leak_cable_fault{}":                   1, // leak value 9 is not in the map: a cable fault, not "no leak"
		"ups_alarm_active{OnBattery}":          1,
		"ups_alarm_active{alarm_99}":           1,
		"door_open{}":                          1,
	}
	have := map[string]float64{}
	for _, s := range got {
		have[s.signal+"{"+strings.Join(s.labels, ",")+"}"] = s.value
	}
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			t.Errorf("%s = %v (present %v), want %v", k, hv, ok, v)
		}
	}
	if len(have) != len(want) {
		t.Errorf("samples %v", have)
	}
	if errs[snmp.ReasonWrongType] != 2 || errs[snmp.ReasonDecode] != 1 {
		t.Errorf("errors %v, want 2 wrongType, 1 decode", errs)
	}
}
