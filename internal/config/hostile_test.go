package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostile_NonUTF8YAML: issue 22 defect 4. A file that is not UTF-8
// (GBK export, stray byte, UTF-16) is rejected with the line (and column)
// of the first bad byte; yaml.v3 alone says "invalid leading UTF-8 octet"
// without any.
func TestHostile_NonUTF8YAML(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"GBK value on line 3", "site: dc1\ndevices:\n  - name: \xd6\xf7\xbb\xfa\n", "x.yml:3: invalid UTF-8: byte 0xd6 at column 11"},
		{"stray byte in a comment", "site: dc1\n# \xff\n", "x.yml:2: invalid UTF-8: byte 0xff at column 3"},
		{"truncated sequence at the end", "site: dc1\nsite2: \xe7\x9b", "x.yml:2: invalid UTF-8: byte 0xe7 at column 8"},
		{"UTF-16LE", "\xff\xfes\x00i\x00", "x.yml:1: the file is UTF-16"},
		{"first line", "\x80site: dc1\n", "x.yml:1: invalid UTF-8: byte 0x80 at column 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c testCfg
			_, err := Parse("x.yml", []byte(tc.in), &c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	// Multi-byte UTF-8 and a BOM are fine.
	var c testCfg
	if _, err := Parse("x.yml", []byte("\xef\xbb\xbfsite: 机房一\n"), &c); err != nil || c.Site != "机房一" {
		t.Errorf("UTF-8 with BOM: %v %q", err, c.Site)
	}
}

// TestHostile_SecondYAMLDocument: issue 22 defect 4. Everything after a
// second "---" used to be ignored silently; now it is an error at the line
// of that "---" (also through Load, which names the path).
func TestHostile_SecondYAMLDocument(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"second document", "site: dc1\n---\nsite: dc2\n", "x.yml:2: a second YAML document starts here"},
		{"empty second document", "site: dc1\ndevices: []\n---\n", "x.yml:3: a second YAML document"},
		{"second after explicit first", "---\nsite: dc1\n\n---\n# dc2\ndevices: []\n", "x.yml:4: a second YAML document"},
		{"syntax error in the second", "site: dc1\n---\n\nsite: a: b\n", "x.yml:4: mapping values are not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c testCfg
			_, err := Parse("x.yml", []byte(tc.in), &c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	for _, ok := range []string{"site: dc1\n", "---\nsite: dc1\n", "site: dc1\n...\n", "# only a comment\n", ""} {
		var c testCfg
		if _, err := Parse("x.yml", []byte(ok), &c); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	p := filepath.Join(t.TempDir(), "env.yml")
	if err := os.WriteFile(p, []byte("site: dc1\n---\nsite: dc2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var c testCfg
	if _, err := Load(p, &c); err == nil || !strings.HasPrefix(err.Error(), p+":2: ") {
		t.Errorf("Load: %v, want %s:2: …", err, p)
	}
}
