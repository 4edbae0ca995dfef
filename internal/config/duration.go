package config

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// Duration is the duration of the exporters' configuration files. Its
// syntax is Prometheus' (model.ParseDuration: "30s", "5m", "1h30m", "1d",
// "1w") and, for what that rejects, Go's (time.ParseDuration: "1.5s",
// "250µs", "-1s"): a negative value decodes, so that its section's
// validation can name the bound it breaks. A YAML error names the line.
type Duration model.Duration

// ParseDuration parses a configuration duration (the syntax of Duration).
func ParseDuration(s string) (time.Duration, error) {
	if d, err := model.ParseDuration(s); err == nil {
		return time.Duration(d), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (e.g. 1s, 250ms, 5m)", s)
	}
	return d, nil
}

// UnmarshalYAML implements yaml.Unmarshaler: errors name the line, as
// Parse reports them (file:line: message).
func (d *Duration) UnmarshalYAML(n *yaml.Node) error { return DecodeScalar(n, d.UnmarshalText) }

// UnmarshalText implements encoding.TextUnmarshaler (CSV columns, flags).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler: Go's form ("5m0s"), as
// the /config pages have always shown it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.D().String()), nil }

// String is Go's form of the duration.
func (d Duration) String() string { return d.D().String() }

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// DecodeScalar decodes a scalar node with parse; a non-scalar or a parse
// error is a *yaml.TypeError naming the line (Parse turns it into
// file:line: message).
func DecodeScalar(n *yaml.Node, parse func([]byte) error) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a single value, not a %s", n.Line, kindName(n.Kind))}}
	}
	if err := parse([]byte(n.Value)); err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	return nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "YAML node"
}
