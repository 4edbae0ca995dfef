package exporter

import (
	"compress/gzip"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jianguan/jianguan/internal/avail"
)

// registry is the Registerer services get: one client_golang registry that
// serves /metrics in every format through promhttp (issue 23: the
// home-grown text writer beside it did not win 2× at 10 000 hosts,
// docs/fastpaths.md). It also remembers the availability families and
// counter sets registered, whose state is kept across restarts (state.go).
type registry struct {
	*prometheus.Registry

	mu       sync.Mutex
	families []*avail.Family
	sets     []*CounterSet
}

func newRegistry() *registry {
	return &registry{Registry: prometheus.NewRegistry()}
}

// Register implements prometheus.Registerer.
func (r *registry) Register(c prometheus.Collector) error {
	if err := r.Registry.Register(c); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch c := c.(type) {
	case *avail.Family:
		r.families = append(r.families, c)
	case *CounterSet:
		r.sets = append(r.sets, c)
	}
	return nil
}

// MustRegister implements prometheus.Registerer.
func (r *registry) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// Unregister implements prometheus.Registerer.
func (r *registry) Unregister(c prometheus.Collector) bool {
	ok := r.Registry.Unregister(c)
	r.mu.Lock()
	defer r.mu.Unlock()
	switch c := c.(type) {
	case *avail.Family:
		r.families = without(r.families, c)
	case *CounterSet:
		r.sets = without(r.sets, c)
	}
	return ok
}

// without returns s without the first element equal to x (a new array:
// persisted's copies may still be read).
func without[T comparable](s []T, x T) []T {
	for i, y := range s {
		if y == x {
			return append(s[:i:i], s[i+1:]...)
		}
	}
	return s
}

// persisted returns the registered availability families and counter
// sets: what the state file keeps.
func (r *registry) persisted() persisted {
	r.mu.Lock()
	defer r.mu.Unlock()
	return persisted{fams: append([]*avail.Family(nil), r.families...), sets: append([]*CounterSet(nil), r.sets...)}
}

// handler serves /metrics: promhttp over the registry (text, OpenMetrics
// and protobuf as negotiated), the body streamed to the client rather than
// rendered into a buffer first, gzipped at BestSpeed when the client
// accepts gzip (a third of the CPU of promhttp's default level for scrape
// bodies that are mostly repeated label sets: 37 MB of text at 10 000
// uptime hosts). The in-flight limit and the write deadline are the
// Limiter's (limits.go), around this handler.
func (r *registry) handler(logger *slog.Logger) http.Handler {
	errLog := slog.NewLogLogger(logger.Handler(), slog.LevelError)
	h := promhttp.HandlerFor(r.Registry, promhttp.HandlerOpts{ErrorLog: errLog, EnableOpenMetrics: true, DisableCompression: true})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !acceptsGzip(req.Header.Get("Accept-Encoding")) {
			h.ServeHTTP(w, req)
			return
		}
		gz := gzipPool.Get().(*gzip.Writer)
		defer gzipPool.Put(gz)
		gz.Reset(w)
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Add("Vary", "Accept-Encoding")
		h.ServeHTTP(gzipWriter{ResponseWriter: w, gz: gz}, req)
		if err := gz.Close(); err != nil {
			logger.Debug("writing /metrics", "err", err)
		}
	})
}

var gzipPool = sync.Pool{New: func() any {
	gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // a valid level: never an error
	return gz
}}

// gzipWriter compresses what the handler writes.
type gzipWriter struct {
	http.ResponseWriter
	gz *gzip.Writer
}

func (g gzipWriter) Write(b []byte) (int, error) { return g.gz.Write(b) }

// Unwrap lets http.ResponseController reach the connection (the Limiter's
// write deadline).
func (g gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(name) != "gzip" {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
