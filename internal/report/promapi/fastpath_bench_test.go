package promapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
	"github.com/jianguan/jianguan/internal/report"
	"github.com/jianguan/jianguan/internal/simhistory"
	"github.com/jianguan/jianguan/internal/testutil"
	"github.com/jianguan/jianguan/internal/testutil/testenv"
)

// The side-by-side benchmark of issue 23 (make bench-fastpaths): decoding
// the answers Prometheus 2.42 gives to the four monthly reports of a
// 1 000-entity month (400 lines, 450 hosts, 150 websites, simhistory's
// DemoScenario over 35 days at 10-minute samples), with the hand-written
// decoder ("own", JSONFast) and with encoding/json ("lib", JSONStd).

// recorder keeps the bodies of the query answers a client receives.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.Contains(req.URL.Path, "/api/v1/query") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	return resp, nil
}

// recordReports builds the four reports of month from the Prometheus at
// url and returns the query answers it received.
func recordReports(b *testing.B, url string, month calendar.Period) [][]byte {
	rec := &recorder{}
	q := New(url)
	q.HTTP = &http.Client{Transport: rec}
	q.Timeout = 5 * time.Minute
	for _, k := range report.Kinds {
		if _, err := report.Build(context.Background(), q, report.DefaultConfig(), k, month); err != nil {
			b.Fatal(err)
		}
	}
	return rec.bodies
}

// cached returns the answers kept under name in JIANGUAN_FASTPATH_CACHE
// (make bench-fastpaths sets it), or makes and keeps them.
func cached(b *testing.B, name string, build func() [][]byte) [][]byte {
	cache := os.Getenv("JIANGUAN_FASTPATH_CACHE")
	if cache != "" {
		if fs, _ := filepath.Glob(filepath.Join(cache, name+"-*.json")); len(fs) > 0 {
			sort.Strings(fs)
			var out [][]byte
			for _, f := range fs {
				x, err := os.ReadFile(f)
				if err != nil {
					b.Fatal(err)
				}
				out = append(out, x)
			}
			return out
		}
	}
	out := build()
	if cache != "" {
		for i, x := range out {
			if err := os.WriteFile(filepath.Join(cache, fmt.Sprintf("%s-%04d.json", name, i)), x, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	return out
}

// monthAnswers returns the query answers of the four reports of a
// 1 000-entity month (the documented scale) from a real Prometheus.
func monthAnswers(b *testing.B) [][]byte {
	return cached(b, "promapi-1000", func() [][]byte {
		promtool := testutil.Need(b, "promtool")
		prom := testutil.Need(b, "prometheus")
		month, err := calendar.ParsePeriod("2026-10", nil)
		if err != nil {
			b.Fatal(err)
		}
		end := month.End.Add(48 * time.Hour).UTC()
		sp := simhistory.DemoScenario(end.Add(-35*24*time.Hour), end, 10*time.Minute, 400, 450, 150)
		dir := filepath.Join(b.TempDir(), "data")
		if err := simhistory.CachedBackfill(context.Background(), promtool, sp, "fastpath-1000", dir); err != nil {
			b.Fatal(err)
		}
		return recordReports(b, testenv.StartPrometheus(b, prom, dir), month)
	})
}

// scenarioAnswers returns the answers of the four reports of the tests'
// October 2026 scenario (testenv.StartTestScenario, a few dozen entities).
func scenarioAnswers(b *testing.B) [][]byte {
	return cached(b, "promapi-scenario", func() [][]byte {
		month, err := calendar.ParsePeriod("2026-10", nil)
		if err != nil {
			b.Fatal(err)
		}
		return recordReports(b, testenv.StartTestScenario(b), month)
	})
}

// BenchmarkFastpath: with -short only the tests' scenario (the
// 1 000-entity history takes promtool most of an hour to build once).
func BenchmarkFastpath(b *testing.B) {
	cases := []struct {
		name    string
		answers func(*testing.B) [][]byte
	}{{"report_month_test_scenario", scenarioAnswers}, {"report_month_1000_entities", monthAnswers}}
	if testing.Short() {
		cases = cases[:1]
	}
	for _, c := range cases {
		benchDecoders(b, c.name, c.answers(b))
	}
}

func benchDecoders(b *testing.B, name string, bodies [][]byte) {
	total := 0
	fast, std := New("http://127.0.0.1:1"), New("http://127.0.0.1:1")
	std.JSON = JSONStd
	for i, x := range bodies { // the two decoders agree on every real answer
		total += len(x)
		var got [2]string
		for j, c := range []*Client{fast, std} {
			ar, err := c.decode(x, http.StatusOK)
			if err != nil {
				b.Fatal(err)
			}
			s, err := c.parse(ar)
			if err != nil {
				b.Fatal(err)
			}
			got[j] = fmt.Sprint(s)
		}
		if got[0] != got[1] {
			b.Fatalf("answer %d: the decoders disagree", i)
		}
	}
	for _, mode := range []struct{ name, json string }{{"own", JSONFast}, {"lib", JSONStd}} {
		b.Run("json/"+name+"/"+mode.name, func(b *testing.B) {
			c := New("http://127.0.0.1:1")
			c.JSON = mode.json
			b.SetBytes(int64(total))
			for b.Loop() {
				for _, x := range bodies {
					ar, err := c.decode(x, http.StatusOK)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := c.parse(ar); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(bodies)), "answers")
		})
	}
}

// TestDecodersAgree: the two decoders Client.JSON selects give the same
// series for the same answers, including those the fast decoder hands to
// encoding/json, and the same errors for answers that are not API answers.
func TestDecodersAgree(t *testing.T) {
	bodies := []string{
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"line_down_seconds_total","line":"线路-1","q":"a\"b\\c\u003cd"},"values":[[1790784000,"0"],[1790784300.123,"12.5"],[1790784600.5,"NaN"],[1790784900,"+Inf"],[1790785200,"-1e-7"]]},{"metric":{},"values":[]}]}}`,
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"host":"h1"},"value":[1793462400,"1795000000"]},{"metric":{"host":"h2"},"value":[1793462400.001,"3"]}]}}`,
		`{"status":"success","data":{"resultType":"vector","result":[]}}`,
		`{"status":"success","data":{"resultType":"scalar","result":[1793462400,"2"]}}`,
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"\xff"},"values":[[1,"2"]]}]}}`,
		`{"status":"success","data":{"resultType":"matrix","result":[]},"warnings":["x"]}`,
		`{"status":"error","errorType":"bad_data","error":"x"}`,
		`<html>proxy error</html>`,
	}
	for _, b := range bodies {
		var got [2][]report.Series
		var errs [2]string
		for i, mode := range []string{JSONFast, JSONStd} {
			c := New("http://127.0.0.1:1")
			c.JSON = mode
			ar, err := c.decode([]byte(b), http.StatusOK)
			if err == nil {
				got[i], err = c.parse(ar)
			}
			if err != nil {
				errs[i] = err.Error()
			}
		}
		// %v: NaN samples print alike (DeepEqual holds NaN != NaN), maps sorted.
		if errs[0] != errs[1] || fmt.Sprint(got[0]) != fmt.Sprint(got[1]) {
			t.Errorf("%s:\nfast %v %q\nstd  %v %q", b, got[0], errs[0], got[1], errs[1])
		}
	}
}

// TestJSONDecoderSetting: the setting takes "", fast and std, and
// CheckLimits refuses anything else naming the choices.
func TestJSONDecoderSetting(t *testing.T) {
	for in, want := range map[string]string{"": JSONFast, "fast": JSONFast, "std": JSONStd} {
		if got, err := ParseJSONDecoder(in); err != nil || got != want {
			t.Errorf("ParseJSONDecoder(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	c := New("http://127.0.0.1:1")
	c.JSON = "jsoniter"
	if err := c.CheckLimits(); err == nil || !strings.Contains(err.Error(), `"std" or "fast"`) {
		t.Errorf("CheckLimits = %v, want the choices named", err)
	}
}
