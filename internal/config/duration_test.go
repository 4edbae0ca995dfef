package config

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// TestDuration: Prometheus' syntax and Go's both decode; a bad value or a
// non-scalar is an error naming file and line; the /config form is Go's.
func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string // substring of the error; "" = decodes
	}{
		{in: "30s", want: 30 * time.Second},
		{in: "250ms", want: 250 * time.Millisecond},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "1d", want: 24 * time.Hour},
		{in: "1w", want: 7 * 24 * time.Hour},
		{in: "1.5s", want: 1500 * time.Millisecond},
		{in: "-1s", want: -time.Second},
		{in: "0", want: 0},
		{in: "soon", err: `f.yml:2: invalid duration "soon"`},
		{in: "10x", err: `f.yml:2: invalid duration "10x"`},
		{in: "[1s]", err: "f.yml:2: want a single value, not a list"},
		{in: "{a: 1}", err: "f.yml:2: want a single value, not a mapping"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var v struct {
				A int      `yaml:"a"`
				D Duration `yaml:"d"`
			}
			_, err := Parse("f.yml", []byte("a: 1\nd: "+tc.in+"\n"), &v)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil || v.D.D() != tc.want {
				t.Fatalf("got %v, %v; want %v", v.D.D(), err, tc.want)
			}
			b, err := yaml.Marshal(v.D)
			if err != nil || strings.TrimSpace(string(b)) != tc.want.String() {
				t.Errorf("marshal %q, %v; want %q", b, err, tc.want.String())
			}
		})
	}
}
