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
