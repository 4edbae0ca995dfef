package constmetric

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/jianguan/jianguan/internal/testutil"
)

// TestHostile_NonUTF8LabelValue: a label value that is not UTF-8 (a GBK
// cell of a CMDB export: "测试单位" in GBK) never poisons a scrape. The text
// and OpenMetrics bodies parse and pass promtool, the protobuf path (the
// pedantic registry, which refuses invalid UTF-8) gathers, both carry the
// same replaced value, and the valid series around it are unchanged.
func TestHostile_NonUTF8LabelValue(t *testing.T) {
	gbk := "\xb2\xe2\xca\xd4\xb5\xa5\xce\xbb" // 测试单位 in GBK
	d := NewDesc("t_hostile_up", "Up.", []string{"unit", "host"})
	h := NewDesc("t_hostile_rtt_seconds", "RTT.", []string{"unit"})
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
			var got bytes.Buffer
			if err := WriteText(&got, tc.om, c); err != nil {
				t.Fatal(err)
			}
			if !utf8.Valid(got.Bytes()) {
				t.Fatalf("exposition is not UTF-8:\n%q", got.String())
			}
			// The registry path (protobuf's source) must gather and agree.
			want := reference(t, c, tc.format)
			if g, w := strings.Join(sortedLines(got.String()), "\n"), strings.Join(sortedLines(want), "\n"); g != w {
				t.Errorf("text and registry paths differ\n--- text\n%s\n--- registry\n%s", g, w)
			}
			for _, line := range []string{
				`t_hostile_up{host="h1",unit="` + strings.ToValidUTF8(gbk, "\uFFFD") + `"} 1`,
				`t_hostile_up{host="h2` + "\uFFFD" + `",unit="市大数据局"} 1`,
				`t_hostile_up{host="h3",unit="ok"} 0`,
			} {
				if tc.om {
					line += ".0"
				}
				if !strings.Contains(got.String(), line+"\n") {
					t.Errorf("missing %q in\n%s", line, got.String())
				}
			}
			if !tc.om {
				p := expfmt.NewTextParser(model.UTF8Validation)
				if _, err := p.TextToMetricFamilies(strings.NewReader(got.String())); err != nil {
					t.Errorf("text parser: %v", err)
				}
				promtool := testutil.Need(t, "promtool")
				cmd := exec.Command(promtool, "check", "metrics")
				cmd.Stdin = bytes.NewReader(got.Bytes())
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("promtool check metrics: %v\n%s", err, out)
				}
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
