package testenv

import (
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// TestStartSNMPSim: a real snmpsimd answers a v2c community and an SNMPv3
// user through gosnmp, snmpset changes a writecache value that the next GET
// reads, and after Stop nothing answers.
func TestStartSNMPSim(t *testing.T) {
	const uptime, level = "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.33.1.2.4.0"
	v3 := &SNMPv3{User: "noc", AuthKey: "authkey-123", AuthProto: "SHA", PrivKey: "privkey-123", PrivProto: "AES"}
	sim := StartSNMPSim(t, map[string]string{"ups": uptime + "|67|12345\n" + Writecache(level, 2, 80)}, v3)
	client := func(v3auth bool) *gosnmp.GoSNMP {
		g := &gosnmp.GoSNMP{Target: "127.0.0.1", Port: uint16(sim.Port), Version: gosnmp.Version2c, Community: "ups",
			Timeout: 2 * time.Second, Retries: 2}
		if v3auth {
			g.Version, g.SecurityModel, g.MsgFlags, g.ContextName = gosnmp.Version3, gosnmp.UserSecurityModel, gosnmp.AuthPriv, "ups"
			g.SecurityParameters = &gosnmp.UsmSecurityParameters{UserName: v3.User, AuthenticationProtocol: gosnmp.SHA,
				AuthenticationPassphrase: v3.AuthKey, PrivacyProtocol: gosnmp.AES, PrivacyPassphrase: v3.PrivKey}
		}
		return g
	}
	get := func(g *gosnmp.GoSNMP, oid string) (any, error) {
		if err := g.Connect(); err != nil {
			return nil, err
		}
		defer g.Conn.Close()
		r, err := g.Get([]string{oid})
		if err != nil {
			return nil, err
		}
		return r.Variables[0].Value, nil
	}
	tests := []struct {
		name string
		v3   bool
		oid  string
		set  string // snmpset value before the GET, "" for none
		want any
	}{
		{name: "v2c community", oid: uptime, want: uint32(12345)},
		{name: "v3 user", v3: true, oid: uptime, want: uint32(12345)},
		{name: "v2c writecache as recorded", oid: level, want: 80},
		{name: "v2c writecache after snmpset", oid: level, set: "35", want: 35},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.set != "" {
				sim.Set(t, "ups", tc.oid, "i", tc.set)
			}
			got, err := get(client(tc.v3), tc.oid)
			if err != nil || got != tc.want {
				t.Errorf("GET %s = %v (%T), %v; want %v (%T)", tc.oid, got, got, err, tc.want, tc.want)
			}
		})
	}
	sim.Stop()
	g := client(false)
	g.Timeout, g.Retries = 500*time.Millisecond, 0
	if v, err := get(g, uptime); err == nil {
		t.Errorf("GET after Stop answered %v", v)
	}
}
