package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/config"
)

// shard selects the targets of one instance: hash(identity) mod n == i.
type shard struct{ i, n int }

func parseShard(s string) (shard, error) {
	if s == "" {
		return shard{0, 1}, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return shard{}, fmt.Errorf("--shard=%q: want i/n with 0 <= i < n, e.g. 0/3", s)
	}
	return shard{i, n}, nil
}

// identity hash: FNV-1a 64 of the kind and the target's identity (host
// name and address, or URL), stable across versions and machines.
func shardHash(kind, identity string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(identity))
	return h.Sum64()
}

func (s shard) keep(kind, identity string) bool {
	if s.n <= 1 {
		return true
	}
	return shardHash(kind, identity)%uint64(s.n) == uint64(s.i)
}

func parseIP(s string) (string, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	return a.Unmap().String(), nil
}

func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q has no host", s)
	}
	return u, nil
}

// targetSet collects validated targets from all sources.
type targetSet struct {
	cfg      *Config
	base     string
	hosts    []*hostSpec
	websites []*websiteSpec
	seen     map[string]string // id → where first defined

	skippedHosts, skippedWebsites int
}

func newTargetSet(cfg *Config, base string) *targetSet {
	return &targetSet{cfg: cfg, base: base, seen: map[string]string{}}
}

func (s *targetSet) addHost(t HostTarget, where string) error {
	h, err := buildHost(t, s.cfg.Defaults.Host, s.base)
	if err != nil {
		return err
	}
	if first, dup := s.seen["h"+h.id]; dup {
		return ferr("host", "duplicate host %s (%s), first defined at %s", t.Host, h.addr, first)
	}
	s.seen["h"+h.id] = where
	if !s.cfg.shard.keep("host", t.Host+"\xff"+h.addr) {
		s.skippedHosts++
		return nil
	}
	h.where = where
	s.hosts = append(s.hosts, h)
	return nil
}

func (s *targetSet) addWebsite(t WebsiteTarget, where string) error {
	w, err := buildWebsite(t, s.cfg.Defaults.Website, s.base)
	if err != nil {
		return err
	}
	if first, dup := s.seen["w"+w.id]; dup {
		return ferr("url", "duplicate website %s, first defined at %s", t.URL, first)
	}
	s.seen["w"+w.id] = where
	if !s.cfg.shard.keep("website", t.URL) {
		s.skippedWebsites++
		return nil
	}
	w.where = where
	s.websites = append(s.websites, w)
	return nil
}

// targetFile is the shape of a YAML target file.
type targetFile struct {
	Hosts    []HostTarget    `yaml:"hosts"`
	Websites []WebsiteTarget `yaml:"websites"`
}

func (s *targetSet) loadFile(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yml", ".yaml":
		return s.loadYAML(path)
	case ".csv":
		data, err := os.ReadFile(path)
		if err != nil {
			return &config.Error{File: path, Msg: err.Error()}
		}
		return s.loadCSV(path, data)
	default:
		return &config.Error{File: path, Msg: "unknown target file type (want .yml, .yaml or .csv)"}
	}
}

func (s *targetSet) loadYAML(path string) error {
	var tf targetFile
	doc, err := config.Load(path, &tf)
	if err != nil {
		return err
	}
	for i, t := range tf.Hosts {
		f := fmt.Sprintf("hosts[%d]", i)
		if err := s.addHost(t, fmt.Sprintf("%s:%d", path, doc.Line(f))); err != nil {
			return doc.Errorf(joinField(f, fieldOf(err)), "%s", msgOf(err))
		}
	}
	for i, t := range tf.Websites {
		f := fmt.Sprintf("websites[%d]", i)
		if err := s.loadWebsiteErr(t, path, doc.Line(f)); err != nil {
			return doc.Errorf(joinField(f, fieldOf(err)), "%s", msgOf(err))
		}
	}
	return nil
}

func (s *targetSet) loadWebsiteErr(t WebsiteTarget, path string, line int) error {
	return s.addWebsite(t, fmt.Sprintf("%s:%d", path, line))
}

// Column aliases accepted in CSV headers (CMDB exports often use Chinese).
var csvAliases = map[string]string{
	"hostname": "host", "name": "host", "主机": "host", "主机名": "host",
	"ip": "address", "addr": "address", "地址": "address", "ip地址": "address",
	"使用单位": "unit", "单位": "unit",
	"云服务商": "provider", "服务商": "provider",
	"系统": "system", "业务系统": "system",
	"站点": "site", "机房": "site",
	"线路": "path",
	"网址": "url", "域名": "url",
}

func (s *targetSet) loadCSV(path string, data []byte) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 BOM from spreadsheets
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1
	cerr := func(line int, field, format string, a ...any) error {
		return &config.Error{File: path, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil // empty file: no targets
	}
	if err != nil {
		return csvErr(path, err)
	}
	hline, _ := r.FieldPos(0)
	cols := make([]string, len(header))
	kind := ""
	for i, h := range header {
		c := strings.ToLower(strings.TrimSpace(h))
		if a, ok := csvAliases[c]; ok {
			c = a
		}
		if !knownColumn(c) {
			return cerr(hline, "", "unknown column %q", h)
		}
		for _, prev := range cols[:i] {
			if prev == c {
				return cerr(hline, "", "duplicate column %q", h)
			}
		}
		cols[i] = c
		switch c {
		case "host":
			kind = "host"
		case "url":
			kind = "website"
		}
	}
	hasHost, hasURL := contains(cols, "host"), contains(cols, "url")
	if hasHost == hasURL {
		return cerr(hline, "", "header needs a host column (hosts) or a url column (websites), not both")
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return csvErr(path, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(cols) {
			return cerr(line, "", "%d fields, header has %d", len(rec), len(cols))
		}
		where := fmt.Sprintf("%s:%d", path, line)
		if kind == "host" {
			var t HostTarget
			for i, c := range cols {
				if err := setHostField(&t, c, strings.TrimSpace(rec[i])); err != nil {
					return cerr(line, c, "%v", err)
				}
			}
			if err := s.addHost(t, where); err != nil {
				return cerr(line, fieldOf(err), "%s", msgOf(err))
			}
		} else {
			var t WebsiteTarget
			for i, c := range cols {
				if err := setWebsiteField(&t, c, strings.TrimSpace(rec[i])); err != nil {
					return cerr(line, c, "%v", err)
				}
			}
			if err := s.addWebsite(t, where); err != nil {
				return cerr(line, fieldOf(err), "%s", msgOf(err))
			}
		}
	}
}

func csvErr(path string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &config.Error{File: path, Line: pe.Line, Msg: pe.Err.Error()}
	}
	return &config.Error{File: path, Msg: err.Error()}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

var hostColumns = []string{"host", "address", "unit", "provider", "system", "site", "path", "interval", "timeout", "icmp", "tcp_ports", "up_when", "down_after", "up_after", "burst", "burst_spacing"}
var websiteColumns = []string{"url", "system", "unit", "provider", "site", "path", "interval", "timeout", "method", "valid_status", "body_regexp", "slow", "follow_redirects", "max_redirects", "ca_file", "insecure_skip_verify", "down_after", "up_after", "recheck_delay"}

func knownColumn(c string) bool { return contains(hostColumns, c) || contains(websiteColumns, c) }

func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ';' || r == '|' || r == ',' })
}

func csvDuration(v string, d *Duration) error {
	if v == "" {
		return nil
	}
	x, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("invalid duration %q", v)
	}
	*d = Duration(x)
	return nil
}

func csvInt(v string, d *int) error {
	if v == "" {
		return nil
	}
	x, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("invalid number %q", v)
	}
	*d = x
	return nil
}

func csvBool(v string, d **bool) error {
	if v == "" {
		return nil
	}
	switch strings.ToLower(v) {
	case "1", "true", "yes", "y", "on", "是":
		*d = ptr(true)
	case "0", "false", "no", "n", "off", "否":
		*d = ptr(false)
	default:
		return fmt.Errorf("invalid boolean %q", v)
	}
	return nil
}

func setHostField(t *HostTarget, c, v string) error {
	switch c {
	case "host":
		t.Host = v
	case "address":
		t.Address = v
	case "unit":
		t.Unit = v
	case "provider":
		t.Provider = v
	case "system":
		t.System = v
	case "site":
		t.Site = v
	case "path":
		t.Path = v
	case "interval":
		return csvDuration(v, &t.Interval)
	case "timeout":
		return csvDuration(v, &t.Timeout)
	case "icmp":
		return csvBool(v, &t.ICMP)
	case "tcp_ports":
		if v == "" {
			return nil
		}
		t.TCPPorts = []int{}
		for _, p := range splitList(v) {
			n, err := strconv.Atoi(p)
			if err != nil {
				return fmt.Errorf("invalid port %q", p)
			}
			t.TCPPorts = append(t.TCPPorts, n)
		}
	case "up_when":
		t.UpWhen = v
	case "down_after":
		return csvInt(v, &t.DownAfter)
	case "up_after":
		return csvInt(v, &t.UpAfter)
	case "burst":
		return csvInt(v, &t.Burst)
	case "burst_spacing":
		return csvDuration(v, &t.BurstSpacing)
	default:
		if v != "" {
			return fmt.Errorf("column not used for hosts")
		}
	}
	return nil
}

func setWebsiteField(t *WebsiteTarget, c, v string) error {
	switch c {
	case "url":
		t.URL = v
	case "unit":
		t.Unit = v
	case "provider":
		t.Provider = v
	case "system":
		t.System = v
	case "site":
		t.Site = v
	case "path":
		t.Path = v
	case "interval":
		return csvDuration(v, &t.Interval)
	case "timeout":
		return csvDuration(v, &t.Timeout)
	case "method":
		t.Method = v
	case "valid_status":
		if v != "" {
			t.ValidStatus = splitList(v)
		}
	case "body_regexp":
		t.BodyRegexp = v
	case "slow":
		return csvDuration(v, &t.Slow)
	case "follow_redirects":
		return csvBool(v, &t.FollowRedirects)
	case "max_redirects":
		return csvInt(v, &t.MaxRedirects)
	case "ca_file":
		t.CAFile = v
	case "insecure_skip_verify":
		return csvBool(v, &t.InsecureSkipVerify)
	case "down_after":
		return csvInt(v, &t.DownAfter)
	case "up_after":
		return csvInt(v, &t.UpAfter)
	case "recheck_delay":
		return csvDuration(v, &t.RecheckDelay)
	default:
		if v != "" {
			return fmt.Errorf("column not used for websites")
		}
	}
	return nil
}
