package main

import (
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/jianguan/jianguan/internal/snmp"
)

// FuzzConfig: any input gives a config or an error, never a panic.
func FuzzConfig(f *testing.F) {
	f.Add([]byte(baseConfig))
	f.Add([]byte("sites: [{name: a, rooms: [{name: r, redundancy: {ups_pair: [x, y]}, devices: []}]}]"))
	f.Add([]byte("defaults: {interval: 1ms}\n"))
	f.Add([]byte("thresholds: {temperature_low_celsius: 30}\nsites: []"))
	ps := builtin(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := loadConfig("fuzz.yml", b, ps)
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
	})
}

// FuzzProfile: profile files are operator data.
func FuzzProfile(f *testing.F) {
	data, _ := builtinProfiles.ReadFile("profiles/rfc1628-ups.yml")
	f.Add(data)
	f.Add([]byte("name: x\nkind: ups\nsignals:\n  - {signal: ups_alarm_active, table: 1.3.6, alarm_names: {1.3.6.1: A}}\n"))
	f.Add([]byte("name: x\nkind: sensor\nsignals:\n  - {signal: temperature_celsius, table: 1.3, label_oid: 1.4}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseProfile("fuzz.yml", b)
		if err != nil {
			return
		}
		d := &Device{Name: "d", specs: p.Signals}
		_ = request(d.specs)
		decode(d, d.specs, map[string]snmp.Value{"1.3.6.1": {Type: gosnmp.Integer, V: 1}})
	})
}

// FuzzDecodeValue: arbitrary SNMP values (type tag and bytes) through every
// kind of signal spec are counted and skipped or decoded, never a panic.
func FuzzDecodeValue(f *testing.F) {
	f.Add(byte(gosnmp.Integer), []byte{5}, int64(5))
	f.Add(byte(gosnmp.OctetString), []byte("23.5"), int64(0))
	f.Add(byte(gosnmp.ObjectIdentifier), []byte(".1.3.6.1.2.1.33.1.6.3.2"), int64(0))
	f.Add(byte(gosnmp.Counter64), []byte{}, int64(-1))
	f.Add(byte(gosnmp.OpaqueFloat), []byte("NaN"), int64(0))
	d := &Device{Name: "d", specs: []SignalSpec{
		{Signal: "ups_on_battery", OID: "1.1.0", Map: map[string]float64{"5": 1, "3": 0}},
		{Signal: "temperature_celsius", OID: "1.1.0", Scale: f64(1e308)},
		{Signal: "door_open", OID: "1.1.0", Map: map[string]float64{"1": 0}, Default: f64(1)},
		{Signal: "ups_alarm_active", Table: "1.2"},
		{Signal: "temperature_celsius", Table: "1.2", LabelOID: "1.2", LabelFrom: "sensor"},
		{Signal: "ups_input_voltage_volts", Table: "1.2", IndexLabel: "phase"},
	}}
	f.Fuzz(func(t *testing.T, typ byte, raw []byte, n int64) {
		var v any
		switch n % 7 {
		case 0:
			v = raw
		case 1:
			v = string(raw)
		case 2:
			v = int(n)
		case 3:
			v = uint64(n)
		case 4:
			v = uint32(n)
		case 5:
			v = float32(n) / 3
		default:
			v = nil
		}
		val := snmp.Value{Type: gosnmp.Asn1BER(typ), V: v}
		samples, _, st := decode(d, d.specs, map[string]snmp.Value{"1.1.0": val, "1.2." + string(raw): val, "1.2.1": val})
		if st.read+st.missing+st.invalidN != st.expected {
			t.Fatalf("three answers do not add up: %+v", st)
		}
		for _, s := range samples {
			if len(s.labels) != len(signalDefs[s.signal].labels) {
				t.Fatalf("labels %v for %s", s.labels, s.signal)
			}
		}
	})
}
