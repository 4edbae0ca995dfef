package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/snmp"
)

// TestDefaultsAtDecode: the defaults section and each router get their
// built-in values at decode (config.Defaulted); a misspelt key inside them is
// still an error at its line, a value the file writes — even 0 — is the file's.
func TestDefaultsAtDecode(t *testing.T) {
	const line = "lines:\n  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.1}]}\n"
	const router = "routers:\n  - name: rtr1\n    address: 127.0.0.1\n    auth: {community: public}\n"
	for _, tc := range []struct {
		name, cfg, want string // want: regexp on the error; "" = loads
	}{
		{"misspelt key in defaults", "defaults:\n  icmp_intervall: 2s\n" + line, `^line\.yml:2: field icmp_intervall not found$`},
		{"misspelt key in a router", router + "    intervall: 5s\n" + line, `^line\.yml:5: field intervall not found$`},
		{"explicit zero dns_refresh", "defaults:\n  dns_refresh: 0s\n" + line, `^line\.yml:2: defaults\.dns_refresh: must be between 1s and 24h0m0s, not 0s$`},
		{"explicit zero router interval", router + "    interval: 0s\n" + line, `^line\.yml:5: routers\[0\]\.interval: must be between 1s and 1h0m0s, not 0s$`},
		{"defaults and router left out", router + line, ""},
		{"one key written", "defaults:\n  loss_window: 30s\n" + router + line, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig("line.yml", []byte(tc.cfg))
			if tc.want != "" {
				if err == nil || !regexp.MustCompile(tc.want).MatchString(err.Error()) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d, r := c.Defaults, c.Routers[0]
			if d.ICMPInterval.D() != time.Second || d.DNSRefresh.D() != 5*time.Minute || (d.LossWindow.D() != time.Minute && d.LossWindow.D() != 30*time.Second) {
				t.Errorf("defaults %+v", d)
			}
			if r.Interval.D() != 10*time.Second || r.Timeout.D() != 2*time.Second || r.WalkMaxRows != snmp.DefaultMaxRows {
				t.Errorf("router %+v", r)
			}
		})
	}
}
