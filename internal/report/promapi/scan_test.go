package promapi

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/report"
)

// scanSeries collects what QueryScan hands over as the series Query returns.
func scanSeries(c *Client, expr string) ([]report.Series, bool, int, error) {
	var out []report.Series
	n, ok, err := c.QueryScan(context.Background(), expr, time.Unix(1793462400, 0), func(l map[string]string) func(int64, float64) {
		out = append(out, report.Series{Labels: l})
		i := len(out) - 1
		return func(t int64, v float64) {
			out[i].Points = append(out[i].Points, report.Point{T: time.UnixMilli(t).UTC(), V: v})
		}
	})
	return out, ok, n, err
}

// TestQueryScanMatchesQuery: for every answer the streaming decoder takes,
// it hands over what Query returns (labels, samples, their order, the
// millisecond rounding), plain or gzip-compressed, of known length or
// chunked; the answers it does not take (other shapes, warnings, a body
// cut short, the general decoder selected) are left to Query (scanned
// false, no error); failed queries are Query's errors.
func TestQueryScanMatchesQuery(t *testing.T) {
	matrix := `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"line_down_seconds_total","line":"线路-1","q":"a\"b\\c\u003cd"},"values":[[1790784000,"0"],[1790784300.123,"12.5"],[1790784600.5,"NaN"],[1790784900,"+Inf"],[1790785200,"-1e-7"],[1790785200.0004,"1"]]},{"metric":{},"values":[]}]}}`
	var big strings.Builder // larger than the scanner's 64 KiB buffer
	big.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
	for s := range 40 {
		if s > 0 {
			big.WriteString(",")
		}
		fmt.Fprintf(&big, `{"metric":{"__name__":"host_up","host":"h%d"},"values":[`, s)
		for i := range 320 {
			if i > 0 {
				big.WriteString(",")
			}
			fmt.Fprintf(&big, `[%d.%03d,"%d"]`, 1793462400+15*i, (s*7+i)%1000, i%2)
		}
		big.WriteString("]}")
	}
	big.WriteString("]}}\n")
	cases := []struct {
		name, body string
		status     int
		scanned    bool
		fails      bool // the query fails (Query's error)
		json       string
		maxBytes   int64
	}{
		{name: "matrix", body: matrix, scanned: true},
		{name: "many series, many buffers", body: big.String(), scanned: true},
		{name: "vector", body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"host":"h1"},"value":[1793462400,"1795000000"]},{"metric":{"host":"h2"},"value":[1793462400.001,"3"]}]}}`, scanned: true},
		{name: "empty", body: `{"status":"success","data":{"resultType":"vector","result":[]}}`, scanned: true},
		{name: "white space", body: "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[ {\"metric\" : {\"a\":\"b\"} , \"values\" : [ [1, \"2\"] ] } ] } }\n", scanned: true},
		{name: "series without labels key", body: `{"status":"success","data":{"resultType":"matrix","result":[{}]}}`, scanned: true},
		{name: "warnings: Query's error", body: `{"status":"success","data":{"resultType":"matrix","result":[]},"warnings":["x"]}`},
		{name: "scalar", body: `{"status":"success","data":{"resultType":"scalar","result":[1793462400,"2"]}}`},
		{name: "samples before the labels", body: `{"status":"success","data":{"resultType":"matrix","result":[{"values":[[1,"2"]],"metric":{"a":"b"}}]}}`},
		{name: "invalid UTF-8", body: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"` + "\xff" + `"},"values":[[1,"2"]]}]}}`},
		{name: "cut short", body: matrix[:len(matrix)-40]},
		{name: "trailing data", body: matrix + "x"},
		{name: "general decoder selected", body: matrix, json: JSONStd},
		{name: "error answer", body: `{"status":"error","errorType":"bad_data","error":"x"}`, status: http.StatusBadRequest, fails: true},
		{name: "timeout answer", body: `{"status":"error","errorType":"timeout","error":"query timed out"}`, status: http.StatusServiceUnavailable, fails: true},
		{name: "not an API answer", body: `<html>proxy error</html>`, status: http.StatusBadGateway, fails: true},
		{name: "over the limit", body: big.String(), maxBytes: 100 << 10, fails: true},
	}
	for _, c := range cases {
		for _, enc := range []string{"identity", "gzip", "chunked"} {
			t.Run(c.name+"/"+enc, func(t *testing.T) {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					status := c.status
					if status == 0 {
						status = http.StatusOK
					}
					switch enc {
					case "gzip":
						w.Header().Set("Content-Encoding", "gzip")
						w.WriteHeader(status)
						gz := gzip.NewWriter(w)
						_, _ = gz.Write([]byte(c.body))
						_ = gz.Close()
					case "chunked":
						w.WriteHeader(status)
						bw := bufio.NewWriterSize(w, 1000)
						_, _ = bw.WriteString(c.body)
						_ = bw.Flush()
					default:
						w.Header().Set("Content-Length", strconv.Itoa(len(c.body)))
						w.WriteHeader(status)
						_, _ = w.Write([]byte(c.body))
					}
				}))
				defer srv.Close()
				cl := New(srv.URL)
				cl.JSON = c.json
				if c.maxBytes > 0 {
					cl.MaxAnswerBytes = c.maxBytes
				}
				want, werr := cl.Query(context.Background(), "up", time.Unix(1793462400, 0))
				got, ok, n, err := scanSeries(cl, "up")
				if (err != nil) != c.fails {
					t.Fatalf("error %v, want one: %v", err, c.fails)
				}
				switch {
				case err != nil: // a failed query: Query's error
					if werr == nil || err.Error() != werr.Error() {
						t.Fatalf("error %v, Query's %v", err, werr)
					}
					return
				case ok != c.scanned:
					t.Fatalf("scanned %v, want %v", ok, c.scanned)
				case !ok: // left to Query
					return
				case werr != nil:
					t.Fatalf("scanned, Query's error %v", werr)
				}
				if n != len(got) {
					t.Errorf("%d series counted, %d handed over", n, len(got))
				}
				// %v: NaN samples print alike, maps sorted; nil and empty point lists alike.
				for i := range want {
					if len(want[i].Points) == 0 {
						want[i].Points = nil
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("scanned %v\nQuery   %v", got, want)
				}
			})
		}
	}
}

// TestPointFastForms: the timestamps and values point reads without
// strconv give exactly what the float path (strconv and point) gives, and
// the other forms still take that path.
func TestPointFastForms(t *testing.T) {
	times := []string{"0", "1", "1790784000", "1790784000.1", "1790784000.12", "1790784000.123", "1790784000.1234",
		"9999999999.999", "17907840001", "1.7907840001e9", "-5", "-5.5", "1790784000.0005", "1790784000.9995"}
	vals := []string{"0", "1", "01", "42", "123456789012345", "1234567890123456", "-1", "1.5", "1794567612.345", "NaN", "+Inf", "-Inf", "1e3", "0x10", `\u0031`}
	for _, ts := range times {
		for _, vs := range vals {
			body := "[" + ts + `,"` + vs + `"]`
			sc := &streamScanner{r: bufio.NewReader(strings.NewReader(body))}
			var gotT int64
			var gotV float64
			n := 0
			err := sc.point(func(t int64, v float64) { gotT, gotV, n = t, v, n+1 })
			tf, errT := strconv.ParseFloat(ts, 64)
			var uq string
			errU := json.Unmarshal([]byte(`"`+vs+`"`), &uq)
			p, errP := point(tf, uq)
			if errT != nil || errU != nil || errP != nil {
				if err == nil {
					t.Errorf("%s: taken (%d, %v), the float path fails", body, gotT, gotV)
				}
				continue
			}
			if err != nil || n != 1 {
				t.Errorf("%s: %v (%d points)", body, err, n)
				continue
			}
			if gotT != p.T.UnixMilli() || math.Float64bits(gotV) != math.Float64bits(p.V) && !(math.IsNaN(gotV) && math.IsNaN(p.V)) {
				t.Errorf("%s: (%d, %v), float path (%d, %v)", body, gotT, gotV, p.T.UnixMilli(), p.V)
			}
		}
	}
}
