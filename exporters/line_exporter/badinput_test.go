package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// TestBadInputAtRuntime: problems only visible at run time make the
// affected signal unknown (line_signal_up 0, line_up 0) with a reason, never
// up, and never stop the other lines.
func TestBadInputAtRuntime(t *testing.T) {
	testutil.NeedRoot(t) // snmpsimd
	t.Parallel()
	recs := sortRecs("1.3.6.1.2.1.1.3.0|67|100",
		oidIfOperStatus+".3|2|1", oidIfName+".3|4|ge-0/0/3", oidIfAlias+".3|4|uplink CT", oidIfHighSpeed+".3|66|1000",
		oidIfHCInOctets+".3|70|5", oidIfHCOutOctets+".3|70|6",
		oidBgpPeerState+".192.0.2.1|2|6")
	sim := testenv.StartSNMPSim(t, map[string]string{"rtr": recs}, nil)
	dead := testutil.FreeUDPPort(t) // nothing answers there
	cfg := fmt.Sprintf(`
defaults: {icmp_interval: 200ms}
routers:
  - {name: rtr, address: "%s", auth: {community: rtr}, interval: 1s, timeout: 2s, retries: 1}
  - {name: dead-rtr, address: "127.0.0.1:%d", auth: {community: rtr}, interval: 1s, timeout: 300ms}
  - {name: wrong-community, address: "%s", auth: {community: nosuch}, interval: 1s, timeout: 1s}
lines:
  - {name: good, kind: leased, site: dc1, icmp: [{address: 127.0.0.1}], router: rtr, interface: {alias: uplink CT}}
  - {name: good-index, kind: leased, site: dc1, router: rtr, interface: {index: 3}}
  - {name: unknown-if, kind: leased, site: dc1, icmp: [{address: 127.0.0.1}], router: rtr, interface: {name: ge-9/9/9}}
  - {name: unknown-index, kind: leased, site: dc1, router: rtr, interface: {index: 42}}
  - {name: dead-router, kind: bgp, site: dc1, icmp: [{address: 127.0.0.1}], router: dead-rtr, bgp_peers: [192.0.2.1]}
  - {name: bad-community, kind: bgp, site: dc1, router: wrong-community, bgp_peers: [192.0.2.1]}
  - {name: unknown-peer, kind: bgp, site: dc1, router: rtr, bgp_peers: [192.0.2.99]}
  - {name: bad-source, kind: leased, site: dc1, icmp: [{address: 127.0.0.1, source: 192.0.2.55}]}
  - {name: no-dns, kind: leased, site: dc1, icmp: [{address: no-such-host.invalid}]}
`, sim.Addr, dead, sim.Addr)
	ex := startExporter(t, cfg)
	want := map[string][2]string{ // line → signal, reason
		"unknown-if":    {"interface", "interface_not_found"},
		"unknown-index": {"interface", "interface_not_found"},
		"dead-router":   {"bgp", "router_not_answering"},
		"bad-community": {"bgp", "router_not_answering"},
		"unknown-peer":  {"bgp", "peer_not_found"},
		"bad-source":    {"icmp", "socket"},
		"no-dns":        {"icmp", "dns"},
	}
	var f families
	testenv.WaitFor(t, 20*time.Second, "every reason exported", func() bool {
		f = scrape(t, ex.URL)
		for l, w := range want {
			if f.get("line_signal_problem", "line", l, "signal", w[0], "reason", w[1]) != 1 {
				return false
			}
		}
		return f.get("line_up", "line", "good") == 1 && f.get("line_up", "line", "good-index") == 1
	})
	time.Sleep(1500 * time.Millisecond)
	f = scrape(t, ex.URL)
	for l, w := range want {
		if up := f.get("line_up", "line", l); up != 0 {
			t.Errorf("%s: line_up %v, must never be up", l, up)
		}
		if u := f.get("line_unknown", "line", l); u != 1 {
			t.Errorf("%s: line_unknown %v", l, u)
		}
		if s := f.get("line_signal_up", "line", l, "signal", w[0]); s != 0 {
			t.Errorf("%s: line_signal_up{signal=%s} %v", l, w[0], s)
		}
		if d := f.get("line_down_seconds_total", "line", l); d != 0 {
			t.Errorf("%s: a configuration problem is not downtime: %v s", l, d)
		}
		if o := f.get("line_observed_seconds_total", "line", l); o != 0 {
			t.Errorf("%s: observed %v s with an unknown signal", l, o)
		}
	}
	// The ICMP signal of dead-router and unknown-if is fine on its own.
	if v := f.get("line_signal_up", "line", "dead-router", "signal", "icmp"); v != 1 {
		t.Errorf("dead-router icmp signal %v", v)
	}
	if v := f.get("line_device_up", "device", "dead-rtr"); v != 0 {
		t.Errorf("line_device_up{dead-rtr} %v", v)
	}
	if v := f.get("line_interface_speed_bytes_per_second", "line", "good"); v != 1.25e8 {
		t.Errorf("good: speed %v", v)
	}
	// The landing page explains.
	page := get(t, ex.URL+"/")
	for _, s := range []string{"no interface with ifName &#34;ge-9/9/9&#34;", "peer 192.0.2.99 not in bgpPeerTable", "cannot bind ICMP source address 192.0.2.55"} {
		if !strings.Contains(page, s) {
			t.Errorf("landing page lacks %q:\n%s", s, page)
		}
	}
	if strings.Contains(get(t, ex.URL+"/config"), "nosuch") {
		t.Error("/config shows a community")
	}
	promtoolCheck(t, scrapeText(t, ex.URL))

	// A reload with a broken file keeps the running configuration.
	before := f.get("line_icmp_probes_total", "line", "good")
	os.WriteFile(ex.Cfg, []byte("lines:\n  - {name: x, kind: leased, site: s, icmp: [{address: 10.0.0.300}]}\n"), 0o644)
	resp := post(t, ex.URL+"/-/reload")
	if !strings.Contains(resp, "malformed address") {
		t.Errorf("reload error %q", resp)
	}
	time.Sleep(500 * time.Millisecond)
	f = scrape(t, ex.URL)
	if f.get("line_config_last_reload_successful") != 0 || math.IsNaN(f.get("line_up", "line", "good")) || f.get("line_icmp_probes_total", "line", "good") <= before {
		t.Error("broken reload must keep the old lines running")
	}
}

// TestBadConfigExits: malformed addresses, duplicate names and friends stop
// the exporter at start with file:line errors (exit 1), --config.check too.
func TestBadConfigExits(t *testing.T) {
	for _, tc := range []struct{ name, cfg, want string }{
		{"duplicate", "lines:\n  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.1}]}\n  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.2}]}\n", `duplicate line name "a"`},
		{"malformed", "lines:\n  - {name: a, kind: leased, site: s, icmp: [{address: 300.1.1.1}]}\n", `malformed address "300.1.1.1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "line.yml")
			os.WriteFile(path, []byte(tc.cfg), 0o644)
			for _, extra := range [][]string{{"--config.check"}, {"--web.listen-address=127.0.0.1:0"}} {
				stderr := captureStderr(t, func() {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					if code := app().Run(ctx, append([]string{"--config.file=" + path, "--log.level=error"}, extra...)); code != 1 {
						t.Errorf("exit code %d, want 1", code)
					}
				})
				if !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "line.yml:3") && !strings.Contains(stderr, "line.yml:2") {
					t.Errorf("stderr %q lacks %q with file:line", stderr, tc.want)
				}
			}
		})
	}
}
