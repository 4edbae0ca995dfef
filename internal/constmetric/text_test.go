package constmetric

import (
	"bytes"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type testCollector struct {
	ms []prometheus.Metric
}

func (c *testCollector) Describe(chan<- *prometheus.Desc) {}
func (c *testCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.ms {
		ch <- m
	}
}
func (c *testCollector) ConstMetricsOnly() {}

func sample() *testCollector {
	temp := NewDesc("t_temperature_celsius", "Temperature with \"quotes\", a back\\slash\nand a newline.", []string{"site", "sensor"})
	errs := NewDesc("t_errors_total", "Errors.", []string{"reason"})
	plain := NewDesc("t_events", "A counter without the _total suffix.", nil)
	hist := NewDesc("t_poll_duration_seconds", "Poll durations.", []string{"device"})
	c := &testCollector{}
	for i, v := range []float64{21.5, 0, 1, -1, math.NaN(), math.Inf(1), math.Inf(-1), 1e6, 1.795929714598765e+09, 0.1 + 0.2} {
		sensor := []string{"a", "b\"q", "c\\d", "e\nf", "中文", "g", "h", "i", "j", "k"}[i]
		c.ms = append(c.ms, &Metric{D: temp, Labels: LabelPairs([]string{"site", "sensor"}, []string{"机房一", sensor}), Value: v})
	}
	for _, r := range []string{"timeout", "auth"} {
		c.ms = append(c.ms, &Metric{D: errs, Labels: LabelPairs([]string{"reason"}, []string{r}), Counter: true, Value: 3})
	}
	c.ms = append(c.ms, &Metric{D: plain, Counter: true, Value: 7})
	for _, dev := range []string{"ups1", "ups2"} {
		c.ms = append(c.ms, &Histogram{D: hist, Labels: LabelPairs([]string{"device"}, []string{dev}), Count: 9, Sum: 1.25,
			Bounds: []float64{0.01, 0.5, 1, 5}, Buckets: []uint64{1, 4, 8, 9}})
	}
	return c
}

// reference renders the collector through client_golang's pedantic
// registry and expfmt, as promhttp does.
func reference(t *testing.T, c prometheus.Collector, format expfmt.Format) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

func sortedLines(s string) []string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(l)
	return l
}

// TestWriteTextMatchesExpfmt: WriteText gives the same lines as the
// registry + expfmt, in the text format and in OpenMetrics, including
// escaping, special floats, counters without _total and histograms.
func TestWriteTextMatchesExpfmt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		om     bool
		format expfmt.Format
	}{
		{"text", false, expfmt.NewFormat(expfmt.TypeTextPlain)},
		{"openmetrics", true, expfmt.NewFormat(expfmt.TypeOpenMetrics)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sample()
			var got bytes.Buffer
			if err := WriteText(&got, tc.om, c); err != nil {
				t.Fatal(err)
			}
			want := reference(t, c, tc.format)
			g, w := sortedLines(got.String()), sortedLines(want)
			if strings.Join(g, "\n") != strings.Join(w, "\n") {
				t.Errorf("WriteText differs from expfmt\n--- got\n%s\n--- want\n%s", got.String(), want)
			}
			// Each family is contiguous and starts with HELP then TYPE.
			seen := map[string]bool{}
			cur := ""
			for _, line := range strings.Split(strings.TrimSpace(got.String()), "\n") {
				if strings.HasPrefix(line, "# HELP ") {
					cur = strings.Fields(line)[2]
					if seen[cur] {
						t.Errorf("family %s split", cur)
					}
					seen[cur] = true
				} else if !strings.HasPrefix(line, "# TYPE ") && !strings.HasPrefix(line, cur) {
					t.Errorf("sample %q outside its family %s", line, cur)
				}
			}
			if !tc.om {
				p := expfmt.NewTextParser(model.LegacyValidation)
				if _, err := p.TextToMetricFamilies(strings.NewReader(got.String())); err != nil {
					t.Errorf("text parser: %v", err)
				}
			}
		})
	}
}

// TestWriteTextRejectsForeignMetrics: a metric that WriteText cannot format
// is an error, never a silently missing series.
func TestWriteTextRejectsForeignMetrics(t *testing.T) {
	d := prometheus.NewDesc("t_foreign", "Made by prometheus.NewDesc.", nil, nil)
	c := &testCollector{ms: []prometheus.Metric{prometheus.MustNewConstMetric(d, prometheus.GaugeValue, 1)}}
	var b bytes.Buffer
	if err := WriteText(&b, false, c); err == nil || !strings.Contains(err.Error(), "t_foreign") {
		t.Fatalf("err = %v, want an error naming t_foreign", err)
	}
	own := NewDesc("t_own", "Own.", nil)
	c = &testCollector{ms: []prometheus.Metric{prometheus.MustNewConstMetric(own, prometheus.GaugeValue, 1)}}
	if err := WriteText(&b, false, c); err == nil || !strings.Contains(err.Error(), "cannot be formatted") {
		t.Fatalf("err = %v, want a type error", err)
	}
}

// TestWriteTextMergesFamiliesByName: two descriptors of one name (two
// collectors exporting the same metric for different targets) give one
// family, as the registry merges them; differing help texts are an error.
func TestWriteTextMergesFamiliesByName(t *testing.T) {
	d1 := NewDesc("t_merged_up", "Up.", []string{"line"})
	d2 := NewDesc("t_merged_up", "Up.", []string{"line"})
	a := &testCollector{ms: []prometheus.Metric{&Metric{D: d1, Labels: LabelPairs([]string{"line"}, []string{"a"}), Value: 1}}}
	b := &testCollector{ms: []prometheus.Metric{&Metric{D: d2, Labels: LabelPairs([]string{"line"}, []string{"b"}), Value: 0}}}
	var got bytes.Buffer
	if err := WriteText(&got, false, a, b); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(got.String(), "# TYPE t_merged_up gauge"); n != 1 {
		t.Errorf("%d TYPE lines, want 1:\n%s", n, got.String())
	}
	if !strings.Contains(got.String(), `t_merged_up{line="a"} 1`) || !strings.Contains(got.String(), `t_merged_up{line="b"} 0`) {
		t.Errorf("samples missing:\n%s", got.String())
	}
	d3 := NewDesc("t_merged_up", "Other help.", []string{"line"})
	c := &testCollector{ms: []prometheus.Metric{&Metric{D: d3, Labels: LabelPairs([]string{"line"}, []string{"c"}), Value: 1}}}
	if err := WriteText(&got, false, a, c); err == nil || !strings.Contains(err.Error(), "two help texts") {
		t.Errorf("err = %v, want a help conflict", err)
	}
}
