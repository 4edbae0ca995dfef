package main

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/config"
)

// Duration is config.Duration (the shared syntax and line-naming decoder)
// restricted to positive values; see parseDuration.
type Duration config.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	return config.DecodeScalar(n, func(b []byte) error {
		v, err := parseDuration(string(b))
		*d = Duration(v)
		return err
	})
}

// parseDuration parses a duration of the YAML or CSV files
// (config.ParseDuration). Zero and negative durations are errors: every
// duration of this exporter is a period, a limit or a delay, and zero means
// "not set" (the default applies), so writing one would silently do
// something else than written.
func parseDuration(v string) (time.Duration, error) {
	d, err := config.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be positive (leave the field out for the default)", v)
	}
	return d, nil
}

// MarshalYAML implements yaml.Marshaler (for the /config page).
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// HostSettings are the per-host probe settings; zero values take the
// defaults of the main config (booleans are pointers for that reason).
type HostSettings struct {
	Interval Duration `yaml:"interval,omitempty"`
	Timeout  Duration `yaml:"timeout,omitempty"`
	// ICMP enables the echo check (default true).
	ICMP *bool `yaml:"icmp,omitempty"`
	// TCPPorts adds TCP-connect checks, e.g. [22, 3389, 443].
	TCPPorts []int `yaml:"tcp_ports,omitempty"`
	// UpWhen: "all" (every check must succeed, default) or "any".
	UpWhen string `yaml:"up_when,omitempty"`
	// DownAfter consecutive failed rounds trigger a re-verification
	// burst; the host is down when the burst fails too.
	DownAfter int `yaml:"down_after,omitempty"`
	// UpAfter consecutive good rounds confirm up again.
	UpAfter int `yaml:"up_after,omitempty"`
	// Burst is the number of echo requests of the re-verification burst,
	// BurstSpacing the time between them.
	Burst        int      `yaml:"burst,omitempty"`
	BurstSpacing Duration `yaml:"burst_spacing,omitempty"`
}

// WebsiteSettings are the per-website probe settings.
type WebsiteSettings struct {
	Interval Duration `yaml:"interval,omitempty"`
	Timeout  Duration `yaml:"timeout,omitempty"`
	// Method is GET (default) or HEAD.
	Method string `yaml:"method,omitempty"`
	// ValidStatus lists accepted codes or ranges: ["200-399"] (default).
	ValidStatus []string `yaml:"valid_status,omitempty"`
	// BodyRegexp must match the body when set (GET only).
	BodyRegexp string `yaml:"body_regexp,omitempty"`
	// Slow is the response-time limit: a slower probe fails with reason slow.
	Slow Duration `yaml:"slow,omitempty"`
	// FollowRedirects (default true) up to MaxRedirects (default 10).
	FollowRedirects *bool `yaml:"follow_redirects,omitempty"`
	MaxRedirects    int   `yaml:"max_redirects,omitempty"`
	// Headers are sent with every request; values may be secrets.
	Headers   map[string]config.Secret `yaml:"headers,omitempty"`
	BasicAuth *BasicAuth               `yaml:"basic_auth,omitempty"`
	// CAFile adds trusted roots (PEM) to the system pool.
	CAFile string `yaml:"ca_file,omitempty"`
	// InsecureSkipVerify: a failed verification is reported
	// (website_tls_verify_ok 0) but does not make the site down.
	InsecureSkipVerify *bool `yaml:"insecure_skip_verify,omitempty"`
	// DownAfter consecutive failures, then one immediate re-check after
	// RecheckDelay: down when the re-check fails too.
	DownAfter    int      `yaml:"down_after,omitempty"`
	UpAfter      int      `yaml:"up_after,omitempty"`
	RecheckDelay Duration `yaml:"recheck_delay,omitempty"`
	// BodyLimit caps the bytes read for body_regexp (default 1 MiB).
	BodyLimit int `yaml:"body_limit,omitempty"`
}

// BasicAuth for websites.
type BasicAuth struct {
	Username string        `yaml:"username"`
	Password config.Secret `yaml:"password"`
}

// HostTarget is one host as written in a target file.
type HostTarget struct {
	Host         string `yaml:"host"`
	Address      string `yaml:"address,omitempty"`
	Unit         string `yaml:"unit,omitempty"`
	Provider     string `yaml:"provider,omitempty"`
	System       string `yaml:"system,omitempty"`
	Site         string `yaml:"site,omitempty"`
	Path         string `yaml:"path,omitempty"`
	HostSettings `yaml:",inline"`
}

// WebsiteTarget is one website as written in a target file.
type WebsiteTarget struct {
	URL             string `yaml:"url"`
	System          string `yaml:"system,omitempty"`
	Unit            string `yaml:"unit,omitempty"`
	Provider        string `yaml:"provider,omitempty"`
	Site            string `yaml:"site,omitempty"`
	Path            string `yaml:"path,omitempty"`
	WebsiteSettings `yaml:",inline"`
}

// MarshalYAML implements yaml.Marshaler for the /config page: the
// password of a URL's userinfo is masked.
func (t WebsiteTarget) MarshalYAML() (any, error) {
	type plain WebsiteTarget
	p := plain(t)
	p.URL = redactURL(p.URL)
	return p, nil
}

// Config is the main configuration file (--config.file).
type Config struct {
	Defaults struct {
		Host    HostSettings    `yaml:"host,omitempty"`
		Website WebsiteSettings `yaml:"website,omitempty"`
	} `yaml:"defaults,omitempty"`
	// TargetFiles are YAML (.yml/.yaml) or CSV (.csv) files, globs
	// allowed, relative to the config file's directory. They are watched.
	TargetFiles []string `yaml:"target_files,omitempty"`
	// Hosts and Websites may also be listed inline.
	Hosts    []HostTarget    `yaml:"hosts,omitempty"`
	Websites []WebsiteTarget `yaml:"websites,omitempty"`
	// Maintenance windows apply to every target.
	Maintenance []calendar.MaintenanceWindow `yaml:"maintenance,omitempty"`
	// TargetMaintenance windows apply only to the targets whose labels
	// match (e.g. one unit's websites, one host), on top of Maintenance.
	TargetMaintenance []TargetWindows `yaml:"target_maintenance,omitempty"`
	// HTTPWorkers bounds concurrent website probes (default 32);
	// TCPWorkers bounds concurrent TCP connects (default 64).
	// At most maxHTTPWorkers and maxTCPWorkers (the workers are started
	// at once).
	HTTPWorkers int `yaml:"http_workers,omitempty"`
	TCPWorkers  int `yaml:"tcp_workers,omitempty"`
	// CSVEncoding of the CSV target files: utf-8 (default; a file that is
	// not valid UTF-8 is an error naming line and column), gbk or gb18030
	// (Excel "CSV" exports of Chinese Windows).
	CSVEncoding string `yaml:"csv_encoding,omitempty"`

	// Resolved at load time (not in YAML).
	path     string         `yaml:"-"`
	patterns []string       `yaml:"-"`
	files    []string       `yaml:"-"`
	hosts    []*hostSpec    `yaml:"-"`
	websites []*websiteSpec `yaml:"-"`
	cal      avail.Calendar `yaml:"-"`
	tcals    []targetCal    `yaml:"-"`
	shard    shard          `yaml:"-"`
	skipped  map[string]int `yaml:"-"`
}

// TargetWindows are maintenance windows of the targets whose labels equal
// every entry of Match (labels: host, address, url, unit, provider, system,
// site, path; a label a kind does not have never matches it).
type TargetWindows struct {
	Match   map[string]string            `yaml:"match"`
	Windows []calendar.MaintenanceWindow `yaml:"windows"`
}

type targetCal struct {
	match map[string]string
	w     *calendar.Windows
}

// calendar is the maintenance calendar of a target (label names and values
// in the same order): the global windows plus those of every matching
// target_maintenance entry.
func (c *Config) calendar(names, values []string) avail.Calendar {
	u := calendar.Union{c.cal}
	for _, tc := range c.tcals {
		if labelsMatch(tc.match, names, values) {
			u = append(u, tc.w)
		}
	}
	if len(u) == 1 {
		return c.cal
	}
	return u
}

func labelsMatch(m map[string]string, names, values []string) bool {
	for k, v := range m {
		i := slices.Index(names, k)
		if i < 0 || values[i] != v {
			return false
		}
	}
	return true
}

// loadTargetMaintenance validates target_maintenance.
func (c *Config) loadTargetMaintenance(doc *config.Doc) error {
	for i, tw := range c.TargetMaintenance {
		f := fmt.Sprintf("target_maintenance[%d]", i)
		known := append(append([]string(nil), hostLabels...), websiteLabels[:1]...)
		if len(tw.Match) == 0 {
			return doc.Errorf(f+".match", "needs at least one label (%s); windows for every target go under maintenance:", strings.Join(known, ", "))
		}
		keys := make([]string, 0, len(tw.Match))
		for k := range tw.Match {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !slices.Contains(known, k) {
				return doc.Errorf(f+".match", "unknown label %q (one of %s)", k, strings.Join(known, ", "))
			}
		}
		if v, ok := tw.Match["url"]; ok {
			// The url label has no userinfo; the password must not reach
			// /config either.
			if u, err := parseURL(v); err == nil {
				tw.Match["url"] = labelURL(v, u)
			} else {
				tw.Match["url"] = redactURL(v)
			}
		}
		if len(tw.Windows) == 0 {
			return doc.Errorf(f+".windows", "needs at least one window")
		}
		w, err := calendar.NewWindows(tw.Windows, nil)
		if err != nil {
			return doc.Errorf(f+".windows", "%v", err)
		}
		c.tcals = append(c.tcals, targetCal{match: tw.Match, w: w})
	}
	return nil
}

// hostSpec is a validated host with defaults applied.
type hostSpec struct {
	labels   []string // host,address,unit,provider,system,site,path
	id       string
	addr     string // IP literal
	interval time.Duration
	timeout  time.Duration
	icmp     bool
	ports    []int
	all      bool
	rule     avail.Rule
	burst    int
	spacing  time.Duration
	where    string // file:line for messages
}

// websiteSpec is a validated website with defaults applied.
type websiteSpec struct {
	labels       []string // url,system,unit,provider,site,path
	id           string
	identity     string // the URL without userinfo, scheme and host in lower case
	url          string
	interval     time.Duration
	timeout      time.Duration
	method       string
	status       []statusRange
	body         *regexp.Regexp
	slow         time.Duration
	follow       bool
	maxRedirects int
	headers      map[string]config.Secret
	basicAuth    *BasicAuth
	caFile       string
	roots        *x509.CertPool // nil: system roots
	insecure     bool
	rule         avail.Rule
	recheck      time.Duration
	bodyLimit    int
	where        string
	settingsKey  string // changes when the HTTP client must be rebuilt
}

type statusRange struct{ lo, hi int }

func (s *websiteSpec) statusOK(code int) bool {
	for _, r := range s.status {
		if code >= r.lo && code <= r.hi {
			return true
		}
	}
	return false
}

var hostLabels = []string{"host", "address", "unit", "provider", "system", "site", "path"}
var websiteLabels = []string{"url", "system", "unit", "provider", "site", "path"}

// A target's settings inherit, field by field, the zero ones from the
// defaults section and then from these built-in defaults (config.Inherit).
var builtinHost = HostSettings{
	Interval: Duration(10 * time.Second), Timeout: Duration(time.Second), ICMP: ptr(true), UpWhen: "all",
	DownAfter: 3, UpAfter: 2, Burst: 3, BurstSpacing: Duration(200 * time.Millisecond),
}

var builtinWebsite = WebsiteSettings{
	Interval: Duration(30 * time.Second), Timeout: Duration(10 * time.Second), Method: "GET",
	ValidStatus: []string{"200-399"}, FollowRedirects: ptr(true), MaxRedirects: 10, InsecureSkipVerify: ptr(false),
	DownAfter: 2, UpAfter: 1, RecheckDelay: Duration(time.Second), BodyLimit: 1 << 20,
}

// Bounds of one instance (README "Bounds"). The workers are goroutines
// started at once; the target counts are per instance after --shard.
const (
	maxHTTPWorkers = 1024
	maxTCPWorkers  = 4096
	// maxTargetFileBytes bounds the memory of reading one target file.
	maxTargetFileBytes = 64 << 20
	// warnHosts and warnWebsites: above these an instance logs a warning
	// (10 000 hosts is the measured scale, TestScale and make bench-icmp).
	warnHosts    = 10000
	warnWebsites = 2000
	// maxHosts and maxWebsites: above these the configuration is refused
	// (split the list with --shard).
	maxHosts    = 50000
	maxWebsites = 10000
	// maxHeaders bounds the custom headers of a website and their size.
	maxHeaders     = 32
	maxHeaderBytes = 8 << 10
)

func ptr[T any](v T) *T { return &v }

// fieldError is a validation error of one field, located by the caller.
type fieldError struct {
	field, msg string
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

func ferr(field, format string, a ...any) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, a...)}
}

// buildHost validates t merged with defaults d.
func buildHost(t HostTarget, d HostSettings, baseDir string) (*hostSpec, error) {
	s := t.HostSettings
	config.Inherit(&s, d)
	if s.Timeout == 0 && s.Interval != 0 && s.Interval <= builtinHost.Timeout {
		s.Timeout = s.Interval / 2
	}
	config.Inherit(&s, builtinHost)
	addr := t.Address
	if t.Host == "" {
		return nil, ferr("host", "missing host name")
	}
	if addr == "" {
		addr = t.Host
	}
	ip, err := parseIP(addr)
	if err != nil {
		return nil, ferr("address", "%q is not an IP address (hosts are probed by address; put the IP in address)", addr)
	}
	if s.Interval.D() < 100*time.Millisecond {
		return nil, ferr("interval", "must be at least 100ms")
	}
	if s.Timeout.D() <= 0 || s.Timeout.D() >= s.Interval.D() {
		return nil, ferr("timeout", "must be positive and shorter than the interval (%s)", s.Interval.D())
	}
	for _, p := range s.TCPPorts {
		if p <= 0 || p > 65535 {
			return nil, ferr("tcp_ports", "invalid port %d", p)
		}
	}
	if !*s.ICMP && len(s.TCPPorts) == 0 {
		return nil, ferr("icmp", "no check left: icmp is off and tcp_ports is empty")
	}
	if s.UpWhen != "all" && s.UpWhen != "any" {
		return nil, ferr("up_when", "must be all or any, not %q", s.UpWhen)
	}
	if s.DownAfter < 1 || s.UpAfter < 1 || s.Burst < 1 {
		return nil, ferr("down_after", "down_after, up_after and burst must be at least 1")
	}
	if s.BurstSpacing <= 0 {
		return nil, ferr("burst_spacing", "must be positive")
	}
	ports := append([]int(nil), s.TCPPorts...)
	sort.Ints(ports)
	name := t.Host
	if n, err := parseIP(name); err == nil {
		name = n // ::ffff:10.0.0.1 and 10.0.0.1 are the same far end
	}
	h := &hostSpec{
		labels:   []string{name, ip, t.Unit, t.Provider, t.System, t.Site, t.Path},
		addr:     ip,
		interval: s.Interval.D(),
		timeout:  s.Timeout.D(),
		icmp:     *s.ICMP,
		ports:    ports,
		all:      s.UpWhen == "all",
		// The N failed rounds plus the failed burst confirm down.
		rule:    avail.Rule{DownAfter: s.DownAfter + 1, UpAfter: s.UpAfter, MaxGap: 3*s.Interval.D() + 10*time.Second},
		burst:   s.Burst,
		spacing: s.BurstSpacing.D(),
	}
	h.id = strings.Join(h.labels, "\xff")
	return h, nil
}

func buildWebsite(t WebsiteTarget, d WebsiteSettings, baseDir string) (*websiteSpec, error) {
	s := t.WebsiteSettings
	config.Inherit(&s, d)
	if s.Timeout == 0 && s.Interval != 0 && s.Interval < builtinWebsite.Timeout {
		s.Timeout = s.Interval // a short interval without a timeout: the interval
	}
	config.Inherit(&s, builtinWebsite)
	if t.URL == "" {
		return nil, ferr("url", "missing url")
	}
	if !strings.HasPrefix(t.URL, "http://") && !strings.HasPrefix(t.URL, "https://") {
		return nil, ferr("url", "%q must start with http:// or https://", redactURL(t.URL))
	}
	u, err := parseURL(t.URL)
	if err != nil {
		return nil, ferr("url", "%v", err)
	}
	if err := checkHeaders(s.Headers); err != nil {
		return nil, err
	}
	if s.Interval.D() < time.Second {
		return nil, ferr("interval", "must be at least 1s")
	}
	if s.Timeout.D() <= 0 || s.Timeout.D() > s.Interval.D() {
		return nil, ferr("timeout", "must be positive and not longer than the interval (%s)", s.Interval.D())
	}
	m := strings.ToUpper(s.Method)
	if m != "GET" && m != "HEAD" {
		return nil, ferr("method", "must be GET or HEAD, not %q", s.Method)
	}
	var ranges []statusRange
	for _, v := range s.ValidStatus {
		r, err := parseStatus(v)
		if err != nil {
			return nil, ferr("valid_status", "%v", err)
		}
		ranges = append(ranges, r)
	}
	var re *regexp.Regexp
	if s.BodyRegexp != "" {
		var err error
		if re, err = regexp.Compile(s.BodyRegexp); err != nil {
			return nil, ferr("body_regexp", "%v", err)
		}
		if m == "HEAD" {
			return nil, ferr("body_regexp", "needs method GET")
		}
	}
	if s.Slow < 0 || s.Slow.D() > s.Timeout.D() {
		return nil, ferr("slow", "must not be longer than the timeout (%s)", s.Timeout.D())
	}
	if s.DownAfter < 1 || s.UpAfter < 1 || s.MaxRedirects < 0 || s.BodyLimit < 1 {
		return nil, ferr("down_after", "down_after, up_after, body_limit must be at least 1, max_redirects not negative")
	}
	ca := s.CAFile
	if ca != "" && !filepath.IsAbs(ca) {
		ca = filepath.Join(baseDir, ca)
	}
	var roots *x509.CertPool
	if ca != "" {
		var err error
		if roots, err = loadCAPool(ca); err != nil {
			return nil, ferr("ca_file", "%v", err)
		}
	}
	w := &websiteSpec{
		// The url label, the landing page and the messages never carry the
		// userinfo; the request does (basic auth).
		labels:       []string{labelURL(t.URL, u), t.System, t.Unit, t.Provider, t.Site, t.Path},
		identity:     identityURL(u),
		url:          t.URL,
		interval:     s.Interval.D(),
		timeout:      s.Timeout.D(),
		method:       m,
		status:       ranges,
		body:         re,
		slow:         s.Slow.D(),
		follow:       *s.FollowRedirects,
		maxRedirects: s.MaxRedirects,
		headers:      s.Headers,
		basicAuth:    s.BasicAuth,
		caFile:       ca,
		roots:        roots,
		insecure:     *s.InsecureSkipVerify,
		rule:         avail.Rule{DownAfter: s.DownAfter + 1, UpAfter: s.UpAfter, MaxGap: 3*s.Interval.D() + s.Timeout.D() + 10*time.Second},
		recheck:      s.RecheckDelay.D(),
		bodyLimit:    s.BodyLimit,
	}
	w.id = strings.Join(w.labels, "\xff")
	w.settingsKey = fmt.Sprintf("%v|%d|%s|%v|%d", w.follow, w.maxRedirects, w.caFile, w.timeout, w.bodyLimit)
	return w, nil
}

func parseStatus(v string) (statusRange, error) {
	v = strings.TrimSpace(v)
	lo, hi, isRange := strings.Cut(v, "-")
	a, err := strconv.Atoi(strings.TrimSpace(lo))
	if err != nil || a < 100 || a > 599 {
		return statusRange{}, fmt.Errorf("invalid status %q (want 200 or 200-299)", v)
	}
	b := a
	if isRange {
		if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a || b > 599 {
			return statusRange{}, fmt.Errorf("invalid status range %q", v)
		}
	}
	return statusRange{a, b}, nil
}

// loadConfig reads the main config and every target file. Errors name
// file:line.
func loadConfig(path string, sh shard) (*Config, error) {
	cfg := &Config{}
	doc, err := config.Load(path, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.HTTPWorkers == 0 {
		cfg.HTTPWorkers = 32
	}
	if cfg.TCPWorkers == 0 {
		cfg.TCPWorkers = 64
	}
	if cfg.HTTPWorkers < 0 || cfg.HTTPWorkers > maxHTTPWorkers {
		return nil, doc.Errorf("http_workers", "must be between 1 and %d, not %d", maxHTTPWorkers, cfg.HTTPWorkers)
	}
	if cfg.TCPWorkers < 0 || cfg.TCPWorkers > maxTCPWorkers {
		return nil, doc.Errorf("tcp_workers", "must be between 1 and %d, not %d", maxTCPWorkers, cfg.TCPWorkers)
	}
	switch strings.ToLower(cfg.CSVEncoding) {
	case "", "utf-8", "utf8", "gbk", "gb18030":
	default:
		return nil, doc.Errorf("csv_encoding", "must be utf-8, gbk or gb18030, not %q", cfg.CSVEncoding)
	}
	cal, err := calendar.NewWindows(cfg.Maintenance, nil)
	if err != nil {
		return nil, doc.Errorf("maintenance", "%v", err)
	}
	cfg.cal = cal
	if err := cfg.loadTargetMaintenance(doc); err != nil {
		return nil, err
	}
	cfg.shard = sh
	cfg.path = path
	base := filepath.Dir(path)
	// Validate defaults once so that errors point at the main file.
	dh := cfg.Defaults.Host
	if dh.TCPPorts == nil {
		dh.TCPPorts = []int{1} // a default without ports is fine when targets add them
	}
	if _, err := buildHost(HostTarget{Host: "127.0.0.1", HostSettings: dh}, HostSettings{}, base); err != nil {
		return nil, doc.Errorf(joinField("defaults.host", fieldOf(err)), "%s", msgOf(err))
	}
	if _, err := buildWebsite(WebsiteTarget{URL: "http://localhost/", WebsiteSettings: cfg.Defaults.Website}, WebsiteSettings{}, base); err != nil {
		return nil, doc.Errorf(joinField("defaults.website", fieldOf(err)), "%s", msgOf(err))
	}
	set := newTargetSet(cfg, base)
	for i, t := range cfg.Hosts {
		if err := set.addHost(t, fmt.Sprintf("%s:%d", path, doc.Line(fmt.Sprintf("hosts[%d]", i)))); err != nil {
			return nil, doc.Errorf(joinField(fmt.Sprintf("hosts[%d]", i), fieldOf(err)), "%s", msgOf(err))
		}
	}
	for i, t := range cfg.Websites {
		if err := set.addWebsite(t, fmt.Sprintf("%s:%d", path, doc.Line(fmt.Sprintf("websites[%d]", i)))); err != nil {
			return nil, doc.Errorf(joinField(fmt.Sprintf("websites[%d]", i), fieldOf(err)), "%s", msgOf(err))
		}
	}
	for i, pat := range cfg.TargetFiles {
		if !filepath.IsAbs(pat) {
			pat = filepath.Join(base, pat)
		}
		cfg.patterns = append(cfg.patterns, pat)
		matches, err := filepath.Glob(pat)
		if err != nil {
			return nil, doc.Errorf(fmt.Sprintf("target_files[%d]", i), "%v", err)
		}
		if matches == nil && !hasMeta(pat) {
			if _, err := os.Stat(pat); err != nil {
				return nil, doc.Errorf(fmt.Sprintf("target_files[%d]", i), "%v", err)
			}
			matches = []string{pat}
		}
		sort.Strings(matches)
		for _, f := range matches {
			if err := set.loadFile(f); err != nil {
				return nil, err
			}
			cfg.files = append(cfg.files, f)
		}
	}
	cfg.hosts, cfg.websites = set.hosts, set.websites
	cfg.skipped = map[string]int{"host": set.skippedHosts, "website": set.skippedWebsites}
	return cfg, nil
}

func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[") }

func fieldOf(err error) string {
	if fe, ok := err.(*fieldError); ok {
		return fe.field
	}
	return ""
}

func msgOf(err error) string {
	if fe, ok := err.(*fieldError); ok {
		return fe.msg
	}
	return err.Error()
}

func joinField(a, b string) string {
	if b == "" {
		return a
	}
	return a + "." + b
}
