package constmetric

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

type testCollector struct {
	ms []prometheus.Metric
}

func (*testCollector) Describe(chan<- *prometheus.Desc) {}
func (c *testCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.ms {
		ch <- m
	}
}

// served is what an exporter's /metrics serves for c in format: promhttp
// over a pedantic registry (the exporters' one registry, with every check).
func served(t *testing.T, c prometheus.Collector, format expfmt.Format) []byte {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", string(format))
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// TestHostile_NonUTF8LabelValue: a label value that is not UTF-8 (a GBK
// cell of a CMDB export: "测试单位" in GBK) never poisons a scrape. The text
// and OpenMetrics bodies the registry serves parse and pass promtool, the
// protobuf path gathers, all carry the replaced value, and the valid series
// around it are unchanged.
func TestHostile_NonUTF8LabelValue(t *testing.T) {
	gbk := "\xb2\xe2\xca\xd4\xb5\xa5\xce\xbb" // 测试单位 in GBK
	d := prometheus.NewDesc("t_hostile_up", "Up.", []string{"unit", "host"}, nil)
	h := prometheus.NewDesc("t_hostile_rtt_seconds", "RTT.", []string{"unit"}, nil)
	c := &testCollector{ms: []prometheus.Metric{
		&Metric{D: d, Labels: LabelPairs([]string{"unit", "host"}, []string{gbk, "h1"}), Value: 1},
		&Metric{D: d, Labels: LabelPairs([]string{"unit", "host"}, []string{"市大数据局", "h2\xff"}), Value: 1},
		&Metric{D: d, Labels: LabelPairs([]string{"unit", "host"}, []string{"ok", "h3"}), Value: 0},
		&Histogram{D: h, Labels: LabelPairs([]string{"unit"}, []string{"x\xc3"}), Count: 1, Sum: 0.5,
			Bounds: []float64{1}, Buckets: []uint64{1}},
	}}
	tests := []struct {
		name   string
		om     bool
		format expfmt.Format
	}{
		{"text", false, expfmt.NewFormat(expfmt.TypeTextPlain)},
		{"openmetrics", true, expfmt.NewFormat(expfmt.TypeOpenMetrics)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := served(t, c, tc.format)
			if !utf8.Valid(got) {
				t.Fatalf("exposition is not UTF-8:\n%q", got)
			}
			for _, line := range []string{
				`t_hostile_up{host="h1",unit="` + strings.ToValidUTF8(gbk, "\uFFFD") + `"} 1`,
				`t_hostile_up{host="h2` + "\uFFFD" + `",unit="市大数据局"} 1`,
				`t_hostile_up{host="h3",unit="ok"} 0`,
				`t_hostile_rtt_seconds_count{unit="x` + "\uFFFD" + `"} 1`, // an integer in both formats
			} {
				if tc.om && strings.HasPrefix(line, "t_hostile_up") {
					line += ".0"
				}
				if !bytes.Contains(got, []byte(line+"\n")) {
					t.Errorf("missing %q in\n%s", line, got)
				}
			}
			if !tc.om {
				p := expfmt.NewTextParser(model.UTF8Validation)
				if _, err := p.TextToMetricFamilies(bytes.NewReader(got)); err != nil {
					t.Errorf("text parser: %v", err)
				}
			}
			promtool := testutil.Need(t, "promtool")
			cmd := exec.CommandContext(t.Context(), promtool, "check", "metrics")
			cmd.Stdin = bytes.NewReader(got)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("promtool check metrics: %v\n%s", err, out)
			}
		})
	}
	t.Run("protobuf", func(t *testing.T) {
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(c)
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatalf("gather (protobuf path): %v", err)
		}
		var buf bytes.Buffer
		enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeProtoDelim))
		n := 0
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil {
				t.Fatal(err)
			}
			n += len(mf.Metric)
		}
		if n != 4 {
			t.Errorf("%d series, want 4", n)
		}
		// The shared label pairs are not modified by the replacement.
		var m dto.Metric
		if err := c.ms[0].Write(&m); err != nil {
			t.Fatal(err)
		}
		if c.ms[0].(*Metric).Labels[1].GetValue() != gbk {
			t.Error("Write modified the shared label pairs")
		}
	})
}

// BenchmarkValidLabels: the per-series cost of the UTF-8 check on valid
// labels (the common case): no allocation.
func BenchmarkValidLabels(b *testing.B) {
	lp := LabelPairs([]string{"host", "address", "unit", "provider", "system", "site", "path"},
		[]string{"web-01", "10.1.2.3", "市大数据管理局", "电信云", "政务服务网", "机房一", "path-a"})
	b.ReportAllocs()
	for b.Loop() {
		if len(ValidLabels(lp)) != 7 {
			b.Fatal()
		}
	}
}

// TestHostile_NonUTF8LabelValuePrometheus: a real Prometheus scrapes the
// text exposition of a collector with a GBK label value: the guarded
// exposition is accepted (up 1, every series stored, the bad bytes as
// U+FFFD); the same bytes served raw make Prometheus reject the whole
// scrape (up 0), which is what the guard prevents.
func TestHostile_NonUTF8LabelValuePrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("real Prometheus skipped in -short mode")
	}
	gbk := "\xb2\xe2\xca\xd4\xb5\xa5\xce\xbb"
	d := prometheus.NewDesc("t_hostile_prom_up", "Up.", []string{"unit", "host"}, nil)
	c := &testCollector{ms: []prometheus.Metric{
		&Metric{D: d, Labels: LabelPairs([]string{"unit", "host"}, []string{gbk, "h1"}), Value: 1},
		&Metric{D: d, Labels: LabelPairs([]string{"unit", "host"}, []string{"ok", "h2"}), Value: 1},
	}}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	guarded := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	defer guarded.Close()
	raw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		io.WriteString(w, "# TYPE t_hostile_raw_up gauge\nt_hostile_raw_up{host=\"h1\",unit=\""+gbk+"\"} 1\nt_hostile_raw_up{host=\"h2\",unit=\"ok\"} 1\n")
	}))
	defer raw.Close()

	host := func(s *httptest.Server) string { return strings.TrimPrefix(s.URL, "http://") }
	base := testenv.StartScrapingJobs(t, time.Second, map[string]string{"guarded": host(guarded), "raw": host(raw)})
	query := func(q string) map[string]string {
		samples, err := testenv.Query(base, q)
		if err != nil {
			return nil
		}
		out := map[string]string{}
		for _, s := range samples {
			out[s.Labels["job"]+"/"+s.Labels["host"]+"/"+s.Labels["unit"]] = s.Value
		}
		return out
	}
	var up, series map[string]string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		up, series = query("up"), query("t_hostile_prom_up")
		if len(up) == 2 && len(series) == 2 {
			break
		}
	}
	if up["guarded//"] != "1" || up["raw//"] != "0" {
		t.Errorf("up = %v, want guarded 1 and raw 0 (Prometheus refuses invalid UTF-8)", up)
	}
	want := "guarded/h1/" + strings.ToValidUTF8(gbk, "\uFFFD")
	if series[want] != "1" || series["guarded/h2/ok"] != "1" {
		t.Errorf("series %v, want %q and guarded/h2/ok", series, want)
	}
}
