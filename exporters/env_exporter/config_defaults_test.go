package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDefaultsAtDecode: the defaults section gets its built-in values at
// decode (config.Defaulted); a misspelt key inside it is still an error at
// its line, and a value the file writes — even 0 — is the file's.
func TestDefaultsAtDecode(t *testing.T) {
	for _, c := range []struct {
		name, from, to string
		want           string // regexp on the error; "" = loads
	}{
		{"misspelt key in defaults", "  auth: v2\n", "  auth: v2\n  intervall: 5s\n", `^env\.yml:3: field intervall not found$`},
		{"explicit zero interval", "  auth: v2\n", "  auth: v2\n  interval: 0s\n", `^env\.yml:3: defaults\.interval: must be between 100ms and 1h0m0s, not 0s$`},
		{"null retries", "  auth: v2\n", "  auth: v2\n  retries:\n", `^env\.yml:3: defaults\.retries: must be 0\.\.10, not null$`},
		{"one key written", "  auth: v2\n", "  auth: v2\n  timeout: 1s\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := loadConfig("env.yml", []byte(strings.Replace(baseConfig, c.from, c.to, 1)), builtin(t))
			if c.want != "" {
				if err == nil || !regexp.MustCompile(c.want).MatchString(err.Error()) {
					t.Fatalf("error %v, want %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := cfg.Defaults
			if d.Timeout.D() != time.Second || d.Interval.D() != 10*time.Second || *d.Retries != 1 || d.MaxOIDs != 20 ||
				d.Concurrency != 64 || d.StaleAfter.D() != 5*time.Minute || d.WalkMaxRows != newDefaults().WalkMaxRows {
				t.Errorf("defaults %+v", d)
			}
		})
	}
	// No defaults section at all: the same built-ins.
	noSection := strings.Replace(baseConfig, "defaults:\n  auth: v2\n", "", 1)
	noSection = strings.Replace(noSection, "address: 127.0.0.1:161\n", "address: 127.0.0.1:161\n            auth: v2\n", 1)
	noSection = strings.Replace(noSection, "address: 127.0.0.1\n", "address: 127.0.0.1\n            auth: v2\n", 1)
	cfg, err := loadConfig("env.yml", []byte(noSection), builtin(t))
	if err != nil {
		t.Fatalf("%v\n%s", err, noSection)
	}
	if d := cfg.Defaults; d.Interval.D() != 10*time.Second || d.Retries == nil || *d.Retries != 1 || d.Concurrency != 64 {
		t.Errorf("defaults without a section: %+v", d)
	}
}

// TestDeviceInheritsDefaults: a device's auth, interval, timeout and
// retries each take the defaults section's value where the device leaves
// them zero (config.Inherit) and its own where it writes them; the defaults
// section's own values are the built-ins where the file leaves them out.
// An explicit retries: 0 is the device's (a pointer); interval: 0s is unset.
func TestDeviceInheritsDefaults(t *testing.T) {
	const auths = "auths:\n  v2a: {community: a}\n  v2b: {community: b}\n"
	device := func(settings string) string {
		return "sites:\n  - name: dc1\n    rooms:\n      - name: room-a\n        devices:\n" +
			"          - name: th-1\n            profile: generic-sensor\n            address: 127.0.0.1\n" + settings +
			"            signals:\n              - {signal: temperature_celsius, oid: 1.3.6.1.4.1.99999.1.1.0}\n"
	}
	const allDefaults = "defaults:\n  auth: v2a\n  interval: 30s\n  timeout: 3s\n  retries: 4\n"
	const allDevice = "            auth: v2b\n            interval: 20s\n            timeout: 500ms\n            retries: 2\n"
	type settings struct {
		auth              string
		interval, timeout time.Duration
		retries           int
	}
	for _, c := range []struct {
		name, defaults, device string
		want                   settings
	}{
		{"auth in defaults only, the rest built in", "defaults:\n  auth: v2a\n", "", settings{"v2a", 10 * time.Second, 2 * time.Second, 1}},
		{"everything in defaults only", allDefaults, "", settings{"v2a", 30 * time.Second, 3 * time.Second, 4}},
		{"everything in the device only", "", allDevice, settings{"v2b", 20 * time.Second, 500 * time.Millisecond, 2}},
		{"everything in both: the device's", allDefaults, allDevice, settings{"v2b", 20 * time.Second, 500 * time.Millisecond, 2}},
		{"some in each", "defaults:\n  auth: v2a\n  timeout: 3s\n", "            interval: 20s\n            retries: 2\n",
			settings{"v2a", 20 * time.Second, 3 * time.Second, 2}},
		{"zero duration in the device: the defaults'", allDefaults, "            interval: 0s\n            timeout: 0s\n",
			settings{"v2a", 30 * time.Second, 3 * time.Second, 4}},
		{"retries 0 in the device: the device's", allDefaults, "            retries: 0\n", settings{"v2a", 30 * time.Second, 3 * time.Second, 0}},
		{"retries 0 in defaults only", "defaults:\n  auth: v2a\n  retries: 0\n", "", settings{"v2a", 10 * time.Second, 2 * time.Second, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			yml := c.defaults + auths + device(c.device)
			cfg, err := loadConfig("env.yml", []byte(yml), builtin(t))
			if err != nil {
				t.Fatalf("%v\n%s", err, yml)
			}
			d := cfg.Sites[0].Rooms[0].Devices[0]
			if d.Retries == nil {
				t.Fatalf("retries nil\n%s", yml)
			}
			got := settings{d.Auth, d.Interval.D(), d.Timeout.D(), *d.Retries}
			if got != c.want {
				t.Errorf("device %+v, want %+v\n%s", got, c.want, yml)
			}
		})
	}
}
