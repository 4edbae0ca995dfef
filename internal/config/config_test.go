package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

type devCfg struct {
	Name      string `yaml:"name"`
	Community Secret `yaml:"community"`
	Port      int    `yaml:"port"`
}

type testCfg struct {
	Site    string   `yaml:"site"`
	Devices []devCfg `yaml:"devices"`
}

const good = `site: dc1
devices:
  - name: ups-a
    community: s3cret-community
    port: 161
  - name: ups-b
    community: other-s3cret
`

func TestParseAndLines(t *testing.T) {
	var c testCfg
	doc, err := Parse("env.yml", []byte(good), &c)
	if err != nil {
		t.Fatal(err)
	}
	if c.Devices[1].Community.Value() != "other-s3cret" {
		t.Fatal("secret value lost")
	}
	tests := []struct {
		path string
		line int
	}{{"site", 1}, {"devices", 2}, {"devices[0]", 3}, {"devices[1].community", 7}, {"devices[1].nope", 6}, {"devices[9].name", 2}}
	for _, tc := range tests {
		if got := doc.Line(tc.path); got != tc.line {
			t.Errorf("Line(%q) = %d, want %d", tc.path, got, tc.line)
		}
	}
	err = doc.Errorf("devices[1].name", "duplicate device %q", "ups-b")
	if err.Error() != `env.yml:6: devices[1].name: duplicate device "ups-b"` {
		t.Errorf("got %q", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"unknown field", "site: dc1\ndevices:\n  - name: a\n    comunity: x\n", "x.yml:4: field comunity not found"},
		{"wrong type", "site: dc1\ndevices:\n  - name: a\n    port: abc\n", "x.yml:4: cannot unmarshal"},
		{"syntax", "site: [dc1\n", "x.yml:"},
	}
	for _, tc := range tests {
		var c testCfg
		_, err := Parse("x.yml", []byte(tc.in), &c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	var c testCfg
	if _, err := Parse("empty.yml", nil, &c); err != nil {
		t.Errorf("empty document: %v", err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	var c testCfg
	if _, err := Parse("env.yml", []byte(good), &c); err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(c)
	outs := []string{
		Masked(c), string(j),
		fmt.Sprintf("%v %+v %#v %s %q", c, c, c, c.Devices[0].Community, c.Devices[0].Community),
	}
	for _, o := range outs {
		if strings.Contains(o, "s3cret") {
			t.Errorf("secret leaked: %s", o)
		}
	}
	if !strings.Contains(Masked(c), "<secret>") {
		t.Error("mask missing")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("devices: [{name: a, port: 1}]"))
	f.Add([]byte("site: dc1\n---\nsite: dc2\n"))
	f.Add([]byte("site: \xd6\xf7\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c testCfg
		doc, err := Parse("f.yml", data, &c)
		if err == nil {
			_ = doc.Line("devices[0].name")
			_ = Masked(c)
		} else if !strings.HasPrefix(err.Error(), "f.yml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}
