package exporter

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// Bounds of every exporter's HTTP server. Without them, at 10 000 hosts 20
// clients that send GET /metrics and never read held 2.46 GB (each request
// renders the whole body, then blocks writing it).
const (
	// DefaultMaxRequests is the default of --web.max-requests: heavy
	// requests (/metrics, /, /config) served at once; more get 503 at once.
	// Two HA Prometheus servers plus a person or two.
	DefaultMaxRequests = 4
	// ReadHeaderTimeout bounds reading the request line and headers.
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds reading a whole request (bodies: /-/reload, /heartbeat).
	ReadTimeout = 30 * time.Second
	// WriteTimeout bounds a response from the end of its headers to its
	// last byte: a client that does not read is cut off then.
	WriteTimeout = 30 * time.Second
	// IdleTimeout closes kept-alive connections idle this long (Prometheus
	// reuses its connection every scrape interval).
	IdleTimeout = 2 * time.Minute
	// MaxHeaderBytes bounds request headers.
	MaxHeaderBytes = 64 << 10
	// scrapeSlack is added to the scraper's own timeout
	// (X-Prometheus-Scrape-Timeout-Seconds): the response must be written
	// by then, the scraper has given up anyway.
	scrapeSlack = 5 * time.Second
)

// AddLimitFlags adds --web.max-requests to app and returns its value.
func AddLimitFlags(app *kingpin.Application) *int {
	return app.Flag("web.max-requests",
		fmt.Sprintf("Maximum number of /metrics, / and /config requests served at once; more get 503. 0 = no limit. Each holds a rendered body until written (at most %s).", WriteTimeout)).
		Default(strconv.Itoa(DefaultMaxRequests)).Int()
}

// NewServer returns an http.Server for h with the bounds above.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
}

// Limiter is a shared in-flight limit (promhttp's MaxRequestsInFlight, for
// several handlers at once) with a per-request write deadline.
type Limiter struct {
	sem      chan struct{}
	rejected prometheus.Counter
	inFlight prometheus.Gauge
}

// NewLimiter allows max requests at once (0 or less: no limit) and, if reg
// is not nil, registers <ns>_web_requests_in_flight and
// <ns>_web_requests_rejected_total.
func NewLimiter(max int, ns string, reg prometheus.Registerer) *Limiter {
	l := &Limiter{
		rejected: prometheus.NewCounter(prometheus.CounterOpts{Name: ns + "_web_requests_rejected_total",
			Help: "Requests to /metrics, / or /config answered 503 because --web.max-requests were in flight."}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: ns + "_web_requests_in_flight",
			Help: "Requests to /metrics, / or /config being served (bounded by --web.max-requests)."}),
	}
	if max > 0 {
		l.sem = make(chan struct{}, max)
	}
	if reg != nil {
		reg.MustRegister(l.rejected, l.inFlight)
	}
	return l
}

// Wrap limits h. A request over the limit gets 503 with Retry-After at
// once (never queued: a queue would hold connections as well). A scrape
// that states its timeout (X-Prometheus-Scrape-Timeout-Seconds) must be
// written within it plus 5 s, else within WriteTimeout.
func (l *Limiter) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.sem != nil {
			select {
			case l.sem <- struct{}{}:
				defer func() { <-l.sem }()
			default:
				l.rejected.Inc()
				w.Header().Set("Retry-After", "1")
				http.Error(w, fmt.Sprintf("too many requests in flight (limit --web.max-requests=%d), try again", cap(l.sem)), http.StatusServiceUnavailable)
				return
			}
		}
		l.inFlight.Inc()
		defer l.inFlight.Dec()
		if s := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); s != "" {
			if sec, err := strconv.ParseFloat(s, 64); err == nil && sec > 0 {
				if d := time.Duration(sec*float64(time.Second)) + scrapeSlack; d < WriteTimeout {
					_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}
