package main

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzTargetCSV: any CSV input, read as UTF-8 or as csv_encoding: gbk, gives
// targets or an error located in the file, never a panic; every label of
// every loaded target is valid UTF-8 (a label that is not would fail every
// scrape of the exporter) and no url label carries userinfo.
func FuzzTargetCSV(f *testing.F) {
	f.Add([]byte("host,address,unit,tcp_ports\nh1,127.0.0.1,u,22 443\n"))
	f.Add([]byte("\ufeff主机,IP地址\n# c\nh,::1\n"))
	f.Add([]byte("url,valid_status,interval\nhttp://x/,200-299,30s\n"))
	f.Add([]byte("host,address\n\"h1,127.0.0.1\n"))
	// Hostile input (issue 22): GBK cells, invalid UTF-8, credentials in
	// URLs, IPv4-mapped addresses, duplicates, non-positive durations.
	f.Add([]byte("host,address,unit\nweb-02,127.0.0.2," + gbkUnit + "\n"))
	f.Add([]byte("\xd6\xf7\xbb\xfa,IP\xb5\xd8\xd6\xb7\nh,10.0.0.1\n"))
	f.Add([]byte("url,unit\n\"http://u:p@127.0.0.1/\",\xff\xfe\n"))
	f.Add([]byte("url,unit\nhttp://u:p@127.0.0.1/,a\nhttp://127.0.0.1/,b\n"))
	f.Add([]byte("host,address,unit\nh,::ffff:10.0.0.1,a\nh,10.0.0.1,b\n"))
	f.Add([]byte("host,address,interval,burst_spacing\nh,10.0.0.1,-5s,0s\n"))
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, enc := range []string{"", "gbk"} {
			cfg := &Config{CSVEncoding: enc}
			set := newTargetSet(cfg, base)
			d, err := decodeCSV("t.csv", data, enc)
			if err == nil {
				err = set.loadCSV("t.csv", d)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "t.csv") {
					t.Fatalf("error not located in the file: %q", err)
				}
				continue
			}
			for _, h := range set.hosts {
				for _, l := range h.labels {
					if !utf8.ValidString(l) {
						t.Fatalf("host label %q is not UTF-8 (encoding %q)", l, enc)
					}
				}
			}
			for _, w := range set.websites {
				for _, l := range w.labels {
					if !utf8.ValidString(l) {
						t.Fatalf("website label %q is not UTF-8 (encoding %q)", l, enc)
					}
				}
				if u, err := url.Parse(w.labels[0]); err != nil || u.User != nil {
					t.Fatalf("url label %q carries userinfo or does not parse (%v)", w.labels[0], err)
				}
			}
		}
	})
}
