package main

import (
	"regexp"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/avail"
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

// TestICMPTargetInheritsDefaults: an ICMP target's interval and timeout
// take the defaults section's icmp_interval and icmp_timeout where the
// target leaves them zero (config.Inherit), its own where it writes them;
// a timeout zero in both is the interval, at most 1s.
func TestICMPTargetInheritsDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, defaults, target string
		interval, timeout      time.Duration
	}{
		{"neither: the built-ins", "", "", time.Second, time.Second},
		{"both fields in defaults only", "defaults: {icmp_interval: 2s, icmp_timeout: 700ms}\n", "", 2 * time.Second, 700 * time.Millisecond},
		{"interval in defaults only: timeout at most 1s", "defaults: {icmp_interval: 3s}\n", "", 3 * time.Second, time.Second},
		{"both fields in the target only", "", ", interval: 500ms, timeout: 200ms", 500 * time.Millisecond, 200 * time.Millisecond},
		{"interval in the target only: timeout = interval", "", ", interval: 300ms", 300 * time.Millisecond, 300 * time.Millisecond},
		{"both in both: the target's", "defaults: {icmp_interval: 2s, icmp_timeout: 700ms}\n", ", interval: 500ms, timeout: 200ms",
			500 * time.Millisecond, 200 * time.Millisecond},
		{"one in each", "defaults: {icmp_timeout: 400ms}\n", ", interval: 2s", 2 * time.Second, 400 * time.Millisecond},
		{"zero in the target: the defaults'", "defaults: {icmp_interval: 2s, icmp_timeout: 700ms}\n", ", interval: 0s, timeout: 0s",
			2 * time.Second, 700 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.defaults + "lines:\n  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.1" + tc.target + "}]}\n"
			c, err := ParseConfig("line.yml", []byte(cfg))
			if err != nil {
				t.Fatalf("%v\n%s", err, cfg)
			}
			if got := c.Lines[0].ICMP[0]; got.Interval.D() != tc.interval || got.Timeout.D() != tc.timeout {
				t.Errorf("target interval %v timeout %v, want %v %v\n%s", got.Interval, got.Timeout, tc.interval, tc.timeout, cfg)
			}
		})
	}
}

// TestLineRulesInherit: a line's ICMP rule takes, field by field through
// config.Inherit, what it leaves zero from its kind's rule, and the kind's
// rule from the built-in one (down after 3, up after 3, no max gap).
func TestLineRulesInherit(t *testing.T) {
	for _, tc := range []struct {
		name, kind, line string
		want             avail.Rule
	}{
		{"neither: the built-in", "", "", avail.Rule{DownAfter: 3, UpAfter: 3}},
		{"kind only", "rules: {leased: {icmp: {down_after: 5, max_gap: 30s}}}\n", "", avail.Rule{DownAfter: 5, UpAfter: 3, MaxGap: 30 * time.Second}},
		{"line only", "", ", rules: {icmp: {up_after: 4}}", avail.Rule{DownAfter: 3, UpAfter: 4}},
		{"both: the line's where it writes", "rules: {leased: {icmp: {down_after: 5, up_after: 2}}}\n", ", rules: {icmp: {down_after: 10}}",
			avail.Rule{DownAfter: 10, UpAfter: 2}},
		{"zero in the line: the kind's", "rules: {leased: {icmp: {down_after: 5, up_after: 2, max_gap: 1m}}}\n",
			", rules: {icmp: {down_after: 0, up_after: 0, max_gap: 0s}}", avail.Rule{DownAfter: 5, UpAfter: 2, MaxGap: time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.kind + "lines:\n  - {name: a, kind: leased, site: s, icmp: [{address: 127.0.0.1}]" + tc.line + "}\n"
			c, err := ParseConfig("line.yml", []byte(cfg))
			if err != nil {
				t.Fatalf("%v\n%s", err, cfg)
			}
			if got := *c.rules(&c.Lines[0]).ICMP; got != tc.want {
				t.Errorf("icmp rule %+v, want %+v\n%s", got, tc.want, cfg)
			}
		})
	}
}
