package snmp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"

	"github.com/jianguan/jianguan/internal/config"
)

func TestDelta(t *testing.T) {
	for _, c := range []struct {
		prev, cur uint64
		bits      int
		want      uint64
	}{
		{10, 15, 32, 5},
		{0xFFFFFFF0, 0x10, 32, 0x20},
		{0xFFFFFFFF, 0, 32, 1},
		{100, 40, 64, 40},
		{100, 40, 0, 40},
		{5, 5, 32, 0},
	} {
		if got := Delta(c.prev, c.cur, c.bits); got != c.want {
			t.Errorf("Delta(%d,%d,%d)=%d want %d", c.prev, c.cur, c.bits, got, c.want)
		}
	}
}

func TestCounterWrapAndReset(t *testing.T) {
	c := Counter{Bits: 32}
	steps := []struct {
		raw    uint64
		uptime uint32
		want   uint64
	}{
		{4294967000, 1000, 0}, // base
		{200, 2000, 496},      // wrap: 296 to the top + 200
		{300, 3000, 100},      // normal
		{50, 100, 50},         // sysUpTime went back: agent restarted
		{60, 200, 10},
	}
	var total uint64
	for i, s := range steps {
		if d := c.Update(s.raw, s.uptime, true); d != s.want {
			t.Fatalf("step %d: delta %d want %d", i, d, s.want)
		}
		total += s.want
	}
	if c.Total() != total {
		t.Fatalf("total %d want %d", c.Total(), total)
	}
}

func TestValueFloat(t *testing.T) {
	for _, c := range []struct {
		v       Value
		want    float64
		wantErr error
	}{
		{Value{gosnmp.Integer, 42}, 42, nil},
		{Value{gosnmp.Integer, -5}, -5, nil},
		{Value{gosnmp.Gauge32, uint(7)}, 7, nil},
		{Value{gosnmp.Counter64, uint64(1) << 40}, 1 << 40, nil},
		{Value{gosnmp.TimeTicks, uint32(100)}, 100, nil},
		{Value{gosnmp.OctetString, []byte(" 23.5 ")}, 23.5, nil},
		{Value{gosnmp.OctetString, []byte("hot")}, 0, ErrWrongType},
		{Value{gosnmp.OctetString, []byte("NaN")}, 0, ErrWrongType},
		{Value{gosnmp.ObjectIdentifier, ".1.3.6"}, 0, ErrWrongType},
		{Value{gosnmp.IPAddress, "10.0.0.1"}, 0, ErrWrongType},
		{Value{gosnmp.Integer, "garbage"}, 0, ErrDecode},
		{Value{gosnmp.Integer, nil}, 0, ErrDecode},
	} {
		got, err := c.v.Float()
		if c.wantErr != nil {
			if !errors.Is(err, c.wantErr) {
				t.Errorf("%v: err %v want %v", c.v, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%v: %v %v want %v", c.v, got, err, c.want)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err  error
		want Reason
	}{
		{fmt.Errorf("request timeout (after 1 retries): %w", gosnmp.ErrMaxRetriesExceeded), ReasonTimeout},
		{context.DeadlineExceeded, ReasonTimeout},
		{gosnmp.ErrWrongDigest, ReasonAuth},
		{gosnmp.ErrUnknownUsername, ReasonAuth},
		{gosnmp.ErrDecryption, ReasonAuth},
		{errors.New("unable to decode packet: error parsing"), ReasonDecode},
		{errors.New("connection refused"), ReasonOther},
	} {
		if got := classify(c.err); got != c.want {
			t.Errorf("classify(%v)=%s want %s", c.err, got, c.want)
		}
	}
}

func TestAuthValidateNeverShowsSecrets(t *testing.T) {
	const secret = "s3cr3t-Pa55w0rd"
	for _, a := range []Auth{
		{Version: "2c"},
		{Version: "4", Community: secret},
		{Version: "3", AuthPassword: secret},
		{Version: "3", Username: "u", AuthProtocol: "SHA", AuthPassword: "short"},
		{Version: "3", Username: "u", AuthProtocol: "XX", AuthPassword: secret},
		{Version: "3", Username: "u", AuthProtocol: "SHA", AuthPassword: secret, PrivProtocol: "ROT13", PrivPassword: secret},
	} {
		err := a.Validate()
		if err == nil {
			t.Errorf("%+v: no error", a)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%v %+v %#v", a, a, a), secret) {
			t.Errorf("secret leaked: %v / %+v", err, a)
		}
	}
	ok := Auth{Version: "3", Username: "u", AuthProtocol: "sha256", AuthPassword: config.Secret(secret), PrivProtocol: "aes", PrivPassword: config.Secret(secret)}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}

func FuzzDecodePacket(f *testing.F) {
	// A GetResponse with one Integer and one OCTET STRING.
	g := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "public"}
	pkt := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: "public", PDUType: gosnmp.GetResponse, RequestID: 1,
		Variables: []gosnmp.SnmpPDU{{Name: ".1.3.6.1.2.1.33.1.4.1.0", Type: gosnmp.Integer, Value: 5},
			{Name: ".1.3.6.1.4.1.1.1.0", Type: gosnmp.OctetString, Value: []byte("23.5")}}}
	if b, err := pkt.MarshalMsg(); err == nil {
		f.Add(b)
	}
	_ = g
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		vals, err := DecodePacket(b)
		if err != nil {
			return
		}
		for _, v := range vals {
			_, _ = v.Float()
			_, _ = v.Uint64()
			_ = v.String()
			_, _ = v.OID()
		}
	})
}
