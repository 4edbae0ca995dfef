package promapi

import (
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLoopback(t *testing.T) {
	for base, want := range map[string]bool{
		"http://127.0.0.1:9090":          true,
		"http://127.3.2.1:9090/prom":     true,
		"http://localhost:9090":          true,
		"https://u:p@[::1]:9090":         true,
		"http://prometheus:9090":         false,
		"http://10.0.0.5:9090":           false,
		"http://[2001:db8::1]:9090":      false,
		"http://localhost.example:9090":  false,
		"::not a url":                    false,
		"http://0.0.0.0:9090":            false,
		"http://127.0.0.1.example:9090/": false,
	} {
		if got := Loopback(base); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", base, got, want)
		}
		if c := New(base); c.Compress == want {
			t.Errorf("New(%q).Compress = %v, want %v", base, c.Compress, !want)
		}
	}
}

// TestCompressionAsked: a client asks for gzip only when Compress is set,
// and decodes the same answer either way (Query and QueryScan).
func TestCompressionAsked(t *testing.T) {
	const answer = `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"line_up","line":"a"},"values":[[1790784000,"1"],[1790784015.25,"0"]]}]}}`
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ae := r.Header.Get("Accept-Encoding")
		mu.Lock()
		asked = append(asked, ae)
		mu.Unlock()
		if strings.Contains(ae, "gzip") { // as Prometheus' compression handler does
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			gz.Write([]byte(answer))
			gz.Close()
			return
		}
		w.Write([]byte(answer))
	}))
	defer srv.Close()
	for _, compress := range []bool{false, true} {
		asked = nil
		c := New(srv.URL)
		c.Compress = compress
		res, err := c.Query(context.Background(), "line_up[1m]", time.Unix(1790784060, 0))
		if err != nil {
			t.Fatal(err)
		}
		var pts []int64
		n, scanned, err := c.QueryScan(context.Background(), "line_up[1m]", time.Unix(1790784060, 0), func(map[string]string) func(int64, float64) {
			return func(t int64, _ float64) { pts = append(pts, t) }
		})
		if err != nil || !scanned || n != 1 {
			t.Fatalf("compress %v: scan n %d scanned %v err %v", compress, n, scanned, err)
		}
		if len(res) != 1 || len(res[0].Points) != 2 || res[0].Points[1].T.UnixMilli() != 1790784015250 || len(pts) != 2 || pts[1] != 1790784015250 {
			t.Errorf("compress %v: %+v %v", compress, res, pts)
		}
		want := "identity"
		if compress {
			want = "gzip"
		}
		for _, a := range asked {
			if a != want {
				t.Errorf("compress %v: Accept-Encoding %q, want %q", compress, a, want)
			}
		}
	}
}
