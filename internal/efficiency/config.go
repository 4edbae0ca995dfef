// Package efficiency evaluates the user units' use of cloud resources
// (deliverable 24 《使用单位云资源使用绩效评估分析结果》): per user unit,
// platform and month the allocated against the used vCPU, memory and disk,
// utilisation mean and p95, idle hosts and traffic, from PromQL against the
// metrics the platforms already export (node_exporter's names by default,
// configurable per platform in efficiency.yml). A host without data is
// 无数据: never 0 % utilised and never idle.
package efficiency

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/metricnames"
	"github.com/jianguan/jianguan/internal/report"
)

// Figure names: the per-host instant expressions a platform maps.
const (
	FigInventory       = "inventory"
	FigCPUAllocated    = "cpu_allocated"
	FigCPUUsed         = "cpu_used"
	FigMemoryAllocated = "memory_allocated"
	FigMemoryUsed      = "memory_used"
	FigDiskAllocated   = "disk_allocated"
	FigDiskUsed        = "disk_used"
	FigNetworkIn       = "network_in"
	FigNetworkOut      = "network_out"
)

// Figures lists every figure in a fixed order (queries, methodology).
var Figures = []string{FigInventory, FigCPUAllocated, FigCPUUsed, FigMemoryAllocated, FigMemoryUsed,
	FigDiskAllocated, FigDiskUsed, FigNetworkIn, FigNetworkOut}

// Mapping is one platform's PromQL per figure: instant expressions giving
// one series per host with the unit, platform and host labels ($by expands
// to them, $rate_window to rate_window). Empty fields of a platform take
// the default mapping's.
type Mapping struct {
	Inventory       string `yaml:"inventory"`
	CPUAllocated    string `yaml:"cpu_allocated"`
	CPUUsed         string `yaml:"cpu_used"`
	MemoryAllocated string `yaml:"memory_allocated"`
	MemoryUsed      string `yaml:"memory_used"`
	DiskAllocated   string `yaml:"disk_allocated"`
	DiskUsed        string `yaml:"disk_used"`
	NetworkIn       string `yaml:"network_in"`
	NetworkOut      string `yaml:"network_out"`
}

func (m *Mapping) field(name string) *string {
	switch name {
	case FigInventory:
		return &m.Inventory
	case FigCPUAllocated:
		return &m.CPUAllocated
	case FigCPUUsed:
		return &m.CPUUsed
	case FigMemoryAllocated:
		return &m.MemoryAllocated
	case FigMemoryUsed:
		return &m.MemoryUsed
	case FigDiskAllocated:
		return &m.DiskAllocated
	case FigDiskUsed:
		return &m.DiskUsed
	case FigNetworkIn:
		return &m.NetworkIn
	case FigNetworkOut:
		return &m.NetworkOut
	}
	return nil
}

// Labels name the labels that carry the user unit, the platform (cloud
// provider) and the host on every series of the mapping.
type Labels struct {
	Unit     string `yaml:"unit"`
	Platform string `yaml:"platform"`
	Host     string `yaml:"host"`
}

// Idle is the idle-host criterion.
type Idle struct {
	// CPUP95Below: a host is idle when its CPU utilisation's p95 over the
	// month is below this fraction (0.05 = 5 %).
	CPUP95Below float64 `yaml:"cpu_p95_below"`
	// MinCoverage: and its CPU data covers at least this share of the
	// month; less is 数据不足, never idle.
	MinCoverage float64 `yaml:"min_coverage"`
}

// File is efficiency.yml.
type File struct {
	Labels Labels `yaml:"labels"`
	// RateWindow is rate()'s window ($rate_window) and the step of the
	// month's subqueries; at least two scrape intervals.
	RateWindow string `yaml:"rate_window"`
	// MaxSeriesPerQuery: an answer with more series is an error (never
	// truncated).
	MaxSeriesPerQuery int `yaml:"max_series_per_query"`
	// IdleAnnexMaxRows bounds the idle-host annex of the document (the
	// count is always complete; the rest are in CSV/XLSX/JSON).
	IdleAnnexMaxRows int                `yaml:"idle_annex_max_rows"`
	Idle             Idle               `yaml:"idle"`
	Default          Mapping            `yaml:"default"`
	Platforms        map[string]Mapping `yaml:"platforms"`
}

// Bounds of the configuration.
const (
	DefaultMaxSeriesPerQuery = 5000
	MaxMaxSeriesPerQuery     = 100000
	DefaultIdleAnnexMaxRows  = 200
	MaxIdleAnnexMaxRows      = 5000
	MinRateWindow            = 30 * time.Second
	MaxRateWindow            = 6 * time.Hour
	maxExprBytes             = 4096
)

// Config is a loaded, validated configuration: every expression parsed.
type Config struct {
	File       string
	Labels     Labels
	RateWindow time.Duration
	MaxSeries  int
	AnnexRows  int
	Idle       Idle
	// Expr is the combined host-level expression per figure: the default
	// mapping for the platforms not listed, each listed platform's own
	// mapping restricted to it, joined with "or".
	Expr map[string]string
	// Source is the configured text per figure and platform ("" = default),
	// for the methodology.
	Source    map[string]map[string]string
	Platforms []string
}

// Options override the file (command-line flags).
type Options struct {
	RateWindow time.Duration // 0: the file's
	MaxSeries  int           // 0: the file's
	// Filter restricts every selector to label=value (e.g. one unit);
	// values are matched literally.
	Filter map[string]string
}

// DefaultFile is the built-in mapping: node_exporter's metric names (the
// inventory: uptime_exporter's host_up, from internal/metricnames), the
// unit in label unit, the platform in provider, the host in host.
// deploy/etc/jianguan/efficiency.yml and docs/efficiency.md spell the same
// expressions (TestEfficiencyDefaultsDocumented).
func DefaultFile() File {
	return File{
		Labels:            Labels{Unit: "unit", Platform: "provider", Host: "host"},
		RateWindow:        "5m",
		MaxSeriesPerQuery: DefaultMaxSeriesPerQuery,
		IdleAnnexMaxRows:  DefaultIdleAnnexMaxRows,
		Idle:              Idle{CPUP95Below: 0.05, MinCoverage: 0.9},
		Default: Mapping{
			Inventory:       "group by ($by) (" + metricnames.Host.Up() + ")",
			CPUAllocated:    `count by ($by) (node_cpu_seconds_total{mode="idle"})`,
			CPUUsed:         `sum by ($by) (1 - rate(node_cpu_seconds_total{mode="idle"}[$rate_window]))`,
			MemoryAllocated: `sum by ($by) (node_memory_MemTotal_bytes)`,
			MemoryUsed:      `sum by ($by) (node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes)`,
			DiskAllocated:   `sum by ($by) (node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs|devtmpfs"})`,
			DiskUsed:        `sum by ($by) (node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs|devtmpfs"} - node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs|devtmpfs"})`,
			NetworkIn:       `sum by ($by) (rate(node_network_receive_bytes_total{device!~"lo|veth.*|docker.*"}[$rate_window]))`,
			NetworkOut:      `sum by ($by) (rate(node_network_transmit_bytes_total{device!~"lo|veth.*|docker.*"}[$rate_window]))`,
		},
	}
}

// Load reads efficiency.yml; fields left out take DefaultFile's values.
// Every error names the file and line.
func Load(path string, o Options) (*Config, error) {
	f := DefaultFile()
	f.Default = Mapping{}
	doc, err := config.Load(path, &f)
	if err != nil {
		return nil, err
	}
	return compile(doc, f, o)
}

// Parse is Load on bytes (file names the source in errors).
func Parse(file string, data []byte, o Options) (*Config, error) {
	f := DefaultFile()
	f.Default = Mapping{}
	doc, err := config.Parse(file, data, &f)
	if err != nil {
		return nil, err
	}
	return compile(doc, f, o)
}

// Default is the built-in configuration (no file).
func Default(o Options) (*Config, error) { return compile(nil, DefaultFile(), o) }

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

func compile(doc *config.Doc, f File, o Options) (*Config, error) {
	def := DefaultFile()
	for _, fig := range Figures {
		if p := f.Default.field(fig); *p == "" {
			*p = *def.Default.field(fig)
		}
	}
	for k, v := range map[string]string{"labels.unit": f.Labels.Unit, "labels.platform": f.Labels.Platform, "labels.host": f.Labels.Host} {
		if !labelNameRE.MatchString(v) {
			return nil, doc.Errorf(k, "%q is not a Prometheus label name", v)
		}
	}
	if f.Labels.Unit == f.Labels.Platform || f.Labels.Unit == f.Labels.Host || f.Labels.Platform == f.Labels.Host {
		return nil, doc.Errorf("labels", "unit, platform and host must be three different labels")
	}
	c := &Config{Labels: f.Labels, Idle: f.Idle, MaxSeries: f.MaxSeriesPerQuery, AnnexRows: f.IdleAnnexMaxRows,
		Expr: map[string]string{}, Source: map[string]map[string]string{}}
	if doc != nil {
		c.File = doc.File
	}
	rw, err := model.ParseDuration(f.RateWindow)
	if err != nil {
		return nil, doc.Errorf("rate_window", "%q: %v (e.g. 5m)", f.RateWindow, err)
	}
	c.RateWindow = time.Duration(rw)
	if o.RateWindow != 0 {
		c.RateWindow = o.RateWindow
	}
	if c.RateWindow < MinRateWindow || c.RateWindow > MaxRateWindow || c.RateWindow%time.Second != 0 {
		return nil, doc.Errorf("rate_window", "%v: want whole seconds from %v to %v (at least two scrape intervals)", c.RateWindow, MinRateWindow, MaxRateWindow)
	}
	if o.MaxSeries != 0 {
		c.MaxSeries = o.MaxSeries
	}
	if c.MaxSeries < 1 || c.MaxSeries > MaxMaxSeriesPerQuery {
		return nil, doc.Errorf("max_series_per_query", "%d: want 1 … %d", c.MaxSeries, MaxMaxSeriesPerQuery)
	}
	if c.AnnexRows < 1 || c.AnnexRows > MaxIdleAnnexMaxRows {
		return nil, doc.Errorf("idle_annex_max_rows", "%d: want 1 … %d", c.AnnexRows, MaxIdleAnnexMaxRows)
	}
	if !(c.Idle.CPUP95Below > 0 && c.Idle.CPUP95Below < 1) {
		return nil, doc.Errorf("idle.cpu_p95_below", "%v: want a fraction strictly between 0 and 1 (0.05 = 5 %%)", c.Idle.CPUP95Below)
	}
	if !(c.Idle.MinCoverage > 0 && c.Idle.MinCoverage <= 1) {
		return nil, doc.Errorf("idle.min_coverage", "%v: want a fraction in (0, 1]", c.Idle.MinCoverage)
	}
	for p := range f.Platforms {
		if strings.TrimSpace(p) == "" {
			return nil, doc.Errorf("platforms", "an empty platform name")
		}
		c.Platforms = append(c.Platforms, p)
	}
	sort.Strings(c.Platforms)
	var filter []*labels.Matcher
	for _, k := range sortedKeys(o.Filter) {
		if !labelNameRE.MatchString(k) {
			return nil, report.Errorf(report.ErrBadRequest, "filter: %q is not a Prometheus label name", k)
		}
		filter = append(filter, labels.MustNewMatcher(labels.MatchEqual, k, o.Filter[k]))
	}
	by := strings.Join([]string{f.Labels.Unit, f.Labels.Platform, f.Labels.Host}, ", ")
	expand := func(s string) string {
		return strings.NewReplacer("$rate_window", model.Duration(c.RateWindow).String(), "$by", by).Replace(s)
	}
	// parse checks one configured expression and returns it restricted
	// to the platform label matcher m (nil: unrestricted).
	parse := func(path, src string, m *labels.Matcher) (string, error) {
		if len(src) > maxExprBytes {
			return "", doc.Errorf(path, "expression of %d bytes; at most %d", len(src), maxExprBytes)
		}
		e, err := parser.NewParser(parser.Options{}).ParseExpr(expand(src))
		if err != nil {
			return "", doc.Errorf(path, "PromQL does not parse: %v", err)
		}
		if e.Type() != parser.ValueTypeVector {
			return "", doc.Errorf(path, "gives a %s; want an instant vector (one series per host)", e.Type())
		}
		sels := 0
		parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok {
				sels++
				vs.LabelMatchers = append(vs.LabelMatchers, filter...)
				if m != nil {
					vs.LabelMatchers = append(vs.LabelMatchers, m)
				}
			}
			return nil
		})
		if sels == 0 {
			return "", doc.Errorf(path, "selects no series (want PromQL over the platform's metrics)")
		}
		return e.String(), nil
	}
	for _, fig := range Figures {
		c.Source[fig] = map[string]string{"": *f.Default.field(fig)}
		var parts []string
		var m *labels.Matcher
		if len(c.Platforms) > 0 {
			m = labels.MustNewMatcher(labels.MatchNotRegexp, f.Labels.Platform, regexAlternation(c.Platforms))
		}
		s, err := parse("default."+fig, *f.Default.field(fig), m)
		if err != nil {
			return nil, err
		}
		parts = append(parts, s)
		for _, p := range c.Platforms {
			pm := f.Platforms[p]
			src := *pm.field(fig)
			path := "platforms." + p + "." + fig
			if src == "" {
				src, path = *f.Default.field(fig), "default."+fig
			} else {
				c.Source[fig][p] = src
			}
			s, err := parse(path, src, labels.MustNewMatcher(labels.MatchEqual, f.Labels.Platform, p))
			if err != nil {
				return nil, err
			}
			parts = append(parts, s)
		}
		if len(parts) == 1 {
			c.Expr[fig] = parts[0]
		} else {
			c.Expr[fig] = "(" + strings.Join(parts, ") or (") + ")"
		}
	}
	// The queries built from the expressions must parse too (a mapping
	// that parses alone could still break inside a subquery).
	for _, q := range c.queries(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 31*24*time.Hour) {
		if _, err := parser.NewParser(parser.Options{}).ParseExpr(q.PromQL); err != nil {
			return nil, doc.Errorf("default", "the %s query does not parse: %v", q.ID, err)
		}
	}
	return c, nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func regexAlternation(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = regexp.QuoteMeta(v)
	}
	return strings.Join(q, "|")
}

// String describes the configuration in one line (logs).
func (c *Config) String() string {
	return fmt.Sprintf("efficiency: rate window %v, idle below %.3g (coverage ≥ %.3g), ≤ %d series per query, platforms %v",
		c.RateWindow, c.Idle.CPUP95Below, c.Idle.MinCoverage, c.MaxSeries, c.Platforms)
}
