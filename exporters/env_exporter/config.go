package main

import (
	"fmt"
	"math"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/snmp"
)

// Config is env.yml.
type Config struct {
	Defaults    Defaults                     `yaml:"defaults"`
	Auths       map[string]*snmp.Auth        `yaml:"auths"`
	Thresholds  Thresholds                   `yaml:"thresholds"`
	Maintenance []calendar.MaintenanceWindow `yaml:"maintenance,omitempty"`
	Sites       []Site                       `yaml:"sites"`

	profiles map[string]*Profile
	windows  *calendar.Windows
}

// Defaults apply to every device unless it says otherwise.
type Defaults struct {
	Interval    config.Duration `yaml:"interval"`    // poll interval, default 10s
	Timeout     config.Duration `yaml:"timeout"`     // per SNMP request, default 2s
	Retries     *int            `yaml:"retries"`     // default 1
	MaxOIDs     int             `yaml:"max_oids"`    // OIDs per GET PDU, default 20
	Concurrency int             `yaml:"concurrency"` // polls in flight, default 64
	Auth        string          `yaml:"auth"`        // name in auths
	StaleAfter  config.Duration `yaml:"stale_after"` // last-good values are exported this long, default 5m
	// WalkMaxRows bounds the rows of each walked table column (default
	// 10000); a longer walk fails the poll with reason row_limit.
	WalkMaxRows int `yaml:"walk_max_rows"`
	// PollDeadline bounds one poll of a device, every request and retry
	// included (default: the larger of the interval and (retries + 2) ×
	// timeout); a longer poll fails with reason deadline.
	PollDeadline config.Duration `yaml:"poll_deadline"`
}

// newDefaults is the defaults section before the file: Config and Defaults
// apply it at decode (config.Defaulted), so a key the file leaves out has
// its built-in value and a misspelt key is still an error at its line. A
// fresh value each call: the decoder writes retries through its pointer.
func newDefaults() Defaults {
	one := 1
	return Defaults{Interval: config.Duration(10 * time.Second), Timeout: config.Duration(2 * time.Second), Retries: &one,
		MaxOIDs: 20, Concurrency: 64, StaleAfter: config.Duration(5 * time.Minute), WalkMaxRows: snmp.DefaultMaxRows}
}

// device is what every device inherits from the defaults section
// (config.Inherit: a field the device leaves zero takes this one): its auth,
// interval, timeout and retries. The other settings are the exporter's.
func (d Defaults) device() Device {
	return Device{Auth: d.Auth, Interval: d.Interval, Timeout: d.Timeout, Retries: d.Retries}
}

// UnmarshalYAML implements the yaml.v3 func form: defaults at decode.
func (d *Defaults) UnmarshalYAML(unmarshal func(any) error) error {
	type plain Defaults
	return config.Defaulted(unmarshal, (*plain)(d), plain(newDefaults()))
}

// UnmarshalYAML implements the yaml.v3 func form: a file without a
// defaults section gets newDefaults too.
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	type plain Config
	return config.Defaulted(unmarshal, (*plain)(c), plain{Defaults: newDefaults()})
}

// Ranges accepted for the settings of defaults and devices (README).
const (
	minInterval, maxInterval         = 100 * time.Millisecond, time.Hour
	minTimeout, maxTimeout           = 10 * time.Millisecond, 30 * time.Second
	maxRetries                       = 10
	minStaleAfter, maxStaleAfter     = time.Second, 24 * time.Hour
	minPollDeadline, maxPollDeadline = 100 * time.Millisecond, 10 * time.Minute
	maxConcurrency                   = 4096
)

// inRange checks a duration setting (zero has been replaced by its default).
func inRange(doc *config.Doc, path string, v, lo, hi time.Duration) error {
	if v < lo || v > hi {
		return doc.Errorf(path, "must be between %v and %v, not %v", lo, hi, v)
	}
	return nil
}

// Thresholds are the contract's limits (docs/metrics.md §2), exported as
// metrics so that rules compare against one source of truth.
type Thresholds struct {
	TemperatureLow    *float64 `yaml:"temperature_low_celsius,omitempty"`
	TemperatureHigh   *float64 `yaml:"temperature_high_celsius,omitempty"`
	HumidityHigh      *float64 `yaml:"humidity_high_ratio,omitempty"`
	UPSRuntimeMin     *float64 `yaml:"ups_runtime_min_seconds,omitempty"`
	RackPowerWarning  *float64 `yaml:"rack_power_warning_watts,omitempty"`
	RackPowerCritical *float64 `yaml:"rack_power_critical_watts,omitempty"`
	// RoleBands are the optional bands of the sensor roles that the room
	// band does not judge (supply, return, hot_aisle); a role without a
	// band is reported, never "out of band".
	RoleBands map[string]Band `yaml:"role_bands,omitempty"`
}

// Band is the optional band of a sensor role.
type Band struct {
	TemperatureLow  *float64 `yaml:"temperature_low_celsius,omitempty"`
	TemperatureHigh *float64 `yaml:"temperature_high_celsius,omitempty"`
	HumidityHigh    *float64 `yaml:"humidity_high_ratio,omitempty"`
}

// judges reports whether sensors of a role are judged (by the room band,
// or by the role's own band): for humidity if hum, else for temperature.
func (t Thresholds) judges(role string, hum bool) bool {
	if hum {
		return t.humidityHigh(role) != nil
	}
	_, _, ok := t.tempBand(role)
	return ok
}

// tempBand returns the temperature band of a role (ok false: not judged).
func (t Thresholds) tempBand(role string) (lo, hi *float64, ok bool) {
	if role == "" || roles[role] {
		return t.TemperatureLow, t.TemperatureHigh, true
	}
	b, has := t.RoleBands[role]
	if !has || (b.TemperatureLow == nil && b.TemperatureHigh == nil) {
		return nil, nil, false
	}
	return b.TemperatureLow, b.TemperatureHigh, true
}

// humidityHigh returns the humidity limit of a role (nil: not judged).
func (t Thresholds) humidityHigh(role string) *float64 {
	if role == "" || roles[role] {
		return t.HumidityHigh
	}
	return t.RoleBands[role].HumidityHigh
}

func f64(v float64) *float64 { return &v }

// contractThresholds are the defaults: 21–27 °C, 60 % RH, 15 min, 4/5 kW.
var contractThresholds = Thresholds{f64(21), f64(27), f64(0.60), f64(900), f64(4000), f64(5000), nil}

// over returns t with the fields set in o replaced.
func (t Thresholds) over(o *Thresholds) Thresholds {
	if o == nil {
		return t
	}
	pick := func(a, b *float64) *float64 {
		if b != nil {
			return b
		}
		return a
	}
	var bands map[string]Band
	if len(t.RoleBands)+len(o.RoleBands) > 0 {
		bands = map[string]Band{}
		for k, v := range t.RoleBands {
			bands[k] = v
		}
		for k, v := range o.RoleBands { // a room's band of a role replaces the global one
			bands[k] = v
		}
	}
	return Thresholds{pick(t.TemperatureLow, o.TemperatureLow), pick(t.TemperatureHigh, o.TemperatureHigh),
		pick(t.HumidityHigh, o.HumidityHigh), pick(t.UPSRuntimeMin, o.UPSRuntimeMin),
		pick(t.RackPowerWarning, o.RackPowerWarning), pick(t.RackPowerCritical, o.RackPowerCritical), bands}
}

// Site is a physical data-centre site.
type Site struct {
	Name  string `yaml:"name"`
	Rooms []Room `yaml:"rooms"`
}

// Room is a machine room with its redundancy design.
type Room struct {
	Name       string      `yaml:"name"`
	Thresholds *Thresholds `yaml:"thresholds,omitempty"`
	Redundancy Redundancy  `yaml:"redundancy"`
	Devices    []Device    `yaml:"devices"`

	thr Thresholds
}

// Redundancy names the devices that make up the room's redundancy. Device
// names may refer to devices of other rooms of the same site (a UPS pair in
// the power room feeding a server room).
type Redundancy struct {
	// UPSPair is the 2N pair (default: the room's UPS devices if exactly 2).
	UPSPair []string `yaml:"ups_pair,omitempty"`
	// CoolingUnits are the CRAC units (default: the room's cooling devices);
	// CoolingRequired is N+1 (default: the number of cooling units).
	CoolingUnits    []string `yaml:"cooling_units,omitempty"`
	CoolingRequired int      `yaml:"cooling_required,omitempty"`
	// FeedDevices report feed_up (default: the room's devices with a feed
	// signal); FeedsRequired defaults to 2.
	FeedDevices   []string `yaml:"feed_devices,omitempty"`
	FeedsRequired int      `yaml:"feeds_required,omitempty"`
}

// Device is one SNMP agent.
type Device struct {
	Name    string `yaml:"name"`
	Profile string `yaml:"profile"`
	Address string `yaml:"address"`
	Auth    string `yaml:"auth,omitempty"`
	// Community overrides the v1/v2c community of the auth (one agent
	// serving several devices, e.g. snmpsim, or per-device communities).
	Community config.Secret   `yaml:"community,omitempty"`
	Interval  config.Duration `yaml:"interval,omitempty"`
	Timeout   config.Duration `yaml:"timeout,omitempty"`
	Retries   *int            `yaml:"retries,omitempty"`
	// Rack fills the rack label of signals that leave it empty.
	Rack string `yaml:"rack,omitempty"`
	// Role is the sensor role of the device's temperature and humidity
	// signals that do not set labels.role (default room).
	Role string `yaml:"role,omitempty"`
	// Signals are added to the profile's (generic-sensor devices list
	// their OIDs here).
	Signals []SignalSpec `yaml:"signals,omitempty"`

	specs   []SignalSpec
	kind    string
	profile *Profile // nil while profile: auto has not identified the device
}

// profileAuto selects the profile from the device's sysObjectID (and probe
// OIDs) at its first answer; it is the default.
const profileAuto = "auto"

// auto reports whether the device's profile is chosen at run time.
func (d *Device) auto() bool { return d.Profile == profileAuto }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)
var addrRE = regexp.MustCompile(`^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(:[0-9]{1,5})?$`)

// loadConfig reads and validates env.yml with the given profiles.
func loadConfig(path string, data []byte, profiles map[string]*Profile) (*Config, error) {
	var c Config
	doc, err := config.Parse(path, data, &c)
	if err != nil {
		return nil, err
	}
	if err := c.validate(doc, profiles); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Config) validate(doc *config.Doc, profiles map[string]*Profile) error {
	c.profiles = profiles
	if err := c.validateDefaults(doc); err != nil {
		return err
	}
	if err := c.validateAuths(doc); err != nil {
		return err
	}
	c.Thresholds = contractThresholds.over(&c.Thresholds)
	if err := c.Thresholds.check(doc, "thresholds"); err != nil {
		return err
	}
	w, err := calendar.NewWindows(c.Maintenance, nil)
	if err != nil {
		return doc.Errorf("maintenance", "%v", err)
	}
	c.windows = w
	if len(c.Sites) == 0 {
		return doc.Errorf("sites", "at least one site is required")
	}
	sites := map[string]bool{}
	for si := range c.Sites {
		if err := c.validateSite(doc, si, sites); err != nil {
			return err
		}
	}
	return nil
}

// validateDefaults checks the defaults section (newDefaults filled it at decode).
func (c *Config) validateDefaults(doc *config.Doc) error {
	d := &c.Defaults
	if err := inRange(doc, "defaults.interval", d.Interval.D(), minInterval, maxInterval); err != nil {
		return err
	}
	if err := inRange(doc, "defaults.timeout", d.Timeout.D(), minTimeout, maxTimeout); err != nil {
		return err
	}
	if d.Retries == nil {
		return doc.Errorf("defaults.retries", "must be 0..%d, not null", maxRetries)
	}
	if *d.Retries < 0 || *d.Retries > maxRetries {
		return doc.Errorf("defaults.retries", "must be 0..%d, not %d", maxRetries, *d.Retries)
	}
	if d.WalkMaxRows < 1 || d.WalkMaxRows > snmp.MaxMaxRows {
		return doc.Errorf("defaults.walk_max_rows", "must be 1..%d, not %d", snmp.MaxMaxRows, d.WalkMaxRows)
	}
	if d.PollDeadline != 0 {
		if err := inRange(doc, "defaults.poll_deadline", d.PollDeadline.D(), minPollDeadline, maxPollDeadline); err != nil {
			return err
		}
	}
	if d.MaxOIDs < 1 || d.MaxOIDs > 128 {
		return doc.Errorf("defaults.max_oids", "must be 1..128")
	}
	if d.Concurrency < 1 || d.Concurrency > maxConcurrency {
		return doc.Errorf("defaults.concurrency", "must be 1..%d, not %d", maxConcurrency, d.Concurrency)
	}
	if err := inRange(doc, "defaults.stale_after", d.StaleAfter.D(), minStaleAfter, maxStaleAfter); err != nil {
		return err
	}
	return nil
}

// validateAuths checks the auths (in name order, so the first error is
// stable) and the default auth's name.
func (c *Config) validateAuths(doc *config.Doc) error {
	d := &c.Defaults
	authNames := make([]string, 0, len(c.Auths))
	for n := range c.Auths {
		authNames = append(authNames, n)
	}
	sort.Strings(authNames)
	for _, n := range authNames {
		a := c.Auths[n]
		if a == nil {
			return doc.Errorf("auths."+n, "empty auth")
		}
		if err := a.Validate(); err != nil {
			return doc.Errorf("auths."+n, "%v", err)
		}
	}
	if d.Auth != "" && c.Auths[d.Auth] == nil {
		return doc.Errorf("defaults.auth", "unknown auth %q", d.Auth)
	}
	return nil
}

// validateSite checks sites[si] (sites: the names seen so far), its rooms,
// their devices and redundancy.
func (c *Config) validateSite(doc *config.Doc, si int, sites map[string]bool) error {
	s := &c.Sites[si]
	sp := fmt.Sprintf("sites[%d]", si)
	if !nameRE.MatchString(s.Name) {
		return doc.Errorf(sp+".name", "site name %q must match %s", s.Name, nameRE)
	}
	if sites[s.Name] {
		return doc.Errorf(sp+".name", "duplicate site %q", s.Name)
	}
	sites[s.Name] = true
	devs := map[string]*Device{}
	rooms := map[string]bool{}
	for ri := range s.Rooms {
		r := &s.Rooms[ri]
		rp := fmt.Sprintf("%s.rooms[%d]", sp, ri)
		if !nameRE.MatchString(r.Name) {
			return doc.Errorf(rp+".name", "room name %q must match %s", r.Name, nameRE)
		}
		if rooms[r.Name] {
			return doc.Errorf(rp+".name", "duplicate room %q in site %s", r.Name, s.Name)
		}
		rooms[r.Name] = true
		r.thr = c.Thresholds.over(r.Thresholds)
		if err := r.thr.check(doc, rp+".thresholds"); err != nil {
			return err
		}
		for di := range r.Devices {
			dv := &r.Devices[di]
			dp := fmt.Sprintf("%s.devices[%d]", rp, di)
			if err := c.validateDevice(doc, dp, dv); err != nil {
				return err
			}
			if devs[dv.Name] != nil {
				return doc.Errorf(dp+".name", "duplicate device %q in site %s", dv.Name, s.Name)
			}
			devs[dv.Name] = dv
		}
	}
	for ri := range s.Rooms {
		r := &s.Rooms[ri]
		rp := fmt.Sprintf("%s.rooms[%d].redundancy", sp, ri)
		if err := r.Redundancy.resolve(doc, rp, r, devs); err != nil {
			return err
		}
	}
	return nil
}

func (t Thresholds) check(doc *config.Doc, path string) error {
	for _, f := range []struct {
		name string
		v    *float64
	}{{"temperature_low_celsius", t.TemperatureLow}, {"temperature_high_celsius", t.TemperatureHigh},
		{"humidity_high_ratio", t.HumidityHigh}, {"ups_runtime_min_seconds", t.UPSRuntimeMin},
		{"rack_power_warning_watts", t.RackPowerWarning}, {"rack_power_critical_watts", t.RackPowerCritical}} {
		// NaN compares false with everything: it would silently disable the alarm.
		if math.IsNaN(*f.v) || math.IsInf(*f.v, 0) {
			return doc.Errorf(path+"."+f.name, "must be a finite number, not %v", *f.v)
		}
	}
	for role, b := range t.RoleBands {
		judged, known := roles[role]
		if !known || judged {
			return doc.Errorf(path+".role_bands", "role_bands: %q is not one of supply, return, hot_aisle (room, inlet and cold_aisle use the room band)", role)
		}
		for _, f := range []struct {
			name string
			v    *float64
		}{{"temperature_low_celsius", b.TemperatureLow}, {"temperature_high_celsius", b.TemperatureHigh}, {"humidity_high_ratio", b.HumidityHigh}} {
			if f.v != nil && (math.IsNaN(*f.v) || math.IsInf(*f.v, 0)) {
				return doc.Errorf(path+".role_bands."+role+"."+f.name, "must be a finite number, not %v", *f.v)
			}
		}
		if b.TemperatureLow != nil && b.TemperatureHigh != nil && *b.TemperatureLow >= *b.TemperatureHigh {
			return doc.Errorf(path+".role_bands."+role+".temperature_low_celsius", "must be below temperature_high_celsius")
		}
	}
	if *t.TemperatureLow >= *t.TemperatureHigh {
		return doc.Errorf(path+".temperature_low_celsius", "must be below temperature_high_celsius")
	}
	if *t.HumidityHigh <= 0 || *t.HumidityHigh > 1 {
		return doc.Errorf(path+".humidity_high_ratio", "is a ratio 0..1 (0.60 = 60 %% RH)")
	}
	if *t.RackPowerWarning > *t.RackPowerCritical {
		return doc.Errorf(path+".rack_power_warning_watts", "must not exceed rack_power_critical_watts")
	}
	if *t.UPSRuntimeMin < 0 {
		return doc.Errorf(path+".ups_runtime_min_seconds", "must not be negative")
	}
	return nil
}

func (c *Config) validateDevice(doc *config.Doc, dp string, dv *Device) error {
	if !nameRE.MatchString(dv.Name) {
		return doc.Errorf(dp+".name", "device name %q must match %s", dv.Name, nameRE)
	}
	if dv.Profile == "" {
		dv.Profile = profileAuto
	}
	p, ok := c.profiles[dv.Profile]
	if !ok && dv.Profile != profileAuto {
		names := make([]string, 0, len(c.profiles))
		for n := range c.profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		return doc.Errorf(dp+".profile", "unknown profile %q (known: auto %v)", dv.Profile, names)
	}
	if dv.Role != "" {
		if _, known := roles[dv.Role]; !known {
			return doc.Errorf(dp+".role", "unknown role %q (roles: %s)", dv.Role, strings.Join(roleNames, ", "))
		}
	}
	if dv.Address == "" || !addrRE.MatchString(dv.Address) {
		return doc.Errorf(dp+".address", "address %q must be host or host:port", dv.Address)
	}
	if _, port, err := net.SplitHostPort(dv.Address); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return doc.Errorf(dp+".address", "port of %q must be 1..65535", dv.Address)
		}
	}
	config.Inherit(dv, c.Defaults.device())
	if dv.Auth == "" {
		return doc.Errorf(dp+".auth", "no auth (set it here or in defaults.auth)")
	}
	a := c.Auths[dv.Auth]
	if a == nil {
		return doc.Errorf(dp+".auth", "unknown auth %q", dv.Auth)
	}
	if dv.Community != "" && a.Version == "3" {
		return doc.Errorf(dp+".community", "community needs an SNMP v1/v2c auth, %q is v3", dv.Auth)
	}
	if err := inRange(doc, dp+".interval", dv.Interval.D(), minInterval, maxInterval); err != nil {
		return err
	}
	if err := inRange(doc, dp+".timeout", dv.Timeout.D(), minTimeout, maxTimeout); err != nil {
		return err
	}
	if *dv.Retries < 0 || *dv.Retries > maxRetries {
		return doc.Errorf(dp+".retries", "must be 0..%d, not %d", maxRetries, *dv.Retries)
	}
	for i := range dv.Signals {
		if err := dv.Signals[i].validate(fmt.Sprintf("%s.signals[%d]", dp, i), doc.Errorf); err != nil {
			return err
		}
	}
	if dv.auto() {
		// specs and kind are set when the device is identified (service)
		dv.specs = append([]SignalSpec(nil), dv.Signals...)
		dv.kind = profileAuto
		return nil
	}
	dv.profile = p
	dv.specs = append(append([]SignalSpec(nil), p.Signals...), dv.Signals...)
	if len(dv.specs) == 0 {
		return doc.Errorf(dp+".signals", "profile %s has no signals: list the device's OIDs under signals", p.Name)
	}
	dv.kind = p.Kind
	if dv.kind == "mixed" || dv.kind == "sensor" {
		// a generic device takes the kind of what it measures
		kinds := map[string]bool{}
		for _, s := range dv.specs {
			kinds[signalDefs[s.Signal].kind] = true
		}
		if len(kinds) == 1 {
			for k := range kinds {
				dv.kind = k
			}
		}
	}
	return nil
}

// snmpAuth returns the device's credentials.
func (c *Config) snmpAuth(d *Device) snmp.Auth {
	a := *c.Auths[d.Auth]
	if d.Community != "" {
		a.Community = d.Community
	}
	return a
}

func (d *Device) has(signal string) bool {
	for _, s := range d.specs {
		if s.Signal == signal {
			return true
		}
	}
	return false
}

func (rd *Redundancy) resolve(doc *config.Doc, path string, r *Room, devs map[string]*Device) error {
	check := func(field string, names []string, signal string) error {
		for i, n := range names {
			dv := devs[n]
			if dv == nil {
				return doc.Errorf(fmt.Sprintf("%s.%s[%d]", path, field, i), "unknown device %q in this site", n)
			}
			if !dv.auto() && !dv.has(signal) {
				return doc.Errorf(fmt.Sprintf("%s.%s[%d]", path, field, i), "device %q has no %s signal", n, signal)
			}
		}
		return nil
	}
	if rd.UPSPair == nil {
		var ups []string
		for _, d := range r.Devices {
			if d.has("ups_on_battery") {
				ups = append(ups, d.Name)
			}
		}
		if len(ups) == 2 {
			rd.UPSPair = ups
		}
	} else if len(rd.UPSPair) != 2 {
		return doc.Errorf(path+".ups_pair", "a 2N pair names exactly 2 UPS devices")
	}
	if err := check("ups_pair", rd.UPSPair, "ups_on_battery"); err != nil {
		return err
	}
	if rd.CoolingUnits == nil {
		for _, d := range r.Devices {
			if d.has("cooling_unit_running") {
				rd.CoolingUnits = append(rd.CoolingUnits, d.Name)
			}
		}
	}
	if err := check("cooling_units", rd.CoolingUnits, "cooling_unit_running"); err != nil {
		return err
	}
	if rd.CoolingRequired < 0 || rd.CoolingRequired > len(rd.CoolingUnits) {
		return doc.Errorf(path+".cooling_required", "must be 0..%d (the cooling units listed)", len(rd.CoolingUnits))
	}
	if rd.CoolingRequired == 0 {
		rd.CoolingRequired = len(rd.CoolingUnits)
	}
	if rd.FeedDevices == nil {
		for _, d := range r.Devices {
			if d.has("feed_up") {
				rd.FeedDevices = append(rd.FeedDevices, d.Name)
			}
		}
	}
	if err := check("feed_devices", rd.FeedDevices, "feed_up"); err != nil {
		return err
	}
	if rd.FeedsRequired < 0 {
		return doc.Errorf(path+".feeds_required", "must not be negative")
	}
	if rd.FeedsRequired == 0 {
		rd.FeedsRequired = 2
	}
	return nil
}
