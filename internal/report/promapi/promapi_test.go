package promapi

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/report"
)

func TestClientAuthParseAndErrors(t *testing.T) {
	var gotAuth, gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		gotAuth, gotQuery = r.Header.Get("Authorization"), r.Form.Get("query")
		switch r.Form.Get("query") {
		case "slow":
			time.Sleep(2 * time.Second)
		case "bad":
			w.WriteHeader(400)
			w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"parse error near topsecret"}`))
			return
		}
		w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"line":"a"},"value":[1790784000.5,"42"]}]}}`))
	}))
	defer srv.Close()
	c := New(strings.Replace(srv.URL, "http://", "http://u:topsecret@", 1))
	res, err := c.Query(context.Background(), `x{site="a\"b"}`, time.Unix(1790784000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Labels["line"] != "a" || res[0].Points[0].V != 42 || res[0].Points[0].T.UnixMilli() != 1790784000500 {
		t.Errorf("%+v", res)
	}
	if gotAuth != "Basic dTp0b3BzZWNyZXQ=" || gotQuery != `x{site="a\"b"}` {
		t.Errorf("auth %q query %q", gotAuth, gotQuery)
	}
	_, err = c.Query(context.Background(), "bad", time.Now())
	if err == nil || strings.Contains(err.Error(), "topsecret") || !strings.Contains(err.Error(), "bad_data") {
		t.Errorf("error not scrubbed: %v", err)
	}
	c.Timeout = 300 * time.Millisecond
	_, err = c.Query(context.Background(), "slow", time.Now())
	if report.KindOf(err) != report.ErrTimeout || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("slow: %v", err)
	}
	c2 := New(srv.URL)
	c2.BearerToken = "tok-123"
	c2.Query(context.Background(), "vector(1)", time.Now())
	if gotAuth != "Bearer tok-123" {
		t.Errorf("bearer %q", gotAuth)
	}
}

func TestParsePromDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{"15d": 15 * 24 * time.Hour, "1y": 365 * 24 * time.Hour, "10y": 3650 * 24 * time.Hour, "0s": 15 * 24 * time.Hour, "2w3d": 17 * 24 * time.Hour} {
		if d, err := parsePromDuration(s); err != nil || d != want {
			t.Errorf("%s: %v %v", s, d, err)
		}
	}
}

func TestClientSeries(t *testing.T) {
	var gotPath, gotMatch, gotStart, gotEnd, gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		gotPath, gotMatch, gotStart, gotEnd, gotAuth = r.URL.Path, r.Form.Get("match[]"), r.Form.Get("start"), r.Form.Get("end"), r.Header.Get("Authorization")
		if strings.Contains(gotMatch, "bad") {
			w.WriteHeader(400)
			w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"parse error near s3cret"}`))
			return
		}
		w.Write([]byte(`{"status":"success","data":[{"__name__":"line_observed_seconds_total","line":"a"},{"__name__":"line_observed_seconds_total","line":"b"}]}`))
	}))
	defer srv.Close()
	c := New(srv.URL + "/prom")
	c.Password, c.Username = "s3cret", "u"
	got, err := c.Series(context.Background(), `line_observed_seconds_total{site="dc1"}`, time.Unix(1790784000, 0), time.Unix(1793462400, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1]["line"] != "b" || gotPath != "/prom/api/v1/series" || gotMatch != `line_observed_seconds_total{site="dc1"}` ||
		gotStart != "1790784000.000" || gotEnd != "1793462400.000" || gotAuth == "" {
		t.Errorf("%v %s %s %s %s", got, gotPath, gotMatch, gotStart, gotEnd)
	}
	if _, err := c.Series(context.Background(), "bad{", time.Unix(0, 0), time.Unix(1, 0)); err == nil ||
		report.KindOf(err) != report.ErrUnavailable || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "bad_data") {
		t.Errorf("error: %v", err)
	}
}

// TestClientKeepsConnections: a report build sends its requests in phases
// of MaxConcurrent at once; the client keeps that many connections between
// phases instead of opening new ones beyond net/http's default of 2 idle
// per host (~130 per build at 1 000 entities before).
func TestClientKeepsConnections(t *testing.T) {
	var mu sync.Mutex
	opened := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			opened++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	c := New(srv.URL)
	start := make(chan struct{})
	for range 20 { // 20 phases of MaxConcurrent requests
		var wg sync.WaitGroup
		for range c.MaxConcurrent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := c.Query(context.Background(), "vector(1)", time.Now()); err != nil {
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		start = make(chan struct{})
	}
	mu.Lock()
	defer mu.Unlock()
	// A phase may start before the last one's connection is back in the
	// pool (one more); net/http's default opens 2 per phase (~40).
	if opened > 2*c.MaxConcurrent {
		t.Errorf("20 phases of %d requests opened %d connections", c.MaxConcurrent, opened)
	}
}
