// Package hostilehttp is a loopback HTTP/HTTPS server for tests of probers
// that must survive hostile or broken websites: response headers of
// megabytes, slow-loris responses (headers or body one byte at a time), an
// endless body, redirects to another host, and broken TLS (garbage instead
// of a handshake, a handshake that never comes, self-signed and expired
// certificates). It speaks HTTP/1.1 on raw TCP connections, so it can send
// what net/http's server would refuse to, and it records every request
// (method, path, host, headers) so a test can check what a client sent to
// which host.
//
// Paths (one request per connection, always "Connection: close"):
//
//	/ok                 200 "ok"
//	/huge-headers       200 with HugeHeaderBytes of header lines (?bytes=N)
//	/slow-headers       the status line, then one header byte per Tick, forever
//	/slow-body          headers (Content-Length 1 MiB), then one body byte per Tick
//	/endless-body       200 without Content-Length, body as fast as possible, forever
//	/redirect?to=URL    302 Location: URL
//	anything else       200 "ok"
//
// Everything listens on 127.0.0.1 only and is closed by t.Cleanup.
package hostilehttp

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// HugeHeaderBytes is the default size of the /huge-headers response
// headers (2 MiB, as a misconfigured server sending its cookie jar).
const HugeHeaderBytes = 2 << 20

// Tick is the pace of the slow-loris paths.
const Tick = 100 * time.Millisecond

// TLSMode selects how an HTTPS server misbehaves.
type TLSMode int

const (
	// TLSSelfSigned: a real handshake with a self-signed certificate for
	// 127.0.0.1 and localhost, valid now; the paths are served.
	TLSSelfSigned TLSMode = iota + 1
	// TLSExpired: as TLSSelfSigned with a certificate that expired a day ago.
	TLSExpired
	// TLSGarbage: the ClientHello is answered with plaintext (an HTTP
	// server on the HTTPS port).
	TLSGarbage
	// TLSHang: the connection is accepted and never answered.
	TLSHang
)

// Request is what the server received.
type Request struct {
	Method, Path, Host string
	Header             http.Header
}

// Server is a running hostile server.
type Server struct {
	// URL is http://127.0.0.1:PORT or https://127.0.0.1:PORT, without a
	// trailing slash.
	URL  string
	Addr string
	// Cert is the certificate of TLSSelfSigned and TLSExpired servers.
	Cert *x509.Certificate

	ln      net.Listener
	mode    TLSMode
	tlsConf *tls.Config
	quit    chan struct{}
	wg      sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool
	reqs  []Request

	bodyBytes   atomic.Int64
	headerBytes atomic.Int64
}

// Start starts a plain HTTP server.
func Start(t testing.TB) *Server { return start(t, 0) }

// StartTLS starts an HTTPS server that misbehaves as mode says.
func StartTLS(t testing.TB, mode TLSMode) *Server { return start(t, mode) }

func start(t testing.TB, mode TLSMode) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{ln: ln, mode: mode, Addr: ln.Addr().String(), quit: make(chan struct{}), conns: map[net.Conn]bool{}}
	s.URL = "http://" + s.Addr
	if mode != 0 {
		s.URL = "https://" + s.Addr
	}
	if mode == TLSSelfSigned || mode == TLSExpired {
		notAfter := time.Now().Add(30 * 24 * time.Hour)
		if mode == TLSExpired {
			notAfter = time.Now().Add(-24 * time.Hour)
		}
		cert, leaf, err := selfSigned(notAfter)
		if err != nil {
			t.Fatal(err)
		}
		s.Cert = leaf
		s.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and ends every connection.
func (s *Server) Close() {
	select {
	case <-s.quit:
		return
	default:
	}
	close(s.quit)
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Requests returns a copy of the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// BodyBytesWritten is the number of body bytes the endless and slow paths
// managed to write (what a client read or buffered).
func (s *Server) BodyBytesWritten() int64 { return s.bodyBytes.Load() }

// HeaderBytesWritten is the number of header bytes /huge-headers and
// /slow-headers managed to write.
func (s *Server) HeaderBytesWritten() int64 { return s.headerBytes.Load() }

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
			s.serveConn(c)
		}()
	}
}

func (s *Server) serveConn(c net.Conn) {
	switch s.mode {
	case TLSGarbage:
		buf := make([]byte, 512)
		_, _ = c.Read(buf) // the ClientHello
		_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\nthis is not TLS\n")
		return
	case TLSHang:
		_, _ = io.Copy(io.Discard, c) // until the client or Close ends it
		return
	case TLSSelfSigned, TLSExpired:
		tc := tls.Server(c, s.tlsConf)
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			return // the client refused the certificate
		}
		_ = tc.SetDeadline(time.Time{})
		c = tc
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Method: req.Method, Path: req.URL.Path, Host: req.Host, Header: req.Header.Clone()})
	s.mu.Unlock()
	w := bufio.NewWriterSize(c, 32<<10)
	defer w.Flush()
	switch req.URL.Path {
	case "/huge-headers":
		n := HugeHeaderBytes
		if v, err := strconv.Atoi(req.URL.Query().Get("bytes")); err == nil && v > 0 {
			n = v
		}
		_, _ = w.WriteString("HTTP/1.1 200 OK\r\nConnection: close\r\n")
		// One buffer rewritten in place: the server allocates (almost)
		// nothing, so a test can measure the client's allocations.
		line := []byte("X-Filler-0000000: " + strings.Repeat("a", 1000) + "\r\n")
		var num [16]byte
		for i, written := 0, 0; written < n; i++ {
			d := strconv.AppendInt(num[:0], int64(i), 10)
			copy(line[16-len(d):16], d)
			if _, err := w.Write(line); err != nil {
				return
			}
			written += len(line)
			s.headerBytes.Add(int64(len(line)))
		}
		_, _ = w.WriteString("Content-Length: 2\r\n\r\nok")
	case "/slow-headers":
		_, _ = w.WriteString("HTTP/1.1 200 OK\r\nX-Slow: ")
		_ = w.Flush()
		s.drip(c, &s.headerBytes)
	case "/slow-body":
		_, _ = w.WriteString("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 1048576\r\n\r\n")
		_ = w.Flush()
		s.drip(c, &s.bodyBytes)
	case "/endless-body":
		_, _ = w.WriteString("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n")
		chunk := []byte(strings.Repeat("<p>endless</p>\n", 2048))
		for {
			select {
			case <-s.quit:
				return
			default:
			}
			n, err := w.Write(chunk)
			s.bodyBytes.Add(int64(n))
			if err != nil {
				return
			}
		}
	case "/redirect":
		to := req.URL.Query().Get("to")
		fmt.Fprintf(w, "HTTP/1.1 302 Found\r\nConnection: close\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n", to)
	default:
		_, _ = w.WriteString("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
	}
}

// drip writes one byte per Tick until the client leaves or the server
// closes.
func (s *Server) drip(c net.Conn, count *atomic.Int64) {
	t := time.NewTicker(Tick)
	defer t.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-t.C:
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := c.Write([]byte{'a'}); err != nil {
				return
			}
			count.Add(1)
		}
	}
}

func selfSigned(notAfter time.Time) (tls.Certificate, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "hostilehttp"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf, nil
}
