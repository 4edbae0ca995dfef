package main

import (
	"embed"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/jianguan/jianguan/internal/config"
)

//go:embed profiles/*.yml
var builtinProfiles embed.FS

// Profile maps a device type's OIDs to normalised signals. Profiles are data
// (profiles/*.yml, plus operator profiles from --profiles.dir).
type Profile struct {
	Name        string       `yaml:"name"`
	Description string       `yaml:"description,omitempty"`
	Kind        string       `yaml:"kind"` // ups, sensor, cooling, generator, feed, pdu, mixed
	References  []string     `yaml:"references,omitempty"`
	Signals     []SignalSpec `yaml:"signals"`
	// Match selects this profile for devices with profile: auto.
	Match Match `yaml:"match,omitempty"`
	// Identity names the OIDs of vendor, model, firmware and serial
	// (env_device_info).
	Identity Identity `yaml:"identity,omitempty"`
	file     string
}

// Match: sysObjectID prefixes of the devices this profile reads, and probe
// OIDs (a GET that answers means the device speaks the MIB) as fallback
// when no profile claims the device's sysObjectID.
type Match struct {
	SysObjectID []string `yaml:"sysobjectid,omitempty"`
	Probe       []string `yaml:"probe,omitempty"`
}

// Identity: a static vendor name and/or the scalar OIDs of the identity.
type Identity struct {
	Vendor      string `yaml:"vendor,omitempty"`
	VendorOID   string `yaml:"vendor_oid,omitempty"`
	ModelOID    string `yaml:"model_oid,omitempty"`
	FirmwareOID string `yaml:"firmware_oid,omitempty"`
	SerialOID   string `yaml:"serial_oid,omitempty"`
}

// oids returns the identity OIDs that are set.
func (id *Identity) oids() []string {
	var out []string
	for _, o := range []string{id.VendorOID, id.ModelOID, id.FirmwareOID, id.SerialOID} {
		if o != "" {
			out = append(out, o)
		}
	}
	return out
}

// Range is a physical range of valid values (after scale and offset).
type Range struct {
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
}

// SignalSpec reads one signal from a scalar OID or a table column.
type SignalSpec struct {
	Signal string `yaml:"signal"`
	// OID is a scalar instance OID (e.g. 1.3.6.1.2.1.33.1.2.1.0).
	OID string `yaml:"oid,omitempty"`
	// Table is a column OID walked with GetBulk; every row is one sample.
	Table string `yaml:"table,omitempty"`
	// IndexLabel receives the row index (e.g. phase "1").
	IndexLabel string `yaml:"index_label,omitempty"`
	// LabelOID is a column whose value at the same index names the row;
	// LabelFrom is the label it fills (default: the signal's first label).
	LabelOID  string `yaml:"label_oid,omitempty"`
	LabelFrom string `yaml:"label_from,omitempty"`
	// Labels are static label values (sensor, rack, feed, phase, alarm).
	Labels map[string]string `yaml:"labels,omitempty"`
	// Scale and Offset: value = raw × scale + offset (scale default 1).
	Scale  *float64 `yaml:"scale,omitempty"`
	Offset float64  `yaml:"offset,omitempty"`
	// Map turns raw values (as text: "5", or an OID) into values; raw
	// values not in the map take Default, or are counted as decode errors
	// and skipped when there is no default.
	Map     map[string]float64 `yaml:"map,omitempty"`
	Default *float64           `yaml:"default,omitempty"`
	// AlarmNames: for ups_alarm_active over a table whose values are alarm
	// OIDs (RFC 1628 upsAlarmTable): OID → alarm name; unnamed OIDs use the
	// last arc ("alarm_N").
	AlarmNames map[string]string `yaml:"alarm_names,omitempty"`
	// Valid overrides the signal's built-in physical range; values outside
	// it are invalid (out_of_range), not data.
	Valid *Range `yaml:"valid,omitempty"`
	// Placeholders are raw values (as text) that mean "no value" on this
	// device, e.g. "-1" of a disconnected APC probe; besides the built-in
	// 2147483647, -2147483647, -2147483648 and 4294967295.
	Placeholders []string `yaml:"placeholders,omitempty"`
	// FaultValues (leak_detected only) are raw values meaning a cable fault:
	// the leak state is unknown, env_leak_cable_fault is 1.
	FaultValues []string `yaml:"fault_values,omitempty"`
	// RowsFrom is a scalar OID holding the number of valid rows of the
	// table (RFC 1628 upsInputNumLines / upsOutputNumLines): rows with an
	// index above it are ignored, missing rows up to it are missing. For
	// the alarm table (upsAlarmsPresent) 0 means no alarm at all.
	RowsFrom string `yaml:"rows_from,omitempty"`
	// Fallback marks a spec read only when the profile's other specs of
	// the same signal deliver nothing on this device (e.g. RFC 1628 OIDs
	// behind a vendor MIB that a card does not serve); then it replaces
	// them, in the samples and in the signal accounting.
	Fallback bool `yaml:"fallback,omitempty"`
	// RoleOID (temperature_celsius, humidity_ratio over a table) is a
	// column whose value at the same index says what the row measures,
	// e.g. LIEBERT-GP-ENVIRONMENTAL-MIB lgpEnvTemperatureDescrDegC (an OID
	// such as lgpEnvSupplyAirTemperature); RoleMap turns that value into
	// a sensor role. Rows whose value is not in the map (or absent) take
	// the spec's labels.role, else the device's role, else room.
	RoleOID string            `yaml:"role_oid,omitempty"`
	RoleMap map[string]string `yaml:"role_map,omitempty"`
	// RoleMapOnly: rows whose role column is not in role_map are not read
	// at all (neither expected nor exported), e.g. a CRAC's compressor
	// temperatures and its control point (a copy of another sensor).
	RoleMapOnly bool `yaml:"role_map_only,omitempty"`
	// Optional (tables only): a table that may have no rows on a working
	// device (remote probes not plugged in) expects no value when empty,
	// instead of one missing value.
	Optional bool `yaml:"optional,omitempty"`

	min, max float64 // effective range
	ph       map[string]bool
}

var oidRE = regexp.MustCompile(`^[0-2](\.(0|[1-9][0-9]{0,9}))+$`)

// normOID checks an OID and removes a leading dot.
func normOID(s string) (string, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), ".")
	if !oidRE.MatchString(s) || len(s) > 400 {
		return "", fmt.Errorf("bad OID %q (want dotted numbers like 1.3.6.1.2.1.33.1.2.1.0)", s)
	}
	arcs := strings.Split(s, ".")
	for _, a := range arcs {
		if _, err := strconv.ParseUint(a, 10, 32); err != nil {
			return "", fmt.Errorf("bad OID %q: sub-identifier %s exceeds 4294967295", s, a)
		}
	}
	if second, _ := strconv.ParseUint(arcs[1], 10, 32); arcs[0] != "2" && second > 39 {
		return "", fmt.Errorf("bad OID %q: second arc must be 0..39 under %s", s, arcs[0])
	}
	return s, nil
}

// validate checks a spec; errf locates errors at field path.
func (s *SignalSpec) validate(path string, errf func(path, format string, args ...any) error) error {
	def, ok := signalDefs[s.Signal]
	if !ok {
		return errf(path+".signal", "unknown signal %q (known: %s)", s.Signal, strings.Join(signalNames(), ", "))
	}
	if (s.OID == "") == (s.Table == "") {
		return errf(path, "exactly one of oid and table is required")
	}
	var err error
	if s.OID != "" {
		if s.OID, err = normOID(s.OID); err != nil {
			return errf(path+".oid", "%v", err)
		}
		if s.IndexLabel != "" || s.LabelOID != "" {
			return errf(path, "index_label and label_oid need a table, not an oid")
		}
	} else {
		if s.Table, err = normOID(s.Table); err != nil {
			return errf(path+".table", "%v", err)
		}
	}
	if s.LabelOID != "" {
		if s.LabelOID, err = normOID(s.LabelOID); err != nil {
			return errf(path+".label_oid", "%v", err)
		}
		if s.LabelFrom == "" {
			if len(def.labels) == 0 {
				return errf(path+".label_oid", "signal %s has no label to fill", s.Signal)
			}
			s.LabelFrom = def.labels[0]
		}
	}
	allowed := map[string]bool{}
	for _, l := range def.labels {
		allowed[l] = true
	}
	for _, l := range []string{s.IndexLabel, s.LabelFrom} {
		if l != "" && !allowed[l] {
			return errf(path, "signal %s has no label %q (labels: %s)", s.Signal, l, strings.Join(def.labels, ", "))
		}
	}
	for l := range s.Labels {
		if !allowed[l] {
			return errf(path+".labels", "signal %s has no label %q (labels: %s)", s.Signal, l, strings.Join(def.labels, ", "))
		}
	}
	// NaN or ±Inf would turn every sample into NaN (alarms silently off).
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if s.Scale != nil && (*s.Scale == 0 || !finite(*s.Scale)) {
		return errf(path+".scale", "scale must be a finite number other than 0, not %v", *s.Scale)
	}
	if !finite(s.Offset) {
		return errf(path+".offset", "offset must be a finite number, not %v", s.Offset)
	}
	if s.Default != nil && !finite(*s.Default) {
		return errf(path+".default", "default must be a finite number, not %v", *s.Default)
	}
	for k, v := range s.Map {
		if !finite(v) {
			return errf(path+".map", "map value of %q must be a finite number, not %v", k, v)
		}
	}
	s.min, s.max = def.min, def.max
	if s.Valid != nil {
		if s.Valid.Min != nil {
			if !finite(*s.Valid.Min) {
				return errf(path+".valid.min", "must be a finite number, not %v", *s.Valid.Min)
			}
			s.min = *s.Valid.Min
		}
		if s.Valid.Max != nil {
			if !finite(*s.Valid.Max) {
				return errf(path+".valid.max", "must be a finite number, not %v", *s.Valid.Max)
			}
			s.max = *s.Valid.Max
		}
		if s.min > s.max {
			return errf(path+".valid", "min %v is above max %v", s.min, s.max)
		}
	}
	s.ph = map[string]bool{}
	for k := range builtinPlaceholders {
		s.ph[k] = true
	}
	for _, p := range s.Placeholders {
		s.ph[strings.TrimSpace(p)] = true
	}
	if len(s.FaultValues) > 0 && s.Signal != "leak_detected" {
		return errf(path+".fault_values", "fault_values only applies to leak_detected")
	}
	if s.RowsFrom != "" {
		if s.Table == "" {
			return errf(path+".rows_from", "rows_from needs a table")
		}
		if s.RowsFrom, err = normOID(s.RowsFrom); err != nil {
			return errf(path+".rows_from", "%v", err)
		}
	}
	if r, ok := s.Labels["role"]; ok {
		if _, known := roles[r]; !known {
			return errf(path+".labels.role", "unknown role %q (roles: %s)", r, strings.Join(roleNames, ", "))
		}
	}
	if s.Optional && s.Table == "" {
		return errf(path+".optional", "optional applies to a table, not an oid")
	}
	if s.RoleMapOnly && len(s.RoleMap) == 0 {
		return errf(path+".role_map_only", "role_map_only needs role_oid and role_map")
	}
	if s.RoleOID != "" || len(s.RoleMap) > 0 {
		if s.Signal != "temperature_celsius" && s.Signal != "humidity_ratio" || s.Table == "" {
			return errf(path+".role_oid", "role_oid and role_map apply to a temperature_celsius or humidity_ratio table")
		}
		if s.RoleOID == "" || len(s.RoleMap) == 0 {
			return errf(path+".role_map", "role_oid and role_map go together")
		}
		if s.RoleOID, err = normOID(s.RoleOID); err != nil {
			return errf(path+".role_oid", "%v", err)
		}
		m := make(map[string]string, len(s.RoleMap))
		for k, r := range s.RoleMap {
			if _, known := roles[r]; !known {
				return errf(path+".role_map", "unknown role %q (roles: %s)", r, strings.Join(roleNames, ", "))
			}
			if o, err := normOID(k); err == nil {
				k = o // OID values are compared without a leading dot
			}
			m[k] = r
		}
		s.RoleMap = m
	}
	if len(s.AlarmNames) > 0 && s.Signal != "ups_alarm_active" {
		return errf(path+".alarm_names", "alarm_names only applies to ups_alarm_active")
	}
	if s.Signal == "ups_alarm_active" && s.Table != "" && len(s.Map) == 0 && s.LabelOID == "" && s.IndexLabel == "" {
		// alarm table: each row present is one active alarm
		names := map[string]string{}
		for k, v := range s.AlarmNames {
			o, err := normOID(k)
			if err != nil {
				return errf(path+".alarm_names", "%v", err)
			}
			names[o] = v
		}
		s.AlarmNames = names
	}
	return nil
}

func signalNames() []string {
	out := make([]string, 0, len(signalDefs))
	for k := range signalDefs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// parseProfile reads one profile file.
func parseProfile(file string, data []byte) (*Profile, error) {
	var p Profile
	doc, err := config.Parse(file, data, &p)
	if err != nil {
		return nil, err
	}
	if p.Name == "" {
		return nil, doc.Errorf("name", "profile name is required")
	}
	switch p.Kind {
	case "ups", "sensor", "cooling", "generator", "feed", "pdu", "mixed":
	default:
		return nil, doc.Errorf("kind", "kind must be ups, sensor, cooling, generator, feed, pdu or mixed, not %q", p.Kind)
	}
	for i := range p.Signals {
		if err := p.Signals[i].validate(fmt.Sprintf("signals[%d]", i), doc.Errorf); err != nil {
			return nil, err
		}
	}
	for i, o := range p.Match.SysObjectID {
		if p.Match.SysObjectID[i], err = normOID(o); err != nil {
			return nil, doc.Errorf(fmt.Sprintf("match.sysobjectid[%d]", i), "%v", err)
		}
	}
	for i, o := range p.Match.Probe {
		if p.Match.Probe[i], err = normOID(o); err != nil {
			return nil, doc.Errorf(fmt.Sprintf("match.probe[%d]", i), "%v", err)
		}
	}
	id := &p.Identity
	for _, f := range []struct {
		name string
		v    *string
	}{{"vendor_oid", &id.VendorOID}, {"model_oid", &id.ModelOID}, {"firmware_oid", &id.FirmwareOID}, {"serial_oid", &id.SerialOID}} {
		if *f.v == "" {
			continue
		}
		if *f.v, err = normOID(*f.v); err != nil {
			return nil, doc.Errorf("identity."+f.name, "%v", err)
		}
	}
	p.file = file
	return &p, nil
}

// loadProfiles returns the built-in profiles, overridden or extended by the
// *.yml files of dir (if not empty).
func loadProfiles(dir string) (map[string]*Profile, error) {
	out := map[string]*Profile{}
	add := func(fsys fs.FS, name, shown string) error {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		p, err := parseProfile(shown, data)
		if err != nil {
			return err
		}
		if prev, ok := out[p.Name]; ok && filepath.Dir(prev.file) == filepath.Dir(shown) {
			return fmt.Errorf("%s: profile %q already defined in %s", shown, p.Name, prev.file)
		}
		out[p.Name] = p
		return nil
	}
	ents, _ := fs.ReadDir(builtinProfiles, "profiles")
	for _, e := range ents {
		if err := add(builtinProfiles, "profiles/"+e.Name(), "builtin:profiles/"+e.Name()); err != nil {
			return nil, err
		}
	}
	if dir == "" {
		return out, nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--profiles.dir: %w", err)
	}
	for _, e := range ents {
		if e.IsDir() || !(strings.HasSuffix(e.Name(), ".yml") || strings.HasSuffix(e.Name(), ".yaml")) {
			continue
		}
		if err := add(os.DirFS(dir), e.Name(), filepath.Join(dir, e.Name())); err != nil {
			return nil, err
		}
	}
	return out, nil
}
