package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// gbkUnit is "测试单位" as an Excel export of Chinese Windows writes it (GBK).
const gbkUnit = "\xb2\xe2\xca\xd4\xb5\xa5\xce\xbb"

// loadErr writes the main config and the given files into a new directory,
// loads it and returns the error with the directory replaced by DIR.
func loadErr(t *testing.T, main string, files map[string]string) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "uptime.yml"), main)
	for name, body := range files {
		mkdir(t, filepath.Dir(filepath.Join(dir, name)))
		writeFile(t, filepath.Join(dir, name), body)
	}
	cfg, err := loadConfig(filepath.Join(dir, "uptime.yml"), shard{0, 1})
	if err != nil {
		return nil, strings.ReplaceAll(err.Error(), dir+"/", "DIR/")
	}
	return cfg, ""
}

// TestHostile_NonUTF8CSV: one GBK cell in a CSV target file is refused at
// load (also by --config.check) with file, line, column and field; with
// csv_encoding: gbk the same file loads with the right Chinese labels.
// (The exposition side, a real Prometheus scraping the exporter, is
// TestHostile_NonUTF8CSVPrometheus; the guard of every exporter's
// exposition is internal/constmetric TestHostile_NonUTF8LabelValue.)
func TestHostile_NonUTF8CSV(t *testing.T) {
	csv := "host,address,unit,icmp,tcp_ports\nweb-01,127.0.0.1,ok,no,22\nweb-02,127.0.0.2," + gbkUnit + ",no,22\n"
	tests := []struct {
		name, main, file, body string
		want                   string // error substring; "" = loads
		unit                   string // unit label of web-02 when it loads
	}{
		{"gbk cell refused", "target_files: [hosts.csv]\n", "hosts.csv", csv,
			`DIR/hosts.csv:3: column 18 (field 3 "unit", byte 0xB2): not valid UTF-8; save the file as "CSV UTF-8" or set csv_encoding: gbk`, ""},
		{"gbk in a quoted field with BOM", "target_files: [hosts.csv]\n", "hosts.csv", "\ufeffhost,address,unit,icmp,tcp_ports\n\"web-03\",\"127.0.0.3\",\"x" + gbkUnit + "\",no,22\n",
			`DIR/hosts.csv:2: column 24 (field 3 "unit", byte 0xB2): not valid UTF-8`, ""},
		{"gbk in the header", "target_files: [hosts.csv]\n", "hosts.csv", "host,address," + gbkUnit + "\n",
			`DIR/hosts.csv:1: column 14 (field 3, byte 0xB2)`, ""},
		{"csv_encoding gbk", "csv_encoding: gbk\ntarget_files: [hosts.csv]\n", "hosts.csv", csv, "", "测试单位"},
		{"csv_encoding gb18030", "csv_encoding: GB18030\ntarget_files: [hosts.csv]\n", "hosts.csv", csv, "", "测试单位"},
		{"csv_encoding unknown", "csv_encoding: big5\ntarget_files: [hosts.csv]\n", "hosts.csv", csv, `DIR/uptime.yml:1: csv_encoding: must be utf-8, gbk or gb18030, not "big5"`, ""},
		{"yaml target file not UTF-8", "target_files: [a.yml]\n", "a.yml", "hosts:\n  - {host: a, address: 127.0.0.1, unit: " + gbkUnit + ", icmp: false, tcp_ports: [22]}\n", "DIR/a.yml", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadErr(t, tc.main, map[string]string{tc.file: tc.body})
			if tc.want != "" {
				if !strings.Contains(err, tc.want) {
					t.Fatalf("error %q\n does not contain %q", err, tc.want)
				}
				if !utf8.ValidString(err) {
					t.Errorf("the error message itself is not UTF-8: %q", err)
				}
				return
			}
			if err != "" {
				t.Fatal(err)
			}
			if got := cfg.hosts[1].labels[2]; got != tc.unit {
				t.Errorf("unit %q, want %q", got, tc.unit)
			}
		})
	}

	t.Run("config.check exits 1", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "uptime.yml"), "target_files: [hosts.csv]\n")
		writeFile(t, filepath.Join(dir, "hosts.csv"), csv)
		if code := newApp().Run(t.Context(), []string{"--config.file=" + filepath.Join(dir, "uptime.yml"), "--config.check", "--log.level=error"}); code != 1 {
			t.Errorf("--config.check exit code %d, want 1", code)
		}
	})
}

// TestHostile_HeaderInjection: a CR/LF in a header value, a space or colon
// in a header name are refused at load with file:line and the header name;
// the (secret) value never appears in the message.
func TestHostile_HeaderInjection(t *testing.T) {
	tests := []struct {
		name, headers, want string
	}{
		{"crlf in value", `{X-Token: "abc\r\nX-Evil: 1"}`, `DIR/a.yml:4: websites[0].headers: value of header "X-Token" contains a control character (CR, LF, NUL…) at byte 4`},
		{"lf in value", `{X-Token: "abc\ndef"}`, `value of header "X-Token" contains a control character`},
		{"nul in value", `{X-Token: "abc\0"}`, `value of header "X-Token" contains a control character`},
		{"space in name", `{"X Token": abc}`, `DIR/a.yml:4: websites[0].headers: header name "X Token": character ' ' not allowed`},
		{"colon in name", `{"X-Token:": abc}`, `header name "X-Token:": character ':' not allowed`},
		{"crlf in name", `{"X-Token\r\nX-Evil": abc}`, `header name "X-Token\r\nX-Evil": character '\r' not allowed`},
		{"empty name", `{"": abc}`, `empty header name`},
		{"too long", `{X-Token: "` + strings.Repeat("a", 9000) + `"}`, `header "X-Token": longer than 8192 bytes`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadErr(t, "target_files: [a.yml]\n", map[string]string{"a.yml": "websites:\n  - url: http://127.0.0.1/\n    unit: u\n    headers: " + tc.headers + "\n"})
			if !strings.Contains(err, tc.want) {
				t.Fatalf("error %q\n does not contain %q", err, tc.want)
			}
			if strings.Contains(err, "abc") {
				t.Errorf("header value in the message: %s", err)
			}
		})
	}
	t.Run("defaults", func(t *testing.T) {
		_, err := loadErr(t, "defaults:\n  website:\n    headers: {\"X Token\": abc}\n", nil)
		if !strings.Contains(err, `DIR/uptime.yml:3: defaults.website.headers: header name "X Token"`) {
			t.Fatalf("error %q", err)
		}
	})
	t.Run("valid headers load", func(t *testing.T) {
		if _, err := loadErr(t, "websites:\n  - url: http://127.0.0.1/\n    headers: {X-Api-Key: \"k\\tv\", Host: www.example.gov.cn, \"x~y!#\": v}\n", nil); err != "" {
			t.Fatal(err)
		}
	})
}

// TestHostile_WorkerBounds: http_workers and tcp_workers are bounded (the
// workers are goroutines started at once: 100 000 000 would exhaust memory).
func TestHostile_WorkerBounds(t *testing.T) {
	tests := []struct{ main, want string }{
		{"http_workers: 100000000\n", "DIR/uptime.yml:1: http_workers: must be between 1 and 1024, not 100000000"},
		{"tcp_workers: 100000000\n", "DIR/uptime.yml:1: tcp_workers: must be between 1 and 4096, not 100000000"},
		{"tcp_workers: -1\n", "DIR/uptime.yml:1: tcp_workers: must be between 1 and 4096, not -1"},
		{"http_workers: 1024\ntcp_workers: 4096\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.main, func(t *testing.T) {
			_, err := loadErr(t, tc.main, nil)
			if tc.want == "" && err != "" || !strings.Contains(err, tc.want) {
				t.Fatalf("error %q, want %q", err, tc.want)
			}
		})
	}
}

// TestHostile_NonPositiveDurations: zero and negative durations are refused
// with file:line, in YAML and CSV (zero used to mean "the default" and
// negative ones slipped through, e.g. recheck_delay); dns_refresh is a
// line_exporter setting and an unknown field here.
func TestHostile_NonPositiveDurations(t *testing.T) {
	tests := []struct{ name, main, file, body, want string }{
		{"dns_refresh", "dns_refresh: -5s\n", "", "", "DIR/uptime.yml:1: field dns_refresh not found"},
		{"negative recheck_delay", "defaults:\n  website: {recheck_delay: -5s}\n", "", "", `DIR/uptime.yml:2: duration "-5s" must be positive`},
		{"zero interval", "hosts:\n  - {host: a, address: 127.0.0.1, interval: 0s}\n", "", "", `DIR/uptime.yml:2: duration "0s" must be positive`},
		{"negative burst_spacing", "target_files: [a.yml]\n", "a.yml", "hosts:\n  - host: a\n    address: 127.0.0.1\n    burst_spacing: -1ms\n", `DIR/a.yml:4: duration "-1ms" must be positive`},
		{"negative slow", "target_files: [a.yml]\n", "a.yml", "websites:\n  - url: http://127.0.0.1/\n    slow: -1s\n", `DIR/a.yml:3: duration "-1s" must be positive`},
		{"csv negative timeout", "target_files: [h.csv]\n", "h.csv", "host,address,timeout\na,127.0.0.1,-5s\n", `DIR/h.csv:2: timeout: duration "-5s" must be positive`},
		{"csv zero recheck_delay", "target_files: [w.csv]\n", "w.csv", "url,recheck_delay\nhttp://127.0.0.1/,0s\n", `DIR/w.csv:2: recheck_delay: duration "0s" must be positive`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{}
			if tc.file != "" {
				files[tc.file] = tc.body
			}
			_, err := loadErr(t, tc.main, files)
			if !strings.Contains(err, tc.want) {
				t.Fatalf("error %q\n does not contain %q", err, tc.want)
			}
		})
	}
}

// TestHostile_DuplicateAcrossUnits: the same host (name and address) or
// the same URL under two units, systems or credentials would be counted
// twice: refused, naming both places.
func TestHostile_DuplicateAcrossUnits(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"host in two units, two files", map[string]string{
			"a.csv": "host,address,unit\nweb-01,10.0.0.1,市卫健委\n",
			"b.yml": "hosts:\n  - {host: web-01, address: 10.0.0.1, unit: 市教育局}\n"},
			"DIR/b.yml:2: hosts[0].host: host web-01 (10.0.0.1) is already defined at DIR/a.csv:2 with other labels"},
		{"host in two systems, one file", map[string]string{
			"a.csv": "host,address,unit,system\nweb-01,10.0.0.1,u,oa\n# moved\nweb-01,10.0.0.1,u,mail\n"},
			"DIR/a.csv:4: host: host web-01 (10.0.0.1) is already defined at DIR/a.csv:2"},
		{"url in two units", map[string]string{
			"a.yml": "websites:\n  - {url: https://www.example.gov.cn/, unit: a}\n  - {url: https://www.example.gov.cn/, unit: b}\n"},
			"DIR/a.yml:3: websites[1].url: website https://www.example.gov.cn/ is already defined at DIR/a.yml:2"},
		{"url with other credentials", map[string]string{
			"a.yml": "websites:\n  - {url: \"https://u1:p1@www.example.gov.cn/\"}\n  - {url: \"https://u2:p2@WWW.example.gov.cn/\"}\n"},
			"DIR/a.yml:3: websites[1].url: website https://WWW.example.gov.cn/ is already defined at DIR/a.yml:2 (with other labels or credentials)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadErr(t, fmt.Sprintf("target_files: [%s]\n", strings.Join(sortedKeys(tc.files), ", ")), tc.files)
			if !strings.Contains(err, tc.want) {
				t.Fatalf("error %q\n does not contain %q", err, tc.want)
			}
			if strings.Contains(err, "p1") || strings.Contains(err, "p2") {
				t.Errorf("password in the message: %s", err)
			}
		})
	}
	t.Run("same address under other host names is allowed", func(t *testing.T) {
		if _, err := loadErr(t, "hosts:\n  - {host: a, address: 127.0.0.1, icmp: false, tcp_ports: [22]}\n  - {host: b, address: 127.0.0.1, icmp: false, tcp_ports: [80]}\n", nil); err != "" {
			t.Fatal(err)
		}
	})
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// TestHostile_IPv4MappedDuplicate: ::ffff:10.0.0.1 is 10.0.0.1; the same far
// end written both ways is a duplicate, and its labels use the plain form.
func TestHostile_IPv4MappedDuplicate(t *testing.T) {
	tests := []struct{ name, hosts, want string }{
		{"address", "  - {host: db, address: 10.0.0.1}\n  - {host: db, address: \"::ffff:10.0.0.1\"}\n",
			"DIR/uptime.yml:3: hosts[1].host: duplicate host db (10.0.0.1), first defined at DIR/uptime.yml:2"},
		{"address in other unit", "  - {host: db, address: 10.0.0.1, unit: a}\n  - {host: db, address: \"::FFFF:10.0.0.1\", unit: b}\n",
			"DIR/uptime.yml:3: hosts[1].host: host db (10.0.0.1) is already defined at DIR/uptime.yml:2"},
		{"host name is the address", "  - {host: 10.0.0.1}\n  - {host: \"::ffff:10.0.0.1\"}\n",
			"DIR/uptime.yml:3: hosts[1].host: duplicate host ::ffff:10.0.0.1 (10.0.0.1), first defined at DIR/uptime.yml:2"},
		{"host name mapped, address plain", "  - {host: \"::ffff:10.0.0.1\", address: 10.0.0.1, unit: a}\n  - {host: 10.0.0.1, unit: b}\n",
			"DIR/uptime.yml:3: hosts[1].host: host 10.0.0.1 (10.0.0.1) is already defined at DIR/uptime.yml:2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadErr(t, "hosts:\n"+tc.hosts, nil)
			if !strings.Contains(err, tc.want) {
				t.Fatalf("error %q\n does not contain %q", err, tc.want)
			}
		})
	}
	cfg, err := loadErr(t, "hosts:\n  - {host: \"::ffff:10.0.0.1\"}\n", nil)
	if err != "" {
		t.Fatal(err)
	}
	if l := cfg.hosts[0].labels; l[0] != "10.0.0.1" || l[1] != "10.0.0.1" {
		t.Errorf("labels %q, want host and address 10.0.0.1", l[:2])
	}
}

// TestHostile_ScaleBounds: above warnHosts hosts an instance logs a
// warning; above maxHosts the list is refused (--shard splits it); a target
// file above maxTargetFileBytes is refused before it is parsed.
func TestHostile_ScaleBounds(t *testing.T) {
	hostsCSV := func(n int) string {
		var b strings.Builder
		b.WriteString("host,address\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "vm-%06d,10.%d.%d.%d\n", i, i>>16&255, i>>8&255, i&255)
		}
		return b.String()
	}
	t.Run("refused above maxHosts", func(t *testing.T) {
		_, err := loadErr(t, "target_files: [h.csv]\n", map[string]string{"h.csv": hostsCSV(maxHosts + 1)})
		want := fmt.Sprintf("DIR/h.csv:%d: host: more than %d hosts in one instance; split the list with --shard=i/n", maxHosts+2, maxHosts)
		if !strings.Contains(err, want) {
			t.Fatalf("error %q\n does not contain %q", err, want)
		}
	})
	t.Run("sharded list under the bound loads", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "uptime.yml"), "target_files: [h.csv]\n")
		writeFile(t, filepath.Join(dir, "h.csv"), hostsCSV(maxHosts+1))
		cfg, err := loadConfig(filepath.Join(dir, "uptime.yml"), shard{0, 2})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(cfg.hosts); n > maxHosts || n < maxHosts/3 {
			t.Errorf("%d hosts in shard 0/2", n)
		}
	})
	t.Run("warning above warnHosts", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "uptime.yml"), "defaults:\n  host: {interval: 1h, timeout: 1s}\ntarget_files: [h.csv]\n")
		writeFile(t, filepath.Join(dir, "h.csv"), hostsCSV(warnHosts+1))
		var logs bytes.Buffer
		s, err := newService(slog.New(slog.NewTextHandler(&logs, nil)), prometheus.NewRegistry(),
			options{shard: shard{0, 1}, noWatch: true, newPinger: func() (pinger, error) { return newFakePinger(), nil }})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Stop()
		cfg, err := s.Load(filepath.Join(dir, "uptime.yml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Apply(s.ctx, cfg); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "level=WARN msg=\"more targets than the tested scale") || !strings.Contains(logs.String(), "hosts=10001 tested_hosts=10000") {
			t.Errorf("no scale warning in\n%s", logs.String())
		}
	})
	t.Run("target file too large", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "uptime.yml"), "target_files: [h.csv]\n")
		f, err := os.Create(filepath.Join(dir, "h.csv"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(maxTargetFileBytes + 1); err != nil {
			t.Fatal(err)
		}
		f.Close()
		_, err = loadConfig(filepath.Join(dir, "uptime.yml"), shard{0, 1})
		if err == nil || !strings.Contains(err.Error(), "h.csv: larger than 64 MiB") {
			t.Fatalf("error %v", err)
		}
	})
}

// TestHostile_URLLabel: the url label is the URL as written minus its
// userinfo; URLs without credentials keep their label byte for byte.
func TestHostile_URLLabel(t *testing.T) {
	tests := []struct{ url, label string }{
		{"https://probe:S3cret@www.example.gov.cn/", "https://www.example.gov.cn/"},
		{"http://probe@127.0.0.1:8080/x?y=1", "http://127.0.0.1:8080/x?y=1"},
		{"HTTPS://u:p@WWW.Example.gov.cn/政务", "HTTPS://WWW.Example.gov.cn/政务"},
		{"https://u:p%40x@h/", "https://h/"},
		{"http://h/path@x", "http://h/path@x"},
		{"https://www.example.gov.cn/政务?a=b#c", "https://www.example.gov.cn/政务?a=b#c"},
	}
	for _, tc := range tests {
		u, err := parseURL(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := labelURL(tc.url, u); got != tc.label {
			t.Errorf("labelURL(%q) = %q, want %q", tc.url, got, tc.label)
		}
	}
}
