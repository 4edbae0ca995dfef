package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/config"
)

// testPKI is a CA with helpers to issue leaf certificates.
type testPKI struct {
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caFile string
}

var serial int64 = 100

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jianguan test CA"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(5 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	f := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return &testPKI{ca: ca, caKey: key, caFile: f}
}

// leaf issues a server certificate; selfSigned ignores the CA.
func (p *testPKI) leaf(t *testing.T, names []string, notBefore, notAfter time.Time, selfSigned bool) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: names[0]},
		NotBefore: notBefore, NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	parent, signer := p.ca, p.caKey
	if selfSigned {
		parent, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	chain := [][]byte{der}
	if !selfSigned {
		chain = append(chain, p.ca.Raw)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}
}

func serveTLS(t *testing.T, cert tls.Certificate, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func serveHTTP(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func mustWebsite(t *testing.T, wt WebsiteTarget) *websiteSpec {
	t.Helper()
	s, err := buildWebsite(wt, WebsiteSettings{}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func okHandler(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }
}

// TestWebsiteProbe runs one probe against real loopback servers for each
// failure kind and checks state, reason, TLS expiry and verify error.
func TestWebsiteProbe(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	valid := pki.leaf(t, []string{"localhost", "127.0.0.1"}, now.Add(-time.Hour), now.Add(90*24*time.Hour), false)
	expired := pki.leaf(t, []string{"localhost", "127.0.0.1"}, now.Add(-60*24*time.Hour), now.Add(-24*time.Hour), false)
	wrongHost := pki.leaf(t, []string{"www.other.example"}, now.Add(-time.Hour), now.Add(30*24*time.Hour), false)
	selfSigned := pki.leaf(t, []string{"localhost", "127.0.0.1"}, now.Add(-time.Hour), now.Add(10*24*time.Hour), true)

	hello := okHandler("<html>欢迎 welcome to the portal</html>")
	sValid := serveTLS(t, valid, hello)
	sExpired := serveTLS(t, expired, hello)
	sWrong := serveTLS(t, wrongHost, hello)
	sSelf := serveTLS(t, selfSigned, hello)
	sPlain := serveHTTP(t, hello)
	s500 := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }))
	sSlow := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		fmt.Fprint(w, "late")
	}))
	sHang := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	}))
	sRedirect := serveHTTP(t, http.RedirectHandler(sPlain.URL+"/final", http.StatusFound))
	sLoop := serveHTTP(t, http.RedirectHandler("/again", http.StatusFound))
	sHeader := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Token") != "s3cret" || r.Method != http.MethodHead {
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	closedPort := func() string {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		a := l.Addr().String()
		l.Close()
		return a
	}()
	https := func(srv *httptest.Server) string { return "https://localhost:" + portOf(srv) + "/" }

	tests := []struct {
		name       string
		target     WebsiteTarget
		ok         bool
		reason     string
		status     int
		verifyErr  string // "-" = no TLS info expected
		leafExpiry time.Time
		content    int
	}{
		{name: "http ok", target: WebsiteTarget{URL: sPlain.URL + "/", WebsiteSettings: WebsiteSettings{BodyRegexp: "welcome"}}, ok: true, status: 200, verifyErr: "-", content: 1},
		{name: "https valid with test CA", target: WebsiteTarget{URL: https(sValid), WebsiteSettings: WebsiteSettings{CAFile: pki.caFile}}, ok: true, status: 200, leafExpiry: valid.Leaf.NotAfter, content: -1},
		{name: "https expired", target: WebsiteTarget{URL: https(sExpired), WebsiteSettings: WebsiteSettings{CAFile: pki.caFile}}, reason: "tls", verifyErr: "expired", leafExpiry: expired.Leaf.NotAfter, content: -1},
		{name: "https wrong host", target: WebsiteTarget{URL: https(sWrong), WebsiteSettings: WebsiteSettings{CAFile: pki.caFile}}, reason: "tls", verifyErr: "hostname_mismatch", leafExpiry: wrongHost.Leaf.NotAfter, content: -1},
		{name: "https self-signed", target: WebsiteTarget{URL: https(sSelf), WebsiteSettings: WebsiteSettings{CAFile: pki.caFile}}, reason: "tls", verifyErr: "self_signed", leafExpiry: selfSigned.Leaf.NotAfter, content: -1},
		{name: "https unknown CA (system roots only)", target: WebsiteTarget{URL: https(sValid)}, reason: "tls", verifyErr: "unknown_authority", leafExpiry: valid.Leaf.NotAfter, content: -1},
		{name: "https expired but insecure_skip_verify", target: WebsiteTarget{URL: https(sExpired), WebsiteSettings: WebsiteSettings{CAFile: pki.caFile, InsecureSkipVerify: ptr(true)}}, ok: true, status: 200, verifyErr: "expired", leafExpiry: expired.Leaf.NotAfter, content: -1},
		{name: "body mismatch", target: WebsiteTarget{URL: sPlain.URL + "/", WebsiteSettings: WebsiteSettings{BodyRegexp: "maintenance page"}}, reason: "content", status: 200, verifyErr: "-", content: 0},
		{name: "500", target: WebsiteTarget{URL: s500.URL + "/"}, reason: "status", status: 500, verifyErr: "-", content: -1},
		{name: "500 accepted", target: WebsiteTarget{URL: s500.URL + "/", WebsiteSettings: WebsiteSettings{ValidStatus: []string{"200-299", "500"}}}, ok: true, status: 500, verifyErr: "-", content: -1},
		{name: "slow", target: WebsiteTarget{URL: sSlow.URL + "/", WebsiteSettings: WebsiteSettings{Slow: Duration(100 * time.Millisecond), Timeout: Duration(2 * time.Second)}}, reason: "slow", status: 200, verifyErr: "-", content: -1},
		{name: "timeout", target: WebsiteTarget{URL: sHang.URL + "/", WebsiteSettings: WebsiteSettings{Timeout: Duration(300 * time.Millisecond)}}, reason: "timeout", verifyErr: "-", content: -1},
		{name: "connection refused", target: WebsiteTarget{URL: "http://" + closedPort + "/"}, reason: "connect", verifyErr: "-", content: -1},
		{name: "redirect followed", target: WebsiteTarget{URL: sRedirect.URL + "/", WebsiteSettings: WebsiteSettings{BodyRegexp: "portal"}}, ok: true, status: 200, verifyErr: "-", content: 1},
		{name: "redirect not followed", target: WebsiteTarget{URL: sRedirect.URL + "/", WebsiteSettings: WebsiteSettings{FollowRedirects: ptr(false), ValidStatus: []string{"200"}}}, reason: "status", status: 302, verifyErr: "-", content: -1},
		{name: "redirect loop", target: WebsiteTarget{URL: sLoop.URL + "/", WebsiteSettings: WebsiteSettings{MaxRedirects: 3}}, reason: "status", verifyErr: "-", content: -1},
		{name: "HEAD with custom header", target: WebsiteTarget{URL: sHeader.URL + "/", WebsiteSettings: WebsiteSettings{Method: "HEAD", Headers: map[string]config.Secret{"X-Token": "s3cret"}}}, ok: true, status: 200, verifyErr: "-", content: -1},
	}
	p := newWebProber()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := mustWebsite(t, tc.target)
			res := p.probe(context.Background(), spec, p.newClient(spec))
			if res.ok != tc.ok {
				t.Fatalf("ok = %v, want %v (reason %s: %s)", res.ok, tc.ok, reasonNames[res.reason], res.err)
			}
			if !tc.ok && reasonNames[res.reason] != tc.reason {
				t.Errorf("reason = %s (%s), want %s", reasonNames[res.reason], res.err, tc.reason)
			}
			if res.status != tc.status {
				t.Errorf("status = %d, want %d", res.status, tc.status)
			}
			if res.contentMatch != tc.content {
				t.Errorf("content match = %d, want %d", res.contentMatch, tc.content)
			}
			if tc.verifyErr == "-" {
				if res.tls != nil {
					t.Errorf("unexpected TLS info %+v", res.tls)
				}
				return
			}
			if res.tls == nil {
				t.Fatal("no TLS info recorded")
			}
			if res.tls.verifyErr != tc.verifyErr {
				t.Errorf("verify error = %q, want %q", res.tls.verifyErr, tc.verifyErr)
			}
			if !res.tls.leafExpiry.Equal(tc.leafExpiry.Truncate(time.Second)) {
				t.Errorf("leaf expiry = %v, want %v", res.tls.leafExpiry, tc.leafExpiry)
			}
			if res.tls.chainExpiry.After(res.tls.leafExpiry) {
				t.Errorf("chain expiry %v after leaf expiry %v", res.tls.chainExpiry, res.tls.leafExpiry)
			}
			if res.ok && res.phases[phaseTLS] <= 0 {
				t.Errorf("tls phase not measured: %v", res.phases)
			}
		})
	}
}

func portOf(srv *httptest.Server) string {
	_, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return p
}

func TestClassifyErr(t *testing.T) {
	ps := &probeState{}
	bg := context.Background()
	expired, cancel := context.WithTimeout(bg, 0)
	defer cancel()
	<-expired.Done()
	for _, tc := range []struct {
		ctx  context.Context
		err  error
		want string
	}{
		{bg, &url.Error{Op: "Get", URL: "http://x/", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}}, "dns"},
		{bg, &url.Error{Op: "Get", URL: "http://x/", Err: &net.DNSError{Err: "i/o timeout", Name: "x", IsTimeout: true}}, "timeout"},
		{bg, &url.Error{Op: "Get", URL: "https://x/", Err: &tlsError{errors.New("bad certificate")}}, "tls"},
		{bg, &url.Error{Op: "Get", URL: "http://x/", Err: &redirectError{3}}, "status"},
		{expired, &url.Error{Op: "Get", URL: "http://x/", Err: context.DeadlineExceeded}, "timeout"},
		{bg, &url.Error{Op: "Get", URL: "http://x/", Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, "connect"},
		{bg, io.ErrUnexpectedEOF, "connect"},
	} {
		if got := reasonNames[classifyErr(tc.ctx, tc.err, ps)]; got != tc.want {
			t.Errorf("classifyErr(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

// TestChainExpiry: the earliest expiry in the chain is exported, here an
// intermediate that expires before the leaf, also when verification fails.
func TestChainExpiry(t *testing.T) {
	pki := newTestPKI(t)
	now := time.Now()
	ikey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	itmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "intermediate"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(20 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	ider, err := x509.CreateCertificate(rand.Reader, itmpl, pki.ca, &ikey.PublicKey, pki.caKey)
	if err != nil {
		t.Fatal(err)
	}
	inter, _ := x509.ParseCertificate(ider)
	sub := &testPKI{ca: inter, caKey: ikey}
	leaf := sub.leaf(t, []string{"localhost"}, now.Add(-time.Hour), now.Add(60*24*time.Hour), false)
	for name, roots := range map[string]string{"verified": pki.caFile, "unknown CA": ""} {
		certs := []*x509.Certificate{leaf.Leaf, inter}
		var pool *x509.CertPool
		if roots != "" {
			pool, _ = loadCAPool(roots)
		}
		res := inspectChain(certs, "localhost", pool, now)
		if !res.chainExpiry.Equal(inter.NotAfter) || !res.leafExpiry.Equal(leaf.Leaf.NotAfter) {
			t.Errorf("%s: leaf %v chain %v, want leaf %v chain %v", name, res.leafExpiry, res.chainExpiry, leaf.Leaf.NotAfter, inter.NotAfter)
		}
		if (roots != "") != (res.verifyErr == "") {
			t.Errorf("%s: verify error %q", name, res.verifyErr)
		}
	}
}

// TestFreshConnectionEveryProbe: every probe resolves the name and opens a
// new connection with a new handshake (no keep-alive, no DNS cache).
func TestFreshConnectionEveryProbe(t *testing.T) {
	pki := newTestPKI(t)
	cert := pki.leaf(t, []string{"localhost"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(okHandler("ok"))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	spec := mustWebsite(t, WebsiteTarget{URL: "https://localhost:" + portOf(srv) + "/", WebsiteSettings: WebsiteSettings{CAFile: pki.caFile}})
	p := newWebProber()
	client := p.newClient(spec)
	for i := 0; i < 3; i++ {
		res := p.probe(context.Background(), spec, client)
		if !res.ok {
			t.Fatalf("probe %d: %s", i, res.err)
		}
		for _, ph := range []int{phaseDNS, phaseConnect, phaseTLS, phaseFirstByte, phaseTotal} {
			if res.phases[ph] <= 0 {
				t.Errorf("probe %d: phase %s not measured", i, phaseNames[ph])
			}
		}
		if res.phases[phaseFirstByte] > res.phases[phaseTotal] {
			t.Errorf("first byte after total: %v", res.phases)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections for 3 probes", n)
	}
}
