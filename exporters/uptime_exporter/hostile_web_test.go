package main

import (
	"context"
	"encoding/base64"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/config"
	"github.com/jianguan/jianguan/internal/testutil/hostilehttp"
)

// TestHostile_Websites: hostile and broken sites (internal/testutil/
// hostilehttp) give the right reason within the timeout and bounded reads.
func TestHostile_Websites(t *testing.T) {
	plain := hostilehttp.Start(t)
	other := hostilehttp.Start(t)
	selfSigned := hostilehttp.StartTLS(t, hostilehttp.TLSSelfSigned)
	expired := hostilehttp.StartTLS(t, hostilehttp.TLSExpired)
	garbage := hostilehttp.StartTLS(t, hostilehttp.TLSGarbage)
	hang := hostilehttp.StartTLS(t, hostilehttp.TLSHang)
	short := WebsiteSettings{Timeout: Duration(600 * time.Millisecond), Interval: Duration(time.Second)}
	with := func(f func(*WebsiteSettings)) WebsiteSettings { s := short; f(&s); return s }
	tests := []struct {
		name      string
		url       string
		settings  WebsiteSettings
		ok        bool
		reason    string
		status    int
		content   int
		verifyErr string
	}{
		{name: "2 MiB response headers", url: plain.URL + "/huge-headers", settings: short, reason: "headers_too_large", content: -1},
		{name: "slow-loris headers", url: plain.URL + "/slow-headers", settings: short, reason: "timeout", content: -1},
		{name: "slow-loris body", url: plain.URL + "/slow-body", settings: short, reason: "timeout", status: 200, content: -1},
		{name: "slow-loris body with body_regexp", url: plain.URL + "/slow-body", settings: with(func(s *WebsiteSettings) { s.BodyRegexp = "a" }), reason: "timeout", status: 200, content: -1},
		{name: "endless body read up to body_limit", url: plain.URL + "/endless-body", settings: with(func(s *WebsiteSettings) { s.BodyLimit = 256 << 10 }), ok: true, status: 200, content: -1},
		{name: "endless body matched in body_limit", url: plain.URL + "/endless-body", settings: with(func(s *WebsiteSettings) { s.BodyRegexp = "endless"; s.BodyLimit = 64 << 10 }), ok: true, status: 200, content: 1},
		{name: "endless body not matched", url: plain.URL + "/endless-body", settings: with(func(s *WebsiteSettings) { s.BodyRegexp = "欢迎"; s.BodyLimit = 64 << 10 }), reason: "content", status: 200, content: 0},
		{name: "redirect to another host", url: plain.URL + "/redirect?to=" + url.QueryEscape(other.URL+"/landed"), settings: short, ok: true, status: 200, content: -1},
		{name: "tls garbage", url: garbage.URL + "/", settings: short, reason: "tls", content: -1},
		{name: "tls never answers", url: hang.URL + "/", settings: short, reason: "timeout", content: -1},
		{name: "tls self-signed", url: selfSigned.URL + "/", settings: short, reason: "tls", content: -1, verifyErr: "self_signed"},
		{name: "tls expired, insecure_skip_verify", url: expired.URL + "/", settings: with(func(s *WebsiteSettings) { s.InsecureSkipVerify = ptr(true) }), ok: true, status: 200, content: -1, verifyErr: "expired"},
	}
	p := newWebProber()
	defer p.close()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := mustWebsite(t, WebsiteTarget{URL: tc.url, WebsiteSettings: tc.settings})
			start := time.Now()
			res := p.probe(context.Background(), spec, p.newClient(spec))
			if el := time.Since(start); el > spec.timeout+500*time.Millisecond {
				t.Errorf("probe took %s, timeout %s", el, spec.timeout)
			}
			if res.ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%s: %s)", res.ok, tc.ok, reasonNames[res.reason], res.err)
			}
			if !tc.ok && reasonNames[res.reason] != tc.reason {
				t.Errorf("reason %s (%s), want %s", reasonNames[res.reason], res.err, tc.reason)
			}
			if res.status != tc.status || res.contentMatch != tc.content {
				t.Errorf("status %d content %d, want %d %d", res.status, res.contentMatch, tc.status, tc.content)
			}
			if tc.verifyErr != "" && (res.tls == nil || res.tls.verifyErr != tc.verifyErr) {
				t.Errorf("tls %+v, want verify error %s", res.tls, tc.verifyErr)
			}
		})
	}
}

// TestHostile_HugeResponseHeaders: 2 MiB of response headers are a failure
// of their own (reason headers_too_large, not connect: the server answered)
// and the probe reads at most maxResponseHeaderBytes of them. Measured: the
// bytes allocated by the whole process during the probe stay far below the
// 2 MiB sent.
func TestHostile_HugeResponseHeaders(t *testing.T) {
	srv := hostilehttp.Start(t)
	p := newWebProber()
	defer p.close()
	spec := mustWebsite(t, WebsiteTarget{URL: srv.URL + "/huge-headers", WebsiteSettings: WebsiteSettings{Timeout: Duration(2 * time.Second)}})
	client := p.newClient(spec)
	p.probe(context.Background(), spec, client) // warm up (TLS-free, but pools and the transport)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := p.probe(context.Background(), spec, client)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("probe of 2 MiB headers: %s, allocated %d KiB, server wrote %d KiB of headers", reasonNames[res.reason], alloc>>10, srv.HeaderBytesWritten()>>10)
	if res.ok || reasonNames[res.reason] != "headers_too_large" {
		t.Fatalf("ok %v reason %s (%s), want headers_too_large", res.ok, reasonNames[res.reason], res.err)
	}
	if alloc > 1<<20 {
		t.Errorf("allocated %d KiB during the probe, want < 1 MiB (headers bounded at %d KiB)", alloc>>10, maxResponseHeaderBytes>>10)
	}
	// The reason is exported as its own series.
	found := false
	for _, n := range reasonNames {
		found = found || n == "headers_too_large"
	}
	if !found {
		t.Error("reason headers_too_large not exported")
	}
}

// TestHostile_SecretHeadersCrossHostRedirect: custom headers (API keys),
// basic auth and URL credentials reach the configured host only; a redirect
// to another host name or from https to http drops them, a redirect on the
// same host keeps them.
func TestHostile_SecretHeadersCrossHostRedirect(t *testing.T) {
	a := hostilehttp.Start(t) // the configured site, reached as localhost
	b := hostilehttp.Start(t) // the other host, reached as 127.0.0.1
	tlsA := hostilehttp.StartTLS(t, hostilehttp.TLSSelfSigned)
	port := func(s *hostilehttp.Server) string { _, p, _ := strings.Cut(s.Addr, ":"); return p }
	aURL := "http://localhost:" + port(a)
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("probe:S3cretPw"))
	tests := []struct {
		name      string
		url       string
		basicAuth bool
		to        *hostilehttp.Server // where the redirect lands
		keep      bool                // secrets expected at the landing request
	}{
		{name: "other host, custom header and basic_auth", url: aURL + "/redirect?to=" + url.QueryEscape(b.URL+"/landed"), basicAuth: true, to: b},
		{name: "other host, URL credentials", url: "http://probe:S3cretPw@localhost:" + port(a) + "/redirect?to=" + url.QueryEscape(b.URL+"/landed"), to: b},
		{name: "https to http on the same host name", url: "https://localhost:" + port(tlsA) + "/redirect?to=" + url.QueryEscape(aURL+"/landed"), basicAuth: true, to: a},
		{name: "same host", url: aURL + "/redirect?to=" + url.QueryEscape(aURL+"/landed"), basicAuth: true, to: a, keep: true},
	}
	p := newWebProber()
	defer p.close()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws := WebsiteSettings{Headers: map[string]config.Secret{"X-Api-Key": "k-S3cret"}, InsecureSkipVerify: ptr(true)}
			if tc.basicAuth {
				ws.BasicAuth = &BasicAuth{Username: "probe", Password: "S3cretPw"}
			}
			spec := mustWebsite(t, WebsiteTarget{URL: tc.url, WebsiteSettings: ws})
			n := len(tc.to.Requests())
			res := p.probe(context.Background(), spec, p.newClient(spec))
			if !res.ok {
				t.Fatalf("probe failed: %s: %s", reasonNames[res.reason], res.err)
			}
			reqs := tc.to.Requests()
			if len(reqs) <= n {
				t.Fatal("the redirect did not land")
			}
			first := reqs[0]
			if tc.to == b || strings.HasPrefix(tc.url, "https") {
				// The configured host got the secrets.
				src := a
				if strings.HasPrefix(tc.url, "https") {
					src = tlsA
				}
				first = src.Requests()[len(src.Requests())-1]
				if first.Path != "/redirect" || first.Header.Get("X-Api-Key") != "k-S3cret" || first.Header.Get("Authorization") != basic {
					t.Errorf("configured host got %s %v, want the key and %s", first.Path, first.Header, basic)
				}
			}
			landed := reqs[len(reqs)-1]
			if landed.Path != "/landed" {
				t.Fatalf("last request %s", landed.Path)
			}
			gotKey, gotAuth := landed.Header.Get("X-Api-Key"), landed.Header.Get("Authorization")
			if tc.keep && (gotKey != "k-S3cret" || gotAuth != basic) {
				t.Errorf("same-host redirect lost the secrets: key %q auth %q", gotKey, gotAuth)
			}
			if !tc.keep && (gotKey != "" || gotAuth != "") {
				t.Errorf("secrets followed the redirect to %s: key %q auth %q", tc.to.URL, gotKey, gotAuth)
			}
		})
	}
}
