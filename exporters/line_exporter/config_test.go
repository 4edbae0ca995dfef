package main

import (
	"strings"
	"testing"
	"time"
)

const goodConfig = `
defaults:
  icmp_interval: 500ms
rules:
  leased:
    icmp: {down_after: 5, up_after: 2}
routers:
  - name: rtr1
    address: 127.0.0.1:1161
    auth: {version: 2c, community: public}
lines:
  - name: ct-internet
    kind: bgp
    provider: China Telecom
    site: dc1
    capacity: 1G
    icmp:
      - address: 192.0.2.1
        source: 192.0.2.2
    router: rtr1
    interface: {name: ge-0/0/1}
    bgp_peers: [192.0.2.1]
  - name: leased-1
    kind: leased
    provider: CU
    site: dc1
    capacity: 200Mbit
    icmp: [{address: far.example, interval: 2s}]
    rules:
      icmp: {down_after: 10}
    maintenance:
      - {weekdays: [sun], from: "02:00", to: "04:00"}
`

func TestConfigGood(t *testing.T) {
	c, err := ParseConfig("line.yml", []byte(goodConfig))
	if err != nil {
		t.Fatal(err)
	}
	l0, l1 := &c.Lines[0], &c.Lines[1]
	if l0.Capacity != 1e9 || l1.Capacity != 200e6 {
		t.Fatalf("capacity %v %v", l0.Capacity, l1.Capacity)
	}
	if time.Duration(l0.ICMP[0].Interval) != 500*time.Millisecond || time.Duration(l0.ICMP[0].Timeout) != 500*time.Millisecond {
		t.Fatalf("icmp defaults %+v", l0.ICMP[0])
	}
	if time.Duration(l1.ICMP[0].Interval) != 2*time.Second || time.Duration(l1.ICMP[0].Timeout) != time.Second {
		t.Fatalf("icmp target %+v", l1.ICMP[0])
	}
	if r := c.rules(l0); r.ICMP.DownAfter != 3 || r.ICMP.UpAfter != 3 || r.BGP.DownAfter != 1 {
		t.Fatalf("bgp rules %+v %+v", r.ICMP, r.BGP)
	}
	if r := c.rules(l1); r.ICMP.DownAfter != 10 || r.ICMP.UpAfter != 2 {
		// per-line override of down_after; up_after inherited from the kind
		t.Fatalf("leased-1 rules %+v", r.ICMP)
	}
	if r := c.Rules["leased"]; r.ICMP.DownAfter != 5 || r.ICMP.UpAfter != 2 {
		t.Fatalf("leased rules %+v", r.ICMP)
	}
	if c.Routers[0].Site != "dc1" {
		t.Fatalf("router site %q", c.Routers[0].Site)
	}
	sun := time.Date(2026, 11, 29, 3, 0, 0, 0, c.loc) // a Sunday
	if !c.cals["leased-1"].Active(sun) || c.cals["ct-internet"].Active(sun) {
		t.Fatal("maintenance calendars")
	}
}

func TestConfigBad(t *testing.T) {
	base := func(line string) string {
		return "routers:\n  - {name: rtr1, address: \"127.0.0.1:1161\", auth: {community: public}}\nlines:\n" + line
	}
	for _, tc := range []struct {
		name, cfg, want string
	}{
		{"duplicate line", base("  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.1}]}\n  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.2}]}\n"), `line.yml:5: lines[1].name: duplicate line name "a" (also lines[0])`},
		{"malformed ipv4", base("  - {name: a, kind: leased, site: s, icmp: [{address: 10.0.0.256}]}\n"), `lines[0].icmp[0].address: malformed address "10.0.0.256"`},
		{"malformed partial", base("  - {name: a, kind: leased, site: s, icmp: [{address: 10.1.2}]}\n"), `malformed address "10.1.2"`},
		{"garbage address", base("  - {name: a, kind: leased, site: s, icmp: [{address: \"not an/address\"}]}\n"), `malformed address`},
		{"bad source", base("  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.1, source: eth0}]}\n"), `lines[0].icmp[0].source: source must be an IP address`},
		{"family mismatch", base("  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.1, source: \"::1\"}]}\n"), `different IP families`},
		{"bad peer", base("  - {name: a, kind: bgp, site: s, router: rtr1, bgp_peers: [\"2001:db8::1\"]}\n"), `lines[0].bgp_peers[0]: BGP peer must be an IPv4 address`},
		{"peer malformed", base("  - {name: a, kind: bgp, site: s, router: rtr1, bgp_peers: [1.2.3]}\n"), `BGP peer must be an IPv4 address`},
		{"peer on leased", base("  - {name: a, kind: leased, site: s, router: rtr1, bgp_peers: [1.2.3.4]}\n"), `bgp_peers only for kind bgp`},
		{"unknown router", base("  - {name: a, kind: bgp, site: s, router: rtr9, bgp_peers: [1.2.3.4]}\n"), `unknown router "rtr9"`},
		{"no router", base("  - {name: a, kind: bgp, site: s, interface: {name: ge0}}\n"), `need a router`},
		{"two interface keys", base("  - {name: a, kind: leased, site: s, router: rtr1, interface: {name: ge0, index: 3}}\n"), `exactly one of name`},
		{"no signal", base("  - {name: a, kind: leased, site: s}\n"), `has no signal`},
		{"bad kind", base("  - {name: a, kind: mpls, site: s, icmp: [{address: 127.0.0.1}]}\n"), `kind must be bgp or leased`},
		{"no site", base("  - {name: a, kind: leased, icmp: [{address: 127.0.0.1}]}\n"), `site is required`},
		{"fast interval", base("  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.1, interval: 50ms}]}\n"), `at least 100ms`},
		{"bad capacity", base("  - {name: a, kind: leased, site: s, capacity: lots, icmp: [{address: 127.0.0.1}]}\n"), `invalid capacity "lots"`},
		{"bad duration", base("  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.1, interval: soon}]}\n"), `invalid duration "soon"`},
		{"unknown field", base("  - {name: a, kind: leased, site: s, icmp: [{adress: 127.0.0.1}]}\n"), `field adress not found`},
		{"dup target", base("  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.1}, {address: 127.0.0.1}]}\n"), `duplicate ICMP target`},
		{"negative rule", "rules: {leased: {icmp: {down_after: -1}}}\n" + base("  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.1}]}\n"), `rules.leased: icmp: down_after`},
		{"bad window", base("  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.1}], maintenance: [{weekdays: [funday], from: \"01:00\", to: \"02:00\"}]}\n"), `unknown weekday "funday"`},
		{"router port", "routers:\n  - {name: rtr1, address: \"127.0.0.1:99999\", auth: {community: public}}\nlines: []\n", `routers[0].address: malformed port`},
		{"router no community", "routers:\n  - {name: rtr1, address: \"127.0.0.1\", auth: {version: 2c}}\nlines: []\n", `routers[0].auth: community is required`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("line.yml", []byte(tc.cfg))
			if err == nil {
				t.Fatalf("want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "line.yml:") {
				t.Fatalf("error without file:line: %q", err)
			}
		})
	}
}

func TestBandwidth(t *testing.T) {
	for in, want := range map[string]float64{"1G": 1e9, "200M": 200e6, "100Mbit": 100e6, "1000000000": 1e9, "1.5 Gbit/s": 1.5e9, "64k": 64e3, "10Mbps": 10e6} {
		var b Bandwidth
		if err := b.UnmarshalText([]byte(in)); err != nil || float64(b) != want {
			t.Errorf("%q: %v %v", in, float64(b), err)
		}
	}
	for _, in := range []string{"", "G", "1X", "-5M", "fast"} {
		var b Bandwidth
		if err := b.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("%q: want error", in)
		}
	}
}

func TestDemoConfigsValid(t *testing.T) {
	for _, f := range []string{"demo/line.yml", "demo/line-loopback.yml"} {
		c, err := LoadConfig(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(c.Lines) != 5 {
			t.Fatalf("%s: %d lines", f, len(c.Lines))
		}
	}
}

// FuzzParseConfig: no input crashes the config loader.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(goodConfig))
	f.Add([]byte("lines:\n  - {name: a, kind: leased, site: s, icmp: [{address: 10.0.0.256}]}\n"))
	f.Add([]byte("rules: {bgp: {icmp: {down_after: -1}}}\n"))
	f.Add([]byte("lines: [{name: a, kind: bgp, site: s, router: r, bgp_peers: [\"::1\"]}]\nrouters: [{name: r, address: \"[::1]:161\", auth: {version: \"3\", username: u}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("fuzz.yml", data)
		if err == nil && c != nil {
			for i := range c.Lines {
				_ = c.rules(&c.Lines[i])
			}
		}
	})
}
