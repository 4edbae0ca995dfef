// Command sites serves a dozen named government websites on loopback ports
// for the uptime_exporter demo: HTTP and HTTPS (certificates from a CA
// generated at start, written to -ca so the exporter can trust it), one
// site failing with 503, one slow, one with a certificate that expires in
// 10 days.
//
//	go run ./exporters/uptime_exporter/demo/sites [-ca /tmp/jianguan-demo/ca.pem]
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

type site struct {
	port   int
	name   string
	https  bool
	status int           // 0: 200
	delay  time.Duration // response delay
	expiry time.Duration // certificate lifetime from now (https)
}

var sites = []site{
	{18081, "市人民政府门户网站", false, 0, 0, 0},
	{18082, "政务服务网", true, 0, 0, 365 * 24 * time.Hour},
	{18083, "市财政局", false, 0, 0, 0},
	{18084, "市教育局", false, 0, 0, 0},
	{18085, "市卫生健康委员会", true, 0, 0, 10 * 24 * time.Hour},
	{18086, "市公安局", false, 0, 0, 0},
	{18087, "市交通运输局", false, 0, 0, 0},
	{18088, "市人力资源和社会保障局", false, 0, 600 * time.Millisecond, 0},
	{18089, "市住房和城乡建设局", false, 0, 0, 0},
	{18090, "市市场监督管理局", false, 0, 0, 0},
	{18091, "市统计局", false, 0, 0, 0},
	{18092, "市大数据管理局", false, http.StatusServiceUnavailable, 0, 0},
}

func main() {
	caPath := flag.String("ca", "/tmp/jianguan-demo/ca.pem", "where to write the demo CA certificate (PEM)")
	addr := flag.String("address", "127.0.0.1", "loopback address to listen on")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ca, caKey, err := newCA()
	if err != nil {
		log.Error("ca", "err", err)
		os.Exit(1)
	}
	if err := os.MkdirAll(filepath.Dir(*caPath), 0o755); err != nil {
		log.Error("ca dir", "err", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*caPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}), 0o644); err != nil {
		log.Error("write ca", "err", err)
		os.Exit(1)
	}
	for _, s := range sites {
		s := s
		mux := http.NewServeMux()
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			if s.delay > 0 {
				time.Sleep(s.delay)
			}
			if s.status != 0 {
				http.Error(w, "系统维护中 / service unavailable", s.status)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<!DOCTYPE html><html lang=\"zh-CN\"><head><title>%s</title></head><body><h1>%s</h1><p>欢迎访问 welcome</p></body></html>\n", s.name, s.name)
		})
		l, err := net.Listen("tcp", net.JoinHostPort(*addr, fmt.Sprint(s.port)))
		if err != nil {
			log.Error("listen", "site", s.name, "err", err)
			os.Exit(1)
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		scheme := "http"
		if s.https {
			scheme = "https"
			cert, err := leaf(ca, caKey, *addr, s.expiry)
			if err != nil {
				log.Error("cert", "err", err)
				os.Exit(1)
			}
			srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
			l = tls.NewListener(l, srv.TLSConfig)
		}
		go srv.Serve(l)
		log.Info("serving", "site", s.name, "url", fmt.Sprintf("%s://%s:%d/", scheme, *addr, s.port), "status", max(s.status, 200))
	}
	log.Info("demo CA written", "path", *caPath)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	<-ch
}

func newCA() (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "jianguan demo CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(2 * 365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(der)
	return ca, key, err
}

func leaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey, addr string, life time.Duration) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	sn, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: sn, Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(life),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP(addr)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.Raw}, PrivateKey: key}, nil
}
