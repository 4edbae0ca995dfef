package main

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/snmp"
)

// Config is line_exporter's configuration file.
type Config struct {
	// Defaults apply to every ICMP target unless a target overrides them.
	Defaults Defaults `yaml:"defaults"`
	// Rules are the confirmation rules per line kind (bgp, leased).
	Rules map[string]KindRules `yaml:"rules"`
	// Maintenance windows for every line (site-wide), merged with each line's own.
	Maintenance []calendar.MaintenanceWindow `yaml:"maintenance"`
	// Timezone of maintenance windows (default Asia/Shanghai).
	Timezone string   `yaml:"timezone"`
	Routers  []Router `yaml:"routers"`
	Lines    []Line   `yaml:"lines"`

	doc  *config.Doc
	loc  *time.Location
	cals map[string]avail.Calendar
}

// Defaults for ICMP probing.
type Defaults struct {
	ICMPInterval config.Duration `yaml:"icmp_interval"` // default 1s, minimum 100ms
	ICMPTimeout  config.Duration `yaml:"icmp_timeout"`  // default = interval, at most 10s
	LossWindow   config.Duration `yaml:"loss_window"`   // default 60s
	DNSRefresh   config.Duration `yaml:"dns_refresh"`   // default 5m
}

// newDefaults is the defaults section before the file (config.Defaulted
// applies it at decode; a misspelt key is still an error at its line).
func newDefaults() Defaults {
	return Defaults{ICMPInterval: config.Duration(time.Second), LossWindow: config.Duration(time.Minute),
		DNSRefresh: config.Duration(5 * time.Minute)}
}

// icmpTarget is what every ICMP target inherits from the defaults section
// (config.Inherit: a field the target leaves zero takes this one): its
// interval and timeout. A timeout zero in both is the interval, at most 1s.
func (d Defaults) icmpTarget() ICMPTarget {
	return ICMPTarget{Interval: d.ICMPInterval, Timeout: d.ICMPTimeout}
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

// UnmarshalYAML implements the yaml.v3 func form: a router's interval,
// timeout and walk_max_rows default at decode.
func (r *Router) UnmarshalYAML(unmarshal func(any) error) error {
	type plain Router
	return config.Defaulted(unmarshal, (*plain)(r), plain{Interval: config.Duration(10 * time.Second),
		Timeout: config.Duration(2 * time.Second), WalkMaxRows: snmp.DefaultMaxRows})
}

// KindRules are the confirmation rules of one line kind, per signal.
type KindRules struct {
	ICMP      *avail.Rule `yaml:"icmp"`      // default down after 3 lost probes, up after 3 good
	Interface *avail.Rule `yaml:"interface"` // default 1 poll each way
	BGP       *avail.Rule `yaml:"bgp"`       // default 1 poll each way
}

// Router is one SNMP-polled router.
type Router struct {
	Name     string          `yaml:"name"`
	Site     string          `yaml:"site"` // default: site of the first line using the router
	Address  string          `yaml:"address"`
	Auth     snmp.Auth       `yaml:"auth"`
	Interval config.Duration `yaml:"interval"` // default 10s, 1s..1h
	Timeout  config.Duration `yaml:"timeout"`  // default 2s, 100ms..30s
	Retries  int             `yaml:"retries"`  // 0..10
	// WalkMaxRows bounds the rows of each walked IF-MIB column (default
	// 10000, at most 1000000); a longer walk fails the poll (row_limit).
	WalkMaxRows int `yaml:"walk_max_rows"`
	// PollDeadline bounds one poll (default: the larger of the interval and
	// (retries + 2) × timeout; 100ms..10m); a longer poll fails (deadline).
	PollDeadline config.Duration `yaml:"poll_deadline"`
}

// Ranges of the settings (README, "Bounds").
const (
	minRouterInterval, maxRouterInterval = time.Second, time.Hour
	minRouterTimeout, maxRouterTimeout   = 100 * time.Millisecond, 30 * time.Second
	maxRouterRetries                     = 10
	minPollDeadline, maxPollDeadline     = 100 * time.Millisecond, 10 * time.Minute
	// maxLossWindow bounds loss_window: each ICMP target keeps one slot per
	// probe of the window (at most 1h / 100ms = 36 000 slots).
	maxLossWindow                          = time.Hour
	minDNSRefresh, maxDNSRefresh           = time.Second, 24 * time.Hour
	maxCapacity                  Bandwidth = 1e15 // 1 Pbit/s
)

// Line is one carrier line.
type Line struct {
	Name        string                       `yaml:"name"`
	Kind        string                       `yaml:"kind"`
	Provider    string                       `yaml:"provider"`
	Site        string                       `yaml:"site"`
	Capacity    Bandwidth                    `yaml:"capacity"`
	ICMP        []ICMPTarget                 `yaml:"icmp"`
	Router      string                       `yaml:"router"`
	Interface   *InterfaceRef                `yaml:"interface"`
	BGPPeers    []string                     `yaml:"bgp_peers"`
	Rules       *KindRules                   `yaml:"rules"` // per-line override of the kind's rules
	Maintenance []calendar.MaintenanceWindow `yaml:"maintenance"`
}

// ICMPTarget is one far-end address probed continuously.
type ICMPTarget struct {
	Address  string          `yaml:"address"` // IP literal or host name (re-resolved every dns_refresh)
	Source   string          `yaml:"source"`  // optional local source address
	Interval config.Duration `yaml:"interval"`
	Timeout  config.Duration `yaml:"timeout"`
}

// InterfaceRef names a router interface by exactly one of ifName, ifAlias, ifIndex.
type InterfaceRef struct {
	Name  string `yaml:"name"`
	Alias string `yaml:"alias"`
	Index int    `yaml:"index"`
}

func (r InterfaceRef) String() string {
	switch {
	case r.Name != "":
		return r.Name
	case r.Alias != "":
		return "alias:" + r.Alias
	default:
		return "ifIndex:" + strconv.Itoa(r.Index)
	}
}

// Bandwidth is bit/s, written as a number or with a unit: "1G", "200M", "100Mbit", "1000000000".
type Bandwidth float64

var bwRE = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtT]?)(?:bit/s|bps|bit|b/s)?\s*$`)

// UnmarshalYAML reports bad capacities with their line.
func (b *Bandwidth) UnmarshalYAML(n *yaml.Node) error {
	return config.DecodeScalar(n, b.UnmarshalText)
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *Bandwidth) UnmarshalText(t []byte) error {
	m := bwRE.FindStringSubmatch(string(t))
	if m == nil {
		return fmt.Errorf("invalid capacity %q (bit/s, e.g. 1G, 200M, 100000000)", t)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	switch strings.ToLower(m[2]) {
	case "k":
		v *= 1e3
	case "m":
		v *= 1e6
	case "g":
		v *= 1e9
	case "t":
		v *= 1e12
	}
	*b = Bandwidth(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (b Bandwidth) MarshalText() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(b), 'f', -1, 64)), nil
}

var (
	defaultICMPRule = avail.Rule{DownAfter: 3, UpAfter: 3}
	defaultSNMPRule = avail.Rule{DownAfter: 1, UpAfter: 1}
	nameRE          = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/@-]*$`)
)

// LoadConfig reads and validates a config file.
func LoadConfig(path string) (*Config, error) {
	var c Config
	doc, err := config.Load(path, &c)
	if err != nil {
		return nil, err
	}
	c.doc = doc
	return &c, c.validate()
}

// ParseConfig parses config text (tests).
func ParseConfig(name string, data []byte) (*Config, error) {
	var c Config
	doc, err := config.Parse(name, data, &c)
	if err != nil {
		return nil, err
	}
	c.doc = doc
	return &c, c.validate()
}

func (c *Config) validate() error {
	if err := c.validateDefaults(); err != nil {
		return err
	}
	if err := c.validateRules(); err != nil {
		return err
	}
	site, err := calendar.NewWindows(c.Maintenance, c.loc)
	if err != nil {
		return c.doc.Errorf("maintenance", "%v", err)
	}
	routers := map[string]bool{}
	if err := c.validateRouters(routers); err != nil {
		return err
	}
	c.cals = map[string]avail.Calendar{}
	names := map[string]int{}
	for i := range c.Lines {
		if err := c.validateLine(i, names, routers, site); err != nil {
			return err
		}
	}
	for i := range c.Routers {
		for _, l := range c.Lines {
			if c.Routers[i].Site == "" && l.Router == c.Routers[i].Name {
				c.Routers[i].Site = l.Site
			}
		}
	}
	return nil
}

// validateDefaults checks the defaults section (newDefaults filled it at decode).
func (c *Config) validateDefaults() error {
	d := c.doc
	if time.Duration(c.Defaults.ICMPInterval) < 100*time.Millisecond {
		return d.Errorf("defaults.icmp_interval", "must be at least 100ms, not %v", time.Duration(c.Defaults.ICMPInterval))
	}
	if c.Defaults.ICMPTimeout < 0 || time.Duration(c.Defaults.ICMPTimeout) > 10*time.Second {
		return d.Errorf("defaults.icmp_timeout", "must be between 0 and 10s")
	}
	if c.Defaults.LossWindow < c.Defaults.ICMPInterval || time.Duration(c.Defaults.LossWindow) > maxLossWindow {
		return d.Errorf("defaults.loss_window", "must be between icmp_interval (%v) and %v, not %v",
			time.Duration(c.Defaults.ICMPInterval), maxLossWindow, time.Duration(c.Defaults.LossWindow))
	}
	if v := time.Duration(c.Defaults.DNSRefresh); v < minDNSRefresh || v > maxDNSRefresh {
		return d.Errorf("defaults.dns_refresh", "must be between %v and %v, not %v", minDNSRefresh, maxDNSRefresh, v)
	}
	return nil
}

// validateRules checks the timezone and fills and checks the rules by kind.
func (c *Config) validateRules() error {
	d := c.doc
	c.loc = avail.DefaultLocation
	if c.Timezone != "" {
		loc, err := time.LoadLocation(c.Timezone)
		if err != nil {
			return d.Errorf("timezone", "unknown time zone %q", c.Timezone)
		}
		c.loc = loc
	}
	if c.Rules == nil {
		c.Rules = map[string]KindRules{}
	}
	for k, r := range c.Rules {
		if k != "bgp" && k != "leased" {
			return d.Errorf("rules."+k, "unknown line kind %q (bgp, leased)", k)
		}
		c.Rules[k] = r
	}
	for _, k := range []string{"bgp", "leased"} {
		r := c.Rules[k]
		if err := r.merge(KindRules{}); err != nil {
			return d.Errorf("rules."+k, "%v", err)
		}
		c.Rules[k] = r
	}
	return nil
}

// validateRouters fills and checks the routers section; routers gets their names.
func (c *Config) validateRouters(routers map[string]bool) error {
	d := c.doc
	for i := range c.Routers {
		r := &c.Routers[i]
		f := fmt.Sprintf("routers[%d]", i)
		if r.Name == "" || !nameRE.MatchString(r.Name) {
			return d.Errorf(f+".name", "router name %q must be non-empty and use letters, digits, _ . : / @ -", r.Name)
		}
		if routers[r.Name] {
			return d.Errorf(f+".name", "duplicate router name %q", r.Name)
		}
		routers[r.Name] = true
		if err := checkHostPort(r.Address); err != nil {
			return d.Errorf(f+".address", "%v", err)
		}
		if err := r.Auth.Validate(); err != nil {
			return d.Errorf(f+".auth", "%v", err)
		}
		if v := time.Duration(r.Interval); v < minRouterInterval || v > maxRouterInterval {
			return d.Errorf(f+".interval", "must be between %v and %v, not %v", minRouterInterval, maxRouterInterval, v)
		}
		if v := time.Duration(r.Timeout); v < minRouterTimeout || v > maxRouterTimeout {
			return d.Errorf(f+".timeout", "must be between %v and %v, not %v", minRouterTimeout, maxRouterTimeout, v)
		}
		if r.Retries < 0 || r.Retries > maxRouterRetries {
			return d.Errorf(f+".retries", "must be 0..%d, not %d", maxRouterRetries, r.Retries)
		}
		if r.WalkMaxRows < 1 || r.WalkMaxRows > snmp.MaxMaxRows {
			return d.Errorf(f+".walk_max_rows", "must be 1..%d, not %d", snmp.MaxMaxRows, r.WalkMaxRows)
		}
		if v := time.Duration(r.PollDeadline); v != 0 && (v < minPollDeadline || v > maxPollDeadline) {
			return d.Errorf(f+".poll_deadline", "must be between %v and %v, not %v", minPollDeadline, maxPollDeadline, v)
		}
	}
	return nil
}

// validateLine fills and checks lines[i] (names: the names seen so far) and
// sets its maintenance calendar (the site-wide windows and its own).
func (c *Config) validateLine(i int, names map[string]int, routers map[string]bool, site *calendar.Windows) error {
	d := c.doc
	l := &c.Lines[i]
	f := fmt.Sprintf("lines[%d]", i)
	if l.Name == "" || !nameRE.MatchString(l.Name) {
		return d.Errorf(f+".name", "line name %q must be non-empty and use letters, digits, _ . : / @ -", l.Name)
	}
	if j, dup := names[l.Name]; dup {
		return d.Errorf(f+".name", "duplicate line name %q (also lines[%d])", l.Name, j)
	}
	names[l.Name] = i
	if l.Kind != "bgp" && l.Kind != "leased" {
		return d.Errorf(f+".kind", "kind must be bgp or leased, not %q", l.Kind)
	}
	if l.Site == "" {
		return d.Errorf(f+".site", "site is required (every series carries site)")
	}
	if l.Capacity < 0 || l.Capacity > maxCapacity {
		return d.Errorf(f+".capacity", "must be between 0 and 1P (bit/s), not %v", float64(l.Capacity))
	}
	if len(l.ICMP) == 0 && l.Interface == nil && len(l.BGPPeers) == 0 {
		return d.Errorf(f, "line %q has no signal: configure icmp targets, a router interface or bgp_peers", l.Name)
	}
	if err := c.validateICMP(f, l); err != nil {
		return err
	}
	if err := c.validateLineSNMP(f, l, routers); err != nil {
		return err
	}
	if l.Rules != nil {
		if err := l.Rules.merge(c.Rules[l.Kind]); err != nil {
			return d.Errorf(f+".rules", "%v", err)
		}
	}
	w, err := calendar.NewWindows(l.Maintenance, c.loc)
	if err != nil {
		return d.Errorf(f+".maintenance", "%v", err)
	}
	c.cals[l.Name] = calendar.Union{site, w}
	return nil
}

// validateLineSNMP checks the router signals of line l (field path f): its
// router, interface and BGP peers (normalised to their IPv4 form).
func (c *Config) validateLineSNMP(f string, l *Line, routers map[string]bool) error {
	d := c.doc
	if l.Interface != nil || len(l.BGPPeers) > 0 {
		if l.Router == "" {
			return d.Errorf(f+".router", "interface and bgp_peers need a router (routers[].name)")
		}
		if !routers[l.Router] {
			return d.Errorf(f+".router", "unknown router %q", l.Router)
		}
	} else if l.Router != "" && !routers[l.Router] {
		return d.Errorf(f+".router", "unknown router %q", l.Router)
	}
	if ir := l.Interface; ir != nil {
		n := 0
		if ir.Name != "" {
			n++
		}
		if ir.Alias != "" {
			n++
		}
		if ir.Index != 0 {
			n++
		}
		if n != 1 || ir.Index < 0 {
			return d.Errorf(f+".interface", "give exactly one of name (ifName), alias (ifAlias) or index (ifIndex > 0)")
		}
	}
	if len(l.BGPPeers) > 0 && l.Kind != "bgp" {
		return d.Errorf(f+".bgp_peers", "bgp_peers only for kind bgp")
	}
	peers := map[string]bool{}
	for j, p := range l.BGPPeers {
		a, err := netip.ParseAddr(p)
		if err != nil || !a.Unmap().Is4() {
			return d.Errorf(fmt.Sprintf("%s.bgp_peers[%d]", f, j), "BGP peer must be an IPv4 address (BGP4-MIB is indexed by IPv4), not %q", p)
		}
		p = a.Unmap().String() // ::ffff:192.0.2.1 is 192.0.2.1 (the BGP4-MIB index)
		if peers[p] {
			return d.Errorf(fmt.Sprintf("%s.bgp_peers[%d]", f, j), "duplicate BGP peer %q", l.BGPPeers[j])
		}
		peers[p] = true
		l.BGPPeers[j] = p
	}
	return nil
}

// validateICMP fills and checks the ICMP targets of line l (field path f).
func (c *Config) validateICMP(f string, l *Line) error {
	d := c.doc
	seen := map[string]int{}
	for j := range l.ICMP {
		t := &l.ICMP[j]
		tf := fmt.Sprintf("%s.icmp[%d]", f, j)
		if err := checkHost(t.Address); err != nil {
			return d.Errorf(tf+".address", "%v", err)
		}
		// The same far end written twice (::ffff:192.0.2.1 and
		// 192.0.2.1, 2001:db8::1 and 2001:DB8:0::1, Host. and host)
		// would be probed twice and counted twice.
		key := farEnd(t.Address)
		if j, dup := seen[key]; dup {
			return d.Errorf(tf+".address", "duplicate ICMP target %q in line %q (same as icmp[%d] %q)", t.Address, l.Name, j, l.ICMP[j].Address)
		}
		seen[key] = j
		if a, err := netip.ParseAddr(t.Address); err == nil && a.Is4In6() {
			t.Address = a.Unmap().String() // probe the IPv4 address itself
		}
		if t.Source != "" {
			s, err := netip.ParseAddr(t.Source)
			if err != nil {
				return d.Errorf(tf+".source", "source must be an IP address of this host, not %q", t.Source)
			}
			if a, err := netip.ParseAddr(t.Address); err == nil && a.Unmap().Is4() != s.Unmap().Is4() {
				return d.Errorf(tf+".source", "source %s and address %s are of different IP families", t.Source, t.Address)
			}
		}
		config.Inherit(t, c.Defaults.icmpTarget())
		if t.Interval < config.Duration(100*time.Millisecond) {
			return d.Errorf(tf+".interval", "must be at least 100ms")
		}
		if t.Timeout == 0 { // neither the target nor the defaults: the interval, at most 1s
			t.Timeout = t.Interval
			if t.Timeout > config.Duration(time.Second) {
				t.Timeout = config.Duration(time.Second)
			}
		}
		if t.Timeout < 0 || t.Timeout > config.Duration(10*time.Second) {
			return d.Errorf(tf+".timeout", "must be between 0 and 10s")
		}
	}
	return nil
}

// merge fills the unset rules and unset fields of set rules from parent
// (or the defaults), then validates them.
func (k *KindRules) merge(parent KindRules) error {
	one := func(name string, r, p *avail.Rule, def avail.Rule) (*avail.Rule, error) {
		base := def
		if p != nil {
			base = *p
		}
		if r == nil {
			return &base, nil
		}
		out := *r
		config.Inherit(&out, base)
		if err := out.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		return &out, nil
	}
	var err error
	if k.ICMP, err = one("icmp", k.ICMP, parent.ICMP, defaultICMPRule); err != nil {
		return err
	}
	if k.Interface, err = one("interface", k.Interface, parent.Interface, defaultSNMPRule); err != nil {
		return err
	}
	k.BGP, err = one("bgp", k.BGP, parent.BGP, defaultSNMPRule)
	return err
}

// rules returns the effective rules of a line.
func (c *Config) rules(l *Line) KindRules {
	if l.Rules != nil {
		return *l.Rules
	}
	return c.Rules[l.Kind]
}

var hostRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62})?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62})?)*\.?$`)

// checkHost accepts an IP literal or a DNS name.
func checkHost(s string) error {
	if s == "" {
		return fmt.Errorf("address is required")
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return nil
	}
	if looksNumeric(s) || strings.ContainsAny(s, ":/ ") || !hostRE.MatchString(s) {
		return fmt.Errorf("malformed address %q: want an IPv4/IPv6 address or a host name", s)
	}
	return nil
}

// farEnd is the normal form of an ICMP target address: IPv4-mapped IPv6
// unmapped, IPv6 in canonical form, host names lower case without the
// final dot.
func farEnd(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	return strings.TrimSuffix(strings.ToLower(s), ".")
}

// looksNumeric catches malformed IPv4 literals like 10.0.0.256 or 10.1.2.
func looksNumeric(s string) bool {
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return true
}

func checkHostPort(s string) error {
	if s == "" {
		return fmt.Errorf("address is required")
	}
	host := s
	if h, p, err := splitHostPort(s); err == nil {
		host = h
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return fmt.Errorf("malformed port in %q", s)
		}
	}
	return checkHost(host)
}

func splitHostPort(s string) (string, string, error) {
	if strings.HasPrefix(s, "[") {
		i := strings.Index(s, "]:")
		if i < 0 {
			return "", "", fmt.Errorf("no port")
		}
		return s[1:i], s[i+2:], nil
	}
	if strings.Count(s, ":") == 1 {
		i := strings.LastIndex(s, ":")
		return s[:i], s[i+1:], nil
	}
	return "", "", fmt.Errorf("no port")
}
