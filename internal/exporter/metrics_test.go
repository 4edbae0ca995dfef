package exporter

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/jianguan/jianguan/internal/avail"
)

func testRegistry(t *testing.T) *registry {
	t.Helper()
	reg := newRegistry()
	fam := avail.NewFamily(avail.FamilyOpts{Namespace: "t_line", Labels: []string{"line", "provider"}})
	rule := avail.Rule{DownAfter: 2, UpAfter: 2}
	now := time.Now()
	for i, name := range []string{"电信-1", "line\"2", "line\\3", "line\n4"} {
		tr := fam.Tracker(rule, nil, name, "p")
		for k := 0; k < 6; k++ {
			st := avail.Up
			if k%(i+2) == 0 {
				st = avail.Down
			}
			tr.Observe(now.Add(time.Duration(k)*time.Second), st)
		}
	}
	counter := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "t_reloads_total", Help: "Reloads."}, []string{"result"})
	counter.WithLabelValues("ok").Add(2)
	reg.MustRegister(fam, counter, collectors.NewGoCollector())
	return reg
}

func scrape(t *testing.T, h http.Handler, accept, encoding string) (string, http.Header) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
	}
	body := io.Reader(rec.Body)
	if rec.Header().Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), rec.Header()
}

// stable drops the Go runtime series (they change between two scrapes) and
// sorts the lines.
func stable(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if !strings.HasPrefix(l, "go_") && !strings.Contains(l, " go_") {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}

// TestMetricsServedByRegistry: /metrics is promhttp over the one registry
// (issue 23: no second path beside it). It serves the same lines as a plain
// promhttp handler over that registry in the text format and in
// OpenMetrics, gzipped (BestSpeed, our wrapper) when the client accepts it,
// and protobuf; a collector unregistered is no longer served.
func TestMetricsServedByRegistry(t *testing.T) {
	reg := testRegistry(t)
	h := reg.handler(slog.New(slog.DiscardHandler))
	ref := promhttp.HandlerFor(reg.Registry, promhttp.HandlerOpts{EnableOpenMetrics: true, DisableCompression: true})
	const om = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
	for _, tc := range []struct {
		name, accept, encoding, wantType string
	}{
		{"text", "", "", "text/plain; version=0.0.4"},
		{"text-gzip", "text/plain;version=0.0.4", "gzip, deflate", "text/plain; version=0.0.4"},
		{"text-gzip-refused", "text/plain;version=0.0.4", "gzip;q=0, br", "text/plain; version=0.0.4"},
		{"openmetrics-prometheus-2.42", om, "gzip", "application/openmetrics-text; version=1.0.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, hdr := scrape(t, h, tc.accept, tc.encoding)
			want, _ := scrape(t, ref, tc.accept, "")
			if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, tc.wantType) {
				t.Errorf("Content-Type %q, want %q", ct, tc.wantType)
			}
			if gz := hdr.Get("Content-Encoding") == "gzip"; gz != acceptsGzip(tc.encoding) {
				t.Errorf("Content-Encoding %q for Accept-Encoding %q", hdr.Get("Content-Encoding"), tc.encoding)
			}
			if g, w := strings.Join(stable(got), "\n"), strings.Join(stable(want), "\n"); g != w {
				t.Errorf("/metrics differs from promhttp over the registry\n--- got\n%s\n--- want\n%s", g, w)
			}
			if !strings.Contains(got, "t_line_down_seconds_total{") || !strings.Contains(got, "t_reloads_total{") {
				t.Errorf("families missing:\n%s", got)
			}
			if strings.Contains(tc.accept, "openmetrics") && !strings.HasSuffix(got, "# EOF\n") {
				t.Error("OpenMetrics without a final # EOF")
			}
			if !strings.Contains(tc.accept, "openmetrics") {
				p := expfmt.NewTextParser(model.LegacyValidation)
				if _, err := p.TextToMetricFamilies(strings.NewReader(got)); err != nil {
					t.Errorf("text parser: %v", err)
				}
			}
		})
	}
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), "protobuf") {
		t.Errorf("protobuf: HTTP %d, %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	// Unregistering a family removes its series and its state.
	reg2 := newRegistry()
	fam := avail.NewFamily(avail.FamilyOpts{Namespace: "t_gone", Labels: []string{"x"}})
	fam.Tracker(avail.Rule{}, nil, "a")
	reg2.MustRegister(fam)
	if !reg2.Unregister(fam) {
		t.Fatal("Unregister returned false")
	}
	if got, _ := scrape(t, reg2.handler(slog.New(slog.DiscardHandler)), "", ""); strings.Contains(got, "t_gone") {
		t.Errorf("unregistered family still served:\n%s", got)
	}
	if p := reg2.persisted(); len(p.fams) != 0 {
		t.Errorf("unregistered family still persisted: %d", len(p.fams))
	}
}

// TestHostile_MetricsGatherErrorGzip: a collector whose series the
// registry refuses (a duplicate) makes the scrape fail with 500 and the
// reason, readable through gzip, instead of a silently partial body.
func TestHostile_MetricsGatherErrorGzip(t *testing.T) {
	reg := newRegistry()
	d := prometheus.NewDesc("t_dup", "Duplicated.", []string{"x"}, nil)
	reg.MustRegister(dupCollector{d})
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	reg.handler(slog.New(slog.DiscardHandler)).ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("HTTP %d, want 500", rec.Code)
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatalf("error body not gzip with Content-Encoding %q: %v", rec.Header().Get("Content-Encoding"), err)
	}
	b, _ := io.ReadAll(zr)
	if !strings.Contains(string(b), "t_dup") {
		t.Errorf("error body %q does not name the family", b)
	}
}

type dupCollector struct{ d *prometheus.Desc }

func (c dupCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.d }
func (c dupCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.d, prometheus.GaugeValue, 1, "a")
	ch <- prometheus.MustNewConstMetric(c.d, prometheus.GaugeValue, 2, "a")
}

func TestAcceptsGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"": false, "gzip": true, "gzip, deflate, br": true, "deflate, gzip;q=1.0": true, "gzip;q=0": false,
		"br": false, "x-gzip-like": false, " gzip ; q=0.5": true,
	} {
		if got := acceptsGzip(h); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", h, got, want)
		}
	}
}
