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
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/redact"
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
		var ue *url.Error
		if errors.As(err, &ue) { // its message quotes the URL, password included
			return nil, fmt.Errorf("%q: %v", redactURL(s), ue.Err)
		}
		return nil, fmt.Errorf("%q: invalid URL", redactURL(s))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q has no host", redactURL(s))
	}
	return u, nil
}

// redactURL is the URL for messages and the /config page: the userinfo
// password and the query values masked (internal/redact), also when the
// URL does not parse.
func redactURL(s string) string { return redact.URL(s) }

// labelURL is the url label of a website: the URL as written, without its
// userinfo (a password changes nothing in the series and must not be
// published). Only the userinfo is cut, so the labels of URLs without
// credentials stay exactly as written (counters continue across versions).
func labelURL(raw string, u *url.URL) string {
	if u.User == nil {
		return raw
	}
	i := strings.Index(raw, "://")
	if i < 0 {
		c := *u
		c.User = nil
		return c.String()
	}
	auth := raw[i+3:]
	if j := strings.IndexAny(auth, "/?#"); j >= 0 {
		auth = auth[:j]
	}
	at := strings.LastIndex(auth, "@")
	if at < 0 {
		c := *u
		c.User = nil
		return c.String()
	}
	return raw[:i+3] + raw[i+3+at+1:]
}

// identityURL is the URL as the far end sees it, for duplicate detection:
// no userinfo, scheme and host in lower case.
func identityURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.Scheme = strings.ToLower(c.Scheme)
	c.Host = strings.ToLower(c.Host)
	return c.String()
}

// checkHeaders rejects header names and values net/http would refuse on
// every probe (the site would be confirmed down and charged to its
// provider): names must be RFC 9110 tokens, values must not contain CR, LF
// or other control characters. Values are secrets and never quoted.
func checkHeaders(h map[string]config.Secret) error {
	if len(h) > maxHeaders {
		return ferr("headers", "%d headers, at most %d", len(h), maxHeaders)
	}
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if k == "" {
			return ferr("headers", "empty header name")
		}
		for i := 0; i < len(k); i++ {
			if !isTokenChar(k[i]) {
				return ferr("headers", "header name %q: character %q not allowed (no spaces, colons or control characters)", k, k[i])
			}
		}
		v := h[k].Value()
		if len(k)+len(v) > maxHeaderBytes {
			return ferr("headers", "header %q: longer than %d bytes", k, maxHeaderBytes)
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
				return ferr("headers", "value of header %q contains a control character (CR, LF, NUL…) at byte %d", k, i+1)
			}
		}
		if !utf8.ValidString(v) {
			return ferr("headers", "value of header %q is not valid UTF-8", k)
		}
	}
	return nil
}

// isTokenChar: tchar of RFC 9110 §5.6.2.
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// targetSet collects validated targets from all sources.
type targetSet struct {
	cfg      *Config
	base     string
	hosts    []*hostSpec
	websites []*websiteSpec
	seen     map[string]string // id → where first defined
	// ident: the far end of a target (host name and address, or URL
	// without userinfo) → where first defined; the same far end under
	// two units or systems would be counted twice.
	ident             map[string]string
	nHosts, nWebsites int // kept after sharding

	skippedHosts, skippedWebsites int
}

func newTargetSet(cfg *Config, base string) *targetSet {
	return &targetSet{cfg: cfg, base: base, seen: map[string]string{}, ident: map[string]string{}}
}

func (s *targetSet) addHost(t HostTarget, where string) error {
	h, err := buildHost(t, s.cfg.Defaults.Host, s.base)
	if err != nil {
		return err
	}
	if first, dup := s.seen["h"+h.id]; dup {
		return ferr("host", "duplicate host %s (%s), first defined at %s", t.Host, h.addr, first)
	}
	key := "h" + h.labels[0] + "\xff" + h.addr
	if first, dup := s.ident[key]; dup {
		return ferr("host", "host %s (%s) is already defined at %s with other labels (unit, provider, system…); each far end once, or it is counted twice", h.labels[0], h.addr, first)
	}
	s.seen["h"+h.id] = where
	s.ident[key] = where
	if !s.cfg.shard.keep("host", t.Host+"\xff"+h.addr) {
		s.skippedHosts++
		return nil
	}
	if s.nHosts++; s.nHosts > maxHosts {
		return ferr("host", "more than %d hosts in one instance; split the list with --shard=i/n", maxHosts)
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
		return ferr("url", "duplicate website %s, first defined at %s", w.labels[0], first)
	}
	key := "w" + w.identity
	if first, dup := s.ident[key]; dup {
		return ferr("url", "website %s is already defined at %s (with other labels or credentials); each site once, or it is counted twice", w.labels[0], first)
	}
	s.seen["w"+w.id] = where
	s.ident[key] = where
	if !s.cfg.shard.keep("website", t.URL) {
		s.skippedWebsites++
		return nil
	}
	if s.nWebsites++; s.nWebsites > maxWebsites {
		return ferr("url", "more than %d websites in one instance; split the list with --shard=i/n", maxWebsites)
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
		data, err := readBounded(path)
		if err != nil {
			return err
		}
		if data, err = decodeCSV(path, data, s.cfg.CSVEncoding); err != nil {
			return err
		}
		return s.loadCSV(path, data)
	default:
		return &config.Error{File: path, Msg: "unknown target file type (want .yml, .yaml or .csv)"}
	}
}

// readBounded reads a target file of at most maxTargetFileBytes.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &config.Error{File: path, Msg: err.Error()}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTargetFileBytes+1))
	if err != nil {
		return nil, &config.Error{File: path, Msg: err.Error()}
	}
	if len(data) > maxTargetFileBytes {
		return nil, &config.Error{File: path, Msg: fmt.Sprintf("larger than %d MiB; split the list over several files or instances", maxTargetFileBytes>>20)}
	}
	return data, nil
}

// decodeCSV converts a CSV target file to UTF-8 (csv_encoding gbk or
// gb18030) or checks that it is UTF-8. A cell that is not UTF-8 would end
// up in a label value that Prometheus refuses, failing the whole scrape:
// it is an error naming the line and column.
func decodeCSV(path string, data []byte, enc string) ([]byte, error) {
	switch strings.ToLower(enc) {
	case "gbk", "gb18030":
		// GB18030 is a superset of GBK; its decoder also maps the bytes
		// GBK leaves undefined instead of failing.
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
		if err != nil {
			return nil, &config.Error{File: path, Msg: fmt.Sprintf("not valid %s: %v", enc, err)}
		}
		data = out
	}
	if utf8.Valid(data) {
		return data, nil
	}
	pos := 0
	for pos < len(data) {
		r, n := utf8.DecodeRune(data[pos:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		pos += n
	}
	line := 1 + bytes.Count(data[:pos], []byte("\n"))
	start := bytes.LastIndexByte(data[:pos], '\n') + 1
	col := 1 + utf8.RuneCount(data[start:pos])
	field := csvFieldAt(data, start, pos)
	return nil, &config.Error{File: path, Line: line, Msg: fmt.Sprintf(
		"column %d (%s, byte 0x%02X): not valid UTF-8; save the file as \"CSV UTF-8\" or set csv_encoding: gbk in the main configuration",
		col, field, data[pos])}
}

// csvFieldAt names the CSV field (number and header) that contains pos,
// whose line starts at start (quotes spanning lines are not followed).
func csvFieldAt(data []byte, start, pos int) string {
	n, quoted := 1, false
	for _, c := range data[start:pos] {
		switch {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			n++
		}
	}
	hdr, _, _ := bytes.Cut(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), []byte("\n"))
	cols := strings.Split(strings.TrimRight(string(hdr), "\r"), ",")
	if start > 0 && n <= len(cols) && utf8.ValidString(cols[n-1]) {
		return fmt.Sprintf("field %d %q", n, strings.TrimSpace(cols[n-1]))
	}
	return fmt.Sprintf("field %d", n)
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
	x, err := parseDuration(v)
	if err != nil {
		return err
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
