package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/redact"
)

// Failure reasons of a website probe (docs/metrics.md §4).
const (
	reasonConnect = iota
	reasonDNS
	reasonTLS
	reasonStatus
	reasonContent
	reasonSlow
	reasonTimeout
	// reasonHeaders: the response headers exceeded maxResponseHeaderBytes
	// (the server answered, so it is not a connect failure).
	reasonHeaders
	nReasons
)

var reasonNames = [nReasons]string{"connect", "dns", "tls", "status", "content", "slow", "timeout", "headers_too_large"}

// maxResponseHeaderBytes bounds the memory of reading response headers.
const maxResponseHeaderBytes = 64 << 10

// Timing phases.
const (
	phaseDNS = iota
	phaseConnect
	phaseTLS
	phaseFirstByte
	phaseTotal
	nPhases
)

var phaseNames = [nPhases]string{"dns", "connect", "tls", "first_byte", "total"}

// tlsResult is what a handshake showed, recorded before verification.
type tlsResult struct {
	leafExpiry  time.Time
	chainExpiry time.Time
	verifyErr   string // "" when the chain verified
}

// webResult is the outcome of one website probe.
type webResult struct {
	ok           bool
	reason       int // when !ok
	err          string
	status       int
	phases       [nPhases]time.Duration
	contentMatch int // -1: not checked
	slow         bool
	tls          *tlsResult
}

// probeState travels in the request context to the dialer.
// Hooks may run on the transport's dial goroutine, also after the request
// gave up, hence the mutex.
type probeState struct {
	spec *websiteSpec

	mu        sync.Mutex
	tls       *tlsResult
	phases    [nPhases]time.Duration
	tlsFail   bool
	dnsStart  time.Time
	connStart time.Time
}

func (ps *probeState) add(phase int, since time.Time) {
	if since.IsZero() {
		return
	}
	d := time.Since(since)
	ps.mu.Lock()
	ps.phases[phase] += d
	ps.mu.Unlock()
}

type probeKey struct{}

// tlsError marks a failed handshake or verification.
type tlsError struct{ err error }

func (e *tlsError) Error() string { return "tls: " + e.err.Error() }
func (e *tlsError) Unwrap() error { return e.err }

// redirectError: more redirects than max_redirects (reason status).
type redirectError struct{ max int }

func (e *redirectError) Error() string { return fmt.Sprintf("stopped after %d redirects", e.max) }

// webProber holds the one shared transport of all website probes.
type webProber struct {
	transport *http.Transport
	dialer    *net.Dialer
	bufs      sync.Pool
}

func newWebProber() *webProber {
	p := &webProber{dialer: &net.Dialer{KeepAlive: -1}}
	p.bufs.New = func() any { return new(bytes.Buffer) }
	p.transport = &http.Transport{
		// A fresh connection per probe: DNS is resolved and the connection
		// and TLS handshake are timed on every probe.
		DisableKeepAlives:      true,
		DialContext:            p.dialer.DialContext,
		DialTLSContext:         p.dialTLS,
		DisableCompression:     true,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
		ForceAttemptHTTP2:      false,
	}
	return p
}

func (p *webProber) close() { p.transport.CloseIdleConnections() }

// dialTLS dials and does the handshake itself: certificates are recorded
// first, then verified (system roots plus ca_file), so the expiry is
// known also when verification fails.
func (p *webProber) dialTLS(ctx context.Context, network, addr string) (net.Conn, error) {
	ps, _ := ctx.Value(probeKey{}).(*probeState)
	raw, err := p.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	var roots *x509.CertPool
	insecure := false
	if ps != nil && ps.spec != nil {
		roots, insecure = ps.spec.roots, ps.spec.insecure
	}
	cfg := &tls.Config{
		ServerName:         host,
		InsecureSkipVerify: true, // verified below, after recording the certificates
		NextProtos:         []string{"http/1.1"},
		VerifyConnection: func(cs tls.ConnectionState) error {
			res := inspectChain(cs.PeerCertificates, host, roots, time.Now())
			if ps != nil {
				ps.mu.Lock()
				if ps.tls == nil {
					ps.tls = res
				}
				ps.mu.Unlock()
			}
			if res.verifyErr != "" && !insecure {
				return fmt.Errorf("certificate verification failed: %s", res.verifyErr)
			}
			return nil
		},
	}
	tc := tls.Client(raw, cfg)
	start := time.Now()
	err = tc.HandshakeContext(ctx)
	if ps != nil {
		ps.add(phaseTLS, start)
	}
	if err != nil {
		raw.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if ps != nil {
			ps.mu.Lock()
			ps.tlsFail = true
			ps.mu.Unlock()
		}
		return nil, &tlsError{err}
	}
	return tc, nil
}

// inspectChain records expiry and verifies the presented chain.
func inspectChain(certs []*x509.Certificate, host string, roots *x509.CertPool, now time.Time) *tlsResult {
	res := &tlsResult{}
	if len(certs) == 0 {
		res.verifyErr = "no_certificate"
		return res
	}
	res.leafExpiry = certs[0].NotAfter
	res.chainExpiry = certs[0].NotAfter
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
		if c.NotAfter.Before(res.chainExpiry) {
			res.chainExpiry = c.NotAfter
		}
	}
	chains, err := certs[0].Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter, CurrentTime: now})
	if err != nil {
		res.verifyErr = classifyVerify(err, certs[0], now)
		return res
	}
	// The earliest expiry along the verified chain (root included).
	for _, ch := range chains[:1] {
		for _, c := range ch {
			if c.NotAfter.Before(res.chainExpiry) {
				res.chainExpiry = c.NotAfter
			}
		}
	}
	return res
}

// classifyVerify maps a verification error to a short, stable label value.
func classifyVerify(err error, leaf *x509.Certificate, now time.Time) string {
	var inv x509.CertificateInvalidError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	switch {
	case errors.As(err, &inv):
		switch inv.Reason {
		case x509.Expired:
			if now.Before(inv.Cert.NotBefore) {
				return "not_yet_valid"
			}
			return "expired"
		case x509.IncompatibleUsage:
			return "incompatible_usage"
		case x509.NameConstraintsWithoutSANs, x509.CANotAuthorizedForThisName:
			return "name_constraints"
		default:
			return "invalid"
		}
	case errors.As(err, &he):
		return "hostname_mismatch"
	case errors.As(err, &ua):
		if bytes.Equal(leaf.RawIssuer, leaf.RawSubject) && leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil {
			return "self_signed"
		}
		return "unknown_authority"
	default:
		return "invalid"
	}
}

// caCache shares one pool per CA file (same size and mtime) between the
// websites that use it and across reloads.
var caCache sync.Map // path → caEntry

type caEntry struct {
	size  int64
	mtime time.Time
	pool  *x509.CertPool
}

func loadCAPool(path string) (*x509.CertPool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if e, ok := caCache.Load(path); ok {
		if ce := e.(caEntry); ce.size == fi.Size() && ce.mtime.Equal(fi.ModTime()) {
			return ce.pool, nil
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s: no PEM certificate found", path)
	}
	caCache.Store(path, caEntry{size: fi.Size(), mtime: fi.ModTime(), pool: pool})
	return pool, nil
}

// newClient builds the client of one website (redirect policy); the
// transport is shared.
func (p *webProber) newClient(s *websiteSpec) *http.Client {
	follow, max := s.follow, s.maxRedirects
	secret := make([]string, 0, len(s.headers)+3)
	for k := range s.headers {
		secret = append(secret, k)
	}
	secret = append(secret, "Authorization", "Proxy-Authorization", "Cookie")
	return &http.Client{
		Transport: p.transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if !follow {
				return http.ErrUseLastResponse
			}
			if len(via) > max {
				return &redirectError{max}
			}
			// The configured headers (tokens, API keys) and the credentials
			// go to the configured host only: net/http keeps custom headers
			// on every redirect and Authorization on subdomains. Also not
			// over a downgrade from https to http.
			if crossHost(via[0].URL, req.URL) {
				for _, k := range secret {
					req.Header.Del(k)
				}
			}
			return nil
		},
	}
}

// crossHost reports whether a redirect from a to b leaves the configured
// host (another host name, or https to http).
func crossHost(a, b *url.URL) bool {
	return !strings.EqualFold(a.Hostname(), b.Hostname()) || (a.Scheme == "https" && b.Scheme != "https")
}

// probe runs one probe of s.
func (p *webProber) probe(ctx context.Context, s *websiteSpec, client *http.Client) webResult {
	res := webResult{contentMatch: -1}
	ps := &probeState{spec: s}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	start := time.Now()
	trace := &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) {
			ps.mu.Lock()
			ps.dnsStart = time.Now()
			ps.mu.Unlock()
		},
		DNSDone: func(httptrace.DNSDoneInfo) {
			ps.mu.Lock()
			if !ps.dnsStart.IsZero() {
				ps.phases[phaseDNS] += time.Since(ps.dnsStart)
			}
			ps.mu.Unlock()
		},
		ConnectStart: func(string, string) {
			ps.mu.Lock()
			ps.connStart = time.Now()
			ps.mu.Unlock()
		},
		ConnectDone: func(string, string, error) {
			ps.mu.Lock()
			if !ps.connStart.IsZero() {
				ps.phases[phaseConnect] += time.Since(ps.connStart)
			}
			ps.mu.Unlock()
		},
		GotFirstResponseByte: func() {
			ps.mu.Lock()
			ps.phases[phaseFirstByte] = time.Since(start)
			ps.mu.Unlock()
		},
	}
	collect := func() {
		ps.mu.Lock()
		total := res.phases[phaseTotal]
		res.phases = ps.phases
		res.phases[phaseTotal] = total
		res.tls = ps.tls
		ps.mu.Unlock()
	}
	ctx = context.WithValue(httptrace.WithClientTrace(ctx, trace), probeKey{}, ps)
	req, err := http.NewRequestWithContext(ctx, s.method, s.url, nil)
	if err != nil {
		res.reason, res.err = reasonConnect, err.Error()
		return res
	}
	req.Header.Set("User-Agent", "jianguan-uptime_exporter/1")
	for k, v := range s.headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v.Value()
			continue
		}
		req.Header.Set(k, v.Value())
	}
	if s.basicAuth != nil {
		req.SetBasicAuth(s.basicAuth.Username, s.basicAuth.Password.Value())
	}
	resp, err := client.Do(req)
	if err != nil {
		res.phases[phaseTotal] = time.Since(start)
		collect()
		res.reason, res.err = classifyErr(ctx, err, ps), redactErr(err)
		return res
	}
	res.status = resp.StatusCode
	var readErr error
	if s.body != nil {
		buf := p.bufs.Get().(*bytes.Buffer)
		buf.Reset()
		_, readErr = buf.ReadFrom(io.LimitReader(resp.Body, int64(s.bodyLimit)))
		if readErr == nil {
			res.contentMatch = b2i(s.body.Match(buf.Bytes()))
		}
		if buf.Cap() <= 4*s.bodyLimit {
			p.bufs.Put(buf)
		}
	} else {
		_, readErr = io.Copy(io.Discard, io.LimitReader(resp.Body, int64(s.bodyLimit)))
	}
	resp.Body.Close()
	res.phases[phaseTotal] = time.Since(start)
	collect()
	switch {
	case readErr != nil:
		res.reason, res.err = classifyErr(ctx, readErr, ps), redactErr(readErr)
	case !s.statusOK(resp.StatusCode):
		res.reason, res.err = reasonStatus, fmt.Sprintf("status %d", resp.StatusCode)
	case res.contentMatch == 0:
		res.reason, res.err = reasonContent, "body does not match body_regexp"
	case s.slow > 0 && res.phases[phaseTotal] > s.slow:
		res.slow = true
		res.reason, res.err = reasonSlow, fmt.Sprintf("response took %s, limit %s", res.phases[phaseTotal].Round(time.Millisecond), s.slow)
	default:
		res.ok = true
	}
	if s.slow > 0 && res.phases[phaseTotal] > s.slow {
		res.slow = true
	}
	return res
}

// redactErr is the message of a probe error without the URL's password or
// query values (net/http's *url.Error quotes the URL of the failed request,
// a redirect target included).
func redactErr(err error) string { return redact.Text(err.Error()) }

// errHeadersTooLarge matches the error of net/http's transport when the
// response headers exceed MaxResponseHeaderBytes (it has no exported type).
const errHeadersTooLarge = "server response headers exceeded"

func classifyErr(ctx context.Context, err error, ps *probeState) int {
	var te *tlsError
	var re *redirectError
	var dnsErr *net.DNSError
	ps.mu.Lock()
	tlsFail := ps.tlsFail
	ps.mu.Unlock()
	switch {
	case errors.As(err, &te) || tlsFail:
		return reasonTLS
	case errors.As(err, &re):
		return reasonStatus
	case strings.Contains(err.Error(), errHeadersTooLarge):
		return reasonHeaders
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		return reasonTimeout
	case errors.As(err, &dnsErr):
		if dnsErr.IsTimeout {
			return reasonTimeout
		}
		return reasonDNS
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return reasonTimeout
	}
	return reasonConnect
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// website is one probed website: its spec, tracker and last result.
type website struct {
	env *probeEnv // shared with the other targets (probes.go)
	ev  event
	rc  event // re-check

	mu       sync.Mutex
	spec     *websiteSpec
	client   *http.Client
	tracker  *avail.Tracker
	removed  bool
	inFlight bool
	fails    int // consecutive failed probes
	probes   uint64
	failures [nReasons]uint64
	last     webResult
	lastTLS  *tlsResult // last handshake seen, kept when a later probe fails before TLS
	lastAt   time.Time
	haveLast bool
}

func (w *website) fire(at time.Time) {
	w.mu.Lock()
	if w.removed {
		w.mu.Unlock()
		return
	}
	spec := w.spec
	busy := w.inFlight
	if !busy {
		w.inFlight = true
	}
	w.mu.Unlock()
	w.env.sched.schedule(&w.ev, nextTick(at, spec.interval, time.Now()))
	if busy {
		return
	}
	w.dispatch(at, false)
}

func (w *website) fireRecheck(at time.Time) {
	w.mu.Lock()
	removed := w.removed
	w.mu.Unlock()
	if removed {
		return
	}
	w.dispatch(at, true)
}

func (w *website) dispatch(at time.Time, recheck bool) {
	ok := w.env.httpPool.try(func() {
		w.mu.Lock()
		spec, client := w.spec, w.client
		w.mu.Unlock()
		res := w.env.web.probe(w.env.ctx, spec, client)
		w.done(at, res, recheck)
	})
	if !ok {
		// The pool is saturated: skip this probe (the gap is visible in
		// the counters as unknown only if it exceeds max_gap).
		w.mu.Lock()
		w.inFlight = false
		w.mu.Unlock()
		w.env.skipped.WithLabelValues("website").Inc()
	}
}

func (w *website) done(at time.Time, res webResult, recheck bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.probes++
	w.last, w.lastAt, w.haveLast = res, at, true
	if res.tls != nil {
		w.lastTLS = res.tls
	}
	w.inFlight = false
	if w.removed {
		return
	}
	if res.ok {
		w.fails = 0
		w.tracker.Observe(at, avail.Up)
		return
	}
	w.failures[res.reason]++
	w.fails++
	w.tracker.Observe(at, avail.Down)
	// down_after failures in a row: re-check at once before the
	// interruption is declared (the tracker needs down_after+1).
	if !recheck && w.fails == w.spec.rule.DownAfter-1 && w.tracker.State() != avail.Down {
		w.inFlight = true
		w.env.sched.schedule(&w.rc, time.Now().Add(w.spec.recheck))
	}
}

// nextTick keeps the cadence of a target: the next multiple of interval
// after at that is not in the past.
func nextTick(at time.Time, interval time.Duration, now time.Time) time.Time {
	next := at.Add(interval)
	if next.Before(now) {
		n := (now.Sub(next) + interval - 1) / interval
		next = next.Add(n * interval)
	}
	return next
}
