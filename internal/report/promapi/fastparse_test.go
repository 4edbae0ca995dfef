package promapi

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/jianguan/jianguan/internal/report"
)

// The hand-written decoder gives exactly what encoding/json gives, and
// answers of another shape take the general path.
func TestFastDecoderMatchesEncodingJSON(t *testing.T) {
	bodies := []string{
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"line_down_seconds_total","line":"线路-1","q":"a\"b\\c\u003cd"},"values":[[1790784000,"0"],[1790784300.123,"12.5"],[1790784600.5,"NaN"],[1790784900,"+Inf"],[1790785200,"-1e-7"]]},{"metric":{},"values":[]}]}}`,
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"host":"h1"},"value":[1793462400,"1795000000"]},{"metric":{"host":"h2"},"value":[1793462400.001,"3"]}]}}`,
		`{"status":"success","data":{"resultType":"vector","result":[]}}`,
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[ {\"metric\" : {\"a\":\"b\"} , \"values\" : [ [1, \"2\"] ] } ]}}\n",
	}
	for _, b := range bodies {
		ar, ok := successEnvelope([]byte(b))
		if !ok {
			t.Fatalf("fast path not taken for %s", b)
		}
		var slow apiResp
		if err := json.Unmarshal([]byte(b), &slow); err != nil {
			t.Fatal(err)
		}
		c := New("http://x")
		want, err := c.parse(&slow) // slow.parsed is nil: fast parser on the raw result
		if err != nil {
			t.Fatal(err)
		}
		got, _ := c.parse(ar)
		if err := matchEncodingJSON(slow.Data.Result, got); err != nil {
			t.Error(err)
		}
		if len(want) != len(got) {
			t.Errorf("parse paths disagree: %d vs %d series", len(want), len(got))
		}
	}
	for _, b := range []string{
		`{"status":"success","data":{"resultType":"matrix","result":[]},"warnings":["x"]}`,
		`{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}`,
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"histograms":[]}]}}`,
		`{"status":"error","errorType":"bad_data","error":"x"}`,
	} {
		if _, ok := successEnvelope([]byte(b)); ok {
			t.Errorf("fast path taken for %s", b)
		}
	}
}

// FuzzParseSeriesFast: the hand-written decoder never panics, and whatever
// it accepts, encoding/json accepts too and decodes to the same series.
func FuzzParseSeriesFast(f *testing.F) {
	for _, s := range []string{
		`[{"metric":{"__name__":"x","line":"线路-1","q":"a\"b\\c\u003cd"},"values":[[1790784000,"0"],[1790784300.123,"12.5"],[1,"NaN"],[2,"+Inf"],[3,"-1e-7"]]},{"metric":{},"values":[]}]`,
		`[{"metric":{"host":"h1"},"value":[1793462400,"1795000000"]}]`,
		`[]`, ` [ {"metric" : {"a":"b"} , "values" : [ [1, "2"] ] } ]`, `[{"metric":{},"value":[1e3,"1"]}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseSeriesFast(b)
		if err != nil {
			return
		}
		if err := matchEncodingJSON(b, got); err != nil {
			t.Fatalf("%v: %q", err, b)
		}
	})
}

// matchEncodingJSON checks got, what the hand-written decoder made of the
// result array raw, against encoding/json and the general point parser.
func matchEncodingJSON(raw []byte, got []report.Series) error {
	var ref []rawSeries
	if err := json.Unmarshal(raw, &ref); err != nil {
		return fmt.Errorf("fast decoder accepted what encoding/json rejects (%v)", err)
	}
	if len(ref) != len(got) {
		return fmt.Errorf("%d series, encoding/json %d", len(got), len(ref))
	}
	for i, r := range ref {
		var pts [][]any
		if r.Value != nil {
			pts = append(pts, r.Value)
		}
		pts = append(pts, r.Values...)
		if len(pts) != len(got[i].Points) {
			return fmt.Errorf("series %d: %d points, want %d", i, len(got[i].Points), len(pts))
		}
		for j, p := range pts {
			wp, err := parsePoint(p)
			if err != nil {
				return fmt.Errorf("fast decoder accepted a point the general path rejects (%v)", err)
			}
			gp := got[i].Points[j]
			if !wp.T.Equal(gp.T) || !(wp.V == gp.V || math.IsNaN(wp.V) && math.IsNaN(gp.V)) {
				return fmt.Errorf("series %d point %d: %v, want %v", i, j, gp, wp)
			}
		}
		lw := r.Metric
		if lw == nil {
			lw = map[string]string{}
		}
		if !reflect.DeepEqual(lw, got[i].Labels) {
			return fmt.Errorf("labels %v, want %v", got[i].Labels, lw)
		}
	}
	return nil
}
