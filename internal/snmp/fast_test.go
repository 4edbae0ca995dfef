package snmp

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"
)

func testFast(t testing.TB, keys ...string) *fastGet {
	f := &fastGet{version: 1, community: []byte("public"), keys: keys}
	for _, k := range keys {
		ob, err := encodeOID(k)
		if err != nil {
			t.Fatal(err)
		}
		f.oidBytes = append(f.oidBytes, ob)
		vb := append(appendTLV(nil, 0x06, ob), 0x05, 0x00)
		f.varbinds = append(f.varbinds, appendTLV(nil, 0x30, vb))
	}
	return f
}

// Our GetRequest is what gosnmp (an independent codec) reads.
func TestFastRequestDecodesWithGosnmp(t *testing.T) {
	keys := []string{"1.3.6.1.2.1.1.3.0", "1.3.6.1.4.1.2011.6.174.1.2.101.1.1.1", "2.999.4294967295.0", "1.3.6.1.4.1.99999.1.128.0"}
	f := testFast(t, keys...)
	for _, id := range []uint32{1, 127, 128, 255, 65535, 0x7fffffff} {
		b := f.request(id, 0, len(keys))
		g := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Logger: gosnmp.NewLogger(nil)}
		p, err := g.SnmpDecodePacket(b)
		if err != nil {
			t.Fatalf("id %d: %v", id, err)
		}
		if p.PDUType != gosnmp.GetRequest || p.Community != "public" || p.Version != gosnmp.Version2c || p.RequestID != id {
			t.Errorf("id %d: decoded %+v", id, p)
		}
		for i, v := range p.Variables {
			if v.Name != "."+keys[i] || v.Type != gosnmp.Null {
				t.Errorf("var %d: %s %v", i, v.Name, v.Type)
			}
		}
	}
}

// Responses encoded by gosnmp decode to the same values as gosnmp's own decoder.
func TestFastDecodeMatchesGosnmp(t *testing.T) {
	vars := []gosnmp.SnmpPDU{
		{Name: ".1.3.6.1.2.1.1.3.0", Type: gosnmp.TimeTicks, Value: uint32(123456)},
		{Name: ".1.3.6.1.2.1.33.1.4.1.0", Type: gosnmp.Integer, Value: 5},
		{Name: ".1.3.6.1.2.1.33.1.2.5.0", Type: gosnmp.Integer, Value: -40},
		{Name: ".1.3.6.1.4.1.1.1.0", Type: gosnmp.OctetString, Value: []byte("23.5 °C")},
		{Name: ".1.3.6.1.4.1.1.2.0", Type: gosnmp.Gauge32, Value: uint(4294967295)},
		{Name: ".1.3.6.1.4.1.1.3.0", Type: gosnmp.Counter32, Value: uint(7)},
		{Name: ".1.3.6.1.4.1.1.4.0", Type: gosnmp.Counter64, Value: uint64(1) << 63},
		{Name: ".1.3.6.1.4.1.1.5.0", Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.2.1.33.1.6.3.2"},
		{Name: ".1.3.6.1.4.1.1.6.0", Type: gosnmp.IPAddress, Value: "192.0.2.7"},
		{Name: ".1.3.6.1.4.1.1.7.0", Type: gosnmp.NoSuchObject, Value: nil},
		{Name: ".1.3.6.1.4.1.1.8.0", Type: gosnmp.NoSuchInstance, Value: nil},
	}
	pkt := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: "public", PDUType: gosnmp.GetResponse, RequestID: 4242, Variables: vars}
	b, err := pkt.MarshalMsg()
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]string, len(vars))
	for i, v := range vars {
		keys[i] = strings.TrimPrefix(v.Name, ".")
	}
	keys[3] = "1.3.6.1.4.1.1.99.0" // an answer for another OID than asked: decoded by name
	f := testFast(t, keys...)
	st, got, rid, err := f.decode(b, 0, len(keys))
	if err != nil || st != gosnmp.NoError || rid != 4242 || len(got) != len(vars) {
		t.Fatalf("decode: %v %v %v %d", st, rid, err, len(got))
	}
	g := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Logger: gosnmp.NewLogger(nil)}
	ref, err := g.SnmpDecodePacket(b)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range ref.Variables {
		want := FromPDU(v)
		if got[i].key != strings.TrimPrefix(v.Name, ".") {
			t.Errorf("%d: key %s want %s", i, got[i].key, v.Name)
		}
		if got[i].val.Type != want.Type || !reflect.DeepEqual(got[i].val.V, want.V) {
			t.Errorf("%s: got %#v (%T) want %#v (%T)", v.Name, got[i].val.V, got[i].val.V, want.V, want.V)
		}
	}
	// Wrong community: ignored.
	f.community = []byte("other")
	if _, _, _, err := f.decode(b, 0, len(keys)); err == nil {
		t.Error("response for another community accepted")
	}
}

func TestEncodeOIDErrors(t *testing.T) {
	for _, o := range []string{"1", "3.1", "1.40.1", "1.3.x", "1.3.99999999999999999999", "1.3.4294967296"} {
		if _, err := encodeOID(o); err == nil {
			t.Errorf("%s: no error", o)
		}
	}
}

// FuzzFastDecode: arbitrary datagrams never panic the lean decoder, and
// every value it returns converts without panicking.
func FuzzFastDecode(f *testing.F) {
	pkt := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: "public", PDUType: gosnmp.GetResponse, RequestID: 7,
		Variables: []gosnmp.SnmpPDU{{Name: ".1.3.6.1.2.1.1.3.0", Type: gosnmp.TimeTicks, Value: uint32(5)},
			{Name: ".1.3.6.1.4.1.1.5.0", Type: gosnmp.ObjectIdentifier, Value: ".1.3.6.1.2.1.33.1.6.3.2"}}}
	if b, err := pkt.MarshalMsg(); err == nil {
		f.Add(b)
	}
	f.Add([]byte{0x30, 0x82, 0xff, 0xff})
	f.Add([]byte{0x30, 0x00})
	fg := testFast(f, "1.3.6.1.2.1.1.3.0", "1.3.6.1.4.1.1.5.0")
	f.Fuzz(func(t *testing.T, b []byte) {
		_, vars, _, err := fg.decode(b, 0, 2)
		if err != nil {
			return
		}
		for _, v := range vars {
			_, _ = v.val.Float()
			_ = v.val.String()
			_, _ = v.val.OID()
		}
	})
}
