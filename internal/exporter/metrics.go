package exporter

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/jianguan/jianguan/internal/avail"
	"github.com/jianguan/jianguan/internal/constmetric"
)

// registry is the Registerer services get. Every collector goes into full,
// which serves the protobuf format and is the reference. On the text
// formats (what Prometheus asks for), constmetric.Texters are formatted by
// constmetric.WriteText and the remaining collectors by rest: the big
// per-target collectors skip the registry's per-sample checks and dto tree
// (see internal/constmetric/text.go). TestMetricsFastPathMatchesRegistry
// holds both paths to the same samples.
type registry struct {
	full, rest *prometheus.Registry

	mu      sync.Mutex
	texters []constmetric.Texter
	// families are the availability families registered, whose state is
	// kept across restarts (state.go).
	families []*avail.Family
	sets     []*CounterSet

	// lastSize is the size of the last text body: the next render's buffer
	// is allocated at once with 1/8 headroom instead of doubling from
	// small (at 10 000 hosts, 18 MiB: doubling left a 32 MiB buffer and
	// 31 MiB of garbage per scrape, which --web.max-requests multiplies).
	lastSize atomic.Int64
}

func newRegistry() *registry {
	return &registry{full: prometheus.NewRegistry(), rest: prometheus.NewRegistry()}
}

// Register implements prometheus.Registerer.
func (r *registry) Register(c prometheus.Collector) error {
	if err := r.full.Register(c); err != nil {
		return err
	}
	if f, ok := c.(*avail.Family); ok {
		r.mu.Lock()
		r.families = append(r.families, f)
		r.mu.Unlock()
	}
	if cs, ok := c.(*CounterSet); ok {
		r.mu.Lock()
		r.sets = append(r.sets, cs)
		r.mu.Unlock()
	}
	if t, ok := c.(constmetric.Texter); ok {
		r.mu.Lock()
		r.texters = append(r.texters, t)
		r.mu.Unlock()
		return nil
	}
	if err := r.rest.Register(c); err != nil {
		r.full.Unregister(c)
		return err
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
	ok := r.full.Unregister(c)
	if f, isF := c.(*avail.Family); isF {
		r.mu.Lock()
		for i, x := range r.families {
			if x == f {
				r.families = append(r.families[:i:i], r.families[i+1:]...)
				break
			}
		}
		r.mu.Unlock()
	}
	if t, isT := c.(constmetric.Texter); isT {
		r.mu.Lock()
		for i, x := range r.texters {
			if x == t {
				r.texters = append(r.texters[:i:i], r.texters[i+1:]...)
				break
			}
		}
		r.mu.Unlock()
		return ok
	}
	r.rest.Unregister(c)
	return ok
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// persisted returns the registered availability families and counter
// sets: what the state file keeps.
func (r *registry) persisted() persisted {
	r.mu.Lock()
	defer r.mu.Unlock()
	return persisted{fams: append([]*avail.Family(nil), r.families...), sets: append([]*CounterSet(nil), r.sets...)}
}

// handler serves /metrics.
func (r *registry) handler(logger *slog.Logger) http.Handler {
	errLog := slog.NewLogLogger(logger.Handler(), slog.LevelError)
	fallback := promhttp.HandlerFor(r.full, promhttp.HandlerOpts{ErrorLog: errLog, EnableOpenMetrics: true})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		format := expfmt.NegotiateIncludingOpenMetrics(req.Header)
		om := format.FormatType() == expfmt.TypeOpenMetrics
		if !om && format.FormatType() != expfmt.TypeTextPlain {
			fallback.ServeHTTP(w, req)
			return
		}
		buf := bufPool.Get().(*bytes.Buffer)
		defer bufPool.Put(buf)
		buf.Reset()
		if want := int(r.lastSize.Load()); buf.Cap() < want+want/8 {
			buf.Grow(want + want/8)
		}
		if err := r.render(buf, format, om); err != nil {
			logger.Error("error gathering metrics", "err", err)
			http.Error(w, "An error has occurred while serving metrics:\n\n"+err.Error(), http.StatusInternalServerError)
			return
		}
		r.lastSize.Store(int64(buf.Len()))
		w.Header().Set("Content-Type", string(format))
		if !acceptsGzip(req.Header.Get("Accept-Encoding")) {
			w.Write(buf.Bytes())
			return
		}
		// BestSpeed: a third of the CPU of the default level for scrape
		// bodies that are mostly repeated label sets.
		w.Header().Set("Content-Encoding", "gzip")
		gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		gz.Write(buf.Bytes())
		gz.Close()
	})
}

func (r *registry) render(buf *bytes.Buffer, format expfmt.Format, om bool) error {
	mfs, err := r.rest.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(buf, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("encoding %s: %w", mf.GetName(), err)
		}
	}
	r.mu.Lock()
	ts := append([]constmetric.Texter(nil), r.texters...)
	r.mu.Unlock()
	if err := constmetric.WriteText(buf, om, ts...); err != nil {
		return err
	}
	if c, ok := enc.(expfmt.Closer); ok {
		return c.Close() // OpenMetrics: # EOF
	}
	return nil
}

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
