package config

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

type testSection struct {
	Interval Duration `yaml:"interval"`
	Retries  *int     `yaml:"retries"`
	Name     string   `yaml:"name"`
}

func newTestSection() testSection {
	one := 1
	return testSection{Interval: Duration(10 * time.Second), Retries: &one, Name: "dflt"}
}

func (s *testSection) UnmarshalYAML(unmarshal func(any) error) error {
	type plain testSection
	return Defaulted(unmarshal, (*plain)(s), plain(newTestSection()))
}

type testFile struct {
	Defaults testSection   `yaml:"defaults"`
	Items    []testSection `yaml:"items"`
}

func (f *testFile) UnmarshalYAML(unmarshal func(any) error) error {
	type plain testFile
	return Defaulted(unmarshal, (*plain)(f), plain{Defaults: newTestSection()})
}

// nodeSection is the yaml.Node form of testSection's UnmarshalYAML.
type nodeSection testSection

func (s *nodeSection) UnmarshalYAML(n *yaml.Node) error {
	type plain nodeSection
	p := plain(newTestSection())
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = nodeSection(p)
	return nil
}

func TestDefaulted(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       func(*testing.T, testFile)
		err        string
	}{
		{name: "section left out gets the defaults", yaml: "items: []\n", want: func(t *testing.T, f testFile) {
			if f.Defaults.Interval.D() != 10*time.Second || *f.Defaults.Retries != 1 || f.Defaults.Name != "dflt" {
				t.Errorf("%+v", f.Defaults)
			}
		}},
		{name: "empty section keeps the defaults", yaml: "defaults:\n", want: func(t *testing.T, f testFile) {
			if f.Defaults.Interval.D() != 10*time.Second || f.Defaults.Retries == nil {
				t.Errorf("%+v", f.Defaults)
			}
		}},
		{name: "written fields win, the rest default", yaml: "defaults:\n  retries: 0\nitems:\n  - name: a\n  - interval: 3s\n", want: func(t *testing.T, f testFile) {
			if *f.Defaults.Retries != 0 || f.Defaults.Interval.D() != 10*time.Second {
				t.Errorf("defaults %+v (retries %d)", f.Defaults, *f.Defaults.Retries)
			}
			if f.Items[0].Name != "a" || f.Items[0].Interval.D() != 10*time.Second || f.Items[1].Name != "dflt" || f.Items[1].Interval.D() != 3*time.Second {
				t.Errorf("items %+v", f.Items)
			}
			if *newTestSection().Retries != 1 {
				t.Error("the file changed a default through its pointer")
			}
		}},
		{name: "unknown key inside a defaulted section", yaml: "defaults:\n  interval: 5s\n  retires: 2\n",
			err: `f.yml:3: field retires not found`},
		{name: "unknown key in a defaulted list item", yaml: "items:\n  - name: a\n  - nme: b\n",
			err: `f.yml:3: field nme not found`},
		{name: "type error inside a defaulted section names its line", yaml: "defaults:\n  name: x\n  interval: soon\n",
			err: `f.yml:3: `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f testFile
			_, err := Parse("f.yml", []byte(tc.yaml), &f)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "plain") {
					t.Fatalf("error %v, want it to contain %q (and no type plain)", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.want(t, f)
		})
	}
}

// TestDefaulted_NodeFormLosesKnownFields is why Defaulted takes the
// func(any) error form: with a yaml.Node UnmarshalYAML the misspelt key
// decodes without an error. If yaml.v3 ever keeps KnownFields in
// Node.Decode, this test fails and the Node form becomes usable.
func TestDefaulted_NodeFormLosesKnownFields(t *testing.T) {
	var f struct {
		Defaults nodeSection `yaml:"defaults"`
	}
	if _, err := Parse("f.yml", []byte("defaults:\n  retires: 2\n"), &f); err != nil {
		t.Fatalf("the Node form now reports %v: switch Defaulted's documentation to it", err)
	}
}

func TestInherit(t *testing.T) {
	two := 2
	parent := testSection{Interval: Duration(time.Second), Retries: &two, Name: "parent"}
	for _, tc := range []struct {
		in, want testSection
	}{
		{testSection{}, parent},
		{testSection{Name: "own"}, testSection{Interval: Duration(time.Second), Retries: &two, Name: "own"}},
		{testSection{Interval: Duration(5 * time.Second), Retries: new(int)}, testSection{Interval: Duration(5 * time.Second), Retries: new(int), Name: "parent"}},
	} {
		got := tc.in
		Inherit(&got, parent)
		if got.Interval != tc.want.Interval || got.Name != tc.want.Name || *got.Retries != *tc.want.Retries {
			t.Errorf("Inherit(%+v) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}
